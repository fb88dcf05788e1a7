/*
 * 78-sigio.c - signal-driven I/O (fcntl F_SETOWN_EX, F_SETSIG, O_ASYNC),
 * which belongs to the open file description and must survive a restore.
 *
 * Usage: 78-sigio WORKDIR
 *
 * Set up before READY (SIGRTMIN+2 and SIGRTMIN+3 blocked, taken with
 * sigtimedwait):
 *  - fd 10/11: a pipe; its read end (10) has O_ASYNC, owner this process
 *    (F_OWNER_PID) and F_SETSIG SIGRTMIN+2;
 *  - fd 12/13: a unix stream socketpair; 12 has O_ASYNC, owner this
 *    thread (F_OWNER_TID) and F_SETSIG SIGRTMIN+3;
 *  - fd 14/15: a pipe; its read end (14) has an owner (this process) and
 *    nothing else;
 *  - fd 16: an inotify watching WORKDIR/watched, with O_ASYNC, owner this
 *    process and F_SETSIG SIGRTMIN+4.
 *
 * Self-check (SIGUSR2): the flags, owners and signals read back as set
 * up; a byte written into 11 (13) brings SIGRTMIN+2 (+3) with si_fd 10
 * (12) and POLL_IN, within 10 s; the byte is read back; a file made in
 * WORKDIR/watched brings SIGRTMIN+4 with si_fd 16.
 */
#include "target.h"

#include <sys/inotify.h>
#include <sys/socket.h>

static unsigned long made;

static void setup(int fd, int type, int sig, int async)
{
	struct f_owner_ex o = { .type = type, .pid = getpid() };

	if (fcntl(fd, F_SETOWN_EX, &o) || (sig && fcntl(fd, F_SETSIG, sig)) ||
	    (async && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC)))
		t_fatal("fcntl on fd %d", fd);
}

static void expect(struct t_check *c, int fd, int type, int sig, int async)
{
	struct f_owner_ex o;
	int fl = fcntl(fd, F_GETFL), s = fcntl(fd, F_GETSIG);

	if (fcntl(fd, F_GETOWN_EX, &o))
		t_check_fail(c, "F_GETOWN_EX of fd %d: %s", fd, strerror(errno));
	else if (o.type != type || o.pid != getpid())
		t_check_fail(c, "fd %d: owner %d of type %d, want %d of type %d", fd, o.pid, o.type,
			     getpid(), type);
	if (s != sig)
		t_check_fail(c, "fd %d: F_GETSIG %d, want %d", fd, s, sig);
	if (!!(fl & O_ASYNC) != async)
		t_check_fail(c, "fd %d: O_ASYNC is %s", fd, fl & O_ASYNC ? "on" : "off");
}

/* A byte into @wfd must bring @sig for @rfd. */
static void poke(struct t_check *c, int rfd, int wfd, int sig)
{
	struct timespec ten = { 10, 0 }, none = { 0, 0 };
	siginfo_t si;
	sigset_t set;
	char b = 'x';

	sigemptyset(&set);
	sigaddset(&set, sig);
	if (write(wfd, &b, 1) != 1) {
		t_check_fail(c, "write to fd %d: %s", wfd, strerror(errno));
		return;
	}
	if (sigtimedwait(&set, &si, &ten) != sig)
		t_check_fail(c, "no signal %d for fd %d: %s", sig, rfd, strerror(errno));
	else if (si.si_fd != rfd || si.si_code != POLL_IN)
		t_check_fail(c, "signal %d with si_fd %d si_code %d, want %d and POLL_IN", sig,
			     si.si_fd, si.si_code, rfd);
	if (read(rfd, &b, 1) != 1)
		t_check_fail(c, "read from fd %d: %s", rfd, strerror(errno));
	while (sigtimedwait(&set, &si, &none) == sig)
		; /* more than one readiness signal is fine */
}

/* A file made in the watched directory must bring SIGRTMIN+4 for fd 16. */
static void inotify_poke(struct t_check *c)
{
	struct timespec ten = { 10, 0 }, none = { 0, 0 };
	char name[64], ev[4096];
	siginfo_t si;
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 4);
	snprintf(name, sizeof(name), "watched/f%lu", ++made);
	fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || close(fd)) {
		t_check_fail(c, "create %s: %s", name, strerror(errno));
		return;
	}
	if (sigtimedwait(&set, &si, &ten) != SIGRTMIN + 4)
		t_check_fail(c, "no signal for the inotify event: %s", strerror(errno));
	else if (si.si_fd != 16)
		t_check_fail(c, "inotify signal with si_fd %d, want 16", si.si_fd);
	while (read(16, ev, sizeof(ev)) > 0)
		;
	while (sigtimedwait(&set, &si, &none) == SIGRTMIN + 4)
		;
}

static void sigio_check(struct t_check *c)
{
	expect(c, 10, F_OWNER_PID, SIGRTMIN + 2, 1);
	expect(c, 12, F_OWNER_TID, SIGRTMIN + 3, 1);
	expect(c, 14, F_OWNER_PID, 0, 0);
	poke(c, 10, 11, SIGRTMIN + 2);
	poke(c, 12, 13, SIGRTMIN + 3);
	expect(c, 16, F_OWNER_PID, SIGRTMIN + 4, 1);
	inotify_poke(c);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = sigio_check };
	int p[2], sk[2];
	sigset_t set;

	t_init(argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 2);
	sigaddset(&set, SIGRTMIN + 3);
	sigaddset(&set, SIGRTMIN + 4);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		t_fatal("sigprocmask");
	if (pipe2(p, O_NONBLOCK))
		t_fatal("pipe");
	t_fd_at(p[0], 10);
	t_fd_at(p[1], 11);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sk))
		t_fatal("socketpair");
	t_fd_at(sk[0], 12);
	t_fd_at(sk[1], 13);
	if (pipe2(p, 0))
		t_fatal("pipe");
	t_fd_at(p[0], 14);
	t_fd_at(p[1], 15);
	setup(10, F_OWNER_PID, SIGRTMIN + 2, 1);
	setup(12, F_OWNER_TID, SIGRTMIN + 3, 1);
	setup(14, F_OWNER_PID, 0, 0);
	if (mkdir("watched", 0755))
		t_fatal("mkdir watched");
	t_fd_at(inotify_init1(IN_NONBLOCK | IN_CLOEXEC), 16);
	if (inotify_add_watch(16, "watched", IN_CREATE) < 0)
		t_fatal("inotify_add_watch");
	setup(16, F_OWNER_PID, SIGRTMIN + 4, 1);
	t_run(&ops);
	return 0;
}
