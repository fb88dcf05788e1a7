// SPDX-License-Identifier: GPL-2.0
/*
 * Pages a child still shares copy-on-write with its parent.
 *
 * After fork, parent and child hold the same physical pages until one of
 * them writes. A server that forks its workers after loading its data
 * (redis, postgres, a python pre-fork server) keeps most of its memory
 * that way. Restored page by page, each process would get its own copy.
 *
 * Dump: root may read the page frame numbers of /proc/PID/pagemap. A page
 * of a private anonymous VMA of the child that has the same frame as the
 * parent's page at the same address, in a VMA of the same bounds, is the
 * parent's page: the child's page map says "from the parent process" and
 * the page is stored once, in the parent's images.
 *
 * Restore: each process is created by its parent, from a copy of ckpt,
 * and its address space is rebuilt only once every process exists. So the
 * pages to hand down wait in "slots": ckpt reserves an area (PROT_NONE)
 * free in its own layout and in every dumped one before it creates the
 * tree, so that it is at the same address in every process. A parent maps
 * each VMA that a child takes pages from at a slot of that area and stops;
 * ckpt fills the slot with the parent's pages; only then does the parent
 * clone. A child that takes pages from a slot inherits it, drops from it
 * (MADV_DONTNEED) every page that is not its parent's, stops, and ckpt
 * writes its own pages there (so a grandchild may take the slot on in
 * turn). When the address space is rebuilt (mm.c), each slot is moved to
 * its VMA's address with mremap, which keeps the pages shared, and the
 * rest of the area is unmapped.
 */
#include "mm.h"

#include "imgdir.h"
#include "pages.h"
#include "proc.h"
#include "restore.h"
#include "util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define COW_CHUNK 4096 /* pagemap entries read at once */

/* A VMA whose pages may come from the parent process. */
bool cow_vma_ok(const VmaEntry *v)
{
	return v->kind == VMA_KIND__VMA_ANON_PRIVATE;
}

/* The VMA of @mm that holds @addr, or -1 (VMAs sorted, checked). */
static ssize_t vma_index(const MmEntry *mm, uint64_t addr)
{
	size_t lo = 0, hi = mm->n_vmas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mm->vmas[mid]->end <= addr)
			lo = mid + 1;
		else if (mm->vmas[mid]->start > addr)
			hi = mid;
		else
			return (ssize_t)mid;
	}
	return -1;
}

/* The VMA of the parent @pmm with the bounds of @v, if both can share. */
static ssize_t twin_index(const MmEntry *pmm, const VmaEntry *v)
{
	ssize_t k = vma_index(pmm, v->start);
	const VmaEntry *p;

	if (k < 0)
		return -1;
	p = pmm->vmas[k];
	if (p->start != v->start || p->end != v->end || !cow_vma_ok(p) || !cow_vma_ok(v) ||
	    (p->vmflags & VMF_GROWSDOWN) != (v->vmflags & VMF_GROWSDOWN))
		return -1;
	return k;
}

/* ---- dump ---- */

static bool same_page(uint64_t c, uint64_t p)
{
	return (c & PM_PRESENT) && (p & PM_PRESENT) && !(c & PM_SWAP) && (c & PM_PFN_MASK) &&
	       (c & PM_PFN_MASK) == (p & PM_PFN_MASK);
}

/* The runs of the child's page map in the image set an incremental dump
 * builds on that said "from the parent process": a page not written
 * since, but no longer shared, is stored now (restore finds nothing for
 * it in that set). */
static int prev_from_parent(int prev_dirfd, int pid, struct ranges *ret)
{
	PagemapEntry *pm = NULL;
	int r;

	if (prev_dirfd < 0)
		return 0;
	r = img_read_msg(prev_dirfd, IMG_PAGEMAP, pid, &pagemap_entry__descriptor,
			 (ProtobufCMessage **)&pm);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (size_t i = 0; i < pm->n_runs; i++) {
		uint64_t end;

		if (pm->runs[i]->where == PAGE_WHERE__PAGES_FROM_PARENT_PROC &&
		    pages_end_ok(pm->runs[i]->vaddr, pm->runs[i]->nr_pages, &end))
			ranges_add(ret, pm->runs[i]->vaddr, end);
	}
	protobuf_c_message_free_unpacked(&pm->base, NULL);
	return 0;
}

static bool in_ranges(const struct ranges *rs, uint64_t a)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->v[mid].end <= a)
			lo = mid + 1;
		else if (rs->v[mid].start > a)
			hi = mid;
		else
			return true;
	}
	return false;
}

struct mark {
	int cfd, pfd;
	const struct ranges *prev;
	struct page_runs out;
	uint64_t shared;
	uint64_t cent[COW_CHUNK], pent[COW_CHUNK];
};

