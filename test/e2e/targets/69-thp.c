/*
 * 69-thp.c - memory in transparent huge pages, both ways a process gets
 * them when THP is "madvise": region A is advised MADV_HUGEPAGE, region B
 * is not, and was collapsed with MADV_COLLAPSE (as khugepaged, or THP
 * "always", would leave it). 32 MiB each, 2 MiB aligned, filled with a
 * pattern.
 *
 * Usage: 69-thp WORKDIR
 *
 * Self-check: both regions hold their pattern; reports, from its own
 * /proc/self/smaps, thp_a=KB thp_b=KB (AnonHugePages of each) and
 * hg_a=0|1 hg_b=0|1 (whether each is advised MADV_HUGEPAGE).
 */
#include "target.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define REGION (32UL << 20)
#define HPAGE (2UL << 20)

static uint64_t *region_a, *region_b;

static uint64_t *aligned_region(void)
{
	char *p = mmap(NULL, REGION + HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		t_fatal("mmap");
	return (uint64_t *)(((uintptr_t)p + HPAGE - 1) & ~(HPAGE - 1));
}

static void fill(uint64_t *r, uint64_t salt)
{
	for (size_t i = 0; i < REGION / 8; i++)
		r[i] = (i * 0x9e3779b97f4a7c15ull) ^ salt;
}

static size_t bad_words(const uint64_t *r, uint64_t salt)
{
	size_t bad = 0;

	for (size_t i = 0; i < REGION / 8; i++)
		bad += r[i] != ((i * 0x9e3779b97f4a7c15ull) ^ salt);
	return bad;
}

/* AnonHugePages (kB) of the VMA holding @p, and whether it has "hg". */
static long smaps_of(const void *p, bool *hg)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	long kb = -1;

	*hg = false;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			in = s <= (uintptr_t)p && (uintptr_t)p < e;
			continue;
		}
		if (in && !strncmp(line, "AnonHugePages:", 14))
			kb = atol(line + 14);
		if (in && !strncmp(line, "VmFlags:", 8))
			*hg = strstr(line, " hg") != NULL;
	}
	if (f)
		fclose(f);
	return kb;
}

static void thp_check(struct t_check *c)
{
	bool hg_a, hg_b;
	long a = smaps_of(region_a, &hg_a), b = smaps_of(region_b, &hg_b);
	size_t bad = bad_words(region_a, 1) + bad_words(region_b, 2);

	if (bad)
		t_check_fail(c, "%zu words of the regions hold the wrong data", bad);
	t_check_info(c, "thp_a=%ld thp_b=%ld hg_a=%d hg_b=%d", a, b, hg_a, hg_b);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = thp_check };

	t_init(argc, argv);
	region_a = aligned_region();
	region_b = aligned_region();
	if (madvise(region_a, REGION, MADV_HUGEPAGE))
		t_fatal("MADV_HUGEPAGE");
	fill(region_a, 1);
	fill(region_b, 2);
	(void)madvise(region_b, REGION, MADV_COLLAPSE); /* best effort: the test checks */
	t_run(&ops);
	return 0;
}
