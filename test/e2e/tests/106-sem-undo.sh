#!/bin/bash
# 106-sem-undo.sh - SEM_UNDO adjustments (106-sem-undo: a lock taken with
# SEM_UNDO, +1 at exit, and a semaphore raised with it, -3 at exit).
# Before, they were not saved: the restored process held none, and its
# death left the lock taken.
#  - dump --leave-running: the values and the last operator (GETPID) are
#    as they were; a dump failing where it asks the process (FAULT=1
#    build), and ckpt killed in each remote call of a dump in turn, change
#    nothing; the process's exit then still applies its adjustments;
#  - dump (kills: the kernel applies them), the set removed, restore: made
#    again with the values of the dump, and the restored process's death applies +1 and -3
#    (the lock is free again);
#  - hostile images (an adjustment on a set not in ipc.img, of 0) are
#    refused, nothing left; a restore failing where the process re-makes
#    its adjustments leaves no process and no set.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/robust.sh
. "$(dirname "$0")/../robust.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

ids=()
rm_ids() {
	local id
	for id in "${ids[@]}"; do ipcrm -s "$id" 2>/dev/null; done
	return 0
}
CLEANUP_HOOKS+=(rm_ids)

# values ID: the values of the set's semaphores, space-separated.
values() {
	ipcs -s -i "$1" | awk 'f && NF >= 5 { printf "%s%s", s, $2; s = " " } /^semnum/ { f = 1 }'
}

start() { # WORKDIR
	start_target "$1" 106-sem-undo
	pid=$TARGET_PID
	id=$(sed -n 's/^IDS sem=//p' "$1/out")
	[[ -n $id ]] || fail "no IDS line"
	ids+=("$id")
	self_check "$pid" "$1"
}

# 1. --leave-running, then the process dies: its adjustments still apply.
w=$T/lr
start "$w"
ck_ok dump --pid "$pid" --images "$T/lr-img" --leave-running
self_check "$pid" "$w"
ck_ok show --images "$T/lr-img"
grep -q "SEM_UNDO adjustment 1 on semaphore 0 of System V set $id" "$CK_OUT" ||
	fail "ckpt show does not give the adjustment of semaphore 0"
grep -q "SEM_UNDO adjustment -3 on semaphore 1 of System V set $id" "$CK_OUT" ||
	fail "ckpt show does not give the adjustment of semaphore 1"
# A dump failing where it asks the process: nothing changed.
mkdir "$T/d-fault"
ck_cmd env CKPT_FAULT=dump_sem_undo "$FCKPT" dump --pid "$pid" --images "$T/d-fault/images" --leave-running
ck_assert_failed "dump with a fault at dump_sem_undo"
assert_dump_left_nothing "$T/d-fault"
assert_still_fine "$pid" "$w" 0
# ckpt killed inside each remote call of a dump in turn (as test 98),
# among them every probe: each call runs to its end and changes nothing.
rcall_kill_each "$pid" "$w"
killed=$KILLED
((killed > 32)) || fail "only $killed remote calls: the adjustments were not asked"
log "remote-call kills: $killed, values and last operator as they were after each"
kill -KILL "$pid"
reap "$pid"
[[ $(values "$id") == "1 1" ]] || fail "after the --leave-running dumps, its death left $(values "$id"), want 1 1"

# 2. dump, restore: the restored process holds them again.
w=$T/w
start "$w"
img=$T/img
dump_and_reap "$pid" "$img"
[[ $(values "$id") == "1 1" ]] || fail "the kill left $(values "$id"), want 1 1"
# A private set is made again, not reused (sysv-sem.c).
ipcrm -s "$id" || fail "cannot remove set $id"
core=core-$pid.img
"$IMGEDIT" "$img" "$core" | grep -q '^sem_undo\[1\]\.adj=' || fail "no sem_undo in $core"
bad() { # WHAT FIELD=VALUE...
	local what=$1
	shift
	rm -rf "$T/bad"
	cp -a "$img" "$T/bad"
	"$IMGEDIT" "$T/bad" "$core" "$@" || fail "imgedit $* failed"
	expect_restore_fail "$T/bad" "$pid" "$what"
	grep -q "SEM_UNDO adjustment" "$CK_ERR" || fail "$what: not named: $(ck_err_line)"
}
bad "with an adjustment on another set" "sem_undo[0].semid=$((id + 1))"
bad "with an adjustment of 0" "sem_undo[1].adj=0"
bad "with an adjustment on semaphore 2" "sem_undo[1].num=2"
wait_gone "$pid"
ck_cmd env CKPT_FAULT=restore_sem_undo "$FCKPT" restore --images "$img" --detach
[[ -e /proc/$pid ]] && track_pid "$pid"
ck_assert_failed "restore with a fault at restore_sem_undo"
wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "a process is left after a fault at restore_sem_undo"
values "$id" >/dev/null 2>&1 && [[ -n $(values "$id") ]] && fail "the failed restore left set $id"
restore_detached "$img" "$pid"
self_check "$pid" "$w"
[[ $(values "$id") == "0 4" ]] || fail "after the restore the values are $(values "$id"), want 0 4"
kill -KILL "$pid"
wait_for 10 "the restored target to die" is_dead "$pid" || fail "$pid survived SIGKILL"
values_are() { [[ $(values "$1") == "$2" ]]; }
wait_for 10 "its adjustments to apply" values_are "$id" "1 1" ||
	fail "the restored process's death left $(values "$id"), want 1 1 (its SEM_UNDO adjustments)"
assert_no_strays
