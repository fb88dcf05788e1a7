/*
 * 67-busy.c - memory written all the time, by a thread that never waits:
 * pre-dumps copy its pages while it runs.
 *
 * Usage: 67-busy WORKDIR [MIB=64]
 *
 * A writer thread picks pages at random, forever, and rewrites each with
 * its number and a new version, then records the version (the record is in
 * memory too, and comes back with it): a few pages every 100 us, so that
 * some are written while a pre-dump copies and most are not rewritten
 * before the next (a page written then and lost would stay wrong). A self-check first makes the writer
 * stop between two pages, then checks every page against its record.
 * Reports pages=N writes=W (pages written since the start: it must grow
 * after a restore).
 */
#include "target.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

static unsigned char *mem;
static uint32_t *version;
static size_t pages;
static atomic_ulong writes;
static atomic_int pause_asked, paused;

static uint64_t word(size_t i, uint32_t v, size_t k)
{
	return ((uint64_t)i << 32 | v) * 0x9e3779b97f4a7c15ull + k;
}

static void page_fill(size_t i, uint32_t v)
{
	uint64_t *w = (uint64_t *)(mem + i * 4096);

	for (size_t k = 0; k < 4096 / 8; k++)
		w[k] = word(i, v, k);
}

static bool page_ok(size_t i)
{
	const uint64_t *w = (const uint64_t *)(mem + i * 4096);

	for (size_t k = 0; k < 4096 / 8; k++)
		if (w[k] != word(i, version[i], k))
			return false;
	return true;
}

static void *writer(void *arg)
{
	uint64_t x = (uint64_t)(uintptr_t)arg;

	for (;;) {
		size_t i;

		if (atomic_load(&pause_asked)) {
			atomic_store(&paused, 1);
			while (atomic_load(&pause_asked))
				sched_yield();
			atomic_store(&paused, 0);
		}
		for (int n = 0; n < 4; n++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			i = (size_t)(x >> 33) % pages;
			page_fill(i, version[i] + 1);
			version[i]++;
			atomic_fetch_add(&writes, 1);
		}
		nanosleep(&(struct timespec){ 0, 100 * 1000 }, NULL);
	}
	return NULL;
}

static void busy_check(struct t_check *c)
{
	size_t bad = 0, first = 0;

	atomic_store(&pause_asked, 1);
	while (!atomic_load(&paused))
		sched_yield();
	for (size_t i = 0; i < pages; i++)
		if (!page_ok(i) && !bad++)
			first = i;
	if (bad)
		t_check_fail(c, "%zu pages hold the wrong data (first: page %zu, want version %u)",
			     bad, first, version[first]);
	t_check_info(c, "pages=%zu writes=%lu", pages, atomic_load(&writes));
	atomic_store(&pause_asked, 0);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = busy_check };
	pthread_t th;

	t_init(argc, argv);
	pages = (size_t)(argc > 2 ? atoi(argv[2]) : 64) * 256;
	mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	version = calloc(pages, sizeof(*version));
	if (mem == MAP_FAILED || !version)
		t_fatal("mmap");
	for (size_t i = 0; i < pages; i++)
		page_fill(i, 0);
	if (pthread_create(&th, NULL, writer, (void *)(uintptr_t)t_pid))
		t_fatal("pthread_create");
	t_run(&ops);
	return 0;
}
