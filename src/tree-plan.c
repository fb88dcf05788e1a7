// SPDX-License-Identifier: GPL-2.0
/*
 * Who creates whom when a tree is restored (see tree.h).
 *
 * A process X with parent P gets its session in one of these ways:
 *   - X led its session: P clones it, X calls setsid();
 *   - X is in P's session: P clones it after P's own setsid(), if any;
 *   - X is in the session P was born in, which P left: P clones it before
 *     calling setsid();
 *   - X is in a session whose leader has exited: a helper with the
 *     leader's pid, cloned by P, calls setsid() and clones X with
 *     CLONE_PARENT, so that X is still P's child.
 * Groups are joined once every process exists: a group whose leader has
 * exited gets a helper with the leader's pid that creates it (a helper
 * that exits stays a zombie until reaped, and keeps its group alive).
 */
#include "tree.h"

#include "util.h"

#include <stdarg.h>
#include <string.h>

struct planner {
	const struct tree_node *nodes;
	size_t nr_nodes;
	struct plan *plan;
	size_t cap;
	int *birth_sid; /* per plan entry: its session when it is created */
	int *sid; /* per plan entry: its session once set up */
	int out_sid, out_pgid; /* the root's when outside the tree, else 0 */
	char *err;
	size_t err_len;
};

static __attribute__((format(printf, 3, 4))) int refuse(struct planner *pl, int r, const char *fmt,
							...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pl->err, pl->err_len, fmt, ap);
	va_end(ap);
	return r;
}

static int node_index(const struct planner *pl, int pid)
{
	for (size_t i = 0; i < pl->nr_nodes; i++)
		if (pl->nodes[i].pid == pid)
			return (int)i;
	return -1;
}

static int plan_index(const struct planner *pl, int pid)
{
	for (size_t i = 0; i < pl->plan->nr; i++)
		if (pl->plan->procs[i].pid == pid)
			return (int)i;
	return -1;
}

/* Append an entry; returns its index (entries move: hold indices only). */
static int add(struct planner *pl, int pid, enum plan_role role, int node)
{
	struct plan *p = pl->plan;
	struct plan_proc *e;

	if (p->nr == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 16;
		p->procs = xrealloc(p->procs, pl->cap * sizeof(*p->procs));
		pl->birth_sid = xrealloc(pl->birth_sid, pl->cap * sizeof(int));
		pl->sid = xrealloc(pl->sid, pl->cap * sizeof(int));
	}
	e = &p->procs[p->nr];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->role = role;
	e->node = node;
	e->creator = -1;
	e->pgid = pid;
	pl->birth_sid[p->nr] = 0;
	pl->sid[p->nr] = 0;
	return (int)p->nr++;
}

static int plan_root(struct planner *pl)
{
	const struct tree_node *r = &pl->nodes[0];
	int i = add(pl, r->pid, PLAN_LIVE, 0);
	struct plan_proc *e = &pl->plan->procs[i];

	if (r->zombie)
		return refuse(pl, -EINVAL, "the root %d is a zombie", r->pid);
	if (r->sid == r->pid) {
		e->setsid = true;
		if (r->pgid != r->pid)
			return refuse(pl, -EINVAL, "process %d leads its session but not its group",
				      r->pid);
	} else {
		pl->out_sid = r->sid;
		if (r->pgid == r->pid)
			e->setpgid_self = true;
		else
			pl->out_pgid = r->pgid;
	}
	e->pgid = r->pgid == r->pid ? r->pid : PLAN_CALLER_PGID;
	pl->birth_sid[i] = pl->out_sid;
	pl->sid[i] = r->sid;
	return 0;
}

/* A helper leading the exited session @sid, cloned by @parent. */
static int session_helper(struct planner *pl, int sid, int parent)
{
	int h = plan_index(pl, sid);

	if (h < 0) {
		h = add(pl, sid, PLAN_HELPER, -1);
		pl->plan->procs[h].creator = parent;
		pl->plan->procs[h].setsid = true;
		pl->birth_sid[h] = pl->sid[parent];
		pl->sid[h] = sid;
		return h;
	}
	if (pl->plan->procs[h].role != PLAN_HELPER || !pl->plan->procs[h].setsid ||
	    pl->plan->procs[h].creator != parent)
		return refuse(
			pl, -EOPNOTSUPP,
			"session %d (its leader has exited) holds processes of different parents",
			sid);
	return h;
}

