/*
 * 36-shared-mem.c - memory reached more than one way, and adjacent
 * private mappings, each byte of it checked.
 *
 * Usage: 36-shared-mem WORKDIR
 *
 * Before READY it sets up:
 *  - M: a memfd of 64 KiB mapped MAP_SHARED twice (m1, m2) and held open
 *    at fd 20: pages 0-3 written through m1, 4-7 through m2, 8-11 with
 *    pwrite on the fd, 12-15 never written (zero); pages 4-9 also mapped
 *    read-only at an offset (m3), and the whole privately (m4), its page 5
 *    written there (a private copy) and the others following M;
 *  - S: shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS, 16 pages),
 *    written, and reached through a second fd: /proc/self/map_files of
 *    it opened at fd 21, its pages 8-15 written with pwrite;
 *  - P: a memfd of 16 pages mapped MAP_PRIVATE over its written contents,
 *    pages 0-3 then written in memory (copied), the rest read from the
 *    memfd, whose pages 12-15 are then written through the fd (a private
 *    mapping sees a page it never copied change);
 *  - A: 24 pages of private anonymous mappings made adjacent: one mapping
 *    of 24 pages, then pages 8-15 replaced by a new MAP_FIXED private
 *    mapping, pages 16-23 made read-only after writing, pages 4-5 given
 *    MADV_DONTNEED after writing (zero again), pages 20-21 then made
 *    PROT_NONE (unreadable, their data kept), every other page written;
 *  - B: a file of 16 pages (WORKDIR/b.dat) mapped privately in pieces side
 *    by side: its pages 0-7 then 8-15 (contiguous offsets: one VMA), then
 *    its pages 4-7 then 0-3 (two VMAs), pages 2, 10, 16 and 22 written;
 *  - C: private anonymous memory of 8 pages below B's first page, written;
 *  - R: 8 pages of private anonymous memory, written, grown by mremap to
 *    16 (it may move), the new pages written too, then pages 2-3 made
 *    read-only and writable again (split and merged).
 * Each page has its own pattern (tag, page, word). The main loop writes
 * the next generation of M page 0 through m2 and of S page 0 each
 * iteration, reading it back through m1 and the fd.
 *
 * Self-check (SIGUSR2): every byte of M through both mappings and the fd,
 * of S through the mapping and the fd, of P, of A, as expected.
 * Reported: gen=N.
 */
#include "target.h"

#include <sys/mman.h>

#define PAGES 16
#define FD_M 20
#define FD_S 21

static size_t ps;
static uint8_t *m1, *m2, *m3, *m4, *s_map, *p_map, *a_map, *b_map, *c_map, *r_map;
static uint64_t gen;

static uint64_t word(char tag, size_t page, size_t i, uint64_t g)
{
	return ((uint64_t)tag << 56) ^ ((uint64_t)page << 40) ^ (i * 0x9E3779B1ull) ^ (g << 20);
}

static void fill(uint8_t *p, char tag, size_t page, uint64_t g)
{
	uint64_t *w = (uint64_t *)p;

	for (size_t i = 0; i < ps / 8; i++)
		w[i] = word(tag, page, i, g);
}

/* Bad words of @p against the pattern (or zero if @tag is 0). */
static size_t bad_words(const uint8_t *p, char tag, size_t page, uint64_t g)
{
	const uint64_t *w = (const uint64_t *)p;
	size_t bad = 0;

	for (size_t i = 0; i < ps / 8; i++)
		bad += w[i] != (tag ? word(tag, page, i, g) : 0);
	return bad;
}

static void fd_fill(int fd, char tag, size_t page)
{
	uint8_t *buf = malloc(ps);

	fill(buf, tag, page, 0);
	if (pwrite(fd, buf, ps, (off_t)(page * ps)) != (ssize_t)ps)
		t_fatal("pwrite: %s", strerror(errno));
	free(buf);
}

static size_t fd_bad(int fd, char tag, size_t page, uint64_t g)
{
	uint8_t *buf = malloc(ps);
	size_t bad = ps;

	if (pread(fd, buf, ps, (off_t)(page * ps)) == (ssize_t)ps)
		bad = bad_words(buf, tag, page, g);
	free(buf);
	return bad;
}

static void *map(void *at, size_t len, int prot, int flags, int fd)
{
	void *p = mmap(at, len, prot, flags, fd, 0);

	if (p == MAP_FAILED)
		t_fatal("mmap: %s", strerror(errno));
	return p;
}

