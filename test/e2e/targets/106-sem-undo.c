/*
 * 106-sem-undo - a process holding SEM_UNDO adjustments on a System V
 * semaphore set of its own (private, 2 semaphores, both 1 at start):
 *
 *  sem 0: taken with SEM_UNDO (0; its exit gives it back: +1), as a lock;
 *  sem 1: raised by 3 with SEM_UNDO (4; its exit takes them back: -3).
 *
 * Prints "IDS sem=ID" before READY. The check: the values are 0 and 4,
 * and the last operation on both was this process's (GETPID).
 */
#include "target.h"

#include <sys/sem.h>

static int id;

static void check(struct t_check *c)
{
	int v0 = semctl(id, 0, GETVAL), v1 = semctl(id, 1, GETVAL);
	int p0 = semctl(id, 0, GETPID), p1 = semctl(id, 1, GETPID);

	if (v0 != 0 || v1 != 4)
		t_check_fail(c, "values %d %d, want 0 4", v0, v1);
	if (p0 != getpid() || p1 != getpid())
		t_check_fail(c, "last operations by %d and %d, not %d", p0, p1, (int)getpid());
	t_check_info(c, "sem=%d", id);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = check };
	unsigned short ones[2] = { 1, 1 };
	struct sembuf take = { 0, -1, SEM_UNDO }, raise3 = { 1, 3, SEM_UNDO };

	t_init(argc, argv);
	id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	if (id < 0 || semctl(id, 0, SETALL, ones) < 0)
		t_fatal("semget");
	if (semop(id, &take, 1) || semop(id, &raise3, 1))
		t_fatal("semop");
	t_log("IDS sem=%d", id);
	t_run(&ops);
	return 0;
}
