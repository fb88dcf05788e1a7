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
#include "outside.h"

static void check_pipe(char *fail, size_t size, int fd, int acc)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || (fl & O_ACCMODE) != acc)
		fail_add(fail, size, "fd %d is not a %s pipe; ", fd,
			 acc == O_RDONLY ? "read" : "write");
	else if (fd == 0 && !(fl & O_NONBLOCK))
		fail_add(fail, size, "stdin lost O_NONBLOCK; ");
}

static void self_check(unsigned long n)
{
	char fail[256] = "";

	check_pipe(fail, sizeof(fail), 0, O_RDONLY);
	check_pipe(fail, sizeof(fail), 1, O_WRONLY);
	check_pipe(fail, sizeof(fail), 5, O_WRONLY);
	outside_report(fail, sizeof(fail), n);
}

/* Whole lines from stdin into WORKDIR/got. */
static void read_input(void)
{
	static char line[256];
	static size_t len;
	char c;

	while (read(0, &c, 1) == 1) {
		if (c == '\n') {
			line[len] = 0;
			put(got_fd, "GOT %s\n", line);
			len = 0;
		} else if (len < sizeof(line) - 1) {
			line[len++] = c;
		}
	}
}

static void step(unsigned long n)
{
	put(1, "N %lu\n", n);
	put(5, "F %lu\n", n);
	read_input();
}

int main(int argc, char **argv)
{
	outside_init(argc, argv);
	if (fcntl(0, F_SETFL, O_NONBLOCK) < 0)
		return 2;
	outside_run(step, self_check);
}
