#!/bin/bash
# 101-sysv-shm.sh - System V shared memory (101-sysv-shm): a segment with a
# key attached by a process and its child, who talk through it; a segment
# removed while attached twice (read-write and SHM_RDONLY); a segment the
# child made and nobody attaches.
#  0. dump --leave-running: the target goes on as it was; ckpt show
#     lists the three segments.
#  1. dump (kills), restore: the segments that outlived the tree are
#     reused, the removed one is made again with its id; the target's
#     own check (ids, keys, modes, SHM_DEST, contents, the read-only
#     attach, the child still answering) passes, and they go on talking.
#  2. dump (kills), every segment removed, restore: all are made again
#     with their ids, keys, owners and contents.
#  3. a segment attached also by a process outside the tree: refused,
#     the tree untouched.
#  4. hostile fields of ipc.img and of the attaches in mm-PID.img:
#     refused before anything is made.
#  5. a restore failing at each of its steps for System V objects leaves
#     nothing (the FAULT=1 build).
#  6. the same id taken by another segment at restore: refused, nothing
#     left.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/sysv.sh
. "$(dirname "$0")/../sysv.sh"
e2e_init

key=$(sysv_key 0x10000000)
ids=()
rm_ids() {
	local id
	for id in "${ids[@]}"; do ipcrm -m "$id" 2>/dev/null; done
	ipcrm -M "$((key + 1))" 2>/dev/null
	return 0
}
CLEANUP_HOOKS+=(rm_ids)

sysv_start 101-sysv-shm "$key" -M 'a=([0-9]+) b=([0-9]+) c=([0-9]+)'
a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]} c=${BASH_REMATCH[3]}
ids=("${a}" "${b}" "${c}")
log "segments: $IDS_LINE"
self_check "$pid" "$w"

# 0. a dump that leaves the tree running leaves it as it was
ck_ok dump --leave-running --pid "$pid" --images "$T/img0"
self_check "$pid" "$w"
"$CKPT" show --images "$T/img0" | grep -E "sysv shm ($a|$b|$c):" >&2
(($("$CKPT" show --images "$T/img0" | grep -cE "sysv shm ($a|$b|$c):") == 3)) ||
	fail "ckpt show does not list the three segments"

# 1. reused where they outlived the tree (B, removed, is made again)
dump_tree "$pid" "$T/img1"
grep -qE "^ *[0-9-]+ +$a " /proc/sysvipc/shm || fail "segment A is gone after the dump"
restore_tree "$T/img1" "$pid"
self_check "$pid" "$w"
req=$(check_value req)
seq_verify "$w/seq"
wait_seq_beyond "$w/seq" $((SEQ_N + 50))
self_check "$pid" "$w"
[[ $(check_value ids) == "$a,$b,$c" ]] || fail "ids changed: $(check_value ids)"
(($(check_value req) > req + 1)) || fail "the parent and child no longer talk through A"

# 2. everything made again
dump_tree "$pid" "$T/img2"
ipcrm -m "$a" -m "$c" || fail "cannot remove the segments"
grep -qE "^ *[0-9-]+ +($a|$b|$c) " /proc/sysvipc/shm && fail "a segment is still there"
restore_tree "$T/img2" "$pid"
self_check "$pid" "$w"
read -r _ _ perms _ _ _ nattch uid gid cuid cgid _ < <(grep -E "^ *[0-9-]+ +$a " /proc/sysvipc/shm)
[[ $perms == 640 && $nattch == 2 && $uid == 0 && $cuid == 0 ]] ||
	fail "A made again wrong: perms $perms nattch $nattch uid $uid cuid $cuid"
kill_tree "${TREE_PIDS[@]}"

