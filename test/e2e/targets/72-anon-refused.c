/*
 * 72-anon-refused.c - files on anonymous inodes in a state ckpt cannot
 * restore faithfully, to be refused at the dump.
 *
 * Usage: 72-anon-refused WORKDIR MODE
 *
 * MODE, set up before READY:
 *  - epoll-stale: an eventfd at fd 10 added to an epoll at fd 11, then
 *    closed at fd 10 while an orphaned grandchild (outside the tree)
 *    keeps it open: the epoll item lives on, keyed by fd 10, on a file
 *    no process of the tree has (prints "HOLDER pid=N" first);
 *  - inotify-gone: an inotify at fd 10 watching WORKDIR/gone (created
 *    here); the harness then holds the file open and deletes it, so the
 *    watch stays on a file no path leads to;
 *  - inotify-async: an inotify at fd 10 watching WORKDIR, with O_ASYNC
 *    (signal-driven I/O, to this process).
 *
 * Self-check (SIGUSR2): the common checks, and the set-up is as it was:
 * epoll-stale: the epoll still lists an item on fd 10, which is closed; the inotify modes: fd 10 still has O_ASYNC or not as set up.
 */
#include "target.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/wait.h>

static const char *mode;

static void place(int fd, int at)
{
	if (fd != at && (dup2(fd, at) < 0 || close(fd) < 0))
		t_fatal("dup2 %d to %d", fd, at);
}

static void epoll_stale(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 10 };
	pid_t child, holder = 0;
	int p[2];

	place(eventfd(0, 0), 10);
	place(epoll_create1(0), 11);
	if (epoll_ctl(11, EPOLL_CTL_ADD, 10, &ev))
		t_fatal("EPOLL_CTL_ADD");
	if (pipe(p))
		t_fatal("pipe");
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0) {
		/* The grandchild, orphaned, is outside the tree. */
		holder = fork();
		if (holder == 0) {
			holder = getpid();
			if (write(p[1], &holder, sizeof(holder)) != sizeof(holder))
				_exit(3);
			close(p[0]);
			close(p[1]);
			close(11);
			for (;;)
				pause();
		}
		_exit(holder < 0 ? 3 : 0);
	}
	if (waitpid(child, NULL, 0) != child || read(p[0], &holder, sizeof(holder)) != sizeof(holder))
		t_fatal("no holder");
	close(p[0]);
	close(p[1]);
	close(10);
	t_log("HOLDER pid=%d", (int)holder);
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
	if (!strcmp(mode, "epoll-stale")) {
		FILE *f = fopen("/proc/self/fdinfo/11", "re");
		char line[256];
		int items = 0;

		while (f && fgets(line, sizeof(line), f))
			items += !strncmp(line, "tfd:", 4) && atoi(line + 4) == 10;
		if (f)
			fclose(f);
		if (items != 1 || fcntl(10, F_GETFD) >= 0)
			t_check_fail(c, "the epoll lists fd 10 %d times; fd 10 is %s", items,
				     fcntl(10, F_GETFD) >= 0 ? "open" : "closed");
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
