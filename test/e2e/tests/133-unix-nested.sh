#!/bin/bash
# 133-unix-nested.sh - unix sockets in flight in unix sockets in flight
# (133-unix-nested N): a chain of seqpacket sockets, each only in flight
# in the queue of the one before, with a record in each. Four deep:
# dump (kills it), restore, and the process receives down the chain:
# every record and every socket comes back, in order. Six deep: the dump
# is refused with one line (nested more than 4 deep), and the process
# runs on with its chain untouched.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 133-unix-nested 4
pid=$TARGET_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$img"
restore_detached "$img" "$pid"
self_check "$pid" "$w"
touch "$w/consume"
self_check "$pid" "$w"
[[ $(check_value depth) == 4 && $(check_value consumed) == 1 ]] ||
	fail "went $(check_value depth) deep down the chain, want 4"
kill_restored "$pid"

w=$T/deep
start_target "$w" 133-unix-nested 6
pid=$TARGET_PID
self_check "$pid" "$w"
mkdir "$T/d"
ck_fails "dump of sockets in flight 6 deep" dump --pid "$pid" --images "$T/d/images"
grep -Eq "^ckpt: cannot dump $pid: fd [0-9]+ is a unix socket with file descriptors in flight \(SCM_RIGHTS\) nested more than 4 deep" "$CK_ERR" ||
	fail "refused with '$(ck_err_line)'"
assert_dump_left_nothing "$T/d"
assert_still_fine "$pid" "$w" 0
touch "$w/consume"
self_check "$pid" "$w"
[[ $(check_value depth) == 6 ]] || fail "the chain is not whole after the failed dump"
kill -TERM "$pid"
wait_for 10 "the target to exit" is_gone "$pid" || fail "$pid did not exit"
assert_no_strays
