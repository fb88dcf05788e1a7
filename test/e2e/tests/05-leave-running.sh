#!/bin/bash
# 05-leave-running.sh - dump --leave-running: the target goes on (same PID, not
# traced, no gap in its sequence, self-check OK); then it is killed and
# restored from those images, and checks itself again.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 01-basic 16
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
send_usr1 "$pid" "$w" 2
self_check "$pid" "$w"
start0=$(proc_starttime "$pid")
ck_ok dump --pid "$pid" --images "$T/images" --leave-running
[[ $(proc_starttime "$pid") == "$start0" ]] || fail "target $pid is gone after dump --leave-running"
is_dead "$pid" && fail "target $pid died after dump --leave-running"
assert_not_traced "$pid"
n=$(wc -l <"$w/seq")
wait_seq_beyond "$w/seq" $((n + 50))
send_usr1 "$pid" "$w" 3
self_check "$pid" "$w"

kill -9 "$pid"
reap "$pid"
wait_gone "$pid"
seq_verify "$w/seq"
m_kill=$SEQ_N
restore_detached "$T/images" "$pid"
self_check "$pid" "$w"
[[ $(check_value usr1) == 2 ]] || fail "restored usr1 count $(check_value usr1), want 2 (as at the dump)"
send_usr1 "$pid" "$w" 3
self_check "$pid" "$w"
wait_seq_beyond "$w/seq" $((m_kill + 30))
kill_restored "$pid"
seq_verify "$w/seq"
assert_no_strays
