#!/bin/bash
# 67-predump-busy.sh - pre-dumps of a process that writes its memory all
# the time (67-busy: a thread rewriting random pages without a pause). A
# pre-dump lets the process go on as soon as it has armed the tracking, and
# copies its pages while it runs: whatever the process writes meanwhile
# must be in the next dump. Three pre-dumps, a final dump on the last,
# restore: every page holds what the process recorded, and it writes on.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 67-busy 64
pid=$TARGET_PID
self_check "$pid" "$w"

ck_ok pre-dump --pid "$pid" --images "$T/d1"
ck_ok pre-dump --pid "$pid" --images "$T/d2" --parent "$T/d1"
ck_ok pre-dump --pid "$pid" --images "$T/d3" --parent "$T/d2"
self_check "$pid" "$w"
before=$(check_value writes)
ck_ok dump --pid "$pid" --images "$T/d4" --parent "$T/d3"
reap "$pid"
wait_gone "$pid"

restore_detached "$T/d4" "$pid"
self_check "$pid" "$w"
after=$(check_value writes)
((after > before)) || fail "writes=$after after the restore, $before before the dump"
self_check "$pid" "$w"
(($(check_value writes) > after)) || fail "the writer did not go on after the restore"
kill_restored "$pid"
assert_no_strays
