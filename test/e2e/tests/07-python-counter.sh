#!/bin/bash
# 07-python-counter.sh - python3 writing a counter to a file (flushed every
# iteration): dump, restore; the counter goes on with no gap, SIGUSR1s are
# still counted, self-check OK.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

need_python
w=$T/w
start_python "$w" counter.py
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
send_usr1 "$pid" "$w" 2
wait_seq_beyond "$w/seq" 20
self_check "$pid" "$w"
id0=$(proc_identity "$pid")
dump_and_reap "$pid" "$T/images"
seq_verify "$w/seq"
m0=$SEQ_N
restore_detached "$T/images" "$pid"
[[ $(proc_identity "$pid") == "$id0" ]] || fail "restored process differs: $(proc_identity "$pid"), was $id0"
send_usr1 "$pid" "$w" 3
self_check "$pid" "$w"
wait_seq_beyond "$w/seq" $((m0 + 50))
kill_restored "$pid"
seq_verify "$w/seq"
assert_no_strays
