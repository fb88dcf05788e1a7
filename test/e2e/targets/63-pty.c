/*
 * 63-pty.c - a process that owns a pseudo-terminal, with a child running
 * on it (as `script` or a terminal emulator does).
 *
 * Usage: 63-pty WORKDIR
 *
 * The root opens a pty master, sets its window size to ROWS x COLS, and
 * forks a child that makes its own session, takes the slave as its
 * controlling terminal (stdin, stdout, stderr), turns echo off and sets
 * VINTR to ^G, and then answers each line it reads: "pong N" to "ping N",
 * and to "check" the result of its own checks: the slave is still its
 * controlling terminal, it is the terminal's foreground group and session
 * leader, echo is off, VINTR is ^G, the window size is ROWS x COLS.
 *
 * The root runs the common loop of target.h. Self-check: a ping through
 * the pty gets its pong, the child's own check passes, the master's
 * window size is ROWS x COLS. Reports child=PID.
 */
#include "target.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

#define ROWS 33
#define COLS 111
#define VINTR_CHAR 0x07

static int master = -1;
static pid_t child;
static unsigned int pings;

static void child_loop(void)
{
	char line[256];
	FILE *in = fdopen(0, "r");

	while (in && fgets(line, sizeof(line), in)) {
		struct termios tio;
		struct winsize ws;
		unsigned int n;
		char fail[200] = "";

		if (sscanf(line, "ping %u", &n) == 1) {
			printf("pong %u\n", n);
		} else if (!strncmp(line, "check", 5)) {
			if (tcgetattr(0, &tio) || (tio.c_lflag & ECHO) || tio.c_cc[VINTR] != VINTR_CHAR)
				snprintf(fail, sizeof(fail), "termios lost");
			else if (ioctl(0, TIOCGWINSZ, &ws) || ws.ws_row != ROWS || ws.ws_col != COLS)
				snprintf(fail, sizeof(fail), "window %ux%u", ws.ws_row, ws.ws_col);
			else if (tcgetpgrp(0) != getpgrp() || tcgetsid(0) != getpid())
				snprintf(fail, sizeof(fail), "not its controlling terminal (pgrp %d sid %d)",
					 (int)tcgetpgrp(0), (int)tcgetsid(0));
			else if (!ttyname(0) || strncmp(ttyname(0), "/dev/pts/", 9))
				snprintf(fail, sizeof(fail), "stdin is %s", ttyname(0));
			printf("CHILDCHECK %s\n", fail[0] ? fail : "OK");
		}
		fflush(stdout);
	}
	_exit(1);
}

static void start_child(void)
{
	const char *name;
	struct winsize ws = { ROWS, COLS, 0, 0 };

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master) || !(name = ptsname(master)))
		t_fatal("pty");
	if (ioctl(master, TIOCSWINSZ, &ws))
		t_fatal("TIOCSWINSZ");
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0) {
		struct termios tio;
		int slave;

		close(master);
		if (setsid() < 0 || (slave = open(name, O_RDWR)) < 0)
			_exit(2);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		tcgetattr(0, &tio);
		tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tio.c_cc[VINTR] = VINTR_CHAR;
		tcsetattr(0, TCSANOW, &tio);
		child_loop();
	}
}

/* Send @cmd to the child, read through the master until a line starting
 * with @want arrives (2 s at most); the line, or "" on a time-out. */
static const char *ask(const char *cmd, const char *want)
{
	static char buf[1024];
	size_t len = 0;
	int64_t end = t_now_ns() + 2000000000LL;

	t_write_all(master, cmd, strlen(cmd));
	while (t_now_ns() < end) {
		struct pollfd p = { master, POLLIN, 0 };
		char *line;
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(master, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
		line = strstr(buf, want);
		if (line && strchr(line, '\n')) {
			*strchr(line, '\n') = 0;
			if (strchr(line, '\r'))
				*strchr(line, '\r') = 0;
			return line;
		}
		if (len > sizeof(buf) / 2)
			len = 0;
	}
	return "";
}

static void pty_check(struct t_check *c)
{
	char cmd[64], want[64];
	const char *got;
	struct winsize ws;

	snprintf(cmd, sizeof(cmd), "ping %u\n", ++pings);
	snprintf(want, sizeof(want), "pong %u", pings);
	if (strcmp(ask(cmd, want), want))
		t_check_fail(c, "no '%s' through the pty", want);
	got = ask("check\n", "CHILDCHECK");
	if (strcmp(got, "CHILDCHECK OK"))
		t_check_fail(c, "child on the pty says '%s'", got[0] ? got : "nothing");
	if (ioctl(master, TIOCGWINSZ, &ws) || ws.ws_row != ROWS || ws.ws_col != COLS)
		t_check_fail(c, "master window %ux%u", ws.ws_row, ws.ws_col);
	if (waitpid(child, NULL, WNOHANG) != 0)
		t_check_fail(c, "child %d is gone", (int)child);
	t_check_info(c, "child=%d", (int)child);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = pty_check };

	t_init(argc, argv);
	start_child();
	t_run(&ops);
	return 0;
}
