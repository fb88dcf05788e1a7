// SPDX-License-Identifier: GPL-2.0
/*
 * Namespaces of the tree: the kind table, which namespaces the tree owns
 * (read while it is frozen), and ns.img (see ns.h). The restore side is in
 * ns-restore.c; each kind's state in ns-KIND.c.
 */
#include "ns.h"

#include "dump.h"
#include "fault.h"
#include "imgdir.h"
#include "options.h"
#include "proc.h"
#include "tree.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

static const char *const kind_names[NS_KINDS] = {
	[NS_PID] = "pid", [NS_MNT] = "mnt",   [NS_NET] = "net",	      [NS_IPC] = "ipc",
	[NS_UTS] = "uts", [NS_USER] = "user", [NS_CGROUP] = "cgroup", [NS_TIME] = "time",
};

/* NULL: not saved, refused at dump. */
static const struct ns_ops *const ns_table[NS_KINDS] = {
	[NS_PID] = &ns_pid_ops,	  [NS_IPC] = &ns_ipc_ops,	[NS_UTS] = &ns_uts_ops,
	[NS_TIME] = &ns_time_ops, [NS_CGROUP] = &ns_cgroup_ops, [NS_MNT] = &ns_mnt_ops,
	[NS_NET] = &ns_net_ops,	  [NS_USER] = &ns_user_ops,
};

/*
 * A pid namespace has no state of its own to save: its init is made by
 * clone3(CLONE_NEWPID) and every process in it with its pids at every
 * level (set_tid), from ns.img. What the kernel gives next (ns_last_pid)
 * is not kept (README).
 */
const struct ns_ops ns_pid_ops = {
	.name = "pid",
	.clone_flag = CLONE_NEWPID,
};

const struct ns_ops *ns_ops_of(enum ns_kind kind)
{
	return kind < NS_KINDS ? ns_table[kind] : NULL;
}

const char *ns_kind_name(enum ns_kind kind)
{
	return kind < NS_KINDS ? kind_names[kind] : "?";
}

/* ---- what a process is in ---- */

/* The inode of /proc/PID/ns/NAME ("uts:[4026531838]"); -errno if none. */
static int ns_link_ino(int pid, int tid, const char *name, uint32_t *ret)
{
	char path[96], link[64];
	unsigned long long ino;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/ns/%s", pid, tid, name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	if (sscanf(link, "%*[a-z_]:[%llu]", &ino) != 1 || !ino || ino > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)ino;
	return 0;
}

/* NSpid of /proc/PID/status: ckpt's level first. */
int read_nspid_file(const char *path, int *nspid, int *ret_nr)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[512];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 6, *end;
		int nr = 0;

		if (strncmp(line, "NSpid:", 6))
			continue;
		for (;;) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			if (nr == NS_LEVELS_MAX || v <= 0 || v > INT32_MAX)
				return -EINVAL;
			nspid[nr++] = (int)v;
			p = end;
		}
		if (!nr)
			return -EINVAL;
		*ret_nr = nr;
		return 0;
	}
	return -ENOENT;
}

int ns_read_thread_nspid(int pid, int tid, int *nspid, int *ret_nr)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	return read_nspid_file(path, nspid, ret_nr);
}

/*
 * A thread of @pid that still has its namespaces: the leader, unless it
 * exited before the others (its links are gone then, not the process's).
 */
static int live_thread(int pid)
{
	_cleanup_free_ int *tids = NULL;
	size_t nr = 0;
	uint32_t ino;

	if (ns_link_ino(pid, pid, "uts", &ino) != -ENOENT || proc_list_threads(pid, &tids, &nr) < 0)
		return pid;
	for (size_t i = 0; i < nr; i++)
		if (ns_link_ino(pid, tids[i], "uts", &ino) == 0)
			return tids[i];
	return pid;
}

/*
 * What @pid is in. A zombie has no namespaces left to show (its links
 * are gone): it is taken to be in its parent's (@like), where it died.
 */
