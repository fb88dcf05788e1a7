// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring: a ring with nothing in flight.
 *
 * Dump, from /proc/PID/fdinfo of the ring: its sizes (SqMask, CqMask), its
 * four indices, its registered files (by name, matched with the owner's
 * fds) and buffers (address/length); from a copy of the fd mapped in ckpt,
 * the bytes of its two regions (the rings, with unreaped CQEs and
 * unsubmitted SQEs, and the SQE array); from /proc/PID/maps, where the
 * owner maps it. Refused: a request in flight (a submitted SQE without its
 * CQE, anything in PollList or CqOverflowList), SQPOLL, personalities,
 * NAPI, an eventfd, IORING_SETUP_SINGLE_ISSUER (and so DEFER_TASKRUN), and
 * a layout a plain ring of the same sizes does not have (SQE128, CQE32,
 * NO_SQARRAY, NO_MMAP, when the region sizes tell).
 *
 * Restore: ckpt makes a ring of the same sizes, and brings its indices to
 * the saved ones: the kernel's cached SQ head and CQ tail only move by
 * submitting and completing, so it submits and reaps NOPs, a ring's worth
 * per io_uring_enter, until both equal the saved count (u32, wrapping).
 * Then the saved bytes go over both regions: user-written fields (SQ
 * tail, CQ head, flags), SQEs not submitted yet, CQEs not reaped yet. The
 * owner maps the regions at the same addresses and registers its files
 * and buffers again, by remote calls once its memory is back
 * (uring_restore_late): a registered buffer pins the pages of the
 * process that registers it.
 */
#include "files.h"

#include "imgdir.h"
#include "infect.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define RING_ENTRIES_MAX 32768u /* IORING_MAX_ENTRIES */
#define REGION_MAX (64u << 20)
#define REGION_PROBE_PAGES 64 /* how far past the owner's mapping a region is sought */
/* Registered files and buffers go through the restorer's scratch memory. */
#define FILES_MAX 4096u
#define BUFS_MAX 2048u
#define BUF_LEN_MAX (1u << 30)
/* NOPs a restore submits at most to bring the indices back (see above). */
#define NOPS_MAX (1u << 26)

static bool uring_claims(const char *link, const struct stat *st)
{
	(void)st;
	return !strcmp(link, "anon_inode:[io_uring]");
}

static int setup(uint32_t sq_entries, uint32_t cq_entries, struct io_uring_params *p)
{
	memset(p, 0, sizeof(*p));
	p->flags = IORING_SETUP_CQSIZE;
	p->cq_entries = cq_entries;
	int fd = (int)syscall(SYS_io_uring_setup, sq_entries, p);

	return fd < 0 ? -errno : fd;
}

/*
 * The size of the region of @fd at @off. The kernel lets a mapping be
 * longer than the region and leaves the pages past it out (an access
 * there is SIGBUS): the size is the pages of a mapping of @maplen bytes
 * that can be read, which process_vm_readv of our own memory tells
 * without a fault.
 */
static uint64_t region_size(int fd, uint64_t off, uint64_t maplen)
{
	char *m = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, (off_t)off);
	uint64_t len = 0;

	if (m == MAP_FAILED)
		return 0;
	for (; len < maplen; len += PAGE_SIZE) {
		char c;
		struct iovec local = { &c, 1 }, remote = { m + len, 1 };

		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != 1)
			break;
	}
	munmap(m, maplen);
	return len;
}

/* Is the region of @fd at @off exactly @len bytes long? */
static bool region_is(int fd, uint64_t off, uint64_t len)
{
	return region_size(fd, off, len + PAGE_SIZE) == len;
}

/* ---- dump ---------------------------------------------------------------- */

static int field_u32(const char *fdinfo, const char *key, uint32_t *ret, int base)
{
	const char *v = fdinfo_field(fdinfo, key);
	char *end;
	unsigned long x;

	if (!v)
		return -ENOENT;
	errno = 0;
	x = strtoul(v, &end, base);
	if (errno || end == v || x > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)x;
	return 0;
}

