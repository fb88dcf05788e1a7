// SPDX-License-Identifier: GPL-2.0
/*
 * Dump of a mount namespace: what each mount is and where it comes from,
 * in the order the restore makes them, what is refused, and mnt-ID.img
 * (the files of its tmpfs mounts: ns-mnt-hidden.c).
 *
 * The work is done by a child of ckpt that enters the namespace (setns
 * puts its root at the namespace's root, so that mountinfo shows every
 * mount, also those out of reach of the tree's own root after a
 * pivot_root or chroot). It keeps an fd of ckpt's root to look at host
 * paths.
 */
#include "fault.h"
#include "image.h"
#include "ns-mnt.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

struct dump_ctx {
	const struct options *o;
	int dirfd, hostfd; /* the image directory; ckpt's root */
	int procfd; /* ckpt's /proc: the namespace may have none */
	int cgnsfd; /* the cgroup namespace of the namespace's owner */
	struct mnt_info *cg; /* mountinfo read in that cgroup namespace */
	size_t nr_cg;
	uint32_t nsid;
	struct mnt_info *ns, *host;
	size_t nr_ns, nr_host;
	size_t *order; /* indexes into ns, parents first */
	size_t nr_order;
	MntEntry **mounts;
	MntSbEntry **sbs;
	size_t nr_sbs;
	const struct mnt_pidns *procs;
	size_t nr_procs;
	MntInnerFile **inner;
	size_t nr_inner;
};

static int refuse(int r, const char *what, const struct mnt_info *m, const char *why)
{
	_cleanup_free_ char *mp = str_escape(m->mountpoint), *type = str_escape(m->fstype);

	return pr_fail(r, "cannot dump: %s '%s' (%s) %s", what, mp, type, why);
}

/* The mount at the namespace's root: the one whose parent is not shown. */
static long find_root(const struct mnt_info *v, size_t nr)
{
	long root = -1;

	for (size_t i = 0; i < nr; i++) {
		if (mnt_info_find(v, nr, v[i].parent) >= 0)
			continue;
		if (root >= 0 || strcmp(v[i].mountpoint, "/"))
			return -1;
		root = (long)i;
	}
	return root;
}

static size_t depth(const char *path)
{
	size_t n = 0;

	for (const char *c = path; *c; c++)
		n += *c == '/' && c[1];
	return n;
}

/*
 * The order mounts are made in: a parent, then its children, the deeper
 * mount points first. Two children of one mount where one hides the
 * other: the hidden one was there first, and it is the deeper (a mount
 * made on a path below another child's mount point would be that child's
 * child). Children on the same dentry cannot be.
 */
static void order_children(struct dump_ctx *c, size_t parent, unsigned int level)
{
	size_t first = c->nr_order;

	for (size_t i = 0; i < c->nr_ns; i++)
		if (i != parent && c->ns[i].parent == c->ns[parent].id)
			c->order[c->nr_order++] = i;
	/* Insertion sort, stable: deeper first. */
	for (size_t i = first + 1; i < c->nr_order; i++) {
		size_t v = c->order[i], j = i;

		while (j > first &&
		       depth(c->ns[c->order[j - 1]].mountpoint) < depth(c->ns[v].mountpoint)) {
			c->order[j] = c->order[j - 1];
			j--;
		}
		c->order[j] = v;
	}
	if (level > 256)
		return;
	for (size_t i = first, end = c->nr_order; i < end; i++)
		order_children(c, c->order[i], level + 1);
}

static const char *external_key(const struct options *o, const char *mountpoint)
{
	for (int i = 0; i < o->nr_external; i++)
		if (!strcmp(o->external[i].kind, "mnt") && !strcmp(o->external[i].key, mountpoint))
			return o->external[i].value ? o->external[i].value : "";
	return NULL;
}

static bool host_has_group(const struct dump_ctx *c, uint32_t group)
{
	for (size_t i = 0; i < c->nr_host; i++)
		if (c->host[i].shared == group)
			return true;
	return false;
}

static bool ns_has_group(const struct dump_ctx *c, uint32_t group)
{
	for (size_t i = 0; i < c->nr_ns; i++)
		if (c->ns[i].shared == group)
			return true;
	return false;
}

/* A host mount of the same filesystem whose root holds @m's: the host
 * path @m shows, in *@ret (the caller frees). Prefers the same mount
 * point (what unshare copied). */
