// SPDX-License-Identifier: GPL-2.0
/*
 * System V semaphore sets of the tree (see sysv-ipc.c for the namespace
 * and the ids). A set is the tree's when the last operation on one of its
 * semaphores (semctl GETPID) was by a process of the tree.
 *
 * Dump: key, mode, owner, creator, every value (GETALL) and every sempid.
 *
 * Restore: a set whose id still holds the same key, size and creator (on
 * the boot of the dump) is reused, else it is made again with its id
 * (sem_next_id); either way its values are set as dumped (SETALL). Then
 * each restored process operates again (a value-neutral semop, by a remote
 * call) on the semaphores it was the last to operate on, so that sempid
 * is its pid again and a later dump still finds the set.
 *
 * SEM_UNDO adjustments are saved per process by sem-undo.c.
 */
#include "sysv-ipc.h"

#include "fault.h"
#include "imgdir.h"
#include "trust.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/syscall.h>

#define SEM_NSEMS_MAX 32000 /* SEMMSL's ceiling */
#define SEM_VAL_MAX 32767 /* SEMVMX */

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static void sem_add(IpcEntry *ie, int id, const struct semid_ds *ds, const unsigned short *vals,
		    const int *pids)
{
	SysvSemEntry *e = xmalloc(sizeof(*e));

	sysv_sem_entry__init(e);
	e->semid = (uint32_t)id;
	e->key = ds->sem_perm.__key;
	e->mode = ds->sem_perm.mode & 0777;
	e->uid = ds->sem_perm.uid;
	e->gid = ds->sem_perm.gid;
	e->cuid = ds->sem_perm.cuid;
	e->cgid = ds->sem_perm.cgid;
	e->n_values = e->n_pids = ds->sem_nsems;
	e->values = xmalloc(ds->sem_nsems * sizeof(*e->values));
	e->pids = xmalloc(ds->sem_nsems * sizeof(*e->pids));
	for (size_t i = 0; i < ds->sem_nsems; i++) {
		e->values[i] = vals[i];
		e->pids[i] = pids[i];
	}
	ie->sem = xrealloc(ie->sem, (ie->n_sem + 1) * sizeof(*ie->sem));
	ie->sem[ie->n_sem++] = e;
}

int sem_dump(IpcEntry *ie, const int *pids, size_t nr)
{
	struct seminfo si;
	int max = semctl(0, 0, SEM_INFO, (union semun){ .buf = (struct semid_ds *)&si });

	for (int idx = 0; idx <= max; idx++) {
		struct semid_ds ds;
		int id = semctl(idx, 0, SEM_STAT_ANY, (union semun){ .buf = &ds });
		_cleanup_free_ unsigned short *vals = NULL;
		_cleanup_free_ int *last = NULL;
		bool ours = false;

		if (id < 0 || !ds.sem_nsems)
			continue;
		last = xmalloc(ds.sem_nsems * sizeof(*last));
		for (unsigned long n = 0; n < ds.sem_nsems; n++) {
			last[n] = semctl(id, (int)n, GETPID);
			ours |= last[n] > 0 && sysv_in_tree(pids, nr, last[n]);
		}
		if (!ours)
			continue;
		vals = xmalloc(ds.sem_nsems * sizeof(*vals));
		if (semctl(id, 0, GETALL, (union semun){ .array = vals }) < 0)
			return pr_errno(-errno,
					"cannot dump %d: cannot read System V semaphore set %d",
					pids[0], id);
		sem_add(ie, id, &ds, vals, last);
	}
	return 0;
}

void sem_release(IpcEntry *ie)
{
	for (size_t i = 0; i < ie->n_sem; i++) {
		free(ie->sem[i]->values);
		free(ie->sem[i]->pids);
		free(ie->sem[i]);
	}
	free(ie->sem);
	ie->sem = NULL;
	ie->n_sem = 0;
}

int sem_check(const IpcEntry *ie, const struct trust *t)
{
	for (size_t i = 0; i < ie->n_sem; i++) {
		const SysvSemEntry *e = ie->sem[i];

		if (e->semid > INT32_MAX)
			return img_inconsistent(IMG_IPC, 0, "semaphore set %zu: id %u", i,
						e->semid);
		for (size_t k = 0; k < i; k++)
			if (ie->sem[k]->semid == e->semid)
				return img_inconsistent(IMG_IPC, 0, "semaphore set %u twice",
							e->semid);
		if (e->mode & ~0777u)
			return img_inconsistent(IMG_IPC, 0, "semaphore set %u: mode %#o", e->semid,
						e->mode);
		if (!e->n_values || e->n_values > SEM_NSEMS_MAX || e->n_pids != e->n_values)
			return img_inconsistent(IMG_IPC, 0, "semaphore set %u: %zu semaphores",
						e->semid, e->n_values);
		for (size_t k = 0; k < e->n_values; k++)
			if (e->values[k] > SEM_VAL_MAX || e->pids[k] < 0)
				return img_inconsistent(
					IMG_IPC, 0, "semaphore set %u: semaphore %zu", e->semid, k);
		if (!t->trusted &&
		    (e->uid != t->owner || e->cuid != t->owner || !sysv_trust_has_gid(t, e->gid) ||
		     !sysv_trust_has_gid(t, e->cgid)))
			return pr_fail(
				-EPERM,
				"cannot restore: System V semaphore set %u is not the image owner's (uid %u, creator %u)",
				e->semid, e->uid, e->cuid);
	}
	return 0;
}

