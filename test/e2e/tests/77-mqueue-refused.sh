#!/bin/bash
# 77-mqueue-refused.sh - a process holding a POSIX message queue
# (77-mqueue, fd 10, two messages): ckpt does not save queues yet, so the
# dump is refused with one line naming the process, the fd and the queue,
# nothing is left behind, and the target runs on with its queue and both
# messages (its own mq_getattr). Once with the queue's name, once with the
# name removed ("/NAME (deleted)" in /proc, which looks like a deleted
# regular file). Before, the named queue was dumped as a regular file
# (the process killed, the restore failing with ENOENT) and the unlinked
# one was restored as a deleted regular file.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

for mode in named unlinked; do
	w=$T/$mode
	name=/ckpt-e2e-77-$$-$mode
	start_target "$w" 77-mqueue "$name" "$mode"
	pid=$TARGET_PID
	self_check "$pid" "$w"
	[[ $(check_value msgs) == 2 ]] || fail "$mode: $(check_value msgs) messages before the dump"
	mkdir "$T/d-$mode"
	ck_fails "dump of a process with a message queue ($mode)" \
		dump --pid "$pid" --images "$T/d-$mode/images"
	grep -qE "^ckpt: cannot dump $pid: fd 10 is a POSIX message queue '$name( \(deleted\))?' \(not saved yet\)$" "$CK_ERR" ||
		fail "$mode: the error does not name the queue: $(ck_err_line)"
	assert_dump_left_nothing "$T/d-$mode"
	assert_still_fine "$pid" "$w" 0
	[[ $(check_value msgs) == 2 ]] || fail "$mode: $(check_value msgs) messages after the dump"
	kill -TERM "$pid"
	reap "$pid"
	((REAP_STATUS == 42)) || fail "$mode: the target ended with $REAP_STATUS, want 42"
done
assert_no_strays