static const struct mnt_info *host_source(const struct dump_ctx *c, const struct mnt_info *m,
					  char **ret)
{
	const struct mnt_info *best = NULL;
	const char *rest = NULL;

	for (size_t i = 0; i < c->nr_host; i++) {
		const struct mnt_info *h = &c->host[i];
		const char *r;

		if (!mnt_info_same_dev(h, m) || strcmp(h->fstype, m->fstype) ||
		    !mnt_path_under(m->root, h->root, &r))
			continue;
		if (!best || (!strcmp(h->mountpoint, m->mountpoint) && !strcmp(h->root, m->root)) ||
		    strlen(h->root) > strlen(best->root)) {
			best = h;
			rest = r;
			if (!strcmp(h->mountpoint, m->mountpoint) && !strcmp(h->root, m->root))
				break;
		}
	}
	if (!best)
		return NULL;
	*ret = !strcmp(best->mountpoint, "/") ? xasprintf("%s", *rest ? rest : "/")
					      : xasprintf("%s%s", best->mountpoint, rest);
	return best;
}

/* The host path of a MNT_SRC_HOST mount: the host's mount it shows is
 * there (not hidden), recorded to be compared at restore. */
static int host_path_check(struct dump_ctx *c, const struct mnt_info *m, const struct mnt_info *h,
			   const char *path, MntEntry *e)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	struct statx stx;
	_cleanup_close_ int fd = -1;
	int r;

	fd = (int)syscall(SYS_openat2, c->hostfd, path[1] ? path + 1 : ".", &how, sizeof(how));
	if (fd < 0)
		return refuse(-errno, "mount", m,
			      "shows a host path ckpt cannot open (not supported)");
	r = statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO | STATX_TYPE, &stx);
	if (r < 0)
		return refuse(-errno, "mount", m, "shows a host path ckpt cannot look at");
	if (stx.stx_mnt_id != h->id || stx.stx_dev_major != m->major ||
	    stx.stx_dev_minor != m->minor)
		return refuse(
			-EOPNOTSUPP, "mount", m,
			"comes from a host path that is hidden on the host: name it with --external mnt[MOUNTPOINT]:KEY");
	e->host_path = xstrdup(path);
	e->has_host_dev = e->has_host_ino = e->has_host_mode = true;
	e->host_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	e->host_ino = stx.stx_ino;
	e->host_mode = stx.stx_mode & S_IFMT;
	return 0;
}

/* The pid namespace a proc shows (that of its pid 1), and a process of
 * the tree in it to make it again. */
static int proc_pidns(struct dump_ctx *c, const struct mnt_info *m, MntSbEntry *sb)
{
	_cleanup_close_ int fd = -1;
	struct statx stx;
	char link[64] = "";
	unsigned int ino = 0;
	ssize_t n;

	fd = mnt_open_path(m->mountpoint, &stx);
	if (fd < 0 || stx.stx_mnt_id != m->id)
		return refuse(-EOPNOTSUPP, "mount", m,
			      "is hidden under another mount (not supported)");
	/* A proc that shows us ("self" has a pid) shows ckpt's pid
	 * namespace (an ancestor of ckpt's is not the tree's to restore
	 * either); another one, that of its pid 1. */
	n = readlinkat(fd, "self", link, sizeof(link) - 1) > 0
		    ? readlinkat(c->procfd, "self/ns/pid", link, sizeof(link) - 1)
		    : readlinkat(fd, "1/ns/pid", link, sizeof(link) - 1);
	if (n > 0)
		link[n] = '\0';
	if (n <= 0 || sscanf(link, "pid:[%u]", &ino) != 1)
		return refuse(-EOPNOTSUPP, "mount", m, "shows a pid namespace without its init");
	for (size_t k = 0; k < c->nr_procs; k++)
		if (c->procs[k].pidns == ino) {
			sb->has_proc_pid = true;
			sb->proc_pid = (uint32_t)c->procs[k].pid;
			return 0;
		}
	return refuse(-EOPNOTSUPP, "mount", m,
		      "shows a pid namespace no process of the tree is in (not supported)");
}

static long sb_of(struct dump_ctx *c, const struct mnt_info *m)
{
	for (size_t i = 0; i < c->nr_sbs; i++)
		if (c->sbs[i]->dev == (uint32_t)makedev(m->major, m->minor))
			return (long)i;
	return -1;
}

