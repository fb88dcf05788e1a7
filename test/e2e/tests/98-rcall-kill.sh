#!/bin/bash
# 98-rcall-kill.sh - ckpt killed INSIDE each remote call of a dump, one
# after the other: the thread it was calling into returns to its own
# registers by itself (an rt_sigreturn frame, src/infect-frame.c) and the
# process runs on unchanged.
#
# The FAULT=1 build's CKPT_FAULT=rcall-kill@N has ckpt SIGKILL itself once
# the Nth remote call of `dump --leave-running` is started. N walks from 1
# until a dump has fewer calls (it completes). The 98 target has a thread
# that checks its registers and flags in a loop of its own (rbx, r12-r15,
# xmm, ymm upper halves), one sleeping in clock_nanosleep (restartable,
# through restart_syscall), one blocked in read() on a pipe (restartable),
# a child process, and memory with a pattern. After each kill, within
# bounded waits: nothing is traced or stopped, the self-check passes (no
# register changed, no sleep ended early by the process's own clock, every
# read returned the next number, memory as it was, the child alive) and
# every counter goes on, and its /proc/PID/maps is what it was before the
# dump (the scratch memory of the calls is on the thread's stack: nothing
# is mapped). (A sleep ckpt died in is made again with its own
# arguments, or, in a sleep already restarted once, returns EINTR with the
# time left: the target goes back to sleep with it; see README.)
# Prints "remote-call kills: N tried, N survived"; fails unless equal.
# Then the same with CKPT_FAULT=rcall-kill-away@N: ckpt killed BETWEEN two
# calls of a chain (infect_chain_begin), where the thread waits at the
# last call's syscall-exit stop with its stack pointer at its frame
# rather than parked with its own registers: it must go home the same way
# ("kills between two calls of a chain: N tried, N survived").
# e2e-timeout: 240
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/robust.sh
. "$(dirname "$0")/../robust.sh"
e2e_init

FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"

pid='' child='' w='' targets=0

new_target() {
	targets=$((targets + 1))
	w=$T/w$targets
	start_target "$w" 98-rcall
	pid=$TARGET_PID
	child=$(sed -n 's/^CHILD pid=//p' "$w/out")
	[[ -n $child ]] || fail "no CHILD line from the target"
	track_pid "$child"
	self_check "$pid" "$w"
}

declare -A last
counters=(spin sleeps reads child)

# Like self_check, but 1 instead of a failure (the process may be dying).
try_check() {
	local n
	n=$(count_lines "$w/out" '^CHECK ')
	kill -USR2 "$pid" 2>/dev/null || return 1
	wait_for 10 "CHECK line from $pid" more_lines_than "$w/out" '^CHECK ' "$n" || return 1
	CHECK_LINE=$(grep -E '^CHECK ' "$w/out" | tail -n 1)
	log "$pid: $CHECK_LINE"
	[[ $CHECK_LINE == "CHECK OK"* ]]
}

# Every counter is beyond LAST, or the process is lost (BAD=1): its
# self-check fails or it does not answer.
all_beyond() {
	local k
	BAD=1
	is_dead "$pid" && return 0
	try_check || return 0
	BAD=0
	for k in "${counters[@]}"; do
		(($(check_value "$k") > last[$k])) || return 1
	done
}

remember() {
	local k
	for k in "${counters[@]}"; do
		last[$k]=$(check_value "$k")
	done
}

# One dump killed in its Nth remote call; 0 if the process came through,
# 1 if it was lost, 2 if the dump had fewer calls than N.
trial() { # N
	local n=$1 maps
	maps=$(cat "/proc/$pid/maps")
	ck_cmd env CKPT_FAULT="$kmode@$n" "$FCKPT" dump --pid "$pid" --images "$T/d$n" \
		--leave-running
	rm -rf "$T/d$n" "$T"/.d"$n".ckpt-*
	((CK_RC == 0)) && return 2
	((CK_RC == 137)) || fail "call $n: the dump failed (exit $CK_RC): $(ck_err_line)"
	if is_dead "$pid" || is_dead "$child"; then
		log "call $n: the process or its child died with ckpt"
		return 1
	fi
	wait_for 10 "$pid to run free" runs_free "$pid" || return 1
	wait_for 10 "$child to run free" runs_free "$child" || return 1
	if ! wait_for 10 "the counters of $pid to go on" all_beyond || ((BAD)); then
		log "call $n: the process is dead, wrong or stalled: $CHECK_LINE"
		return 1
	fi
	# Nothing left mapped (the scratch memory is on the thread's stack).
	if [[ $(cat "/proc/$pid/maps") != "$maps" ]]; then
		log "call $n: the mappings of $pid changed:"
		diff <(printf '%s\n' "$maps") "/proc/$pid/maps" >&2
		MAPS_CHANGED=$((MAPS_CHANGED + 1))
	fi
	remember
	return 0
}

new_target
remember
MAPS_CHANGED=0
for kmode in rcall-kill rcall-kill-away; do
	tried=0 survived=0
	for ((n = 1; ; n++)); do
		((n <= 1000)) || fail "more than 1000 remote calls in one dump"
		trial "$n"
		case $? in
		2) break ;;
		0) survived=$((survived + 1)) ;;
		1)
			# Lost: go on with a new target, so that every call is tried.
			kill -KILL "$pid" "$child" 2>/dev/null
			reap "$pid"
			wait_gone "$child"
			new_target
			remember
			;;
		esac
		tried=$((tried + 1))
	done
	if [[ $kmode == rcall-kill ]]; then
		echo "remote-call kills: $tried tried, $survived survived"
		((tried > 0)) || fail "no remote call was tried (the first dump completed)"
		((tried == survived)) || fail "$((tried - survived)) of $tried kills inside a remote call lost the process"
	else
		echo "kills between two calls of a chain: $tried tried, $survived survived"
		((tried > 0)) || fail "no chained call was tried (the first dump completed)"
		((tried == survived)) || fail "$((tried - survived)) of $tried kills between two calls lost the process"
	fi
done
((MAPS_CHANGED == 0)) || fail "$MAPS_CHANGED kills left the process's mappings changed"

# The process is still whole, and a dump of it goes to its end.
ck_ok dump --pid "$pid" --images "$T/last" --leave-running
wait_for 10 "$pid to run free" runs_free "$pid" || fail "$pid is still traced or stopped"
self_check "$pid" "$w"
kill -KILL "$pid" "$child"
reap "$pid"
wait_gone "$child"
assert_no_strays