static int ns_read(int pid, struct proc_ns *ret, const struct proc_ns *like)
{
	char path[64];
	bool live = true;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->tid = live_thread(pid);
	for (int k = 0; k < NS_KINDS; k++) {
		r = ns_link_ino(pid, ret->tid, kind_names[k], &ret->ino[k]);
		if (r == -ENOENT && like)
			ret->ino[k] = like->ino[k];
		else if (r < 0 && r != -ENOENT)
			return r;
		/* The uts link, as pid_for_children, shows the task's
		 * nsproxy, gone once it exits (the pid link stays). */
		if (k == NS_UTS)
			live = r >= 0;
	}
	/* The kernel shows no pid_for_children made by unshare(CLONE_NEWPID)
	 * that no process is in yet: one that cannot be saved (ns_tree_check). */
	r = ns_link_ino(pid, ret->tid, "pid_for_children", &ret->pid_for_children);
	if (r == -ENOENT && live)
		ret->pid_for_children = UINT32_MAX;
	else if (r < 0 || ret->pid_for_children == ret->ino[NS_PID])
		ret->pid_for_children = 0;
	r = ns_link_ino(pid, ret->tid, "time_for_children", &ret->time_for_children);
	if (r < 0 || ret->time_for_children == ret->ino[NS_TIME])
		ret->time_for_children = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return read_nspid_file(path, ret->nspid, &ret->nr_nspid);
}

static const struct proc_ns *host_ns(void)
{
	static struct proc_ns host;
	static bool read;

	if (!read && ns_read(getpid(), &host, NULL) >= 0)
		read = true;
	return &host;
}

bool ns_lives_in_own(const struct tree_proc *p, enum ns_kind k)
{
	/* Any other than ckpt's is the tree's: ns_take refused the rest. */
	return p->ns && p->ns->ino[k] && p->ns->ino[k] != host_ns()->ino[k];
}

static bool tree_owns(const struct tree *t, enum ns_kind k, uint32_t ino)
{
	for (size_t i = 0; i < t->nr; i++)
		if (t->procs[i].ns && t->procs[i].ns->owns[k] && t->procs[i].ns->ino[k] == ino)
			return true;
	return false;
}

/* Process @pid's namespace of kind @k, not its parent's: its own, or
 * refused. */
static int take_new(const struct tree *t, int pid, const char *comm, enum ns_kind k,
		    struct proc_ns *pn, bool root)
{
	const char *name = kind_names[k];

	if (!root && pn->ino[k] == host_ns()->ino[k])
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump: process %d ('%s') entered ckpt's %s namespace (setns): not supported",
			pid, comm, name);
	if (tree_owns(t, k, pn->ino[k]) || (k == NS_PID && pn->nspid[pn->nr_nspid - 1] != 1))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump: process %d ('%s') entered a %s namespace of another process (setns): not supported",
			pid, comm, name);
	if (!ns_table[k])
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump: process %d ('%s') is in a %s namespace of its own (not supported)",
			pid, comm, name);
	pn->owns[k] = true;
	return 0;
}

int ns_take(struct tree *t, int pid, int ppid, const char *comm, const struct proc_ns *parent,
	    struct proc_ns **ret)
{
	struct proc_ns *pn = xzalloc(sizeof(*pn)), outside;
	const struct proc_ns *host = host_ns();
	bool root = !parent;
	int r, want;

	if (root) {
		/* The root's parent is outside the tree; if it is gone,
		 * the root is compared with ckpt. */
		if (ns_read(ppid, &outside, host) < 0)
			outside = *host;
		parent = &outside;
	}
	r = ns_read(pid, pn, parent);
	if (r < 0) {
		free(pn);
		return pr_errno(r, "cannot dump: cannot read the namespaces of process %d", pid);
	}
	for (int k = 0; k < NS_KINDS && r >= 0; k++) {
		if (!pn->ino[k])
			continue; /* a kind this kernel does not have */
		if (root && pn->ino[k] == host->ino[k])
			continue; /* shared with ckpt */
		if (pn->ino[k] != parent->ino[k])
			r = take_new(t, pid, comm, k, pn, root);
		else if (root)
			r = pr_fail(
				-EOPNOTSUPP,
				"cannot dump: process %d ('%s') is in a %s namespace its parent made: dump the process that made it",
				pid, comm, kind_names[k]);
	}
	/* Its pids inside must be the ones its pid namespaces give it. */
	if (r >= 0 && root && pn->ino[NS_PID] == host->ino[NS_PID])
		want = host->nr_nspid;
	else
		want = parent->nr_nspid + (pn->owns[NS_PID] ? 1 : 0);
	if (r >= 0 && pn->nr_nspid != want)
		r = pr_fail(
			-EOPNOTSUPP,
			"cannot dump: process %d ('%s') is %d pid namespaces deep: not supported",
			pid, comm, pn->nr_nspid);
	if (r < 0) {
		free(pn);
		return r;
	}
	*ret = pn;
	return 0;
}

