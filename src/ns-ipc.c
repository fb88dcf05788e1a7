// SPDX-License-Identifier: GPL-2.0
/*
 * IPC namespaces of the tree: saved whole. Every System V segment, set and
 * queue in it (not only those the tree is seen to use: nothing outside the
 * tree can be in it but by setns), in ipcns-ID.img with the pages of the
 * segments, read by ckpt's thread moved into the namespace with the code
 * of sysv-ipc.c; and its limits (shm, msg and sem of /proc/sys/kernel/
 * and fs/mqueue/, which are per namespace), in ipcns-sysctl-ID.img.
 *
 * Restore: the owner makes the namespace (clone3 CLONE_NEWIPC); once every
 * process exists, ckpt moves a thread into it, sets the limits and makes
 * every object again with its id, key, owner, mode and contents, before
 * any process rebuilds its SEM_UNDO adjustments or attaches a segment.
 *
 * Not kept (refused at dump): a segment removed while attached (SHM_DEST),
 * a POSIX message queue open in a process of the namespace; queues of its
 * mqueue filesystem nobody has open are lost (README).
 */
#include "ns.h"

#include "dump.h"
#include "fault.h"
#include "imgdir.h"
#include "proc.h"
#include "restore.h"
#include "util.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/vfs.h>

#define MQUEUE_MAGIC 0x19800202
#define SYSCTL_VALUE_MAX 64

/* The limits a namespace has of its own. */
static const char *const sysctls[] = {
	"kernel/shmmax",
	"kernel/shmall",
	"kernel/shmmni",
	"kernel/shm_rmid_forced",
	"kernel/msgmax",
	"kernel/msgmnb",
	"kernel/msgmni",
	"kernel/sem",
	"fs/mqueue/msg_max",
	"fs/mqueue/msgsize_max",
	"fs/mqueue/queues_max",
	"fs/mqueue/msg_default",
	"fs/mqueue/msgsize_default",
};

/* ---- dump ---- */

struct collect {
	const struct ns_dump *nd;
	struct ipc_table it;
	IpcNsSysctlsEntry sys;
	int *pids;
	int r; /* collect_in's, told */
};

static bool in_ns(const struct ns_dump *nd, size_t i)
{
	const struct tree_proc *p = &nd->dump->tree.procs[i];

	return !p->node.zombie && p->ns && p->ns->ino[NS_IPC] == nd->id;
}

/* An open POSIX message queue lives in the namespace's mqueue filesystem,
 * which ckpt cannot reach: refused. */
static int check_mqueues(const struct ns_dump *nd, size_t i)
{
	int pid = nd->dump->tree.procs[i].node.pid;
	_cleanup_free_ int *fds = NULL;
	size_t nr = 0;
	int r = proc_list_fds(pid, &fds, &nr);

	if (r < 0)
		return pr_errno(r, "cannot dump: cannot list the fds of %d", pid);
	for (size_t k = 0; k < nr; k++) {
		char path[64];
		struct statfs sf;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fds[k]);
		if (statfs(path, &sf) == 0 && sf.f_type == MQUEUE_MAGIC)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump: process %d has a POSIX message queue open at fd %d in an ipc namespace of its own (not supported)",
				pid, fds[k]);
	}
	return 0;
}

static void read_sysctls(IpcNsSysctlsEntry *sys)
{
	sys->sysctls = xzalloc(ARRAY_SIZE(sysctls) * sizeof(*sys->sysctls));
	for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++) {
		char path[96], value[SYSCTL_VALUE_MAX + 2] = "";
		_cleanup_close_ int fd = -1;
		IpcSysctlEntry *e;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/sys/%s", sysctls[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, value, sizeof(value) - 1);
		if (n <= 0 || n > SYSCTL_VALUE_MAX)
			continue; /* not in this kernel */
		value[strcspn(value, "\n")] = 0;
		e = sys->sysctls[sys->n_sysctls++] = xmalloc(sizeof(*e));
		ipc_sysctl_entry__init(e);
		e->name = (char *)sysctls[i];
		e->value = xstrdup(value);
	}
}

