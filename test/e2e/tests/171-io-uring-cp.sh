#!/bin/bash
# 171-io-uring-cp.sh - a copy through io_uring (target 171, in the style
# of liburing's io_uring-cp example, which Debian does not package) dumped
# while idle between two batches: restored, it goes on batch by batch
# from where it was, each SIGUSR1 one more, its ring's indices counting
# on, and the copy it reads back at the end is the source byte for byte
# (and so is dst read from here).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 171-io-uring-cp
pid=$TARGET_PID
has_line "$w/out" '^BATCH 1$' || fail "no first batch: $(head -c 300 "$w/out")"
self_check "$pid" "$w"
[[ $(check_value batches) == 1 ]] || fail "before the dump: $CHECK_LINE"

img=$T/img
dump_tree "$pid" "$img"
restore_tree "$img" "$pid"
self_check "$pid" "$w"
[[ $(check_value batches) == 1 ]] || fail "after the restore: $CHECK_LINE"
for n in 2 3 4; do
	send_usr1 "$pid" "$w" $((n - 1))
	wait_for 10 "batch $n" has_line "$w/out" "^BATCH $n\$" || fail "no batch $n: $(tail -n 3 "$w/out" | tr '\n' ' ')"
done
wait_for 10 "the copy to end" has_line "$w/out" '^(DONE|FATAL)' || fail "the copy did not end"
has_line "$w/out" '^DONE$' || fail "the copy failed: $(grep -m1 '^FATAL' "$w/out")"
self_check "$pid" "$w"
[[ $(check_value batches) == 4 ]] || fail "at the end: $CHECK_LINE"
cmp "$w/src" "$w/dst" || fail "dst differs from src"
kill_tree "${TREE_PIDS[@]}"
