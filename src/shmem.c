// SPDX-License-Identifier: GPL-2.0
/*
 * Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS, a shared mapping of
 * /dev/zero). The kernel backs each such mapping with an unlinked tmpfs
 * file; processes forked after it was made map the same file, and see each
 * other's writes. /proc/PID/map_files opens that very file, so:
 *
 * Dump: each object is told apart by its inode, and saved once, whatever
 * the number of processes mapping it: its pages are read from the file
 * itself (SEEK_DATA/SEEK_HOLE give the ones that exist, even those no
 * process has mapped right now).
 *
 * Restore: ckpt makes a new object of the same size the same way (a shared
 * anonymous mapping, opened through map_files), fills it with pwrite, and
 * keeps it open at a fixed fd that every restored process inherits; each
 * maps it where it had it. The mappings then show "/dev/zero (deleted)",
 * as before.
 */
#include "mm.h"

#include "imgdir.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define SHMEM_CHUNK (4UL << 20)

void shmem_table_init(struct shmem_table *st)
{
	memset(st, 0, sizeof(*st));
	shmem_entry__init(&st->img);
}

void shmem_table_release(struct shmem_table *st)
{
	free(st->seen);
	st->seen = NULL;
}

static int map_files_path(char *buf, size_t len, int pid, const VmaEntry *v)
{
	return snprintf(buf, len, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, v->start, v->end);
}

int shmem_dump_vmas(struct shmem_table *st, int pid, MmEntry *mm)
{
	for (size_t i = 0; i < mm->n_vmas; i++) {
		VmaEntry *v = mm->vmas[i];
		ShmemObjectEntry *o;
		char path[128];
		struct stat sb;
		size_t k;

		if (v->kind != VMA_KIND__VMA_ANON_SHARED)
			continue;
		map_files_path(path, sizeof(path), pid, v);
		if (stat(path, &sb) < 0)
			return pr_errno(-errno, "cannot dump %d: shared memory at %" PRIx64, pid,
					v->start);
		for (k = 0; k < st->img.n_objects; k++)
			if (st->seen[k].dev == sb.st_dev && st->seen[k].ino == sb.st_ino)
				break;
		if (k == st->img.n_objects) {
			o = xmalloc(sizeof(*o));
			shmem_object_entry__init(o);
			o->id = (uint32_t)k;
			o->size = (uint64_t)sb.st_size;
			st->img.objects = xrealloc(st->img.objects, (k + 1) * sizeof(*o));
			st->img.objects[k] = o;
			st->seen = xrealloc(st->seen, (k + 1) * sizeof(*st->seen));
			st->seen[k] =
				(struct shmem_seen){ sb.st_dev, sb.st_ino, pid, v->start, v->end };
			st->img.n_objects++;
		}
		v->has_shmid = true;
		v->shmid = (uint32_t)k;
	}
	return 0;
}

static void add_run(ShmemObjectEntry *o, uint64_t off, uint64_t nr_pages)
{
	PageRunEntry *run = xmalloc(sizeof(*run));

	page_run_entry__init(run);
	run->vaddr = off;
	run->nr_pages = (uint32_t)nr_pages;
	o->runs = xrealloc(o->runs, (o->n_runs + 1) * sizeof(*o->runs));
	o->runs[o->n_runs++] = run;
	o->nr_pages += nr_pages;
}

/* The stretches of the object that hold pages. */
static int find_runs(int fd, ShmemObjectEntry *o)
{
	off_t off = 0, size = (off_t)o->size;

	while (off < size) {
		off_t data = lseek(fd, off, SEEK_DATA), hole;

		if (data < 0)
			return errno == ENXIO ? 0 : -errno;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		data &= ~(off_t)(PAGE_SIZE - 1);
		hole = MIN((hole + (off_t)PAGE_SIZE - 1) & ~(off_t)(PAGE_SIZE - 1), size);
		/* Runs hold at most 2^30 pages each. */
		for (off_t s = data; s < hole; s += 1L << 42)
			add_run(o, (uint64_t)s, (uint64_t)(MIN(hole - s, 1L << 42) / PAGE_SIZE));
		off = hole;
	}
	return 0;
}

/* The pages of @o, in the order of its runs, from the object file @fd into
 * the image (dump) or back (restore). */
static int copy_pages(int fd, const ShmemObjectEntry *o, struct img *img, bool dumping)
{
	_cleanup_free_ char *buf = xmalloc(SHMEM_CHUNK);

	for (size_t i = 0; i < o->n_runs; i++) {
		uint64_t off = o->runs[i]->vaddr, left = o->runs[i]->nr_pages * PAGE_SIZE;

		while (left) {
			size_t n = MIN(left, SHMEM_CHUNK);
			int r;

			if (dumping) {
				r = pread_full(fd, buf, n, (off_t)off);
				if (r == 0)
					r = img_write(img, buf, n);
			} else {
				r = img_read(img, buf, n);
				if (r == 0)
					r = pwrite_full(fd, buf, n, (off_t)off);
			}
			if (r < 0)
				return r;
			off += n;
			left -= n;
		}
	}
	return 0;
}