/* The lines of @fdinfo after the line starting with @key, up to the next
 * line that does not start with a space. */
static const char *section(const char *fdinfo, const char *key)
{
	const char *p = fdinfo_field(fdinfo, key);

	return p ? (p = strchr(p, '\n')) ? p + 1 : "" : NULL;
}

static bool section_empty(const char *fdinfo, const char *key)
{
	const char *p = section(fdinfo, key);

	return p && *p != ' ';
}

/* The fd of @pid whose link reads @name, if every fd that reads it is
 * the same description; -ENOENT, -ENOTUNIQ. */
static int fd_named(int pid, const char *name, int ring_fd)
{
	char dir[64], path[340], link[PATH_MAX];
	struct dirent *de;
	int found = -ENOENT;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		ssize_t n;

		if (de->d_name[0] == '.' || fd == ring_fd)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(link, name))
			continue;
		if (found < 0 || fd < found) {
			if (found >= 0 && syscall(SYS_kcmp, pid, pid, KCMP_FILE, found, fd) != 0)
				found = -ENOTUNIQ;
			if (found == -ENOTUNIQ)
				break;
			found = fd;
		} else if (syscall(SYS_kcmp, pid, pid, KCMP_FILE, found, fd) != 0) {
			found = -ENOTUNIQ;
			break;
		}
	}
	closedir(d);
	return found;
}

static int dump_files(const struct fd_dump *d, IoUringEntry *u)
{
	const char *p = section(d->fdinfo, "UserFiles:");
	uint32_t nr;

	if (field_u32(d->fdinfo, "UserFiles:", &nr, 10) < 0 || !p)
		return -EINVAL;
	if (nr > FILES_MAX)
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is an io_uring with %u registered files "
			       "(more than %u are not supported)",
			       d->pid, d->fd, nr, FILES_MAX);
	u->files = xmalloc(nr * sizeof(*u->files) + 1);
	u->n_files = nr;
	for (uint32_t i = 0; i < nr; i++)
		u->files[i] = -1;
	/* Only the slots that hold a file are shown ("<none>" on older kernels). */
	while (*p == ' ') {
		char *end, name[PATH_MAX];
		const char *nl = strchr(p, '\n');
		unsigned long slot = strtoul(p, &end, 10);
		size_t len;
		int fd;

		if (!nl || end == p || *end != ':' || slot >= nr)
			return -EINVAL;
		end++;
		while (*end == ' ' || *end == '\t')
			end++;
		len = (size_t)(nl - end);
		if (len >= sizeof(name))
			return -EINVAL;
		memcpy(name, end, len);
		name[len] = 0;
		p = nl + 1;
		if (!strcmp(name, "<none>"))
			continue;
		fd = fd_named(d->pid, name, d->fd);
		if (fd == -ENOTUNIQ || fd == -ENOENT)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d is an io_uring whose registered file %lu "
				"('%s') %s (not supported)",
				d->pid, d->fd, slot, name,
				fd == -ENOENT ? "the process has no fd of"
					      : "is one of several different files named so");
		if (fd < 0)
			return fd;
		u->files[slot] = fd;
	}
	if (nr && p == section(d->fdinfo, "UserFiles:"))
		return -EAGAIN; /* the kernel could not take the ring's lock */
	return 0;
}

