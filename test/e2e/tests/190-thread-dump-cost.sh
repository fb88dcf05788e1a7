#!/bin/bash
# 190-thread-dump-cost.sh - what a dump costs per thread, in counts that
# do not depend on the machine's load, and that each thread's own state
# still comes back exactly.
#
# Two 190-thread-state targets, with 1 and with 129 threads (each with its
# own signal mask, alternate stack, parent-death signal and machine-check
# policy), are dumped under `strace -f -c`; the difference between the two
# counts divided by 128 is what one more thread costs. A dump reads a
# thread's frame (mask, FPU state, shadow stack) once for all its remote
# calls, keeps the thread at its last call's stop between two calls
# instead of parking it after each, and reads the process's mappings once
# for all its threads: one more thread must cost at most 80 ptrace calls
# (110 before) and 6 opens of /proc files (11 or more before). No timing.
# Then the big one is restored: every thread holds what it set, with its
# TID and name.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v strace >/dev/null || fail "strace is not installed (.ci/run installs it)"

MORE=128

# count FILE SYSCALL: the calls strace -c counted (0 if none).
count() {
	awk -v s="$2" '$NF == s { n = $4 } END { print n + 0 }' "$1"
}

# dump_counted NAME THREADS: start a target, dump it under strace -c
# (killed), leave its counts in $T/NAME.strace.
dump_counted() {
	local w=$T/$1 pid
	start_target "$w" 190-thread-state "$2"
	pid=$TARGET_PID
	self_check "$pid" "$w"
	[[ $(check_value threads) == $(($2 + 1)) ]] || fail "threads=$(check_value threads), want $(($2 + 1))"
	DUMPED_PID=$pid DUMPED_W=$w
	DUMPED_THREADS=$(thread_snapshot "$pid")
	DUMPED_IDS=$(tree_snapshot "$pid")
	ck_cmd strace -f -c -o "$T/$1.strace" "$CKPT" dump --pid "$pid" --images "$T/$1.img"
	((CK_RC == 0)) || fail "ckpt dump under strace failed (exit $CK_RC): $(ck_err_line)"
	reap "$pid"
	((REAP_STATUS == 137)) || fail "after the dump $pid ended with status $REAP_STATUS, want 137"
	wait_tree_gone "$pid"
	sed 's/^/  strace: /' "$T/$1.strace" | head -n 12 >&2
}

dump_counted one 1
dump_counted many $((MORE + 1))

for s in ptrace openat read wait4 process_vm_writev; do
	a=$(count "$T/one.strace" "$s") b=$(count "$T/many.strace" "$s")
	per=$(((b - a) / MORE))
	log "$s: $a calls for 1 thread, $b for $((MORE + 1)): $per per thread"
	declare "per_$s=$per"
done
# shellcheck disable=SC2154
((per_ptrace > 0)) || fail "no ptrace calls counted (strace -c output?)"
# shellcheck disable=SC2154
((per_ptrace <= 80)) || fail "$per_ptrace ptrace calls per thread, want at most 80"
# shellcheck disable=SC2154
((per_openat <= 6)) || fail "$per_openat opens per thread, want at most 6"

restore_tree "$T/many.img" "$DUMPED_PID"
assert_same "threads (pid tid name)" "$DUMPED_THREADS" "$(thread_snapshot "$DUMPED_PID")"
assert_same "process ids (pid ppid pgid sid state)" "$DUMPED_IDS" "$(tree_snapshot "$DUMPED_PID")"
assert_not_traced "$DUMPED_PID"
self_check "$DUMPED_PID" "$DUMPED_W"
[[ $(check_value threads) == $((MORE + 2)) ]] || fail "threads=$(check_value threads) after the restore"
log "machine-check policy set and checked: $(check_value mce)"
kill_tree "$DUMPED_PID"
assert_no_strays
