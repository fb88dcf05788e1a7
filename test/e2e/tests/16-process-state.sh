#!/bin/bash
# 16-process-state.sh - itimer, soft rlimit, sigaltstack, comm, personality,
# timer slack and queued pending signals survive dump (kills) and restore:
# the target checks each itself after the restore.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 06-procstate
pid=$TARGET_PID
dump_and_reap "$pid" "$img"
restore_detached "$img" "$pid"
self_check "$pid" "$w"
[[ $(cat "/proc/$pid/comm") == ckpt-state ]] || fail "comm after restore: $(cat "/proc/$pid/comm")"
kill_restored "$pid"
assert_no_strays
