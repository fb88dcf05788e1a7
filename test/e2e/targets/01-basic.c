/*
 * 01-basic.c - the basic single-threaded target.
 *
 * Usage: 01-basic WORKDIR [HEAP_MIB=64]
 *
 * Besides the common loop and checks of target.h (seq file through a
 * non-append fd, SIGUSR1 count, getpid(), blocked mask), the self-check
 * (SIGUSR2) verifies:
 *  - heap: a HEAP_MIB buffer from malloc, every 8-byte word filled with a
 *    value derived from its page index and position, is intact (whole buffer);
 *  - private file mapping: MAP_PRIVATE of WORKDIR/map.dat (MAP_PAGES pages,
 *    each with its own pattern); the pages written in memory hold what was
 *    written, the pages only read (or never touched) still read the file;
 *  - TLS: a __thread counter incremented every iteration equals the plain
 *    global iteration counter, lives at the same address as at start, and
 *    never went backwards between two checks (reported as tls=N);
 *  - signal mask: exactly SIGWINCH and SIGPWR are blocked;
 *  - cwd is still WORKDIR and the umask still 027.
 */
#include "target.h"

#include <sys/mman.h>

#define MAP_PAGES 16

static size_t page_size;

/* ---- heap buffer -------------------------------------------------------- */

static uint64_t *heap;
static size_t heap_bytes;

static uint64_t heap_word(size_t page, size_t word)
{
	return (page + 1) * 0x9E3779B97F4A7C15ull ^ (word * 0x100000001B3ull);
}

static void heap_setup(size_t mib)
{
	size_t words_per_page = page_size / sizeof(uint64_t);

	heap_bytes = mib << 20;
	heap = malloc(heap_bytes);
	if (!heap)
		t_fatal("malloc %zu MiB", mib);
	for (size_t i = 0; i < heap_bytes / sizeof(uint64_t); i++)
		heap[i] = heap_word(i / words_per_page, i % words_per_page);
}

static void heap_check(struct t_check *c)
{
	size_t words_per_page = page_size / sizeof(uint64_t);
	size_t bad = 0, first = 0;

	for (size_t i = 0; i < heap_bytes / sizeof(uint64_t); i++)
		if (heap[i] != heap_word(i / words_per_page, i % words_per_page))
			if (bad++ == 0)
				first = i;
	if (bad)
		t_check_fail(c, "heap: %zu bad words, first in page %zu word %zu (0x%llx)", bad,
			     first / words_per_page, first % words_per_page,
			     (unsigned long long)heap[first]);
	t_check_info(c, "heap_mib=%zu", heap_bytes >> 20);
}

/* ---- private file mapping ------------------------------------------------ */

static uint64_t *fmap;
static const int written_pages[] = { 1, 5, 6, 12 }; /* written in memory */
#define READ_PAGES 8 /* pages 0..7 read before the dump */

static uint64_t file_word(size_t page, size_t word)
{
	return 0xF11E000000000000ull ^ ((uint64_t)page << 32) ^ word;
}

static uint64_t mem_word(size_t page, size_t word)
{
	return 0xD1D1000000000000ull ^ ((uint64_t)page << 32) ^ (word * 3);
}

static int page_is_written(size_t page)
{
	for (size_t i = 0; i < sizeof(written_pages) / sizeof(written_pages[0]); i++)
		if ((size_t)written_pages[i] == page)
			return 1;
	return 0;
}

