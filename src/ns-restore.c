// SPDX-License-Identifier: GPL-2.0
/*
 * Namespaces of the tree at restore (see ns.h): ns.img read and checked,
 * who makes which namespace, the pids each process has inside, and the
 * kinds' hooks called in order.
 */
#include "ns.h"

#include "fault.h"
#include "imgdir.h"
#include "proc.h"
#include "restore.h"
#include "util.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>

#define PID_NR_MAX 4194304 /* PID_MAX_LIMIT on 64-bit */
#define NS_MAX 4096

/* The restore under way, for ns_pid_seen_by() and ns_own_pid(). */
static const struct restore *cur_rs;

struct ns_state {
	NsTreeEntry *img;
	struct ns_restore *ns; /* img->ns's order */
	size_t nr;
	const NsProcEntry **of; /* per plan entry; NULL for a helper */
	int *depth; /* per namespace: a pid namespace's depth below ckpt's */
	int *up; /* per namespace: a pid namespace's parent (index), -1: ckpt's */
	bool *prepared;
	const NsProcEntry **by_pid; /* img->procs sorted by pid */
};

/* user first: the others belong to it; mnt last: it changes what the
 * owner sees of the filesystem. */
static const enum ns_kind restore_order[NS_KINDS] = {
	NS_USER, NS_PID, NS_UTS, NS_IPC, NS_TIME, NS_CGROUP, NS_NET, NS_MNT,
};

static const NsProcEntry *entry_of(const struct restore *rs, size_t i)
{
	return rs->ns && i < rs->nr ? rs->ns->of[i] : NULL;
}

static int ns_index(const struct ns_state *st, enum ns_kind k, uint32_t id)
{
	for (size_t n = 0; n < st->nr; n++)
		if (st->ns[n].kind == k && st->ns[n].id == id)
			return (int)n;
	return -1;
}

static uint32_t ns_of(const NsProcEntry *e, enum ns_kind k)
{
	return e && (size_t)k < e->n_ns ? e->ns[k] : 0;
}

/* ---- loading ---- */

#define bad(...) img_inconsistent(IMG_NS, 0, __VA_ARGS__)

static int cmp_entry_pid(const void *a, const void *b)
{
	uint32_t x = (*(const NsProcEntry *const *)a)->pid,
		 y = (*(const NsProcEntry *const *)b)->pid;

	return x < y ? -1 : x > y;
}

/* The entry of @pid (by_pid: the entries sorted by pid). */
static const NsProcEntry *proc_by_pid(const struct ns_state *st, uint32_t pid)
{
	NsProcEntry key = { .pid = pid }, *k = &key;
	const NsProcEntry **e =
		bsearch(&k, st->by_pid, st->img->n_procs, sizeof(*st->by_pid), cmp_entry_pid);

	return e ? *e : NULL;
}

/* Every process's namespaces against its parent's: it lives in its
 * parent's, or makes the one it is in. */
static int check_procs(struct restore *rs, struct ns_state *st)
{
	const NsTreeEntry *te = st->img;
	const PstreeEntry *ps = rs->pstree;

	if (te->n_procs != ps->n_procs)
		return bad("%u processes, pstree has %u", (uint32_t)te->n_procs,
			   (uint32_t)ps->n_procs);
	for (size_t j = 0; j < te->n_procs; j++) {
		const NsProcEntry *e = te->procs[j], *parent = NULL;

		if (e->pid != ps->procs[j]->pid || e->n_ns > NS_KINDS)
			return bad("process %u: pid or kinds (%u)", e->pid, (uint32_t)e->n_ns);
		if (j)
			parent = proc_by_pid(st, ps->procs[j]->ppid);
		for (int k = 0; k < NS_KINDS; k++) {
			uint32_t id = ns_of(e, k);
			int n = id ? ns_index(st, k, id) : -1;

			if (id && n < 0)
				return bad("process %u: a namespace %u not listed", e->pid, id);
			if (!id || ns_of(parent, k) == id)
				continue;
			if (st->ns[n].owner < 0 ||
			    rs->procs[st->ns[n].owner].pp->pid != (int)e->pid)
				return bad(
					"process %u: in namespace %u, neither its parent's nor its own",
					e->pid, id);
		}
	}
	return 0;
}

