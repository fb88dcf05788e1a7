// SPDX-License-Identifier: GPL-2.0
/*
 * Memory contents. Dump: /proc/PID/pagemap says which pages exist (present
 * or swapped; in private file mappings only the ones written, which are
 * anonymous copies), process_vm_readv copies them in large batches into
 * pages-PID.img, and pagemap-PID.img lists the runs. Restore: the ranges
 * are populated in bulk (MADV_POPULATE_WRITE, one remote call per dense
 * range: a page fault costs ~20 us here) and filled with process_vm_writev.
 */
#include "mm.h"

#include "imgdir.h"
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE (1ULL << 61) /* file page or shared anonymous */
#define BATCH_BYTES (32UL << 20)
#define BATCH_IOVS 1024 /* IOV_MAX */
#define PAGEMAP_CHUNK 8192 /* entries read at once */
#define POPULATE_GAP_PAGES 16

/* Pages of the process's own: shared anonymous memory is saved once per
 * object (shmem.c), shared file mappings live in their file. */
bool vma_has_pages(const VmaEntry *v)
{
	return v->kind == VMA_KIND__VMA_ANON_PRIVATE || v->kind == VMA_KIND__VMA_FILE_PRIVATE;
}

struct runs {
	PageRunEntry **v;
	size_t n, cap;
	uint64_t nr_pages;
	bool sealed; /* the next page starts a new run (runs never cross VMAs) */
};

static void runs_add(struct runs *rs, uint64_t addr)
{
	PageRunEntry *last = rs->n ? rs->v[rs->n - 1] : NULL;

	rs->nr_pages++;
	if (last && !rs->sealed && last->vaddr + (uint64_t)last->nr_pages * PAGE_SIZE == addr &&
	    last->nr_pages < (1U << 30)) {
		last->nr_pages++;
		return;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 256;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	last = xmalloc(sizeof(*last));
	page_run_entry__init(last);
	last->vaddr = addr;
	last->nr_pages = 1;
	rs->v[rs->n++] = last;
	rs->sealed = false;
}

static int scan_vma(int pm_fd, const VmaEntry *v, struct runs *rs)
{
	static uint64_t ent[PAGEMAP_CHUNK];

	rs->sealed = true;
	for (uint64_t a = v->start; a < v->end;) {
		size_t n = MIN(PAGEMAP_CHUNK, (v->end - a) / PAGE_SIZE);
		int r = pread_full(pm_fd, ent, n * sizeof(uint64_t), (off_t)(a / PAGE_SIZE * 8));

		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++, a += PAGE_SIZE) {
			if (!(ent[i] & (PM_PRESENT | PM_SWAP)))
				continue;
			if (ent[i] & PM_FILE)
				continue; /* still the file's page: nothing of its own */
			runs_add(rs, a);
		}
	}
	return 0;
}

/* Copy @len bytes at @addr of the task: process_vm_readv cannot read
 * PROT_NONE pages, /proc/PID/mem can. */
static int read_slow(int mem_fd, uint64_t addr, void *buf, size_t len)
{
	return pread_full(mem_fd, buf, len, (off_t)addr);
}

struct batch {
	struct iovec remote[BATCH_IOVS];
	size_t n;
	size_t bytes;
};

static int batch_read(int pid, int mem_fd, struct batch *b, char *buf)
{
	struct iovec local = { buf, b->bytes };
	ssize_t got = process_vm_readv(pid, &local, 1, b->remote, b->n, 0);
	size_t off = 0;

	if (got == (ssize_t)b->bytes)
		return 0;
	/* Some range was not readable: copy run by run the slow way. */
	for (size_t i = 0; i < b->n; i++) {
		int r = read_slow(mem_fd, (uint64_t)b->remote[i].iov_base, buf + off,
				  b->remote[i].iov_len);

		if (r < 0)
			return r;
		off += b->remote[i].iov_len;
	}
	return 0;
}

/*
 * Call @fn for each batch of at most BATCH_BYTES and BATCH_IOVS ranges, in
 * the order of @runs; a run larger than a batch is split.
 */