/* Run @run of the child, in its VMA @v (@twin: the parent has it too),
 * page by page into m->out. */
static int mark_run(struct mark *m, const struct page_run *run, bool twin)
{
	uint64_t a = run->vaddr, end = run->vaddr + run->nr_pages * PAGE_SIZE;

	while (a < end) {
		size_t n = MIN(COW_CHUNK, (end - a) / PAGE_SIZE);
		off_t off = (off_t)(a / PAGE_SIZE * 8);
		int r = 0;

		if (twin) {
			r = pread_full(m->cfd, m->cent, n * 8, off);
			if (r >= 0)
				r = pread_full(m->pfd, m->pent, n * 8, off);
		}
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++, a += PAGE_SIZE) {
			uint32_t where = run->where;

			if (twin && same_page(m->cent[i], m->pent[i])) {
				where = PAGE_WHERE__PAGES_FROM_PARENT_PROC;
				m->shared++;
			} else if (where == PAGE_WHERE__PAGES_IN_PARENT && in_ranges(m->prev, a)) {
				where = PAGE_WHERE__PAGES_HERE;
			}
			page_runs_add(&m->out, a, 1, where, run->zero_ok, a != run->vaddr);
		}
	}
	return 0;
}

static bool run_meets(const struct ranges *rs, const struct page_run *run)
{
	uint64_t end = run->vaddr + run->nr_pages * PAGE_SIZE;

	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].start < end && run->vaddr < rs->v[i].end)
			return true;
	return false;
}

