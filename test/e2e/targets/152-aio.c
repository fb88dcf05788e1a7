/*
 * 152-aio.c - a Linux AIO context (io_setup) left idle between requests,
 * as a database or a storage server keeps one.
 *
 * Usage: 152-aio WORKDIR [unreaped]
 *
 * Writes WORKDIR/data (8 KiB of a known pattern), sets up a context of 16
 * events with raw syscalls, then reads five pieces of the file through it
 * (io_submit, io_getevents), so that the ring's head and tail are not at
 * zero. With "unreaped", one more read is submitted and its completion
 * left in the ring. Then the common loop.
 *
 * Self-check (SIGUSR2): the ring is at the context's address with its
 * magic, head == tail == where this process's own count of requests puts
 * them; one more read of the file goes through the context and comes back
 * with its cookie, its iocb, its length and the file's bytes. Reported:
 * reads=N (requests completed so far), head=N.
 */
#include "target.h"

#include <linux/aio_abi.h>
#include <sys/syscall.h>

#define DATA_BYTES 8192
#define AIO_RING_MAGIC 0xa10a10a1

struct aio_ring {
	unsigned id, nr, head, tail, magic, compat_features, incompat_features, header_length;
	struct io_event events[];
};

static aio_context_t ctx;
static int data_fd;
static unsigned long reads;
static unsigned ring_nr;

static unsigned char data_byte(size_t i)
{
	return (unsigned char)(i * 11 + (i >> 8) + 5);
}

/* One read of @len bytes at @off through the context; NULL or what failed. */
static const char *aio_read_once(size_t off, size_t len)
{
	static char why[128];
	unsigned char buf[2048];
	struct iocb cb = { 0 }, *cbs[1] = { &cb };
	struct io_event ev;
	struct timespec ts = { 10, 0 };

	cb.aio_data = 0xc0ffee00 + reads;
	cb.aio_lio_opcode = IOCB_CMD_PREAD;
	cb.aio_fildes = (uint32_t)data_fd;
	cb.aio_buf = (uint64_t)(uintptr_t)buf;
	cb.aio_nbytes = len;
	cb.aio_offset = (int64_t)off;
	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1) {
		snprintf(why, sizeof(why), "io_submit: %s", strerror(errno));
		return why;
	}
	if (syscall(SYS_io_getevents, ctx, 1, 1, &ev, &ts) != 1) {
		snprintf(why, sizeof(why), "io_getevents: %s", strerror(errno));
		return why;
	}
	reads++;
	if (ev.data != cb.aio_data || ev.obj != (uint64_t)(uintptr_t)&cb || ev.res != (int64_t)len)
		return "the event is not the request's";
	for (size_t i = 0; i < len; i++)
		if (buf[i] != data_byte(off + i))
			return "the data read is wrong";
	return NULL;
}

static void aio_check(struct t_check *c)
{
	struct aio_ring *ring = (struct aio_ring *)(uintptr_t)ctx;
	unsigned want = (unsigned)(reads % ring_nr);
	const char *why;

	if (ring->magic != AIO_RING_MAGIC || ring->nr != ring_nr)
		t_check_fail(c, "no ring at the context's address (magic %#x, nr %u)", ring->magic,
			     ring->nr);
	else if (ring->head != want || ring->tail != want)
		t_check_fail(c, "ring head %u tail %u, want both %u", ring->head, ring->tail, want);
	why = aio_read_once((reads * 700) % (DATA_BYTES - 1024), 1024);
	if (why)
		t_check_fail(c, "a read through the context: %s", why);
	t_check_info(c, "reads=%lu", reads);
	t_check_info(c, "head=%u", ring->head);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = aio_check };
	unsigned char buf[DATA_BYTES];
	const char *why;

	t_init(argc, argv);
	for (size_t i = 0; i < DATA_BYTES; i++)
		buf[i] = data_byte(i);
	data_fd = open("data", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (data_fd < 0 || write(data_fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		t_fatal("write data");
	if (syscall(SYS_io_setup, 16, &ctx))
		t_fatal("io_setup");
	ring_nr = ((struct aio_ring *)(uintptr_t)ctx)->nr;
	for (int i = 0; i < 5; i++) {
		why = aio_read_once((size_t)i * 512, 512);
		if (why) {
			errno = 0;
			t_fatal("read %d: %s", i, why);
		}
	}
	if (argc > 2 && !strcmp(argv[2], "unreaped")) {
		static struct iocb cb;
		struct iocb *cbs[1] = { &cb };

		cb.aio_lio_opcode = IOCB_CMD_PREAD;
		cb.aio_fildes = (uint32_t)data_fd;
		cb.aio_buf = (uint64_t)(uintptr_t)buf;
		cb.aio_nbytes = 512;
		if (syscall(SYS_io_submit, ctx, 1, cbs) != 1)
			t_fatal("io_submit");
	}
	t_run(&ops);
	return 0;
}
