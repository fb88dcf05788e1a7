/*
 * 87-ctty.c - a session leader whose controlling terminal is a pty of its
 * own, with no fd left on the terminal's slave side.
 *
 * Usage: 87-ctty WORKDIR [away]
 *
 * Set up before READY: setsid(); the master of a new pty at fd 10; its
 * slave opened, made the controlling terminal (TIOCSCTTY) and closed.
 * With "away": a child (dying with its parent) in a process group of its
 * own keeps the master, the leader closes it, and the child's group is
 * made the terminal's foreground group (a shell with a job in the
 * foreground); the child writes "CHILD pid=N".
 *
 * Self-check (SIGUSR2): /dev/tty opens, the terminal belongs to this
 * session (TIOCGSID on /dev/tty, and on the master where the leader holds
 * it) and its foreground group is this process's group (the child's with
 * "away"). Reports sid=N fg=N.
 */
#include "target.h"

#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>

static pid_t child;

static void ctty_check(struct t_check *c)
{
	pid_t sid = 0, fg;
	int fd;

	if (!child && (ioctl(10, TIOCGSID, &sid) || sid != getpid()))
		t_check_fail(c, "the pty belongs to session %d, want %d (%s)", (int)sid,
			     (int)getpid(), strerror(errno));
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		t_check_fail(c, "/dev/tty: %s", strerror(errno));
		return;
	}
	sid = 0;
	if (ioctl(fd, TIOCGSID, &sid) || sid != getpid())
		t_check_fail(c, "/dev/tty belongs to session %d, want %d", (int)sid, (int)getpid());
	fg = tcgetpgrp(fd);
	if (fg != (child ? child : getpgrp()))
		t_check_fail(c, "the foreground group is %d, want %d", (int)fg,
			     (int)(child ? child : getpgrp()));
	t_check_info(c, "sid=%d fg=%d", (int)sid, (int)fg);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = ctty_check };
	pid_t parent = getpid();
	int slave;

	t_init(argc, argv);
	if (setsid() < 0)
		t_fatal("setsid");
	t_fd_at(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), 10);
	if (grantpt(10) || unlockpt(10))
		t_fatal("grantpt");
	slave = open(ptsname(10), O_RDWR | O_CLOEXEC);
	if (slave < 0 || ioctl(slave, TIOCSCTTY, 0))
		t_fatal("TIOCSCTTY");
	if (argc > 2 && !strcmp(argv[2], "away")) {
		child = fork();
		if (child < 0)
			t_fatal("fork");
		if (!child) {
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
				_exit(1);
			close(slave);
			for (;;)
				pause();
		}
		if (setpgid(child, child) || tcsetpgrp(slave, child))
			t_fatal("tcsetpgrp");
		close(10);
		t_log("CHILD pid=%d", (int)child);
	}
	close(slave);
	t_run(&ops);
	return 0;
}
