/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_SYSV_IPC_H
#define CKPT_SYSV_IPC_H
/* What the files of System V IPC objects share (sysv-ipc.c, sysv-sem.c). */
#include "kinds.h"

#include <stdbool.h>
#include <stdint.h>

struct trust;

/* One kind of object, for making one again with its id. */
struct sysv_ops {
	const char *what; /* "shm", "semaphore set" */
	const char *next_id; /* /proc/sys/kernel/KIND_next_id */
	int (*get)(const void *obj); /* *get(IPC_CREAT|IPC_EXCL): id or -errno;
					 NULL: a spare private one */
	void (*rm)(int id);
	bool (*exists)(int id);
	int (*by_key)(int32_t key); /* the id of the one with @key, or -1 */
};

/* Make @obj again with id @want, key @key, as creator @cuid:@cgid (a
 * *_next_id written under an flock of it; the id got checked). Logs. */
int sysv_create_with_id(const struct sysv_ops *ops, const void *obj, uint32_t want, int32_t key,
			uint32_t cuid, uint32_t cgid);
bool sysv_in_tree(const int *pids, size_t nr, int pid);
bool sysv_trust_has_gid(const struct trust *t, uint32_t gid);

/* sysv-sem.c: semaphore sets whose last operation was by a process of the
 * tree: their values, and who made that operation on each semaphore. */
int sem_dump(IpcEntry *ie, const int *pids, size_t nr);
int sem_check(const IpcEntry *ie, const struct trust *t);
int sem_restore(const IpcEntry *ie, const struct trust *t, bool same_boot, bool *created);
void sem_restore_undo(const IpcEntry *ie, const bool *created);
void sem_show(const IpcEntry *ie);
void sem_release(IpcEntry *ie);
int sem_restore_late(struct infect *inf, const IpcEntry *ie);

/* sysv-msg.c: message queues whose last sender or receiver is the tree's:
 * their messages in order. */
int msq_dump(IpcEntry *ie, const int *pids, size_t nr);
int msq_check(const IpcEntry *ie, const struct trust *t);
/* @scratch_len: the restorer's scratch memory, in the restored processes. */
int msq_restore(const IpcEntry *ie, const struct trust *t, bool same_boot, size_t scratch_len,
		bool *created);
void msq_restore_undo(const IpcEntry *ie, const bool *created);
int msq_restore_late(struct infect *inf, const IpcEntry *ie);
void msq_show(const IpcEntry *ie);
void msq_release(IpcEntry *ie);

#endif
