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
#include "outside.h"

#include <sys/socket.h>

static void self_check(unsigned long n)
{
	char fail[256] = "";
	int type = 0, fl6 = fcntl(6, F_GETFL), fl1 = fcntl(1, F_GETFL);
	socklen_t len = sizeof(type);
	struct stat st;

	if (fl6 < 0 || fstat(6, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(6, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET)
		fail_add(fail, sizeof(fail), "fd 6 is not a seqpacket socket; ");
	else if (!(fl6 & O_NONBLOCK))
		fail_add(fail, sizeof(fail), "fd 6 lost O_NONBLOCK; ");
	if (fl1 < 0 || fstat(1, &st) < 0 || (fl1 & O_ACCMODE) == O_RDONLY)
		fail_add(fail, sizeof(fail), "fd 1 is not open for writing; ");
	else if (S_ISFIFO(st.st_mode) && (fl1 & O_ACCMODE) != O_WRONLY)
		fail_add(fail, sizeof(fail), "fd 1 is a pipe open for reading too; ");
	outside_report(fail, sizeof(fail), n);
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

static void step(unsigned long n)
{
	char rec[64];
	int len;

	put(1, "N %lu\n", n);
	len = snprintf(rec, sizeof(rec), "F %lu", n);
	while (send(6, rec, (size_t)len, 0) != len)
		if (errno != EINTR && errno != EAGAIN)
			_exit(3);
	read_records();
}

int main(int argc, char **argv)
{
	outside_init(argc, argv);
	if (fcntl(6, F_SETFL, O_RDWR | O_NONBLOCK) < 0)
		return 2;
	outside_run(step, self_check);
}
