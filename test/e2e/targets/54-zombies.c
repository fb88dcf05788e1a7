/*
 * 54-zombies.c - a tree with zombies, sessions and process groups.
 *
 * Usage: 54-zombies WORKDIR
 *
 * The root (a child subreaper) makes:
 *  - z1, which exits with status 7, and z2, killed by SIGVTALRM: zombies
 *    the root does not reap (it only peeks with waitid(WNOWAIT)) until
 *    WORKDIR/reap exists;
 *  - s, which calls setsid(), with s1 (in s's group) and s2 (its own group
 *    in s's session);
 *  - g, which makes its own process group, with g1 in it;
 *  - i1, which makes its own group, forks m1 and exits; and i2, which makes
 *    its own session, forks m2 and exits: the root reaps i1 and i2, m1 and m2
 *    are reparented to it and stay in the groups (and, m2, the session) of a
 *    process that no longer exists.
 * Every live process but the root then waits on the board of target.h.
 *
 * Self-check (SIGUSR2): every other live process checks that its PID,
 * PPID, PGID, SID and name are the ones it had at start (m1 and m2: their
 * parent is the root); the root is still a child subreaper; z1 and z2 are
 * zombies (/proc state Z, parent the root) whose waitid(WNOWAIT) status is
 * still "exited 7" and "killed by SIGVTALRM". If WORKDIR/reap exists, the
 * root reaps them (waitpid) and checks the same statuses. Reports zombies=N
 * (not reaped yet) and reaped=N.
 * Before READY it writes "TREE z1=N z2=N s=N s1=N s2=N g=N g1=N i1=N m1=N
 * i2=N m2=N".
 */
#include "target.h"

#include <sys/prctl.h>
#include <sys/wait.h>

enum { P_ROOT, P_S, P_S1, P_S2, P_G, P_G1, P_M1, P_M2, P_NR };

static const char *const names[P_NR] = { "root", "zs-s",  "zs-s1", "zs-s2",
					 "zs-g", "zs-g1", "zs-m1", "zs-m2" };

#define Z2_SIGNAL SIGVTALRM

static struct t_board *board;
static pid_t z1, z2, i1, i2;
static int reaped[2];

static const char *name_of(int i)
{
	return names[i];
}

static void name_check(struct t_check *c, int i)
{
	char comm[17] = "";

	prctl(PR_GET_NAME, comm);
	if (strcmp(comm, names[i]))
		t_check_fail(c, "name is '%s', want '%s'", comm, names[i]);
}

/* A live member of the tree: name itself, record its ids, serve. */
static __attribute__((noreturn)) void member(int i, int record)
{
	if (prctl(PR_SET_NAME, names[i]))
		_exit(2);
	if (record)
		t_slot_record(board, i);
	t_board_serve(board, i, name_check);
}

static pid_t fork_or_die(void)
{
	pid_t pid = fork();

	if (pid < 0)
		t_fatal("fork");
	return pid;
}

static void make_session(void)
{
	if (setsid() < 0)
		_exit(2);
	if (fork_or_die() == 0)
		member(P_S1, 1);
	if (fork_or_die() == 0) {
		if (setpgid(0, 0))
			_exit(2);
		member(P_S2, 1);
	}
	member(P_S, 1);
}

static void make_group(void)
{
	if (setpgid(0, 0))
		_exit(2);
	if (fork_or_die() == 0)
		member(P_G1, 1);
	member(P_G, 1);
}

/* i1/i2: a new group (or session), a child in it, then exit. */
static void make_orphan(int slot, int session)
{
	struct t_slot *s = &board->slot[slot];
	pid_t m;

	if (session ? setsid() < 0 : setpgid(0, 0) < 0)
		_exit(2);
	m = fork_or_die();
	if (m == 0)
		member(slot, 0); /* the root completes the slot once we are gone */
	s->pid0 = m;
	s->pgid0 = getpgrp();
	s->sid0 = getsid(0);
	_exit(0);
}

/* ---- the root's checks --------------------------------------------------- */

static void zombie_check(struct t_check *c, int k, pid_t z)
{
	siginfo_t si;
	struct t_ids ids;
	int status, want_code = k ? CLD_KILLED : CLD_EXITED, want_status = k ? Z2_SIGNAL : 7;

	if (reaped[k])
		return;
	if (t_proc_ids(z, &ids))
		t_check_fail(c, "zombie z%d (%d) is gone", k + 1, (int)z);
	else if (ids.state != 'Z' || ids.ppid != getpid())
		t_check_fail(c, "z%d (%d) is in state %c with parent %d, want a zombie of %d",
			     k + 1, (int)z, ids.state, ids.ppid, (int)getpid());
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, z, &si, WEXITED | WNOHANG | WNOWAIT))
		t_check_fail(c, "waitid(z%d %d): %s", k + 1, (int)z, strerror(errno));
	else if (si.si_pid != z || si.si_code != want_code || si.si_status != want_status)
		t_check_fail(c, "waitid(z%d %d): pid %d code %d status %d, want code %d status %d",
			     k + 1, (int)z, (int)si.si_pid, si.si_code, si.si_status, want_code,
			     want_status);
	if (access("reap", F_OK))
		return;
	if (waitpid(z, &status, WNOHANG) != z) {
		t_check_fail(c, "cannot reap z%d (%d): %s", k + 1, (int)z, strerror(errno));
		return;
	}
	reaped[k] = 1;
	if (k == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 7))
		t_check_fail(c, "z1 status 0x%x, want exited with 7", status);
	if (k == 1 && !(WIFSIGNALED(status) && WTERMSIG(status) == Z2_SIGNAL))
		t_check_fail(c, "z2 status 0x%x, want killed by signal %d", status, Z2_SIGNAL);
}