int ns_tree_check(struct tree *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		const struct tree_proc *p = &t->procs[i];
		bool found = false;

		if (!p->ns || !p->ns->pid_for_children)
			continue;
		/* unshare(CLONE_NEWPID) and a child made in it: its init. */
		for (size_t c = 0; c < t->nr && !found; c++)
			found = t->procs[c].node.ppid == p->node.pid && t->procs[c].ns &&
				t->procs[c].ns->owns[NS_PID] &&
				t->procs[c].ns->ino[NS_PID] == p->ns->pid_for_children;
		if (!found)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump: process %d ('%s') made a pid namespace for its children none of them is the init of (not supported)",
				p->node.pid, p->node.comm);
	}
	/* unshare(CLONE_NEWTIME) and a child made in it: the child owns it
	 * (its offsets are read from there); one none of them is in is not
	 * saved. */
	for (size_t i = 0; i < t->nr; i++) {
		const struct tree_proc *p = &t->procs[i];
		bool found = false;

		if (!p->ns || !p->ns->time_for_children)
			continue;
		for (size_t c = 0; c < t->nr && !found; c++)
			found = t->procs[c].node.ppid == p->node.pid && t->procs[c].ns &&
				t->procs[c].ns->owns[NS_TIME] &&
				t->procs[c].ns->ino[NS_TIME] == p->ns->time_for_children;
		if (!found)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump: process %d ('%s') made a time namespace for its children none of them is in (not supported)",
				p->node.pid, p->node.comm);
	}
	return 0;
}

/* The same checks as ns-restore.c's check_plan, on the frozen tree. */
int ns_plan_check(const struct tree *t, const struct plan *plan)
{
	for (size_t i = 0; i < plan->nr; i++) {
		const struct plan_proc *pp = &plan->procs[i];
		const struct tree_proc *p = pp->node >= 0 ? &t->procs[pp->node] : NULL;
		const struct tree_proc *c = pp->creator >= 0 && plan->procs[pp->creator].node >= 0
						    ? &t->procs[plan->procs[pp->creator].node]
						    : NULL;
		bool inside = c && c->ns && c->ns->nr_nspid > host_ns()->nr_nspid;

		if (pp->role == PLAN_HELPER && inside)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump: a session or group leader (%d) exited inside a pid namespace: it cannot be stood in for",
				pp->pid);
		if (p && p->ns && p->ns->owns[NS_PID] && p->node.zombie)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump: process %d, the init of a pid namespace, is a zombie",
				p->node.pid);
		if (pp->clone_parent && p && c && p->ns && c->ns &&
		    (p->ns->owns[NS_PID] || c->ns->owns[NS_PID] ||
		     p->ns->ino[NS_PID] != c->ns->ino[NS_PID]))
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump: process %d would be made by a sibling across a pid namespace's init (not supported)",
				pp->pid);
	}
	return 0;
}

/* ---- dump ---- */

static bool tree_has_ns(const struct tree *t)
{
	for (size_t i = 0; i < t->nr; i++)
		for (int k = 0; t->procs[i].ns && k < NS_KINDS; k++)
			if (t->procs[i].ns->owns[k])
				return true;
	return false;
}

static int dump_one(struct dump *dump, const struct tree_proc *p, enum ns_kind k,
		    struct imgdir *dir, const struct options *o)
{
	char path[96];
	struct ns_dump d = { .kind = k,
			     .id = p->ns->ino[k],
			     .pid = p->node.pid,
			     .dir = dir,
			     .opts = o,
			     .dump = dump };
	int r;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/ns/%s", p->node.pid, p->ns->tid,
		 kind_names[k]);
	d.nsfd = FAULT_OR(dump_ns_open, (errno = ENOENT, -1), open(path, O_RDONLY | O_CLOEXEC));
	if (d.nsfd < 0)
		return pr_errno(-errno, "cannot dump: cannot open the %s namespace of %d",
				kind_names[k], p->node.pid);
	r = ns_table[k]->dump ? ns_table[k]->dump(&d) : 0;
	close(d.nsfd);
	return r;
}

/* The id of the namespace of kind @k process @p lives in, 0 if ckpt's. */
static uint32_t lives_in(const struct tree_proc *p, enum ns_kind k)
{
	return ns_lives_in_own(p, k) ? p->ns->ino[k] : 0;
}