/* The owner of each namespace: one process of the plan, in it. */
static int find_owners(struct restore *rs, struct ns_state *st)
{
	for (size_t n = 0; n < st->nr; n++) {
		const NsEntry *ne = st->img->ns[n];

		if (ne->kind >= NS_KINDS || !ne->id || !ne->owner)
			return bad("namespace %u: kind %u", ne->id, ne->kind);
		if (!ns_ops_of(ne->kind))
			return pr_fail(
				-EOPNOTSUPP,
				"cannot restore: the images hold a %s namespace, which this ckpt does not restore",
				ns_kind_name(ne->kind));
		if (ns_index(st, ne->kind, ne->id) >= 0)
			return bad("namespace %u listed twice (kind %u)", ne->id, ne->kind);
		st->ns[n] = (struct ns_restore){ .kind = ne->kind, .id = ne->id, .owner = -1 };
		for (size_t i = 0; i < rs->nr; i++)
			if (rs->procs[i].pe && rs->procs[i].pp->pid == (int)ne->owner)
				st->ns[n].owner = (int)i;
		if (st->ns[n].owner < 0)
			return bad("namespace %u: owner %u not in the tree", ne->id, ne->owner);
		if (ns_of(st->of[st->ns[n].owner], ne->kind) != ne->id)
			return bad("namespace %u: its owner %u is not in it", ne->id, ne->owner);
		if (rs->procs[st->ns[n].owner].pe->zombie)
			return bad("namespace %u: its owner %u is a zombie", ne->id, ne->owner);
	}
	return 0;
}

/*
 * A set root does not trust (a user's) gets namespaces only inside a user
 * namespace of its own: ckpt would otherwise make, as root, namespaces
 * its user cannot (owned by the initial user namespace).
 */
static int check_trust(const struct restore *rs, const struct ns_state *st)
{
	bool user = false;

	if (rs->trust.trusted)
		return 0;
	for (size_t n = 0; n < st->nr; n++)
		user |= st->ns[n].kind == NS_USER;
	if (user || !st->nr)
		return 0;
	return pr_fail(
		-EPERM,
		"cannot restore: the image set is not root's: its %s namespace (of process %d) would be made by root, not in a user namespace of its own",
		ns_kind_name(st->ns[0].kind), rs->procs[st->ns[0].owner].pp->pid);
}

struct level_pid {
	int ns; /* index, -1: ckpt's */
	uint32_t pid;
};

