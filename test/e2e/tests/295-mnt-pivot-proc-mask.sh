#!/bin/bash
# 295-mnt-pivot-proc-mask.sh - a container of its own root and pid
# namespace with a tmpfs of its own on top of its /proc, as runc masks
# /proc/acpi (podman): `unshare --pid --fork unshare --mount` around a shell that
# mounts a tmpfs root, the new pid namespace's proc on it, a tmpfs with a
# file over /proc/driver, then pivots into it (222-pivot-static). At
# restore the proc and the tmpfs on it are made by the process inside the
# pid namespace, after it entered the container's mount namespace, where
# ckpt's /proc/PID/fd/ is out of reach: the files of that tmpfs must come
# back all the same (the image directory handed down, not opened again by
# a path of ckpt's). The target runs on from its root, and the host's
# mounts are untouched. The hand-down failed (fault site restore_pass_fd)
# leaves nothing.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
img=$T/images
r=$T/r
mkdir -p "$w" "$r"
host0=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)
# shellcheck disable=SC2016
setup='set -e
r=$1
mount -t tmpfs -o size=16m ck295 "$r"
mkdir "$r/old" "$r/w" "$r/proc"
echo kept >"$r/keep"
cp "$2" "$r/t"
mount -t proc proc "$r/proc"
mount -t tmpfs -o size=64k,mode=0555 ck295mask "$r/proc/driver"
echo "$3" >"$r/proc/driver/masked"
exec "$r/t" "$r" /w'
# The init of the pid namespace owns the mount namespace (the outer
# unshare keeps the host's, whose root the pivot would take along).
spawn "$w" unshare --pid --fork unshare --mount --propagation private sh -c "$setup" sh "$r" \
	"$E2E_TARGETS/222-pivot-static" "mask-$$"
root=$TARGET_PID
wait_for 20 "READY from the target" has_line "$w/out" '^(READY|FATAL)' || fail "no READY"
has_line "$w/out" '^READY pid=1$' || fail "the target is not pid 1: $(head -c 200 "$w/out")"
pid=$(cat "/proc/$root/task/$root/children")
pid=${pid%% *}
[[ -n $pid ]] || fail "unshare has no child"
ln -s "/proc/$pid/root/w/seq" "$w/seq"
self_check "$pid" "$w"
# What the target sees: its own proc (itself as 1) and the mask on it.
inside() {
	printf 'masked %s\n' "$(cat "/proc/$1/root/proc/driver/masked")"
	printf 'init %s\n' "$(awk '{ print $2 }' "/proc/$1/root/proc/1/stat")"
	# sorted: mountinfo lists mounts by id, and a restore hands out new
	# ones (a mask made before the proc under it comes first)
	awk '$5 == "/proc" || $5 == "/proc/driver" { print $5, $9, $6 }' "/proc/$1/mountinfo" |
		LC_ALL=C sort
}
view0=$(inside "$pid")
log "inside:"$'\n'"$view0"
grep -qx "masked mask-$$" <<<"$view0" || fail "no mask on /proc/driver before the dump"
grep -qx "init (t)" <<<"$view0" || fail "the container's proc is not its own"
dump_tree "$root" "$img"
# The fds failed to be handed down (the fault build): one line, nothing
# left, the images untouched.
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
digest=$(image_digest "$img")
ck_cmd env CKPT_FAULT=restore_pass_fd "$FCKPT" restore --images "$img" --detach
ck_assert_failed "restore with a fault at restore_pass_fd"
grep -q "cannot restore: cannot hand a namespace's fd down" "$CK_ERR" ||
	fail "restore_pass_fd: not the hand-down that failed: $(ck_err_line)"
for p in "${TREE_PIDS[@]}"; do
	wait_for 10 "PID $p to be free" is_gone "$p" || fail "restore_pass_fd left $(describe_pid "$p")"
done
[[ $(image_digest "$img") == "$digest" ]] || fail "restore_pass_fd: the images changed"
assert_no_strays
restore_tree "$img" "$root"
self_check "$pid" "$w"
assert_same "the container's /proc and its mask" "$view0" "$(inside "$pid")"
seq_verify "$w/seq"
n=$(wc -l <"$w/seq")
wait_seq_beyond "$w/seq" $((n + 20))
seq_verify "$w/seq"
host1=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)
[[ $host0 == "$host1" ]] || fail "the host's mounts changed"
[[ -z $(ls -A "$r") ]] || fail "the container's root shows on the host in $r"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