static void fmap_setup(void)
{
	size_t words_per_page = page_size / sizeof(uint64_t);
	uint64_t *buf = malloc(page_size);
	volatile uint64_t sink = 0;
	int fd;

	fd = open("map.dat", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || !buf)
		t_fatal("create map.dat");
	for (size_t p = 0; p < MAP_PAGES; p++) {
		for (size_t w = 0; w < words_per_page; w++)
			buf[w] = file_word(p, w);
		t_write_all(fd, (const char *)buf, page_size);
	}
	free(buf);
	fmap = mmap(NULL, MAP_PAGES * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (fmap == MAP_FAILED)
		t_fatal("mmap map.dat");
	close(fd); /* the mapping alone keeps the file in use */
	for (size_t p = 0; p < READ_PAGES; p++)
		sink += fmap[p * words_per_page];
	for (size_t p = 0; p < MAP_PAGES; p++)
		if (page_is_written(p))
			for (size_t w = 0; w < words_per_page; w++)
				fmap[p * words_per_page + w] = mem_word(p, w);
	(void)sink;
}

static void fmap_check(struct t_check *c)
{
	size_t words_per_page = page_size / sizeof(uint64_t);

	for (size_t p = 0; p < MAP_PAGES; p++) {
		int written = page_is_written(p);

		for (size_t w = 0; w < words_per_page; w++) {
			uint64_t want = written ? mem_word(p, w) : file_word(p, w);
			uint64_t got = fmap[p * words_per_page + w];

			if (got != want) {
				t_check_fail(c, "map.dat %s page %zu word %zu: 0x%llx, want 0x%llx",
					     written ? "written" : "unwritten", p, w,
					     (unsigned long long)got, (unsigned long long)want);
				break;
			}
		}
	}
}

/* ---- TLS counter ------------------------------------------------------- */

static __thread unsigned long tls_iters;
static unsigned long iters;
static unsigned long *tls_addr_at_start;
static unsigned long tls_at_last_check;

static void tls_iterate(void)
{
	tls_iters++;
	iters++;
}

static void tls_check(struct t_check *c)
{
	if (&tls_iters != tls_addr_at_start)
		t_check_fail(c, "TLS counter moved from %p to %p", (void *)tls_addr_at_start,
			     (void *)&tls_iters);
	if (tls_iters != iters)
		t_check_fail(c, "TLS counter %lu != iteration counter %lu", tls_iters, iters);
	if (tls_iters < tls_at_last_check)
		t_check_fail(c, "TLS counter went back from %lu to %lu", tls_at_last_check,
			     tls_iters);
	tls_at_last_check = tls_iters;
	t_check_info(c, "tls=%lu", tls_iters);
}

/* ---- blocked signals, cwd, umask ---------------------------------------- */

static void mask_setup(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGPWR);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		t_fatal("sigprocmask");
}

static void mask_check(struct t_check *c)
{
	sigset_t cur;

	if (sigprocmask(SIG_BLOCK, NULL, &cur)) {
		t_check_fail(c, "sigprocmask: %s", strerror(errno));
		return;
	}
	for (int sig = 1; sig < SIGRTMAX + 1; sig++) {
		int want = sig == SIGWINCH || sig == SIGPWR;

		if (sigismember(&cur, sig) != want)
			t_check_fail(c, "signal %d (%s) is %sblocked", sig, strsignal(sig),
				     want ? "not " : "");
	}
}

static void cwd_umask_check(struct t_check *c)
{
	char cwd[PATH_MAX];
	mode_t old = umask(027);

	umask(old);
	if (old != 027)
		t_check_fail(c, "umask is %03o, want 027", (unsigned)old);
	if (!getcwd(cwd, sizeof(cwd)))
		t_check_fail(c, "getcwd: %s", strerror(errno));
	else if (strcmp(cwd, t_workdir))
		t_check_fail(c, "cwd is %s, want %s", cwd, t_workdir);
}

/* ---- main --------------------------------------------------------------- */

static void basic_check(struct t_check *c)
{
	heap_check(c);
	fmap_check(c);
	tls_check(c);
	mask_check(c);
	cwd_umask_check(c);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = tls_iterate, .check = basic_check };
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 64;

	t_init(argc, argv);
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	umask(027);
	tls_addr_at_start = &tls_iters;
	heap_setup(mib ? mib : 1);
	fmap_setup();
	mask_setup();
	t_run(&ops);
	return 0;
}