static int dump_bufs(const struct fd_dump *d, IoUringEntry *u)
{
	const char *p = section(d->fdinfo, "UserBufs:");
	uint32_t nr, seen = 0;

	if (field_u32(d->fdinfo, "UserBufs:", &nr, 10) < 0 || !p)
		return -EINVAL;
	if (nr > BUFS_MAX)
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is an io_uring with %u registered buffers "
			       "(more than %u are not supported)",
			       d->pid, d->fd, nr, BUFS_MAX);
	u->bufs = xmalloc(nr * sizeof(*u->bufs) + 1);
	for (uint32_t i = 0; i < nr; i++) {
		u->bufs[i] = xmalloc(sizeof(*u->bufs[i]));
		io_uring_buf_entry__init(u->bufs[i]);
	}
	u->n_bufs = nr;
	while (*p == ' ') {
		char *end;
		const char *nl = strchr(p, '\n');
		unsigned long slot = strtoul(p, &end, 10);
		unsigned long long addr;
		unsigned int len;

		if (!nl || end == p || *end != ':' || slot >= nr)
			return -EINVAL;
		p = nl + 1;
		seen++;
		if (strstr(end, "<none>") && strstr(end, "<none>") < nl)
			continue;
		if (sscanf(end, ": 0x%llx/%u", &addr, &len) != 2)
			return -EINVAL;
		u->bufs[slot]->addr = addr;
		u->bufs[slot]->len = len;
	}
	if (seen != nr)
		return -EAGAIN; /* the kernel could not take the ring's lock */
	return 0;
}

/* Where @pid maps the ring (inode @ino). */
static int dump_maps(const struct fd_dump *d, IoUringEntry *u)
{
	struct proc_vma *vmas;
	size_t nr;
	int r;

	r = proc_read_maps(d->pid, &vmas, &nr);
	if (r < 0)
		return r;
	u->maps = xmalloc(nr * sizeof(*u->maps) + 1);
	for (size_t i = 0; i < nr; i++) {
		IoUringMapEntry *m;

		if (!vmas[i].path || strcmp(vmas[i].path, "anon_inode:[io_uring]") ||
		    vmas[i].ino != (uint64_t)d->st->st_ino)
			continue;
		m = xmalloc(sizeof(*m));
		io_uring_map_entry__init(m);
		m->start = vmas[i].start;
		m->end = vmas[i].end;
		m->pgoff = vmas[i].pgoff;
		m->prot = (vmas[i].r ? PROT_READ : 0) | (vmas[i].w ? PROT_WRITE : 0) |
			  (vmas[i].x ? PROT_EXEC : 0);
		u->maps[u->n_maps++] = m;
	}
	proc_vmas_free(vmas, nr);
	return 0;
}

static uint64_t mapped_len(const IoUringEntry *u, bool sqes)
{
	uint64_t len = 0;

	for (size_t i = 0; i < u->n_maps; i++)
		if ((u->maps[i]->pgoff == IORING_OFF_SQES) == sqes)
			len = MAX(len, u->maps[i]->end - u->maps[i]->start);
	return len;
}

/* The bytes of the region at @off of @fd (@len of them) into @b. */
static int region_copy(int fd, uint64_t off, uint64_t len, ProtobufCBinaryData *b)
{
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);

	if (m == MAP_FAILED)
		return -errno;
	b->data = xmalloc(len);
	b->len = len;
	memcpy(b->data, m, len);
	munmap(m, len);
	return 0;
}

/* A plain ring of these sizes has regions of these sizes: no flag that
 * changes the layout (SQE128, CQE32, NO_SQARRAY) shows. */
static int layout_plain(uint32_t sq, uint32_t cq, uint64_t rings, uint64_t sqes)
{
	struct io_uring_params p;
	int fd = setup(sq, cq, &p), r = 0;

	if (fd < 0)
		return fd;
	if (!region_is(fd, IORING_OFF_SQ_RING, rings) || !region_is(fd, IORING_OFF_SQES, sqes))
		r = -EOPNOTSUPP;
	close(fd);
	return r;
}

/* Is an eventfd registered? The kernel shows none in fdinfo, but refuses
 * a second one (-EBUSY); a ring of a single issuer refuses any other
 * task (-EEXIST). Ours is unregistered at once: the ring is idle and its
 * process frozen, nothing completes in between. */