static int plan_session(struct planner *pl, int i, int parent)
{
	const struct tree_node *x = &pl->nodes[pl->plan->procs[i].node];
	struct plan_proc *e = &pl->plan->procs[i];
	const struct plan_proc *p = &pl->plan->procs[parent];

	e->creator = parent;
	pl->birth_sid[i] = pl->sid[parent];
	if (x->sid == x->pid) {
		e->setsid = true;
		if (x->pgid != x->pid)
			return refuse(pl, -EINVAL, "process %d leads its session but not its group",
				      x->pid);
	} else if (x->sid == pl->sid[parent]) {
		/* born in its parent's session */
	} else if (p->setsid && pl->birth_sid[parent] && x->sid == pl->birth_sid[parent]) {
		e->before_setsid = true;
		pl->birth_sid[i] = x->sid;
	} else if (node_index(pl, x->sid) < 0 && x->sid != pl->out_sid) {
		int h = session_helper(pl, x->sid, parent);

		if (h < 0)
			return h;
		e = &pl->plan->procs[i];
		e->creator = h;
		e->clone_parent = true;
		pl->birth_sid[i] = x->sid;
	} else {
		return refuse(
			pl, -EOPNOTSUPP,
			"process %d is in session %d, which its parent %d (in session %d) cannot give it",
			x->pid, x->sid, p->pid, pl->sid[parent]);
	}
	pl->sid[i] = x->sid;
	return 0;
}

/* A helper leading the exited group @pgid, born where process @i is. */
static int group_helper(struct planner *pl, int i, int pgid)
{
	int h = add(pl, pgid, PLAN_HELPER, -1);
	struct plan_proc *g = &pl->plan->procs[h];
	const struct plan_proc *e = &pl->plan->procs[i];

	g->creator = e->creator;
	g->clone_parent = e->clone_parent;
	g->before_setsid = e->before_setsid;
	g->setpgid_self = true;
	pl->birth_sid[h] = pl->birth_sid[i];
	pl->sid[h] = pl->sid[i];
	return h;
}

static int plan_group(struct planner *pl, int i)
{
	const struct tree_node *x = &pl->nodes[pl->plan->procs[i].node];
	struct plan_proc *e = &pl->plan->procs[i];
	int j;

	if (x->pgid == x->pid) {
		e->setpgid_self = !e->setsid;
		e->pgid = x->pid;
		return 0;
	}
	e->pgid = x->pgid;
	if (pl->out_pgid && x->pgid == pl->out_pgid) {
		if (x->sid != pl->out_sid)
			return refuse(pl, -EINVAL, "group %d spans two sessions", x->pgid);
		e->pgid = PLAN_CALLER_PGID;
		return 0;
	}
	j = node_index(pl, x->pgid);
	if (j >= 0) {
		if (pl->nodes[j].sid != x->sid)
			return refuse(pl, -EINVAL, "group %d spans two sessions", x->pgid);
		return 0;
	}
	j = plan_index(pl, x->pgid);
	if (j >= 0) {
		if (pl->sid[j] != x->sid)
			return refuse(pl, -EINVAL, "group %d spans two sessions", x->pgid);
		return 0;
	}
	j = group_helper(pl, i, x->pgid);
	return j < 0 ? j : 0;
}

/* Entry @n for node @n: the plan lists the dumped processes first, in tree order. */
static int add_node(struct planner *pl, size_t n)
{
	const struct tree_node *x = &pl->nodes[n];
	int parent = node_index(pl, x->ppid);
	int i;

	if (parent < 0 || (size_t)parent >= n)
		return refuse(pl, -EINVAL,
			      "the parent %d of process %d is not before it in the tree", x->ppid,
			      x->pid);
	if (pl->nodes[parent].zombie)
		return refuse(pl, -EINVAL, "process %d has a zombie parent %d", x->pid, x->ppid);
	if (plan_index(pl, x->pid) >= 0)
		return refuse(pl, -EINVAL, "pid %d appears twice", x->pid);
	i = add(pl, x->pid, x->zombie ? PLAN_ZOMBIE : PLAN_LIVE, (int)n);
	pl->plan->procs[i].exit_status = x->exit_status;
	return 0;
}

static int plan_node(struct planner *pl, size_t n)
{
	int r = plan_session(pl, (int)n, node_index(pl, pl->nodes[n].ppid));

	return r < 0 ? r : plan_group(pl, (int)n);
}

int tree_plan(const struct tree_node *nodes, size_t nr, struct plan *ret, char *err, size_t err_len)
{
	struct planner pl = {
		.nodes = nodes, .nr_nodes = nr, .plan = ret, .err = err, .err_len = err_len
	};
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!nr)
		return refuse(&pl, -EINVAL, "the tree is empty");
	r = plan_root(&pl);
	for (size_t n = 1; n < nr && r >= 0; n++)
		r = add_node(&pl, n);
	/* Helpers are appended after every node. */
	for (size_t n = 1; n < nr && r >= 0; n++)
		r = plan_node(&pl, n);
	free(pl.birth_sid);
	free(pl.sid);
	if (r < 0)
		plan_release(ret);
	return r;
}

void plan_release(struct plan *p)
{
	free(p->procs);
	p->procs = NULL;
	p->nr = 0;
}
