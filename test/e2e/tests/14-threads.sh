#!/bin/bash
# 14-threads.sh - a process with two threads: dump (kills it), restore
# --detach; both threads come back with the same TIDs and names, the second
# thread keeps counting, signals still reach the main thread, and no thread
# is left traced or stopped.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 04-threads
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
tids0=$(cd "/proc/$pid/task" && echo *)
names0=$(cat /proc/"$pid"/task/*/comm | tr '\n' ' ')
dump_and_reap "$pid" "$img"
restore_detached "$img" "$pid"
tids1=$(cd "/proc/$pid/task" && echo *)
names1=$(cat /proc/"$pid"/task/*/comm | tr '\n' ' ')
[[ $tids1 == "$tids0" ]] || fail "threads after restore: $tids1, want $tids0"
[[ $names1 == "$names0" ]] || fail "thread names after restore: $names1, want $names0"
assert_not_traced "$pid"
send_usr1 "$pid" "$w" 2
self_check "$pid" "$w"
[[ $(check_value usr1) == 2 ]] || fail "usr1 count $(check_value usr1) after the restore, want 2"
kill_restored "$pid"
assert_no_strays
