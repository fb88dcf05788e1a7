// SPDX-License-Identifier: GPL-2.0
/* The contents of a file kept in the images (see filedata.h). */
#include "filedata.h"

#include "util.h"

#include <fcntl.h>
#include <string.h>

#define CHUNK (4UL << 20)
#define MAX_RUN_BYTES (1L << 42) /* runs hold at most 2^30 pages */

void filedata_add_run(FileDataEntry *d, uint64_t off, uint64_t nr_pages)
{
	PageRunEntry *run = xmalloc(sizeof(*run));

	page_run_entry__init(run);
	run->vaddr = off;
	run->nr_pages = (uint32_t)nr_pages;
	d->runs = xrealloc(d->runs, (d->n_runs + 1) * sizeof(*d->runs));
	d->runs[d->n_runs++] = run;
	d->nr_pages += nr_pages;
}

/* The stretches of the file that hold data, in whole pages. */
static int find_runs(int fd, FileDataEntry *d)
{
	off_t off = 0, size = (off_t)d->size;

	while (off < size) {
		off_t data = lseek(fd, off, SEEK_DATA), hole;

		if (data < 0)
			return errno == ENXIO ? 0 : -errno;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		/* Whole pages: a last one partly past the end of file too (a
		 * run clamped to the size would lose its bytes). */
		data &= ~(off_t)(PAGE_SIZE - 1);
		hole = MIN(hole, size);
		hole = (hole + (off_t)PAGE_SIZE - 1) & ~(off_t)(PAGE_SIZE - 1);
		for (off_t s = data; s < hole; s += MAX_RUN_BYTES)
			filedata_add_run(d, (uint64_t)s,
					 (uint64_t)(MIN(hole - s, MAX_RUN_BYTES) / PAGE_SIZE));
		off = hole;
	}
	return 0;
}

/* The data of @d, in the order of its runs, from @fd (or memory @mem, the
 * file mapped) into the image (dump) or back (restore). A last page may end
 * past the end of file. */
static int copy_runs(int fd, char *mem, const FileDataEntry *d, struct img *img, bool dumping)
{
	_cleanup_free_ char *buf = xmalloc(CHUNK);

	for (size_t i = 0; i < d->n_runs; i++) {
		uint64_t off = d->runs[i]->vaddr, left = d->runs[i]->nr_pages * PAGE_SIZE;

		while (left) {
			size_t n = MIN(left, CHUNK), in_file = (size_t)MIN(n, d->size - off);
			int r;

			if (dumping) {
				memset(buf + in_file, 0, n - in_file);
				if (mem)
					memcpy(buf, mem + off, in_file);
				r = mem ? 0 : pread_full(fd, buf, in_file, (off_t)off);
				if (r == 0)
					r = img_write(img, buf, n);
			} else {
				r = img_read(img, buf, n);
				if (r == 0 && mem)
					memcpy(mem + off, buf, in_file);
				else if (r == 0)
					r = pwrite_full(fd, buf, in_file, (off_t)off);
			}
			if (r < 0)
				return r;
			off += n;
			left -= n;
		}
	}
	return 0;
}

int filedata_dump(int fd, uint64_t size, FileDataEntry *d, int dirfd, enum img_kind kind, int id)
{
	_cleanup_free_ char *name = img_name(kind, id);
	struct img img;
	int r;

	d->size = size;
	r = find_runs(fd, d);
	if (r < 0)
		return r;
	r = img_create_file(&img, dirfd, name, kind);
	if (r >= 0)
		r = copy_runs(fd, NULL, d, &img, true);
	if (r >= 0)
		r = img_finish(&img);
	img_close(&img);
	return r;
}

int filedata_check(const FileDataEntry *d)
{
	uint64_t pages = 0, prev_end = 0, bytes;

	/* A file is at most MAX_LFS_FILESIZE (2^63 - 1) bytes long. */
	if (d->size > (uint64_t)INT64_MAX - PAGE_SIZE)
		return -EBADMSG;
	for (size_t i = 0; i < d->n_runs; i++) {
		const PageRunEntry *run = d->runs[i];
		uint64_t end;

		if (!run->nr_pages || run->vaddr % PAGE_SIZE || run->vaddr >= d->size ||
		    run->vaddr < prev_end || !pages_end_ok(run->vaddr, run->nr_pages, &end) ||
		    end > d->size + PAGE_SIZE - 1 || !add_ok(pages, run->nr_pages, &pages))
			return -EBADMSG;
		prev_end = end;
	}
	return pages == d->nr_pages && mul_ok(pages, PAGE_SIZE, &bytes) ? 0 : -EBADMSG;
}

int filedata_restore(int fd, const FileDataEntry *d, int dirfd, enum img_kind kind, int id)
{
	_cleanup_free_ char *name = img_name(kind, id);
	struct img img;
	int r;

	if (ftruncate(fd, (off_t)d->size) < 0)
		return -errno;
	r = img_open_file(&img, dirfd, name, kind);
	if (r >= 0 && img.payload_len != d->nr_pages * PAGE_SIZE)
		r = -EBADMSG;
	if (r >= 0)
		r = copy_runs(fd, NULL, d, &img, false);
	if (r >= 0)
		r = img_verify(&img);
	img_close(&img);
	return r;
}

int filedata_dump_mem(const void *mem, const FileDataEntry *d, int dirfd, enum img_kind kind,
		      int id)
{
	_cleanup_free_ char *name = img_name(kind, id);
	struct img img;
	int r;

	r = img_create_file(&img, dirfd, name, kind);
	if (r >= 0)
		r = copy_runs(-1, (char *)mem, d, &img, true);
	if (r >= 0)
		r = img_finish(&img);
	img_close(&img);
	return r;
}

int filedata_restore_mem(void *mem, const FileDataEntry *d, int dirfd, enum img_kind kind, int id)
{
	_cleanup_free_ char *name = img_name(kind, id);
	struct img img;
	int r;

	r = img_open_file(&img, dirfd, name, kind);
	if (r >= 0 && img.payload_len != d->nr_pages * PAGE_SIZE)
		r = -EBADMSG;
	if (r >= 0)
		r = copy_runs(-1, mem, d, &img, false);
	if (r >= 0)
		r = img_verify(&img);
	img_close(&img);
	return r;
}
