#!/bin/bash
# 93-inet-refused.sh - sockets ckpt cannot restore faithfully: the 90-inet
# target with a TCP socket stuck in SYN_SENT at fd 40 (saved: a connect in
# flight is made again at restore) whose SYNs go to a listening socket
# with a socket filter at fd 41 (not saved: the filter would be replaced
# by ckpt's own; a raw ICMP socket is restored now: test 163). The dump
# fails with exit 1 and one line naming fd 41 and why; no image set is
# left behind; the target runs on untouched (not traced nor stopped,
# sequence going on, signals counted, self-check: its other sockets are
# as they were).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
e2e_init

refused() { # MODE EXPECTED-ERROR
	local w=$T/$1 pid
	start_target "$w" 90-inet 4 "$1"
	pid=$TARGET_PID
	send_usr1 "$pid" "$w" 1
	self_check "$pid" "$w"
	mkdir "$T/d-$1"
	ck_fails "dump of a process with a $1 socket" dump --pid "$pid" --images "$T/d-$1/images"
	grep -q -- "$2" "$CK_ERR" || fail "the error does not say '$2': $(ck_err_line)"
	assert_dump_left_nothing "$T/d-$1"
	assert_still_fine "$pid" "$w" 1
	kill_tree "$pid"
}

refused synsent "fd 41 is a TCP socket .* with a socket filter (not supported)"
assert_no_strays
