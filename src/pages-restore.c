// SPDX-License-Identifier: GPL-2.0
/*
 * Memory contents, restore side (dump: pages.c).
 *
 * The pages of a process come from its image set and, for runs "in
 * parent", from the parent image sets of an incremental chain: level 0 is
 * the image set restored, level k its k-th parent. For each level we work
 * out which of its stored pages are needed (those no nearer level has),
 * then read its page image once, in order, so that its checksum is checked,
 * and write the needed pages into the process. Reading and resolving the
 * levels' page maps is pages-levels.c's.
 *
 * Making the pages of the process is what costs, on this kind of VM most
 * of all (the host maps fresh memory on first touch): both CPUs share it.
 * The process populates every other batch in bulk (MADV_POPULATE_WRITE, a
 * remote call it runs on its own CPU) while we fill the batch before it,
 * whose pages our process_vm_writev faults in as it goes (on our CPU); the
 * batch it populated is then a plain copy. A reader thread reads the
 * batches from the image ahead of us.
 */
#include "mm.h"

#include "imgdir.h"
#include "lazy.h"
#include "ns.h"
#include "pages-levels.h"
#include "pages.h"
#include "progress.h"
#include "track.h"
#include "util.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define POPULATE_GAP_PAGES 16

/* A stretch of a batch to write: @len bytes at @off of the batch buffer,
 * to @addr. */
struct piece {
	uint64_t off, addr, len;
};

struct work_batch {
	struct piece *p;
	size_t n;
	struct ranges populate; /* the dense stretches to populate first */
};

/* ---- planning the writes of each batch ---- */

static void add_piece(struct work_batch *w, uint64_t off, uint64_t addr, uint64_t len)
{
	w->p = xrealloc(w->p, (w->n + 1) * sizeof(*w->p));
	w->p[w->n++] = (struct piece){ off, addr, len };
}

/* The VMA of @mm at @addr (sorted, checked), or NULL. */
static const VmaEntry *vma_of(const MmEntry *mm, uint64_t addr, size_t *ret_k)
{
	size_t lo = 0, hi = mm->n_vmas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mm->vmas[mid]->end <= addr) {
			lo = mid + 1;
		} else if (mm->vmas[mid]->start > addr) {
			hi = mid;
		} else {
			*ret_k = mid;
			return mm->vmas[mid];
		}
	}
	return NULL;
}

/* A piece bound for a slot goes there instead, cut at VMA ends. */
static void add_piece_to_slot(struct work_batch *w, const struct mm_plan *slots, uint64_t off,
			      uint64_t addr, uint64_t len)
{
	while (len) {
		size_t k = 0;
		const VmaEntry *v = vma_of(slots->mm, addr, &k);
		uint64_t n;

		if (!v || !slots->cow.slot[k])
			return; /* not reached: need holds only slotted VMAs */
		n = MIN(len, v->end - addr);
		add_piece(w, off, slots->cow.slot[k] + (addr - v->start), n);
		off += n;
		addr += n;
		len -= n;
	}
}

/* Keep in @need only the pages inside (@in_slots) or outside the slots
 * of @plan. */
static void need_filter(struct ranges *need, const struct mm_plan *plan, bool in_slots)
{
	const MmEntry *mm = plan->mm;
	struct ranges out = { 0 };

	if (!plan->cow.slot) {
		if (in_slots)
			ranges_release(need);
		return;
	}
	for (size_t i = 0; i < need->n; i++) {
		for (uint64_t a = need->v[i].start; a < need->v[i].end;) {
			size_t k = 0;
			const VmaEntry *v = vma_of(mm, a, &k);
			uint64_t e = v ? MIN(v->end, need->v[i].end) : need->v[i].end;

			if (!v && !in_slots)
				ranges_add(&out, a, e);
			else if (v && !!plan->cow.slot[k] == in_slots)
				ranges_add(&out, a, e);
			a = e;
		}
	}
	ranges_release(need);
	*need = out;
}