static void setup(void)
{
	int fd;

	ps = (size_t)sysconf(_SC_PAGESIZE);
	/* M */
	fd = memfd_create("t36-m", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, PAGES * ps))
		t_fatal("memfd: %s", strerror(errno));
	t_fd_at(fd, FD_M);
	m1 = map(NULL, PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED, FD_M);
	m2 = map(NULL, PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED, FD_M);
	for (size_t pg = 0; pg < 4; pg++)
		fill(m1 + pg * ps, 'M', pg, 0);
	for (size_t pg = 4; pg < 8; pg++)
		fill(m2 + pg * ps, 'M', pg, 0);
	for (size_t pg = 8; pg < 12; pg++)
		fd_fill(FD_M, 'M', pg);
	m3 = mmap(NULL, 6 * ps, PROT_READ, MAP_SHARED, FD_M, (off_t)(4 * ps));
	m4 = mmap(NULL, PAGES * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, FD_M, 0);
	if (m3 == MAP_FAILED || m4 == MAP_FAILED)
		t_fatal("mmap at an offset: %s", strerror(errno));
	fill(m4 + 5 * ps, 'm', 5, 0);
	/* S */
	s_map = map(NULL, PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	for (size_t pg = 0; pg < 8; pg++)
		fill(s_map + pg * ps, 'S', pg, 0);
	{
		char path[128];

		snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
			 (unsigned long)s_map, (unsigned long)(s_map + PAGES * ps));
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			t_fatal("open %s: %s", path, strerror(errno));
		t_fd_at(fd, FD_S);
	}
	for (size_t pg = 8; pg < 16; pg++)
		fd_fill(FD_S, 'S', pg);
	/* P */
	fd = memfd_create("t36-p", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, PAGES * ps))
		t_fatal("memfd: %s", strerror(errno));
	for (size_t pg = 0; pg < PAGES; pg++)
		fd_fill(fd, 'F', pg);
	p_map = map(NULL, PAGES * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
	for (size_t pg = 0; pg < 4; pg++)
		fill(p_map + pg * ps, 'P', pg, 0);
	for (size_t pg = 4; pg < 12; pg++)
		if (bad_words(p_map + pg * ps, 'F', pg, 0))
			t_fatal("P page %zu does not read the memfd", pg);
	for (size_t pg = 12; pg < PAGES; pg++)
		fd_fill(fd, 'G', pg);
	close(fd);
	/* A */
	a_map = map(NULL, 24 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	map(a_map + 8 * ps, 8 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
	    -1);
	for (size_t pg = 0; pg < 24; pg++)
		fill(a_map + pg * ps, 'A', pg, 0);
	if (madvise(a_map + 4 * ps, 2 * ps, MADV_DONTNEED) ||
	    mprotect(a_map + 16 * ps, 8 * ps, PROT_READ) ||
	    mprotect(a_map + 20 * ps, 2 * ps, PROT_NONE))
		t_fatal("madvise/mprotect: %s", strerror(errno));
}

static void check_pages(struct t_check *c, const char *what, const uint8_t *p, char tag,
			size_t first, size_t n, uint64_t g0);

/* B, C and R (see above). */
static void setup_b(void)
{
	int fd = open("b.dat", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	uint8_t *at;

	if (fd < 0)
		t_fatal("open b.dat: %s", strerror(errno));
	for (size_t pg = 0; pg < PAGES; pg++)
		fd_fill(fd, 'B', pg);
	/* Room for C (8 pages) then B (24 pages), side by side. */
	at = map(NULL, 32 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	c_map = map(at, 8 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1);
	b_map = at + 8 * ps;
	if (mmap(b_map, 8 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) ==
		    MAP_FAILED ||
	    mmap(b_map + 8 * ps, 8 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
		 (off_t)(8 * ps)) == MAP_FAILED ||
	    mmap(b_map + 16 * ps, 4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
		 (off_t)(4 * ps)) == MAP_FAILED ||
	    mmap(b_map + 20 * ps, 4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) ==
		    MAP_FAILED)
		t_fatal("mmap b.dat: %s", strerror(errno));
	close(fd);
	for (size_t pg = 0; pg < 8; pg++)
		fill(c_map + pg * ps, 'C', pg, 0);
	fill(b_map + 2 * ps, 'b', 2, 0);
	fill(b_map + 10 * ps, 'b', 10, 0);
	fill(b_map + 16 * ps, 'b', 16, 0);
	fill(b_map + 22 * ps, 'b', 22, 0);
	/* R */
	r_map = map(NULL, 8 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	for (size_t pg = 0; pg < 8; pg++)
		fill(r_map + pg * ps, 'R', pg, 0);
	r_map = mremap(r_map, 8 * ps, 16 * ps, MREMAP_MAYMOVE);
	if (r_map == MAP_FAILED)
		t_fatal("mremap: %s", strerror(errno));
	for (size_t pg = 8; pg < 16; pg++)
		fill(r_map + pg * ps, 'R', pg, 0);
	if (mprotect(r_map + 2 * ps, 2 * ps, PROT_READ) ||
	    mprotect(r_map + 2 * ps, 2 * ps, PROT_READ | PROT_WRITE))
		t_fatal("mprotect: %s", strerror(errno));
}

/* Page @pg of B: written ('b'), or the file's page it maps ('B'). */
static void check_b(struct t_check *c)
{
	static const int file_page[24] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
					   12, 13, 14, 15, 4, 5, 6, 7, 0, 1, 2, 3 };

	for (size_t pg = 0; pg < 24; pg++) {
		int written = pg == 2 || pg == 10 || pg == 16 || pg == 22;
		size_t bad = written ? bad_words(b_map + pg * ps, 'b', pg, 0)
				     : bad_words(b_map + pg * ps, 'B', (size_t)file_page[pg], 0);

		if (bad)
			t_check_fail(c, "B page %zu: %zu bad words", pg, bad);
	}
	check_pages(c, "C", c_map, 'C', 0, 8, 0);
	check_pages(c, "R", r_map, 'R', 0, 16, 0);
}

static void iterate(void)
{
	gen++;
	fill(m2, 'M', 0, gen);
	fill(s_map, 'S', 0, gen);
	if (bad_words(m1, 'M', 0, gen))
		t_fatal("M page 0 generation %llu not seen through the other mapping",
			(unsigned long long)gen);
}

/* Pages @first.. of @p; page 0, if in, at generation @g0. */
static void check_pages(struct t_check *c, const char *what, const uint8_t *p, char tag,
			size_t first, size_t n, uint64_t g0)
{
	for (size_t pg = first; pg < first + n; pg++) {
		size_t bad = bad_words(p + pg * ps, tag, pg, pg ? 0 : g0);

		if (bad)
			t_check_fail(c, "%s page %zu: %zu bad words", what, pg, bad);
	}
}

static void check(struct t_check *c)
{
	check_pages(c, "M through m1", m1, 'M', 0, 12, gen);
	check_pages(c, "M through m2", m2, 'M', 0, 12, gen);
	check_pages(c, "M through m1", m1, 0, 12, 4, 0);
	for (size_t pg = 0; pg < PAGES; pg++) {
		if (fd_bad(FD_M, pg < 12 ? 'M' : 0, pg, pg ? 0 : gen))
			t_check_fail(c, "M page %zu through the fd", pg);
		if (fd_bad(FD_S, 'S', pg, pg ? 0 : gen))
			t_check_fail(c, "S page %zu through the fd", pg);
	}
	check_pages(c, "S", s_map, 'S', 0, PAGES, gen);
	for (size_t pg = 0; pg < PAGES; pg++) {
		char tag = pg < 4 ? 'P' : pg < 12 ? 'F' : 'G';

		if (bad_words(p_map + pg * ps, tag, pg, 0))
			t_check_fail(c, "P page %zu: not '%c'", pg, tag);
	}
	check_pages(c, "A", a_map, 'A', 0, 4, 0);
	check_pages(c, "A", a_map, 0, 4, 2, 0);
	if (mprotect(a_map + 20 * ps, 2 * ps, PROT_READ))
		t_check_fail(c, "mprotect: %s", strerror(errno));
	check_pages(c, "A", a_map, 'A', 6, 18, 0);
	if (mprotect(a_map + 20 * ps, 2 * ps, PROT_NONE))
		t_check_fail(c, "mprotect: %s", strerror(errno));
	/* The private mapping of M sees every write to M but where it wrote. */
	check_pages(c, "M through its private mapping", m4, 'M', 0, 5, gen);
	check_pages(c, "M's private copy", m4, 'm', 5, 1, 0);
	check_pages(c, "M through its private mapping", m4, 'M', 6, 6, 0);
	check_pages(c, "M through its private mapping", m4, 0, 12, 4, 0);
	for (size_t pg = 0; pg < 6; pg++)
		if (bad_words(m3 + pg * ps, 'M', pg + 4, 0))
			t_check_fail(c, "M page %zu through its mapping at an offset", pg + 4);
	check_b(c);
	t_check_info(c, "gen=%llu", (unsigned long long)gen);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = iterate, .check = check };

	t_init(argc, argv);
	setup();
	setup_b();
	t_run(&ops);
}
