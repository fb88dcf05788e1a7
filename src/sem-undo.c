// SPDX-License-Identifier: GPL-2.0
/*
 * System V semaphore adjustments (semop with SEM_UNDO): what the kernel
 * adds to a semaphore when the process exits. It shows them nowhere, but
 * a semop tells them apart without changing them:
 *
 * In one semop call the kernel applies the operations in order and, if
 * one fails, reverts the ones before it; an operation with SEM_UNDO fails
 * with ERANGE, before anything changes, when it would take the process's
 * adjustment out of [-32768, 32767]. So a call that first moves the
 * adjustment up by d (a value-neutral pair: +c without undo, -c with it,
 * the value first lowered to 0 so that every step stays in [0, 32767]),
 * then down by d again, and puts the value back, succeeds exactly when
 * adj + d <= 32767, and changes neither the value nor the adjustment.
 * A binary search finds the adjustment in 16 such calls, made by the
 * process itself (remote calls), for every semaphore of every set the
 * dump saves (ipc.img). A ckpt killed at any point leaves every value and
 * adjustment as it was. A successful call makes the process the last to
 * operate on the semaphore (sempid) and sets sem_otime: they are read for
 * the images before (sem_dump), and once every process was asked, each
 * operates again (value-neutral) on the semaphores it was the last to
 * operate on, so that sempid is as it was; sem_otime is the dump's.
 *
 * Restore: in the new process, before its address space is replaced (the
 * sets exist, with their values), one value-neutral call per adjustment
 * moves it from 0 to what it was. The fix-up of sempid that follows in
 * sysv-sem.c is a value-neutral semop too: a SETVAL would clear every
 * process's adjustment of that semaphore.
 */
#include "kinds.h"

#include "fault.h"
#include "sysv-ipc.h"
#include "util.h"

#include <string.h>
#include <sys/sem.h>
#include <sys/syscall.h>

#define SEMVMX 32767
#define ADJ_MIN (-32768)
#define MAX_OPS 16
#define MAX_UNDO 65536

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/* Value-neutral operations on semaphore @k (value @s) that move the
 * process's adjustment by @delta; added to @ops, *@n of them. */
static void shift_ops(struct sembuf *ops, size_t *n, unsigned short k, int delta)
{
	while (delta > 0) {
		int c = MIN(delta, SEMVMX);

		ops[(*n)++] = (struct sembuf){ k, (short)c, IPC_NOWAIT };
		ops[(*n)++] = (struct sembuf){ k, (short)-c, SEM_UNDO | IPC_NOWAIT };
		delta -= c;
	}
	while (delta < 0) {
		int c = MIN(-delta, SEMVMX);

		ops[(*n)++] = (struct sembuf){ k, (short)c, SEM_UNDO | IPC_NOWAIT };
		ops[(*n)++] = (struct sembuf){ k, (short)-c, IPC_NOWAIT };
		delta += c;
	}
}

/* Up by @up then by @down, the value lowered to 0 around them. */
static size_t build(struct sembuf *ops, unsigned short k, int s, int up, int down)
{
	size_t n = 0;

	if (s > 0)
		ops[n++] = (struct sembuf){ k, (short)-s, IPC_NOWAIT };
	shift_ops(ops, &n, k, up);
	shift_ops(ops, &n, k, down);
	if (s > 0)
		ops[n++] = (struct sembuf){ k, (short)s, IPC_NOWAIT };
	return n;
}

/* Is the adjustment of the process on semaphore @k of @id at most @t?
 * 1, 0, or -errno. */
static int adj_at_most(struct infect *inf, int id, unsigned short k, int t)
{
	struct sembuf ops[MAX_OPS];
	int s = semctl(id, k, GETVAL), r;
	size_t n;
	long ret;

	if (s < 0)
		return -errno;
	n = build(ops, k, s, SEMVMX - t, -(SEMVMX - t));
	r = remote_write(inf->pid, inf->scratch, ops, n * sizeof(*ops));
	if (r == 0)
		r = infect_syscall3(inf, SYS_semop, &ret, id, inf->scratch, n);
	if (r < 0)
		return r;
	return ret == 0 ? 1 : ret == -ERANGE ? 0 : (int)ret;
}

static int adj_find(struct infect *inf, int id, unsigned short k, int *ret)
{
	int lo = ADJ_MIN, hi = SEMVMX, r;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		r = adj_at_most(inf, id, k, mid);
		if (r < 0)
			return r;
		if (r)
			hi = mid;
		else
			lo = mid + 1;
	}
	/* Checked once more: a value changed by a process outside the tree
	 * meanwhile would have misled the search. */
	r = adj_at_most(inf, id, k, lo);
	if (r == 1 && lo > ADJ_MIN)
		r = adj_at_most(inf, id, k, lo - 1) == 0 ? 1 : -EAGAIN;
	if (r == 0)
		r = -EAGAIN;
	*ret = lo;
	return r < 0 ? r : 0;
}