/* In the namespace (ckpt's thread moved there); logs why not in c->r. */
static int collect_in(void *arg)
{
	struct collect *c = arg;
	const struct ns_dump *nd = c->nd;
	struct dump *d = nd->dump;
	int r = 0;

	for (size_t i = 0; i < d->tree.nr && r >= 0; i++)
		if (in_ns(nd, i))
			r = check_mqueues(nd, i);
	for (size_t i = 0; i < d->tree.nr && r >= 0; i++)
		if (in_ns(nd, i))
			r = ipc_dump_vmas(&c->it, d->tree.procs[i].node.pid, &d->procs[i].mm);
	if (r >= 0)
		r = ipc_dump_finish(&c->it, c->pids, 0);
	for (size_t k = 0; r >= 0 && k < c->it.img.n_shm; k++)
		if (c->it.img.shm[k]->mode & SHM_DEST)
			r = pr_fail(
				-EOPNOTSUPP,
				"cannot dump: System V shm %u of the ipc namespace of %d was removed while attached (not supported)",
				c->it.img.shm[k]->shmid, nd->pid);
	/* As for ckpt's: after the sets are read (dump-collect.c). */
	for (int pass = 0; pass < 2 && c->it.img.n_sem; pass++)
		for (size_t i = 0; i < d->tree.nr && r >= 0; i++)
			if (in_ns(nd, i))
				r = dump_sem_undo(&d->procs[i], &c->it.img, pass);
	if (r >= 0)
		read_sysctls(&c->sys);
	if (r >= 0)
		r = FAULT_OR(dump_write_ns,
			     pr_errno(-ENOSPC, "cannot write images in '%s'", nd->dir->tmp),
			     ipc_dump_write_as(&c->it, nd->dir->dirfd, IMG_NS_IPC,
					       IMG_NS_IPC_SHM_PAGES, nd->id));
	c->r = r;
	return 0;
}

static int ipc_ns_dump(const struct ns_dump *nd)
{
	struct dump *d = nd->dump;
	struct collect c = { .nd = nd };
	int r;

	/* Its segments' pages are named by their ids alone. */
	for (size_t i = 0; i < d->tree.nr; i++)
		if (d->tree.procs[i].ns && d->tree.procs[i].ns->owns[NS_IPC] &&
		    d->tree.procs[i].ns->ino[NS_IPC] != nd->id)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump: processes %d and %d each made an ipc namespace (one is supported)",
				nd->pid, d->tree.procs[i].node.pid);
	ipc_table_init(&c.it);
	ipc_ns_sysctls_entry__init(&c.sys);
	c.pids = xmalloc(d->tree.nr * sizeof(*c.pids));
	for (size_t i = 0; i < d->tree.nr; i++)
		c.pids[i] = d->tree.procs[i].node.pid;
	r = ns_run_in(nd->nsfd, NS_IPC, collect_in, &c);
	if (r < 0)
		r = pr_errno(r, "cannot dump: cannot enter the ipc namespace of %d", nd->pid);
	else
		r = c.r;
	if (r >= 0) {
		r = FAULT_OR(
			dump_write_ns, -ENOSPC,
			img_write_msg(nd->dir->dirfd, IMG_NS_IPC_SYSCTL, (int)nd->id, &c.sys.base));
		if (r < 0)
			r = pr_errno(r, "cannot write images in '%s'", nd->dir->tmp);
	}
	for (size_t i = 0; i < c.sys.n_sysctls; i++) {
		free(c.sys.sysctls[i]->value);
		free(c.sys.sysctls[i]);
	}
	free(c.sys.sysctls);
	free(c.pids);
	ipc_table_release(&c.it);
	return r;
}

/* ---- restore ---- */

struct ipc_ns_state {
	IpcEntry *ie;
	IpcNsSysctlsEntry *sys;
	struct ipc_restored st;
	struct restore *rs;
	int r; /* fill_in's, told */
};

static int read_msg(struct restore *rs, enum img_kind kind, uint32_t id,
		    const ProtobufCMessageDescriptor *desc, void *ret)
{
	int r = img_read_msg(rs->dirfd, kind, (int)id, desc, ret);

	if (r < 0) {
		_cleanup_free_ char *name = img_name(kind, (int)id);

		return pr_fail(r, "cannot restore: cannot read image '%s': %s", name,
			       img_strerror(r));
	}
	return 0;
}

