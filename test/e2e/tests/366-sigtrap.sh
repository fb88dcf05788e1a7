#!/bin/bash
# 366-sigtrap.sh - a process's SIGTRAP action and its threads' masks come
# back exactly (lane sigtrap). The restore's remote calls are stepped and
# each trap is a forced SIGTRAP: on a process that blocks or ignores it,
# the kernel resets the action to SIG_DFL and unblocks it (the bug this
# test was written for: a handler or SIG_IGN came back as SIG_DFL).
# 366-sigtrap has three threads: one blocks SIGTRAP (and SIGWINCH), one
# only SIGURG, the main thread only SIGPWR; SIGTRAP has a handler
# (SA_SIGINFO|SA_ONSTACK|SA_NODEFER and a mask) in one run, SIG_IGN in the
# other. After a dump --leave-running and after a dump and restore, the
# kernel's action (as the process reads it) and each thread's own
# pthread_sigmask are exactly as before, and a raise(SIGTRAP) in the main
# thread still runs the handler (its counter goes up) or is ignored.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

answered() { [[ -e $1/ans.$2 ]]; }

# ask W GEN: the process in W writes answer GEN.
ask() {
	touch "$1/go.$2"
	wait_for 20 "the target to answer ($2)" answered "$1" "$2" ||
		fail "answer $2 missing (a SIGTRAP of its own kills it if its action is lost): $(describe_pid "$pid")"
}

# same_state W GEN WHAT: answer GEN's action and masks are answer 1's.
same_state() {
	assert_same "$3: SIGTRAP's action and the threads' masks" \
		"$(grep -v '^count ' "$1/ans.1")" "$(grep -v '^count ' "$1/ans.$2")"
}

# count_is W GEN N
count_is() {
	local got
	got=$(sed -n 's/^count //p' "$1/ans.$2")
	[[ $got == "$3" ]] || fail "answer $2: the handler ran for $got SIGTRAPs, want $3"
}

for mode in handler ignore; do
	w=$T/$mode
	img=$T/images-$mode
	start_target "$w" 366-sigtrap "$mode"
	pid=$TARGET_PID
	[[ $(ls "/proc/$pid/task" | wc -l) == 3 ]] || fail "$mode: the target has not three threads"
	ask "$w" 1
	# The state is what the target says it set (a test of the target):
	# SIGTRAP is bit 4 (0x10), SIGWINCH 0x8000000, SIGURG 0x400000,
	# SIGPWR 0x20000000; SIGUSR2 (0x800) in the handler's mask, glibc
	# adds SA_RESTORER (0x4000000).
	grep -qx 'mask blocks 8000010' "$w/ans.1" || fail "$mode: thread blocks: $(grep blocks "$w/ans.1")"
	grep -qx 'mask open 400000' "$w/ans.1" || fail "$mode: thread open: $(grep open "$w/ans.1")"
	grep -qx 'mask main 20000000' "$w/ans.1" || fail "$mode: main: $(grep main "$w/ans.1")"
	if [[ $mode == handler ]]; then
		grep -qE '^action [0-9a-f]+ 4c000004 [0-9a-f]+ 800$' "$w/ans.1" ||
			fail "handler: $(grep action "$w/ans.1")"
		grep -q '^action 0 ' "$w/ans.1" && fail "handler: no handler"
		count_is "$w" 1 1
	else
		grep -qE '^action 1 ' "$w/ans.1" || fail "ignore: $(grep action "$w/ans.1")"
		count_is "$w" 1 0
	fi

	ck_ok dump --pid "$pid" --images "$img.live" --leave-running
	ask "$w" 2
	same_state "$w" 2 "$mode, after dump --leave-running"
	count_is "$w" 2 "$([[ $mode == handler ]] && echo 2 || echo 0)"

	dump_tree "$pid" "$img"
	restore_tree "$img" "$pid"
	ask "$w" 3
	same_state "$w" 3 "$mode, after dump and restore"
	count_is "$w" 3 "$([[ $mode == handler ]] && echo 3 || echo 0)"
	[[ $(ls "/proc/$pid/task" | wc -l) == 3 ]] || fail "$mode: the restored target has not three threads"
	kill_restored "$pid"
done
assert_no_strays