/* Runs in one VMA closer than POPULATE_GAP_PAGES are populated together;
 * smaller stretches are left to fault in, which costs about as much. */
static void plan_populate(struct work_batch *w)
{
	size_t i = 0;

	while (i < w->n) {
		uint64_t start = w->p[i].addr, end = start + w->p[i].len;

		for (i++; i < w->n; i++) {
			if (w->p[i].addr < end ||
			    w->p[i].addr - end > POPULATE_GAP_PAGES * PAGE_SIZE)
				break;
			end = w->p[i].addr + w->p[i].len;
		}
		if (end - start >= POPULATE_GAP_PAGES * PAGE_SIZE)
			ranges_add(&w->populate, start, end);
	}
}

/* The needed pieces of each batch of level @l; with @slots, written at the
 * slots of the VMAs. */
static struct work_batch *plan_writes(const struct level *l, const struct batches *bs,
				      const struct mm_plan *slots)
{
	struct work_batch *ws = xzalloc((bs->n + 1) * sizeof(*ws));
	size_t cursor = 0;

	for (size_t b = 0; b < bs->n; b++) {
		uint64_t off = 0;

		for (size_t i = 0; i < bs->v[b].n; i++) {
			uint64_t s = (uint64_t)bs->v[b].remote[i].iov_base;
			uint64_t e = s + bs->v[b].remote[i].iov_len;

			while (cursor < l->need.n && l->need.v[cursor].end <= s)
				cursor++;
			for (size_t k = cursor; k < l->need.n && l->need.v[k].start < e; k++) {
				uint64_t ps = MAX(s, l->need.v[k].start),
					 pe = MIN(e, l->need.v[k].end);

				if (slots)
					add_piece_to_slot(&ws[b], slots, off + (ps - s), ps,
							  pe - ps);
				else
					add_piece(&ws[b], off + (ps - s), ps, pe - ps);
			}
			off += e - s;
		}
		/* Only a process at its trampoline can populate. */
		if (!slots)
			plan_populate(&ws[b]);
	}
	return ws;
}

static void work_release(struct work_batch *ws, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ws[i].p);
		ranges_release(&ws[i].populate);
	}
	free(ws);
}

/* ---- the pipeline ---- */

struct fill {
	struct infect *inf; /* NULL: filling slots, nothing is populated */
	int pid;
	struct relay relay;
	pthread_t reader;
	struct img img;
	const struct batches *bs;
	bool populating; /* a remote MADV_POPULATE_WRITE is under way */
};

static void *reader_main(void *arg)
{
	struct fill *f = arg;
	int r = 0;

	for (size_t b = 0; b < f->bs->n && r >= 0; b++) {
		char *buf = relay_empty(&f->relay);

		if (!buf)
			break;
		r = img_read(&f->img, buf, f->bs->v[b].bytes);
		if (r >= 0)
			relay_put(&f->relay, f->bs->v[b].bytes);
	}
	relay_close(&f->relay, r);
	return NULL;
}

static int populate_start(struct fill *f, const struct range *rg)
{
	int r = infect_start(f->inf, SYS_madvise, (long)rg->start, (long)(rg->end - rg->start),
			     MADV_POPULATE_WRITE, 0, 0, 0);

	f->populating = r >= 0;
	return r;
}

/* Best effort: a failed populate only means slower faults. */
static int populate_finish(struct fill *f)
{
	long ret;

	if (!f->populating)
		return 0;
	f->populating = false;
	return infect_finish(f->inf, &ret);
}

/* Populate what @w needs, the first stretch already started if @started. */
static int populate_rest(struct fill *f, const struct work_batch *w, bool started)
{
	int r = populate_finish(f);

	for (size_t i = started ? 1 : 0; i < w->populate.n && r >= 0; i++) {
		r = populate_start(f, &w->populate.v[i]);
		if (r >= 0)
			r = populate_finish(f);
	}
	return r;
}

