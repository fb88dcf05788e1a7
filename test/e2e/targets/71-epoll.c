/*
 * 71-epoll.c - an epoll with items of every sort, a nested epoll, and an
 * item added by a child process on an fd number only the child has.
 *
 * Usage: 71-epoll WORKDIR
 *
 * Before READY it sets up, at fixed fd numbers:
 *  - fds 10, 11: pipe A (read, write end), 20 bytes in it;
 *  - fds 12, 13: pipe B, empty;
 *  - fd 14: eventfd E holding 1;
 *  - fd 20: epoll P (close-on-exec) with the items
 *	10  EPOLLIN                   data 0xa1a1a1a1a1a1a1a1
 *	12  EPOLLIN | EPOLLET         data 0xb2
 *	14  EPOLLIN | EPOLLONESHOT    data 0xe3, reported once, so disarmed
 *	13  EPOLLOUT | EPOLLEXCLUSIVE data 0xd4
 *	30  EPOLLIN                   data 0xc6, added by the child (below)
 *  - fd 21: epoll Q (O_NONBLOCK) watching P: EPOLLIN, data 0xf5;
 *  - a child process (fork) that shares P and adds its own eventfd, at
 *    fd 30 (which the parent does not have), holding 7; it dies with its
 *    parent (PR_SET_PDEATHSIG).
 * It writes "CHILD pid=N".
 *
 * Self-check (SIGUSR2), which leaves P as it found it:
 *  - P reports exactly a1 (IN), c6 (IN) and d4 (OUT): not b2 (nothing in
 *    B), not e3 (disarmed); Q reports f5 (IN);
 *  - EPOLL_CTL_MOD of fd 14 re-arms e3: reported once, then not again;
 *  - EPOLL_CTL_DEL of fd 10 works, a1 is then not reported, and it is
 *    added back; EPOLL_CTL_DEL of fd 11 (never added) fails with ENOENT;
 *  - one byte written to B makes b2 report once (edge-triggered);
 *  - the child: EPOLL_CTL_MOD of its fd 30 works and EPOLL_CTL_ADD of it
 *    fails with EEXIST (the item is keyed on its fd 30);
 *  - P is close-on-exec, Q is O_NONBLOCK.
 */
#include "target.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

#define FD_P 20
#define FD_Q 21
#define FD_CHILD_EV 30

static struct t_board *board;

static void add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		t_fatal("EPOLL_CTL_ADD %d to %d", fd, ep);
}

/* What @ep reports now, as "data:events,..." by increasing data. */
static void ready(int ep, char *buf, size_t size)
{
	struct epoll_event evs[16];
	int n = epoll_wait(ep, evs, 16, 0);
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (evs[j].data.u64 < evs[i].data.u64) {
				struct epoll_event t = evs[i];

				evs[i] = evs[j];
				evs[j] = t;
			}
	for (int i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%llx:%x", i ? "," : "",
					(unsigned long long)evs[i].data.u64, evs[i].events);
	if (n < 0)
		snprintf(buf, size, "epoll_wait: %s", strerror(errno));
}

static void expect_ready(struct t_check *c, int ep, const char *want, const char *when)
{
	char got[256];

	ready(ep, got, sizeof(got));
	if (strcmp(got, want))
		t_check_fail(c, "%s: epoll %d reports [%s], want [%s]", when, ep, got, want);
}

static void expect_ctl(struct t_check *c, int op, int fd, uint32_t events, uint64_t data, int err,
		       const char *what)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	int r = epoll_ctl(FD_P, op, fd, &ev) ? errno : 0;

	if (r != err)
		t_check_fail(c, "%s: %s, want %s", what, r ? strerror(r) : "success",
			     err ? strerror(err) : "success");
}

static void child_check(struct t_check *c, int i)
{
	expect_ctl(c, EPOLL_CTL_MOD, FD_CHILD_EV, EPOLLIN, 0xc6, 0, "child: MOD of its fd 30");
	expect_ctl(c, EPOLL_CTL_ADD, FD_CHILD_EV, EPOLLIN, 0xc6, EEXIST, "child: ADD of its fd 30");
}

static const char *slot_name(int i)
{
	return "child";
}

