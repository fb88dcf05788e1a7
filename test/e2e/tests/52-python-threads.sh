#!/bin/bash
# 52-python-threads.sh - python3 with five threading.Thread workers updating
# counters under a lock and passing items through a queue.Queue: dump
# (kills it), restore; the same TIDs come back, and the self-check finds
# every thread progressing with its native id and the counters consistent
# (total == sum of the slots, thread-locals, queue accounting); the main
# thread's sequence goes on with no gap.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

need_python
w=$T/w
img=$T/images
start_python "$w" threads.py
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
tids0=$(check_value tids)
total0=$(check_value total)
th0=$(thread_snapshot "$pid")
ids0=$(tree_snapshot "$pid")
dump_tree "$pid" "$img"
seq_verify "$w/seq"
m0=$SEQ_N
restore_tree "$img" "$pid"
assert_same "threads (pid tid name)" "$th0" "$(thread_snapshot "$pid")"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$pid")"
assert_not_traced "$pid"
send_usr1 "$pid" "$w" 2
self_check "$pid" "$w"
[[ $(check_value tids) == "$tids0" ]] || fail "thread ids $(check_value tids), were $tids0"
(($(check_value total) > total0)) || fail "total $(check_value total), was $total0 before the dump"
[[ $(check_value usr1) == 2 ]] || fail "usr1 count $(check_value usr1), want 2"
wait_seq_beyond "$w/seq" $((m0 + 50))
kill_tree "$pid"
seq_verify "$w/seq"
assert_no_strays
