#!/bin/bash
# 83-unix-scm-refused.sh - a process (82-unix-client --scm) with a file
# descriptor in flight in a socketpair (sent with SCM_RIGHTS, not received
# yet) of a kind ckpt cannot restore with no process holding it (/dev/null,
# a character device, closed by its sender): the dump is refused with one
# line naming the fd and the kind, exit 1, nothing
# left behind, and the process runs on untouched, the descriptor still in
# flight (reading the queue to dump it must not take it).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 82-unix-client --scm
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
[[ $(check_value scm) == ok ]] || fail "no descriptor in flight before the dump"

mkdir "$T/d"
ck_fails "dump with descriptors in flight" dump --pid "$pid" --images "$T/d/images"
grep -Eq "^ckpt: cannot dump $pid: fd [0-9]+ is a unix socket with file descriptors in flight \(SCM_RIGHTS\) of a chardev no process of the tree has open \('/dev/null'\)" "$CK_ERR" ||
	fail "refused with '$(cat "$CK_ERR")'"
assert_dump_left_nothing "$T/d"
assert_still_fine "$pid" "$w" 1
[[ $(check_value scm) == ok ]] || fail "the descriptor in flight is gone after the failed dump"
assert_no_strays "$pid"