static int fill_proc(struct dump *d, size_t i, NsProcEntry *e)
{
	const struct tree_proc *p = &d->tree.procs[i];
	/* Its threads in core's order (core-PID.img takes them later). */
	ThreadCoreEntry *const *threads = p->node.zombie ? NULL : d->procs[i].threads;
	size_t nr_threads = threads ? p->nr_threads : 0;

	e->pid = (uint32_t)p->node.pid;
	e->n_ns = NS_KINDS;
	e->ns = xmalloc(NS_KINDS * sizeof(*e->ns));
	for (int k = 0; k < NS_KINDS; k++)
		e->ns[k] = lives_in(p, k);
	e->n_nspid = (size_t)p->ns->nr_nspid;
	e->nspid = xmalloc(e->n_nspid * sizeof(*e->nspid));
	for (size_t l = 0; l < e->n_nspid; l++)
		e->nspid[l] = (uint32_t)p->ns->nspid[l];
	e->has_pid_for_children = p->ns->pid_for_children != 0;
	e->pid_for_children = p->ns->pid_for_children;
	if (nr_threads < 2)
		return 0;
	e->n_thread_nspid = (nr_threads - 1) * e->n_nspid;
	e->thread_nspid = xmalloc(e->n_thread_nspid * sizeof(*e->thread_nspid));
	for (size_t t = 1; t < nr_threads; t++) {
		int nspid[NS_LEVELS_MAX], nr = 0, tid = (int)threads[t]->tid;
		int r = ns_read_thread_nspid(p->node.pid, tid, nspid, &nr);

		if (r >= 0 && ((size_t)nr != e->n_nspid || nspid[0] != tid))
			r = -EINVAL;
		if (r < 0)
			return pr_errno(r, "cannot dump: cannot read the pids of thread %d of %d",
					tid, p->node.pid);
		for (int l = 0; l < nr; l++)
			e->thread_nspid[(t - 1) * e->n_nspid + (size_t)l] = (uint32_t)nspid[l];
	}
	return 0;
}

static void free_entry(NsTreeEntry *te)
{
	for (size_t i = 0; i < te->n_procs; i++) {
		free(te->procs[i]->ns);
		free(te->procs[i]->nspid);
		free(te->procs[i]->thread_nspid);
		free(te->procs[i]);
	}
	for (size_t i = 0; i < te->n_ns; i++)
		free(te->ns[i]);
	free(te->procs);
	free(te->ns);
}

int ns_dump_all(struct dump *d, struct imgdir *dir, const struct options *o)
{
	const struct tree *t = &d->tree;
	NsTreeEntry te = NS_TREE_ENTRY__INIT;
	int r = 0;

	if (!tree_has_ns(t))
		return 0; /* no ns.img: everything is ckpt's */
	te.procs = xzalloc(t->nr * sizeof(*te.procs));
	te.ns = xzalloc(t->nr * NS_KINDS * sizeof(*te.ns));
	for (size_t i = 0; i < t->nr && r >= 0; i++) {
		const struct tree_proc *p = &t->procs[i];

		te.procs[i] = xmalloc(sizeof(**te.procs));
		ns_proc_entry__init(te.procs[i]);
		te.n_procs++;
		r = fill_proc(d, i, te.procs[i]);
		for (int k = 0; k < NS_KINDS && r >= 0; k++) {
			NsEntry *e;

			if (!p->ns->owns[k])
				continue;
			r = dump_one(d, p, k, dir, o);
			e = te.ns[te.n_ns++] = xmalloc(sizeof(*e));
			ns_entry__init(e);
			e->kind = (uint32_t)k;
			e->id = p->ns->ino[k];
			e->owner = (uint32_t)p->node.pid;
		}
	}
	if (r >= 0) {
		r = FAULT_OR(dump_write_ns, -ENOSPC,
			     img_write_msg(dir->dirfd, IMG_NS, 0, &te.base));
		if (r < 0)
			r = pr_errno(r, "cannot write images in '%s'", dir->tmp);
	}
	free_entry(&te);
	return r;
}

void ns_before_kill(struct dump *d, const struct options *o)
{
	const struct tree *t = &d->tree;

	for (size_t i = 0; tree_has_ns(t) && i < t->nr; i++) {
		const struct tree_proc *p = &t->procs[i];

		for (int k = 0; k < NS_KINDS; k++) {
			const struct ns_ops *ops = ns_ops_of(k);
			char path[64];
			struct ns_dump nd = {
				.kind = k, .id = p->ns->ino[k], .pid = p->node.pid, .opts = o
			};

			if (!p->ns->owns[k] || !ops || !ops->before_kill)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/ns/%s", p->node.pid, kind_names[k]);
			nd.nsfd = open(path, O_RDONLY | O_CLOEXEC);
			if (nd.nsfd < 0)
				continue;
			ops->before_kill(&nd);
			close(nd.nsfd);
		}
	}
}

/* ---- ckpt check ---- */

