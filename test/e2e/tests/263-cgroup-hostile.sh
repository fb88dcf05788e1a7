#!/bin/bash
# 263-cgroup-hostile.sh - cgroup.img is hostile input. A tree in v1 pids
# cgroups of its own (N, N/sub) is dumped and its cgroups removed; each
# edit of cgroup.img below is refused at restore with one line, no
# process left, the images untouched and no cgroup made anywhere in the
# pids hierarchy: paths with "..", relative, with control characters, a
# control file's name as a cgroup, a hierarchy's root as owned, a setting
# ckpt does not know (release_agent, a path as a name), a value that is no
# value (two words, a newline), indexes out of range, a task not of the
# tree, a hierarchy named with "/". A cgroup the tree does not own that
# is missing is refused too (nothing made below it). A restore that fails
# making the second cgroup (CKPT_FAULT) removes the first; one that fails
# opening a hierarchy's mount for the new processes leaves nothing. The pristine
# images still restore.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/cgroup.sh
. "$(dirname "$0")/../cgroup.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
PIDS=$(cg_v1 pids)
[[ -n $PIDS ]] || skip "no v1 pids hierarchy mounted"
N=$CG_NAME

cg_mkdir "$PIDS/$N"
cg_mkdir "$PIDS/$N/sub"
echo 30 >"$PIDS/$N/pids.max"
cg_tree_start
cg_join "$PIDS/$N" "$ROOT" "$A"
cg_join "$PIDS/$N/sub" "$B"
cg_want 0 "pids:/$N"
cg_want 2 "pids:/$N/sub"
self_check "$ROOT" "$w"
dump_tree "$ROOT" "$T/img"
rmdir "$PIDS/$N/sub" "$PIDS/$N" || fail "cannot remove $N"
# Every cgroup of the pids hierarchy, to see that nothing was made.
# The pids hierarchy but other tests' cgroups (ckpt-e2e-*, not this
# run's): one run before this one may still be going away, one beside it
# coming.
pids_tree() {
	find "$PIDS" -type d | awk -v own="$PIDS/$N" 'index($0, "/ckpt-e2e-") == 0 || index($0, own) == 1' |
		LC_ALL=C sort
}
TREE0=$(pids_tree)

dir_index() { # PATH: the index of that pids cgroup in the image
	local h
	h=$("$IMGEDIT" "$T/img" cgroup.img | sed -n 's/^hiers\[\([0-9]*\)\]\.controllers=pids$/\1/p')
	"$IMGEDIT" "$T/img" cgroup.img | awk -F'[][=]' -v h="$h" -v p="$1" '
		$2 ~ /^[0-9]+$/ && $3 == ".hier" && $4 == h { hier[$2] = 1 }
		$3 == ".path" && $4 == p && hier[$2] { print $2; exit }'
}
K=$(dir_index "/$N")
S=$(dir_index "/$N/sub")
R=$(dir_index "/")
[[ -n $K && -n $S && -n $R ]] || fail "no dirs /$N, /$N/sub and / of pids in cgroup.img"
field() { # PATH: its value in cgroup.img
	local v
	v=$("$IMGEDIT" "$T/img" cgroup.img "$1") || fail "imgedit $1 failed"
	printf '%s\n' "${v#*=}"
}
[[ $(field "dirs[$K].owned") == 1 ]] || fail "/$N is not owned in the image"
[[ $(field "dirs[$K].settings[0].name") == pids.max ]] || fail "the first setting of /$N is not pids.max"