static int probe_eventfd(int ring)
{
	_cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC);
	int r;

	if (efd < 0)
		return -errno;
	r = (int)syscall(SYS_io_uring_register, ring, IORING_REGISTER_EVENTFD, &efd, 1);
	if (r < 0)
		return -errno;
	r = (int)syscall(SYS_io_uring_register, ring, IORING_UNREGISTER_EVENTFD, NULL, 0);
	return r < 0 ? -errno : 0;
}

static int uring_dump(const struct fd_dump *d, FileEntry *e)
{
	uint32_t sq_mask, cq_mask, sq_head, sq_tail, cached_sq, cq_head, cq_tail, cached_cq;
	const char *thread = fdinfo_field(d->fdinfo, "SqThread:");
	const char *napi = fdinfo_field(d->fdinfo, "NAPI:");
	_cleanup_close_ int copy = -1;
	IoUringEntry *u;
	uint64_t rings, sqes;
	int r;

	if (field_u32(d->fdinfo, "SqMask:", &sq_mask, 16) < 0 ||
	    field_u32(d->fdinfo, "CqMask:", &cq_mask, 16) < 0 ||
	    field_u32(d->fdinfo, "SqHead:", &sq_head, 10) < 0 ||
	    field_u32(d->fdinfo, "SqTail:", &sq_tail, 10) < 0 ||
	    field_u32(d->fdinfo, "CachedSqHead:", &cached_sq, 10) < 0 ||
	    field_u32(d->fdinfo, "CqHead:", &cq_head, 10) < 0 ||
	    field_u32(d->fdinfo, "CqTail:", &cq_tail, 10) < 0 ||
	    field_u32(d->fdinfo, "CachedCqTail:", &cached_cq, 10) < 0 || !thread ||
	    !section(d->fdinfo, "PollList:") || !section(d->fdinfo, "CqOverflowList:"))
		return pr_fail(-EIO, "cannot dump %d: cannot read fdinfo of its io_uring fd %d",
			       d->pid, d->fd);
	if (strncmp(thread, "-1\n", 3))
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is an io_uring with a polling thread "
			       "(IORING_SETUP_SQPOLL, not supported)",
			       d->pid, d->fd);
	if (fdinfo_field(d->fdinfo, "Personalities:"))
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is an io_uring with registered personalities "
			       "(not supported)",
			       d->pid, d->fd);
	if (napi && strncmp(napi, "disabled\n", 9))
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is an io_uring with NAPI busy polling "
			       "(not supported)",
			       d->pid, d->fd);
	/* Every SQE the kernel took has its CQE posted and nothing waits
	 * armed or overflowed: nothing is in flight. (A request whose CQE is
	 * skipped or a multishot one breaks the count: refused too.) */
	if (cached_sq != sq_head || cached_cq != cq_tail || sq_head != cq_tail ||
	    !section_empty(d->fdinfo, "PollList:") || !section_empty(d->fdinfo, "CqOverflowList:"))
		return pr_fail(-EBUSY,
			       "cannot dump %d: fd %d is an io_uring with requests in flight "
			       "(%u submitted, %u completed; try again once they complete)",
			       d->pid, d->fd, sq_head, cq_tail);
	if (sq_head > NOPS_MAX)
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is an io_uring that ran %u requests "
			       "(more than %u are not supported)",
			       d->pid, d->fd, sq_head, NOPS_MAX);

	u = xmalloc(sizeof(*u));
	io_uring_entry__init(u);
	e->io_uring = u;
	u->sq_entries = sq_mask + 1;
	u->cq_entries = cq_mask + 1;
	u->sq_head = sq_head;
	u->sq_tail = sq_tail;
	u->cq_head = cq_head;
	u->cq_tail = cq_tail;
	r = dump_files(d, u);
	if (r >= 0)
		r = dump_bufs(d, u);
	if (r == -EINVAL || r == -EAGAIN)
		return pr_fail(-EIO, "cannot dump %d: cannot read fdinfo of its io_uring fd %d",
			       d->pid, d->fd);
	if (r < 0)
		return r;
	r = dump_maps(d, u);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read its mappings", d->pid);

	copy = fd_borrow(d->pid, d->fd);
	if (copy < 0)
		return pr_errno(copy, "cannot dump %d: cannot take its io_uring fd %d", d->pid,
				d->fd);
	rings = region_size(copy, IORING_OFF_SQ_RING,
			    mapped_len(u, false) + REGION_PROBE_PAGES * PAGE_SIZE);
	sqes = region_size(copy, IORING_OFF_SQES,
			   mapped_len(u, true) + REGION_PROBE_PAGES * PAGE_SIZE);
	if (!rings || !sqes)
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is an io_uring in the process's own memory "
			       "(IORING_SETUP_NO_MMAP, not supported)",
			       d->pid, d->fd);
	r = layout_plain(u->sq_entries, u->cq_entries, rings, sqes);
	if (r == -EOPNOTSUPP)
		return pr_fail(r,
			       "cannot dump %d: fd %d is an io_uring whose layout is not a plain "
			       "ring's (IORING_SETUP_SQE128, CQE32 or NO_SQARRAY, not supported)",
			       d->pid, d->fd);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot make an io_uring like its fd %d", d->pid,
				d->fd);
	r = probe_eventfd(copy);
	if (r == -EBUSY || r == -EEXIST)
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is an io_uring %s (not supported)", d->pid,
			       d->fd,
			       r == -EBUSY ? "with an eventfd registered"
					   : "of a single issuer (IORING_SETUP_SINGLE_ISSUER)");
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot probe its io_uring fd %d", d->pid,
				d->fd);
	r = region_copy(copy, IORING_OFF_SQ_RING, rings, &u->rings);
	if (r >= 0)
		r = region_copy(copy, IORING_OFF_SQES, sqes, &u->sqes);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read its io_uring fd %d", d->pid, d->fd);
	e->has_ino = true;
	e->ino = (uint64_t)d->st->st_ino;
	return 0;
}

