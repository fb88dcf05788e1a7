// SPDX-License-Identifier: GPL-2.0
/*
 * The rings of io_setup(): Linux AIO contexts.
 *
 * io_setup() maps a ring (shown as "/[aio] (deleted)") whose address is
 * the context's id. It starts with a header (struct aio_ring: id, nr,
 * head, tail, magic...) followed by nr io_events; the kernel writes a
 * completion at its own copy of tail and reads head from the ring.
 *
 * Dump: the header, read from /proc/PID/mem. A ring with completions not
 * yet reaped (head != tail) is refused. Requests still in flight cannot be
 * seen from outside (the kernel shows no count of them): they are lost,
 * as README says.
 *
 * Restore: io_setup() again, for a ring of the same size (the kernel
 * doubles what is asked, adds two, and rounds it up to whole pages; a
 * machine with many more CPUs may make it larger: refused), and mremap()
 * to the dumped address: the kernel moves the context's id with it (its
 * aio_ring_mremap). Then head and tail are brought to the dumped position
 * by submitting reads of no bytes from /dev/null, which complete at once,
 * and reaping them: the kernel's own tail cannot be set any other way.
 */
#include "mm.h"

#include "imgdir.h"
#include "util.h"

#include <fcntl.h>
#include <linux/aio_abi.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define AIO_RING_MAGIC 0xa10a10a1
#define AIO_BATCH 128 /* requests submitted and reaped at once */

struct aio_ring_hdr {
	uint32_t id, nr, head, tail, magic, compat_features, incompat_features, header_length;
};

/* The events a ring of @len bytes holds (the kernel's rounding). */
static uint64_t ring_events(uint64_t len)
{
	return (len - sizeof(struct aio_ring_hdr)) / sizeof(struct io_event);
}

int aio_dump_vma(int pid, VmaEntry *v)
{
	struct aio_ring_hdr h;
	int r = remote_read(pid, v->start, &h, sizeof(h));

	if (r < 0)
		return pr_errno(r, "cannot read the AIO ring of %d at %llx", pid,
				(unsigned long long)v->start);
	if (h.magic != AIO_RING_MAGIC || h.nr != ring_events(v->end - v->start) || h.head >= h.nr ||
	    h.tail >= h.nr)
		return pr_fail(-EINVAL,
			       "cannot dump %d: the AIO ring at %llx is not one ckpt knows", pid,
			       (unsigned long long)v->start);
	if (h.head != h.tail)
		return pr_fail(
			-EBUSY,
			"cannot dump %d: the AIO ring at %llx holds %u completed events not yet reaped (io_getevents)",
			pid, (unsigned long long)v->start, (h.tail + h.nr - h.head) % h.nr);
	v->has_aio_nr = v->has_aio_head = true;
	v->aio_nr = h.nr;
	v->aio_head = h.head;
	return 0;
}

/*
 * Requests in flight when the tree froze cannot be seen, but most (direct
 * I/O, fsync) complete within the dump: their completions move the ring's
 * tail. Read again once the images are written, a moved tail fails the
 * dump. (A poll request may wait much longer: README.)
 */
int aio_recheck(int pid, const MmEntry *mm)
{
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		struct aio_ring_hdr h;
		int r;

		if (v->kind != VMA_KIND__VMA_AIO)
			continue;
		r = remote_read(pid, v->start, &h, sizeof(h));
		if (r < 0)
			return pr_errno(r, "cannot read the AIO ring of %d at %llx", pid,
					(unsigned long long)v->start);
		if (h.tail != v->aio_head)
			return pr_fail(
				-EBUSY,
				"cannot dump %d: requests were in flight on the AIO ring at %llx (completions arrived during the dump)",
				pid, (unsigned long long)v->start);
	}
	return 0;
}

int aio_check(const VmaEntry *v, size_t i, int pid)
{
	if (v->kind != VMA_KIND__VMA_AIO) {
		if (v->has_aio_nr || v->has_aio_head)
			return img_inconsistent(IMG_MM, pid, "vma %zu: AIO fields", i);
		return 0;
	}
	if (!v->has_aio_nr || !v->has_aio_head || v->path || v->pgoff ||
	    v->end - v->start > (64ULL << 20) || v->aio_nr != ring_events(v->end - v->start) ||
	    v->aio_head >= v->aio_nr || v->n_guards)
		return img_inconsistent(IMG_MM, pid, "vma %zu: AIO ring", i);
	return 0;
}

/* Run one remote syscall; its return or -errno. */
static long call(struct infect *inf, long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long ret;
	int r = infect_syscall6(inf, nr, &ret, a0, a1, a2, a3, a4, a5);

	return r < 0 ? r : ret;
}

