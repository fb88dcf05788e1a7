#!/bin/bash
# 08-python-bigdata.sh - python3 holding ~200 MB of lists, dicts, strings and
# a bytearray: dump (to /dev/shm), restore; everything compares equal to a
# fresh rebuild.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

need_python
new_tmp shm /dev/shm
w=$T/w
start_python "$w" bigdata.py
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
# shellcheck disable=SC2154 # set by new_tmp
dump_and_reap "$pid" "$shm/images"
restore_detached "$shm/images" "$pid"
self_check "$pid" "$w" 60
[[ $(check_value usr1) == 1 ]] || fail "usr1 count $(check_value usr1), want 1"
seq_verify "$w/seq"
wait_seq_beyond "$w/seq" $((SEQ_N + 20))
kill_restored "$pid"
assert_no_strays