/* Every ring a process maps is one whose fd it has (the mappings of the
 * first process that has it are the ones saved): a child that kept a
 * parent's ring mapped through fork, or a ring whose fd was closed, is
 * refused. */
static int uring_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	for (size_t p = 0; p < nr_pids; p++) {
		struct proc_vma *vmas;
		size_t nr;
		int r = 0;

		if (proc_read_maps(pids[p], &vmas, &nr) < 0)
			return pr_errno(-EIO, "cannot dump %d: cannot read its mappings", pids[p]);
		for (size_t i = 0; i < nr && r >= 0; i++) {
			bool saved = false;

			if (!vmas[i].path || strcmp(vmas[i].path, "anon_inode:[io_uring]"))
				continue;
			for (size_t k = 0; k < ft->img.n_files && !saved; k++) {
				const FileEntry *e = ft->img.files[k];

				if (e->kind != FD_KIND__FD_IO_URING || !e->io_uring ||
				    e->ino != vmas[i].ino || ft->seen[k].pid != pids[p])
					continue;
				for (size_t m = 0; m < e->io_uring->n_maps; m++)
					if (e->io_uring->maps[m]->start == vmas[i].start)
						saved = true;
			}
			if (!saved)
				r = pr_fail(-EOPNOTSUPP,
					    "cannot dump %d: mapping %" PRIx64 "-%" PRIx64
					    " is an io_uring ring of a ring it did not open first "
					    "(not supported)",
					    pids[p], vmas[i].start, vmas[i].end);
		}
		proc_vmas_free(vmas, nr);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- restore ------------------------------------------------------------- */

static bool pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

static int uring_check(const FileEntry *e, const struct files_open *fo)
{
	const IoUringEntry *u = e->io_uring;
	uint64_t limit = user_addr_limit();

	(void)fo;
	if (!u)
		return anon_inconsistent(e);
	if (!pow2(u->sq_entries) || u->sq_entries > RING_ENTRIES_MAX || !pow2(u->cq_entries) ||
	    u->cq_entries < u->sq_entries || u->cq_entries > 2 * RING_ENTRIES_MAX)
		return img_inconsistent(IMG_FILES, 0, "file %u: io_uring of %u/%u entries", e->id,
					u->sq_entries, u->cq_entries);
	if (u->sq_head != u->cq_tail || u->sq_head > NOPS_MAX)
		return img_inconsistent(IMG_FILES, 0, "file %u: io_uring indices", e->id);
	if (!u->rings.len || u->rings.len > REGION_MAX || u->rings.len % PAGE_SIZE ||
	    !u->sqes.len || u->sqes.len > REGION_MAX || u->sqes.len % PAGE_SIZE)
		return img_inconsistent(IMG_FILES, 0, "file %u: io_uring regions", e->id);
	if (u->n_files > FILES_MAX || u->n_bufs > BUFS_MAX || u->n_maps > 3)
		return img_inconsistent(IMG_FILES, 0, "file %u: io_uring registrations", e->id);
	for (size_t i = 0; i < u->n_files; i++)
		if (u->files[i] < -1)
			return img_inconsistent(IMG_FILES, 0, "file %u: io_uring file %zu", e->id,
						i);
	for (size_t i = 0; i < u->n_bufs; i++) {
		const IoUringBufEntry *b = u->bufs[i];
		uint64_t end;

		if (b->len > BUF_LEN_MAX || !add_ok(b->addr, b->len, &end) || end > limit ||
		    (!b->addr != !b->len))
			return img_inconsistent(IMG_FILES, 0, "file %u: io_uring buffer %zu", e->id,
						i);
	}
	for (size_t i = 0; i < u->n_maps; i++) {
		const IoUringMapEntry *m = u->maps[i];
		uint64_t region = m->pgoff == IORING_OFF_SQES ? u->sqes.len : u->rings.len;

		if (m->start >= m->end || m->start % PAGE_SIZE || m->end % PAGE_SIZE ||
		    m->end > limit || m->end - m->start > region ||
		    (m->pgoff != IORING_OFF_SQ_RING && m->pgoff != IORING_OFF_CQ_RING &&
		     m->pgoff != IORING_OFF_SQES) ||
		    (m->prot & ~(uint32_t)(PROT_READ | PROT_WRITE)))
			return img_inconsistent(IMG_FILES, 0, "file %u: io_uring mapping %zu",
						e->id, i);
	}
	return 0;
}

/* Submit and reap @n NOPs, a ring's worth per call: the kernel's SQ head
 * and CQ tail both move by @n. */
static int nops(int fd, const struct io_uring_params *p, void *rings, void *sqes, uint32_t n)
{
	uint32_t *sq_tail = (uint32_t *)((char *)rings + p->sq_off.tail);
	uint32_t *sq_array = (uint32_t *)((char *)rings + p->sq_off.array);
	uint32_t *cq_head = (uint32_t *)((char *)rings + p->cq_off.head);
	uint32_t *cq_tail = (uint32_t *)((char *)rings + p->cq_off.tail);
	struct io_uring_sqe *sqe = sqes;
	uint32_t done = 0;

	for (uint32_t i = 0; i < p->sq_entries; i++) {
		memset(&sqe[i], 0, sizeof(sqe[i]));
		sqe[i].opcode = IORING_OP_NOP;
	}
	while (done < n) {
		uint32_t batch = MIN(p->sq_entries, n - done), tail = *sq_tail;
		int r;

		for (uint32_t i = 0; i < batch; i++)
			sq_array[(tail + i) & (p->sq_entries - 1)] = i;
		__atomic_store_n(sq_tail, tail + batch, __ATOMIC_RELEASE);
		r = (int)syscall(SYS_io_uring_enter, fd, batch, batch, IORING_ENTER_GETEVENTS, NULL,
				 0);
		if (r < 0)
			return -errno;
		if ((uint32_t)r != batch)
			return -EIO;
		__atomic_store_n(cq_head, __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
		done += batch;
	}
	return 0;
}

static int uring_fill(int fd, const struct io_uring_params *p, const IoUringEntry *u)
{
	void *rings, *sqes;
	int r = 0;

	if (!region_is(fd, IORING_OFF_SQ_RING, u->rings.len) ||
	    !region_is(fd, IORING_OFF_SQES, u->sqes.len))
		return -EPROTO;
	rings = mmap(NULL, u->rings.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		     IORING_OFF_SQ_RING);
	if (rings == MAP_FAILED)
		return -errno;
	sqes = mmap(NULL, u->sqes.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQES);
	if (sqes == MAP_FAILED) {
		r = -errno;
		goto out_unmap_rings;
	}
	r = nops(fd, p, rings, sqes, u->sq_head);
	if (r >= 0 && *(uint32_t *)((char *)rings + p->sq_off.head) != u->sq_head)
		r = -EIO;
	if (r >= 0) {
		/* Over the kernel's head and tail, the same values. */
		memcpy(rings, u->rings.data, u->rings.len);
		memcpy(sqes, u->sqes.data, u->sqes.len);
	}
	munmap(sqes, u->sqes.len);
out_unmap_rings:
	munmap(rings, u->rings.len);
	return r;
}

/*
 * The kernel charges what a ring pins (its registered buffers) to the
 * user that made it, against the RLIMIT_MEMLOCK of the process that
 * registers, unless its maker had CAP_IPC_LOCK: then nothing is counted.
 * A ring ckpt made as root would let a process without that capability
 * pin without limit, so the ring is made with the real uid of @c and,
 * unless @c has CAP_IPC_LOCK, without it: on this thread only (raw
 * syscalls, not glibc's, which would change every thread), undone at once.
 */
static int setup_as(const CredsEntry *c, uint32_t sq, uint32_t cq, struct io_uring_params *p)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct saved[2], d[2];
	uid_t ruid = getuid();
	int fd, r = 0;

	if (!c || (c->has_cap_eff && (c->cap_eff & (1ULL << CAP_IPC_LOCK))))
		return setup(sq, cq, p);
	if (syscall(SYS_capget, &h, saved) < 0)
		return -errno;
	memcpy(d, saved, sizeof(d));
	d[0].effective &= ~(1u << CAP_IPC_LOCK);
	if (syscall(SYS_setresuid, c->uid, -1, -1) < 0)
		return -errno;
	if (syscall(SYS_capset, &h, d) < 0) {
		r = -errno;
		goto out_uid;
	}
	fd = setup(sq, cq, p);
	if (syscall(SYS_capset, &h, saved) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
	} else {
		r = fd;
	}
out_uid:
	if (syscall(SYS_setresuid, ruid, -1, -1) < 0) {
		if (r >= 0)
			close(r);
		r = -errno;
	}
	return r;
}

static int uring_open(struct files_open *fo, const FileEntry *e)
{
	const IoUringEntry *u = e->io_uring;
	const CredsEntry *c =
		fo->file_creds && e->id < fo->fe->n_files ? fo->file_creds[e->id] : NULL;
	struct io_uring_params p;
	int fd, r;

	fd = setup_as(c, u->sq_entries, u->cq_entries, &p);
	if (fd < 0)
		return pr_errno(fd, "cannot restore: cannot make an io_uring");
	if (p.sq_entries != u->sq_entries || p.cq_entries != u->cq_entries)
		r = -EPROTO;
	else
		r = uring_fill(fd, &p, u);
	if (r < 0) {
		close(fd);
		return pr_errno(r, "cannot restore: cannot bring back an io_uring of %u entries",
				u->sq_entries);
	}
	return anon_open_finish(fd, 0, e);
}

const struct file_kind io_uring_kind = {
	.kind = FD_KIND__FD_IO_URING,
	.name = "io_uring",
	.claims = uring_claims,
	.dump = uring_dump,
	.dump_finish = uring_dump_finish,
	.check = uring_check,
	.open = uring_open,
};
