#!/bin/bash
# 57-many-threads.sh - scale: a process with 500 threads (most in
# FUTEX_WAIT, every tenth in nanosleep): dump (kills it), restore; all 501
# TIDs and thread names come back, and every thread answers the self-check
# with its own TID. The dump and restore wall times are in the log.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 57-many-threads 500
pid=$TARGET_PID
self_check "$pid" "$w"
[[ $(check_value threads) == 501 ]] || fail "threads=$(check_value threads), want 501"
th0=$(thread_snapshot "$pid")
ids0=$(tree_snapshot "$pid")
(($(wc -l <<<"$th0") == 501)) || fail "/proc lists $(wc -l <<<"$th0") threads, want 501"
dump_tree "$pid" "$img"
restore_tree "$img" "$pid"
assert_same "threads (pid tid name)" "$th0" "$(thread_snapshot "$pid")"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$pid")"
assert_not_traced "$pid"
self_check "$pid" "$w"
[[ $(check_value threads) == 501 ]] || fail "threads=$(check_value threads) after the restore, want 501"
self_check "$pid" "$w"
kill_tree "$pid"
assert_no_strays
