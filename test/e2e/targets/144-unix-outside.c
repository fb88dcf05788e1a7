/*
 * 144-unix-outside.c - a service whose stdout is a unix stream socket to
 * a journald-like reader outside its tree, and whose fd 6 is a seqpacket
 * socket to the same reader: `144-unix-outside WORKDIR`, started with
 * fd 1 and fd 6 already connected (test/e2e/py/unix_outside.py launch).
 *
 * It writes, through one write(2) each:
 *  - "N n" on stdout and the record "F n" on fd 6 every iteration
 *    (n = 1, 2, 3...: whoever reads them sees a gap or a repeat if the
 *    counter or the socket went wrong), paced by a 2 ms nanosleep;
 *  - "GOT record" in WORKDIR/got for each record read from fd 6 (which
 *    it made O_NONBLOCK itself);
 *  - "READY pid=N" in WORKDIR/state at start, and on SIGUSR2 "CHECK OK
 *    n=N" or "CHECK FAIL what" there: fd 6 still a non-blocking seqpacket
 *    socket, stdout open for writing (and only for writing if it is a
 *    pipe), getpid() unchanged.
 * A write whose reader is gone (EPIPE) ends it with status 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static void self_check(unsigned long n)
{
	char fail[256] = "";
	int type = 0, fl6 = fcntl(6, F_GETFL), fl1 = fcntl(1, F_GETFL);
	socklen_t len = sizeof(type);
	struct stat st;

	if (fl6 < 0 || fstat(6, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(6, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET)
		snprintf(fail + strlen(fail), sizeof(fail) - strlen(fail),
			 "fd 6 is not a seqpacket socket; ");
	else if (!(fl6 & O_NONBLOCK))
		snprintf(fail + strlen(fail), sizeof(fail) - strlen(fail),
			 "fd 6 lost O_NONBLOCK; ");
	if (fl1 < 0 || fstat(1, &st) < 0 || (fl1 & O_ACCMODE) == O_RDONLY)
		snprintf(fail + strlen(fail), sizeof(fail) - strlen(fail),
			 "fd 1 is not open for writing; ");
	else if (S_ISFIFO(st.st_mode) && (fl1 & O_ACCMODE) != O_WRONLY)
		snprintf(fail + strlen(fail), sizeof(fail) - strlen(fail),
			 "fd 1 is a pipe open for reading too; ");
	if (getpid() != pid0)
		snprintf(fail + strlen(fail), sizeof(fail) - strlen(fail), "pid %d, was %d; ",
			 (int)getpid(), (int)pid0);
	if (*fail)
		put(state_fd, "CHECK FAIL %s\n", fail);
	else
		put(state_fd, "CHECK OK n=%lu\n", n);
}

/* Each record waiting on fd 6 into WORKDIR/got. */
static void read_records(void)
{
	char rec[256];
	ssize_t r;

	while ((r = recv(6, rec, sizeof(rec) - 1, 0)) > 0) {
		rec[r] = 0;
		put(got_fd, "GOT %s\n", rec);
	}
}

int main(int argc, char **argv)
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	struct sigaction sa = { .sa_handler = on_usr2 };
	unsigned long n = 0;
	char rec[64];

	if (argc < 2 || chdir(argv[1]))
		return 2;
	pid0 = getpid();
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGUSR2, &sa, NULL);
	state_fd = open("state", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	got_fd = open("got", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (state_fd < 0 || got_fd < 0 || fcntl(6, F_SETFL, O_RDWR | O_NONBLOCK) < 0)
		return 2;
	put(state_fd, "READY pid=%d\n", (int)pid0);
	for (;;) {
		int len;

		n++;
		put(1, "N %lu\n", n);
		len = snprintf(rec, sizeof(rec), "F %lu", n);
		while (send(6, rec, (size_t)len, 0) != len)
			if (errno != EINTR && errno != EAGAIN)
				_exit(3);
		read_records();
		if (check_requested) {
			check_requested = 0;
			self_check(n);
		}
		nanosleep(&pause, NULL);
	}
}
