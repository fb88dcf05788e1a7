/*
 * 140-pipe-outside.c - a program in the middle of a shell pipeline:
 * `feeder | 140-pipe-outside WORKDIR 5>PIPE | reader`.
 *
 * Its stdin, stdout and fd 5 are pipes whose other ends processes outside
 * the tree hold, so it cannot speak the usual protocol on stdout. It
 * writes instead, through one write(2) each:
 *  - "N n" on stdout and "F n" on fd 5 every iteration (n = 1, 2, 3...:
 *    whoever reads them sees a gap or a repeat if the counter or the pipe
 *    went wrong), paced by a 2 ms nanosleep;
 *  - "GOT line" in WORKDIR/got for each line read from stdin (which it
 *    made O_NONBLOCK itself);
 *  - "READY pid=N" in WORKDIR/state at start, and on SIGUSR2 "CHECK OK
 *    n=N" or "CHECK FAIL what" there: stdin still non-blocking and
 *    readable, stdout and fd 5 write-only pipes, getpid() unchanged.
 * A write to a pipe whose reader is gone (EPIPE) ends it with status 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t check_requested;
static int state_fd, got_fd;
static pid_t pid0;

static void put(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		_exit(4);
	while (write(fd, buf, (size_t)n) != n)
		if (errno != EINTR && errno != EAGAIN)
			_exit(3);
}

static void on_usr2(int sig)
{
	(void)sig;
	check_requested = 1;
}

static void check_pipe(char *fail, size_t size, int fd, int acc)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);
	size_t len = strlen(fail);

	if (fl < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || (fl & O_ACCMODE) != acc)
		snprintf(fail + len, size - len, "fd %d is not a %s pipe; ", fd,
			 acc == O_RDONLY ? "read" : "write");
	else if (fd == 0 && !(fl & O_NONBLOCK))
		snprintf(fail + len, size - len, "stdin lost O_NONBLOCK; ");
}

static void self_check(unsigned long n)
{
	char fail[256] = "";

	check_pipe(fail, sizeof(fail), 0, O_RDONLY);
	check_pipe(fail, sizeof(fail), 1, O_WRONLY);
	check_pipe(fail, sizeof(fail), 5, O_WRONLY);
	if (getpid() != pid0)
		snprintf(fail + strlen(fail), sizeof(fail) - strlen(fail), "pid %d, was %d; ",
			 (int)getpid(), (int)pid0);
	if (*fail)
		put(state_fd, "CHECK FAIL %s\n", fail);
	else
		put(state_fd, "CHECK OK n=%lu\n", n);
}

/* Whole lines from stdin into WORKDIR/got. */
static void read_input(char *line, size_t size, size_t *len)
{
	char c;

	while (read(0, &c, 1) == 1) {
		if (c == '\n') {
			line[*len] = 0;
			put(got_fd, "GOT %s\n", line);
			*len = 0;
		} else if (*len < size - 1) {
			line[(*len)++] = c;
		}
	}
}

int main(int argc, char **argv)
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	struct sigaction sa = { .sa_handler = on_usr2 };
	char line[256];
	size_t len = 0;
	unsigned long n = 0;

	if (argc < 2 || chdir(argv[1]))
		return 2;
	pid0 = getpid();
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGUSR2, &sa, NULL);
	state_fd = open("state", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	got_fd = open("got", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (state_fd < 0 || got_fd < 0 || fcntl(0, F_SETFL, O_NONBLOCK) < 0)
		return 2;
	put(state_fd, "READY pid=%d\n", (int)pid0);
	for (;;) {
		n++;
		put(1, "N %lu\n", n);
		put(5, "F %lu\n", n);
		read_input(line, sizeof(line), &len);
		if (check_requested) {
			check_requested = 0;
			self_check(n);
		}
		nanosleep(&pause, NULL);
	}
}
