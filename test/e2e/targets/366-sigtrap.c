// SPDX-License-Identifier: GPL-2.0
/*
 * 366-sigtrap: a process of three threads and its SIGTRAP: a handler
 * (SA_SIGINFO | SA_ONSTACK | SA_NODEFER, with a mask) in mode "handler",
 * SIG_IGN in mode "ignore". Thread "blocks" blocks SIGTRAP (and SIGWINCH),
 * thread "open" blocks only SIGURG, the main thread blocks SIGPWR.
 *
 * Usage: 366-sigtrap WORKDIR handler|ignore. Prints "READY pid=N". When
 * WORKDIR/go.G appears (G = 1, 2, ...), every thread reads its own mask
 * (pthread_sigmask), then the main thread, where SIGTRAP is not blocked,
 * raises SIGTRAP, and writes to WORKDIR/ans.G (a temporary name renamed):
 *
 *     action HANDLER FLAGS RESTORER MASK   the kernel's (raw rt_sigaction)
 *     mask main|blocks|open HEX            each thread's own view
 *     count N                              SIGTRAPs its handler ran for
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct ksa {
	uint64_t handler, flags, restorer, mask;
};

struct worker {
	const char *name;
	int blocked[2];
	uint64_t mask; /* its own view, for answer gen */
	int gen;
};

static volatile sig_atomic_t traps;
static int want;
static struct worker workers[2] = {
	{ "blocks", { SIGTRAP, SIGWINCH }, 0, 0 },
	{ "open", { SIGURG, 0 }, 0, 0 },
};

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	traps++;
}

static void die(const char *what, int err)
{
	printf("FATAL %s: %s\n", what, strerror(err));
	fflush(stdout);
	exit(2);
}

static void pause_ms(void)
{
	struct timespec ts = { 0, 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static uint64_t own_mask(void)
{
	uint64_t m = 0;
	sigset_t set;

	pthread_sigmask(SIG_BLOCK, NULL, &set);
	for (int sig = 1; sig <= 64; sig++)
		if (sigismember(&set, sig) == 1)
			m |= 1ULL << (sig - 1);
	return m;
}

static void block(const int *sigs, size_t n)
{
	sigset_t set;
	int r;

	sigemptyset(&set);
	for (size_t i = 0; i < n; i++)
		if (sigs[i])
			sigaddset(&set, sigs[i]);
	r = pthread_sigmask(SIG_SETMASK, &set, NULL);
	if (r)
		die("pthread_sigmask", r);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	block(w->blocked, 2);
	for (;;) {
		int g = __atomic_load_n(&want, __ATOMIC_ACQUIRE);

		if (g > w->gen) {
			w->mask = own_mask();
			__atomic_store_n(&w->gen, g, __ATOMIC_RELEASE);
		}
		pause_ms();
	}
	return NULL;
}

static int answer(const char *dir, int gen)
{
	char tmp[4096], path[4096];
	uint64_t main_mask = own_mask();
	struct ksa k;
	FILE *f;

	__atomic_store_n(&want, gen, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		while (__atomic_load_n(&workers[i].gen, __ATOMIC_ACQUIRE) < gen)
			pause_ms();
	if (syscall(SYS_rt_sigaction, SIGTRAP, NULL, &k, 8) < 0)
		return -1;
	/* Not blocked here: the handler runs now (or it is ignored). */
	raise(SIGTRAP);
	snprintf(tmp, sizeof(tmp), "%s/.ans.%d", dir, gen);
	snprintf(path, sizeof(path), "%s/ans.%d", dir, gen);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "action %llx %llx %llx %llx\n", (unsigned long long)k.handler,
		(unsigned long long)k.flags, (unsigned long long)k.restorer,
		(unsigned long long)k.mask);
	fprintf(f, "mask main %llx\n", (unsigned long long)main_mask);
	for (int i = 0; i < 2; i++)
		fprintf(f, "mask %s %llx\n", workers[i].name, (unsigned long long)workers[i].mask);
	fprintf(f, "count %d\n", (int)traps);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	const int main_blocked[1] = { SIGPWR };
	struct sigaction sa;
	pthread_t th[2];
	char go[4096];
	int gen = 1, r;

	if (argc != 3 || (strcmp(argv[2], "handler") && strcmp(argv[2], "ignore"))) {
		fprintf(stderr, "usage: %s WORKDIR handler|ignore\n", argv[0]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	if (!strcmp(argv[2], "handler")) {
		sa.sa_sigaction = on_trap;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
		sigaddset(&sa.sa_mask, SIGUSR2);
	} else {
		sa.sa_handler = SIG_IGN;
	}
	if (sigaction(SIGTRAP, &sa, NULL) < 0)
		die("sigaction", errno);
	block(main_blocked, 1);
	for (int i = 0; i < 2; i++) {
		r = pthread_create(&th[i], NULL, worker_main, &workers[i]);
		if (r)
			die("pthread_create", r);
	}
	printf("READY pid=%d\n", (int)getpid());
	fflush(stdout);
	for (;;) {
		snprintf(go, sizeof(go), "%s/go.%d", argv[1], gen);
		if (access(go, F_OK) == 0) {
			if (answer(argv[1], gen) < 0)
				die("answer", errno);
			gen++;
		}
		pause_ms();
	}
}