static const int unshare_flags[NS_KINDS] = {
	[NS_PID] = CLONE_NEWPID,       [NS_MNT] = CLONE_NEWNS,	  [NS_NET] = CLONE_NEWNET,
	[NS_IPC] = CLONE_NEWIPC,       [NS_UTS] = CLONE_NEWUTS,	  [NS_USER] = CLONE_NEWUSER,
	[NS_CGROUP] = CLONE_NEWCGROUP, [NS_TIME] = CLONE_NEWTIME,
};

static int probe_child(void *arg)
{
	return unshare(*(int *)arg) < 0 ? 1 : 0;
}

/* unshare() in a throwaway child, so that ckpt stays where it is. */
static bool can_unshare(int flag)
{
	static char stack[16384] __attribute__((aligned(16)));
	int status, pid;

	pid = clone(probe_child, stack + sizeof(stack), SIGCHLD, &flag);
	if (pid < 0)
		return false;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int ns_check_kinds(void)
{
	int unsupported = 0;

	for (int k = 0; k < NS_KINDS; k++) {
		const struct ns_ops *ops = ns_table[k];
		bool kernel = ops && can_unshare(unshare_flags[k]);

		printf("  %-8s namespace: %s\n", kind_names[k],
		       !ops	? "refused (ckpt does not save it)"
		       : kernel ? "saved and restored"
				: "refused (this kernel does not let ckpt make one)");
		unsupported += !ops || !kernel;
	}
	return unsupported;
}

/* ---- running in a namespace ---- */

int ns_run_in(int nsfd, enum ns_kind k, int (*fn)(void *), void *arg)
{
	char path[64];
	_cleanup_close_ int own = -1;
	int r;

	snprintf(path, sizeof(path), "/proc/thread-self/ns/%s", kind_names[k]);
	own = open(path, O_RDONLY | O_CLOEXEC);
	if (own < 0)
		return -errno;
	if (setns(nsfd, unshare_flags[k]) < 0)
		return -errno;
	r = fn(arg);
	/* Back where ckpt was (it was in it: only a kernel out of memory
	 * could refuse). */
	if (setns(own, unshare_flags[k]) < 0)
		return -ENOTRECOVERABLE;
	return r;
}

/* ---- ckpt show ---- */

void ns_show_json(int dirfd)
{
	NsTreeEntry *te = NULL;

	if (faccessat(dirfd, img_kinds[IMG_NS].name_fmt, F_OK, AT_SYMLINK_NOFOLLOW) < 0 ||
	    img_read_msg(dirfd, IMG_NS, 0, &ns_tree_entry__descriptor, (ProtobufCMessage **)&te) <
		    0)
		return;
	printf(",\"namespaces\":[");
	for (size_t n = 0; n < te->n_ns; n++)
		printf("%s{\"kind\":\"%s\",\"id\":%u,\"owner\":%u}", n ? "," : "",
		       ns_kind_name(te->ns[n]->kind), te->ns[n]->id, te->ns[n]->owner);
	printf("],\"nspids\":[");
	for (size_t i = 0; i < te->n_procs; i++) {
		const NsProcEntry *p = te->procs[i];

		printf("%s{\"pid\":%u,\"nspid\":[", i ? "," : "", p->pid);
		for (size_t l = 0; l < p->n_nspid; l++)
			printf("%s%u", l ? "," : "", p->nspid[l]);
		printf("]}");
	}
	printf("]");
	protobuf_c_message_free_unpacked(&te->base, NULL);
}

void ns_show(int dirfd)
{
	NsTreeEntry *te = NULL;

	if (faccessat(dirfd, img_kinds[IMG_NS].name_fmt, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (img_read_msg(dirfd, IMG_NS, 0, &ns_tree_entry__descriptor, (ProtobufCMessage **)&te) <
	    0) {
		printf("namespaces: ns.img unreadable\n");
		return;
	}
	printf("namespaces of the tree (the others are the host's):\n");
	for (size_t n = 0; n < te->n_ns; n++) {
		const NsEntry *e = te->ns[n];
		const struct ns_ops *ops = ns_ops_of(e->kind);

		printf("  %s namespace %u, made by %u\n", ns_kind_name(e->kind), e->id, e->owner);
		if (ops && ops->show)
			ops->show(dirfd, e->id);
	}
	for (size_t i = 0; i < te->n_procs; i++) {
		const NsProcEntry *p = te->procs[i];

		if (p->n_nspid < 2)
			continue;
		printf("  process %u: pids", p->pid);
		for (size_t l = 0; l < p->n_nspid; l++)
			printf("%s%u", l ? " > " : " ", p->nspid[l]);
		printf("\n");
	}
	protobuf_c_message_free_unpacked(&te->base, NULL);
}
