/*
 * 65-dirty.c - memory that changes in known ways between dumps, for chains
 * of incremental dumps.
 *
 * Usage: 65-dirty WORKDIR [MIB=32]
 *
 * Fills MIB MiB with pages that each hold their number and a generation.
 * Each SIGUSR1 starts an epoch k (acknowledged "USR1 k" by the common loop
 * once done): it rewrites every page i with i % 10 == k % 10 (generation
 * k), zeroes the pages with i % 97 == k (they must come back as zeros),
 * drops one page with MADV_DONTNEED (it reads as zero), and at epoch 3
 * maps a new region filled the same way.
 *
 * Self-check: every page holds what its recorded generation says (the
 * record is in memory too, and comes back with it). Reports pages=N
 * changed=C (pages changed by the last epoch).
 */
#include "target.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#define GEN_ZERO 0xffffffffu /* the page holds only zeros */

struct region {
	unsigned char *p;
	size_t pages;
	uint32_t *gen;
};

static struct region main_region, late_region;
static int epochs_done;
static unsigned long changed;

static void page_fill(unsigned char *page, size_t i, uint32_t gen)
{
	uint64_t *w = (uint64_t *)page;

	for (size_t k = 0; k < 4096 / 8; k++)
		w[k] = ((uint64_t)i << 32 | gen) * 0x9e3779b97f4a7c15ull + k;
}

static bool page_ok(const unsigned char *page, size_t i, uint32_t gen)
{
	const uint64_t *w = (const uint64_t *)page;

	for (size_t k = 0; k < 4096 / 8; k++)
		if (w[k] != (gen == GEN_ZERO ? 0 : ((uint64_t)i << 32 | gen) * 0x9e3779b97f4a7c15ull + k))
			return false;
	return true;
}

static void region_make(struct region *r, size_t pages)
{
	r->pages = pages;
	r->p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r->gen = calloc(pages, sizeof(*r->gen));
	if (r->p == MAP_FAILED || !r->gen)
		t_fatal("mmap");
	for (size_t i = 0; i < pages; i++)
		page_fill(r->p + i * 4096, i, 1);
	for (size_t i = 0; i < pages; i++)
		r->gen[i] = 1;
}

static void epoch(struct region *r, int k)
{
	for (size_t i = 0; i < r->pages; i++) {
		if (i % 97 == (size_t)k) {
			memset(r->p + i * 4096, 0, 4096);
			r->gen[i] = GEN_ZERO;
			changed++;
		} else if (i % 10 == (size_t)(k % 10)) {
			page_fill(r->p + i * 4096, i, (uint32_t)k);
			r->gen[i] = (uint32_t)k;
			changed++;
		}
	}
	/* Gone from memory: the page reads as zero. */
	madvise(r->p + (size_t)(k * 13 % r->pages) * 4096, 4096, MADV_DONTNEED);
	r->gen[k * 13 % r->pages] = GEN_ZERO;
}

static void dirty_iterate(void)
{
	while (epochs_done < t_usr1_count) {
		int k = ++epochs_done + 1;

		changed = 0;
		epoch(&main_region, k);
		if (late_region.p)
			epoch(&late_region, k);
		if (k == 3)
			region_make(&late_region, 256);
	}
}

static void region_check(struct t_check *c, const struct region *r, const char *name)
{
	size_t bad = 0, first = 0;

	for (size_t i = 0; i < r->pages; i++)
		if (!page_ok(r->p + i * 4096, i, r->gen[i]) && !bad++)
			first = i;
	if (bad)
		t_check_fail(c, "%zu pages of %s hold the wrong data (first: page %zu, want generation %u)",
			     bad, name, first, r->gen[first]);
}

static void dirty_check(struct t_check *c)
{
	region_check(c, &main_region, "the main region");
	if (late_region.p)
		region_check(c, &late_region, "the late region");
	t_check_info(c, "pages=%zu changed=%lu epochs=%d", main_region.pages + late_region.pages,
		     changed, epochs_done);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = dirty_iterate, .check = dirty_check };

	t_init(argc, argv);
	region_make(&main_region, (size_t)(argc > 2 ? atoi(argv[2]) : 32) * 256);
	t_run(&ops);
	return 0;
}
