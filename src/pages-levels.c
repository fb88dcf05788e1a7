// SPDX-License-Identifier: GPL-2.0
/*
 * Memory contents, restore side: the page maps of a chain's levels, read,
 * checked, and resolved into the pages each level gives (pages-levels.h).
 * Writing them into the process is pages-restore.c's.
 */
#include "pages-levels.h"

#include "image.h"
#include "imgdir.h"
#include "util.h"

static void level_release(struct level *l)
{
	if (l->pm)
		protobuf_c_message_free_unpacked(&l->pm->base, NULL);
	page_runs_release(&l->runs);
	ranges_release(&l->need);
}

/*
 * A page map as read: runs sorted, non-overlapping, page-aligned, of at
 * least one page, in user space, without overflow; those stored here add
 * up to nr_pages, whose bytes fit in 64 bits. With @mm (the image set
 * restored), every run lies inside a VMA that takes pages; a parent's
 * runs are only needed where they meet the runs of the levels above, but
 * all of them are read and must be sane.
 */
int pagemap_check(const PagemapEntry *pm, const MmEntry *mm, int pid, size_t level)
{
	const char *of = level ? " of a parent image set" : "";
	uint64_t here = 0, prev_end = 0, bytes;
	size_t k = 0;

	for (size_t i = 0; i < pm->n_runs; i++) {
		const PageRunEntry *e = pm->runs[i];
		uint64_t end;

		if (e->where > PAGE_WHERE__PAGES_FROM_PARENT_PROC)
			return img_inconsistent(IMG_PAGEMAP, pid, "run %zu%s: where %u", i, of,
						e->where);
		if (!e->nr_pages || e->vaddr % PAGE_SIZE ||
		    !pages_end_ok(e->vaddr, e->nr_pages, &end) || end > user_addr_limit())
			return img_inconsistent(IMG_PAGEMAP, pid, "run %zu%s: %u pages at %#llx", i,
						of, e->nr_pages, (unsigned long long)e->vaddr);
		if (e->vaddr < prev_end)
			return img_inconsistent(IMG_PAGEMAP, pid,
						"run %zu%s overlaps or comes before run %zu", i, of,
						i - 1);
		prev_end = end;
		/* Both sorted: one pass over the VMAs. */
		while (mm && k < mm->n_vmas && mm->vmas[k]->end <= e->vaddr)
			k++;
		if (mm && (k == mm->n_vmas || !vma_has_pages(mm->vmas[k]) ||
			   mm->vmas[k]->start > e->vaddr || end > mm->vmas[k]->end))
			return img_inconsistent(IMG_PAGEMAP, pid, "run %zu: not inside a vma", i);
		if (mm && e->where == PAGE_WHERE__PAGES_FROM_PARENT_PROC &&
		    !cow_vma_ok(mm->vmas[k]))
			return img_inconsistent(
				IMG_PAGEMAP, pid,
				"run %zu: from the parent process in a vma that cannot share", i);
		if (e->where == PAGE_WHERE__PAGES_HERE && !add_ok(here, e->nr_pages, &here))
			return img_inconsistent(IMG_PAGEMAP, pid, "page count%s", of);
	}
	if (here != pm->nr_pages || !mul_ok(pm->nr_pages, PAGE_SIZE, &bytes))
		return img_inconsistent(IMG_PAGEMAP, pid, "%llu pages stored%s, runs hold %llu",
					(unsigned long long)pm->nr_pages, of,
					(unsigned long long)here);
	return 0;
}

/* Logs why it fails, but for a missing page map in a parent (-ENOENT),
 * which may be fine. */
static int level_load(struct level *l, int pid, const MmEntry *mm, size_t level)
{
	int r = img_read_msg(l->dirfd, IMG_PAGEMAP, pid, &pagemap_entry__descriptor,
			     (ProtobufCMessage **)&l->pm);

	if (r == -ENOENT && level)
		return r;
	if (r < 0) {
		_cleanup_free_ char *name = img_name(IMG_PAGEMAP, pid);

		return pr_fail(r, "cannot restore: cannot read image '%s'%s: %s", name,
			       level ? " of a parent" : "", img_strerror(r));
	}
	r = pagemap_check(l->pm, mm, pid, level);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->pm->n_runs; i++) {
		const PageRunEntry *e = l->pm->runs[i];

		page_runs_add(&l->runs, e->vaddr, e->nr_pages, e->where, false, false);
	}
	return 0;
}

/* The parts of the sorted ranges @want inside the runs of @l with @where,
 * into @ret. */
static void intersect(const struct ranges *want, const struct level *l, uint32_t where,
		      struct ranges *ret)
{
	size_t w = 0;

	for (size_t i = 0; i < l->runs.n; i++) {
		const struct page_run *run = &l->runs.v[i];
		uint64_t s = run->vaddr, e = s + run->nr_pages * PAGE_SIZE;

		if (run->where != where)
			continue;
		while (w < want->n && want->v[w].end <= s)
			w++;
		for (size_t k = w; k < want->n && want->v[k].start < e; k++)
			ranges_add(ret, MAX(s, want->v[k].start), MIN(e, want->v[k].end));
	}
}

/* Which stored pages each level gives, nearest first. */
static int resolve(struct level *lv, size_t nr)
{
	struct ranges want = { 0 };

	for (size_t i = 0; i < lv[0].runs.n; i++) {
		const struct page_run *run = &lv[0].runs.v[i];
		uint64_t e = run->vaddr + run->nr_pages * PAGE_SIZE;

		/* Pages from the parent process come with its slot (pages-cow.c). */
		if (run->where == PAGE_WHERE__PAGES_HERE)
			ranges_add(&lv[0].need, run->vaddr, e);
		else if (run->where == PAGE_WHERE__PAGES_IN_PARENT)
			ranges_add(&want, run->vaddr, e);
	}
	for (size_t k = 1; k < nr && want.n; k++) {
		struct ranges next = { 0 };

		intersect(&want, &lv[k], PAGE_WHERE__PAGES_HERE, &lv[k].need);
		intersect(&want, &lv[k], PAGE_WHERE__PAGES_IN_PARENT, &next);
		ranges_release(&want);
		want = next;
	}
	/* Pages said to be in a parent that is not there, or not in it. */
	if (want.n) {
		ranges_release(&want);
		return -EBADMSG;
	}
	ranges_release(&want);
	return 0;
}

/* Load the page maps of @pid at every level of the chain, checked; *ret_nr
 * says how many to release. Logs why it fails. */
int levels_load(struct level *lv, const MmEntry *mm, const int *dirfds, size_t nr_levels, int pid,
		size_t *ret_nr)
{
	size_t loaded = 0;
	int r = 0;

	for (; loaded < nr_levels && r >= 0; loaded++) {
		lv[loaded].dirfd = dirfds[loaded];
		r = level_load(&lv[loaded], pid, loaded ? NULL : mm, loaded);
		/* A process new since a parent dump is not in it: fine if
		 * nothing is needed from there. */
		if (r == -ENOENT) {
			r = 0;
			break;
		}
	}
	*ret_nr = loaded;
	if (r >= 0 && resolve(lv, loaded) < 0)
		r = img_inconsistent(IMG_PAGEMAP, pid, "pages in a parent image set that has none");
	return r;
}

void levels_release(struct level *lv, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		level_release(&lv[i]);
	free(lv);
}