static int add_sb(struct dump_ctx *c, const struct mnt_info *m, uint32_t *ret)
{
	long i = sb_of(c, m);
	MntSbEntry *sb;
	char bad[128];

	if (i >= 0) {
		*ret = (uint32_t)i;
		return 0;
	}
	sb = xmalloc(sizeof(*sb));
	mnt_sb_entry__init(sb);
	sb->index = (uint32_t)c->nr_sbs;
	sb->fstype = xstrdup(m->fstype);
	sb->dev = (uint32_t)makedev(m->major, m->minor);
	if (mnt_sb_opts_parse(m->fstype, m->super_opts, sb, bad, sizeof(bad)) < 0) {
		_cleanup_free_ char *shown = str_escape(bad);
		char why[256];

		mnt_sb_entry__free_unpacked(sb, NULL);
		snprintf(why, sizeof(why), "has option '%s' ckpt cannot make again (not supported)",
			 shown);
		return refuse(-EOPNOTSUPP, "mount", m, why);
	}
	if (sb->has_size && sb->size > MNT_MAX_TMPFS_SIZE) {
		mnt_sb_entry__free_unpacked(sb, NULL);
		return refuse(-EFBIG, "mount", m, "is larger than 64 GiB (refused)");
	}
	if (!strcmp(sb->fstype, "proc")) {
		int r = proc_pidns(c, m, sb);

		if (r < 0) {
			mnt_sb_entry__free_unpacked(sb, NULL);
			return r;
		}
	}
	c->sbs = xrealloc(c->sbs, (c->nr_sbs + 1) * sizeof(*c->sbs));
	c->sbs[c->nr_sbs++] = sb;
	*ret = sb->index;
	return 0;
}

/* "/a//deleted": the root was removed. */
static bool strip_deleted(char *root)
{
	size_t n = strlen(root);

	if (n > 9 && !strcmp(root + n - 9, "//deleted")) {
		root[n - 9] = '\0';
		return true;
	}
	return false;
}

static int classify(struct dump_ctx *c, size_t i, bool host_root, MntEntry *e)
{
	struct mnt_info *m = &c->ns[i];
	const char *key = external_key(c->o, m->mountpoint);
	const struct mnt_info *h;
	char bad[128];
	int r;

	r = mnt_flags_parse(m->mnt_opts, &e->flags, bad, sizeof(bad));
	if (r < 0) {
		_cleanup_free_ char *shown = str_escape(bad);
		char why[256];

		snprintf(why, sizeof(why), "has mount option '%s' (not supported)", shown);
		return refuse(-EOPNOTSUPP, "mount", m, why);
	}
	if (key) {
		if (!*key || strlen(key) > 255)
			return refuse(
				-EINVAL, "mount", m,
				"is named by --external mnt[...] without a KEY (mnt[MOUNTPOINT]:KEY)");
		e->kind = MNT_SOURCE_KIND__MNT_SRC_EXTERNAL;
		e->ext_key = xstrdup(key);
		return 0;
	}
	/* A filesystem ckpt makes anew, not shared with the host: a tmpfs or
	 * devpts the host also mounts is the host's, proc, sysfs, mqueue
	 * and cgroup show the namespace of whoever mounts them. */
	if (mnt_fs_known(m->fstype)) {
		bool hosts = false, inherited = false;
		bool content = !strcmp(m->fstype, "tmpfs") || !strcmp(m->fstype, "devpts");

		for (size_t k = 0; k < c->nr_host; k++)
			hosts |= mnt_info_same_dev(&c->host[k], m);
		if (hosts && host_root) {
			_cleanup_free_ char *path = NULL;

			inherited = host_source(c, m, &path) && !strcmp(path, m->mountpoint);
		}
		if (!inherited && (!hosts || !content)) {
			e->kind = MNT_SOURCE_KIND__MNT_SRC_FS;
			e->has_sb = true;
			e->deleted = strip_deleted(m->root);
			e->has_deleted = e->deleted;
			return add_sb(c, m, &e->sb);
		}
	}
	if (!host_root)
		return refuse(
			-EOPNOTSUPP, "mount", m,
			"comes from outside the container: name it with --external mnt[MOUNTPOINT]:KEY");
	h = host_source(c, m, &e->host_path);
	if (!h)
		return refuse(
			-EOPNOTSUPP, "mount", m,
			"is of no filesystem the host mounts: name it with --external mnt[MOUNTPOINT]:KEY");
	e->kind = MNT_SOURCE_KIND__MNT_SRC_HOST;
	{
		_cleanup_free_ char *path = e->host_path;

		e->host_path = NULL;
		return host_path_check(c, m, h, path, e);
	}
}

