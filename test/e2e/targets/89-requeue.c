/*
 * 89-requeue.c - real-time signals a dump takes off a stopped process's
 * queue, to be counted one by one once it goes on.
 *
 * Usage: 89-requeue WORKDIR K
 *
 * The target forks a child ("CHILD pid=N") that takes SIGRTMIN+1 and
 * SIGRTMIN+3 with an SA_SIGINFO handler and otherwise sits in pause().
 * For each SIGRTMIN+1 the child writes "GOT v c" (v its sigqueue() value,
 * c its si_code), for each SIGRTMIN+3 "MARK", one write each, to the out
 * file. Each SIGUSR1 to the target makes it send the child K SIGRTMIN+1
 * by sigqueue(), values ROUND*1000+1 .. ROUND*1000+K (ROUND counts the
 * SIGUSR1 from 1), then write "SENT ROUND". The test stops the child
 * first, so that the K signals are pending when a dump seizes it and taken
 * off its queue by the dump's first remote call into it.
 */
#include "target.h"

#include <sys/prctl.h>

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	char buf[64];
	int n;

	(void)uc;
	if (sig == SIGRTMIN + 3)
		n = snprintf(buf, sizeof(buf), "MARK\n");
	else
		n = snprintf(buf, sizeof(buf), "GOT %ld %d\n", (long)si->si_value.sival_ptr,
			     si->si_code);
	t_write_all(1, buf, (size_t)n);
}

static _Noreturn void child_main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN + 1, &sa, NULL) || sigaction(SIGRTMIN + 3, &sa, NULL))
		_exit(2);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	sigset_t none, ours;
	int k, rounds = 0;
	pid_t child;

	t_init(argc, argv);
	k = argc > 2 ? atoi(argv[2]) : 6;
	if (k < 1 || k > 30)
		t_fatal("K must be 1..30");
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0)
		child_main();
	t_log("CHILD pid=%d", (int)child);
	/* Flags tested with the signals blocked, then waited for by
	 * sigsuspend(): none is missed between the test and the wait. */
	sigemptyset(&none);
	sigemptyset(&ours);
	sigaddset(&ours, SIGUSR1);
	sigaddset(&ours, SIGUSR2);
	sigaddset(&ours, SIGTERM);
	sigprocmask(SIG_SETMASK, &ours, &t_blocked);
	t_log("READY pid=%d", (int)getpid());
	while (!t_term_requested) {
		if (t_check_requested) {
			t_check_requested = 0;
			t_log("CHECK OK rounds=%d", rounds);
		}
		while (rounds < t_usr1_count) {
			rounds++;
			for (int i = 1; i <= k; i++) {
				union sigval v = { .sival_ptr = (void *)(long)(rounds * 1000 + i) };

				if (sigqueue(child, SIGRTMIN + 1, v))
					t_fatal("sigqueue");
			}
			t_log("SENT %d", rounds);
		}
		sigsuspend(&none);
	}
	kill(child, SIGKILL);
	t_log("EXIT %d", TARGET_EXIT_STATUS);
	return TARGET_EXIT_STATUS;
}