static int open_pagemap(int pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

int pages_cow_mark(int pid, const MmEntry *mm, int ppid, const MmEntry *pmm, int prev_dirfd,
		   struct page_runs *runs, struct pages_stats *st)
{
	_cleanup_close_ int cfd = open_pagemap(pid);
	_cleanup_close_ int pfd = open_pagemap(ppid);
	struct ranges prev = { 0 };
	struct mark *m;
	int r;

	if (cfd < 0 || pfd < 0)
		return -errno;
	r = prev_from_parent(prev_dirfd, pid, &prev);
	if (r < 0)
		return r;
	m = xzalloc(sizeof(*m));
	m->cfd = cfd;
	m->pfd = pfd;
	m->prev = &prev;
	for (size_t i = 0; i < runs->n && r >= 0; i++) {
		const struct page_run *run = &runs->v[i];
		ssize_t k = vma_index(mm, run->vaddr);
		bool twin = k >= 0 && twin_index(pmm, mm->vmas[k]) >= 0;

		if (twin || (run->where == PAGE_WHERE__PAGES_IN_PARENT && run_meets(&prev, run)))
			r = mark_run(m, run, twin);
		else
			page_runs_add(&m->out, run->vaddr, run->nr_pages, run->where, run->zero_ok,
				      false);
	}
	if (r >= 0) {
		page_runs_release(runs);
		*runs = m->out;
		st->parent_proc_pages += m->shared;
		pr_debug("%d: %llu pages shared with its parent %d", pid,
			 (unsigned long long)m->shared, ppid);
	} else {
		page_runs_release(&m->out);
	}
	ranges_release(&prev);
	free(m);
	return r;
}

/* ---- restore: planning, in ckpt ---- */

void cow_slots_release(struct cow_slots *c)
{
	free(c->slot);
	free(c->own);
	ranges_release(&c->drop);
	memset(c, 0, sizeof(*c));
}

struct cow_work {
	struct ranges *from; /* per process: its pages from its parent */
	bool **inherits; /* per process, per VMA: takes pages from the parent's slot */
	bool **needed; /* per process, per VMA: a child takes pages from it */
};

static bool *vma_flags(bool **v, size_t i, const MmEntry *mm)
{
	if (!v[i])
		v[i] = xzalloc((mm->n_vmas + 1) * sizeof(bool));
	return v[i];
}

/* What process @i takes from its parent, checked: the parent creates it,
 * and has each VMA it takes from. */
static int cow_load(struct restore *rs, struct cow_work *w, size_t i)
{
	struct restore_proc *rp = &rs->procs[i];
	int pid = rp->pp->pid, c = rp->parent;
	PagemapEntry *pm = NULL;
	const MmEntry *pmm;
	int r;

	r = img_read_msg(rs->dirfd, IMG_PAGEMAP, pid, &pagemap_entry__descriptor,
			 (ProtobufCMessage **)&pm);
	if (r < 0)
		return pr_fail(r, "cannot restore: cannot read the page map of %d: %s", pid,
			       img_strerror(r));
	/* Read again: it is checked again. */
	r = pagemap_check(pm, rp->mm, pid, 0);
	for (size_t k = 0; k < pm->n_runs && r >= 0; k++)
		if (pm->runs[k]->where == PAGE_WHERE__PAGES_FROM_PARENT_PROC)
			ranges_add(&w->from[i], pm->runs[k]->vaddr,
				   pm->runs[k]->vaddr + pm->runs[k]->nr_pages * PAGE_SIZE);
	protobuf_c_message_free_unpacked(&pm->base, NULL);
	if (r < 0 || !w->from[i].n)
		return r;
	if (c < 0 || rp->pp->creator != c || rp->pp->clone_parent || !rs->procs[c].mm || !rp->pe ||
	    rs->procs[c].pp->pid != (int)rp->pe->ppid)
		return img_inconsistent(IMG_PAGEMAP, pid,
					"pages from a parent process that does not create it");
	pmm = rs->procs[c].mm;
	for (size_t k = 0; k < w->from[i].n; k++) {
		const struct range *g = &w->from[i].v[k];

		for (uint64_t a = g->start; a < g->end;) {
			ssize_t vi = vma_index(rp->mm, a);
			ssize_t pi = vi >= 0 ? twin_index(pmm, rp->mm->vmas[vi]) : -1;

			if (pi < 0)
				return img_inconsistent(
					IMG_PAGEMAP, pid,
					"pages from its parent at %#llx, where the parent has no such memory",
					(unsigned long long)a);
			vma_flags(w->inherits, i, rp->mm)[vi] = true;
			vma_flags(w->needed, (size_t)c, pmm)[pi] = true;
			a = rp->mm->vmas[vi]->end;
		}
	}
	return 0;
}

/* Room for @len bytes free in ckpt, in every dumped layout and away from
 * every trampoline. */
static bool area_free(const struct restore *rs, const struct proc_vma *own, size_t nr_own,
		      uint64_t a, uint64_t len)
{
	for (size_t i = 0; i < nr_own; i++)
		if (a < own[i].end && own[i].start < a + len)
			return false;
	for (size_t i = 0; i < rs->nr; i++) {
		const MmEntry *mm = rs->procs[i].mm;
		uint64_t t = rs->procs[i].plan.tramp;

		if (!mm)
			continue;
		if (a < t + TRAMP_WINDOW && t < a + len)
			return false;
		for (size_t k = 0; k < mm->n_vmas; k++)
			if (a < mm->vmas[k]->end && mm->vmas[k]->start < a + len)
				return false;
	}
	return true;
}

static int cow_reserve(struct restore *rs, uint64_t len, uint64_t *ret)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
	struct proc_vma *own;
	size_t nr;
	int r = -ENOSPC;

	if (!f || proc_parse_maps(f, &own, &nr) < 0)
		return pr_errno(-EIO, "cannot restore: cannot read our own mappings");
	for (uint64_t a = 1ULL << 40; a + len < (1ULL << 47); a += 1ULL << 32) {
		void *p;

		if (!area_free(rs, own, nr, a, len))
			continue;
		p = mmap((void *)a, len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == (void *)a) {
			*ret = a;
			r = 0;
			break;
		}
		if (p != MAP_FAILED)
			munmap(p, len);
	}
	proc_vmas_free(own, nr);
	return r < 0 ? pr_errno(r, "cannot restore: no room for the memory shared with parents")
		     : 0;
}

/* Process @i's slots: a parent's, handed down, or its own at @*off. */
static int cow_assign(struct restore *rs, struct cow_work *w, size_t i, uint64_t *off)
{
	struct restore_proc *rp = &rs->procs[i];
	struct cow_slots *cs = &rp->plan.cow;
	const MmEntry *mm = rp->mm;

	cs->slot = xzalloc((mm->n_vmas + 1) * sizeof(*cs->slot));
	cs->own = xzalloc((mm->n_vmas + 1) * sizeof(*cs->own));
	cs->fill = true;
	for (size_t k = 0; k < mm->n_vmas; k++) {
		const VmaEntry *v = mm->vmas[k];

		if (w->inherits[i] && w->inherits[i][k]) {
			const struct cow_slots *ps = &rs->procs[rp->parent].plan.cow;
			ssize_t pi = twin_index(rs->procs[rp->parent].mm, v);

			/* The parent comes first in the plan. */
			if (pi < 0 || !ps->slot || !ps->slot[pi])
				return img_inconsistent(
					IMG_PAGEMAP, rp->pp->pid,
					"pages from a parent process planned after it");
			cs->slot[k] = ps->slot[pi];
		} else if (w->needed[i] && w->needed[i][k]) {
			/* Offsets from 1 (0 is no slot) until the area is placed. */
			cs->slot[k] = *off + 1;
			cs->own[k] = true;
			if (!add_ok(*off, v->end - v->start, off) || *off > (1ULL << 45))
				return img_inconsistent(IMG_MM, rp->pp->pid,
							"too much memory shared with children");
		}
	}
	return 0;
}

