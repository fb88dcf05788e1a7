#!/bin/bash
# 283-userns-child.sh - a rootless container started by a process of the
# user that stays outside it: sh (the tree's root, in the host's user
# namespace) runs `unshare --user --map-root-user --uts --ipc 280-userns` as
# its child and waits for it. Dumped from sh and restored: the child's
# namespace is made by the restored sh's copy of ckpt (its maps written
# from there), the child is root inside and the user outside, sh is the
# user with no namespace of its own and still its parent, waiting: the
# target's exit (SIGTERM) ends sh too. Before that, the fault
# sites of a user namespace: a dump failed there leaves the tree running
# untouched, a restore failed there leaves nothing.
# e2e-timeout: 90
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/attack.sh
. "$E2E_DIR/attack.sh"
# shellcheck source=test/e2e/userns.sh
. "$E2E_DIR/userns.sh"
e2e_init
userns_init
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"

w=$ATK_HOME/w
mkdir -m 0755 "$w"
chown "$ATK_UID:$ATK_GID" "$w"
# shellcheck disable=SC2016 # expanded by sh
spawn "$w" setpriv --reuid="$ATK_UID" --regid="$ATK_GID" --init-groups \
	--inh-caps=-all --bounding-set=-all -- \
	sh -c 'unshare --user --map-root-user --uts --ipc -- "$0" "$1" "$2"; exit $?' \
	"$USERNS_BIN" "$w" "ck283-$$"
sh_pid=$TARGET_PID
wait_for 20 "READY from the child of $sh_pid" has_line "$w/out" '^(READY|FATAL)' ||
	fail "the target never said READY"
pid=$(sed -n 's/^READY pid=//p' "$w/out")
[[ $(cat "/proc/$sh_pid/task/$sh_pid/children") == "$pid " ]] ||
	fail "the target ($pid) is not sh's ($sh_pid) only child"
track_pid "$pid"
userns_assert_host "$pid"
self_check "$pid" "$w"

# A dump failed while reading the user namespace: the tree runs on.
mkdir "$T/f"
ck_cmd env CKPT_FAULT=dump_userns "$FCKPT" dump --pid "$sh_pid" --images "$T/f/images"
ck_assert_failed "dump with a fault at dump_userns"
assert_dump_left_nothing "$T/f"
assert_not_traced "$sh_pid"
assert_still_fine "$pid" "$w" 0

dump_tree "$sh_pid" "$T/img"
# A restore failed while writing the maps: nothing left, images untouched.
d0=$(image_digest "$T/img")
ck_cmd env CKPT_FAULT=restore_userns_maps "$FCKPT" restore --images "$T/img" --detach
ck_assert_failed "restore with a fault at restore_userns_maps"
for p in "$sh_pid" "$pid"; do
	wait_for 10 "PID $p to be free" is_gone "$p" || fail "process $p left after the failed restore"
done
[[ $(image_digest "$T/img") == "$d0" ]] || fail "the failed restore changed the images"
assert_no_strays

restore_tree "$T/img" "$sh_pid"
[[ " ${TREE_PIDS[*]} " == *" $pid "* ]] || fail "the target $pid is not in the restored tree: ${TREE_PIDS[*]}"
userns_assert_host "$pid"
have=$(userns_host_ids "$sh_pid")
[[ $have == "$(userns_host_ids "$pid")" ]] || fail "sh is '$have' to the host"
[[ $(readlink "/proc/$sh_pid/ns/user") == "$(readlink /proc/self/ns/user)" ]] ||
	fail "sh is not in the host's user namespace"
self_check "$pid" "$w"
[[ $(check_value uid) == 0 && $(check_value owner) == 0 ]] || fail "after the restore: $CHECK_LINE"
# sh still waits for it: its exit is sh's.
kill -TERM "$pid"
wait_for 10 "the target and sh to end" all_gone "$sh_pid" "$pid" || fail "sh or the target still runs"
has_line "$w/out" '^EXIT 42$' || fail "the target did not exit on SIGTERM"
log "PASS: made by its restored parent, the container came back; faults left nothing"
