/*
 * 310-lazy.c - patterned memory for restore --lazy.
 *
 * Usage: 310-lazy WORKDIR [MIB=64] [THREADS=4]
 *
 * Fills MIB MiB (one private anonymous mapping) with pages that each hold
 * their number. SIGUSR1 (once, after a lazy restore, while pages are still
 * missing) changes the mapping where the daemon has not been yet: drops 64
 * pages at 1/8 with MADV_DONTNEED (they must read as zeros), unmaps 64 at
 * 1/4 and maps fresh memory there (zeros, never the old pages), moves
 * 128 pages at 1/2 elsewhere with mremap (their contents follow them), and
 * makes 64 pages at 3/4 read-only (the mapping splits, without an event to
 * the page daemon; their contents stay).
 *
 * Self-check (SIGUSR2): first the pages resident in memory, by mincore
 * (touching none), reported as resident=N of pages=N; then a child is
 * forked that checks every page itself (its exit status says), while
 * THREADS threads of the process check every page at once, interleaved.
 */
#include "target.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PAGE 4096UL

static unsigned char *region;
static size_t pages, nthreads = 4;
static unsigned char *moved; /* where the moved pages went, or NULL */
static size_t drop_at, unmap_at, move_at, ro_at;
static int changed;

static void page_fill(unsigned char *page, size_t i)
{
	uint64_t *w = (uint64_t *)page;

	for (size_t k = 0; k < PAGE / 8; k++)
		w[k] = ((uint64_t)i << 20 | k) * 0x9e3779b97f4a7c15ull;
}

static bool page_ok(const unsigned char *page, size_t i, bool zero)
{
	const uint64_t *w = (const uint64_t *)page;

	for (size_t k = 0; k < PAGE / 8; k++)
		if (w[k] != (zero ? 0 : ((uint64_t)i << 20 | k) * 0x9e3779b97f4a7c15ull))
			return false;
	return true;
}

/* Page @i: where it is now and what it must hold. */
static const unsigned char *page_at(size_t i, bool *zero)
{
	*zero = false;
	if (!changed)
		return region + i * PAGE;
	if ((i >= drop_at && i < drop_at + 64) || (i >= unmap_at && i < unmap_at + 64))
		*zero = true;
	if (i >= move_at && i < move_at + 128)
		return moved + (i - move_at) * PAGE;
	return region + i * PAGE;
}

static void change(void)
{
	void *p;

	if (changed)
		return;
	drop_at = pages / 8;
	unmap_at = pages / 4;
	move_at = pages / 2;
	ro_at = pages / 4 * 3 + 3;
	if (madvise(region + drop_at * PAGE, 64 * PAGE, MADV_DONTNEED) ||
	    munmap(region + unmap_at * PAGE, 64 * PAGE) ||
	    mprotect(region + ro_at * PAGE, 64 * PAGE, PROT_READ))
		t_fatal("madvise/munmap/mprotect");
	p = mmap(region + unmap_at * PAGE, 64 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		t_fatal("mmap");
	/* Somewhere free, then moved there. */
	p = mmap(NULL, 128 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		t_fatal("mmap");
	moved = mremap(region + move_at * PAGE, 128 * PAGE, 128 * PAGE,
		       MREMAP_MAYMOVE | MREMAP_FIXED, p);
	if (moved == MAP_FAILED)
		t_fatal("mremap");
	changed = 1;
}

/* The number of the first bad page among those of @slice of @n, + 1. */
static size_t check_pages(size_t slice, size_t n)
{
	for (size_t i = slice; i < pages; i += n) {
		bool zero;
		const unsigned char *p = page_at(i, &zero);

		if (!page_ok(p, i, zero))
			return i + 1;
	}
	return 0;
}

static void *thread_check(void *arg)
{
	return (void *)check_pages((size_t)arg, nthreads);
}

static size_t resident(void)
{
	unsigned char *vec = malloc(pages);
	size_t n = 0;

	if (!vec || mincore(region, pages * PAGE, vec))
		return (size_t)-1;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

static void lazy_check(struct t_check *c)
{
	size_t res = changed ? 0 : resident(), bad = 0;
	pthread_t th[64];
	int status = 0;
	pid_t child;

	child = fork();
	if (child == 0)
		_exit(check_pages(0, 1) ? 1 : 0);
	for (size_t t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, thread_check, (void *)t))
			t_check_fail(c, "pthread_create");
	for (size_t t = 0; t < nthreads; t++) {
		void *ret;

		pthread_join(th[t], &ret);
		if ((size_t)ret && !bad)
			bad = (size_t)ret;
	}
	if (bad)
		t_check_fail(c, "page %zu holds the wrong data", bad - 1);
	if (child < 0 || waitpid(child, &status, 0) != child)
		t_check_fail(c, "fork/wait");
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		t_check_fail(c, "the child forked now sees wrong pages (status %#x)", status);
	t_check_info(c, "pages=%zu resident=%zu changed=%d", pages, res, changed);
}

static void lazy_iterate(void)
{
	if (t_usr1_count && !changed)
		change();
}

int main(int argc, char **argv)
{
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 64;

	t_init(argc, argv);
	if (argc > 3)
		nthreads = strtoul(argv[3], NULL, 10);
	if (!mib || nthreads < 1 || nthreads > 64)
		t_fatal("bad arguments");
	pages = mib << 20 >> 12;
	region = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		      0);
	if (region == MAP_FAILED)
		t_fatal("mmap");
	/* Small pages: a huge page would be one fault for 512 pages. */
	madvise(region, pages * PAGE, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < pages; i++)
		page_fill(region + i * PAGE, i);
	static const struct t_ops ops = { .iterate = lazy_iterate, .check = lazy_check };

	t_run(&ops);
	return 0;
}
