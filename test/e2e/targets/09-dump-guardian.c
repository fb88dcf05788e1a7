/*
 * 09-dump-guardian.c - what a dump takes from a process, and gives back
 * even if ckpt is killed during it.
 *
 * Usage: 09-dump-guardian WORKDIR MIB
 *
 * Set up before READY:
 *   - MIB MiB of memory written (a dump that takes some time);
 *   - a child in pause() ("CHILD pid=N"), for the test to SIGSTOP;
 *   - SIGRTMIN+2 blocked (the test sends it: it must stay pending);
 *   - a thread that sends the process SIGRTMIN+1 by sigqueue(), value
 *     1, 2, 3, ..., the next only once the handler took the last one: a
 *     signal lost (taken off the queue and never given back) stalls the
 *     count for good, one given back twice or out of order counts as bad;
 *   - a TCP server on 127.0.0.1 ("PORT p"); it serves one client.
 * Then the main thread answers each line of the client:
 *   "PING"    -> "PONG rt=N bad=B pending=0|1" (N signals taken, B wrong
 *                ones, whether SIGRTMIN+2 is pending);
 *   "UNBLOCK" -> unblocks SIGRTMIN+2, "UNBLOCKED got=0|1".
 */
#include "target.h"

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>

static _Atomic unsigned long rt_got, rt_bad;
static volatile sig_atomic_t blocked_got;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code != SI_QUEUE || (unsigned long)si->si_value.sival_ptr != rt_got + 1)
		rt_bad++;
	else
		rt_got++;
}

static void on_blocked(int sig)
{
	(void)sig;
	blocked_got = 1;
}

static void *sender(void *arg)
{
	struct timespec tick = { 0, 1000000 };
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (unsigned long n = 1;; n++) {
		union sigval v = { .sival_ptr = (void *)n };

		if (sigqueue(t_pid, SIGRTMIN + 1, v))
			t_fatal("sigqueue");
		while (rt_got + rt_bad < n)
			nanosleep(&tick, NULL);
	}
	return NULL;
}

static void serve(int c)
{
	char buf[256], out[128];
	size_t have = 0;

	for (;;) {
		struct pollfd p = { c, POLLIN, 0 };
		char *nl;
		ssize_t n;

		if (poll(&p, 1, -1) < 0)
			continue; /* EINTR: the signals */
		n = read(c, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			exit(0);
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (!strcmp(buf, "PING")) {
				sigset_t pend;

				sigpending(&pend);
				snprintf(out, sizeof(out), "PONG rt=%lu bad=%lu pending=%d\n",
					 rt_got, rt_bad, sigismember(&pend, SIGRTMIN + 2));
			} else if (!strcmp(buf, "UNBLOCK")) {
				sigset_t s;

				sigemptyset(&s);
				sigaddset(&s, SIGRTMIN + 2);
				sigprocmask(SIG_UNBLOCK, &s, NULL);
				snprintf(out, sizeof(out), "UNBLOCKED got=%d\n", (int)blocked_got);
			} else {
				snprintf(out, sizeof(out), "WHAT\n");
			}
			t_write_all(c, out, strlen(out));
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have + 1);
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct sigaction sa;
	pthread_t th;
	sigset_t s;
	size_t len;
	char *mem;
	pid_t child, parent;
	int l, c;

	t_init(argc, argv);
	len = (size_t)atoi(argc > 2 ? argv[2] : "16") << 20;
	mem = malloc(len);
	if (!mem)
		t_fatal("malloc");
	for (size_t i = 0; i < len; i += 4096)
		mem[i] = (char)(i >> 12);
	parent = getpid();
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(1);
		for (;;)
			pause();
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	if (sigaction(SIGRTMIN + 1, &sa, NULL))
		t_fatal("sigaction");
	t_handle(SIGRTMIN + 2, on_blocked);
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen))
		t_fatal("listen");
	if (pthread_create(&th, NULL, sender, NULL))
		t_fatal("pthread_create");
	t_log("CHILD pid=%d", (int)child);
	t_log("PORT %d", ntohs(a.sin_port));
	t_log("READY pid=%d", (int)getpid());
	do
		c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
	if (c < 0)
		t_fatal("accept");
	serve(c);
	return 0;
}
