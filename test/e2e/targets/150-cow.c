/*
 * 150-cow.c - a pre-fork server's memory: a large private anonymous
 * mapping filled by the root, then shared copy-on-write with its workers.
 *
 * Usage: 150-cow WORKDIR [MIB]
 *
 * The root maps MIB MiB (default 64) of private anonymous memory, fills
 * every 64-bit word with a value of its page and place, maps a second
 * region of 1 MiB it leaves untouched, then forks four workers; worker 1
 * forks a grandchild after its own writes. After the forks each process
 * writes its own 16 pages of the large region (worker 1's are also the
 * grandchild's, inherited), and the root fills the second region: the
 * workers must keep seeing zeros there, and the original values where the
 * root or a sibling wrote. Everything else stays shared with the root.
 *
 * Prints "TREE root=N w1=N w2=N w3=N w4=N gc=N" before READY.
 *
 * Self-check (SIGUSR2): the root asks the others through the board; each
 * process checks every word of both regions against what it must hold,
 * and its ids. Reported: pages=N (pages of the large region).
 */
#include "target.h"

#include <stdbool.h>
#include <sys/prctl.h>

#define N 6 /* root, four workers, the grandchild */
#define OWN_PAGES 16
#define OWN_FIRST 1000 /* process i writes pages OWN_FIRST + 16 i ... */
#define SMALL_BYTES (1UL << 20)

static const char *const names[N] = { "cow-root", "cow-w1", "cow-w2",
				       "cow-w3",   "cow-w4", "cow-gc" };
static struct t_board *board;
static uint64_t *big, *small;
static size_t big_pages, page_words;
static int me;

static const char *name_of(int i)
{
	return names[i];
}

static uint64_t base_word(size_t page, size_t w)
{
	uint64_t x = (uint64_t)page * 0x9E3779B97F4A7C15ULL + w * 0xBF58476D1CE4E5B9ULL + 1;

	x ^= x >> 31;
	return x | 1; /* never zero: every page is stored */
}

static bool own_page(int who, size_t page)
{
	return page >= OWN_FIRST + (size_t)who * OWN_PAGES &&
	       page < OWN_FIRST + (size_t)(who + 1) * OWN_PAGES;
}

static uint64_t own_word(int who, size_t page, size_t w)
{
	return base_word(page, w) ^ ((uint64_t)(who + 1) << 56);
}

/* What process @who holds in the large region. */
static uint64_t want_big(int who, size_t page, size_t w)
{
	if (own_page(who, page))
		return own_word(who, page, w);
	/* The grandchild was forked by worker 1 after its writes. */
	if (who == 5 && own_page(1, page))
		return own_word(1, page, w);
	return base_word(page, w);
}

static uint64_t want_small(int who, size_t i)
{
	return who == 0 ? (uint64_t)i * 3 + 7 : 0;
}

static void write_own(void)
{
	for (size_t p = 0; p < big_pages; p++)
		if (own_page(me, p))
			for (size_t w = 0; w < page_words; w++)
				big[p * page_words + w] = own_word(me, p, w);
}

static void mem_check(struct t_check *c, int who)
{
	size_t bad = 0, first = 0;

	for (size_t p = 0; p < big_pages; p++)
		for (size_t w = 0; w < page_words; w++)
			if (big[p * page_words + w] != want_big(who, p, w) && !bad++)
				first = p;
	if (bad)
		t_check_fail(c, "%zu words of the large region are wrong, first in page %zu", bad,
			     first);
	bad = 0;
	for (size_t i = 0; i < SMALL_BYTES / 8; i++)
		if (small[i] != want_small(who, i) && !bad++)
			first = i;
	if (bad)
		t_check_fail(c, "%zu words of the small region are wrong, first %zu", bad, first);
}

static void slot_check(struct t_check *c, int i)
{
	mem_check(c, i);
}

static __attribute__((noreturn)) void child_loop(void)
{
	for (;;) {
		uint32_t gen = atomic_load(&board->gen);

		if (gen != atomic_load(&board->slot[me].ack))
			t_slot_answer(board, me, slot_check);
		t_futex_wait(&board->gen, gen, 1000000000LL);
		if (getppid() != board->slot[me].ppid0 && getppid() == 1)
			_exit(0); /* the tree is going away */
	}
}

static pid_t spawn(int i);

static __attribute__((noreturn)) void child_main(int i)
{
	me = i;
	if (prctl(PR_SET_NAME, names[i]) || prctl(PR_SET_PDEATHSIG, SIGKILL))
		_exit(2);
	write_own();
	if (i == 1)
		spawn(5);
	t_slot_record(board, me);
	child_loop();
}

static pid_t spawn(int i)
{
	pid_t pid = fork();

	if (pid < 0)
		t_fatal("fork");
	if (pid == 0)
		child_main(i);
	return pid;
}

static void root_check(struct t_check *c)
{
	uint32_t gen = t_board_ask(board);

	t_board_wait(board, 1, gen, 10000000000LL);
	t_board_report(board, 1, gen, c, name_of);
	mem_check(c, 0);
	t_check_info(c, "pages=%zu", big_pages);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = root_check };
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 64;
	size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct t_check c;
	uint32_t gen;

	t_init(argc, argv);
	page_words = page_size / 8;
	big_pages = (mib << 20) / page_size;
	if (big_pages < OWN_FIRST + N * OWN_PAGES)
		t_fatal("%zu MiB is too small", mib);
	big = mmap(NULL, big_pages * page_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	small = mmap(NULL, SMALL_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED || small == MAP_FAILED)
		t_fatal("mmap");
	for (size_t p = 0; p < big_pages; p++)
		for (size_t w = 0; w < page_words; w++)
			big[p * page_words + w] = base_word(p, w);
	board = t_board_new(N);
	me = 0;
	t_slot_record(board, 0);
	for (int i = 1; i <= 4; i++)
		spawn(i);
	write_own();
	for (size_t i = 0; i < SMALL_BYTES / 8; i++)
		small[i] = want_small(0, i);

	gen = t_board_ask(board);
	t_board_wait(board, 1, gen, 20000000000LL);
	memset(&c, 0, sizeof(c));
	t_board_report(board, 1, gen, &c, name_of);
	if (c.failed) {
		errno = 0;
		t_fatal("set-up: %s", c.fail);
	}
	t_log("TREE root=%d w1=%d w2=%d w3=%d w4=%d gc=%d", (int)getpid(), board->slot[1].pid0,
	      board->slot[2].pid0, board->slot[3].pid0, board->slot[4].pid0, board->slot[5].pid0);
	t_run(&ops);
	return 0;
}