/* A cgroup mount made anew: its root as the owner's cgroup namespace
 * shows it, which must lie in that namespace. */
static int cgroup_root(struct dump_ctx *c, const struct mnt_info *m, MntEntry *e)
{
	long k = mnt_info_find(c->cg, c->nr_cg, m->id);
	const char *rest;

	if (e->kind != MNT_SOURCE_KIND__MNT_SRC_FS ||
	    (strcmp(m->fstype, "cgroup") && strcmp(m->fstype, "cgroup2")))
		return 0;
	if (k < 0)
		return refuse(-EINVAL, "mount", m, "is not seen from the cgroup namespace");
	if (mnt_path_under(c->cg[k].root, "/..", &rest))
		return refuse(
			-EOPNOTSUPP, "mount", m,
			"shows a cgroup outside the cgroup namespace of the tree's root (not supported)");
	free(e->root);
	e->root = xstrdup(c->cg[k].root);
	return 0;
}

static int propagation(struct dump_ctx *c, const struct mnt_info *m, MntEntry *e)
{
	if (m->shared) {
		if (host_has_group(c, m->shared))
			return refuse(
				-EOPNOTSUPP, "mount", m,
				"is shared with a mount of the host (make it private or slave: not supported)");
		e->has_shared = true;
		e->shared = m->shared;
	}
	if (m->master) {
		if (ns_has_group(c, m->master)) {
			e->has_master = true;
			e->master = m->master;
		} else if (e->kind != MNT_SOURCE_KIND__MNT_SRC_FS) {
			e->has_master_host = e->master_host = true;
		} else {
			return refuse(
				-EOPNOTSUPP, "mount", m,
				"receives from a mount outside the container (not supported)");
		}
	}
	if (m->unbindable)
		e->has_unbindable = e->unbindable = true;
	return 0;
}

/*
 * The restore has the process of the tree that makes a proc (the one in
 * the pid namespace it shows) put on it what lies on it; a bind of
 * another source (a tmpfs, the host's) ckpt's child makes and hands over
 * to the namespace's owner only (ns-mnt-build.c): such a bind on a proc
 * of a pid namespace the owner is not in would not restore.
 */
static int on_other_proc(struct dump_ctx *c)
{
	_cleanup_free_ int *by = xzalloc(c->nr_order * sizeof(*by));
	int owner = c->nr_procs ? c->procs[0].pid : 0;

	for (size_t k = 1; k < c->nr_order; k++) {
		const MntEntry *e = c->mounts[k];
		bool own_fs = e->kind == MNT_SOURCE_KIND__MNT_SRC_FS &&
			      strcmp(e->fstype, "tmpfs") && strcmp(e->fstype, "devpts");

		for (size_t p = 0; p < k && !own_fs; p++)
			if (c->mounts[p]->id == e->parent_id)
				by[k] = by[p];
		if (own_fs)
			by[k] = !strcmp(e->fstype, "proc") ? (int)c->sbs[e->sb]->proc_pid : owner;
		if (!own_fs && by[k] && by[k] != owner)
			return refuse(
				-EOPNOTSUPP, "mount", &c->ns[c->order[k]],
				"is a bind on a proc of a pid namespace the tree's root is not in (not supported)");
	}
	return 0;
}

/* Is host mount @h hidden on the host (its mount point shows another)? */
static bool host_hidden(const struct dump_ctx *c, const struct mnt_info *h)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int fd = -1;
	struct statx stx;

	fd = (int)syscall(SYS_openat2, c->hostfd, h->mountpoint[1] ? h->mountpoint + 1 : ".", &how,
			  sizeof(how));
	return fd < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 ||
	       stx.stx_mnt_id != h->id;
}

/*
 * A copy of a host mount that is hidden on the host under another one
 * (unshare copies it along): not reachable from any path, in the
 * container either, it is left out, its overmounts put on its parent.
 * One with other mounts on it would have to be reached: refused.
 */
