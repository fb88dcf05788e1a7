/*
 * 112-deleted-nodes.c - a FIFO, directories and a device node removed
 * from their paths while the process holds them.
 *
 * Usage: 112-deleted-nodes WORKDIR
 *
 * Before READY it sets up, in WORKDIR:
 *  - fifo: a FIFO of mode 0640 opened O_RDWR at fd 20, BYTES written into
 *    it, then unlinked;
 *  - gone: a directory of mode 0750 opened at fd 23 (O_RDONLY) and fd 24
 *    (O_PATH, another description), then removed;
 *  - null: a device node of /dev/null's numbers (1, 3), mode 0620,
 *    opened O_RDWR at fd 25, then unlinked (only when run as root: mknod
 *    needs CAP_MKNOD);
 *  - cwd: a directory of mode 0710, entered and removed by the main loop's
 *    first iteration (the seq file is opened from WORKDIR first).
 *
 * Self-check (SIGUSR2): fd 20 is a FIFO with nlink 0 and mode 0640, shown
 * as "WORKDIR/fifo (deleted)", and holds exactly BYTES (read, compared,
 * written back); fds 23 and 24 are one removed directory (same inode,
 * nlink 0, mode 0750, "WORKDIR/gone (deleted)"); fd 25 is a character
 * device 1:3 with nlink 0 and mode 0620, "WORKDIR/null (deleted)", that
 * takes a write; the cwd is a directory with nlink 0 and mode 0710,
 * /proc/self/cwd reads "WORKDIR/cwd (deleted)" and getcwd() fails with
 * ENOENT, as it does for a removed cwd. Reported: fifo=N (bytes held).
 */
#include "target.h"

#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#define BYTES "bytes in a removed FIFO\n"
#define FD_FIFO 20
#define FD_DIR 23
#define FD_DIR_PATH 24
#define FD_NULL 25

static int in_cwd, with_dev;

static void expect_link(struct t_check *c, const char *link, const char *name)
{
	char want[PATH_MAX + 64], got[PATH_MAX + 64];
	ssize_t n = readlink(link, got, sizeof(got) - 1);

	snprintf(want, sizeof(want), "%s/%s (deleted)", t_workdir, name);
	if (n < 0 || (got[n] = 0, strcmp(got, want)))
		t_check_fail(c, "%s is '%s', want '%s'", link, n < 0 ? "?" : got, want);
}

static void expect_stat(struct t_check *c, const char *what, const struct stat *st, mode_t mode)
{
	if ((st->st_mode & (S_IFMT | 07777)) != mode || st->st_nlink != 0)
		t_check_fail(c, "%s: mode %o nlink %lu, want %o and 0", what, (unsigned)st->st_mode,
			     (unsigned long)st->st_nlink, (unsigned)mode);
}

static void check_fifo(struct t_check *c)
{
	char buf[256];
	struct stat st;
	int avail = -1;
	ssize_t n;

	if (fstat(FD_FIFO, &st) == 0)
		expect_stat(c, "fd 20", &st, S_IFIFO | 0640);
	else
		t_check_fail(c, "fstat fd 20: %s", strerror(errno));
	expect_link(c, "/proc/self/fd/20", "fifo");
	if (ioctl(FD_FIFO, FIONREAD, &avail) || avail != (int)strlen(BYTES)) {
		t_check_fail(c, "the FIFO holds %d bytes, want %zu", avail, strlen(BYTES));
		return;
	}
	n = read(FD_FIFO, buf, sizeof(buf));
	if (n != avail || memcmp(buf, BYTES, strlen(BYTES)))
		t_check_fail(c, "the FIFO held '%.*s'", (int)(n < 0 ? 0 : n), buf);
	if (write(FD_FIFO, BYTES, strlen(BYTES)) != (ssize_t)strlen(BYTES))
		t_fatal("write back into the FIFO: %s", strerror(errno));
	t_check_info(c, "fifo=%d", avail);
}

