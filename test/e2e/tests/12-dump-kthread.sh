#!/bin/bash
# 12-dump-kthread.sh - dump of a kernel thread (PID 2, kthreadd) fails cleanly.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

[[ $(cat /proc/2/comm 2>/dev/null) == kthreadd ]] || skip "PID 2 is not kthreadd here"
mkdir "$T/d"
ck_fails "dump of kthreadd" dump --pid 2 --images "$T/d/images"
assert_dump_left_nothing "$T/d"
[[ $(proc_state 2) != [tT] ]] || fail "kthreadd left stopped"
assert_no_strays
