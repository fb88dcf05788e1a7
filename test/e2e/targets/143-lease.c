/*
 * 143-lease.c - file leases (F_SETLEASE).
 *
 * Usage: 143-lease WORKDIR
 *
 * Holds a read lease on WORKDIR/rlease (fd 10, opened read-only, breaks
 * signalled by the default SIGIO) and a write lease on WORKDIR/wlease
 * (fd 11, opened read-write, F_SETSIG SIGRTMIN+1: the signal carries the
 * fd). When a lease is broken (someone else opens the file), the handler
 * notes the signal and its fd, and the main loop gives the lease up
 * (F_SETLEASE F_UNLCK), which lets the opener go on, and logs
 * "BROKEN fd=N sig=S".
 *
 * Self-check (SIGUSR2), besides the common checks: F_GETLEASE of each fd
 * is its lease, or F_UNLCK once broken; F_GETOWN of each is this process
 * and F_GETSIG of fd 11 SIGRTMIN+1 while it holds the lease; reports
 * leases=R,W as held (r, w or -).
 */
#include "target.h"

#define RFD 10
#define WFD 11

static volatile sig_atomic_t broken_fd = -1, broken_sig;
static int released[2];

static void on_break(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	broken_sig = sig;
	/* The default SIGIO does not say which fd: the read lease's. */
	broken_fd = sig == SIGIO ? RFD : si->si_fd;
}

static void take(const char *name, int flags, int at, int type)
{
	int fd = open(name, flags | O_CREAT, 0644);

	if (fd < 0 || dup2(fd, at) != at)
		t_fatal("open %s", name);
	close(fd);
	if (fcntl(at, F_SETLEASE, type))
		t_fatal("F_SETLEASE %s", name);
}

static void give_up(void)
{
	int fd = broken_fd;

	if (fd != RFD && fd != WFD)
		return;
	broken_fd = -1;
	if (fcntl(fd, F_SETLEASE, F_UNLCK))
		t_fatal("F_UNLCK");
	released[fd - RFD] = 1;
	t_log("BROKEN fd=%d sig=%d", fd, (int)broken_sig);
}

static void lease_check(struct t_check *c)
{
	static const int want[2] = { F_RDLCK, F_WRLCK };
	char held[4] = "--";

	for (int i = 0; i < 2; i++) {
		int got = fcntl(RFD + i, F_GETLEASE), own = fcntl(RFD + i, F_GETOWN);
		int expect = released[i] ? F_UNLCK : want[i];

		if (got != expect)
			t_check_fail(c, "F_GETLEASE of fd %d is %d, want %d", RFD + i, got, expect);
		if (!released[i] && own != getpid())
			t_check_fail(c, "fd %d is owned by %d", RFD + i, own);
		if (got == want[i])
			held[i] = i ? 'w' : 'r';
	}
	/* Giving a lease up drops its owner and signal (the kernel's doing). */
	if (!released[1] && fcntl(WFD, F_GETSIG) != SIGRTMIN + 1)
		t_check_fail(c, "fd %d signals %d", WFD, fcntl(WFD, F_GETSIG));
	t_check_info(c, "leases=%c,%c", held[0], held[1]);
}

static void lease_iterate(void)
{
	give_up();
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = lease_iterate, .check = lease_check };
	struct sigaction sa = { .sa_sigaction = on_break, .sa_flags = SA_SIGINFO | SA_RESTART };

	t_init(argc, argv);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGIO, &sa, NULL) || sigaction(SIGRTMIN + 1, &sa, NULL))
		t_fatal("sigaction");
	take("rlease", O_RDONLY, RFD, F_RDLCK);
	take("wlease", O_RDWR, WFD, F_WRLCK);
	if (fcntl(WFD, F_SETSIG, SIGRTMIN + 1))
		t_fatal("F_SETSIG");
	t_run(&ops);
	return 0;
}
