#!/bin/bash
# 09-dump-guardian.sh - ckpt SIGKILLed during `dump --leave-running`, at a
# random point once the tree is seized, remote calls included (a thread
# ckpt dies in a call into returns to its own registers by itself:
# src/infect-frame.c; test 98 kills inside each call in turn):
# the dump guardian gives the tree back what ckpt had taken
# (dump-guard.c). The 09 target holds a TCP connection to this shell (and a listening socket),
# a stopped child, a blocked signal pending, and a thread that sends it
# queued real-time signals one at a time. After each kill, within a bounded
# wait: no thread is traced, the child is stopped again, the connection
# carries data both ways (out of repair mode, without ckpt's filter), and
# the real-time count goes on with no signal lost or doubled (a signal ckpt
# dequeued is queued back with its value). At the end the blocked signal
# is still pending and delivered once unblocked.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
# shellcheck source=test/e2e/robust.sh
. "$(dirname "$0")/../robust.sh"
e2e_init

trials=${TRIALS:-6}
w=$T/w c=''
start_target "$w" 09-dump-guardian 128
pid=$TARGET_PID
child=$(sed -n 's/^CHILD pid=//p' "$w/out")
port=$(sed -n 's/^PORT //p' "$w/out")
[[ -n $child && -n $port ]] || fail "no CHILD or PORT line from the target"
track_pid "$child"
tcp_open c 127.0.0.1 "$port"

# ping: one line each way on the connection; RT and BAD from the answer.
ping() {
	local line
	printf 'PING\n' >&"$c" || fail "cannot write to the connection"
	read -r -t 10 -u "$c" line || fail "no answer on the connection (it no longer carries data)"
	[[ $line =~ ^PONG\ rt=([0-9]+)\ bad=([0-9]+)\ pending=([01])$ ]] || fail "answer '$line'"
	RT=${BASH_REMATCH[1]} BAD=${BASH_REMATCH[2]} PENDING=${BASH_REMATCH[3]}
}

rt_beyond() { # N
	ping
	((RT > $1))
}

# Stopped, not traced, every thread.
child_stopped() {
	status_fields "/proc/$child/status"
	[[ $ST_STATE == T && (-z $ST_TRACER || $ST_TRACER == 0) ]]
}

untraced() { # PID
	local t
	for t in /proc/"$1"/task/*; do
		status_fields "$t/status"
		[[ -z $ST_TRACER || $ST_TRACER == 0 ]] || return 1
	done
}

kill -STOP "$child"
wait_for 10 "the child to stop" child_stopped || fail "the child did not stop"
kill -s RTMIN+2 "$pid"
ping
wait_for 10 "real-time signals to flow" rt_beyond "$RT" || fail "the target takes no real-time signal"
((PENDING == 1)) || fail "SIGRTMIN+2 is not pending before the dumps"

# Kill points: a little after the freeze (while the processes' state is
# read by remote calls), once the stopped child is out of its stop with
# its state read, or once every socket is in repair mode.
phases=("froze [0-9]+ processes" "$child: state read by remote calls" "collected their state")
killed=0
for ((i = 0; i < trials; i++)); do
	phase=${phases[RANDOM % 3]}
	bg_ck dump -v --pid "$pid" --images "$T/d$i" --leave-running
	wait_for 60 "ckpt to say '$phase'" has_line "$BG_ERR" "$phase" ||
		is_dead "$BG_PID" || fail "ckpt never said '$phase'"
	# A random point a little after it (not a wait for anything).
	for ((k = RANDOM % 3000; k > 0; k--)); do :; done
	kill -9 "$BG_PID" 2>/dev/null
	bg_wait
	((BG_RC == 137)) && killed=$((killed + 1))
	log "trial $i: ckpt killed after '$phase', exit $BG_RC"
	is_dead "$pid" && fail "trial $i: the target died"
	wait_for 10 "the target to be untraced" untraced "$pid" ||
		fail "trial $i: the target is still traced"
	wait_for 10 "the child to be stopped again" child_stopped ||
		fail "trial $i: the child is not stopped (state $ST_STATE, tracer $ST_TRACER)"
	ping
	last=$RT
	wait_for 10 "the real-time count to go on past $last" rt_beyond "$last" ||
		fail "trial $i: the real-time count stalls at $RT (a signal ckpt took was lost)"
	((BAD == 0)) || fail "trial $i: $BAD real-time signals came twice or out of order"
	((PENDING == 1)) || fail "trial $i: SIGRTMIN+2 is no longer pending"
	rm -rf "$T/d$i" "$T"/.d"$i".ckpt-*
done
((killed > 0)) || fail "ckpt was never killed during a dump (each finished first)"
log "$killed of $trials dumps killed"

printf 'UNBLOCK\n' >&"$c"
read -r -t 10 -u "$c" line || fail "no answer to UNBLOCK"
[[ $line == "UNBLOCKED got=1" ]] || fail "the blocked signal was not delivered once unblocked: '$line'"
assert_not_traced "$pid"
kill -KILL "$child" "$pid"
reap "$pid"
fd_close "$c"
wait_gone "$child"
assert_no_strays