static int write_pieces(int pid, const struct work_batch *w, const char *buf)
{
	size_t done = 0;

	while (done < w->n) {
		struct iovec local[BATCH_IOVS], remote[BATCH_IOVS];
		size_t n = MIN(w->n - done, BATCH_IOVS), bytes = 0;

		for (size_t i = 0; i < n; i++) {
			const struct piece *p = &w->p[done + i];

			local[i] = (struct iovec){ (void *)(buf + p->off), p->len };
			remote[i] = (struct iovec){ (void *)p->addr, p->len };
			bytes += p->len;
		}
		if (process_vm_writev(pid, local, n, remote, n, 0) != (ssize_t)bytes) {
			/* Read-only or PROT_NONE pages: through /proc/PID/mem. */
			for (size_t i = 0; i < n; i++) {
				int r = remote_write(pid, (uint64_t)remote[i].iov_base,
						     local[i].iov_base, local[i].iov_len);

				if (r < 0)
					return r;
			}
		}
		done += n;
	}
	return 0;
}

/* The batches the process populates itself: the odd ones. */
static bool populated_by_process(size_t b)
{
	return b % 2;
}

/*
 * The process populates its batch ahead while we fill the batch before it,
 * and goes on to its next one as soon as it is done: while we copy into the
 * batch it populated, it populates the one after our next (never idle).
 */
static int fill_batches(struct fill *f, const struct work_batch *ws)
{
	const struct batches *bs = f->bs;
	size_t started = SIZE_MAX; /* the batch whose populate runs */
	int r = 0;

	for (size_t b = 0; b < bs->n && r >= 0; b++) {
		size_t p = populated_by_process(b + 1) ? b + 1 : b + 2;
		bool next = b + 1 < bs->n && populated_by_process(b + 1);
		size_t len;
		char *buf;

		if (p < bs->n && started != p && ws[p].populate.n) {
			r = populate_start(f, &ws[p].populate.v[0]);
			if (r >= 0)
				started = p;
		}
		buf = r >= 0 ? relay_full(&f->relay, &len) : NULL;
		if (buf) {
			r = write_pieces(f->pid, &ws[b], buf);
			/* Not in a new process filling its own (f->inf NULL). */
			if (r >= 0 && f->inf)
				progress_add(len);
			relay_done(&f->relay);
		} else if (r >= 0) {
			r = relay_error(&f->relay) ?: -EIO;
		}
		/* Ours to fill next: its populate ends first (and the call
		 * under way must end before anything else is asked). */
		if (next) {
			int r2 = populate_rest(f, &ws[b + 1], started == b + 1);

			r = r < 0 ? r : r2;
		}
	}
	(void)populate_finish(f);
	return r;
}

/* The image set of @dirfd was written by dump --meta: no pages in it. */
static bool pages_elsewhere(int dirfd)
{
	InventoryEntry *inv = NULL;
	bool r;

	if (img_read_msg(dirfd, IMG_INVENTORY, 0, &inventory_entry__descriptor,
			 (ProtobufCMessage **)&inv) < 0)
		return false;
	r = inv->pages_elsewhere;
	protobuf_c_message_free_unpacked(&inv->base, NULL);
	return r;
}

/*
 * A process of a few MiB in one batch would be populated by us alone (the
 * process takes every other batch): its pages come in RESTORE_MIN_BATCHES
 * batches at least, of 1 MiB at least, so that it takes its share.
 */
#define RESTORE_MIN_BATCHES 8
#define RESTORE_BATCH_MIN (1UL << 20)

static size_t restore_batch_bytes(uint64_t nr_pages)
{
	uint64_t per = (nr_pages + RESTORE_MIN_BATCHES - 1) / RESTORE_MIN_BATCHES * PAGE_SIZE;

	return MIN(MAX(per, RESTORE_BATCH_MIN), BATCH_BYTES);
}