int sem_undo_dump(struct infect *inf, int pid, const IpcEntry *ie, TaskCoreEntry *core)
{
	for (size_t i = 0; i < ie->n_sem; i++) {
		const SysvSemEntry *e = ie->sem[i];

		for (size_t k = 0; k < e->n_values; k++) {
			SemUndoEntry *u;
			int adj, r;

			r = adj_find(inf, (int)e->semid, (unsigned short)k, &adj);
			if (r == -EACCES && k == 0)
				break; /* it may not operate on the set: none */
			if (r < 0)
				return pr_errno(
					r,
					"cannot dump %d: cannot read its adjustment of semaphore %zu of System V set %u",
					pid, k, e->semid);
			if (!adj)
				continue;
			if (core->n_sem_undo >= MAX_UNDO)
				return pr_fail(-E2BIG,
					       "cannot dump %d: too many SEM_UNDO adjustments",
					       pid);
			u = xmalloc(sizeof(*u));
			sem_undo_entry__init(u);
			u->semid = e->semid;
			u->num = (uint32_t)k;
			u->adj = adj;
			core->sem_undo = xrealloc(core->sem_undo,
						  (core->n_sem_undo + 1) * sizeof(*core->sem_undo));
			core->sem_undo[core->n_sem_undo++] = u;
			pr_debug("%d: SEM_UNDO %d on semaphore %zu of set %u", pid, adj, k,
				 e->semid);
		}
	}
	return 0;
}

int sem_undo_dump_done(struct infect *inf, int pid, const IpcEntry *ie)
{
	for (size_t i = 0; i < ie->n_sem; i++) {
		const SysvSemEntry *e = ie->sem[i];

		for (size_t k = 0; k < e->n_values; k++) {
			struct sembuf ops[2];
			int s = semctl((int)e->semid, (int)k, GETVAL), r;
			long ret = 0;

			if (e->pids[k] != pid)
				continue;
			if (s < 0)
				return pr_errno(-errno,
						"cannot dump %d: cannot read System V set %u", pid,
						e->semid);
			ops[0] = (struct sembuf){ (unsigned short)k, s ? -1 : 1, IPC_NOWAIT };
			ops[1] = (struct sembuf){ (unsigned short)k, s ? 1 : -1, IPC_NOWAIT };
			r = remote_write(inf->pid, inf->scratch, ops, sizeof(ops));
			if (r == 0)
				r = infect_syscall3(inf, SYS_semop, &ret, e->semid, inf->scratch,
						    2);
			if (r < 0 || ret < 0)
				return pr_errno(
					r < 0 ? r : (int)ret,
					"cannot dump %d: cannot operate on semaphore %zu of System V set %u again",
					pid, k, e->semid);
		}
	}
	return 0;
}

int sem_undo_check(const TaskCoreEntry *core, const IpcEntry *ie)
{
	if (core->n_sem_undo > MAX_UNDO)
		return pr_fail(-EBADMSG, "cannot restore %u: %zu SEM_UNDO adjustments", core->pid,
			       core->n_sem_undo);
	for (size_t i = 0; i < core->n_sem_undo; i++) {
		const SemUndoEntry *u = core->sem_undo[i];
		bool ok = u->adj && u->adj >= ADJ_MIN && u->adj <= SEMVMX, found = false;

		for (size_t s = 0; ie && s < ie->n_sem; s++)
			found |= ie->sem[s]->semid == u->semid && u->num < ie->sem[s]->n_values;
		for (size_t k = 0; k < i; k++)
			ok &= core->sem_undo[k]->semid != u->semid ||
			      core->sem_undo[k]->num != u->num;
		if (!ok || !found)
			return pr_fail(
				-EBADMSG,
				"cannot restore %u: a SEM_UNDO adjustment (%d on semaphore %u of set %u) in the image",
				core->pid, u->adj, u->num, u->semid);
	}
	return 0;
}

/* In the new process: it operates on the sets itself. */
int sem_undo_restore_early(const TaskCoreEntry *core)
{
	for (size_t i = 0; i < core->n_sem_undo; i++) {
		const SemUndoEntry *u = core->sem_undo[i];
		struct sembuf ops[MAX_OPS];
		int s = semctl((int)u->semid, (int)u->num, GETVAL), r;
		size_t n;

		if (s < 0)
			return pr_errno(
				-errno,
				"cannot restore %u: cannot read semaphore %u of System V set %u",
				core->pid, u->num, u->semid);
		n = build(ops, (unsigned short)u->num, s, u->adj, 0);
		r = FAULT_OR(restore_sem_undo, -ERANGE,
			     semop((int)u->semid, ops, n) < 0 ? -errno : 0);
		if (r < 0)
			return pr_errno(
				r,
				"cannot restore %u: cannot re-make its SEM_UNDO adjustment of semaphore %u of System V set %u",
				core->pid, u->num, u->semid);
	}
	return 0;
}