# Hostile images: refused before anything is made.
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
hostile() { # WHY_REGEX FILE EDIT...
	local why=$1 file=$2 bad
	shift 2
	bad=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$T/img2/." "$bad/"
	"$IMGEDIT" "$bad" "$file" "$@" || fail "imgedit $* failed"
	log "==== $*"
	expect_restore_fail "$bad" "$pid" "with $*"
	grep -qE "$why" "$CK_ERR" || fail "restore with $*: the refusal does not say '$why': $(ck_err_line)"
	grep -qE "^ *[0-9-]+ +$b " /proc/sysvipc/shm && fail "a refused restore made B"
}
hostile "segment [0-9]+: mode" ipc.img "shm[0].mode=4294967295"
hostile "segment [0-9]+: size or pages" ipc.img "shm[0].data.size=0"
hostile "segment [0-9]+: size or pages" ipc.img "shm[0].data.nr_pages=99"
hostile "segment [0-9]+: id" ipc.img \
	"shm[1].shmid=$("$IMGEDIT" "$T/img2" ipc.img | sed -n 's/^shm\[0\]\.shmid=//p')"
hostile "segment [0-9]+: removed with a key" ipc.img \
	"shm[$("$IMGEDIT" "$T/img2" ipc.img | sed -n "s/^shm\[\([0-9]\)\]\.shmid=$b\$/\1/p")].key=5"
vma=$("$IMGEDIT" "$T/img2" "mm-$pid.img" | sed -n 's/^vmas\[\([0-9]*\)\]\.sysv_shmid=.*/\1/p' | head -n 1)
hostile "attach at 0x[0-9a-f]+ of a segment not saved" "mm-$pid.img" "vmas[$vma].sysv_shmid=999999"
hostile "System V shm id" "mm-$pid.img" "vmas[$vma].kind=1"

# A restore failing at each step of its own: B (removed) is made again and
# its pages put back, then removed again once attached: nothing is left
# of it, A and C are still there.
for site in restore_sysv_create restore_sysv_shm_pages restore_sysv_shm_rmid; do
	fault_restore "$T/img2" "$pid" "$site"
	grep -qE "^ *[0-9-]+ +$b " /proc/sysvipc/shm && fail "a restore failed at $site left B"
	grep -qE "^ *[0-9-]+ +$a " /proc/sysvipc/shm || fail "a restore failed at $site removed A"
done

# 3. attached outside the tree: refused, untouched
start_target "$T/w3" 101-sysv-shm "$((key + 2))"
pid3=$TARGET_PID
ids_match "$T/w3" 'a=([0-9]+) b=([0-9]+) c=([0-9]+)'
a3=${BASH_REMATCH[1]} b3=${BASH_REMATCH[2]} c3=${BASH_REMATCH[3]}
ids+=("$a3" "$b3" "$c3")
python3 -c "
import ctypes, sys, signal
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
if libc.shmat($a3, None, 0) in (None, ctypes.c_void_p(-1).value): sys.exit(1)
sys.stdout.write('attached\n'); sys.stdout.flush()
signal.pause()
" </dev/null >"$T/outsider" &
outsider=$!
track_pid "$outsider"
wait_for 10 "the outsider to attach" has_line "$T/outsider" attached || fail "outsider did not attach"
mkdir "$T/d3"
ck_fails "dump with an outside attach" dump --pid "$pid3" --images "$T/d3/images"
grep -qE "^ckpt: cannot dump $pid3: System V shm $a3 is attached also by a process outside the tree" "$CK_ERR" ||
	fail "not the refusal wanted: $(ck_err_line)"
assert_dump_left_nothing "$T/d3"
self_check "$pid3" "$T/w3"
kill -9 "$outsider"
reap "$outsider"

# 4. the id taken by another segment at restore
dump_tree "$pid3" "$T/img4"
ipcrm -m "$a3" || fail "cannot remove A"
echo "$a3" >/proc/sys/kernel/shm_next_id
other=$(python3 -c "
import ctypes
libc = ctypes.CDLL(None)
print(libc.shmget(0, 4096, 0o1600))")
ids+=("$other")
[[ $other == "$a3" ]] || skip "could not take id $a3 (got $other)"
expect_restore_fail "$T/img4" "$pid3" "with the id of A taken"
grep -qE "^ckpt: cannot restore: System V shm id $a3 is taken by another segment" "$CK_ERR" ||
	fail "not the refusal wanted: $(ck_err_line)"
grep -qE "^ *[0-9-]+ +$b3 " /proc/sysvipc/shm && fail "the restore left segment B behind"
assert_no_strays
