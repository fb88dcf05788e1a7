/*
 * 170-io-uring.c - a process with an io_uring (liburing) left idle.
 *
 * Usage: 170-io-uring WORKDIR idle|inflight
 *
 * idle: a ring of 8 entries (CQ 16) with three registered file slots
 * (WORKDIR/data, an empty slot, WORKDIR/log) and two registered buffers.
 * It runs 37 NOPs and one fixed read (of the registered file, into the
 * first fixed buffer) and reaps them, so that the indices are not at 0
 * nor at a multiple of the ring size; then it leaves one CQE unreaped (a
 * NOP with user_data 0xC0FFEE) and one SQE prepared but not submitted (a
 * NOP with user_data 0xBEEF), and idles.
 *
 * Self-check: the indices are those it left (sq head/tail, cq head/tail,
 * read through liburing's pointers into the ring) and the CQE it left
 * is there. After the first SIGUSR1 it uses the ring again: it submits
 * the prepared SQE along with a fixed read of slot 0 at offset 4096 into
 * the second fixed buffer and a NOP, reaps all four CQEs (checking each
 * user_data and result, and the bytes read) and reports used=1.
 *
 * inflight: a ring with a read of an empty pipe in flight (refused at
 * dump); self-check: the read is still pending.
 *
 * single, eventfd: an idle ring of IORING_SETUP_SINGLE_ISSUER, or with an
 * eventfd registered (both refused at dump).
 *
 * memlock (run as a user without CAP_IPC_LOCK): RLIMIT_MEMLOCK of 256
 * KiB, a ring with one registered buffer of 32 KiB. After the first
 * SIGUSR1 it unregisters it and registers 512 KiB, which the kernel must
 * refuse (ENOMEM: over the limit, counted for the ring's user), then 32
 * KiB again, which it must take; the self-check says memlock=ok. (The
 * limit leaves room for the dumped ring, whose memory the kernel may not
 * have uncounted yet when the restored one registers.)
 */
#include <sys/eventfd.h>
#include <sys/resource.h>
#include "target.h"

#include <liburing.h>

#define DATA_LEN 8192
#define NOPS 37

static struct io_uring ring;
static char buf0[4096] __attribute__((aligned(4096)));
static char *buf1;
static const char *mode;
static unsigned int sq_head0, sq_tail0, cq_head0, cq_tail0;
static int used; /* 0 not yet, 1 done and right, -1 wrong */
static char why[256];
static int pipe_fds[2];

static char pattern(size_t off)
{
	return (char)('a' + (off * 7 + off / 13) % 26);
}

static void reap_one(unsigned long long want_data, int want_res, const char *what)
{
	struct io_uring_cqe *cqe;

	if (io_uring_wait_cqe(&ring, &cqe))
		t_fatal("wait %s", what);
	if (cqe->user_data != want_data || cqe->res != want_res)
		t_fatal("%s: user_data %llu res %d", what, (unsigned long long)cqe->user_data,
			cqe->res);
	io_uring_cqe_seen(&ring, cqe);
}