static int level_fill(struct infect *inf, struct level *l, int pid, int target,
		      const struct mm_plan *slots)
{
	_cleanup_free_ char *name = img_name(IMG_PAGES, pid);
	struct fill f = { .inf = inf, .pid = target };
	struct batches bs;
	struct work_batch *ws;
	size_t batch;
	int r;

	r = img_open_file(&f.img, l->dirfd, name, IMG_PAGES);
	/* A --meta set's page images are holes: its pages are elsewhere. */
	if (r >= 0 && pages_elsewhere(l->dirfd))
		r = -ENOENT;
	if (r >= 0 && !f.img.codec && f.img.payload_len != l->pm->nr_pages * PAGE_SIZE)
		r = -EBADMSG;
	if (r < 0) {
		img_close(&f.img);
		return r;
	}
	batch = restore_batch_bytes(l->pm->nr_pages);
	batches_make_max(&l->runs, batch, &bs);
	ws = plan_writes(l, &bs, slots);
	f.bs = &bs;
	relay_init(&f.relay, MIN(batch, MAX(l->pm->nr_pages, 1) * PAGE_SIZE));
	r = -pthread_create(&f.reader, NULL, reader_main, &f);
	if (r == 0) {
		r = fill_batches(&f, ws);
		if (r < 0)
			relay_fail(&f.relay, r);
		pthread_join(f.reader, NULL);
		/* Every byte read: img_read checked the checksum at the last. */
		if (r >= 0)
			r = relay_error(&f.relay);
		if (r >= 0 && !img_at_end(&f.img))
			r = -EBADMSG;
	}
	relay_release(&f.relay);
	work_release(ws, bs.n);
	batches_release(&bs);
	img_close(&f.img);
	return r;
}

/* ---- restore --lazy (lazy.h) ---- */

/* Where each page of the sorted ranges @rs is in the page image of @l
 * (file @file): the stored runs in order. With @remote (the page server
 * has the pages), the address itself. */
static void segs_of(const struct level *l, const struct ranges *rs, uint32_t file, bool remote,
		    struct lazy_segs *segs)
{
	uint64_t idx = 0;
	size_t w = 0;

	for (size_t i = 0; i < l->runs.n && w < rs->n; i++) {
		const struct page_run *run = &l->runs.v[i];
		uint64_t s = run->vaddr, e = s + run->nr_pages * PAGE_SIZE;

		if (run->where != PAGE_WHERE__PAGES_HERE)
			continue;
		while (w < rs->n && rs->v[w].end <= s)
			w++;
		for (size_t k = w; k < rs->n && rs->v[k].start < e; k++) {
			uint64_t ps = MAX(s, rs->v[k].start), pe = MIN(e, rs->v[k].end);

			lazy_segs_add(segs, ps, pe,
				      remote ? ps
					     : IMG_HEADER_SIZE +
						       (idx + (ps - s) / PAGE_SIZE) * PAGE_SIZE,
				      file);
		}
		idx += run->nr_pages;
	}
}

/* The needed pages of @l inside lazy VMAs (@vl) go to @segs, the others
 * to @now: none stays in its need. */
static void lazy_take(struct level *l, const MmEntry *mm, const bool *vl, uint32_t file,
		      bool remote, struct lazy_segs *segs, struct lazy_segs *now)
{
	struct ranges keep = { 0 }, lazy = { 0 };

	for (size_t i = 0; i < l->need.n; i++) {
		for (uint64_t a = l->need.v[i].start; a < l->need.v[i].end;) {
			size_t k = 0;
			const VmaEntry *v = vma_of(mm, a, &k);
			uint64_t e = v ? MIN(v->end, l->need.v[i].end) : l->need.v[i].end;

			ranges_add(v && vl[k] ? &lazy : &keep, a, e);
			a = e;
		}
	}
	segs_of(l, &lazy, file, remote, segs);
	segs_of(l, &keep, file, remote, now);
	ranges_release(&lazy);
	ranges_release(&keep);
	ranges_release(&l->need);
}

