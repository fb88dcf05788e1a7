/*
 * 58-many-procs.c - a tree of many processes (scale).
 *
 * Usage: 58-many-procs WORKDIR [PROCS=200]
 *
 * PROCS processes including the root, as a binary tree: process k (the
 * root is 0) forks processes 2k+1 and 2k+2 (those below PROCS), names
 * itself "p<k>" and waits on the board of target.h (FUTEX_WAIT on shared
 * memory).
 * Self-check (SIGUSR2): every other process answers within 10 s, with the
 * PID, PPID, PGID, SID and name it had at start. Reports procs=N.
 */
#include "target.h"

#include <sys/prctl.h>

static struct t_board *board;
static int nr;

static const char *name_of(int i)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "p%d", i);
	return buf;
}

static void name_check(struct t_check *c, int i)
{
	char comm[17] = "", want[16];

	snprintf(want, sizeof(want), "p%d", i);
	prctl(PR_GET_NAME, comm);
	if (strcmp(comm, want))
		t_check_fail(c, "name is '%s', want '%s'", comm, want);
}

static void fork_children(int k);

static __attribute__((noreturn)) void member(int k)
{
	char name[16];

	snprintf(name, sizeof(name), "p%d", k);
	if (prctl(PR_SET_NAME, name))
		_exit(2);
	fork_children(k);
	t_slot_record(board, k);
	t_board_serve(board, k, name_check);
}

static void fork_children(int k)
{
	for (int j = 2 * k + 1; j <= 2 * k + 2 && j < nr; j++) {
		pid_t pid = fork();

		if (pid < 0)
			t_fatal("fork p%d", j);
		if (pid == 0)
			member(j);
	}
}

static void root_check(struct t_check *c)
{
	uint32_t gen = t_board_ask(board);

	t_board_wait(board, 1, gen, 10000000000LL);
	t_board_report(board, 1, gen, c, name_of);
	t_check_info(c, "procs=%d", nr);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = root_check };
	struct t_check c;

	t_init(argc, argv);
	nr = argc > 2 ? atoi(argv[2]) : 200;
	if (nr < 1)
		nr = 1;
	board = t_board_new(nr);
	t_slot_record(board, 0);
	fork_children(0);
	memset(&c, 0, sizeof(c));
	root_check(&c);
	if (c.failed) {
		errno = 0;
		t_fatal("set-up: %s", c.fail);
	}
	t_run(&ops);
	return 0;
}