static void check(struct t_check *c)
{
	struct stat st, st2;
	char buf[64];

	check_fifo(c);
	if (fstat(FD_DIR, &st) || fstat(FD_DIR_PATH, &st2))
		t_check_fail(c, "fstat fd 23, 24: %s", strerror(errno));
	else if (st.st_dev != st2.st_dev || st.st_ino != st2.st_ino)
		t_check_fail(c, "fds 23 and 24 are two directories, not one");
	else
		expect_stat(c, "fd 23", &st, S_IFDIR | 0750);
	if ((fcntl(FD_DIR_PATH, F_GETFL) & O_PATH) == 0)
		t_check_fail(c, "fd 24 is not O_PATH");
	expect_link(c, "/proc/self/fd/23", "gone");
	expect_link(c, "/proc/self/fd/24", "gone");
	if (!with_dev) {
		/* no device node */
	} else if (fstat(FD_NULL, &st) == 0) {
		expect_stat(c, "fd 25", &st, S_IFCHR | 0620);
		if (st.st_rdev != makedev(1, 3))
			t_check_fail(c, "fd 25 is device %u:%u, want 1:3", major(st.st_rdev),
				     minor(st.st_rdev));
	} else {
		t_check_fail(c, "fstat fd 25: %s", strerror(errno));
	}
	if (with_dev && write(FD_NULL, "x", 1) != 1)
		t_check_fail(c, "write to fd 25: %s", strerror(errno));
	if (with_dev)
		expect_link(c, "/proc/self/fd/25", "null");
	if (!in_cwd) {
		t_check_fail(c, "not in the removed cwd yet");
		return;
	}
	if (stat(".", &st) == 0)
		expect_stat(c, "cwd", &st, S_IFDIR | 0710);
	else
		t_check_fail(c, "stat of the cwd: %s", strerror(errno));
	expect_link(c, "/proc/self/cwd", "cwd");
	errno = 0;
	if (getcwd(buf, sizeof(buf)) || errno != ENOENT)
		t_check_fail(c, "getcwd() gives '%s' (%s), want ENOENT", errno ? "" : buf,
			     strerror(errno));
}

static void iterate(void)
{
	if (in_cwd)
		return;
	if (mkdir("cwd", 0700) || chmod("cwd", 0710) || chdir("cwd") || rmdir("../cwd"))
		t_fatal("a removed cwd: %s", strerror(errno));
	in_cwd = 1;
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = iterate, .check = check };
	int fd;

	t_init(argc, argv);
	if (mkfifo("fifo", 0600) || chmod("fifo", 0640))
		t_fatal("mkfifo: %s", strerror(errno));
	t_fd_at(open("fifo", O_RDWR | O_CLOEXEC), FD_FIFO);
	if (write(FD_FIFO, BYTES, strlen(BYTES)) != (ssize_t)strlen(BYTES) || unlink("fifo"))
		t_fatal("fifo: %s", strerror(errno));
	if (mkdir("gone", 0700) || chmod("gone", 0750))
		t_fatal("mkdir: %s", strerror(errno));
	t_fd_at(open("gone", O_RDONLY | O_DIRECTORY | O_CLOEXEC), FD_DIR);
	t_fd_at(open("gone", O_PATH | O_DIRECTORY | O_CLOEXEC), FD_DIR_PATH);
	if (rmdir("gone"))
		t_fatal("rmdir: %s", strerror(errno));
	with_dev = geteuid() == 0;
	if (with_dev && (mknod("null", S_IFCHR | 0600, makedev(1, 3)) || chmod("null", 0620)))
		t_fatal("mknod: %s", strerror(errno));
	if (with_dev) {
		fd = open("null", O_RDWR | O_CLOEXEC);
		t_fd_at(fd, FD_NULL);
		if (unlink("null"))
			t_fatal("unlink null: %s", strerror(errno));
	}
	t_run(&ops);
	return 0;
}
