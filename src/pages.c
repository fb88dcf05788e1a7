// SPDX-License-Identifier: GPL-2.0
/*
 * Memory contents, dump side (restore: pages-restore.c).
 *
 * /proc/PID/pagemap says which pages exist (present or swapped; in private
 * file mappings only the ones written, which are anonymous copies). In an
 * incremental dump, a tracked VMA unchanged since the parent dump keeps
 * the pages not written since in the parent (track.c says which were).
 * The others are copied with process_vm_readv in large batches while a
 * writer thread checksums and writes the batch before: pages-PID.img. An
 * anonymous page that holds only zeros is not stored: restore leaves it
 * untouched, and it reads as zero. pagemap-PID.img lists the runs.
 */
#include "mm.h"

#include "pages.h"
#include "progress.h"
#include "track.h"
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE (1ULL << 61) /* file page or shared anonymous */
#define PM_GUARD (1ULL << 58) /* a guard page (mm-guard.c), shown as swapped */
#define PAGEMAP_CHUNK 8192 /* entries read at once */
#define MAX_RUN_PAGES (1U << 30)

/* Pages of the process's own: shared anonymous memory is saved once per
 * object (shmem.c), shared file mappings live in their file. */
bool vma_has_pages(const VmaEntry *v)
{
	return v->kind == VMA_KIND__VMA_ANON_PRIVATE || v->kind == VMA_KIND__VMA_FILE_PRIVATE;
}

/* ---- runs and batches ---- */

void page_runs_add(struct page_runs *rs, uint64_t vaddr, uint64_t nr_pages, uint32_t where,
		   bool zero_ok, bool merge)
{
	struct page_run *last = rs->n ? &rs->v[rs->n - 1] : NULL;

	if (where == PAGE_WHERE__PAGES_HERE)
		rs->nr_pages += nr_pages;
	if (merge && last && last->where == where &&
	    last->vaddr + last->nr_pages * PAGE_SIZE == vaddr &&
	    last->nr_pages + nr_pages <= MAX_RUN_PAGES) {
		last->nr_pages += nr_pages;
		return;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 256;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	rs->v[rs->n++] = (struct page_run){ vaddr, nr_pages, where, zero_ok };
}

void page_runs_release(struct page_runs *rs)
{
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

static struct batch *batch_new(struct batches *bs)
{
	bs->v = xrealloc(bs->v, (bs->n + 1) * sizeof(*bs->v));
	bs->v[bs->n].n = bs->v[bs->n].bytes = 0;
	return &bs->v[bs->n++];
}

void batches_make(const struct page_runs *rs, struct batches *ret)
{
	batches_make_max(rs, BATCH_BYTES, ret);
}

void batches_make_max(const struct page_runs *rs, size_t max_bytes, struct batches *ret)
{
	struct batch *b = NULL;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < rs->n; i++) {
		uint64_t addr = rs->v[i].vaddr, left = rs->v[i].nr_pages * PAGE_SIZE;

		if (rs->v[i].where != PAGE_WHERE__PAGES_HERE)
			continue;
		while (left) {
			size_t take;

			if (!b || b->n == BATCH_IOVS || b->bytes == max_bytes)
				b = batch_new(ret);
			take = MIN(left, max_bytes - b->bytes);
			b->remote[b->n].iov_base = (void *)addr;
			b->remote[b->n].iov_len = take;
			b->run[b->n] = (uint32_t)i;
			b->n++;
			b->bytes += take;
			addr += take;
			left -= take;
		}
	}
}

void batches_release(struct batches *bs)
{
	free(bs->v);
	memset(bs, 0, sizeof(*bs));
}

/* ---- the relay ---- */

/*
 * The relay's buffers are kept from one process to the next: on this kind
 * of VM the first touch of fresh memory costs more than the copy through
 * it, and a tree of 100 processes would fault in two new buffers for each.
 * They are ckpt's own memory, in huge pages where the kernel gives them.
 */
#define RELAY_POOL 2
#define HUGE_ALIGN (2UL << 20)

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *p;
	size_t cap;
} pool[RELAY_POOL];

