#!/bin/bash
# 10-dump-no-such-pid.sh - dump of a PID that does not exist fails cleanly
# and leaves nothing behind.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

pid_max=$(cat /proc/sys/kernel/pid_max)
pid=$((pid_max - 1))
while [[ -e /proc/$pid ]]; do pid=$((pid - 1)); done
mkdir "$T/d"
ck_fails "dump of nonexistent PID $pid" dump --pid "$pid" --images "$T/d/images"
assert_dump_left_nothing "$T/d"
ck_fails "dump of PID 0" dump --pid 0 --images "$T/d/images"
assert_dump_left_nothing "$T/d"
assert_no_strays
