/*
 * 34-chroot-static.c - a process in a chroot, its cwd inside the root or
 * outside it.
 *
 * Usage: 34-chroot-static WORKDIR inside|outside
 *
 * WORKDIR/root is the root to enter (the test puts this binary in it, and
 * a directory "in"). Before READY the target chroots into it, and then:
 *  - inside: chdir("/in"): the seq file is WORKDIR/root/in/seq;
 *  - outside: fchdir to WORKDIR, opened before the chroot: the cwd lies
 *    outside the root, the seq file is WORKDIR/seq.
 *
 * Self-check (SIGUSR2): "/" is the chroot directory (device and inode as
 * at start) and ".." of "/" is "/" again; the cwd is the same directory
 * (device and inode) and getcwd() says what it said at start ("/in", or
 * the kernel's "(unreachable)" path for a cwd outside the root).
 * Reported: cwd=PATH.
 */
#include "target.h"

#include <sys/syscall.h>

static struct stat root0, cwd0;
static char getcwd0[PATH_MAX];

static int same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static void check(struct t_check *c)
{
	struct stat st, up;
	char cwd[PATH_MAX];

	if (stat("/", &st) || stat("/..", &up))
		t_check_fail(c, "stat /: %s", strerror(errno));
	else if (!same(&st, &root0) || !same(&up, &root0))
		t_check_fail(c, "/ is inode %lu (.. %lu), want the chroot %lu",
			     (unsigned long)st.st_ino, (unsigned long)up.st_ino,
			     (unsigned long)root0.st_ino);
	if (stat(".", &st))
		t_check_fail(c, "stat .: %s", strerror(errno));
	else if (!same(&st, &cwd0))
		t_check_fail(c, "cwd is inode %lu, want %lu", (unsigned long)st.st_ino,
			     (unsigned long)cwd0.st_ino);
	/* The system call itself: glibc's getcwd() fails on "(unreachable)". */
	if (syscall(SYS_getcwd, cwd, sizeof(cwd)) < 0)
		t_check_fail(c, "getcwd: %s", strerror(errno));
	else if (strcmp(cwd, getcwd0))
		t_check_fail(c, "getcwd() says '%s', was '%s'", cwd, getcwd0);
	t_check_info(c, "cwd=%s", getcwd0);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = check };
	int outside, here;

	t_init(argc, argv);
	if (argc < 3)
		t_fatal("usage: 34-chroot-static WORKDIR inside|outside");
	outside = !strcmp(argv[2], "outside");
	here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (here < 0 || chroot("root"))
		t_fatal("chroot %s/root: %s", t_workdir, strerror(errno));
	if (outside ? fchdir(here) : chdir("/in"))
		t_fatal("cannot enter the cwd: %s", strerror(errno));
	close(here);
	if (stat("/", &root0) || stat(".", &cwd0))
		t_fatal("stat: %s", strerror(errno));
	if (syscall(SYS_getcwd, getcwd0, sizeof(getcwd0)) < 0)
		t_fatal("getcwd: %s", strerror(errno));
	t_run(&ops);
}