static void epoll_check(struct t_check *c)
{
	char byte = 'x';
	uint32_t gen;

	expect_ready(c, FD_P, "c6:1,d4:4,a1a1a1a1a1a1a1a1:1", "first");
	expect_ready(c, FD_Q, "f5:1", "nested");
	expect_ctl(c, EPOLL_CTL_MOD, 14, EPOLLIN | EPOLLONESHOT, 0xe3, 0, "MOD of fd 14");
	expect_ready(c, FD_P, "c6:1,d4:4,e3:1,a1a1a1a1a1a1a1a1:1", "re-armed");
	expect_ready(c, FD_P, "c6:1,d4:4,a1a1a1a1a1a1a1a1:1", "one shot");
	expect_ctl(c, EPOLL_CTL_DEL, 10, 0, 0, 0, "DEL of fd 10");
	expect_ready(c, FD_P, "c6:1,d4:4", "without fd 10");
	expect_ctl(c, EPOLL_CTL_ADD, 10, EPOLLIN, 0xa1a1a1a1a1a1a1a1ULL, 0, "ADD of fd 10");
	expect_ctl(c, EPOLL_CTL_DEL, 11, 0, 0, ENOENT, "DEL of fd 11");
	if (write(13, &byte, 1) != 1)
		t_check_fail(c, "write to pipe B: %s", strerror(errno));
	expect_ready(c, FD_P, "b2:1,c6:1,d4:4,a1a1a1a1a1a1a1a1:1", "edge");
	expect_ready(c, FD_P, "c6:1,d4:4,a1a1a1a1a1a1a1a1:1", "after the edge");
	if (read(12, &byte, 1) != 1)
		t_check_fail(c, "read pipe B: %s", strerror(errno));
	gen = t_board_ask(board);
	t_board_wait(board, 1, gen, 5000000000LL);
	t_board_report(board, 1, gen, c, slot_name);
	if (!(fcntl(FD_P, F_GETFD) & FD_CLOEXEC))
		t_check_fail(c, "epoll P lost FD_CLOEXEC");
	if (!(fcntl(FD_Q, F_GETFL) & O_NONBLOCK))
		t_check_fail(c, "epoll Q lost O_NONBLOCK");
}

static void wait_recorded(struct t_board *b, int i)
{
	int64_t end = t_now_ns() + 10000000000LL;

	while (!*(volatile int32_t *)&b->slot[i].pid0) {
		struct timespec ms = { 0, 1000000 };

		if (t_now_ns() > end)
			t_fatal("process %d of the board never started", i);
		nanosleep(&ms, NULL);
	}
}

static void child_main(void)
{
	int fd = eventfd(7, EFD_CLOEXEC);

	if (fd < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL))
		_exit(2);
	t_fd_at(fd, FD_CHILD_EV);
	add(FD_P, FD_CHILD_EV, EPOLLIN, 0xc6);
	t_slot_record(board, 1);
	t_board_serve(board, 1, child_check);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = epoll_check };
	int a[2], b[2], fd;
	pid_t child;
	char buf[256];

	t_init(argc, argv);
	board = t_board_new(2);
	t_slot_record(board, 0);
	if (pipe(a) || pipe(b))
		t_fatal("pipe");
	t_fd_at(a[0], 10);
	t_fd_at(a[1], 11);
	t_fd_at(b[0], 12);
	t_fd_at(b[1], 13);
	t_write_all(11, "twenty bytes of data", 20);
	fd = eventfd(1, 0);
	if (fd < 0)
		t_fatal("eventfd");
	t_fd_at(fd, 14);
	fd = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0)
		t_fatal("epoll_create1");
	t_fd_at(fd, FD_P);
	add(FD_P, 10, EPOLLIN, 0xa1a1a1a1a1a1a1a1ULL);
	add(FD_P, 12, EPOLLIN | EPOLLET, 0xb2);
	add(FD_P, 14, EPOLLIN | EPOLLONESHOT, 0xe3);
	add(FD_P, 13, EPOLLOUT | EPOLLEXCLUSIVE, 0xd4);
	fd = epoll_create1(0);
	if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK))
		t_fatal("epoll_create1");
	t_fd_at(fd, FD_Q);
	add(FD_Q, FD_P, EPOLLIN, 0xf5);
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0)
		child_main();
	wait_recorded(board, 1);
	/* Fires the one-shot item, which disarms it. */
	ready(FD_P, buf, sizeof(buf));
	if (strcmp(buf, "c6:1,d4:4,e3:1,a1a1a1a1a1a1a1a1:1"))
		t_fatal("epoll set-up: reports [%s]", buf);
	t_log("CHILD pid=%d", (int)child);
	t_run(&ops);
	return 0;
}