static void setup_idle(void)
{
	struct iovec iov[2];
	int files[3];
	struct io_uring_sqe *sqe;
	int fd;

	fd = open("data", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		t_fatal("open data");
	for (size_t i = 0; i < DATA_LEN; i++) {
		char c = pattern(i);

		if (write(fd, &c, 1) != 1)
			t_fatal("write data");
	}
	files[0] = fd;
	files[1] = -1;
	files[2] = open("log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	buf1 = aligned_alloc(4096, 4096);
	if (!buf1 || files[2] < 0)
		t_fatal("set-up");
	iov[0] = (struct iovec){ buf0, sizeof(buf0) };
	iov[1] = (struct iovec){ buf1, 4096 };
	{
		struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE, .cq_entries = 16 };

		if (io_uring_queue_init_params(8, &ring, &p))
			t_fatal("io_uring_queue_init");
	}
	if (io_uring_register_files(&ring, files, 3))
		t_fatal("register files");
	if (io_uring_register_buffers(&ring, iov, 2))
		t_fatal("register buffers");
	for (int i = 0; i < NOPS; i++) {
		sqe = io_uring_get_sqe(&ring);
		if (!sqe) {
			io_uring_submit(&ring);
			sqe = io_uring_get_sqe(&ring);
		}
		io_uring_prep_nop(sqe);
		sqe->user_data = 1000 + i;
		io_uring_submit(&ring);
		reap_one(1000 + i, 0, "nop");
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, 0, buf0, 4096, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 7;
	io_uring_submit(&ring);
	reap_one(7, 4096, "read_fixed");
	for (size_t i = 0; i < 4096; i++)
		if (buf0[i] != pattern(i))
			t_fatal("read_fixed: byte %zu", i);
	/* One CQE left for after the restore, one SQE not submitted. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 0xC0FFEE;
	io_uring_submit(&ring);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 0xBEEF;
	sq_head0 = *ring.sq.khead;
	sq_tail0 = *ring.sq.ktail;
	cq_head0 = *ring.cq.khead;
	cq_tail0 = *ring.cq.ktail;
	t_log("RING fd=%d sq_head=%u sq_tail=%u cq_head=%u cq_tail=%u", ring.ring_fd, sq_head0,
	      sq_tail0, cq_head0, cq_tail0);
}

static void setup_inflight(void)
{
	static char b[16];
	struct io_uring_sqe *sqe;

	if (pipe2(pipe_fds, O_CLOEXEC))
		t_fatal("pipe");
	if (io_uring_queue_init(4, &ring, 0))
		t_fatal("io_uring_queue_init");
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, pipe_fds[0], b, sizeof(b), 0);
	sqe->user_data = 5;
	io_uring_submit(&ring);
	t_log("RING fd=%d", ring.ring_fd);
}

/* After the restore: the ring goes on from where it was. */
static void use_ring(void)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int n;

	used = -1;
	if (io_uring_peek_cqe(&ring, &cqe) || cqe->user_data != 0xC0FFEE || cqe->res != 0) {
		snprintf(why, sizeof(why), "the CQE left is not there");
		return;
	}
	io_uring_cqe_seen(&ring, cqe);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, 0, buf1, 4096, 4096, 1);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 8;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 9;
	n = io_uring_submit_and_wait(&ring, 3);
	if (n != 3) {
		snprintf(why, sizeof(why), "submit: %d", n);
		return;
	}
	/* The read may complete after the NOP: matched by user_data. */
	for (int i = 0, seen = 0; i < 3; i++) {
		static const unsigned long long want[] = { 0xBEEF, 8, 9 };
		static const int res[] = { 0, 4096, 0 };
		int k;

		if (io_uring_wait_cqe(&ring, &cqe)) {
			snprintf(why, sizeof(why), "wait %d", i);
			return;
		}
		for (k = 0; k < 3 && cqe->user_data != want[k]; k++)
			;
		if (k == 3 || (seen & (1 << k)) || cqe->res != res[k]) {
			snprintf(why, sizeof(why), "cqe %d: user_data %llu res %d", i,
				 (unsigned long long)cqe->user_data, cqe->res);
			return;
		}
		seen |= 1 << k;
		io_uring_cqe_seen(&ring, cqe);
	}
	for (size_t i = 0; i < 4096; i++)
		if (buf1[i] != pattern(4096 + i)) {
			snprintf(why, sizeof(why), "fixed buffer byte %zu", i);
			return;
		}
	if (*ring.sq.khead != sq_head0 + 3 || *ring.cq.ktail != cq_tail0 + 3) {
		snprintf(why, sizeof(why), "indices after use: sq head %u cq tail %u",
			 *ring.sq.khead, *ring.cq.ktail);
		return;
	}
	used = 1;
}

static char *big;

static void setup_refused(void)
{
	struct io_uring_params p = { 0 };
	int efd = eventfd(0, EFD_CLOEXEC);

	if (!strcmp(mode, "single"))
		p.flags = IORING_SETUP_SINGLE_ISSUER;
	if (efd < 0 || io_uring_queue_init_params(4, &ring, &p))
		t_fatal("io_uring_queue_init");
	if (!strcmp(mode, "eventfd") && io_uring_register_eventfd(&ring, efd))
		t_fatal("register eventfd");
	t_log("RING fd=%d", ring.ring_fd);
}

static void setup_memlock(void)
{
	struct rlimit rl = { 256 * 1024, 256 * 1024 };
	struct iovec iov;

	big = aligned_alloc(4096, 512 * 1024);
	if (!big || setrlimit(RLIMIT_MEMLOCK, &rl))
		t_fatal("set-up");
	memset(big, 1, 512 * 1024);
	if (io_uring_queue_init(4, &ring, 0))
		t_fatal("io_uring_queue_init");
	iov = (struct iovec){ big, 32 * 1024 };
	if (io_uring_register_buffers(&ring, &iov, 1))
		t_fatal("register buffers");
	t_log("RING fd=%d", ring.ring_fd);
}

static void use_memlock(void)
{
	struct iovec iov = { big, 512 * 1024 };
	int r;

	used = -1;
	r = io_uring_unregister_buffers(&ring);
	if (r) {
		snprintf(why, sizeof(why), "unregister: %d", r);
		return;
	}
	r = io_uring_register_buffers(&ring, &iov, 1);
	if (r != -ENOMEM) {
		snprintf(why, sizeof(why), "512 KiB over a limit of 256 KiB registered: %d", r);
		return;
	}
	iov.iov_len = 32 * 1024;
	r = io_uring_register_buffers(&ring, &iov, 1);
	if (r) {
		snprintf(why, sizeof(why), "32 KiB not registered again: %d", r);
		return;
	}
	used = 1;
}

static void iterate(void)
{
	if (!strcmp(mode, "memlock") && t_usr1_count > 0 && !used)
		use_memlock();
	if (!strcmp(mode, "idle") && t_usr1_count > 0 && !used)
		use_ring();
}

static void check(struct t_check *c)
{
	struct io_uring_cqe *cqe;

	if (!strcmp(mode, "memlock")) {
		t_check_info(c, "memlock=%s", used > 0 ? "ok" : used ? "wrong" : "pending");
		if (used < 0)
			t_check_fail(c, "%s", why);
		return;
	}
	if (!strcmp(mode, "single") || !strcmp(mode, "eventfd"))
		return;
	if (!strcmp(mode, "inflight")) {
		if (io_uring_peek_cqe(&ring, &cqe) != -EAGAIN)
			t_check_fail(c, "the read of the empty pipe completed");
		return;
	}
	t_check_info(c, "used=%d", used);
	if (used < 0)
		t_check_fail(c, "using the ring: %s", why);
	if (used)
		return;
	if (*ring.sq.khead != sq_head0 || *ring.sq.ktail != sq_tail0 ||
	    *ring.cq.khead != cq_head0 || *ring.cq.ktail != cq_tail0)
		t_check_fail(c, "indices %u %u %u %u, were %u %u %u %u", *ring.sq.khead,
			     *ring.sq.ktail, *ring.cq.khead, *ring.cq.ktail, sq_head0, sq_tail0,
			     cq_head0, cq_tail0);
	if (io_uring_peek_cqe(&ring, &cqe) || cqe->user_data != 0xC0FFEE)
		t_check_fail(c, "the CQE left is not there");
	t_check_info(c, "sq_head=%u cq_tail=%u", *ring.sq.khead, *ring.cq.ktail);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { iterate, check };

	t_init(argc, argv);
	mode = argc > 2 ? argv[2] : "idle";
	if (!strcmp(mode, "inflight"))
		setup_inflight();
	else if (!strcmp(mode, "memlock"))
		setup_memlock();
	else if (!strcmp(mode, "single") || !strcmp(mode, "eventfd"))
		setup_refused();
	else
		setup_idle();
	t_run(&ops);
	return 0;
}