/* Segments cut at VMA ends: the kernel copies into one VMA at a time. */
static void segs_cut_at_vmas(struct lazy_segs *s, const MmEntry *mm)
{
	struct lazy_segs out = { 0 };

	for (size_t i = 0; i < s->n; i++) {
		const struct lazy_seg *g = &s->v[i];

		for (uint64_t a = g->start; a < g->end;) {
			size_t k = 0;
			const VmaEntry *v = vma_of(mm, a, &k);
			uint64_t e = v ? MIN(v->end, g->end) : g->end;

			lazy_segs_push(&out, a, e, g->off + (a - g->start), g->file);
			a = e;
		}
	}
	lazy_segs_release(s);
	*s = out;
}

/*
 * The pages that are not lazy, written now: read where they are in their
 * page image (not the whole image through, which would take as long as
 * the memory is large). Their checksums are the daemon's to check.
 */
static int write_now(int target, int pid, struct lazy *lz, const struct lazy_segs *now,
		     const int *fds, uint32_t remote)
{
	_cleanup_free_ char *buf = xmalloc(BATCH_BYTES);
	int r = 0;

	for (size_t i = 0; i < now->n && r >= 0; i++) {
		const struct lazy_seg *sg = &now->v[i];
		bool far = remote & (1U << sg->file);

		for (uint64_t a = sg->start; a < sg->end && r >= 0;) {
			uint64_t len =
				MIN(sg->end - a, far ? PS_MAX_PAGES * PAGE_SIZE : BATCH_BYTES);
			struct work_batch w = { 0 };

			if (far) {
				if (!lz->pc.pid)
					r = page_client_start(&lz->pc, lz->page_server);
				if (r >= 0)
					r = page_client_read(&lz->pc, pid, a,
							     (uint32_t)(len / PAGE_SIZE), buf);
				if (r < 0)
					return r;
			} else {
				ssize_t n = pread(fds[sg->file], buf, len,
						  (off_t)(sg->off + (a - sg->start)));

				if (n != (ssize_t)len)
					return n < 0 ? -errno : -EIO;
			}
			add_piece(&w, 0, a, len);
			r = write_pieces(target, &w, buf);
			free(w.p);
			a += len;
		}
	}
	return r;
}

/*
 * A level of the chain this process needs no page from has no file (-1),
 * which cannot travel in SCM_RIGHTS (EBADF): @out gets the fd of another
 * level in its place (no segment names that level).
 */
static void lazy_fds_fill(const int *fds, int *out, size_t nr)
{
	int any = -1;

	for (size_t k = 0; k < nr && any < 0; k++)
		any = fds[k];
	for (size_t k = 0; k < nr; k++)
		out[k] = fds[k] >= 0 ? fds[k] : any;
}

/*
 * The pages of lazy VMAs go to the page daemon rather than into the
 * process. Only from page images stored plain (a compressed one has no
 * page at a known offset): a process with one is restored whole.
 */
