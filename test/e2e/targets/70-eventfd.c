/*
 * 70-eventfd.c - eventfds in both modes, shared through dup and fork.
 *
 * Usage: 70-eventfd WORKDIR
 *
 * Before READY it sets up, at fixed fd numbers:
 *  - fd 10 "big": a counter, O_NONBLOCK and close-on-exec, holding
 *    BIG = 2^40 + 12345 (more than eventfd() itself can start with); a child
 *    process (fork) shares it;
 *  - fd 11 "sem": a semaphore (EFD_SEMAPHORE), blocking, holding 3; fd 12
 *    is a dup of it;
 *  - fd 13 "empty": a semaphore, O_NONBLOCK, holding 0;
 * and writes "CHILD pid=N" (the child dies with it: PR_SET_PDEATHSIG).
 *
 * Self-check (SIGUSR2), which leaves every count as it found it:
 *  - big: a read gives exactly BIG; O_NONBLOCK and FD_CLOEXEC are set; the
 *    child sees the same eventfd: 5 written by the parent is read by the
 *    child (BIG + 5), which writes BIG back, and the parent reads BIG;
 *  - sem: three reads, alternating fd 11 and its dup 12, give 1 each (a
 *    semaphore holding 3), a fourth finds nothing (poll); 3 is written back;
 *    fd 11 is blocking;
 *  - empty: nothing to read (EAGAIN); after writing 2, reads give 1, 1,
 *    then EAGAIN (a semaphore).
 */
#include "target.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

#define BIG ((1ULL << 40) + 12345)
#define FD_BIG 10
#define FD_SEM 11
#define FD_SEM_DUP 12
#define FD_EMPTY 13

static struct t_board *board;
static volatile uint64_t *child_expect; /* shared: what the child must read */

/* 1 if a read would find a count, 0 if not, -1 on error. */
static int readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) < 0 ? -1 : !!(p.revents & POLLIN);
}

static int ev_read(int fd, uint64_t *v)
{
	return read(fd, v, sizeof(*v)) == sizeof(*v) ? 0 : -errno;
}

static int ev_write(int fd, uint64_t v)
{
	return write(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -errno;
}

/* The child: its copy of "big" is the parent's. */
static void child_check(struct t_check *c, int i)
{
	uint64_t v = 0;
	int r = ev_read(FD_BIG, &v);

	if (r < 0)
		t_check_fail(c, "child: read big: %s", strerror(-r));
	else if (v != *child_expect)
		t_check_fail(c, "child: big holds %llu, want %llu (not shared?)",
			     (unsigned long long)v, (unsigned long long)*child_expect);
	if (r == 0 && ev_write(FD_BIG, v - 5) < 0)
		t_check_fail(c, "child: write big back: %s", strerror(errno));
}

/* Until process @i of the board has recorded itself. */
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

static const char *slot_name(int i)
{
	return "child";
}

static void big_check(struct t_check *c)
{
	uint64_t v = 0;
	uint32_t gen;
	int r;

	if ((fcntl(FD_BIG, F_GETFL) & O_NONBLOCK) == 0)
		t_check_fail(c, "big: O_NONBLOCK lost");
	if ((fcntl(FD_BIG, F_GETFD) & FD_CLOEXEC) == 0)
		t_check_fail(c, "big: FD_CLOEXEC lost");
	r = ev_read(FD_BIG, &v);
	if (r < 0) {
		t_check_fail(c, "big: read: %s", strerror(-r));
		return;
	}
	if (v != BIG)
		t_check_fail(c, "big: holds %llu, want %llu", (unsigned long long)v,
			     (unsigned long long)BIG);
	t_check_info(c, "big=%llu", (unsigned long long)v);
	/* The child reads BIG + 5 and writes BIG back. */
	*child_expect = BIG + 5;
	if (ev_write(FD_BIG, BIG + 5) < 0)
		t_check_fail(c, "big: write: %s", strerror(errno));
	gen = t_board_ask(board);
	t_board_wait(board, 1, gen, 5000000000LL);
	t_board_report(board, 1, gen, c, slot_name);
	r = ev_read(FD_BIG, &v);
	if (r < 0 || v != BIG)
		t_check_fail(c, "big: after the child, holds %llu (%s), want %llu",
			     (unsigned long long)(r ? 0 : v), r ? strerror(-r) : "read",
			     (unsigned long long)BIG);
	(void)ev_write(FD_BIG, BIG);
}

static void sem_check(struct t_check *c)
{
	int n = 0;

	if (fcntl(FD_SEM, F_GETFL) & O_NONBLOCK)
		t_check_fail(c, "sem: O_NONBLOCK appeared");
	for (int i = 0; i < 4 && readable(FD_SEM) == 1; i++) {
		uint64_t v = 0;
		int r = ev_read(i % 2 ? FD_SEM_DUP : FD_SEM, &v);

		if (r < 0 || v != 1) {
			t_check_fail(c, "sem: read %d gave %llu (%s), want 1 (semaphore)", i + 1,
				     (unsigned long long)v, r ? strerror(-r) : "ok");
			return;
		}
		n++;
	}
	if (n != 3)
		t_check_fail(c, "sem: held %d, want 3", n);
	t_check_info(c, "sem=%d", n);
	if (n && ev_write(FD_SEM_DUP, (uint64_t)n) < 0)
		t_check_fail(c, "sem: write back: %s", strerror(errno));
}

static void empty_check(struct t_check *c)
{
	uint64_t v = 0, a = 0, b = 0;
	int r = ev_read(FD_EMPTY, &v);

	if (r != -EAGAIN) {
		t_check_fail(c, "empty: first read: %s (%llu), want EAGAIN", strerror(-r),
			     (unsigned long long)v);
		return;
	}
	if (ev_write(FD_EMPTY, 2) < 0 || ev_read(FD_EMPTY, &a) < 0 || ev_read(FD_EMPTY, &b) < 0)
		t_check_fail(c, "empty: write 2, read, read: %s", strerror(errno));
	else if (a != 1 || b != 1)
		t_check_fail(c, "empty: after writing 2 reads gave %llu, %llu, want 1, 1",
			     (unsigned long long)a, (unsigned long long)b);
	r = ev_read(FD_EMPTY, &v);
	if (r != -EAGAIN)
		t_check_fail(c, "empty: last read: %s, want EAGAIN", strerror(-r));
}

static void eventfd_check(struct t_check *c)
{
	big_check(c);
	sem_check(c);
	empty_check(c);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = eventfd_check };
	pid_t child;
	int fd;

	t_init(argc, argv);
	board = t_board_new(2);
	child_expect = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (child_expect == MAP_FAILED)
		t_fatal("mmap");
	t_slot_record(board, 0);
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0 || ev_write(fd, BIG) < 0)
		t_fatal("eventfd big");
	t_fd_at(fd, FD_BIG);
	fd = eventfd(3, EFD_SEMAPHORE);
	if (fd < 0)
		t_fatal("eventfd sem");
	t_fd_at(fd, FD_SEM);
	if (dup2(FD_SEM, FD_SEM_DUP) < 0)
		t_fatal("dup2");
	fd = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK);
	if (fd < 0)
		t_fatal("eventfd empty");
	t_fd_at(fd, FD_EMPTY);
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL))
			_exit(2);
		t_slot_record(board, 1);
		t_board_serve(board, 1, child_check);
	}
	wait_recorded(board, 1);
	t_log("CHILD pid=%d", (int)child);
	t_run(&ops);
	return 0;
}
