/*
 * 75-inotify.c - inotify watches with gaps in their wds, on two file
 * systems, on a directory, a file and a symlink itself.
 *
 * Usage: 75-inotify WORKDIR SHMDIR
 *
 * Before READY it makes, in WORKDIR, directories "watched" and "other", a
 * file "watched/file", a symlink "link" -> watched/file, and:
 *  - fd 10 I (O_NONBLOCK, close-on-exec) with the watches
 *	wd 1   watched          IN_CREATE | IN_DELETE
 *	       (wd 2 on "other", removed)
 *	wd 3   watched/file     IN_MODIFY | IN_CLOSE_WRITE
 *	wd 4   link itself      IN_ATTRIB, with IN_DONT_FOLLOW
 *	       (wds 5 to 9 on "other", removed)
 *	wd 10  WORKDIR          IN_MOVED_TO | IN_ONESHOT | IN_EXCL_UNLINK
 *    and nothing queued (the IN_IGNORED of the removed ones are read);
 *  - fd 11 J (blocking): wd 1 on SHMDIR (tmpfs), IN_CREATE; fd 12 a dup.
 *
 * Self-check (SIGUSR2): reads every event queued in I and J (J through its
 * dup, while poll says there is one) and reports them in the order read as
 * i=WD:EVENT[:NAME],... and j=... ("-" for none); checks the flags.
 */
#include "target.h"

#include <poll.h>
#include <sys/inotify.h>

#define FD_I 10
#define FD_J 11
#define FD_J_DUP 12

static void watch(int fd, const char *path, uint32_t mask, int want)
{
	int wd = inotify_add_watch(fd, path, mask);

	if (wd != want)
		t_fatal("watch on %s is %d, want %d", path, wd, want);
}

/* Use up wd @wd: a watch on "other", removed. */
static void skip(int fd, int wd)
{
	watch(fd, "other", IN_CREATE, wd);
	if (inotify_rm_watch(fd, wd))
		t_fatal("inotify_rm_watch %d", wd);
}

static const char *event_name(uint32_t mask)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ IN_ACCESS, "ACCESS" },     { IN_MODIFY, "MODIFY" },
		{ IN_ATTRIB, "ATTRIB" },     { IN_CLOSE_WRITE, "CLOSE_WRITE" },
		{ IN_CLOSE_NOWRITE, "CLOSE_NOWRITE" }, { IN_OPEN, "OPEN" },
		{ IN_MOVED_FROM, "MOVED_FROM" }, { IN_MOVED_TO, "MOVED_TO" },
		{ IN_CREATE, "CREATE" },     { IN_DELETE, "DELETE" },
		{ IN_DELETE_SELF, "DELETE_SELF" }, { IN_MOVE_SELF, "MOVE_SELF" },
		{ IN_IGNORED, "IGNORED" },   { IN_Q_OVERFLOW, "Q_OVERFLOW" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mask & names[i].bit)
			return names[i].name;
	return "?";
}

/* Every event queued in @fd (read through @read_fd), "WD:EVENT[:NAME],...". */
static void drain(struct t_check *c, int fd, int read_fd, char *out, size_t size)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	size_t len = 0;

	out[0] = 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 0) != 1)
			break;
		n = read(read_fd, buf, sizeof(buf));
		if (n <= 0) {
			t_check_fail(c, "read inotify %d: %s", fd, strerror(errno));
			break;
		}
		for (char *q = buf; q < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)q;

			len += (size_t)snprintf(out + len, size - len, "%s%d:%s%s%s", len ? "," : "",
						ev->wd, event_name(ev->mask), ev->len ? ":" : "",
						ev->len ? ev->name : "");
			q += sizeof(*ev) + ev->len;
		}
	}
	if (!len)
		snprintf(out, size, "-");
}

static void inotify_check(struct t_check *c)
{
	char i[1024], j[256];

	drain(c, FD_I, FD_I, i, sizeof(i));
	drain(c, FD_J, FD_J_DUP, j, sizeof(j));
	t_check_info(c, "i=%s j=%s", i, j);
	if (!(fcntl(FD_I, F_GETFL) & O_NONBLOCK) || (fcntl(FD_J, F_GETFL) & O_NONBLOCK))
		t_check_fail(c, "O_NONBLOCK is not as set up");
	if (!(fcntl(FD_I, F_GETFD) & FD_CLOEXEC) || (fcntl(FD_J, F_GETFD) & FD_CLOEXEC))
		t_check_fail(c, "FD_CLOEXEC is not as set up");
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = inotify_check };
	char buf[4096];
	int fd;

	t_init(argc, argv);
	if (argc < 3)
		t_fatal("usage: 75-inotify WORKDIR SHMDIR");
	if ((mkdir("watched", 0755) && errno != EEXIST) || (mkdir("other", 0755) && errno != EEXIST))
		t_fatal("mkdir");
	fd = open("watched/file", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || close(fd) || symlink("watched/file", "link"))
		t_fatal("create watched/file and link");
	t_fd_at(inotify_init1(IN_NONBLOCK | IN_CLOEXEC), FD_I);
	watch(FD_I, "watched", IN_CREATE | IN_DELETE, 1);
	skip(FD_I, 2);
	watch(FD_I, "watched/file", IN_MODIFY | IN_CLOSE_WRITE, 3);
	watch(FD_I, "link", IN_ATTRIB | IN_DONT_FOLLOW, 4);
	for (int wd = 5; wd <= 9; wd++)
		skip(FD_I, wd);
	watch(FD_I, t_workdir, IN_MOVED_TO | IN_ONESHOT | IN_EXCL_UNLINK, 10);
	while (read(FD_I, buf, sizeof(buf)) > 0)
		;
	t_fd_at(inotify_init1(0), FD_J);
	watch(FD_J, argv[2], IN_CREATE, 1);
	if (dup2(FD_J, FD_J_DUP) < 0)
		t_fatal("dup2");
	t_run(&ops);
	return 0;
}