static int lazy_split(struct infect *inf, int pid, const struct mm_plan *plan, struct level *lv,
		      size_t nr)
{
	const MmEntry *mm = plan->mm;
	_cleanup_free_ bool *vl = xzalloc(mm->n_vmas + 1);
	_cleanup_free_ int *fds = xzalloc((nr + 1) * sizeof(int));
	struct lazy_segs segs = { 0 }, now = { 0 };
	uint32_t remote = 0;
	size_t opened = 0;
	int r = 0, uffd = -1;

	for (size_t i = 0; i < mm->n_vmas; i++)
		vl[i] = lazy_vma_ok(mm->vmas[i]) && !(plan->cow.slot && plan->cow.slot[i]);
	for (; opened < nr; opened++) {
		_cleanup_free_ char *name = img_name(IMG_PAGES, pid);
		struct img img;

		fds[opened] = -1;
		if (!lv[opened].need.n)
			continue;
		r = img_open_file(&img, lv[opened].dirfd, name, IMG_PAGES);
		/* Not here, or a --meta set's (its page images are holes):
		 * the page server has it (post-copy). */
		if (r >= 0 && pages_elsewhere(lv[opened].dirfd)) {
			img_close(&img);
			r = -ENOENT;
		}
		if (r == -ENOENT && plan->lazy->page_server && opened < 32) {
			fds[opened] = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (fds[opened] < 0) {
				r = pr_errno(-errno, "cannot open /dev/null");
				break;
			}
			remote |= 1U << opened;
			r = 0;
			continue;
		}
		if (r >= 0 && !img.codec && img.payload_len != lv[opened].pm->nr_pages * PAGE_SIZE)
			r = -EBADMSG;
		if (r >= 0 && img.codec) {
			img_close(&img);
			break; /* eager */
		}
		if (r < 0) {
			img_close(&img);
			r = pr_fail(r, "cannot restore: cannot read image '%s'%s: %s", name,
				    opened ? " of a parent" : "", img_strerror(r));
			break;
		}
		fds[opened] = img.fd;
	}
	if (r >= 0 && opened == nr)
		r = lazy_uffd(inf, remote, &uffd);
	if (r == 0 && opened == nr) {
		for (size_t k = 0; k < nr; k++)
			lazy_take(&lv[k], mm, vl, (uint32_t)k, remote & (1U << k), &segs, &now);
		lazy_segs_sort(&segs);
		segs_cut_at_vmas(&segs, mm);
		/* All zeros: nothing to wait for. */
		if (segs.n) {
			_cleanup_free_ int *sent = xzalloc((nr + 1) * sizeof(int));

			lazy_fds_fill(fds, sent, nr);
			r = lazy_hand_over(plan->lazy, inf, uffd, pid, mm, vl, &segs, sent, nr,
					   remote);
		} else {
			close(uffd);
		}
		if (r >= 0) {
			r = write_now(inf->pid, pid, plan->lazy, &now, fds, remote);
			if (r < 0)
				r = pr_errno(r, "cannot restore: the memory of %d", pid);
		}
	}
	for (size_t k = 0; k < opened; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	lazy_segs_release(&segs);
	lazy_segs_release(&now);
	return r < 0 ? r : 0;
}

int pages_check(const MmEntry *mm, const int *dirfds, size_t nr_levels, int pid)
{
	struct level *lv = xzalloc(nr_levels * sizeof(*lv));
	size_t loaded = 0;
	int r = levels_load(lv, mm, dirfds, nr_levels, pid, &loaded);

	levels_release(lv, loaded);
	return r;
}

int pages_restore(struct infect *inf, int pid, const struct mm_plan *plan, const int *dirfds,
		  size_t nr_levels)
{
	struct level *lv = xzalloc(nr_levels * sizeof(*lv));
	int target = inf ? inf->pid : ns_host_pid(pid); /* @pid names the images */
	size_t loaded = 0, k = 0;
	int r = levels_load(lv, plan->mm, dirfds, nr_levels, pid, &loaded);
	if (r < 0) {
		levels_release(lv, loaded);
		return r;
	}
	for (k = 0; k < loaded; k++)
		need_filter(&lv[k].need, plan, !inf);
	if (inf && plan->lazy) {
		r = lazy_split(inf, pid, plan, lv, loaded);
		if (r < 0) {
			levels_release(lv, loaded);
			return r;
		}
	}
	for (k = 0; k < loaded && r >= 0; k++)
		if (lv[k].need.n)
			r = level_fill(inf, &lv[k], pid, target, inf ? NULL : plan);
	levels_release(lv, loaded);
	if (r < 0) {
		_cleanup_free_ char *name = img_name(IMG_PAGES, pid);

		return pr_fail(r, "cannot restore: the memory of %d (image '%s'%s): %s", pid, name,
			       k > 1 ? " of a parent" : "", img_strerror(r));
	}
	return 0;
}