static char *relay_buf_get(size_t len, size_t *ret_cap)
{
	size_t cap = (MAX(len, 1) + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
	char *p = NULL;

	pthread_mutex_lock(&pool_lock);
	for (int i = 0; i < RELAY_POOL && !p; i++)
		if (pool[i].p && pool[i].cap >= len) {
			p = pool[i].p;
			*ret_cap = pool[i].cap;
			pool[i].p = NULL;
		}
	pthread_mutex_unlock(&pool_lock);
	if (p)
		return p;
	p = xmap_anon(cap);
	(void)madvise(p, cap, MADV_HUGEPAGE);
	*ret_cap = cap;
	return p;
}

/* Back to the pool, in place of its smallest if the pool is full. */
static void relay_buf_put(char *p, size_t cap)
{
	int k = 0;

	pthread_mutex_lock(&pool_lock);
	for (int i = 1; i < RELAY_POOL; i++)
		if (!pool[k].p ? false : !pool[i].p || pool[i].cap < pool[k].cap)
			k = i;
	if (!pool[k].p || pool[k].cap < cap) {
		char *old = pool[k].p;
		size_t old_cap = pool[k].cap;

		pool[k].p = p;
		pool[k].cap = cap;
		p = old;
		cap = old_cap;
	}
	pthread_mutex_unlock(&pool_lock);
	if (p)
		munmap(p, cap);
}

void relay_pool_drain(void)
{
	pthread_mutex_lock(&pool_lock);
	for (int i = 0; i < RELAY_POOL; i++) {
		if (pool[i].p)
			munmap(pool[i].p, pool[i].cap);
		pool[i].p = NULL;
		pool[i].cap = 0;
	}
	pthread_mutex_unlock(&pool_lock);
}

void relay_init(struct relay *r, size_t buf_len)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->buf[0] = relay_buf_get(buf_len, &r->cap[0]);
	r->buf[1] = relay_buf_get(buf_len, &r->cap[1]);
}

