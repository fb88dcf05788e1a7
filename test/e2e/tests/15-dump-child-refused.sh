#!/bin/bash
# 15-dump-child-refused.sh - a process with a child is not supported yet: dump
# must refuse it and leave both running, unaffected.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 05-child
pid=$TARGET_PID
child=$(sed -n 's/^CHILD pid=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $child ]] || fail "no CHILD line from the target"
track_pid "$child"
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
mkdir "$T/d"
ck_fails "dump of a process with a child" dump --pid "$pid" --images "$T/d/images"
assert_dump_left_nothing "$T/d"
assert_not_traced "$child"
assert_still_fine "$pid" "$w" 1
[[ $(check_value child) == "$child" ]] || fail "child pid changed"
assert_no_strays "$pid" "$child"
