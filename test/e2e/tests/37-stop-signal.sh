#!/bin/bash
# 37-stop-signal.sh - a child in a process group of its own (a job)
# stopped by SIGTSTP, its parent not yet told (it waited with WNOWAIT).
# Dump (kills), restore: the child is stopped again, and the parent's
# waitpid(WUNTRACED) then says it was SIGTSTP that stopped it, not
# SIGSTOP; SIGCONT wakes it.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

cat >"$T/job.c" <<'C'
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	sigset_t set;
	siginfo_t si;
	pid_t child;
	int sig, st;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	child = fork();
	if (child == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(child, child);
	kill(child, SIGTSTP);
	if (waitid(P_PID, child, &si, WSTOPPED | WNOWAIT))
		return 2;
	printf("CHILD pid=%d\nREADY pid=%d\n", child, getpid());
	fflush(stdout);
	for (;;) {
		sigwait(&set, &sig);
		if (waitpid(child, &st, WUNTRACED | WNOHANG) == child && WIFSTOPPED(st))
			printf("STOP %d\n", WSTOPSIG(st));
		else
			printf("STOP none\n");
		fflush(stdout);
	}
}
C
cc -o "$T/job" "$T/job.c" || fail "cannot build the job program"
w=$T/w
mkdir -p "$w"
spawn "$w" "$T/job"
pid=$TARGET_PID
wait_ready "$pid" "$w"
child=$(sed -n 's/^CHILD pid=\([0-9]*\)$/\1/p' "$w/out")
track_pid "$child"
is_stopped() { [[ $(proc_state "$1") == T ]]; }
is_running() { [[ $(proc_state "$1") == [RS] ]]; }
is_stopped "$child" || fail "the child is not stopped: $(describe_pid "$child")"

dump_tree "$pid" "$T/images"
restore_tree "$T/images" "$pid"
wait_for 10 "the child to stop again" is_stopped "$child" ||
	fail "the restored child is $(describe_pid "$child"), want stopped"
kill -USR2 "$pid"
wait_for 10 "the parent's answer" has_line "$w/out" '^STOP ' || fail "no answer from the parent"
line=$(grep -m1 '^STOP ' "$w/out")
[[ $line == "STOP 20" ]] ||
	fail "the parent sees its child stopped by '${line#STOP }', want SIGTSTP (20)"
kill -CONT "$child"
wait_for 10 "the child to run" is_running "$child" || fail "SIGCONT did not wake the child"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
