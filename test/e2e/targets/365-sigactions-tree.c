// SPDX-License-Identifier: GPL-2.0
/*
 * 365-sigactions-tree: a root and NCHILD children, each with its own mix
 * of signal actions over all 64 signals and its own resource limits (the
 * dump reads them for all processes at once): default actions given flags and a mask (glibc's
 * signal(SIG, SIG_DFL) sets SA_RESTART; sigaction() with SIG_DFL and
 * flags), ignored ones, handlers with flags and masks, and the two glibc
 * keeps for itself set by the raw syscall.
 *
 * Usage: 365-sigactions-tree WORKDIR. Prints "TREE pids=P1 P2 ..." then
 * "READY pid=N" to stdout. Each process, when WORKDIR/go.G appears (G =
 * 1, 2, ...), writes the kernel's view of its 64 actions (raw
 * rt_sigaction: handler flags restorer mask, hex) and its limits
 * ("rlim RESOURCE cur max") to WORKDIR/sa.IDX.G
 * (IDX 0 is the root), written to a temporary name and renamed.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NCHILD 5

struct ksa {
	uint64_t handler, flags, restorer, mask;
};

static void on_signal(int sig)
{
	(void)sig;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

static void die(const char *what)
{
	printf("FATAL %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

/* Process @idx's actions: each signal gets one of six kinds by (sig + idx);
 * and limits of its own. */
static void set_actions(int idx)
{
	struct rlimit nofile, core = { 4096 * (rlim_t)idx, 1 << 20 };

	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0)
		die("getrlimit");
	nofile.rlim_cur = 100 + idx;
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 || setrlimit(RLIMIT_CORE, &core) < 0)
		die("setrlimit");
	for (int sig = 1; sig <= 64; sig++) {
		struct sigaction sa;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sig == 32 || sig == 33) {
			/* glibc refuses these: the raw call, default with flags. */
			struct ksa k = { (uint64_t)SIG_DFL, SA_RESTART, 0, 1ULL << (idx + 1) };

			if (syscall(SYS_rt_sigaction, sig, &k, NULL, 8) < 0)
				die("rt_sigaction");
			continue;
		}
		memset(&sa, 0, sizeof(sa));
		switch ((sig + idx) % 6) {
		case 0: /* left as it is */
			continue;
		case 1:
			if (signal(sig, SIG_DFL) == SIG_ERR)
				die("signal SIG_DFL");
			continue;
		case 2:
			sa.sa_handler = SIG_DFL;
			sa.sa_flags = SA_NODEFER | SA_RESETHAND | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
			sigaddset(&sa.sa_mask, sig % 64 + 1);
			break;
		case 3:
			if (sig == SIGCHLD) /* the root reaps nothing: keep them */
				continue;
			if (signal(sig, SIG_IGN) == SIG_ERR)
				die("signal SIG_IGN");
			continue;
		case 4:
			sa.sa_handler = on_signal;
			sa.sa_flags = SA_RESTART;
			sigaddset(&sa.sa_mask, SIGUSR1);
			sigaddset(&sa.sa_mask, SIGRTMIN + idx);
			break;
		default:
			sa.sa_sigaction = on_info;
			sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
			break;
		}
		if (sigaction(sig, &sa, NULL) < 0)
			die("sigaction");
	}
}

static int write_actions(const char *dir, int idx, int gen)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.sa.%d.%d", dir, idx, gen);
	snprintf(path, sizeof(path), "%s/sa.%d.%d", dir, idx, gen);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	for (int sig = 1; sig <= 64; sig++) {
		struct ksa k;

		if (syscall(SYS_rt_sigaction, sig, NULL, &k, 8) < 0)
			fprintf(f, "%d error %d\n", sig, errno);
		else
			fprintf(f, "%d %llx %llx %llx %llx\n", sig, (unsigned long long)k.handler,
				(unsigned long long)k.flags, (unsigned long long)k.restorer,
				(unsigned long long)k.mask);
	}
	for (int res = 0; res < RLIM_NLIMITS; res++) {
		struct rlimit rl;

		if (getrlimit(res, &rl) < 0)
			fprintf(f, "rlim %d error %d\n", res, errno);
		else
			fprintf(f, "rlim %d %llx %llx\n", res, (unsigned long long)rl.rlim_cur,
				(unsigned long long)rl.rlim_max);
	}
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

/* Wait for each go.G in turn and answer it; never returns. */
static void serve(const char *dir, int idx)
{
	const struct timespec pause = { 0, 2 * 1000 * 1000 };

	for (int gen = 1;; gen++) {
		char go[4096];

		snprintf(go, sizeof(go), "%s/go.%d", dir, gen);
		while (access(go, F_OK) != 0)
			nanosleep(&pause, NULL);
		if (write_actions(dir, idx, gen) < 0)
			die("write actions");
	}
}

int main(int argc, char **argv)
{
	pid_t kids[NCHILD];

	if (argc < 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < NCHILD; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			die("fork");
		if (kids[i] == 0) {
			set_actions(i + 1);
			serve(argv[1], i + 1);
		}
	}
	set_actions(0);
	printf("TREE pids=%d", getpid());
	for (int i = 0; i < NCHILD; i++)
		printf(" %d", kids[i]);
	printf("\nREADY pid=%d\n", getpid());
	serve(argv[1], 0);
}