static int for_each_batch(PageRunEntry *const *runs, size_t nr_runs,
			  int (*fn)(struct batch *b, void *ctx), void *ctx)
{
	struct batch *b = xzalloc(sizeof(*b));
	int r = 0;

	for (size_t i = 0; i < nr_runs && r >= 0; i++) {
		uint64_t addr = runs[i]->vaddr, left = (uint64_t)runs[i]->nr_pages * PAGE_SIZE;

		while (left && r >= 0) {
			size_t take = MIN(left, BATCH_BYTES - b->bytes);

			b->remote[b->n].iov_base = (void *)addr;
			b->remote[b->n].iov_len = take;
			b->n++;
			b->bytes += take;
			addr += take;
			left -= take;
			if (b->n == BATCH_IOVS || b->bytes == BATCH_BYTES) {
				r = fn(b, ctx);
				b->n = b->bytes = 0;
			}
		}
	}
	if (r >= 0 && b->n)
		r = fn(b, ctx);
	free(b);
	return r;
}

/*
 * Dump pipeline on two cores: this thread copies a batch out of the task
 * while a writer thread checksums and writes the one before.
 */
struct page_writer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *buf[2];
	size_t len[2];
	bool full[2];
	bool done;
	int err;
	struct img *img;
	int pid, mem_fd;
	unsigned int next; /* buffer the reader fills next */
};

static void *writer_main(void *arg)
{
	struct page_writer *w = arg;

	for (unsigned int i = 0;; i ^= 1) {
		int r;

		pthread_mutex_lock(&w->lock);
		while (!w->full[i] && !w->done)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->full[i]) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		pthread_mutex_unlock(&w->lock);
		r = w->err ? 0 : img_write(w->img, w->buf[i], w->len[i]);
		pthread_mutex_lock(&w->lock);
		if (r < 0)
			w->err = r;
		w->full[i] = false;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
}

static int dump_batch(struct batch *b, void *ctx)
{
	struct page_writer *w = ctx;
	unsigned int i = w->next;
	int r;

	pthread_mutex_lock(&w->lock);
	while (w->full[i])
		pthread_cond_wait(&w->cond, &w->lock);
	r = w->err;
	pthread_mutex_unlock(&w->lock);
	if (r < 0)
		return r;
	r = batch_read(w->pid, w->mem_fd, b, w->buf[i]);
	if (r < 0)
		return r;
	pthread_mutex_lock(&w->lock);
	w->len[i] = b->bytes;
	w->full[i] = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	w->next = i ^ 1;
	return 0;
}

static int write_pages(int pid, const struct runs *rs, struct img *img)
{
	size_t buf_len = MIN(BATCH_BYTES, MAX(rs->nr_pages, 1) * PAGE_SIZE);
	struct page_writer w = { .img = img, .pid = pid };
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	w.mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (w.mem_fd < 0)
		return -errno;
	w.buf[0] = xmalloc(buf_len);
	w.buf[1] = xmalloc(buf_len);
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	r = -pthread_create(&w.thread, NULL, writer_main, &w);
	if (r == 0) {
		r = for_each_batch(rs->v, rs->n, dump_batch, &w);
		pthread_mutex_lock(&w.lock);
		w.done = true;
		pthread_cond_broadcast(&w.cond);
		pthread_mutex_unlock(&w.lock);
		pthread_join(w.thread, NULL);
		if (r >= 0)
			r = w.err;
	}
	close(w.mem_fd);
	free(w.buf[0]);
	free(w.buf[1]);
	return r;
}

int pages_dump(int pid, const MmEntry *mm, int dirfd, uint64_t *ret_bytes)
{
	char path[64];
	_cleanup_close_ int pm_fd = -1;
	_cleanup_free_ char *name = img_name(IMG_PAGES, pid);
	PagemapEntry pm = PAGEMAP_ENTRY__INIT;
	struct runs rs = { 0 };
	struct img img;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm_fd < 0)
		return pr_errno(-errno, "cannot open '%s'", path);
	for (size_t i = 0; i < mm->n_vmas && r >= 0; i++)
		if (vma_has_pages(mm->vmas[i]))
			r = scan_vma(pm_fd, mm->vmas[i], &rs);
	if (r < 0)
		return pr_errno(r, "cannot read '%s'", path);
	r = img_create_file(&img, dirfd, name, IMG_PAGES);
	if (r >= 0)
		r = write_pages(pid, &rs, &img);
	if (r >= 0)
		r = img_finish(&img);
	img_close(&img);
	if (r < 0)
		return pr_errno(r, "cannot write the memory of %d", pid);
	pm.runs = rs.v;
	pm.n_runs = rs.n;
	pm.nr_pages = rs.nr_pages;
	r = img_write_msg(dirfd, IMG_PAGEMAP, pid, &pm.base);
	for (size_t i = 0; i < rs.n; i++)
		free(rs.v[i]);
	free(rs.v);
	if (r < 0)
		return pr_errno(r, "cannot write the page map of %d", pid);
	*ret_bytes = pm.nr_pages * PAGE_SIZE;
	return 0;
}

