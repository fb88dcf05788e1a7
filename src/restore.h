/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_RESTORE_H
#define CKPT_RESTORE_H
/*
 * Restoring a tree: the state cmd-restore.c loads and checks, and that
 * restore-tree.c uses to create the processes.
 *
 * Every new process starts as a copy of ckpt, so it has all of this in
 * memory, and inherits the open files of the tree (see files.h) at fixed
 * numbers, the same in every process:
 *
 *	[0, base)			its own fds, once restored
 *	[base, shmem_base)		open file description i at base + i
 *	[shmem_base, log_fd)		shared memory object k at shmem_base + k
 *	log_fd				where it reports errors (a pipe to ckpt)
 *	[pass_base, first_aux)		fds of ckpt's its namespaces are made
 *					with (restore_pass_fd)
 *	[first_aux, ...)		its mapped files, while its memory is rebuilt
 *
 * Everything from base up is closed before it runs again.
 */
#include "fdinfo.pb-c.h"
#include "imgdir.h"
#include "kinds.h"
#include "mm.h"
#include "pstree.pb-c.h"
#include "ipc.pb-c.h"
#include "kinds.h"
#include "shmem.pb-c.h"
#include "tree.h"
#include "trust.h"

struct options;

struct restore_proc {
	const struct plan_proc *pp;
	const ProcessEntry *pe; /* NULL for a helper */
	TaskCoreEntry *core; /* live processes only */
	MmEntry *mm;
	FdinfoEntry *fdinfo;
	struct mm_plan plan;
	int parent; /* index of its parent in the plan, -1 for the root */
	int stops; /* SIGSTOPs it reached while being created */
	bool exited;
	bool cow_filled; /* ckpt filled its slots (pages-cow.c) */
	/* Its creator is in a user namespace of the tree: its pids outside
	 * that namespace's pid namespaces are the host's choice, learnt
	 * when it first stops (ns_host_adopt): @host, 0 until then. */
	bool host_given;
	int host;
	int *thread_host; /* the same for its threads (1...), per thread */
	int exact_asked; /* children ns_host_exact it stopped for so far */
};

/* The pid ckpt names process @rp by (ptrace, /proc, kill): the dumped one,
 * or the one the host gave it; 0 if not known yet. */
static inline int proc_host(const struct restore_proc *rp)
{
	return rp->host_given ? rp->host : rp->pp->pid;
}

struct restore {
	int dirfd;
	struct trust trust; /* how far the image set is believed */
	int *chain; /* dirfd, then the image sets it builds on (incremental) */
	size_t nr_chain;
	InventoryEntry *inv;
	PstreeEntry *pstree;
	FilesEntry *files;
	ShmemEntry *shmem;
	IpcEntry *ipc; /* System V IPC objects */
	struct ipc_restored ipc_st;
	struct plan plan;
	struct restore_proc *procs; /* per plan entry */
	size_t nr;
	int tty_fd; /* the caller's terminal among fds 0-2, or -1 */
	int caller_pgid;
	int outside_pgid; /* the root's group at the dump, when not its own */
	int base, shmem_base, log_fd, pass_base, first_aux;
	int *pass; /* ckpt's fds handed down, at pass_base + k */
	size_t nr_pass;
	int *file_owner; /* per open file: the first live process that has it */
	int log_pipe; /* read end, in ckpt */
	bool verify_only; /* restore_verify(): nothing is created */
	bool meta_parents; /* ... of a streamed dump: parents may be --meta sets */
	const struct inherit_fd *inherit; /* --inherit-fd */
	int nr_inherit;
	uint64_t cow_base, cow_len; /* the area of the slots (pages-cow.c), in ckpt */
	struct ns_state *ns; /* the tree's namespaces (ns-restore.c); NULL: ckpt's */
	const struct options *opts; /* --external and the rest; NULL when verifying */
	struct cg_restore *cg; /* the tree's cgroups (cgroup-restore.c), or NULL */
};

/* restore-prepare.c */
/* Read and check every image of the set in @dir (and the sets it builds
 * on), plan the restore: everything short of creating a process. Logs why
 * it fails. restore_release() after, whatever it returned. */
int restore_prepare(struct restore *rs, const char *dir, const struct inherit_fd *inherit,
		    int nr_inherit, const struct options *o);
/* Free what restore_prepare() loaded; close the images. */
void restore_release(struct restore *rs);
/* The pids of the set's processes (zombies too) and the tids of their
 * threads: what a pidfd may refer to. *@ret_nr of them, to free. */
int *tree_ids(const struct restore *rs, size_t *ret_nr);
/* From a namespace's prepare: ckpt's @fd handed down to every new process
 * (at the same number in each), for the processes that make the tree's
 * namespaces once they are inside them, where ckpt's /proc/PID/fd is out
 * of reach. The slot it gets, for restore_passed_fd(); @fd stays ckpt's
 * and open until release. */
size_t restore_pass_fd(struct restore *rs, int fd);
/* @n slots whose fds are set later (rs->pass[slot] = fd, an fd above
 * first_aux), before the tree is made; the first one. */
size_t restore_pass_slots(struct restore *rs, size_t n);
static inline int restore_passed_fd(const struct restore *rs, size_t slot)
{
	return rs->pass_base + (int)slot;
}
/* pages-cow.c */
/* Which VMAs of which process hand pages down to children, checked, and
 * the area for them reserved in ckpt (after mm_plan_init). Logs why it
 * fails. */
int cow_plan(struct restore *rs);
/* restore-letgo.c */
/* Every process goes on at once, or none remains (even if ckpt dies
 * meanwhile); the stopped ones stop again. */
int let_go(struct restore *rs);

/* restore-tree.c */
/* Create every process of the plan. Returns with each live one stopped
 * and traced by us, and every zombie and helper dead. */
int tree_spawn(struct restore *rs);
/* After a failure: kill whatever was created and reap it. */
void tree_kill(struct restore *rs);

#endif
