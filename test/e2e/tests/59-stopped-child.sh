#!/bin/bash
# 59-stopped-child.sh - a process whose child, in a process group of its
# own, is stopped (SIGSTOP: a job stopped by its shell; its group is not
# orphaned, so the kernel leaves it stopped). A dump with --leave-running
# leaves the child stopped and not traced; a dump (kills) and restore bring the tree back
# with the child still stopped; SIGCONT then wakes it, and the parent's
# self-check finds it alive and running.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 05-child own-group
pid=$TARGET_PID
child=$(sed -n 's/^CHILD pid=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $child ]] || fail "no CHILD line from the target"
track_pid "$child"
self_check "$pid" "$w"

is_stopped() { [[ $(proc_state "$1") == T ]]; }
is_running() { [[ $(proc_state "$1") == [RS] ]]; }

kill -STOP "$child"
wait_for 10 "child $child to stop" is_stopped "$child" || fail "child $child did not stop"
ck_ok dump --pid "$pid" --images "$T/first" --leave-running
is_stopped "$child" || fail "after dump --leave-running the child is $(describe_pid "$child"), want stopped"
status_fields "/proc/$child/status"
[[ $ST_TRACER == 0 ]] || fail "after dump --leave-running the child is traced by $ST_TRACER"
assert_not_traced "$pid"
ids0=$(tree_snapshot "$pid")
grep -q "^$child $pid .* stopped\$" <<<"$ids0" || fail "the child is not shown stopped: $ids0"

dump_tree "$pid" "$img"
restore_tree "$img" "$pid"
wait_for 10 "restored child $child to stop again" is_stopped "$child" ||
	fail "restored child is $(describe_pid "$child"), want stopped"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$pid")"
assert_not_traced "$pid"
status_fields "/proc/$child/status"
[[ $ST_TRACER == 0 ]] || fail "restored child is traced by $ST_TRACER"
kill -CONT "$child"
wait_for 10 "child $child to run" is_running "$child" || fail "child did not wake: $(describe_pid "$child")"
self_check "$pid" "$w"
[[ $(check_value child) == "$child" ]] || fail "child=$(check_value child), want $child"
kill_tree "$pid" "$child"
assert_no_strays
