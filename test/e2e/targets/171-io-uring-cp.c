/*
 * 171-io-uring-cp.c - a file copy through io_uring in batches, in the
 * spirit of liburing's examples/io_uring-cp.c (which Debian does not
 * package): WORKDIR/src (256 KiB) is copied to WORKDIR/dst in 16 KiB
 * chunks, four reads in flight at once, then their four writes; between
 * two batches the ring is idle. The first batch runs at start, each
 * SIGUSR1 runs the next one ("BATCH n"); after the last, "DONE" and the
 * copy is read back and compared.
 *
 * Self-check: the batches done so far, and the ring's indices equal the
 * requests the program submitted and reaped (8 a batch).
 */
#include "target.h"

#include <liburing.h>

#define CHUNK (16 * 1024)
#define QD 4
#define FILE_LEN (256 * 1024)
#define BATCHES (FILE_LEN / (CHUNK * QD))

static struct io_uring ring;
static int src_fd, dst_fd, batches, done;
static char bufs[QD][CHUNK];
static unsigned int reaped;

static char pattern(size_t off)
{
	return (char)('A' + (off * 31 + off / 4093) % 53);
}

/* Submit @n requests already prepared and reap them all, each with res
 * @want. */
static void run(int n, int want, const char *what)
{
	struct io_uring_cqe *cqe;

	if (io_uring_submit_and_wait(&ring, n) != n)
		t_fatal("submit %s", what);
	for (int i = 0; i < n; i++) {
		if (io_uring_wait_cqe(&ring, &cqe))
			t_fatal("wait %s", what);
		if (cqe->res != want)
			t_fatal("%s %llu: res %d", what, (unsigned long long)cqe->user_data, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
		reaped++;
	}
}

static void batch(void)
{
	off_t base = (off_t)batches * CHUNK * QD;
	struct io_uring_sqe *sqe;

	for (int i = 0; i < QD; i++) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, src_fd, bufs[i], CHUNK, base + (off_t)i * CHUNK);
		sqe->user_data = (unsigned long long)(base + i * CHUNK);
	}
	run(QD, CHUNK, "read");
	for (int i = 0; i < QD; i++) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_write(sqe, dst_fd, bufs[i], CHUNK, base + (off_t)i * CHUNK);
		sqe->user_data = (unsigned long long)(base + i * CHUNK);
	}
	run(QD, CHUNK, "write");
	batches++;
	t_log("BATCH %d", batches);
}

static void verify(void)
{
	static char b[FILE_LEN];
	int fd = open("dst", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, b, sizeof(b)) != FILE_LEN)
		t_fatal("read dst");
	close(fd);
	for (size_t i = 0; i < FILE_LEN; i++)
		if (b[i] != pattern(i))
			t_fatal("dst byte %zu", i);
	t_log("DONE");
}

static void iterate(void)
{
	if (!done && batches < BATCHES && t_usr1_count >= batches) {
		batch();
		if (batches == BATCHES) {
			verify();
			done = 1;
		}
	}
}

static void check(struct t_check *c)
{
	t_check_info(c, "batches=%d", batches);
	if (*ring.sq.khead != reaped || *ring.cq.ktail != reaped || *ring.cq.khead != reaped)
		t_check_fail(c, "ring indices %u %u %u, %u requests reaped", *ring.sq.khead,
			     *ring.cq.ktail, *ring.cq.khead, reaped);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { iterate, check };
	static char b[FILE_LEN];

	t_init(argc, argv);
	for (size_t i = 0; i < FILE_LEN; i++)
		b[i] = pattern(i);
	src_fd = open("src", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (src_fd < 0 || write(src_fd, b, FILE_LEN) != FILE_LEN)
		t_fatal("write src");
	dst_fd = open("dst", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (dst_fd < 0)
		t_fatal("open dst");
	if (io_uring_queue_init(QD, &ring, 0))
		t_fatal("io_uring_queue_init");
	batch();
	t_run(&ops);
	return 0;
}