/* One remote MADV_POPULATE_WRITE per dense stretch of the batch: runs in
 * one VMA closer than POPULATE_GAP_PAGES are populated together. Small
 * stretches are left to fault in, which costs about as much as the call. */
static void populate_batch(struct infect *inf, const struct batch *b)
{
	size_t i = 0;

	while (i < b->n) {
		uint64_t start = (uint64_t)b->remote[i].iov_base;
		uint64_t end = start + b->remote[i].iov_len;
		long ret;

		for (i++; i < b->n; i++) {
			uint64_t s = (uint64_t)b->remote[i].iov_base;

			if (s < end || s - end > POPULATE_GAP_PAGES * PAGE_SIZE)
				break;
			end = s + b->remote[i].iov_len;
		}
		if (end - start < POPULATE_GAP_PAGES * PAGE_SIZE)
			continue;
		/* Best effort: a failure here only means slower faults. */
		(void)infect_syscall3(inf, SYS_madvise, &ret, start, end - start,
				      MADV_POPULATE_WRITE);
	}
}

static int batch_write(struct infect *inf, struct batch *b, const char *buf)
{
	struct iovec local = { (void *)buf, b->bytes };
	size_t off = 0;

	populate_batch(inf, b);
	if (process_vm_writev(inf->pid, &local, 1, b->remote, b->n, 0) == (ssize_t)b->bytes)
		return 0;
	for (size_t i = 0; i < b->n; i++) {
		int r = remote_write(inf->pid, (uint64_t)b->remote[i].iov_base, buf + off,
				     b->remote[i].iov_len);

		if (r < 0)
			return r;
		off += b->remote[i].iov_len;
	}
	return 0;
}

struct page_filler {
	struct infect *inf;
	struct img *img;
	char *buf;
};

static int fill_batch(struct batch *b, void *ctx)
{
	struct page_filler *f = ctx;
	int r = img_read(f->img, f->buf, b->bytes);

	return r < 0 ? r : batch_write(f->inf, b, f->buf);
}

static int fill_pages(struct infect *inf, const PagemapEntry *pm, struct img *img)
{
	struct page_filler f = { inf, img, NULL };
	int r;

	f.buf = xmalloc(MIN(BATCH_BYTES, MAX(pm->nr_pages, 1) * PAGE_SIZE));
	r = for_each_batch(pm->runs, pm->n_runs, fill_batch, &f);
	free(f.buf);
	return r;
}

/* Every run must lie inside a VMA that takes pages. */
static int check_runs(const MmEntry *mm, const PagemapEntry *pm)
{
	uint64_t total = 0;

	for (size_t i = 0, k = 0; i < pm->n_runs; i++) {
		uint64_t s = pm->runs[i]->vaddr,
			 e = s + (uint64_t)pm->runs[i]->nr_pages * PAGE_SIZE;
		bool inside = false;

		for (k = 0; k < mm->n_vmas && !inside; k++)
			inside = vma_has_pages(mm->vmas[k]) && mm->vmas[k]->start <= s &&
				 e <= mm->vmas[k]->end && s < e;
		if (!inside || s % PAGE_SIZE)
			return -EBADMSG;
		total += pm->runs[i]->nr_pages;
	}
	return total == pm->nr_pages ? 0 : -EBADMSG;
}

int pages_restore(struct infect *inf, const MmEntry *mm, int dirfd)
{
	_cleanup_free_ char *name = img_name(IMG_PAGES, inf->pid);
	PagemapEntry *pm = NULL;
	struct img img;
	int r;

	r = img_read_msg(dirfd, IMG_PAGEMAP, inf->pid, &pagemap_entry__descriptor,
			 (ProtobufCMessage **)&pm);
	if (r < 0)
		return pr_errno(r, "cannot read image '%s'", "pagemap");
	r = check_runs(mm, pm);
	if (r < 0) {
		protobuf_c_message_free_unpacked(&pm->base, NULL);
		return pr_fail(r, "cannot restore: the page map does not fit the address space");
	}
	r = img_open_file(&img, dirfd, name, IMG_PAGES);
	if (r >= 0 && img.payload_len != pm->nr_pages * PAGE_SIZE)
		r = -EBADMSG;
	if (r >= 0)
		r = fill_pages(inf, pm, &img);
	if (r >= 0)
		r = img_verify(&img);
	img_close(&img);
	protobuf_c_message_free_unpacked(&pm->base, NULL);
	if (r < 0)
		return pr_fail(r, "cannot restore: image '%s': %s", name, img_strerror(r));
	return 0;
}
