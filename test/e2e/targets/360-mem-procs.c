/*
 * 360-mem-procs.c - a tree of processes that each hold memory of their own.
 *
 * Usage: 360-mem-procs WORKDIR [PROCS=9] [MIB=8]
 *
 * PROCS processes including the root, as a binary tree (process k forks
 * 2k+1 and 2k+2, those below PROCS), each with MIB MiB of private
 * anonymous memory written with a pattern of its own (its index and the
 * word's place), named "m<k>", waiting on the board of target.h.
 * Self-check (SIGUSR2): every process reads its whole memory back and
 * answers within 10 s with its PID, PPID, PGID, SID, name, and whether
 * every word holds what it wrote. Reports procs=N mib=M.
 */
#include "target.h"

#include <sys/mman.h>
#include <sys/prctl.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static struct t_board *board;
static int nr;
static size_t mem_len;
static uint64_t *mem;

static uint64_t word_of(int k, size_t i)
{
	return (i * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)k << 48) ^ 0x360;
}

static const char *name_of(int i)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "m%d", i);
	return buf;
}

static void fill(int k)
{
	mem = mmap(NULL, mem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		t_fatal("mmap %zu bytes", mem_len);
	/* In bulk: page by page is slow on some VMs. */
	(void)madvise(mem, mem_len, MADV_POPULATE_WRITE);
	for (size_t i = 0; i < mem_len / 8; i++)
		mem[i] = word_of(k, i);
}

static void member_check(struct t_check *c, int k)
{
	char comm[17] = "", want[16];

	snprintf(want, sizeof(want), "m%d", k);
	prctl(PR_GET_NAME, comm);
	if (strcmp(comm, want))
		t_check_fail(c, "name is '%s', want '%s'", comm, want);
	for (size_t i = 0; i < mem_len / 8; i++)
		if (mem[i] != word_of(k, i)) {
			t_check_fail(c, "m%d: word %zu of its memory is %#llx, want %#llx", k, i,
				     (unsigned long long)mem[i], (unsigned long long)word_of(k, i));
			return;
		}
}

static void fork_children(int k);

static __attribute__((noreturn)) void member(int k)
{
	if (prctl(PR_SET_NAME, name_of(k)))
		_exit(2);
	/* Children first: no page of ours is shared with them (a dump would
	 * unshare it, with a fault). */
	fork_children(k);
	fill(k);
	t_slot_record(board, k);
	t_board_serve(board, k, member_check);
}

static void fork_children(int k)
{
	for (int j = 2 * k + 1; j <= 2 * k + 2 && j < nr; j++) {
		pid_t pid = fork();

		if (pid < 0)
			t_fatal("fork m%d", j);
		if (pid == 0)
			member(j);
	}
}

static void root_check(struct t_check *c)
{
	uint32_t gen = t_board_ask(board);

	member_check(c, 0);
	t_board_wait(board, 1, gen, 10000000000LL);
	t_board_report(board, 1, gen, c, name_of);
	t_check_info(c, "procs=%d mib=%zu", nr, mem_len >> 20);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = root_check };
	struct t_check c;

	t_init(argc, argv);
	nr = argc > 2 ? atoi(argv[2]) : 9;
	if (nr < 1)
		nr = 1;
	mem_len = (size_t)(argc > 3 ? atoi(argv[3]) : 8) << 20;
	if (!mem_len)
		mem_len = 1 << 20;
	board = t_board_new(nr);
	if (prctl(PR_SET_NAME, name_of(0)))
		t_fatal("PR_SET_NAME");
	t_slot_record(board, 0);
	fork_children(0);
	fill(0);
	memset(&c, 0, sizeof(c));
	root_check(&c);
	if (c.failed) {
		errno = 0;
		t_fatal("set-up: %s", c.fail);
	}
	t_run(&ops);
	return 0;
}