refused() { # WHY_REGEX EDIT...
	local why=$1 bad
	shift
	bad=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$T/img/." "$bad/"
	"$IMGEDIT" "$bad" cgroup.img "$@" || fail "imgedit $* failed"
	log "==== $*"
	expect_restore_fail "$bad" "$ROOT" "with $*"
	grep -qE -- "$why" "$CK_ERR" || fail "restore with $*: the refusal does not say '$why': $(ck_err_line)"
	[[ $(pids_tree) == "$TREE0" ]] || fail "restore with $*: cgroups were made: $(diff <(echo "$TREE0") <(pids_tree) | tail -n 3)"
	rm -rf "$bad"
}
INC='images are inconsistent \(cgroups'
refused "$INC: a path" "dirs[$S].path=/$N/../../etc"
refused "$INC: a path" "dirs[$S].path=/.."
refused "$INC: a path" "dirs[$S].path=$N/sub"
refused "$INC: a path" "dirs[$S].path=/$N//sub"
refused "$INC: a path" "dirs[$S].path=/$N/sub/"
refused "$INC: a path" "dirs[$S].path=/$N/s$(printf '\x01')b"
refused "$INC: a path" "dirs[$S].path=/$N/cgroup.procs"
refused "$INC: a path" "dirs[$S].path=/$N/$(printf 'x%.0s' {1..256})"
refused "$INC: a hierarchy's root owned" "dirs[$R].owned=1"
refused "$INC: a setting" "dirs[$K].settings[0].name=release_agent"
refused "$INC: a setting" "dirs[$K].settings[0].name=../../release_agent"
refused "$INC: a setting" "dirs[$K].settings[0].name=notify_on_release"
refused "$INC: a setting" "dirs[$K].settings[0].value=1 2"
refused "$INC: a setting" "dirs[$K].settings[0].value=max
+pids"
refused "$INC: a setting" "dirs[$K].settings[0].value="
refused "$INC: a setting of another controller" "dirs[$K].settings[0].name=memory.limit_in_bytes"
refused "$INC: settings" "dirs[$S].owned=0"
refused "$INC: a setting twice" "dirs[$K].settings[+]=@0"
refused "$INC: a cgroup's hierarchy" "dirs[$K].hier=99"
refused "$INC: a task's cgroup" "members[0].dirs[0]=99999"
refused "$INC: a task's cgroups" "members[0].dirs[-]=0"
refused "$INC: a task not in the tree" "members[0].tid=1" "members[0].pid=1"
refused "$INC: a hierarchy" "hiers[0].controllers=../x"
refused "$INC: a cgroup twice" "dirs[$S].path=/$N"
# Not the tree's: it must exist, and nothing is made below it.
refused "cgroup '/$N' \(pids\) does not exist" "dirs[$K].owned=0" "dirs[$K].settings=[]"

# A restore that fails making the cgroups (the FAULT=1 build): the ones
# it made are removed.
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
for at in 1 2; do
	d0=$(image_digest "$T/img")
	ck_cmd env CKPT_FAULT="restore_cgroup_make@$at" "$FCKPT" restore --images "$T/img" --detach
	ck_assert_failed "restore failing to make cgroup $at"
	grep -q "cannot make cgroup '/$N" "$CK_ERR" || fail "the failure does not name the cgroup: $(ck_err_line)"
	wait_for 10 "PID $ROOT to be free" is_gone "$ROOT" || fail "PID $ROOT left by the failed restore"
	[[ $(image_digest "$T/img") == "$d0" ]] || fail "the failed restore changed the images"
	[[ $(pids_tree) == "$TREE0" ]] || fail "cgroups left by the restore failed at mkdir $at: $(diff <(echo "$TREE0") <(pids_tree) | tail -n 3)"
	assert_no_strays
done

# A restore that fails opening a hierarchy's mount for the new processes
# (before any cgroup is made or process created): nothing is left.
d0=$(image_digest "$T/img")
ck_cmd env CKPT_FAULT=restore_cgroup_mount "$FCKPT" restore --images "$T/img" --detach
ck_assert_failed "restore failing to open a cgroup mount"
grep -q "cannot open the mount of cgroup hierarchy" "$CK_ERR" || fail "the failure does not say what: $(ck_err_line)"
wait_for 10 "PID $ROOT to be free" is_gone "$ROOT" || fail "PID $ROOT left by the failed restore"
[[ $(image_digest "$T/img") == "$d0" ]] || fail "the failed restore changed the images"
[[ $(pids_tree) == "$TREE0" ]] || fail "cgroups left by the restore failed at the mount: $(diff <(echo "$TREE0") <(pids_tree) | tail -n 3)"
assert_no_strays

control_restore "$T/img" "$ROOT" "$w"
assert_no_strays