static int shmem_dump_object(const struct shmem_table *st, size_t k, int dirfd)
{
	ShmemObjectEntry *o = st->img.objects[k];
	const struct shmem_seen *s = &st->seen[k];
	VmaEntry where = { .start = s->start, .end = s->end };
	_cleanup_free_ char *name = img_name(IMG_SHMEM_PAGES, (int)k);
	_cleanup_close_ int fd = -1;
	char path[128];
	struct img img;
	int r;

	map_files_path(path, sizeof(path), s->pid, &where);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pr_errno(-errno, "cannot dump %d: cannot open its shared memory at %" PRIx64,
				s->pid, s->start);
	r = find_runs(fd, o);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read its shared memory at %" PRIx64,
				s->pid, s->start);
	r = img_create_file(&img, dirfd, name, IMG_SHMEM_PAGES);
	if (r >= 0)
		r = copy_pages(fd, o, &img, true);
	if (r >= 0)
		r = img_finish(&img);
	img_close(&img);
	return r < 0 ? pr_errno(r, "cannot write '%s'", name) : 0;
}

int shmem_dump(const struct shmem_table *st, int dirfd)
{
	int r;

	for (size_t k = 0; k < st->img.n_objects; k++) {
		r = shmem_dump_object(st, k, dirfd);
		if (r < 0)
			return r;
	}
	r = img_write_msg(dirfd, IMG_SHMEM, 0, &st->img.base);
	return r < 0 ? pr_errno(r, "cannot write the shared memory table") : 0;
}

/* ---- restore ---- */

int shmem_check(const ShmemEntry *se, const MmEntry *const *mms, size_t nr_mms)
{
	for (size_t k = 0; k < se->n_objects; k++) {
		const ShmemObjectEntry *o = se->objects[k];
		uint64_t pages = 0;

		if (o->id != k)
			return -EBADMSG;
		for (size_t i = 0; i < o->n_runs; i++) {
			const PageRunEntry *run = o->runs[i];

			if (run->vaddr % PAGE_SIZE ||
			    run->vaddr + (uint64_t)run->nr_pages * PAGE_SIZE > o->size)
				return -EBADMSG;
			pages += run->nr_pages;
		}
		if (pages != o->nr_pages)
			return -EBADMSG;
	}
	for (size_t p = 0; p < nr_mms; p++)
		for (size_t i = 0; i < mms[p]->n_vmas; i++) {
			const VmaEntry *v = mms[p]->vmas[i];

			if (v->kind == VMA_KIND__VMA_ANON_SHARED &&
			    (!v->has_shmid || v->shmid >= se->n_objects))
				return -EBADMSG;
		}
	return 0;
}

/* A new shared anonymous object of @size bytes, as a file. */
static int shmem_create(uint64_t size)
{
	char path[128];
	void *p;
	int fd;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)p,
		 (unsigned long)p + size);
	fd = open(path, O_RDWR);
	if (fd < 0)
		fd = -errno;
	munmap(p, size);
	return fd;
}

static int shmem_restore_object(const ShmemObjectEntry *o, int dirfd, int slot)
{
	_cleanup_free_ char *name = img_name(IMG_SHMEM_PAGES, (int)o->id);
	struct img img;
	int fd, r;

	fd = shmem_create(o->size);
	if (fd < 0)
		return pr_errno(fd, "cannot restore: cannot create shared memory of %llu bytes",
				(unsigned long long)o->size);
	if (fd != slot) {
		r = dup3(fd, slot, 0) < 0 ? -errno : 0;
		close(fd);
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot place shared memory");
	}
	r = img_open_file(&img, dirfd, name, IMG_SHMEM_PAGES);
	if (r >= 0 && img.payload_len != o->nr_pages * PAGE_SIZE)
		r = -EBADMSG;
	if (r >= 0)
		r = copy_pages(slot, o, &img, false);
	if (r >= 0)
		r = img_verify(&img);
	img_close(&img);
	if (r < 0)
		return pr_fail(r, "cannot restore: image '%s': %s", name, img_strerror(r));
	return 0;
}

int shmem_open_all(const ShmemEntry *se, int dirfd, int base)
{
	for (size_t k = 0; k < se->n_objects; k++) {
		int r = shmem_restore_object(se->objects[k], dirfd, base + (int)k);

		if (r < 0)
			return r;
	}
	return 0;
}