/* The pages of each inherited slot that are not the parent's. */
static void cow_drops(struct restore_proc *rp, const struct ranges *from, const bool *inherits)
{
	struct cow_slots *cs = &rp->plan.cow;

	for (size_t k = 0; k < rp->mm->n_vmas; k++) {
		const VmaEntry *v = rp->mm->vmas[k];
		uint64_t a = v->start;

		if (!inherits[k])
			continue;
		for (size_t g = 0; g < from->n; g++) {
			uint64_t s = MAX(from->v[g].start, v->start),
				 e = MIN(from->v[g].end, v->end);

			if (s >= e)
				continue;
			if (a < s)
				ranges_add(&cs->drop, cs->slot[k] + (a - v->start),
					   cs->slot[k] + (s - v->start));
			a = e;
		}
		if (a < v->end)
			ranges_add(&cs->drop, cs->slot[k] + (a - v->start),
				   cs->slot[k] + (v->end - v->start));
	}
}

static void cow_work_release(struct cow_work *w, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		ranges_release(&w->from[i]);
		free(w->inherits[i]);
		free(w->needed[i]);
	}
	free(w->from);
	free(w->inherits);
	free(w->needed);
}

int cow_plan(struct restore *rs)
{
	struct cow_work w = {
		.from = xzalloc((rs->nr + 1) * sizeof(*w.from)),
		.inherits = xzalloc((rs->nr + 1) * sizeof(*w.inherits)),
		.needed = xzalloc((rs->nr + 1) * sizeof(*w.needed)),
	};
	uint64_t len = 0, base = 0;
	int r = 0;

	for (size_t i = 0; i < rs->nr && r >= 0; i++)
		if (rs->procs[i].mm)
			r = cow_load(rs, &w, i);
	for (size_t i = 0; i < rs->nr && r >= 0; i++)
		if (w.inherits[i] || w.needed[i])
			r = cow_assign(rs, &w, i, &len);
	if (r >= 0 && len && !rs->verify_only)
		r = cow_reserve(rs, len, &base);
	if (r < 0 || !len) {
		cow_work_release(&w, rs->nr);
		return r;
	}
	rs->cow_base = base;
	rs->cow_len = rs->verify_only ? 0 : len;
	/* Every process has the area: each unmaps it once its memory is in
	 * place. Own slots are placed in plan order, so a child's copy of its
	 * parent's slot address is set before it is read. */
	for (size_t i = 0; i < rs->nr; i++) {
		struct cow_slots *cs = &rs->procs[i].plan.cow;

		if (!rs->procs[i].mm)
			continue;
		cs->base = base;
		cs->len = rs->cow_len;
		for (size_t k = 0; cs->slot && k < rs->procs[i].mm->n_vmas; k++) {
			if (cs->own[k])
				cs->slot[k] += base - 1;
			else if (w.inherits[i] && w.inherits[i][k])
				cs->slot[k] =
					rs->procs[rs->procs[i].parent].plan.cow.slot[twin_index(
						rs->procs[rs->procs[i].parent].mm,
						rs->procs[i].mm->vmas[k])];
		}
		if (w.inherits[i])
			cow_drops(&rs->procs[i], &w.from[i], w.inherits[i]);
	}
	pr_debug("%llu bytes of memory handed down to children", (unsigned long long)len);
	cow_work_release(&w, rs->nr);
	return 0;
}

/* ---- restore: in the new process, before it clones ---- */

int pages_cow_premap(const struct mm_plan *plan)
{
	const struct cow_slots *cs = &plan->cow;
	const MmEntry *mm = plan->mm;

	if (!cs->slot)
		return 0;
	for (size_t k = 0; k < mm->n_vmas; k++) {
		const VmaEntry *v = mm->vmas[k];
		int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
		void *p;

		if (!cs->own[k])
			continue;
		if (v->vmflags & VMF_GROWSDOWN)
			flags |= MAP_GROWSDOWN;
		p = mmap((void *)cs->slot[k], v->end - v->start,
			 (int)v->prot | PROT_READ | PROT_WRITE, flags, -1, 0);
		if (p != (void *)cs->slot[k])
			return pr_errno(p == MAP_FAILED ? -errno : -EEXIST,
					"cannot restore: cannot map the memory children share");
	}
	for (size_t i = 0; i < cs->drop.n; i++)
		if (madvise((void *)cs->drop.v[i].start, cs->drop.v[i].end - cs->drop.v[i].start,
			    MADV_DONTNEED) < 0)
			return pr_errno(-errno,
					"cannot restore: cannot drop pages of the parent's memory");
	return 0;
}
