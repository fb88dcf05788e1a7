/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_TREE_H
#define CKPT_TREE_H
/*
 * The process tree.
 *
 * Dump: tree_seize() freezes the root and everything below it. A process
 * is frozen (every thread) before its children are listed, so it cannot
 * fork behind our back; a child that exits meanwhile is found as a zombie,
 * and the lists are read again until a pass finds nothing new (an orphan
 * may be reparented to a subreaper in the tree while we go).
 *
 * Restore: the kernel only lets a process be created by its parent (or by
 * a sibling, with CLONE_PARENT), in its creator's session, and join a
 * process group of its own session. tree_plan() works out from the dumped
 * pids, ppids, pgids and sids who creates whom and in which order, adding
 * short-lived helper processes in place of session and group leaders that
 * had exited. It is pure: unit tests run it on made-up trees.
 */
#include <stdbool.h>
#include <stddef.h>

#include "pstree.pb-c.h"
#include "seize.h"

struct tree_node {
	int pid, ppid, pgid, sid;
	bool zombie;
	int exit_status; /* zombie: its wait status */
	int stop_sig; /* group-stopped by this signal at the dump, or 0 */
	char comm[64];
};

struct proc_ns;

struct tree_proc {
	struct tree_node node;
	struct proc_ns *ns; /* what it is in (ns.h) */
	struct seized_task *threads; /* leader first; none for a zombie */
	size_t nr_threads;
};

struct tree {
	struct tree_proc *procs; /* the root first, every parent before its children */
	size_t nr;
};

/* Freeze the tree rooted at @root. On failure, logs why and thaws what
 * it had seized: the tree runs on untouched. */
int tree_seize(int root, struct tree *t);
/* Detach from every thread; group-stopped processes stay stopped. */
void tree_thaw(struct tree *t);
void tree_release(struct tree *t);
/* Processes of the tree, zombies included. */
struct tree_proc *tree_find(struct tree *t, int pid);

/* ---- restore plan ---- */

enum plan_role {
	PLAN_LIVE, /* a process that runs again */
	PLAN_ZOMBIE, /* dies again at once, with its dumped status */
	PLAN_HELPER, /* stands in for an exited session or group leader */
};

#define PLAN_CALLER_PGID (-1) /* the process group of `ckpt restore` */

struct plan_proc {
	int pid;
	enum plan_role role;
	int node; /* index in the dumped tree; -1 for a helper */
	int creator; /* index in the plan of the process that clones it; -1: ckpt */
	bool clone_parent; /* cloned with CLONE_PARENT: its creator's sibling */
	bool before_setsid; /* cloned before its creator calls setsid() */
	bool setsid; /* calls setsid(): leads its session and group */
	bool setpgid_self; /* calls setpgid(0, 0) */
	int pgid; /* group it joins once every group exists (pid or PLAN_CALLER_PGID) */
	int exit_status; /* PLAN_ZOMBIE: the wait status to die with */
};

struct plan {
	struct plan_proc *procs; /* the dumped processes in tree order, then helpers */
	size_t nr;
};

/*
 * @nodes[0] is the root; every parent comes before its children. A root
 * that led neither its session nor its group is restored into the caller's
 * (what `criu --shell-job` does). Returns -EOPNOTSUPP with a reason in
 * @err for a layout the kernel gives no way to rebuild, -EINVAL for one
 * that cannot exist.
 */
int tree_plan(const struct tree_node *nodes, size_t nr, struct plan *ret, char *err,
	      size_t err_len);
void plan_release(struct plan *p);

/* pstree.img as read: bounded, pids in range, the root first; logs why
 * not. */
int pstree_check(const PstreeEntry *pe, uint32_t root_pid, uint32_t nr_tasks);

#endif
