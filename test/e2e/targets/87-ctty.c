/*
 * 87-ctty.c - a session leader whose controlling terminal is a pty of its
 * own, with no fd left on the terminal's slave side.
 *
 * Usage: 87-ctty WORKDIR
 *
 * Set up before READY: setsid(); the master of a new pty at fd 10; its
 * slave opened, made the controlling terminal (TIOCSCTTY) and closed.
 *
 * Self-check (SIGUSR2): the terminal still belongs to this session
 * (TIOCGSID on the master) and /dev/tty opens.
 */
#include "target.h"

#include <sys/ioctl.h>

static void ctty_check(struct t_check *c)
{
	pid_t sid = 0;
	int fd;

	if (ioctl(10, TIOCGSID, &sid) || sid != getpid())
		t_check_fail(c, "the pty belongs to session %d, want %d (%s)", (int)sid,
			     (int)getpid(), strerror(errno));
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		t_check_fail(c, "/dev/tty: %s", strerror(errno));
	else
		close(fd);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = ctty_check };
	int slave;

	t_init(argc, argv);
	if (setsid() < 0)
		t_fatal("setsid");
	t_fd_at(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), 10);
	if (grantpt(10) || unlockpt(10))
		t_fatal("grantpt");
	slave = open(ptsname(10), O_RDWR | O_CLOEXEC);
	if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) || close(slave))
		t_fatal("TIOCSCTTY");
	t_run(&ops);
	return 0;
}
