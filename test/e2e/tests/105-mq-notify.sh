#!/bin/bash
# 105-mq-notify.sh - POSIX message queue notifications (105-mq-notify: fd 10
# registered SIGEV_SIGNAL, SIGUSR1 with sival_int 4242, fd 11 SIGEV_NONE).
# Before, any queue with a notification was refused at dump (its
# sigev_value shows nowhere).
#  - named and unlinked queues: dump --leave-running: the target saw no
#    notification (the one ckpt fired to learn the value was taken back),
#    both are still registered, and a message the test sends brings
#    SIGUSR1 with si_value 4242 and SI_MESGQ (to its handler, or, blocked,
#    to its sigtimedwait); then dump (kills), restore:
#    registered again as they were, and the next message brings 4242 too;
#  - a notification to a thread (SIGEV_THREAD), one on a queue that
#    holds a message and one registered by a process outside the tree are
#    refused with one line, the target untouched and still registered;
#  - a dump failing at the firing step (FAULT=1 build) leaves the target
#    registered, seeing nothing; ckpt killed in each remote call of a dump
#    in turn leaves it registered, and the next message notifies it;
#  - hostile images (signal 9, an unknown kind, a notification on a fd
#    that is not a queue) are refused, nothing left; a restore failing at
#    the registration leaves nothing.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/robust.sh
. "$(dirname "$0")/../robust.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
SEND=$E2E_TARGETS/105-mq-notify

notes_are() { # PID WORKDIR N
	self_check "$1" "$2"
	[[ $(check_value notes) == "$3" && $(check_value pings) == "$3" ]]
}

# send PID WORKDIR N: a message to fd 10 of PID; the target must count
# notification N (and its ping) and pass its check.
send() {
	"$SEND" send "/proc/$1/fd/10" ping || fail "cannot send to the queue of $1"
	wait_for 20 "notification $3 in $1" notes_are "$1" "$2" "$3" ||
		fail "$1 counts $(check_value notes) notifications and $(check_value pings) pings, want $3"
}

saved() {
	local how=$1 w=$T/$1 img=$T/img-$1 name=/ckpt-e2e-105-$$-$1 pid
	start_target "$w" 105-mq-notify "$name" "$how"
	pid=$TARGET_PID
	self_check "$pid" "$w"
	ck_ok dump --pid "$pid" --images "$T/lr-$how" --leave-running
	self_check "$pid" "$w"
	[[ $(check_value notes) == 0 ]] || fail "$how: the target saw the dump's notification"
	[[ $(check_value usr1) == 0 ]] || fail "$how: the target got a SIGUSR1 from the dump"
	ck_ok show --images "$T/lr-$how"
	grep -q "message queue notification on fd 10: signal 10 value 0x1092" "$CK_OUT" ||
		fail "$how: ckpt show does not give the notification with 4242"
	send "$pid" "$w" 1
	dump_and_reap "$pid" "$img"
	restore_detached "$img" "$pid"
	self_check "$pid" "$w"
	[[ $(check_value notes) == 1 ]] || fail "$how: $(check_value notes) notifications after the restore"
	send "$pid" "$w" 2
	send "$pid" "$w" 3
	kill -TERM "$pid"
	wait_for 10 "the restored target to exit" is_gone "$pid" || fail "$pid did not exit"
}

refused() {
	local how=$1 want=$2 w=$T/$1 name=/ckpt-e2e-105-$$-$1 pid
	start_target "$w" 105-mq-notify "$name" "$how"
	pid=$TARGET_PID
	self_check "$pid" "$w"
	mkdir "$T/d-$how"
	ck_fails "dump of a process with a notification ($how)" \
		dump --pid "$pid" --images "$T/d-$how/images"
	grep -qE "^ckpt: cannot dump $pid: fd 10 is a message queue '$name-a' with a notification registered \(mq_notify\) $want" "$CK_ERR" ||
		fail "$how: the error does not say why: $(ck_err_line)"
	assert_dump_left_nothing "$T/d-$how"
	assert_still_fine "$pid" "$w" 0
	kill -TERM "$pid"
	reap "$pid"
	((REAP_STATUS == 42)) || fail "$how: the target ended with $REAP_STATUS, want 42"
}

saved named
saved unlinked
saved blocked
refused thread "to a thread"
refused msgs "while it holds messages"

# A registration made by a process outside the tree on a queue of the
# tree: refused, naming that process.
w=$T/outside
name=/ckpt-e2e-105-$$-outside
start_target "$w" 105-mq-notify "$name" outside
pid=$TARGET_PID
mkdir -p "$T/own"
spawn "$T/own" "$SEND" own "/proc/$pid/fd/11"
owner=$TARGET_PID
wait_ready "$owner" "$T/own"
grep -q "NOTIFY_PID:$owner" "/proc/$pid/fd/11" || fail "no registration by $owner"
mkdir "$T/d-outside"
ck_fails "dump of a queue with a notification from outside" \
	dump --pid "$pid" --images "$T/d-outside/images"
