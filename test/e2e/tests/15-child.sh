#!/bin/bash
# 15-child.sh - a process with one child (05-child): dump (kills both),
# restore; both come back with their PIDs, parent link, ids and names, the
# parent's self-check finds its child alive (not exited, not stopped), and
# the child's parent-death signal came back too: killing the restored
# parent kills the child.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 05-child
pid=$TARGET_PID
child=$(sed -n 's/^CHILD pid=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $child ]] || fail "no CHILD line from the target"
track_pid "$child"
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
[[ $(check_value child) == "$child" ]] || fail "child=$(check_value child), want $child"
ids0=$(tree_snapshot "$pid")
names0=$(thread_snapshot "$pid")
[[ $(tree_pids "$pid" | tr '\n' ' ') == "$(printf '%s\n' "$pid" "$child" | sort -n | tr '\n' ' ')" ]] ||
	fail "the tree is $(tree_pids "$pid" | tr '\n' ' '), want $pid and $child"
dump_tree "$pid" "$img"
seq_verify "$w/seq"
m0=$SEQ_N
restore_tree "$img" "$pid"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$pid")"
assert_same "threads (pid tid name)" "$names0" "$(thread_snapshot "$pid")"
assert_in_caller_session "$pid"
assert_tree_not_traced "$pid" "$child"
send_usr1 "$pid" "$w" 2
self_check "$pid" "$w"
[[ $(check_value child) == "$child" ]] || fail "child=$(check_value child) after the restore, want $child"
wait_seq_beyond "$w/seq" $((m0 + 30))
kill_restored "$pid"
wait_for 10 "child $child to die with its parent" is_dead "$child" ||
	fail "child $child survived its parent: parent-death signal not restored ($(describe_pid "$child"))"
wait_tree_gone "$pid" "$child"
seq_verify "$w/seq"
assert_no_strays
