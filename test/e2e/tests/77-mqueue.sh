#!/bin/bash
# 77-mqueue.sh - POSIX message queues (77-mqueue: a queue at fd 10 and a
# write-only, non-blocking description of it at fd 11, three messages of
# two priorities). Before, a queue was dumped as a regular file '/NAME',
# the process killed, and the restore failed with ENOENT.
#  - named: dump (kills), restore: the queue, which outlived the kill, is
#    opened again by its name; the target reads its messages in order;
#  - unlinked (its name removed): its attributes, mode and messages are
#    saved and it is made again, nameless;
#  both are first dumped with --leave-running: the target finds its
#  messages as they were (ckpt reads them and puts them back);
#  - a queue holding messages with a notification registered (mq_notify:
#    its value cannot be learned, test 105 saves the others) and a full
#    unlinked one are refused with one line naming the fd and the queue,
#    nothing left behind, and the target runs on with its queue as it was.
# An image edited (imgedit) into a queue name with a '/' is refused.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

saved() {
	local mode=$1 w=$T/$1 img=$T/img-$1 name=/ckpt-e2e-77-$$-$1 pid i bad
	start_target "$w" 77-mqueue "$name" "$mode"
	pid=$TARGET_PID
	self_check "$pid" "$w"
	# Read and put back: the target, left running, finds them in order.
	ck_ok dump --pid "$pid" --images "$T/lr-$mode" --leave-running
	self_check "$pid" "$w"
	dump_and_reap "$pid" "$img"
	if [[ $mode == unlinked ]]; then
		i=$("$IMGEDIT" "$img" files.img | sed -n 's/^files\[\([0-9]*\)\]\.mqueue\.has_msgs=1$/\1/p')
		[[ -n $i ]] || fail "no saved messages in files.img"
		bad=$T/bad
		cp -a "$img" "$bad"
		"$IMGEDIT" "$bad" files.img "files[$i].mqueue.name=a/b" || fail "imgedit failed"
		expect_restore_fail "$bad" "$pid" "with a queue name 'a/b'"
		grep -q "images are inconsistent (message queue)" "$CK_ERR" ||
			fail "the refusal does not name the queue: $(ck_err_line)"
	fi
	restore_detached "$img" "$pid"
	self_check "$pid" "$w"
	self_check "$pid" "$w"
	[[ $(check_value msgs) == 3 ]] || fail "$mode: $(check_value msgs) messages after the restore"
	log "$mode: fd 10 is $(readlink "/proc/$pid/fd/10")"
	kill -TERM "$pid"
	wait_for 10 "the restored target to exit" is_gone "$pid" || fail "$pid did not exit"
	[[ ! -e /dev/mqueue/${name#/} ]] || [[ ! -d /dev/mqueue ]] || fail "$name was left behind"
}

refused() {
	local mode=$1 want=$2 w=$T/$1 name=/ckpt-e2e-77-$$-$1 pid
	start_target "$w" 77-mqueue "$name" "$mode"
	pid=$TARGET_PID
	self_check "$pid" "$w"
	mkdir "$T/d-$mode"
	ck_fails "dump of a process with a message queue ($mode)" \
		dump --pid "$pid" --images "$T/d-$mode/images"
	grep -qE "^ckpt: cannot dump $pid: fd 10 is a $want '$name( \(deleted\))?'" "$CK_ERR" ||
		fail "$mode: the error does not name the queue: $(ck_err_line)"
	assert_dump_left_nothing "$T/d-$mode"
	assert_still_fine "$pid" "$w" 0
	kill -TERM "$pid"
	reap "$pid"
	((REAP_STATUS == 42)) || fail "$mode: the target ended with $REAP_STATUS, want 42"
}

saved named
saved unlinked
refused notify "message queue"
refused full "full message queue"
assert_no_strays