static void root_check(struct t_check *c)
{
	uint32_t gen = t_board_ask(board);
	int sub = 0;

	t_board_wait(board, 1, gen, 5000000000LL);
	t_board_report(board, 1, gen, c, name_of);
	if (prctl(PR_GET_CHILD_SUBREAPER, &sub) || sub != 1)
		t_check_fail(c, "no longer a child subreaper (%d)", sub);
	zombie_check(c, 0, z1);
	zombie_check(c, 1, z2);
	t_check_info(c, "zombies=%d", 2 - reaped[0] - reaped[1]);
	t_check_info(c, "reaped=%d", reaped[0] + reaped[1]);
}

/* Set-up sanity: PID has these ids right now. */
static void expect_ids(pid_t pid, int ppid, int pgid, int sid, const char *what)
{
	struct t_ids ids;

	if (t_proc_ids(pid, &ids))
		t_fatal("%s (%d) is gone", what, (int)pid);
	if (ids.ppid != ppid || ids.pgid != pgid || ids.sid != sid) {
		errno = 0;
		t_fatal("%s (%d): ppid %d pgid %d sid %d, want %d %d %d", what, (int)pid, ids.ppid,
			ids.pgid, ids.sid, ppid, pgid, sid);
	}
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = root_check };
	pid_t me, s, g;
	struct t_check c;
	siginfo_t si;
	uint32_t gen;
	int status;

	t_init(argc, argv);
	me = getpid();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		t_fatal("PR_SET_CHILD_SUBREAPER");
	board = t_board_new(P_NR);
	t_slot_record(board, P_ROOT);

	z1 = fork_or_die();
	if (z1 == 0)
		_exit(7);
	z2 = fork_or_die();
	if (z2 == 0) {
		sigset_t set;

		signal(Z2_SIGNAL, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, Z2_SIGNAL);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(Z2_SIGNAL);
		_exit(3);
	}
	s = fork_or_die();
	if (s == 0)
		make_session();
	g = fork_or_die();
	if (g == 0)
		make_group();
	i1 = fork_or_die();
	if (i1 == 0)
		make_orphan(P_M1, 0);
	i2 = fork_or_die();
	if (i2 == 0)
		make_orphan(P_M2, 1);

	/* i1 and i2 exit once m1 and m2 exist: reap them, adopt m1 and m2 */
	if (waitpid(i1, &status, 0) != i1 || status)
		t_fatal("i1 failed (status 0x%x)", status);
	if (waitpid(i2, &status, 0) != i2 || status)
		t_fatal("i2 failed (status 0x%x)", status);
	board->slot[P_M1].ppid0 = me;
	board->slot[P_M2].ppid0 = me;
	for (int k = 0; k < 2; k++) {
		pid_t z = k ? z2 : z1;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, z, &si, WEXITED | WNOWAIT))
			t_fatal("waitid z%d", k + 1);
	}

	gen = t_board_ask(board);
	t_board_wait(board, 1, gen, 10000000000LL);
	memset(&c, 0, sizeof(c));
	t_board_report(board, 1, gen, &c, name_of);
	if (c.failed) {
		errno = 0;
		t_fatal("set-up: %s", c.fail);
	}
	/* the shape we want, from /proc */
	expect_ids(s, me, s, s, "s");
	expect_ids(board->slot[P_S1].pid0, s, s, s, "s1");
	expect_ids(board->slot[P_S2].pid0, s, board->slot[P_S2].pid0, s, "s2");
	expect_ids(g, me, g, getsid(0), "g");
	expect_ids(board->slot[P_G1].pid0, g, g, getsid(0), "g1");
	expect_ids(board->slot[P_M1].pid0, me, i1, getsid(0), "m1");
	expect_ids(board->slot[P_M2].pid0, me, i2, i2, "m2");

	t_log("TREE z1=%d z2=%d s=%d s1=%d s2=%d g=%d g1=%d i1=%d m1=%d i2=%d m2=%d", (int)z1,
	      (int)z2, (int)s, board->slot[P_S1].pid0, board->slot[P_S2].pid0, (int)g,
	      board->slot[P_G1].pid0, (int)i1, board->slot[P_M1].pid0, (int)i2,
	      board->slot[P_M2].pid0);
	t_run(&ops);
	return 0;
}
