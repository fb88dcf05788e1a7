#!/bin/bash
# 89-requeue-kill.sh - ckpt killed while it gives back the signals it took
# off a queue during `dump --leave-running`, after each signal in turn:
# every signal arrives exactly once, never lost, never twice.
#
# The 89 target's child takes SIGRTMIN+1 by an SA_SIGINFO handler and
# writes "GOT value si_code" for each. For each trial the child is stopped,
# the target sigqueue()s it K signals of distinct values (they stay
# pending), and a FAULT=1 ckpt dumps the child with
# CKPT_FAULT=requeue-kill@N: it SIGKILLs itself once it has given back the
# Nth signal its first remote call into the child took off the queue. N
# walks from 1 until the dump completes (every signal given back). After
# each kill: the child is untraced and stopped again, with the guardian's
# SIGSTOP pending (the guardian sends it after it has given back the
# signals: see dump-guard.c); then it is continued, a SIGRTMIN+3 marker is
# sent (delivered after every pending SIGRTMIN+1, a lower number), and the
# child must have got each of the K values exactly once, as SI_QUEUE.
# And its mappings are those it had before the dump (no scratch page left).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"

K=6
w=$T/w
start_target "$w" 89-requeue "$K"
pid=$TARGET_PID
child=$(sed -n 's/^CHILD pid=//p' "$w/out")
[[ -n $child ]] || fail "no CHILD line from the target"
track_pid "$child"

child_stopped() {
	status_fields "/proc/$child/status"
	[[ $ST_STATE == T && (-z $ST_TRACER || $ST_TRACER == 0) ]]
}

# SIGSTOP (19) pending in the child (the guardian sends it to the thread
# it seized).
stop_pending() {
	local pnd shd
	pnd=$(sed -n 's/^SigPnd:[[:space:]]*//p' "/proc/$child/status")
	shd=$(sed -n 's/^ShdPnd:[[:space:]]*//p' "/proc/$child/status")
	[[ -n $pnd && -n $shd ]] && (((0x$pnd | 0x$shd) & (1 << 18)))
}

# Round R: each of its K values exactly once, as sigqueue() sent it.
round_exact() { # R
	local r=$1 i v n bad=''
	for ((i = 1; i <= K; i++)); do
		v=$((r * 1000 + i))
		n=$(count_lines "$w/out" "^GOT $v ")
		((n == 1)) || bad+=" $v:$n"
	done
	n=$(grep -E "^GOT $r[0-9]{3} " "$w/out" | grep -cvE ' -1$')
	((n == 0)) || bad+=" ($n not SI_QUEUE)"
	[[ -z $bad ]] || {
		log "round $r: value:times$bad"
		return 1
	}
}

round=0 kills=0
for ((n = 1; ; n++)); do
	((n <= K + 1)) || fail "the dump still gives back signals after $K (more than were sent)"
	round=$((round + 1))
	kill -STOP "$child"
	wait_for 10 "the child to stop" child_stopped || fail "the child did not stop"
	sent=$(count_lines "$w/out" '^SENT ')
	kill -USR1 "$pid"
	wait_for 10 "SENT $round" more_lines_than "$w/out" '^SENT ' "$sent" ||
		fail "the target sent no signals"
	maps_before=$(cat "/proc/$child/maps")
	ck_cmd env CKPT_FAULT="requeue-kill@$n" "$FCKPT" dump --pid "$child" --images "$T/d$n" \
		--leave-running
	rm -rf "$T/d$n" "$T"/.d"$n".ckpt-*
	if ((CK_RC == 0)); then
		log "requeue $n: the dump gave back fewer signals and completed"
	else
		((CK_RC == 137)) || fail "requeue $n: the dump failed (exit $CK_RC): $(ck_err_line)"
		kills=$((kills + 1))
	fi
	is_dead "$child" && fail "requeue $n: the child died"
	wait_for 10 "the child to be untraced and stopped" child_stopped ||
		fail "requeue $n: the child is not stopped again (state $ST_STATE, tracer $ST_TRACER)"
	wait_for 10 "SIGSTOP pending in the child (what is given back is)" stop_pending ||
		fail "requeue $n: no SIGSTOP pending in the child"
	marks=$(count_lines "$w/out" '^MARK$')
	kill -CONT "$child"
	kill -s RTMIN+3 "$child"
	wait_for 10 "the marker after round $round" more_lines_than "$w/out" '^MARK$' "$marks" ||
		fail "requeue $n: the child took no marker signal"
	round_exact "$round" || fail "requeue $n: a signal was lost or came twice"
	[[ $(cat "/proc/$child/maps") == "$maps_before" ]] ||
		fail "requeue $n: the child's mappings changed across the killed dump"
	log "requeue $n: every one of $K signals came once"
	((CK_RC == 0)) && break
done
((kills >= 2)) || fail "ckpt was killed only $kills times while giving signals back"
echo "requeue kills: $kills, every signal once"

kill -TERM "$pid"
reap "$pid"
wait_gone "$child"
assert_no_strays
