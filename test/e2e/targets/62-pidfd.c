/*
 * 62-pidfd.c - a process holding an fd ckpt does not restore (a pidfd of
 * its parent, outside the tree it heads), at fd number PIDFD_NUMBER.
 *
 * Usage: 62-pidfd WORKDIR
 *
 * Runs the common loop of target.h. Self-check: the common checks, and the
 * pidfd is still at PIDFD_NUMBER and refers to this process.
 */
#include "target.h"

#include <sys/syscall.h>

#define PIDFD_NUMBER 9

static void pidfd_check(struct t_check *c)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", PIDFD_NUMBER);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (strcmp(link, "anon_inode:[pidfd]"))
		t_check_fail(c, "fd %d is '%s', not the pidfd", PIDFD_NUMBER, link);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = pidfd_check };
	int fd;

	t_init(argc, argv);
	fd = (int)syscall(SYS_pidfd_open, getppid(), 0);
	if (fd < 0 || dup2(fd, PIDFD_NUMBER) != PIDFD_NUMBER)
		t_fatal("pidfd_open");
	close(fd);
	t_run(&ops);
	return 0;
}