static int drop_hidden_copies(struct dump_ctx *c)
{
	for (size_t i = 0; i < c->nr_ns;) {
		struct mnt_info *m = &c->ns[i];
		const struct mnt_info *h = NULL;
		bool others = false;

		for (size_t k = 0; k < c->nr_host && !h; k++)
			if (mnt_info_same_dev(&c->host[k], m) &&
			    !strcmp(c->host[k].mountpoint, m->mountpoint) &&
			    !strcmp(c->host[k].root, m->root))
				h = &c->host[k];
		if (!h || mnt_info_find(c->ns, c->nr_ns, m->parent) < 0 || !host_hidden(c, h)) {
			i++;
			continue;
		}
		for (size_t k = 0; k < c->nr_ns; k++)
			others |= c->ns[k].parent == m->id &&
				  strcmp(c->ns[k].mountpoint, m->mountpoint);
		if (others)
			return refuse(
				-EOPNOTSUPP, "mount", m,
				"is a copy of a host mount hidden on the host, with mounts on it (not supported)");
		for (size_t k = 0; k < c->nr_ns; k++)
			if (c->ns[k].parent == m->id)
				c->ns[k].parent = m->parent;
		mnt_info_free_one(m);
		memmove(m, m + 1, (c->nr_ns - i - 1) * sizeof(*m));
		c->nr_ns--;
	}
	return 0;
}

static int dump_in_ns(struct dump_ctx *c)
{
	MntNsEntry ne = MNT_NS_ENTRY__INIT;
	long root = find_root(c->ns, c->nr_ns);
	long hroot = find_root(c->host, c->nr_host);
	bool host_root;
	int r = 0;

	if (root < 0 || hroot < 0)
		return pr_fail(-EINVAL,
			       "cannot dump: the mount namespace has no single root mount");
	if (c->nr_ns > MNT_MAX_MOUNTS)
		return pr_fail(-E2BIG, "cannot dump: more than %d mounts in the mount namespace",
			       MNT_MAX_MOUNTS);
	host_root = mnt_info_same_dev(&c->ns[root], &c->host[hroot]) &&
		    !strcmp(c->ns[root].root, c->host[hroot].root) &&
		    !strcmp(c->ns[root].fstype, c->host[hroot].fstype);
	if (host_root) {
		r = drop_hidden_copies(c);
		if (r < 0)
			return r;
		root = find_root(c->ns, c->nr_ns);
		if (root < 0)
			return pr_fail(-EINVAL,
				       "cannot dump: the mount namespace has no single root mount");
	}
	c->order = xmalloc(c->nr_ns * sizeof(*c->order));
	c->order[c->nr_order++] = (size_t)root;
	order_children(c, (size_t)root, 0);
	if (c->nr_order != c->nr_ns)
		return pr_fail(-EINVAL, "cannot dump: mounts of the namespace out of its tree");
	for (int i = 0; i < c->o->nr_external; i++) {
		const struct external *x = &c->o->external[i];
		bool found = false;

		for (size_t k = 0; k < c->nr_ns && strcmp(x->kind, "mnt") == 0; k++)
			found |= !strcmp(c->ns[k].mountpoint, x->key);
		if (!strcmp(x->kind, "mnt") && !found) {
			_cleanup_free_ char *shown = str_escape(x->key);

			return pr_fail(
				-ENOENT,
				"cannot dump: --external mnt[%s]: no such mount point in the tree's mount namespace",
				shown);
		}
	}
	c->mounts = xzalloc(c->nr_order * sizeof(*c->mounts));
	for (size_t k = 0; k < c->nr_order && r >= 0; k++) {
		struct mnt_info *m = &c->ns[c->order[k]];
		MntEntry *e = xmalloc(sizeof(*e));

		mnt_entry__init(e);
		c->mounts[k] = e;
		e->id = m->id;
		e->parent_id = k ? m->parent : m->id;
		e->mountpoint = xstrdup(m->mountpoint);
		e->fstype = xstrdup(m->fstype);
		e->source = xstrdup(m->source);
		r = classify(c, c->order[k], host_root, e);
		e->root = xstrdup(m->root);
		if (r >= 0)
			r = cgroup_root(c, m, e);
		if (r >= 0)
			r = propagation(c, m, e);
	}
	if (r < 0)
		return r;
	r = on_other_proc(c);
	if (r < 0)
		return r;
	r = mnt_paths_check(c->procfd, c->nsid, c->procs, c->nr_procs, c->mounts, c->nr_order,
			    host_root, &c->inner, &c->nr_inner);
	if (r < 0)
		return r;
	r = mnt_tmpfs_dump(c->procfd, c->dirfd, c->ns, c->nr_ns, c->mounts, c->nr_order);
	if (r < 0)
		return r;
	ne.id = c->nsid;
	ne.host_root = host_root;
	ne.n_mounts = c->nr_order;
	ne.mounts = c->mounts;
	ne.n_sbs = c->nr_sbs;
	ne.sbs = c->sbs;
	ne.n_inner = c->nr_inner;
	ne.inner = c->inner;
	r = FAULT_OR(dump_mnt_ns, -EIO, img_write_msg(c->dirfd, IMG_MNT, (int)c->nsid, &ne.base));
	if (r < 0)
		return pr_errno(r, "cannot dump: cannot write the mount namespace image");
	return 0;
}