static bool value_ok(const char *v)
{
	return v[0] && str_fits(v, SYSCTL_VALUE_MAX) && strspn(v, "0123456789 \t") == strlen(v);
}

/* ckpt's own value of limit @name, in @buf; false if it has none. */
static bool host_value(const char *name, char *buf, size_t len)
{
	char path[96];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, len - 1);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

/*
 * A set root does not trust (a user's) may not give its namespace limits
 * its user does not have: every number at most ckpt's own, and
 * shm_rmid_forced not turned off.
 */
static bool within_host(const IpcSysctlEntry *e)
{
	char host[SYSCTL_VALUE_MAX + 2];
	const char *a = e->value, *b = host;

	if (!host_value(e->name, host, sizeof(host)))
		return false;
	for (;;) {
		char *ea, *eb;
		unsigned long long va = strtoull(a, &ea, 10), vb = strtoull(b, &eb, 10);

		if (ea == a || eb == b)
			return ea == a && eb == b;
		if (!strcmp(e->name, "kernel/shm_rmid_forced") ? va < vb : va > vb)
			return false;
		a = ea;
		b = eb;
	}
}

static int check_sysctls(const IpcNsSysctlsEntry *sys, uint32_t id, const struct trust *t)
{
	if (sys->n_sysctls > ARRAY_SIZE(sysctls))
		return img_inconsistent(IMG_NS_IPC_SYSCTL, (int)id, "%zu limits", sys->n_sysctls);
	for (size_t i = 0; i < sys->n_sysctls; i++) {
		const IpcSysctlEntry *e = sys->sysctls[i];
		bool known = false;

		for (size_t k = 0; k < ARRAY_SIZE(sysctls); k++)
			known |= !strcmp(e->name, sysctls[k]);
		for (size_t k = 0; k < i; k++)
			known &= strcmp(e->name, sys->sysctls[k]->name) != 0;
		if (!known || !value_ok(e->value))
			return img_inconsistent(IMG_NS_IPC_SYSCTL, (int)id, "limit %zu", i);
		if (!t->trusted && !within_host(e)) {
			_cleanup_free_ char *v = str_escape(e->value);

			return pr_fail(
				-EPERM,
				"cannot restore: %s %s of ipc namespace %u is beyond this system's: the image set's user may not have it",
				e->name, v, id);
		}
	}
	return 0;
}

static int ipc_ns_prepare(struct restore *rs, struct ns_restore *n)
{
	struct ipc_ns_state *st = xzalloc(sizeof(*st));
	_cleanup_free_ const MmEntry **mms = xzalloc((rs->nr + 1) * sizeof(*mms));
	size_t nr = 0;
	int r;

	n->state = st;
	st->rs = rs;
	r = read_msg(rs, IMG_NS_IPC, n->id, &ipc_entry__descriptor, &st->ie);
	if (r >= 0)
		r = read_msg(rs, IMG_NS_IPC_SYSCTL, n->id, &ipc_ns_sysctls_entry__descriptor,
			     &st->sys);
	if (r >= 0)
		r = check_sysctls(st->sys, n->id, &rs->trust);
	for (size_t k = 0; r >= 0 && k < st->ie->n_shm; k++)
		if (st->ie->shm[k]->mode & SHM_DEST)
			r = img_inconsistent(IMG_NS_IPC, (int)n->id, "shm %u removed",
					     st->ie->shm[k]->shmid);
	if (r < 0)
		return r;
	/* The attaches of its processes are of its segments. */
	for (size_t i = 0; i < rs->nr; i++)
		if (rs->procs[i].mm && ns_proc_in(rs, i, NS_IPC) == n)
			mms[nr++] = rs->procs[i].mm;
	return ipc_check(st->ie, mms, nr, &rs->trust);
}

