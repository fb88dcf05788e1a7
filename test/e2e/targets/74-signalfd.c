/*
 * 74-signalfd.c - signalfds reading blocked signals.
 *
 * Usage: 74-signalfd WORKDIR
 *
 * Before READY it blocks SIGURG, SIGPWR and SIGRTMIN+3, and sets up:
 *  - fd 10 S: a signalfd for SIGURG and SIGRTMIN+3, O_NONBLOCK, close-on-exec;
 *  - fd 11 T: a signalfd for SIGPWR, blocking; fd 12 is a dup of it.
 *
 * Self-check (SIGUSR2): reads every signal S has (until EAGAIN) and every
 * one T has (through fd 12, while poll says there is one), and reports them
 * in the order read as s=SIG,SIG,... and t=SIG,... (numbers, "-" for
 * none); each must be one its signalfd is for, sent by kill (SI_USER).
 * Also checks the masks in /proc/self/fdinfo and the flags.
 */
#include "target.h"

#include <poll.h>
#include <sys/signalfd.h>

#define FD_S 10
#define FD_T 11
#define FD_T_DUP 12

static int make(int at, int flags, int sig1, int sig2)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig1);
	if (sig2)
		sigaddset(&set, sig2);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		t_fatal("sigprocmask");
	t_fd_at(signalfd(-1, &set, flags), at);
	return at;
}

/* Read what @fd has, "SIG,SIG" into @buf; each must be in @want. */
static void drain(struct t_check *c, int fd, int read_fd, const int *want, char *buf, size_t size)
{
	struct signalfd_siginfo si;
	size_t len = 0;

	buf[0] = 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, 0) != 1 || read(read_fd, &si, sizeof(si)) != sizeof(si))
			break;
		len += (size_t)snprintf(buf + len, size - len, "%s%u", len ? "," : "", si.ssi_signo);
		if ((int)si.ssi_signo != want[0] && (int)si.ssi_signo != want[1])
			t_check_fail(c, "fd %d gave signal %u, not in its mask", fd, si.ssi_signo);
		if (si.ssi_code != SI_USER)
			t_check_fail(c, "fd %d: signal %u has code %d, want SI_USER", fd,
				     si.ssi_signo, si.ssi_code);
	}
	if (!len)
		snprintf(buf, size, "-");
}

static void mask_check(struct t_check *c, int fd, uint64_t want)
{
	char path[64], buf[1024], *p;
	unsigned long long mask = 0;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	n = f < 0 ? -1 : read(f, buf, sizeof(buf) - 1);
	if (f >= 0)
		close(f);
	buf[n > 0 ? n : 0] = 0;
	p = strstr(buf, "sigmask:");
	if (!p || sscanf(p + 8, "%llx", &mask) != 1 || mask != want)
		t_check_fail(c, "fd %d: sigmask %llx, want %llx", fd, mask,
			     (unsigned long long)want);
}

static void signalfd_check(struct t_check *c)
{
	const int s_want[2] = { SIGURG, SIGRTMIN + 3 }, t_want[2] = { SIGPWR, 0 };
	char s[256], t[256];

	drain(c, FD_S, FD_S, s_want, s, sizeof(s));
	drain(c, FD_T, FD_T_DUP, t_want, t, sizeof(t));
	t_check_info(c, "s=%s t=%s", s, t);
	mask_check(c, FD_S, 1ULL << (SIGURG - 1) | 1ULL << (SIGRTMIN + 3 - 1));
	mask_check(c, FD_T, 1ULL << (SIGPWR - 1));
	if (!(fcntl(FD_S, F_GETFL) & O_NONBLOCK) || (fcntl(FD_T, F_GETFL) & O_NONBLOCK))
		t_check_fail(c, "O_NONBLOCK is not as set up");
	if (!(fcntl(FD_S, F_GETFD) & FD_CLOEXEC) || (fcntl(FD_T, F_GETFD) & FD_CLOEXEC))
		t_check_fail(c, "FD_CLOEXEC is not as set up");
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = signalfd_check };

	t_init(argc, argv);
	make(FD_S, SFD_NONBLOCK | SFD_CLOEXEC, SIGURG, SIGRTMIN + 3);
	make(FD_T, 0, SIGPWR, 0);
	if (dup2(FD_T, FD_T_DUP) < 0)
		t_fatal("dup2");
	t_run(&ops);
	return 0;
}