static int cmp_level_pid(const void *a, const void *b)
{
	const struct level_pid *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The pid namespace at depth @level of the one at index @n. */
static int pidns_at(const struct ns_state *st, int n, int level)
{
	while (n >= 0 && st->depth[n] > level)
		n = st->up[n];
	return n;
}

/* The pids of one process or thread: one per level of its pid namespace,
 * in range, its first the one pstree (or core) has. Each level's pid is
 * added to @lp, to be checked for twins. */
static int check_nspid(const struct ns_state *st, const uint32_t *nspid, size_t nr, int n,
		       uint32_t pid, bool init, struct level_pid *lp, size_t *nr_lp)
{
	int depth = n < 0 ? 0 : st->depth[n];

	if (nr != (size_t)depth + 1 || nspid[0] != pid)
		return bad("pid %u: %u levels", pid, (uint32_t)nr);
	for (size_t l = 0; l < nr; l++) {
		if (!nspid[l] || nspid[l] >= PID_NR_MAX)
			return bad("pid %u: pid %u inside", pid, nspid[l]);
		lp[(*nr_lp)++] = (struct level_pid){ pidns_at(st, n, (int)l), nspid[l] };
	}
	if (depth && init != (nspid[nr - 1] == 1))
		return bad("pid %u: pid %u in its own namespace", pid, nspid[nr - 1]);
	return 0;
}

/* Pid namespaces nest as the processes that make them: depth, parent. */
static int check_pids(struct restore *rs, struct ns_state *st)
{
	const NsTreeEntry *te = st->img;
	_cleanup_free_ struct level_pid *lp = NULL;
	size_t nr_lp = 0, max_lp = 0;
	int r = 0;

	for (size_t n = 0; n < st->nr; n++) {
		const NsProcEntry *parent;
		int up;

		st->up[n] = -1;
		if (st->ns[n].kind != NS_PID)
			continue;
		/* Parents come first: the parent's namespace is placed. */
		parent = st->ns[n].owner ? proc_by_pid(st, rs->procs[st->ns[n].owner].pe->ppid)
					 : NULL;
		up = ns_of(parent, NS_PID) ? ns_index(st, NS_PID, ns_of(parent, NS_PID)) : -1;
		if (up >= (int)n)
			return bad("pid namespace %u: made before its parent", st->ns[n].id);
		st->up[n] = up;
		st->depth[n] = (up < 0 ? 0 : st->depth[up]) + 1;
		if (st->depth[n] >= NS_LEVELS_MAX)
			return bad("pid namespace %u: %u deep", st->ns[n].id,
				   (uint32_t)st->depth[n]);
	}
	for (size_t j = 0; j < te->n_procs; j++)
		max_lp += te->procs[j]->n_nspid + te->procs[j]->n_thread_nspid;
	lp = xmalloc((max_lp + 1) * sizeof(*lp));
	for (size_t i = 0; i < rs->nr && r >= 0; i++) {
		const NsProcEntry *e = st->of[i];
		const TaskCoreEntry *core = rs->procs[i].core;
		size_t threads = core ? core->n_threads : 1;
		uint32_t id;
		int n;

		if (!e)
			continue;
		id = ns_of(e, NS_PID);
		n = id ? ns_index(st, NS_PID, id) : -1;
		r = check_nspid(st, e->nspid, e->n_nspid, n, e->pid,
				n >= 0 && st->ns[n].owner == (int)i, lp, &nr_lp);
		if (r >= 0 && e->n_thread_nspid != (threads - 1) * e->n_nspid)
			r = bad("process %u: %u thread pids", e->pid, (uint32_t)e->n_thread_nspid);
		for (size_t t = 1; r >= 0 && t < threads; t++)
			r = check_nspid(st, e->thread_nspid + (t - 1) * e->n_nspid, e->n_nspid, n,
					core->threads[t]->tid, false, lp, &nr_lp);
		if (r >= 0 && e->has_pid_for_children &&
		    ns_index(st, NS_PID, e->pid_for_children) < 0)
			r = bad("process %u: pid_for_children %u", e->pid, e->pid_for_children);
	}
	if (r < 0)
		return r;
	qsort(lp, nr_lp, sizeof(*lp), cmp_level_pid);
	for (size_t k = 1; k < nr_lp; k++)
		if (!cmp_level_pid(&lp[k - 1], &lp[k]))
			return bad("pid %u twice in one namespace (%u)", lp[k].pid,
				   (uint32_t)lp[k].ns);
	return 0;
}

/* What the kernel lets a creator do (see tree-plan.c): a helper stands
 * in for an exited leader by its pid alone; CLONE_PARENT cannot make or
 * be made by the init of a pid namespace. */
static int check_plan(struct restore *rs, struct ns_state *st)
{
	for (size_t i = 0; i < rs->nr; i++) {
		const struct plan_proc *pp = rs->procs[i].pp;
		const NsProcEntry *creator = pp->creator >= 0 ? st->of[pp->creator] : NULL;
		uint32_t pidns = ns_of(st->of[i], NS_PID);
		int n = pidns ? ns_index(st, NS_PID, pidns) : -1;
		bool init = n >= 0 && st->ns[n].owner == (int)i;

		if (pp->role == PLAN_HELPER && ns_of(creator, NS_PID))
			return pr_fail(
				-EOPNOTSUPP,
				"cannot restore: a session or group leader that exited inside a pid namespace (%d) cannot be stood in for",
				pp->pid);
		if (pp->clone_parent &&
		    (init || ns_of(creator, NS_PID) != pidns ||
		     (pidns && st->ns[ns_index(st, NS_PID, pidns)].owner == pp->creator)))
			return pr_fail(
				-EOPNOTSUPP,
				"cannot restore: process %d must be made by a sibling across a pid namespace's init (not supported)",
				pp->pid);
	}
	return 0;
}

int ns_load(struct restore *rs)
{
	struct ns_state *st;
	int r;

	cur_rs = rs;
	if (faccessat(rs->dirfd, img_kinds[IMG_NS].name_fmt, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT)
		return 0; /* a tree in ckpt's namespaces */
	st = rs->ns = xzalloc(sizeof(*st));
	r = img_read_msg(rs->dirfd, IMG_NS, 0, &ns_tree_entry__descriptor,
			 (ProtobufCMessage **)&st->img);
	if (r < 0)
		return pr_fail(r, "cannot restore: cannot read image '%s': %s",
			       img_kinds[IMG_NS].name_fmt, img_strerror(r));
	if (st->img->n_ns > NS_MAX)
		return bad("%zu namespaces", st->img->n_ns);
	st->nr = st->img->n_ns;
	st->ns = xzalloc((st->nr + 1) * sizeof(*st->ns));
	st->depth = xzalloc((st->nr + 1) * sizeof(*st->depth));
	st->up = xzalloc((st->nr + 1) * sizeof(*st->up));
	st->prepared = xzalloc((st->nr + 1) * sizeof(*st->prepared));
	st->of = xzalloc((rs->nr + 1) * sizeof(*st->of));
	st->by_pid = xmalloc((st->img->n_procs + 1) * sizeof(*st->by_pid));
	for (size_t j = 0; j < st->img->n_procs; j++)
		st->by_pid[j] = st->img->procs[j];
	qsort(st->by_pid, st->img->n_procs, sizeof(*st->by_pid), cmp_entry_pid);
	for (size_t i = 0; i < rs->nr; i++)
		if (rs->procs[i].pp->node >= 0 && (size_t)rs->procs[i].pp->node < st->img->n_procs)
			st->of[i] = st->img->procs[rs->procs[i].pp->node];
	r = find_owners(rs, st);
	if (r >= 0)
		r = check_trust(rs, st);
	if (r >= 0)
		r = check_procs(rs, st);
	if (r >= 0)
		r = check_pids(rs, st);
	if (r >= 0)
		r = check_plan(rs, st);
	for (size_t n = 0; n < st->nr && r >= 0; n++) {
		const struct ns_ops *ops = ns_ops_of(st->ns[n].kind);

		r = ops->prepare ? ops->prepare(rs, &st->ns[n]) : 0;
		st->prepared[n] = r >= 0;
	}
	return r;
}

void ns_release_all(struct restore *rs)
{
	struct ns_state *st = rs->ns;

	if (cur_rs == rs)
		cur_rs = NULL;
	if (!st)
		return;
	for (size_t n = 0; n < st->nr; n++) {
		const struct ns_ops *ops = ns_ops_of(st->ns[n].kind);

		if (st->prepared[n] && ops->release)
			ops->release(&st->ns[n]);
	}
	if (st->img)
		protobuf_c_message_free_unpacked(&st->img->base, NULL);
	free(st->ns);
	free(st->depth);
	free(st->up);
	free(st->prepared);
	free(st->of);
	free(st->by_pid);
	free(st);
	rs->ns = NULL;
}

/* ---- creating the processes ---- */

int ns_clone_flags(const struct restore *rs, size_t i)
{
	int flags = 0;

	for (size_t n = 0; rs->ns && n < rs->ns->nr; n++)
		if (rs->ns->ns[n].owner == (int)i)
			flags |= ns_ops_of(rs->ns->ns[n].kind)->clone_flag;
	return flags;
}

/* The innermost @max of the @nr pids of @nspid (ckpt's level first), innermost first. */
static int set_tid_of(const uint32_t *nspid, size_t nr, int32_t *tids, size_t max)
{
	if (max > NS_LEVELS_MAX)
		return -E2BIG;
	for (size_t l = 0; l < max && l < nr; l++)
		tids[l] = (int32_t)nspid[nr - 1 - l];
	return (int)MIN(nr, max);
}

/* Process @i lives in a user namespace of the images (one the restore makes). */
static bool in_own_userns(const struct restore *rs, int i)
{
	return i >= 0 && ns_of(entry_of(rs, (size_t)i), NS_USER) != 0;
}

/*
 * How many of the @nr levels of process @i's pids (innermost first) a
 * process made by @creator (-1: ckpt) can be given. The kernel wants
 * CAP_CHECKPOINT_RESTORE in the user namespace that owns each level's pid
 * namespace: a creator inside a user namespace of the tree has it only in
 * the pid namespaces that namespace owns (those whose init lives in it),
 * never at ckpt's level. The levels outside are whatever the host gives
 * (ns_host_pid()).
 */
static size_t settable_levels(const struct restore *rs, size_t i, int creator, size_t nr)
{
	const struct ns_state *st = rs->ns;
	uint32_t id = ns_of(entry_of(rs, i), NS_PID);
	int n = id ? ns_index(st, NS_PID, id) : -1;
	size_t k = 0;

	if (!in_own_userns(rs, creator))
		return nr;
	for (int l = (int)nr - 1; l >= 0; l--, k++) {
		int m = pidns_at(st, n, l);

		if (m < 0 || !in_own_userns(rs, st->ns[m].owner))
			break;
	}
	return k;
}

bool ns_host_given(const struct restore *rs, size_t i)
{
	const NsProcEntry *e = entry_of(rs, i);

	return e && settable_levels(rs, i, rs->procs[i].pp->creator, e->n_nspid) < e->n_nspid;
}

/* The NSpid of the process ckpt sees as @pid, and its parent. */
static int read_nspid_ppid(int pid, int *nspid, int *nr, int *ppid)
{
	struct proc_status ps;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	r = read_nspid_file(path, nspid, nr);
	if (r < 0)
		return r;
	r = proc_read_status(pid, &ps);
	if (r < 0)
		return r;
	free(ps.groups);
	*ppid = ps.ppid;
	return ps.tracer_pid == getpid() ? 0 : -ESRCH;
}

int ns_host_adopt(struct restore *rs, int pid)
{
	int nspid[NS_LEVELS_MAX], nr = 0, ppid = 0, r;

	r = read_nspid_ppid(pid, nspid, &nr, &ppid);
	if (r < 0)
		return r;
	for (size_t j = 0; j < rs->nr; j++) {
		struct restore_proc *rp = &rs->procs[j];
		const NsProcEntry *e = entry_of(rs, j);
		size_t set;
		bool same = true;

		if (!rp->host_given || rp->host || !e || e->n_nspid != (size_t)nr ||
		    rp->parent < 0 || proc_host(&rs->procs[rp->parent]) != ppid)
			continue;
		set = settable_levels(rs, j, rp->pp->creator, e->n_nspid);
		for (size_t l = 0; l < set; l++)
			same &= e->nspid[nr - 1 - l] == (uint32_t)nspid[nr - 1 - l];
		if (!same)
			continue;
		/* Another process took its pid first: its creator kills this
		 * one and makes it again. */
		if (ns_host_exact(rs, j) && pid != rp->pp->pid)
			return -EAGAIN;
		rp->host = pid;
		return (int)j;
	}
	return -ESRCH;
}

bool ns_host_exact(const struct restore *rs, size_t j)
{
	const NsProcEntry *e = entry_of(rs, j);
	int parent = rs->procs[j].parent;

	if (!e || !ns_host_given(rs, j) || parent < 0)
		return false;
	return (size_t)ns_pid_level(rs, (size_t)parent) +
		       settable_levels(rs, j, rs->procs[j].pp->creator, e->n_nspid) <
	       e->n_nspid;
}

int ns_host_pid(int pid)
{
	const struct restore *rs = cur_rs;

	for (size_t i = 0; rs && i < rs->nr; i++) {
		const struct restore_proc *rp = &rs->procs[i];

		if (!rp->host_given)
			continue;
		if (rp->pp->pid == pid)
			return rp->host;
		for (size_t t = 1; rp->core && rp->thread_host && t < rp->core->n_threads; t++)
			if (rp->core->threads[t]->tid == (uint32_t)pid)
				return rp->thread_host[t];
	}
	return pid;
}

bool ns_thread_host_given(const struct restore *rs, size_t i)
{
	const NsProcEntry *e = entry_of(rs, i);

	return e && settable_levels(rs, i, (int)i, e->n_nspid) < e->n_nspid;
}

int ns_image_pid(int host)
{
	const struct restore *rs = cur_rs;

	for (size_t i = 0; rs && i < rs->nr; i++) {
		const struct restore_proc *rp = &rs->procs[i];

		if (!rp->host_given)
			continue;
		if (rp->host == host)
			return rp->pp->pid;
		for (size_t t = 1; rp->core && rp->thread_host && t < rp->core->n_threads; t++)
			if (rp->thread_host[t] == host)
				return (int)rp->core->threads[t]->tid;
	}
	return host;
}

int ns_set_tid(const struct restore *rs, size_t i, int32_t *tids, size_t max)
{
	const NsProcEntry *e = entry_of(rs, i);

	if (!e) {
		tids[0] = rs->procs[i].pp->pid;
		return 1;
	}
	return set_tid_of(e->nspid, e->n_nspid, tids,
			  MIN(max, settable_levels(rs, i, rs->procs[i].pp->creator, e->n_nspid)));
}

int ns_thread_set_tid(const struct restore *rs, size_t i, size_t t, int32_t *tids, size_t max)
{
	const NsProcEntry *e = entry_of(rs, i);

	if (!e || !t) {
		tids[0] = (int32_t)rs->procs[i].core->threads[t]->tid;
		return 1;
	}
	/* The process makes its threads itself. */
	return set_tid_of(e->thread_nspid + (t - 1) * e->n_nspid, e->n_nspid, tids,
			  MIN(max, settable_levels(rs, i, (int)i, e->n_nspid)));
}

bool ns_wants_creator(const struct restore *rs, size_t i)
{
	for (size_t n = 0; rs->ns && n < rs->ns->nr; n++)
		if (rs->ns->ns[n].owner == (int)i && ns_ops_of(rs->ns->ns[n].kind)->restore_creator)
			return true;
	return false;
}

/* The hook of every namespace process @i owns, in restore order:
 * restore_creator (with @child) when @creator, else restore. */
static int owner_hooks(struct restore *rs, size_t i, bool creator, int child)
{
	struct ns_state *st = rs->ns;
	int r = 0;

	for (int o = 0; st && o < NS_KINDS && r >= 0; o++)
		for (size_t n = 0; n < st->nr && r >= 0; n++) {
			const struct ns_ops *ops = ns_ops_of(st->ns[n].kind);

			if (st->ns[n].kind != restore_order[o] || st->ns[n].owner != (int)i)
				continue;
			if (creator && ops->restore_creator)
				r = ops->restore_creator(rs, &st->ns[n], child);
			else if (!creator && ops->restore)
				r = ops->restore(rs, &st->ns[n]);
		}
	return r;
}

int ns_creator_hooks(struct restore *rs, size_t i, int child)
{
	return owner_hooks(rs, i, true, child);
}

int ns_in_new_proc(struct restore *rs, size_t i)
{
	struct ns_state *st = rs->ns;
	int r = owner_hooks(rs, i, false, -1);

	for (int o = 0; st && st->of[i] && o < NS_KINDS && r >= 0; o++) {
		enum ns_kind k = restore_order[o];
		uint32_t id = ns_of(st->of[i], k);
		int n = id ? ns_index(st, k, id) : -1;

		if (n >= 0 && ns_ops_of(k)->restore_in_proc)
			r = ns_ops_of(k)->restore_in_proc(rs, &st->ns[n], i);
	}
	return r;
}

bool ns_pid_for_children(const struct restore *rs, size_t j)
{
	int c = rs->procs[j].pp->creator;
	const NsProcEntry *e = entry_of(rs, j), *ce = c >= 0 ? entry_of(rs, (size_t)c) : NULL;
	uint32_t id = ns_of(e, NS_PID);
	int n = id ? ns_index(rs->ns, NS_PID, id) : -1;

	return n >= 0 && rs->ns->ns[n].owner == (int)j && ce && ce->has_pid_for_children &&
	       ce->pid_for_children == id;
}

int ns_finish_all(struct restore *rs)
{
	struct ns_state *st = rs->ns;
	int r = 0;

	for (int o = 0; st && o < NS_KINDS && r >= 0; o++)
		for (size_t n = 0; n < st->nr && r >= 0; n++) {
			const struct ns_ops *ops = ns_ops_of(st->ns[n].kind);

			if (st->ns[n].kind == restore_order[o] && ops->finish)
				r = ops->finish(rs, &st->ns[n]);
		}
	return r;
}

struct ns_restore *ns_proc_in(const struct restore *rs, size_t i, enum ns_kind k)
{
	uint32_t id = ns_of(entry_of(rs, i), k);
	int n = id ? ns_index(rs->ns, k, id) : -1;

	return n < 0 ? NULL : &rs->ns->ns[n];
}

int ns_ready_all(struct restore *rs)
{
	struct ns_state *st = rs->ns;
	int r = 0;

	for (size_t n = 0; st && n < st->nr && r >= 0; n++) {
		const struct ns_ops *ops = ns_ops_of(st->ns[n].kind);

		if (ops->ready)
			r = ops->ready(rs, &st->ns[n]);
	}
	return r;
}

/* ---- pids seen from inside ---- */

int ns_pid_level(const struct restore *rs, size_t i)
{
	const NsProcEntry *e = entry_of(rs, i);

	return e ? (int)e->n_nspid - 1 : 0;
}

/* The pids of the process or thread ckpt knows as @pid, and the index of
 * its pid namespace: NULL if it is not one of the tree's. */
static const uint32_t *find_nspid(const struct restore *rs, int pid, size_t *ret_nr, int *ret_ns)
{
	const struct ns_state *st = rs->ns;

	for (size_t j = 0; j < st->img->n_procs; j++) {
		const NsProcEntry *e = st->img->procs[j];
		uint32_t id = ns_of(e, NS_PID);

		*ret_nr = e->n_nspid;
		*ret_ns = id ? ns_index(st, NS_PID, id) : -1;
		if (e->pid == (uint32_t)pid)
			return e->nspid;
		for (size_t t = 0; e->n_nspid && t < e->n_thread_nspid / e->n_nspid; t++)
			if (e->thread_nspid[t * e->n_nspid] == (uint32_t)pid)
				return e->thread_nspid + t * e->n_nspid;
	}
	return NULL;
}

int ns_pid_in(const struct restore *rs, size_t i, int pid)
{
	const struct ns_state *st = rs->ns;
	int level = ns_pid_level(rs, i), n, mine;
	const uint32_t *nspid;
	size_t nr;

	if (!level || pid <= 0)
		return pid;
	nspid = find_nspid(rs, pid, &nr, &n);
	if (!nspid || nr <= (size_t)level)
		return 0;
	mine = ns_index(st, NS_PID, ns_of(st->of[i], NS_PID));
	return pidns_at(st, n, level) == mine ? (int)nspid[level] : 0;
}

/* The index of the process that has @pid (or a thread @pid), -1 if none. */
static int proc_of(const struct restore *rs, int pid)
{
	for (size_t i = 0; i < rs->nr; i++) {
		const NsProcEntry *e = rs->ns->of[i];

		if (rs->procs[i].pp->pid == pid)
			return (int)i;
		for (size_t t = 0; e && e->n_nspid && t < e->n_thread_nspid / e->n_nspid; t++)
			if (e->thread_nspid[t * e->n_nspid] == (uint32_t)pid)
				return (int)i;
	}
	return -1;
}

struct ns_restore *ns_of_pid(int pid, enum ns_kind k)
{
	int i = cur_rs && cur_rs->ns ? proc_of(cur_rs, pid) : -1;

	return i < 0 ? NULL : ns_proc_in(cur_rs, (size_t)i, k);
}

int ns_pid_seen_by(int viewer, int pid)
{
	int i;

	if (!cur_rs || !cur_rs->ns)
		return pid;
	i = proc_of(cur_rs, viewer);
	return i < 0 ? pid : ns_pid_in(cur_rs, (size_t)i, pid);
}

int ns_own_pid(int pid)
{
	int nspid[NS_LEVELS_MAX], nr = 0;
	char path[64];

	if (cur_rs)
		return cur_rs->ns ? ns_pid_seen_by(pid, pid) : pid;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return read_nspid_file(path, nspid, &nr) < 0 ? pid : nspid[nr - 1];
}

int ns_check_groups(const struct restore *rs)
{
	struct proc_stat root;

	if (!rs->ns || proc_read_stat(proc_host(&rs->procs[0]), &root) < 0)
		return 0;
	for (size_t i = 0; i < rs->nr; i++) {
		const struct plan_proc *pp = rs->procs[i].pp;
		struct proc_stat st;
		int want = pp->pgid;

		if (pp->role != PLAN_LIVE || !ns_pid_level(rs, i) ||
		    (want != PLAN_CALLER_PGID && ns_pid_in(rs, i, want)))
			continue;
		if (proc_read_stat(proc_host(&rs->procs[i]), &st) < 0)
			continue; /* gone: the restore fails on it anyway */
		if (st.pgid == (want == PLAN_CALLER_PGID ? root.pgid : ns_host_pid(want)))
			continue;
		return pr_fail(
			-EOPNOTSUPP,
			"cannot restore: process %d is in process group %d, not %d: a pid namespace's process cannot join a group outside it",
			pp->pid, st.pgid, want == PLAN_CALLER_PGID ? rs->outside_pgid : want);
	}
	return 0;
}