/* NULL: a spare private set, to use up sem_next_id. */
static int sem_get(const void *obj)
{
	const SysvSemEntry *e = obj;
	int id = e ? semget(e->key, (int)e->n_values, IPC_CREAT | IPC_EXCL | (int)e->mode)
		   : semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);

	return id < 0 ? -errno : id;
}

static void sem_rm(int id)
{
	(void)semctl(id, 0, IPC_RMID);
}

static bool sem_exists(int id)
{
	struct semid_ds ds;

	return semctl(id, 0, IPC_STAT, (union semun){ .buf = &ds }) >= 0;
}

static int sem_by_key(int32_t key)
{
	return semget(key, 0, 0);
}

static const struct sysv_ops sem_ops = {
	.what = "semaphore set",
	.next_id = "/proc/sys/kernel/sem_next_id",
	.get = sem_get,
	.rm = sem_rm,
	.exists = sem_exists,
	.by_key = sem_by_key,
};

/* Owner, mode and values of set @e (made or reused). */
static int sem_fill(const SysvSemEntry *e)
{
	_cleanup_free_ unsigned short *vals = xmalloc(e->n_values * sizeof(*vals));
	struct semid_ds ds;
	int r;

	if (semctl((int)e->semid, 0, IPC_STAT, (union semun){ .buf = &ds }) < 0)
		return pr_errno(-errno, "cannot restore System V semaphore set %u", e->semid);
	ds.sem_perm.uid = e->uid;
	ds.sem_perm.gid = e->gid;
	ds.sem_perm.mode = e->mode;
	if (semctl((int)e->semid, 0, IPC_SET, (union semun){ .buf = &ds }) < 0)
		return pr_errno(-errno, "cannot set the owner of System V semaphore set %u",
				e->semid);
	for (size_t k = 0; k < e->n_values; k++)
		vals[k] = (unsigned short)e->values[k];
	r = FAULT_OR(restore_sysv_sem_values, -ERANGE,
		     semctl((int)e->semid, 0, SETALL, (union semun){ .array = vals }) < 0 ? -errno
											  : 0);
	if (r < 0)
		return pr_errno(r, "cannot set the values of System V semaphore set %u", e->semid);
	return 0;
}

int sem_restore(const IpcEntry *ie, const struct trust *t, bool same_boot, bool *created)
{
	for (size_t i = 0; i < ie->n_sem; i++) {
		const SysvSemEntry *e = ie->sem[i];
		struct semid_ds ds;
		int r;

		if (semctl((int)e->semid, 0, IPC_STAT, (union semun){ .buf = &ds }) >= 0) {
			if (!same_boot || e->key == IPC_PRIVATE || ds.sem_perm.__key != e->key ||
			    ds.sem_nsems != e->n_values || ds.sem_perm.cuid != e->cuid ||
			    ds.sem_perm.cgid != e->cgid)
				return pr_fail(
					-EEXIST,
					"cannot restore: System V semaphore set id %u is taken by another one",
					e->semid);
			if (!t->trusted &&
			    (ds.sem_perm.uid != t->owner || ds.sem_perm.cuid != t->owner))
				return pr_fail(
					-EPERM,
					"cannot restore: System V semaphore set %u is not the image owner's",
					e->semid);
		} else {
			r = sysv_create_with_id(&sem_ops, e, e->semid, e->key, e->cuid, e->cgid);
			if (r < 0)
				return r;
			created[i] = true;
		}
		r = sem_fill(e);
		if (r < 0)
			return r;
	}
	return 0;
}

void sem_restore_undo(const IpcEntry *ie, const bool *created)
{
	for (size_t i = 0; i < ie->n_sem; i++)
		if (created[i])
			sem_rm((int)ie->sem[i]->semid);
}

int sem_restore_late(struct infect *inf, const IpcEntry *ie)
{
	for (size_t i = 0; i < ie->n_sem; i++) {
		const SysvSemEntry *e = ie->sem[i];

		for (size_t k = 0; k < e->n_values; k++) {
			struct sembuf ops[2];
			long ret;
			int r;

			if (e->pids[k] != inf->pid)
				continue;
			/* Value-neutral: a SETVAL would clear the SEM_UNDO
			 * adjustments (sem-undo.c) of every process. */
			ops[0] = (struct sembuf){ (unsigned short)k, e->values[k] ? -1 : 1,
						  IPC_NOWAIT };
			ops[1] = (struct sembuf){ (unsigned short)k, e->values[k] ? 1 : -1,
						  IPC_NOWAIT };
			r = remote_write(inf->pid, inf->scratch, ops, sizeof(ops));
			if (r >= 0)
				r = infect_syscall3(inf, SYS_semop, &ret, (long)e->semid,
						    inf->scratch, 2);
			if (r >= 0 && ret < 0)
				r = (int)ret;
			if (r < 0)
				return pr_errno(
					r, "cannot restore %d: cannot set semaphore %zu of set %u",
					inf->pid, k, e->semid);
		}
	}
	return 0;
}

void sem_show(const IpcEntry *ie)
{
	for (size_t i = 0; i < ie->n_sem; i++) {
		const SysvSemEntry *e = ie->sem[i];

		printf("  sysv semaphore set %u: key %#x mode %#o owner %u:%u creator %u:%u values",
		       e->semid, (unsigned int)e->key, e->mode, e->uid, e->gid, e->cuid, e->cgid);
		for (size_t k = 0; k < e->n_values; k++)
			printf(" %u", e->values[k]);
		putchar('\n');
	}
}
