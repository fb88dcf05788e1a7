/*
 * 151-guard.c - guard pages (MADV_GUARD_INSTALL, Linux 6.13; file
 * mappings 6.15): pages of a mapping that fault on any access, like a
 * PROT_NONE page but without a VMA of their own (allocators put them
 * between thread stacks and around arenas).
 *
 * Usage: 151-guard WORKDIR
 *
 * Maps 16 pages of private anonymous memory, fills them and installs guard
 * pages at pages 3-4 and 10 (and advises it MADV_MERGEABLE, for KSM); maps
 * the 4 pages of a file in WORKDIR
 * privately, read-only, with a guard at page 1; then runs the common loop.
 *
 * Self-check (SIGUSR2): every guard page faults when read (SIGSEGV, caught
 * with sigsetjmp), every other page does not and holds what it held.
 * Reported: guards=N (guard pages found faulting).
 * Exits 3 at set-up ("FATAL") when the kernel has no guard pages.
 */
#include "target.h"

#include <setjmp.h>
#include <stdbool.h>
#include <sys/mman.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define ANON_PAGES 16
#define FILE_PAGES 4

static size_t page_size;
static unsigned char *anon, *filemap;
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t probing;

static bool anon_guard(size_t i)
{
	return i == 3 || i == 4 || i == 10;
}

static bool file_guard(size_t i)
{
	return i == 1;
}

static unsigned char anon_byte(size_t i, size_t k)
{
	return (unsigned char)(i * 31 + k * 7 + 1);
}

static unsigned char file_byte(size_t i, size_t k)
{
	return (unsigned char)(i * 13 + k * 5 + 2);
}

static void on_segv(int sig)
{
	(void)sig;
	if (probing)
		siglongjmp(fault_jmp, 1);
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
}

/* 1 if reading @p faults. */
static int faults(const volatile unsigned char *p)
{
	volatile unsigned char sink;

	if (sigsetjmp(fault_jmp, 1)) {
		probing = 0;
		return 1;
	}
	probing = 1;
	sink = *p;
	(void)sink;
	probing = 0;
	return 0;
}

static int check_pages(struct t_check *c, const char *what, unsigned char *base, size_t n,
		       bool (*guard)(size_t), unsigned char (*byte)(size_t, size_t))
{
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char *p = base + i * page_size;
		int f = faults(p);

		if (guard(i)) {
			if (!f)
				t_check_fail(c, "%s page %zu is not a guard page any more", what, i);
			found += f;
			continue;
		}
		if (f) {
			t_check_fail(c, "%s page %zu faults", what, i);
			continue;
		}
		for (size_t k = 0; k < page_size; k++)
			if (p[k] != byte(i, k)) {
				t_check_fail(c, "%s page %zu byte %zu is %u, want %u", what, i, k,
					     p[k], byte(i, k));
				break;
			}
	}
	return found;
}

static void guard_check(struct t_check *c)
{
	int found = check_pages(c, "anonymous", anon, ANON_PAGES, anon_guard, anon_byte);

	found += check_pages(c, "file", filemap, FILE_PAGES, file_guard, file_byte);
	t_check_info(c, "guards=%d", found);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = guard_check };
	struct sigaction sa = { .sa_handler = on_segv };
	unsigned char *buf;
	int fd;

	t_init(argc, argv);
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	sigaction(SIGSEGV, &sa, NULL);
	anon = mmap(NULL, ANON_PAGES * page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED)
		t_fatal("mmap");
	for (size_t i = 0; i < ANON_PAGES; i++)
		for (size_t k = 0; k < page_size; k++)
			anon[i * page_size + k] = anon_byte(i, k);
	buf = malloc(FILE_PAGES * page_size);
	if (!buf)
		t_fatal("malloc");
	for (size_t i = 0; i < FILE_PAGES; i++)
		for (size_t k = 0; k < page_size; k++)
			buf[i * page_size + k] = file_byte(i, k);
	fd = open("data", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, FILE_PAGES * page_size) != (ssize_t)(FILE_PAGES * page_size))
		t_fatal("write data");
	free(buf);
	filemap = mmap(NULL, FILE_PAGES * page_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (filemap == MAP_FAILED)
		t_fatal("mmap data");
	for (size_t i = 0; i < ANON_PAGES; i++)
		if (anon_guard(i) &&
		    madvise(anon + i * page_size, page_size, MADV_GUARD_INSTALL))
			t_fatal("MADV_GUARD_INSTALL");
	if (madvise(anon, ANON_PAGES * page_size, MADV_MERGEABLE))
		t_fatal("MADV_MERGEABLE");
	if (madvise(filemap + page_size, page_size, MADV_GUARD_INSTALL))
		t_fatal("MADV_GUARD_INSTALL on a file mapping");
	t_run(&ops);
	return 0;
}
