/*
 * 72-anon-refused.c - files on anonymous inodes in a state ckpt cannot
 * restore faithfully, to be refused at the dump.
 *
 * Usage: 72-anon-refused WORKDIR MODE
 *
 * MODE, set up before READY:
 *  - epoll-stale: an eventfd at fd 10 added to an epoll at fd 11, then
 *    moved to fd 12 (dup) and closed at fd 10: the epoll item lives on,
 *    keyed by fd 10, which the process no longer has;
 *  - inotify-gone: an inotify at fd 10 watching WORKDIR/gone (created
 *    here); the harness then holds the file open and deletes it, so the
 *    watch stays on a file no path leads to;
 *  - inotify-async: an inotify at fd 10 watching WORKDIR, with O_ASYNC
 *    (signal-driven I/O, to this process).
 *
 * Self-check (SIGUSR2): the common checks, and the set-up is as it was:
 * epoll-stale: EPOLL_CTL_MOD of fd 12 fails with ENOENT (the item is keyed
 * on fd 10); the inotify modes: fd 10 still has O_ASYNC or not as set up.
 */
#include "target.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

static const char *mode;

static void place(int fd, int at)
{
	if (fd != at && (dup2(fd, at) < 0 || close(fd) < 0))
		t_fatal("dup2 %d to %d", fd, at);
}

static void epoll_stale(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 10 };

	place(eventfd(0, 0), 10);
	place(epoll_create1(0), 11);
	if (epoll_ctl(11, EPOLL_CTL_ADD, 10, &ev))
		t_fatal("EPOLL_CTL_ADD");
	place(10, 12);
}

static void inotify_on(const char *path, int flags)
{
	int fd = inotify_init1(0);

	if (fd < 0 || inotify_add_watch(fd, path, IN_ATTRIB | IN_MODIFY) != 1)
		t_fatal("inotify on %s", path);
	place(fd, 10);
	/* Every write to the seq file is an event: SIGIO, which would kill. */
	signal(SIGIO, SIG_IGN);
	if (flags && (fcntl(10, F_SETOWN, getpid()) || fcntl(10, F_SETFL, flags)))
		t_fatal("fcntl O_ASYNC");
}

static void refused_check(struct t_check *c)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (!strcmp(mode, "epoll-stale")) {
		if (epoll_ctl(11, EPOLL_CTL_MOD, 12, &ev) == 0 || errno != ENOENT)
			t_check_fail(c, "MOD of fd 12: %s, want ENOENT", strerror(errno));
	} else if (!!(fcntl(10, F_GETFL) & O_ASYNC) != !strcmp(mode, "inotify-async")) {
		t_check_fail(c, "O_ASYNC on fd 10 changed");
	}
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = refused_check };
	int fd;

	t_init(argc, argv);
	mode = argc > 2 ? argv[2] : "";
	if (!strcmp(mode, "epoll-stale")) {
		epoll_stale();
	} else if (!strcmp(mode, "inotify-gone")) {
		fd = open("gone", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || close(fd))
			t_fatal("create gone");
		inotify_on("gone", 0);
	} else if (!strcmp(mode, "inotify-async")) {
		inotify_on(".", O_ASYNC);
	} else {
		errno = EINVAL;
		t_fatal("unknown mode '%s'", mode);
	}
	t_run(&ops);
	return 0;
}
