// SPDX-License-Identifier: GPL-2.0
/*
 * The process tree: freezing it for a dump (see tree.h), and pstree.img.
 */
#include "tree.h"

#include "fault.h"
#include "imgdir.h"
#include "ns.h"
#include "proc.h"
#include "util.h"

#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>

struct tree_proc *tree_find(struct tree *t, int pid)
{
	for (size_t i = 0; i < t->nr; i++)
		if (t->procs[i].node.pid == pid)
			return &t->procs[i];
	return NULL;
}

static struct tree_proc *tree_add(struct tree *t, const struct proc_stat *st, struct proc_ns *ns)
{
	struct tree_proc *p;

	t->procs = xrealloc(t->procs, (t->nr + 1) * sizeof(*t->procs));
	p = &t->procs[t->nr++];
	memset(p, 0, sizeof(*p));
	p->ns = ns;
	p->node.pid = st->pid;
	p->node.ppid = st->ppid;
	p->node.pgid = st->pgid;
	p->node.sid = st->sid;
	snprintf(p->node.comm, sizeof(p->node.comm), "%s", st->comm);
	return p;
}

static void mark_zombie(struct tree_proc *p, const struct proc_stat *st)
{
	p->node.zombie = true;
	p->node.exit_status = st->exit_code;
}

/* Why @pid cannot be seized, in words. */
static int seize_failed(int pid, const struct proc_stat *st, int r)
{
	struct proc_status status;

	if (r == -EPERM && proc_read_status(pid, &status) == 0 && status.tracer_pid) {
		free(status.groups);
		return pr_fail(-EBUSY, "cannot dump: process %d ('%s') is being traced by %d", pid,
			       st->comm, status.tracer_pid);
	}
	return pr_errno(r, "cannot dump: cannot seize process %d ('%s')", pid, st->comm);
}

/*
 * Add @pid, a child of @ppid (0 for the root) that we have not seen yet,
 * frozen, or as a zombie. A process that is already gone is skipped.
 */
static int tree_take(struct tree *t, int pid, int ppid)
{
	struct proc_stat st;
	struct tree_proc *p, *parent = ppid ? tree_find(t, ppid) : NULL;
	struct proc_ns *ns = NULL;
	int r;

	r = proc_read_stat(pid, &st);
	if (r == -ENOENT || (r == 0 && ppid && st.ppid != ppid))
		return 0; /* exited and reaped, or its pid reused */
	if (r < 0)
		return pr_errno(r, "cannot dump: cannot read /proc/%d/stat", pid);
	if (pid == getpid())
		return pr_fail(-EINVAL, "cannot dump: ckpt itself (%d) is in the tree", pid);
	/* Namespaces the tree cannot have: refused before it is seized. */
	r = ns_take(t, pid, ppid ?: st.ppid, st.comm, parent ? parent->ns : NULL, &ns);
	if (r < 0)
		return r;
	p = tree_add(t, &st, ns);
	if (st.state == 'Z' || st.state == 'X') {
		mark_zombie(p, &st);
		return 0;
	}
	r = FAULT_OR(dump_seize, -EPERM, seize_threads(pid, &p->threads, &p->nr_threads));
	if (r >= 0) {
		for (size_t i = 0; i < p->nr_threads; i++)
			p->node.stop_sig = p->node.stop_sig ?: p->threads[i].stop_sig;
		return 0;
	}
	/* It may have exited meanwhile: then it is a zombie now. */
	if (proc_read_stat(pid, &st) == 0 && (st.state == 'Z' || st.state == 'X')) {
		thaw_threads(p->threads, p->nr_threads);
		free(p->threads);
		p->threads = NULL;
		p->nr_threads = 0;
		mark_zombie(p, &st);
		return 0;
	}
	return seize_failed(pid, &st, r);
}

/* Children of every thread of process @i not in the tree yet. */
static int take_children(struct tree *t, size_t i, bool *found_new)
{
	int pid = t->procs[i].node.pid;
	_cleanup_free_ int *tids = NULL;
	size_t nr_tids;
	int r;

	if (t->procs[i].node.zombie)
		return 0;
	r = proc_list_threads(pid, &tids, &nr_tids);
	if (r < 0)
		return pr_errno(r, "cannot dump: cannot list the threads of %d", pid);
	for (size_t k = 0; k < nr_tids; k++) {
		_cleanup_free_ int *kids = NULL;
		size_t nr_kids;

		r = proc_list_children(pid, tids[k], &kids, &nr_kids);
		if (r == -ENOENT)
			continue; /* a thread that exited before we froze it */
		if (r < 0)
			return pr_errno(r, "cannot dump: cannot list the children of %d", pid);
		for (size_t c = 0; c < nr_kids && r >= 0; c++) {
			if (tree_find(t, kids[c]))
				continue;
			*found_new = true;
			r = tree_take(t, kids[c], pid);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int tree_seize(int root, struct tree *t)
{
	bool found_new = true;
	int r;

	memset(t, 0, sizeof(*t));
	r = tree_take(t, root, 0);
	if (r >= 0 && !t->nr)
		r = pr_fail(-ESRCH, "cannot dump %d: no such process", root);
	/* A frozen process cannot fork, but an orphan may still be handed to a
	 * subreaper of the tree while we go: read the lists until they settle.
	 * A child is taken while its parent is frozen, so parents come first. */
	while (r >= 0 && found_new) {
		found_new = false;
		for (size_t i = 0; i < t->nr && r >= 0; i++)
			r = take_children(t, i, &found_new);
	}
	if (r >= 0)
		r = ns_tree_check(t);
	if (r < 0)
		tree_thaw(t);
	return r;
}

void tree_thaw(struct tree *t)
{
	for (size_t i = 0; i < t->nr; i++)
		thaw_threads(t->procs[i].threads, t->procs[i].nr_threads);
}

void tree_release(struct tree *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		free(t->procs[i].threads);
		free(t->procs[i].ns);
	}
	free(t->procs);
	t->procs = NULL;
	t->nr = 0;
}

/* ---- pstree.img as read ---- */

#define PROCS_MAX 65536
#define PID_NR_MAX 4194304 /* PID_MAX_LIMIT on 64-bit */

int pstree_check(const PstreeEntry *pe, uint32_t root_pid, uint32_t nr_tasks)
{
	if (!pe->n_procs || pe->n_procs > PROCS_MAX || pe->n_procs != nr_tasks ||
	    pe->procs[0]->pid != root_pid)
		return img_inconsistent(IMG_PSTREE, 0, "%zu processes, root %u", pe->n_procs,
					pe->n_procs ? pe->procs[0]->pid : 0);
	for (size_t i = 0; i < pe->n_procs; i++) {
		const ProcessEntry *p = pe->procs[i];

		if (!p->pid || p->pid >= PID_NR_MAX || p->ppid >= PID_NR_MAX ||
		    p->pgid >= PID_NR_MAX || p->sid >= PID_NR_MAX)
			return img_inconsistent(IMG_PSTREE, 0, "process %zu: pid %u", i, p->pid);
		if (p->stop_signal > 64 || (p->comm && !str_fits(p->comm, 15)))
			return img_inconsistent(IMG_PSTREE, 0, "process %u: stop signal or comm",
						p->pid);
	}
	return 0;
}