grep -qE "^ckpt: cannot dump $pid: fd 11 is a message queue '$name-b' with a notification registered \(mq_notify\) by process $owner, outside the tree" "$CK_ERR" ||
	fail "the error does not name the outside process: $(ck_err_line)"
assert_dump_left_nothing "$T/d-outside"
assert_still_fine "$pid" "$w" 0
grep -q "NOTIFY_PID:$owner" "/proc/$pid/fd/11" || fail "the outside registration is gone"
kill -TERM "$pid" "$owner"
reap "$pid"
reap "$owner"

# A dump failing where it fires the notification: nothing fired, the
# target still registered (its check reads the queue's status line).
w=$T/fault
start_target "$w" 105-mq-notify "/ckpt-e2e-105-$$-fault" named
pid=$TARGET_PID
self_check "$pid" "$w"
mkdir "$T/d-fault"
ck_cmd env CKPT_FAULT=dump_mq_notify "$FCKPT" dump --pid "$pid" --images "$T/d-fault/images" --leave-running
ck_assert_failed "dump with a fault at dump_mq_notify"
grep -q "cannot fire the notification" "$CK_ERR" || fail "the fault is not reported: $(ck_err_line)"
assert_dump_left_nothing "$T/d-fault"
assert_still_fine "$pid" "$w" 0
[[ $(check_value notes) == 0 ]] || fail "the failed dump fired a notification"
send "$pid" "$w" 1

# Hostile images.
img=$T/img-fault
dump_and_reap "$pid" "$img"
core=core-$pid.img
"$IMGEDIT" "$img" "$core" | grep -q '^mq_notify\[0\]\.fd=' || fail "no mq_notify in $core"
i=$("$IMGEDIT" "$img" "$core" | sed -n 's/^mq_notify\[\([0-9]\)\]\.notify=0$/\1/p')
[[ -n $i ]] || fail "no SIGEV_SIGNAL notification in $core"
bad() { # WHAT FIELD=VALUE...
	local what=$1
	shift
	rm -rf "$T/bad"
	cp -a "$img" "$T/bad"
	"$IMGEDIT" "$T/bad" "$core" "$@" || fail "imgedit $* failed"
	expect_restore_fail "$T/bad" "$pid" "$what"
}
bad "with a notification by SIGKILL" "mq_notify[$i].signo=9"
grep -q "message queue notification" "$CK_ERR" || fail "signal 9 not named: $(ck_err_line)"
bad "with a notification of kind 7" "mq_notify[$i].notify=7"
bad "with a notification on fd 0" "mq_notify[$i].fd=0"
grep -q "is not a message queue" "$CK_ERR" || fail "fd 0 not refused: $(ck_err_line)"
wait_gone "$pid"
ck_cmd env CKPT_FAULT=restore_mq_notify "$FCKPT" restore --images "$img" --detach
[[ -e /proc/$pid ]] && track_pid "$pid"
ck_assert_failed "restore with a fault at restore_mq_notify"
wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "a process is left after a fault at restore_mq_notify"
# The pristine images still restore, registered.
restore_detached "$img" "$pid"
send "$pid" "$w" 2

# ckpt killed inside each remote call of a --leave-running dump in turn
# (CKPT_FAULT=rcall-kill@N, as test 98), among them the ones that take the
# fired signal off the queue and register again: each time the target runs
# free, is registered (its check reads the status line; after a
# notification the guardian gave back it registers itself again), and the
# next message brings a notification with 4242.
pinged() { # PID WORKDIR PINGS
	self_check "$1" "$2"
	[[ $(check_value pings) == "$3" ]]
}
ping_after() { # N
	local p
	p=$(check_value pings)
	"$SEND" send "/proc/$pid/fd/10" ping || fail "cannot send to the queue of $pid"
	wait_for 20 "ping $((p + 1)) in $pid" pinged "$pid" "$w" $((p + 1)) ||
		fail "call $1: the message brought no notification ($CHECK_LINE)"
	log "call $1: $CHECK_LINE"
}
rcall_kill_each "$pid" "$w" ping_after
killed=$KILLED
((killed > 0)) || fail "no remote call was tried"
# busy: notified while registered again, a signal given back twice (ckpt
# killed in the call that takes it off the queue of a thread that does not
# block it: the kernel delivers it, and the guardian gives it back unless
# the process registered again first; see README).
log "remote-call kills: $killed, the target registered after each ($(check_value busy) double)"
kill -TERM "$pid"
wait_for 10 "the restored target to exit" is_gone "$pid" || fail "$pid did not exit"
assert_no_strays
