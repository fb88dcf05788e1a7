/*
 * 142-epoll-stale.c - an epoll whose items outlived their fds.
 *
 * Usage: 142-epoll-stale WORKDIR
 *
 * The epoll at EP_FD holds, in this order:
 *  - A: the read end of pipe A, added at fd 20 (data 0xA1), then moved
 *    to fd 21 and closed at 20: the item stays keyed (A, 20);
 *  - B: the read end of pipe B, then put at fd 20 and added there too
 *    (data 0xB2): two items with fd number 20, of different files;
 *  - C: an eventfd with a count of 1 (always readable), added at fd 22
 *    (data 0xC3); a child then takes it to its fd 30, leaves the epoll
 *    and fd 22, and this process closes fd 22: only the child has C.
 * Writes "CHILD pid=N" before READY. The child waits in pause().
 *
 * Self-check (SIGUSR2), besides the common checks:
 *  - fd 20 is pipe B, fd 21 pipe A, fd 22 closed (as set up);
 *  - with nothing written, epoll_wait reports exactly C (0xC3, EPOLLIN);
 *    a byte written into A: exactly A and C (A's data, read from fd 21);
 *    a byte into B: exactly B and C;
 *  - EPOLL_CTL_MOD of fd 21 fails with ENOENT (A is keyed on 20), and the
 *    epoll's fdinfo lists fd 20 twice and 22 once.
 */
#include "target.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#define EP_FD 23
#define DATA_A 0xA1
#define DATA_B 0xB2
#define DATA_C 0xC3

static int wa, wb; /* write ends of pipes A and B */

static void place(int fd, int at)
{
	if (fd < 0 || dup2(fd, at) != at)
		t_fatal("dup2 %d to %d", fd, at);
	close(fd);
}

static void add(int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	if (epoll_ctl(EP_FD, EPOLL_CTL_ADD, fd, &ev))
		t_fatal("EPOLL_CTL_ADD %d", fd);
}

/* What epoll_wait reports now, as a bit set of A 1, B 2, C 4; bit 8 for
 * anything else. */
static int reported(void)
{
	struct epoll_event evs[8];
	int n = epoll_wait(EP_FD, evs, 8, 0), set = 0;

	for (int i = 0; i < n; i++) {
		if (evs[i].events != EPOLLIN)
			set |= 8;
		else if (evs[i].data.u64 == DATA_A)
			set |= 1;
		else if (evs[i].data.u64 == DATA_B)
			set |= 2;
		else if (evs[i].data.u64 == DATA_C)
			set |= 4;
		else
			set |= 8;
	}
	return n < 0 ? -1 : set;
}

static int count_items(const char *tfd)
{
	char path[64], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", EP_FD);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = line;

		if (strncmp(p, "tfd:", 4))
			continue;
		p += 4;
		while (*p == ' ')
			p++;
		n += !strncmp(p, tfd, strlen(tfd)) && p[strlen(tfd)] == ' ';
	}
	if (f)
		fclose(f);
	return n;
}

static int same_file(int a, int b)
{
	struct stat x, y;

	return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_ino == y.st_ino &&
	       x.st_dev == y.st_dev;
}

static void stale_check(struct t_check *c)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char byte;
	int set;

	if (!same_file(20, wb) || !same_file(21, wa) || fcntl(22, F_GETFD) >= 0)
		t_check_fail(c, "fds 20-22 are not B, A and closed");
	if ((set = reported()) != 4)
		t_check_fail(c, "with nothing written, epoll reports %#x, want C (4)", set);
	if (write(wa, "a", 1) != 1)
		t_check_fail(c, "write into A");
	if ((set = reported()) != 5)
		t_check_fail(c, "with A readable, epoll reports %#x, want A and C (5)", set);
	if (read(21, &byte, 1) != 1)
		t_check_fail(c, "read A");
	if (write(wb, "b", 1) != 1)
		t_check_fail(c, "write into B");
	if ((set = reported()) != 6)
		t_check_fail(c, "with B readable, epoll reports %#x, want B and C (6)", set);
	if (read(20, &byte, 1) != 1)
		t_check_fail(c, "read B");
	if (epoll_ctl(EP_FD, EPOLL_CTL_MOD, 21, &ev) == 0 || errno != ENOENT)
		t_check_fail(c, "EPOLL_CTL_MOD of fd 21 did not fail with ENOENT");
	if (count_items("20") != 2 || count_items("22") != 1)
		t_check_fail(c, "the epoll lists fd 20 %d times and fd 22 %d times",
			     count_items("20"), count_items("22"));
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = stale_check };
	int p[2], go[2];
	pid_t child;
	char c;

	t_init(argc, argv);
	place(epoll_create1(0), EP_FD);
	if (pipe(p))
		t_fatal("pipe A");
	wa = p[1];
	place(p[0], 20);
	add(20, DATA_A);
	place(20, 21);
	if (pipe(p))
		t_fatal("pipe B");
	wb = p[1];
	place(p[0], 20);
	add(20, DATA_B);
	place(eventfd(1, 0), 22);
	add(22, DATA_C);

	if (pipe(go))
		t_fatal("pipe");
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0) {
		signal(SIGTERM, SIG_DFL);
		close(EP_FD);
		place(22, 30);
		if (write(go[1], "x", 1) != 1)
			_exit(3);
		close(go[0]);
		close(go[1]);
		for (;;)
			pause();
	}
	close(go[1]);
	if (read(go[0], &c, 1) != 1)
		t_fatal("the child did not take C");
	close(go[0]);
	close(22);
	t_log("CHILD pid=%d", (int)child);
	t_run(&ops);
	return 0;
}