static int read_mountinfo(const char *path, struct mnt_info **ret, size_t *nr)
{
	return mnt_info_read_at(AT_FDCWD, path, ret, nr);
}

/* The child: enter the namespace, dump, exit 0 or 1 (after one line). */
static int child(struct dump_ctx *c, int nsfd)
{
	int r;

	c->hostfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	c->procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->hostfd < 0 || c->procfd < 0)
		return pr_errno(-errno, "cannot dump: cannot open '/' and '/proc'");
	if (setns(nsfd, CLONE_NEWNS) < 0)
		return pr_errno(-errno, "cannot dump: cannot enter the mount namespace");
	/* Our root is now the namespace's: its mountinfo shows every mount. */
	r = mnt_info_read_at(c->procfd, "self/mountinfo", &c->ns, &c->nr_ns);
	if (r < 0)
		return pr_errno(r, "cannot dump: cannot read the mount namespace's mountinfo");
	/* The root of a cgroup mount is shown from the reader's cgroup
	 * namespace: a cgroup mount made anew is made by the owner, in its
	 * own (nspawn's /sys/fs/cgroup/memory is "/" there, not the host's
	 * path): read once more from there. */
	if (c->cgnsfd >= 0 && setns(c->cgnsfd, CLONE_NEWCGROUP) < 0)
		return pr_errno(-errno, "cannot dump: cannot enter the cgroup namespace");
	r = mnt_info_read_at(c->procfd, "self/mountinfo", &c->cg, &c->nr_cg);
	if (r < 0)
		return pr_errno(r, "cannot dump: cannot read the mount namespace's mountinfo");
	return dump_in_ns(c);
}

int mnt_ns_dump(int nsfd, uint32_t id, int dirfd, const struct options *o,
		const struct mnt_pidns *procs, size_t nr_procs)
{
	struct dump_ctx c = { .o = o,
			      .dirfd = dirfd,
			      .nsid = id,
			      .hostfd = -1,
			      .procfd = -1,
			      .cgnsfd = -1,
			      .procs = procs,
			      .nr_procs = nr_procs };
	_cleanup_close_ int cgnsfd = -1;
	char path[64];
	int r, status;
	pid_t pid;

	snprintf(path, sizeof(path), "/proc/%d/ns/cgroup", nr_procs ? procs[0].pid : 0);
	cgnsfd = nr_procs ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	c.cgnsfd = cgnsfd;

	r = read_mountinfo("/proc/self/mountinfo", &c.host, &c.nr_host);
	if (r < 0)
		return pr_errno(r, "cannot dump: cannot read ckpt's own mountinfo");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		mnt_info_free(c.host, c.nr_host);
		return pr_errno(-errno, "cannot dump: cannot fork");
	}
	if (pid == 0) {
		(void)signal(SIGINT, SIG_IGN);
		_exit(child(&c, nsfd) < 0 ? 1 : 0);
	}
	mnt_info_free(c.host, c.nr_host);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pr_errno(-errno,
					"cannot dump: cannot wait for the mount namespace helper");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status)) /* it said why */
		return -EPERM;
	return pr_fail(-EIO, "cannot dump: the mount namespace helper died (signal %d)",
		       WTERMSIG(status));
}
