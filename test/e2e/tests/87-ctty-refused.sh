#!/bin/bash
# 87-ctty-refused.sh - a session leader whose controlling terminal is a
# pty of the tree but who holds no fd on its slave (87-ctty): the restore
# could not give the terminal back, so the dump is refused with one line,
# nothing is left behind, and the target runs on with its terminal (its
# own TIOCGSID and /dev/tty). Before, it came back without a controlling
# terminal.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 87-ctty
pid=$TARGET_PID
self_check "$pid" "$w"
(($(proc_stat_field "$pid" 7) != 0)) || fail "the target has no controlling terminal"
mkdir "$T/d"
ck_fails "dump of a session leader with no fd on its terminal" dump --pid "$pid" --images "$T/d/images"
grep -qE "^ckpt: cannot dump $pid: its controlling terminal, /dev/pts/[0-9]+ of the tree, is open in none of its fds \(it would come back without it\)$" "$CK_ERR" ||
	fail "the error does not name the terminal: $(ck_err_line)"
assert_dump_left_nothing "$T/d"
assert_still_fine "$pid" "$w" 0
kill -9 "$pid"
reap "$pid"
assert_no_strays
