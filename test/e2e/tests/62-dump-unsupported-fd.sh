#!/bin/bash
# 62-dump-unsupported-fd.sh - a process holding an fd ckpt does not
# restore (a pidfd of its parent, outside the tree, at fd 9): dump fails
# with exit 1 and one line naming the fd, its kind and the process; no image set is left behind; the process runs on
# untouched (not traced, not stopped, sequence going on, signals counted).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 62-pidfd
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
mkdir "$T/d"
ck_fails "dump of a process holding a pidfd" dump --pid "$pid" --images "$T/d/images"
grep -q "fd 9 is a pidfd of process $$, which is not in the tree" "$CK_ERR" ||
	fail "the error does not name fd 9, its kind and the process: $(ck_err_line)"
assert_dump_left_nothing "$T/d"
assert_still_fine "$pid" "$w" 1
assert_no_strays "$pid"
