#!/bin/bash
# 58-many-procs.sh - scale: a binary tree of 200 processes, each waiting
# on a futex in shared memory: dump (kills the tree), restore; every PID,
# PPID, PGID, SID and name comes back, and every process answers the root's
# self-check. The dump and restore wall times are in the log.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 58-many-procs 200
root=$TARGET_PID
self_check "$root" "$w"
[[ $(check_value procs) == 200 ]] || fail "procs=$(check_value procs), want 200"
ids0=$(tree_snapshot "$root")
names0=$(thread_snapshot "$root")
(($(wc -l <<<"$ids0") == 200)) || fail "the tree has $(wc -l <<<"$ids0") processes, want 200"
dump_tree "$root" "$img"
restore_tree "$img" "$root"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$root")"
assert_same "threads (pid tid name)" "$names0" "$(thread_snapshot "$root")"
assert_in_caller_session "$root"
assert_tree_not_traced "${TREE_PIDS[@]}"
self_check "$root" "$w"
self_check "$root" "$w"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