void relay_release(struct relay *r)
{
	relay_buf_put(r->buf[0], r->cap[0]);
	relay_buf_put(r->buf[1], r->cap[1]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
}

char *relay_empty(struct relay *r)
{
	char *buf;

	pthread_mutex_lock(&r->lock);
	while (r->full[r->put] && !r->err)
		pthread_cond_wait(&r->cond, &r->lock);
	buf = r->err ? NULL : r->buf[r->put];
	pthread_mutex_unlock(&r->lock);
	return buf;
}

void relay_put(struct relay *r, size_t len)
{
	pthread_mutex_lock(&r->lock);
	r->len[r->put] = len;
	r->full[r->put] = true;
	r->put ^= 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void relay_put_crc(struct relay *r, size_t len, uint32_t crc)
{
	/* Only the producer moves put; the lock in relay_put publishes it. */
	r->crc[r->put] = crc;
	relay_put(r, len);
}

uint32_t relay_crc(const struct relay *r)
{
	return r->crc[r->take];
}

void relay_close(struct relay *r, int err)
{
	pthread_mutex_lock(&r->lock);
	r->closed = true;
	if (err < 0 && !r->err)
		r->err = err;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

char *relay_full(struct relay *r, size_t *ret_len)
{
	char *buf = NULL;

	pthread_mutex_lock(&r->lock);
	while (!r->full[r->take] && !r->closed && !r->err)
		pthread_cond_wait(&r->cond, &r->lock);
	if (r->full[r->take] && !r->err) {
		buf = r->buf[r->take];
		*ret_len = r->len[r->take];
	}
	pthread_mutex_unlock(&r->lock);
	return buf;
}

void relay_done(struct relay *r)
{
	pthread_mutex_lock(&r->lock);
	r->full[r->take] = false;
	r->take ^= 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void relay_fail(struct relay *r, int err)
{
	pthread_mutex_lock(&r->lock);
	if (!r->err)
		r->err = err;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

int relay_error(struct relay *r)
{
	int err;

	pthread_mutex_lock(&r->lock);
	err = r->err;
	pthread_mutex_unlock(&r->lock);
	return err;
}

/* ---- which pages ---- */

/* The VMA of the parent dump at the same place, if it is the same one. */
static const VmaEntry *same_in_parent(const MmEntry *parent, const VmaEntry *v)
{
	for (size_t i = 0; parent && i < parent->n_vmas; i++) {
		const VmaEntry *p = parent->vmas[i];

		if (p->start != v->start)
			continue;
		if (p->end == v->end && p->kind == v->kind && p->pgoff == v->pgoff &&
		    p->prot == v->prot && !!p->path == !!v->path &&
		    (!p->path || !strcmp(p->path, v->path)))
			return p;
		return NULL;
	}
	return NULL;
}

/* Pages of @v not written since the parent dump are in the parent: it was
 * tracked then, and (the kernel tells, see scan_vma) it still is. */
static bool tracked_since_parent(const MmEntry *parent, const VmaEntry *v)
{
	const VmaEntry *p = same_in_parent(parent, v);

	return p && vma_is_tracked(p);
}

struct scan {
	int pm_fd;
	struct page_runs *runs;
	bool sealed; /* the next page starts a new run (runs never cross VMAs) */
};

static void add_range(struct scan *s, uint64_t start, uint64_t end, uint32_t where, bool zero_ok)
{
	page_runs_add(s->runs, start, (end - start) / PAGE_SIZE, where, zero_ok, !s->sealed);
	s->sealed = false;
}

/* From the pagemap, one entry a page, on kernels without PAGEMAP_SCAN
 * (and without tracking). */
static int scan_pagemap(struct scan *s, const VmaEntry *v, bool zero_ok)
{
	static uint64_t ent[PAGEMAP_CHUNK];

	for (uint64_t a = v->start; a < v->end;) {
		size_t n = MIN(PAGEMAP_CHUNK, (v->end - a) / PAGE_SIZE);
		int r = pread_full(s->pm_fd, ent, n * sizeof(uint64_t), (off_t)(a / PAGE_SIZE * 8));

		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++, a += PAGE_SIZE) {
			if (!(ent[i] & (PM_PRESENT | PM_SWAP)) || (ent[i] & PM_GUARD))
				continue;
			if (ent[i] & PM_FILE)
				continue; /* still the file's page: nothing of its own */
			add_range(s, a, a + PAGE_SIZE, PAGE_WHERE__PAGES_HERE, zero_ok);
		}
	}
	return 0;
}

/* The pages of VMA @v, each here or (*@tracked: not written since) in the
 * parent; *@tracked is cleared if the kernel says it is not tracked. */
static int scan_vma(struct scan *s, const VmaEntry *v, bool *tracked)
{
	bool zero_ok = v->kind == VMA_KIND__VMA_ANON_PRIVATE;
	struct own_ranges own = { 0 };
	int r;

	s->sealed = true;
	r = pages_own(s->pm_fd, v->start, v->end, zero_ok, *tracked, &own);
	/* Not registered any more (unmapped and mapped again the same):
	 * every page is stored. */
	if (*tracked && r == -EPERM) {
		own_ranges_release(&own);
		*tracked = false;
		r = pages_own(s->pm_fd, v->start, v->end, zero_ok, false, &own);
	}
	if (!*tracked && (r == -ENOTTY || r == -EINVAL)) {
		own_ranges_release(&own);
		return scan_pagemap(s, v, zero_ok);
	}
	for (size_t i = 0; i < own.n && r >= 0; i++)
		add_range(s, own.v[i].start, own.v[i].end,
			  own.v[i].written ? PAGE_WHERE__PAGES_HERE : PAGE_WHERE__PAGES_IN_PARENT,
			  zero_ok);
	own_ranges_release(&own);
	return r;
}

/* The runs of @mm: every page that exists, here or in the parent. */
static int scan_all(int pid, const MmEntry *mm, const MmEntry *parent_mm, struct page_runs *runs,
		    struct pages_stats *st)
{
	char path[64];
	_cleanup_close_ int pm_fd = -1;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm_fd < 0)
		return pr_errno(-errno, "cannot open '%s'", path);
	for (size_t i = 0; i < mm->n_vmas && r >= 0; i++) {
		const VmaEntry *v = mm->vmas[i];
		struct scan s = { .pm_fd = pm_fd, .runs = runs };
		bool tracked = tracked_since_parent(parent_mm, v);

		if (!vma_has_pages(v))
			continue;
		r = scan_vma(&s, v, &tracked);
		st->tracked_vmas += tracked;
	}
	return r < 0 ? pr_errno(r, "cannot read '%s'", path) : 0;
}

/* ---- copying ---- */

/*
 * A dump that kills the process after it may free its memory as it goes:
 * once a batch is in the image, the process drops those pages
 * (MADV_DONTNEED, a remote call). The image file then grows in pages just
 * freed, instead of pages never touched, which are costly on this kind of
 * VM (the host maps them on first touch), and the dump needs no more
 * memory than the process had. If the dump fails after all, the dropped
 * pages are written back from the image before the process goes on
 * (pages_undo_discard).
 */
struct pages_undo {
	int pid;
	int dirfd;
	enum img_codec codec;
	struct page_runs runs; /* stored runs taken out of the process, in image order */
};

struct page_copy {
	struct relay relay;
	pthread_t writer;
	struct img *img;
	int pid, mem_fd;
	struct infect *discard; /* free the process's pages as they are stored */
	bool running; /* the process runs (a pre-dump): it may unmap pages */
	bool keep_shared; /* it runs on after the dump: read without unsharing */
	const struct page_runs *in;
	struct page_runs out; /* the runs stored, zero pages left out */
	uint64_t *out_bytes; /* per batch: bytes stored once it was copied */
	size_t discarded; /* batches taken out of the process */
	uint32_t last_run; /* the input run of the last page kept */
	uint64_t zero_pages;
};

/*
 * With @running (a pre-dump copies after the process goes on), a range
 * the process has unmapped meanwhile reads as zeros: what it does there
 * now is tracked, and the next dump has it.
 *
 * The kernel surprises here: process_vm_readv pins the pages it reads
 * (FOLL_PIN), and pinning a page that a parent and child still share
 * copy-on-write gives the process a copy of its own first ("unsharing").
 * A tree that runs on after the dump (@keep_shared: --leave-running, a
 * pre-dump) would grow by every page it shared; /proc/PID/mem reads
 * without a pin, and leaves the pages shared.
 */
static int batch_read(int pid, int mem_fd, const struct batch *b, char *buf, bool running,
		      bool keep_shared)
{
	struct iovec local = { buf, b->bytes };
	ssize_t got = keep_shared ? 0 : process_vm_readv(pid, &local, 1, b->remote, b->n, 0);
	size_t off = 0;

	if (got == (ssize_t)b->bytes)
		return 0;
	if (got < 0 && errno == ESRCH)
		return -ESRCH;
	/* Some range was not readable (PROT_NONE): /proc/PID/mem can read it. */
	for (size_t i = 0; i < b->n; i++) {
		int r = pread_full(mem_fd, buf + off, b->remote[i].iov_len,
				   (off_t)b->remote[i].iov_base);

		if (r < 0 && running && r != -ESRCH)
			memset(buf + off, 0, b->remote[i].iov_len);
		else if (r < 0)
			return r;
		off += b->remote[i].iov_len;
	}
	return 0;
}

static bool page_is_zero(const char *p)
{
	static const char zero[PAGE_SIZE];

	/* Most pages are not: their first word says so at once. */
	return !*(const uint64_t *)p && !memcmp(p, zero, PAGE_SIZE);
}

/* Leave out the zero pages of anonymous runs, note the runs of the rest;
 * returns the bytes left at the start of @buf. */
static size_t drop_zero_pages(struct page_copy *c, const struct batch *b, char *buf)
{
	size_t in = 0, out = 0;

	for (size_t i = 0; i < b->n; i++) {
		const struct page_run *run = &c->in->v[b->run[i]];
		uint64_t addr = (uint64_t)b->remote[i].iov_base;

		for (size_t k = 0; k < b->remote[i].iov_len; k += PAGE_SIZE, in += PAGE_SIZE) {
			if (run->zero_ok && page_is_zero(buf + in)) {
				c->zero_pages++;
				continue;
			}
			if (out != in)
				memmove(buf + out, buf + in, PAGE_SIZE);
			out += PAGE_SIZE;
			/* Adjacent pages of one input run make one run. */
			page_runs_add(&c->out, addr + k, 1, PAGE_WHERE__PAGES_HERE, run->zero_ok,
				      c->out.n && c->last_run == b->run[i]);
			c->last_run = b->run[i];
		}
	}
	return out;
}

static void *writer_main(void *arg)
{
	struct page_copy *c = arg;
	size_t len;
	char *buf;

	while ((buf = relay_full(&c->relay, &len))) {
		int r = img_write_summed(c->img, buf, len, relay_crc(&c->relay));

		/* A batch ends a frame: once the buffer is free, it is all in
		 * the file (pages_undo_discard reads it from there). */
		if (r >= 0)
			r = img_flush(c->img);
		if (r >= 0)
			progress_add(len);
		/* Failed before the buffer is free: an empty buffer tells the
		 * copier that its batch is stored, and it may drop those pages. */
		if (r < 0) {
			relay_fail(&c->relay, r);
			break;
		}
		relay_done(&c->relay);
	}
	return NULL;
}

/* Each remote call costs ~20 us: freeing a few scattered pages (an
 * incremental dump's) is not worth it. */
#define DISCARD_MIN_BYTES (64 << 10)

/* Drop the pages of batch @b from the process: it is in the image. */
static void discard_batch(struct page_copy *c, const struct batch *b)
{
	for (size_t i = 0; i < b->n;) {
		uint64_t start = (uint64_t)b->remote[i].iov_base;
		uint64_t end = start + b->remote[i].iov_len;
		long ret;

		for (i++; i < b->n && (uint64_t)b->remote[i].iov_base == end; i++)
			end += b->remote[i].iov_len;
		/* Best effort: locked memory, say, stays. */
		if (end - start >= DISCARD_MIN_BYTES)
			(void)infect_syscall3(c->discard, SYS_madvise, &ret, start, end - start,
					      MADV_DONTNEED);
	}
}

static int copy_batch(struct page_copy *c, const struct batches *bs, size_t k)
{
	char *buf = relay_empty(&c->relay);
	size_t buf_len;
	int r;

	if (!buf)
		return relay_error(&c->relay);
	if (interrupted())
		return -EINTR;
	/* An empty buffer: the writer has stored batch k - 2. */
	if (c->discard && k >= 2) {
		discard_batch(c, &bs->v[k - 2]);
		c->discarded = k - 1;
	}
	r = batch_read(c->pid, c->mem_fd, &bs->v[k], buf, c->running, c->keep_shared);
	if (r < 0)
		return r;
	buf_len = drop_zero_pages(c, &bs->v[k], buf);
	c->out_bytes[k] = (k ? c->out_bytes[k - 1] : 0) + buf_len;
	/* The writer's share (a tmpfs write) outweighs ours (a copy): the
	 * checksum is taken here, on our CPU, and the writer only writes. */
	relay_put_crc(&c->relay, buf_len, c->img->codec ? 0 : crc32c(0, buf, buf_len));
	return 0;
}

static int copy_pages(struct page_copy *c)
{
	struct batches bs;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/mem", c->pid);
	c->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->mem_fd < 0)
		return -errno;
	batches_make(c->in, &bs);
	c->out_bytes = xzalloc((bs.n + 1) * sizeof(*c->out_bytes));
	relay_init(&c->relay, MIN(BATCH_BYTES, MAX(c->in->nr_pages, 1) * PAGE_SIZE));
	r = -pthread_create(&c->writer, NULL, writer_main, c);
	if (r == 0) {
		for (size_t i = 0; i < bs.n && r >= 0; i++)
			r = copy_batch(c, &bs, i);
		relay_close(&c->relay, r);
		pthread_join(c->writer, NULL);
		if (r >= 0)
			r = relay_error(&c->relay);
	}
	relay_release(&c->relay);
	batches_release(&bs);
	close(c->mem_fd);
	return r;
}

/* The runs for the image: those stored, and those in the parent, by address. */
static void runs_to_entry(const struct page_runs *here, const struct page_runs *all,
			  PagemapEntry *pm)
{
	size_t h = 0, a = 0;

	pm->runs = xmalloc((here->n + all->n + 1) * sizeof(*pm->runs));
	pm->nr_pages = here->nr_pages;
	while (h < here->n || a < all->n) {
		const struct page_run *run;
		PageRunEntry *e;

		/* The runs not stored here, from the scan as they are. */
		if (a < all->n && all->v[a].where == PAGE_WHERE__PAGES_HERE) {
			a++;
			continue;
		}
		if (h < here->n && (a == all->n || here->v[h].vaddr < all->v[a].vaddr))
			run = &here->v[h++];
		else
			run = &all->v[a++];
		e = xmalloc(sizeof(*e));
		page_run_entry__init(e);
		e->vaddr = run->vaddr;
		e->nr_pages = (uint32_t)run->nr_pages;
		if (run->where != PAGE_WHERE__PAGES_HERE) {
			e->has_where = true;
			e->where = run->where;
		}
		pm->runs[pm->n_runs++] = e;
	}
}

/* The stored runs of the batches taken out of the process, to put them
 * back: exactly as many bytes as those batches stored (a run goes on into
 * the next batch, which may not be in the image). */
static struct pages_undo *undo_make(const struct page_copy *c, int pid, int dirfd)
{
	uint64_t left;
	struct pages_undo *u;

	if (!c->discarded)
		return NULL;
	u = xzalloc(sizeof(*u));
	u->pid = pid;
	u->dirfd = dirfd;
	u->codec = c->img->codec;
	left = c->out_bytes[c->discarded - 1] / PAGE_SIZE;
	for (size_t i = 0; i < c->out.n && left; i++) {
		uint64_t n = MIN(c->out.v[i].nr_pages, left);

		page_runs_add(&u->runs, c->out.v[i].vaddr, n, PAGE_WHERE__PAGES_HERE, false, false);
		left -= n;
	}
	return u;
}

int pages_undo_discard(struct pages_undo *u)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *buf = NULL;
	struct img img;
	int r;

	if (!u)
		return 0;
	name = img_name(IMG_PAGES, u->pid);
	r = img_open_partial(&img, u->dirfd, name, IMG_PAGES, u->codec);
	buf = xmalloc(BATCH_BYTES);
	for (size_t i = 0; i < u->runs.n && r >= 0; i++) {
		uint64_t addr = u->runs.v[i].vaddr, left = u->runs.v[i].nr_pages * PAGE_SIZE;

		while (left && r >= 0) {
			size_t n = MIN(left, BATCH_BYTES);

			r = img_read(&img, buf, n);
			if (r >= 0)
				r = remote_write(u->pid, addr, buf, n);
			addr += n;
			left -= n;
		}
	}
	img_close(&img);
	return r;
}

void pages_undo_free(struct pages_undo *u)
{
	if (!u)
		return;
	page_runs_release(&u->runs);
	free(u);
}

int pages_scan(int pid, const MmEntry *mm, const MmEntry *parent_mm, struct page_runs *runs,
	       struct pages_stats *st)
{
	int r = scan_all(pid, mm, parent_mm, runs, st);

	for (size_t i = 0; r >= 0 && i < runs->n; i++)
		if (runs->v[i].where == PAGE_WHERE__PAGES_IN_PARENT)
			st->parent_pages += runs->v[i].nr_pages;
	pr_debug("%d: %zu runs of pages to copy or find in the parent", pid, runs->n);
	return r;
}

int pages_write(int pid, const struct page_runs *runs, int dirfd, const struct pages_write_how *how,
		struct pages_undo **ret_undo, struct pages_stats *st)
{
	_cleanup_free_ char *name = img_name(IMG_PAGES, pid);
	PagemapEntry pm = PAGEMAP_ENTRY__INIT;
	struct page_copy c = { .pid = pid,
			       .in = runs,
			       .discard = how->discard,
			       .running = how->running,
			       .keep_shared = how->keep_shared };
	struct pages_undo *undo = NULL;
	struct img img;
	int r;

	c.img = &img;
	r = img_create_file(&img, dirfd, name, IMG_PAGES);
	img_set_codec(&img, how->codec);
	if (r >= 0)
		r = copy_pages(&c);
	if (r >= 0)
		r = img_finish(&img);
	img_close(&img);
	undo = undo_make(&c, pid, dirfd);
	pr_debug("%d: pages stored", pid);
	if (r < 0) {
		r = pr_errno(r, "cannot write the memory of %d", pid);
		goto out;
	}
	runs_to_entry(&c.out, runs, &pm);
	r = img_write_msg(dirfd, IMG_PAGEMAP, pid, &pm.base);
	if (r < 0)
		r = pr_errno(r, "cannot write the page map of %d", pid);
	st->stored_pages += pm.nr_pages;
	st->zero_pages += c.zero_pages;
	for (size_t i = 0; i < pm.n_runs; i++)
		free(pm.runs[i]);
	free(pm.runs);
out:
	/* Failed or not: the caller gives the memory back if the dump fails. */
	if (ret_undo)
		*ret_undo = undo;
	else
		pages_undo_free(undo);
	free(c.out_bytes);
	page_runs_release(&c.out);
	return r;
}