/* Submit and reap @n reads of nothing from @fd: the ring moves n ahead. */
static int advance(struct infect *inf, uint64_t ctx, int fd, uint32_t n)
{
	uint64_t iocbs = inf->scratch, ptrs = iocbs + AIO_BATCH * sizeof(struct iocb);
	uint64_t events = ptrs + AIO_BATCH * sizeof(uint64_t);
	struct iocb cb[AIO_BATCH];
	uint64_t p[AIO_BATCH];
	int r;

	if (events + AIO_BATCH * sizeof(struct io_event) > inf->scratch + inf->scratch_len)
		return -E2BIG;
	memset(cb, 0, sizeof(cb));
	for (size_t i = 0; i < AIO_BATCH; i++) {
		cb[i].aio_lio_opcode = IOCB_CMD_PREAD;
		cb[i].aio_fildes = (uint32_t)fd;
		cb[i].aio_buf = events; /* no byte is read */
		p[i] = iocbs + i * sizeof(struct iocb);
	}
	r = remote_write(inf->pid, iocbs, cb, sizeof(cb));
	if (r >= 0)
		r = remote_write(inf->pid, ptrs, p, sizeof(p));
	while (r >= 0 && n) {
		long k = MIN(n, AIO_BATCH), done;

		done = call(inf, SYS_io_submit, (long)ctx, k, (long)ptrs, 0, 0, 0);
		if (done <= 0)
			return done < 0 ? (int)done : -EAGAIN;
		if (call(inf, SYS_io_getevents, (long)ctx, done, done, (long)events, 0, 0) != done)
			return -EIO;
		n -= (uint32_t)done;
	}
	return r;
}

static int ring_restore(struct infect *inf, const VmaEntry *v)
{
	uint64_t len = v->end - v->start, ctx = 0;
	/* The kernel doubles what is asked, adds two and rounds up to
	 * pages (and asks at least 4 a possible CPU). */
	long want = (long)((ring_events(len) - 2) / 2);
	struct aio_ring_hdr h;
	long ret, fd;
	int r;

	r = remote_write(inf->pid, inf->scratch, &ctx, sizeof(ctx));
	if (r < 0)
		return r;
	ret = call(inf, SYS_io_setup, want, (long)inf->scratch, 0, 0, 0, 0);
	if (ret < 0)
		return (int)ret;
	r = remote_read(inf->pid, inf->scratch, &ctx, sizeof(ctx));
	if (r < 0)
		return r;
	if (ctx != v->start) {
		ret = call(inf, SYS_mremap, (long)ctx, (long)len, (long)len,
			   MREMAP_MAYMOVE | MREMAP_FIXED, (long)v->start, 0);
		/* A ring of another size does not move. */
		if (ret != (long)v->start)
			return ret < 0 && ret != -EINVAL ? (int)ret : -ERANGE;
	}
	r = remote_read(inf->pid, v->start, &h, sizeof(h));
	if (r < 0)
		return r;
	if (h.nr != v->aio_nr)
		return -ERANGE;
	if (v->aio_head) {
		static const char null[] = "/dev/null";

		r = remote_write(inf->pid, inf->scratch, null, sizeof(null));
		if (r < 0)
			return r;
		fd = call(inf, SYS_openat, AT_FDCWD, (long)inf->scratch, O_RDONLY | O_CLOEXEC, 0, 0,
			  0);
		if (fd < 0)
			return (int)fd;
		r = advance(inf, v->start, (int)fd, v->aio_head);
		ret = call(inf, SYS_close, fd, 0, 0, 0, 0, 0);
		if (r >= 0 && ret < 0)
			r = (int)ret;
		if (r < 0)
			return r;
		r = remote_read(inf->pid, v->start, &h, sizeof(h));
		if (r < 0)
			return r;
		if (h.head != v->aio_head || h.tail != v->aio_head)
			return -EIO;
	}
	if (v->prot != (PROT_READ | PROT_WRITE)) {
		ret = call(inf, SYS_mprotect, (long)v->start, (long)len, (long)v->prot, 0, 0, 0);
		if (ret < 0)
			return (int)ret;
	}
	return 0;
}

int aio_restore(struct infect *inf, const MmEntry *mm)
{
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		int r;

		if (v->kind != VMA_KIND__VMA_AIO)
			continue;
		r = ring_restore(inf, v);
		if (r == -ERANGE)
			return pr_fail(
				r,
				"cannot restore the AIO ring of %d at %llx: io_setup makes a ring of another size here",
				inf->pid, (unsigned long long)v->start);
		if (r < 0)
			return pr_errno(r, "cannot restore the AIO ring of %d at %llx", inf->pid,
					(unsigned long long)v->start);
	}
	return 0;
}
