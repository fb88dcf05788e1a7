#!/bin/bash
# 32-posix-timers.sh - POSIX timers (32-posix-timers): periodic ones
# signalling the process and one thread, an absolute CLOCK_REALTIME one, a
# SIGEV_NONE one, one on the process's CPU clock, a disarmed one. A dump
# --leave-running leaves them as they were; dump (kills), restore: the target's self-check finds every timer under its id
# with its clock, signal, value and target thread (/proc/self/timers
# unchanged), the time left where it should be on its own clocks, and the
# periodic timers still signalling with the right si_value, timer id and
# thread. Then a timer on another thread's CPU clock is refused at dump
# with one line, the target running on.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

ticks() { # more P and T signals than $1 and $2
	self_check "$pid" "$w"
	(($(check_value p) > $1 && $(check_value t) > $2))
}

w=$T/w
img=$T/images
start_target "$w" 32-posix-timers
pid=$TARGET_PID
self_check "$pid" "$w"
timers0=$(cat "/proc/$pid/timers")
log "timers before the dump:"$'\n'"$timers0"
wait_for 20 "P and T to signal" ticks 0 0 || fail "the timers do not signal: $CHECK_LINE"
p0=$(check_value p) t0=$(check_value t)
# Reading the timers leaves them as they were.
ck_ok dump --pid "$pid" --images "$T/first" --leave-running
assert_not_traced "$pid"
assert_same "/proc/PID/timers after dump --leave-running" "$timers0" "$(cat "/proc/$pid/timers")"
wait_for 20 "P and T to signal after dump --leave-running" ticks "$p0" "$t0" ||
	fail "the timers stopped signalling after dump --leave-running: $CHECK_LINE"
p0=$(check_value p) t0=$(check_value t)

# True once $2 ms have passed since the time $1 (now_us).
ms_passed() { (($(now_us) - $1 >= $2 * 1000)); }

dump_tree "$pid" "$img"
# A second while the process does not exist: the CLOCK_REALTIME timer
# must keep its moment, not the time it had left.
t_dump=$(now_us)
wait_for 5 "a second to pass since the dump" ms_passed "$t_dump" 1000
restore_tree "$img" "$pid"
assert_not_traced "$pid"
assert_same "/proc/PID/timers" "$timers0" "$(cat "/proc/$pid/timers")"
self_check "$pid" "$w"
wait_for 20 "P and T to signal after the restore" ticks "$(check_value p)" "$(check_value t)" ||
	fail "the timers stopped signalling after the restore: $CHECK_LINE"
(($(check_value p) > p0 && $(check_value t) > t0)) || fail "the counts went back: $CHECK_LINE"
n=$(wc -l <"$w/seq")
wait_seq_beyond "$w/seq" $((n + 20))
kill_restored "$pid"
assert_no_strays

# Refused: a timer on the CPU clock of a thread of a process of two
# threads (the kernel does not say which thread).
cat >"$T/cpu.c" <<'C'
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
static void *idle(void *a) { for (;;) pause(); return a; }
int main(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	struct itimerspec its = { { 0, 0 }, { 100, 0 } };
	pthread_t th;
	timer_t t;

	if (pthread_create(&th, NULL, idle, NULL) || timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &t) ||
	    timer_settime(t, 0, &its, NULL))
		return 2;
	printf("READY pid=%d\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}
C
cc -pthread -o "$T/cpu" "$T/cpu.c" || fail "cannot build the CPU-clock program"
w2=$T/w2
mkdir -p "$w2"
spawn "$w2" "$T/cpu"
wait_ready "$TARGET_PID" "$w2"
ck_fails "dump of a thread CPU-clock timer" dump --pid "$TARGET_PID" --images "$T/img2"
grep -q "POSIX timer" "$CK_ERR" || fail "the refusal does not name the timer: $(ck_err_line)"
[[ ! -e $T/img2 ]] || fail "the refused dump left $T/img2"
assert_not_traced "$TARGET_PID"
[[ $(proc_state "$TARGET_PID") == S ]] || fail "the refused target is not running: $(describe_pid "$TARGET_PID")"