static int set_sysctls(const IpcNsSysctlsEntry *sys, uint32_t id)
{
	for (size_t i = 0; i < sys->n_sysctls; i++) {
		const IpcSysctlEntry *e = sys->sysctls[i];
		char path[96];
		_cleanup_close_ int fd = -1;
		size_t len = strlen(e->value);

		_cleanup_free_ char *now = NULL;

		snprintf(path, sizeof(path), "/proc/sys/%s", e->name);
		/* Only what differs: in a namespace owned by a user namespace
		 * of the tree, only its root (the user) may write them, not
		 * ckpt's root without CAP_SYS_RESOURCE (ipc_permissions()). */
		if (read_file(path, &now, NULL) == 0 && strlen(now) >= len &&
		    !strncmp(now, e->value, len) && now[strspn(now + len, "\n") + len] == 0)
			continue;
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, e->value, len) != (ssize_t)len)
			return pr_errno(-errno, "cannot restore: cannot set %s of ipc namespace %u",
					e->name, id);
	}
	return 0;
}

/* In the namespace (ckpt's thread moved there): logs why not in st->r. */
static int fill_in(void *arg)
{
	struct ns_restore *n = arg;
	struct ipc_ns_state *st = n->state;

	st->r = set_sysctls(st->sys, n->id);
	if (st->r >= 0)
		st->r = ipc_restore_as(st->ie, st->rs->dirfd, &st->rs->trust, &st->st,
				       IMG_NS_IPC_SHM_PAGES);
	return 0;
}

/* Every process exists, none has gone on: the owner's namespace is
 * filled from ckpt, before SEM_UNDO adjustments and attaches. */
static int ipc_ns_finish(struct restore *rs, struct ns_restore *n)
{
	struct ipc_ns_state *st = n->state;
	char path[64];
	_cleanup_close_ int fd = -1;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", proc_host(&rs->procs[n->owner]));
	fd = FAULT_OR(restore_ns_ipc, (errno = ENOENT, -1), open(path, O_RDONLY | O_CLOEXEC));
	r = fd < 0 ? -errno : ns_run_in(fd, NS_IPC, fill_in, n);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot enter ipc namespace %u", n->id);
	return st->r;
}

static void ipc_ns_release(struct ns_restore *n)
{
	struct ipc_ns_state *st = n->state;

	if (!st)
		return;
	if (st->ie)
		protobuf_c_message_free_unpacked(&st->ie->base, NULL);
	if (st->sys)
		protobuf_c_message_free_unpacked(&st->sys->base, NULL);
	free(st->st.created);
	free(st);
	n->state = NULL;
}

const IpcEntry *ns_ipc_entry(const struct restore *rs, size_t i)
{
	const struct ns_restore *n = ns_proc_in(rs, i, NS_IPC);
	const struct ipc_ns_state *st = n ? n->state : NULL;

	return st ? st->ie : NULL;
}

static void ipc_ns_show(int dirfd, uint32_t id)
{
	IpcEntry *ie = NULL;
	IpcNsSysctlsEntry *sys = NULL;

	if (img_read_msg(dirfd, IMG_NS_IPC, (int)id, &ipc_entry__descriptor,
			 (ProtobufCMessage **)&ie) >= 0) {
		printf("  %zu System V shm segments, %zu semaphore sets, %zu message queues\n",
		       ie->n_shm, ie->n_sem, ie->n_msq);
		ipc_show(ie);
		protobuf_c_message_free_unpacked(&ie->base, NULL);
	}
	if (img_read_msg(dirfd, IMG_NS_IPC_SYSCTL, (int)id, &ipc_ns_sysctls_entry__descriptor,
			 (ProtobufCMessage **)&sys) >= 0) {
		for (size_t i = 0; i < sys->n_sysctls; i++) {
			_cleanup_free_ char *v = str_escape(sys->sysctls[i]->value);
			_cleanup_free_ char *k = str_escape(sys->sysctls[i]->name);

			printf("  %s = %s\n", k, v);
		}
		protobuf_c_message_free_unpacked(&sys->base, NULL);
	}
}

const struct ns_ops ns_ipc_ops = {
	.name = "ipc",
	.clone_flag = CLONE_NEWIPC,
	.dump = ipc_ns_dump,
	.prepare = ipc_ns_prepare,
	.finish = ipc_ns_finish,
	.release = ipc_ns_release,
	.show = ipc_ns_show,
};
