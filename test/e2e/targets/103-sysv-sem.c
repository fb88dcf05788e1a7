/*
 * 103-sysv-sem - a System V semaphore set (key KEY, 3 semaphores) shared
 * by a process and its child. Args: WORKDIR KEY.
 *
 *  sem 0: the parent posts (+1) when the child has echoed every post;
 *  sem 1: the child takes sem 0 (blocking in semop) and echoes on sem 1;
 *  sem 2: 7 at start, then the parent takes 1 with SEM_UNDO (6).
 *
 * Prints "IDS sem=ID child=PID" before READY. The check: the set still has
 * its id, key and mode; sem 1 is posts or posts - 1 (the child answers);
 * sem 2 is 6; the last operation on sem 1 was the child's (GETPID).
 */
#include "target.h"

#include <stdbool.h>
#include <sys/sem.h>
#include <sys/wait.h>

static int id;
static key_t key;
static pid_t child;
static unsigned int posted;

static void op(int num, int delta, int flags)
{
	struct sembuf sb = { (unsigned short)num, (short)delta, (short)flags };

	while (semop(id, &sb, 1) < 0)
		if (errno != EINTR)
			t_fatal("semop %d %d", num, delta);
}

static void iterate(void)
{
	int echoed = semctl(id, 1, GETVAL);

	if (echoed >= 0 && (unsigned int)echoed == posted) {
		op(0, 1, 0);
		posted++;
	}
}

static void check(struct t_check *c)
{
	struct semid_ds ds;
	int v1 = semctl(id, 1, GETVAL), v2 = semctl(id, 2, GETVAL), p1 = semctl(id, 1, GETPID);

	if (semctl(id, 0, IPC_STAT, &ds) < 0) {
		t_check_fail(c, "semctl(%d): %s", id, strerror(errno));
		return;
	}
	if (ds.sem_perm.__key != key || (ds.sem_perm.mode & 0777) != 0640 || ds.sem_nsems != 3)
		t_check_fail(c, "set: key %#x mode %#o nsems %lu", ds.sem_perm.__key,
			     ds.sem_perm.mode & 0777, (unsigned long)ds.sem_nsems);
	if (v1 < 0 || ((unsigned int)v1 != posted && (unsigned int)v1 + 1 != posted))
		t_check_fail(c, "sem 1 is %d, posted %u", v1, posted);
	if (v2 != 6)
		t_check_fail(c, "sem 2 is %d, want 6", v2);
	if (p1 > 0 && p1 != child)
		t_check_fail(c, "sem 1 last changed by %d, not the child %d", p1, (int)child);
	t_check_info(c, "posted=%u", posted);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = iterate, .check = check };
	unsigned short init[3] = { 0, 0, 7 };

	t_init(argc, argv);
	if (argc < 3)
		t_fatal("usage: 103-sysv-sem WORKDIR KEY");
	key = (key_t)strtol(argv[2], NULL, 0);
	id = semget(key, 3, IPC_CREAT | IPC_EXCL | 0640);
	if (id < 0 || semctl(id, 0, SETALL, init) < 0)
		t_fatal("semget");
	op(2, -1, SEM_UNDO);
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0)
		for (;;) {
			op(0, -1, 0);
			op(1, 1, 0);
		}
	t_log("IDS sem=%d child=%d", id, (int)child);
	t_run(&ops);
}
