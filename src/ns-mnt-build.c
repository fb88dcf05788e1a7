// SPDX-License-Identifier: GPL-2.0
/*
 * The mount tree made again, in a process just put in a new mount
 * namespace (a copy of ckpt's, made slave first so that nothing done here
 * reaches the host). Each mount is made detached (fsmount for a new
 * filesystem, open_tree clones for binds), given its flags, then moved
 * onto its mount point, found from the new root with RESOLVE_BENEATH and
 * no symlink, and checked to lie on the mount that is its parent. The
 * root goes on top of ckpt's "/" and pivot_root makes it the namespace's
 * root, the old one detached. Propagation comes last: peer groups are
 * made with MOVE_MOUNT_SET_GROUP among the new mounts, masters before
 * their slaves.
 */
#include "fault.h"
#include "ns-mnt.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct build {
	struct mnt_ns_state *st;
	const MntNsEntry *ns;
	int *sbfd; /* per superblock: its whole filesystem, detached, rw */
	int *fd; /* per mount */
	uint64_t *new_id; /* st's */
	int rootfd;
	int pid; /* the pass: 0 the owner's, else that of a process left some */
	char **rm_path; /* per removed root saved (its holder): where it was made */
	bool *kept; /* per mount: inherited from the host's (ns-mnt-userns.c), or NULL */
};

/* Put on its mount point in this pass. */
static bool in_pass(const struct build *b, size_t i)
{
	return b->st->defer_pid[i] == b->pid && !(b->kept && b->kept[i]);
}

/* Made (source, flags, propagation) in this pass: a premade mount by
 * ckpt's child, though another pass attaches it. */
static bool made_here(const struct build *b, size_t i)
{
	return b->pid ? in_pass(b, i) && !b->st->premade[i] : in_pass(b, i) || b->st->premade[i];
}

static int failed(int r, const MntEntry *m, const char *what)
{
	_cleanup_free_ char *mp = str_escape(m->mountpoint), *type = str_escape(m->fstype);

	return pr_errno(r, "cannot restore: cannot %s the mount at '%s' (%s)", what, mp, type);
}

static int beneath(int dirfd, const char *path, int flags, bool xdev)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   (xdev ? RESOLVE_NO_XDEV : 0),
	};
	const char *rel = path;
	int fd;

	while (*rel == '/')
		rel++;
	fd = (int)syscall(SYS_openat2, dirfd, *rel ? rel : ".", &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

static int set_str(int fs, const char *key, bool octal, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), octal ? "%llo" : "%llu", v);
	return fsconfig(fs, FSCONFIG_SET_STRING, key, buf, 0);
}

static int configure(int fs, const MntSbEntry *sb)
{
	static const char *const huge[] = { "never", "always", "within_size", "advise" };
	int r = 0;

	if (sb->has_size)
		r |= set_str(fs, "size", false, sb->size);
	if (sb->has_nr_inodes)
		r |= set_str(fs, "nr_inodes", false, sb->nr_inodes);
	if (sb->has_mode)
		r |= set_str(fs, "mode", true, sb->mode);
	if (sb->has_ptmxmode)
		r |= set_str(fs, "ptmxmode", true, sb->ptmxmode);
	if (sb->has_uid)
		r |= set_str(fs, "uid", false, mnt_uid_in(sb->uid));
	if (sb->has_gid)
		r |= set_str(fs, "gid", false, mnt_gid_in(sb->gid));
	if (sb->has_inode64)
		r |= fsconfig(fs, FSCONFIG_SET_FLAG, sb->inode64 ? "inode64" : "inode32", NULL, 0);
	if (sb->has_huge)
		r |= fsconfig(fs, FSCONFIG_SET_STRING, "huge", huge[sb->huge], 0);
	if (sb->hidepid)
		r |= fsconfig(fs, FSCONFIG_SET_STRING, "hidepid", sb->hidepid, 0);
	if (sb->subset_pid)
		r |= fsconfig(fs, FSCONFIG_SET_STRING, "subset", "pid", 0);
	if (sb->nsdelegate)
		r |= fsconfig(fs, FSCONFIG_SET_FLAG, "nsdelegate", NULL, 0);
	if (sb->memory_recursiveprot)
		r |= fsconfig(fs, FSCONFIG_SET_FLAG, "memory_recursiveprot", NULL, 0);
	if (sb->controllers) {
		_cleanup_free_ char *copy = xstrdup(sb->controllers);
		char *save = NULL;

		for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
			r |= !strncmp(o, "name=", 5)
				     ? fsconfig(fs, FSCONFIG_SET_STRING, "name", o + 5, 0)
				     : fsconfig(fs, FSCONFIG_SET_FLAG, o, NULL, 0);
	}
	/* A tmpfs is filled first, made read-only after. */
	if (sb->ro && strcmp(sb->fstype, "tmpfs"))
		r |= fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0);
	return r ? -errno : 0;
}

/* mkdir -p of @path's parents under @rootfd: the parent's fd. */
static int make_parents(int rootfd, const char *path, const char **ret_last)
{
	_cleanup_free_ char *copy = xstrdup(path + 1);
	char *c = copy, *slash;
	int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);

	while (fd >= 0 && (slash = strchr(c, '/'))) {
		int next;

		*slash = '\0';
		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return -errno;
		}
		next = beneath(fd, c, O_PATH | O_DIRECTORY, true);
		close(fd);
		fd = next;
		c = slash + 1;
	}
	*ret_last = path + 1 + (c - copy);
	return fd < 0 ? -errno : fd;
}

static void deleted_name(char *buf, size_t len, const MntEntry *m)
{
	snprintf(buf, len, ".ckpt-removed-%u", m->id);
}

/* The mount whose saved files are removed root @i's: the first of the
 * same superblock and root (nspawn binds one removed file twice). */
static long holder(const MntNsEntry *ns, size_t i)
{
	const MntEntry *m = ns->mounts[i];

	for (size_t k = 0; k <= i; k++) {
		const MntEntry *o = ns->mounts[k];

		if (o->kind == MNT_SOURCE_KIND__MNT_SRC_FS && o->deleted && o->has_files &&
		    o->sb == m->sb && !strcmp(o->root, m->root))
			return (long)k;
	}
	return -1;
}

/* Where removed root @m is made: at its own path, which mountinfo shows,
 * when its directory is there and the name free; else at the top under a
 * name of ckpt's. Its parent's fd, the last component in @last. */
static int removed_parent(struct build *b, const MntEntry *m, char *tmp, size_t len,
			  const char **last)
{
	_cleanup_free_ char *dir = xstrdup(m->root);
	char *slash = strrchr(dir, '/');
	struct stat st;
	int fd;

	*slash = '\0';
	fd = beneath(b->sbfd[m->sb], *dir ? dir : "/", O_PATH | O_DIRECTORY, true);
	if (fd >= 0 && slash[1] && fstatat(fd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT) {
		*last = m->root + (slash - dir) + 1;
		return fd;
	}
	if (fd >= 0)
		close(fd);
	deleted_name(tmp, len, m);
	*last = tmp;
	return fcntl(b->sbfd[m->sb], F_DUPFD_CLOEXEC, 0);
}

/* A new superblock, and the files of its mounts that hold some. */
static int make_sb(struct build *b, const MntEntry *first)
{
	const MntSbEntry *sb = b->ns->sbs[first->sb];
	_cleanup_close_ int fs = -1;
	int r;

	fs = fsopen(sb->fstype, FSOPEN_CLOEXEC);
	if (fs < 0)
		return failed(-errno, first, "make the filesystem of");
	r = configure(fs, sb);
	/* Its name in mountinfo ("none" without one): the first mount's,
	 * every mount of one superblock shows the one it was made with. */
	if (r >= 0 && *first->source &&
	    fsconfig(fs, FSCONFIG_SET_STRING, "source", first->source, 0) < 0)
		r = -errno;
	if (r >= 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		r = -errno;
	if (r < 0)
		return failed(r, first, "make the filesystem of");
	b->sbfd[first->sb] = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (b->sbfd[first->sb] < 0)
		return failed(-errno, first, "mount the filesystem of");
	/* The files of the filesystem first, then its removed roots. */
	for (size_t n = 0; n < 2 * b->ns->n_mounts; n++) {
		size_t i = n % b->ns->n_mounts;
		const MntEntry *m = b->ns->mounts[i];
		_cleanup_close_ int parent = -1;
		const char *last = NULL;
		char tmp[64];

		if (m->kind != MNT_SOURCE_KIND__MNT_SRC_FS || m->sb != first->sb || !m->has_files ||
		    m->deleted != (n >= b->ns->n_mounts))
			continue;
		if (m->deleted) {
			parent = removed_parent(b, m, tmp, sizeof(tmp), &last);
			if (parent >= 0)
				b->rm_path[i] = xstrdup(last == tmp ? tmp : m->root);
		} else if (strcmp(m->root, "/")) {
			parent = make_parents(b->sbfd[m->sb], m->root, &last);
		} else {
			parent = fcntl(b->sbfd[m->sb], F_DUPFD_CLOEXEC, 0);
		}
		if (parent < 0)
			return failed(parent, m, "make the root of");
		r = mnt_files_restore(parent, last, b->st->dirfd, m->id, m->mountpoint,
				      b->st->trust);
		if (r < 0)
			return r;
	}
	return 0;
}

static int make_source(struct build *b, size_t i)
{
	const MntEntry *m = b->ns->mounts[i];
	_cleanup_close_ int fd = -1;
	const char *path = NULL;
	int r;

	/* Made by ckpt's child, handed over (mnt_restore opened it). */
	if (b->pid && b->st->premade[i]) {
		if (b->st->pre_fd[i] < 0)
			return failed(-EBADF, m, "find the premade");
		b->fd[i] = b->st->pre_fd[i];
		b->st->pre_fd[i] = -1;
		return 0;
	}
	switch (m->kind) {
	case MNT_SOURCE_KIND__MNT_SRC_FS:
		if (b->sbfd[m->sb] < 0) {
			r = make_sb(b, m);
			if (r < 0)
				return r;
		}
		if (m->deleted) {
			long h = holder(b->ns, i);

			if (h < 0 || !b->rm_path[h])
				return failed(-ENOENT, m, "find the removed root of");
		}
		fd = beneath(b->sbfd[m->sb], m->deleted ? b->rm_path[holder(b->ns, i)] : m->root,
			     O_PATH, true);
		if (fd < 0)
			return failed(fd, m, "find the root of");
		break;
	case MNT_SOURCE_KIND__MNT_SRC_HOST:
	case MNT_SOURCE_KIND__MNT_SRC_EXTERNAL:
		if (b->pid)
			return failed(-EOPNOTSUPP, m,
				      "bind again (on a proc, sysfs, mqueue or cgroup mount)");
		break;
	default:
		break;
	}
	switch (m->kind) {
	case MNT_SOURCE_KIND__MNT_SRC_FS:
		break;
	case MNT_SOURCE_KIND__MNT_SRC_HOST: {
		struct trust_file f = {
			.path = m->host_path,
			.what = "host directory of a mount",
			.mode = m->host_mode,
			.has_ino = true,
			.dev = m->host_dev,
			.ino = m->host_ino,
		};

		fd = trust_open_verify(b->st->trust, &f, O_PATH, 0);
		if (fd < 0)
			return fd;
		break;
	}
	case MNT_SOURCE_KIND__MNT_SRC_EXTERNAL:
		path = b->st->ext_paths[i];
		fd = trust_open(b->st->trust, path, O_PATH, 0);
		if (fd < 0) {
			_cleanup_free_ char *shown = str_escape(path);
			_cleanup_free_ char *mp = str_escape(m->mountpoint);

			return pr_errno(fd,
					"cannot restore: cannot open '%s' for the mount at '%s'",
					shown, mp);
		}
		break;
	default:
		return failed(-EINVAL, m, "make");
	}
	b->fd[i] = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (b->fd[i] < 0)
		return failed(-errno, m, "clone");
	return 0;
}

static int set_flags(struct build *b, size_t i)
{
	const MntEntry *m = b->ns->mounts[i];
	struct mount_attr attr = {
		.attr_set = m->flags,
		.attr_clr = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			    MOUNT_ATTR_NOEXEC | MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME |
			    MOUNT_ATTR_NOSYMFOLLOW,
	};
	struct statx stx;

	if (mount_setattr(b->fd[i], "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return failed(-errno, m, "set the flags of");
	if (statx(b->fd[i], "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
		return failed(-errno, m, "look at");
	b->new_id[i] = stx.stx_mnt_id;
	return 0;
}

static long parent_index(const MntNsEntry *ns, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (ns->mounts[k]->id == ns->mounts[i]->parent_id)
			return (long)k;
	return -1;
}

static int attach(struct build *b, size_t i)
{
	const MntEntry *m = b->ns->mounts[i];
	_cleanup_close_ int target = -1;
	struct statx stx;
	long parent;

	if (i == 0) {
		if (move_mount(b->fd[0], "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return failed(-errno, m, "attach");
		b->rootfd = b->fd[0];
		return 0;
	}
	parent = parent_index(b->ns, i);
	target = beneath(b->rootfd, m->mountpoint, O_PATH, false);
	if (target < 0)
		return failed(target, m, "find the mount point of");
	if (statx(target, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
		return failed(-errno, m, "look at the mount point of");
	if (parent < 0 || stx.stx_mnt_id != b->new_id[parent])
		return failed(-EXDEV, m, "put on its parent");
	if (FAULT_OR(restore_mnt_mount, (errno = EIO, -1),
		     move_mount(b->fd[i], "", target, "",
				MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)) < 0)
		return failed(-errno, m, "attach");
	return 0;
}

static int set_propagation(struct build *b, size_t i, uint64_t type)
{
	struct mount_attr attr = { .propagation = type };

	if (mount_setattr(b->fd[i], "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return failed(-errno, b->ns->mounts[i], "set the propagation of");
	return 0;
}

static int join_group(struct build *b, size_t from, size_t to)
{
	if (move_mount(b->fd[from], "", b->fd[to], "",
		       MOVE_MOUNT_SET_GROUP | MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
	    0)
		return failed(-errno, b->ns->mounts[to], "join the peer group of");
	return 0;
}

/* The member of peer group @group that others join: the widest root. */
static long group_leader(const MntNsEntry *ns, uint32_t group)
{
	long best = -1;

	for (size_t i = 0; i < ns->n_mounts; i++)
		if (ns->mounts[i]->shared == group &&
		    (best < 0 || strlen(ns->mounts[i]->root) < strlen(ns->mounts[best]->root)))
			best = (long)i;
	return best;
}

/* Is some peer of @leader's group not under its root (nspawn's binds of
 * /bus, /class, ... of a sysfs mounted nowhere whole)? */
static bool group_wide(const struct build *b, size_t leader)
{
	const MntEntry *l = b->ns->mounts[leader];
	const char *rest;

	for (size_t i = 0; i < b->ns->n_mounts; i++)
		if (made_here(b, i) && b->ns->mounts[i]->shared == l->shared &&
		    !mnt_path_under(b->ns->mounts[i]->root, l->root, &rest))
			return true;
	return false;
}

/* A peer group joined through a clone of its filesystem's root (the kernel
 * lets a mount join the group of one whose root holds its own): every
 * member at once. */
static int join_wide(struct build *b, size_t leader, bool *done)
{
	const MntEntry *l = b->ns->mounts[leader];
	struct mount_attr attr = { .propagation = MS_SHARED };
	_cleanup_close_ int tmp = -1;
	int r;

	if (l->kind != MNT_SOURCE_KIND__MNT_SRC_FS || b->sbfd[l->sb] < 0 || l->master)
		return failed(-EOPNOTSUPP, l, "join the peer group (not supported) of");
	tmp = open_tree(b->sbfd[l->sb], "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tmp < 0 || mount_setattr(tmp, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return failed(-errno, l, "join the peer group of");
	for (size_t i = 0; i < b->ns->n_mounts; i++) {
		if (!made_here(b, i) || b->ns->mounts[i]->shared != l->shared)
			continue;
		if (move_mount(tmp, "", b->fd[i], "",
			       MOVE_MOUNT_SET_GROUP | MOVE_MOUNT_F_EMPTY_PATH |
				       MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return failed(-errno, b->ns->mounts[i], "join the peer group of");
		r = b->ns->mounts[i]->unbindable ? set_propagation(b, i, MS_UNBINDABLE) : 0;
		if (r < 0)
			return r;
		done[i] = true;
	}
	return 0;
}

static int propagation(struct build *b)
{
	const MntNsEntry *ns = b->ns;
	_cleanup_free_ bool *done = xzalloc(ns->n_mounts * sizeof(*done));
	bool progress = true;
	int r;

	for (size_t i = 0; i < ns->n_mounts; i++)
		done[i] = !made_here(b, i);
	for (size_t i = 0; i < ns->n_mounts; i++) {
		if (ns->mounts[i]->master_host || !made_here(b, i))
			continue;
		r = set_propagation(b, i, MS_PRIVATE);
		if (r < 0)
			return r;
	}
	/* Each pass settles the mounts whose master is settled. */
	while (progress) {
		progress = false;
		for (size_t i = 0; i < ns->n_mounts; i++) {
			const MntEntry *m = ns->mounts[i];
			long leader = m->shared ? group_leader(ns, m->shared) : -1;
			long master = m->master ? group_leader(ns, m->master) : -1;

			if (done[i] || (master >= 0 && !done[master]) ||
			    (leader >= 0 && leader != (long)i && !done[leader]))
				continue;
			if (m->master && master < 0)
				return failed(-EINVAL, m, "find the master of");
			if (leader == (long)i && group_wide(b, i)) {
				r = join_wide(b, i, done);
				if (r < 0)
					return r;
				progress = true;
				continue;
			}
			r = 0;
			if (leader >= 0 && leader != (long)i) {
				r = join_group(b, (size_t)leader, i);
			} else {
				if (master >= 0) {
					r = join_group(b, (size_t)master, i);
					if (r >= 0)
						r = set_propagation(b, i, MS_SLAVE);
				}
				if (r >= 0 && m->shared)
					r = set_propagation(b, i, MS_SHARED);
			}
			if (r >= 0 && m->unbindable)
				r = set_propagation(b, i, MS_UNBINDABLE);
			if (r < 0)
				return r;
			done[i] = progress = true;
		}
	}
	for (size_t i = 0; i < ns->n_mounts; i++)
		if (!done[i])
			return failed(-ELOOP, ns->mounts[i], "settle the propagation of");
	return 0;
}

static int make_ro(int sbfd)
{
	_cleanup_close_ int fs = fspick(sbfd, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC);

	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0)
		return pr_errno(-errno, "cannot restore: cannot make a tmpfs read-only");
	return 0;
}

/* Is removed root @i's file bound by a premade mount too (then the
 * process that puts that one in place removes it)? */
static bool file_waits(const struct build *b, size_t i)
{
	long h = holder(b->ns, i);

	for (size_t k = 0; k < b->ns->n_mounts; k++)
		if (b->st->premade[k] && b->ns->mounts[k]->kind == MNT_SOURCE_KIND__MNT_SRC_FS &&
		    b->ns->mounts[k]->deleted && holder(b->ns, k) == h)
			return true;
	return false;
}

/* The file (or directory) made for removed root @i, found through @dir
 * (its filesystem's root) where it was made (its own path or ckpt's name
 * for it), checked to be the one the mount shows, removed; gone already
 * when another mount of the same file removed it. */
static int remove_root(struct build *b, size_t i, int dir)
{
	const MntEntry *m = b->ns->mounts[i];
	long h = holder(b->ns, i);
	struct stat want, st;
	char alt[64];

	if (h < 0 || fstat(b->fd[i], &want) < 0)
		return failed(h < 0 ? -ENOENT : -errno, m, "look at the removed root of");
	if (want.st_nlink == 0)
		return 0;
	deleted_name(alt, sizeof(alt), b->ns->mounts[h]);
	for (int k = 0; k < 2; k++) {
		_cleanup_free_ char *parent = xstrdup(k ? alt : m->root);
		char *slash = strrchr(parent, '/');
		const char *last = slash ? slash + 1 : parent;
		_cleanup_close_ int pfd = -1;

		if (slash)
			*slash = '\0';
		pfd = beneath(dir, slash && *parent ? parent : "/", O_PATH | O_DIRECTORY, true);
		if (pfd < 0 || !*last || fstatat(pfd, last, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_dev != want.st_dev || st.st_ino != want.st_ino)
			continue;
		if (unlinkat(pfd, last, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
			return failed(-errno, m, "remove the root of");
		return 0;
	}
	return failed(-ENOENT, m, "find the removed root of");
}

/* What was made for removed roots goes, and read-only tmpfs become so;
 * a premade bind of a removed file is removed by the pass that puts it
 * on its mount point (through its filesystem's root, st->pre_dir). */
static int finish_sbs(struct build *b)
{
	for (size_t i = 0; i < b->ns->n_mounts; i++) {
		const MntEntry *m = b->ns->mounts[i];
		bool pre = b->st->premade[i];
		int dir = b->pid && pre ? b->st->pre_dir[i] : b->sbfd[m->sb];
		int r;

		if (m->kind != MNT_SOURCE_KIND__MNT_SRC_FS || !m->deleted || !in_pass(b, i) ||
		    (!b->pid && (pre || file_waits(b, i))))
			continue;
		r = remove_root(b, i, dir);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < b->ns->n_sbs; i++) {
		const MntSbEntry *sb = b->ns->sbs[i];
		int r;

		/* (A read-only superblock has no removed file in use: the
		 * kernel refuses the remount, EBUSY.) */
		if (b->sbfd[i] < 0 || !sb->ro || strcmp(sb->fstype, "tmpfs"))
			continue;
		r = make_ro(b->sbfd[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The new root the namespace's: pivot_root(".", ".") stacks the old root
 * on the new one, and detaching it takes every mount of ckpt's along. */
static int pivot(struct build *b)
{
	if (fchdir(b->rootfd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return pr_errno(-errno, "cannot restore: cannot make the mount namespace's root");
	return 0;
}

/* The image directory: ckpt's fd in ckpt's child (pass 0), the copy
 * handed down in a process of the tree, which may have made the
 * container's root its own already (no ckpt's /proc/PID/fd there). */
static int open_images(struct mnt_ns_state *st, int pid)
{
	struct stat s;

	st->dirfd = fcntl(pid ? st->tree_dirfd : st->ckpt_dirfd, F_DUPFD_CLOEXEC, 0);
	if (st->dirfd < 0)
		return pr_errno(-errno, "cannot restore: cannot open the image directory again");
	if (fstat(st->dirfd, &s) < 0 || s.st_dev != st->dir_dev || s.st_ino != st->dir_ino) {
		close(st->dirfd);
		st->dirfd = -1;
		return pr_fail(-EXDEV, "cannot restore: the image directory changed");
	}
	return 0;
}

/* The image directory again, in ckpt (before it gives up anything). */
int mnt_ns_open_images(struct mnt_ns_state *st)
{
	return open_images(st, 0);
}

void mnt_ns_plan(struct mnt_ns_state *st, int owner_pid)
{
	const MntNsEntry *ns = st->ns;
	_cleanup_free_ int *sb_pid = xzalloc((ns->n_sbs + 1) * sizeof(*sb_pid));

	st->defer_pid = xzalloc(ns->n_mounts * sizeof(*st->defer_pid));
	st->new_id = xzalloc(ns->n_mounts * sizeof(*st->new_id));
	st->premade = xzalloc(ns->n_mounts * sizeof(*st->premade));
	st->pre_fd = xmalloc(ns->n_mounts * sizeof(*st->pre_fd));
	st->pre_dir = xmalloc(ns->n_mounts * sizeof(*st->pre_dir));
	for (size_t i = 0; i < ns->n_mounts; i++)
		st->pre_fd[i] = st->pre_dir[i] = -1;
	if (owner_pid < 0)
		return;
	for (size_t k = 0; k < ns->n_sbs; k++) {
		const MntSbEntry *sb = ns->sbs[k];

		if (!strcmp(sb->fstype, "proc"))
			sb_pid[k] = sb->has_proc_pid ? (int)sb->proc_pid : owner_pid;
		else if (strcmp(sb->fstype, "tmpfs") && strcmp(sb->fstype, "devpts"))
			sb_pid[k] = owner_pid;
	}
	for (size_t i = 1; i < ns->n_mounts; i++) {
		const MntEntry *m = ns->mounts[i];
		long parent = parent_index(ns, i);

		if (m->kind == MNT_SOURCE_KIND__MNT_SRC_FS && sb_pid[m->sb])
			st->defer_pid[i] = sb_pid[m->sb];
		else if (parent >= 0)
			st->defer_pid[i] = st->defer_pid[parent];
		/* On a mount left to a process, of a source of ckpt's child. */
		st->premade[i] = st->defer_pid[i] &&
				 !(m->kind == MNT_SOURCE_KIND__MNT_SRC_FS && sb_pid[m->sb]);
	}
}

int mnt_ns_build(struct mnt_ns_state *st, int pid)
{
	const MntNsEntry *ns = st->ns;
	struct build b = { .st = st, .ns = ns, .rootfd = -1, .pid = pid, .new_id = st->new_id };
	_cleanup_close_ int root = -1;
	bool any = false;
	int r = 0;

	for (size_t i = 0; i < ns->n_mounts; i++)
		any |= in_pass(&b, i);
	if (!any)
		return 0;
	if (pid == 0 && mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return pr_errno(-errno,
				"cannot restore: cannot make the new mount namespace slave");
	if (pid || st->userns_helper) {
		root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			return pr_errno(-errno, "cannot restore: cannot open '/'");
		b.rootfd = root;
	}
	if (!pid && st->userns_helper) {
		r = mnt_userns_kept(st, root, &b.kept);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ns->n_mounts && st->dirfd < 0; i++)
		if (made_here(&b, i) && ns->mounts[i]->has_files) {
			r = open_images(st, pid);
			if (r < 0)
				return r;
		}
	b.sbfd = xmalloc((ns->n_sbs + 1) * sizeof(*b.sbfd));
	b.rm_path = xzalloc(ns->n_mounts * sizeof(*b.rm_path));
	b.fd = xmalloc(ns->n_mounts * sizeof(*b.fd));
	for (size_t i = 0; i < ns->n_sbs; i++)
		b.sbfd[i] = -1;
	for (size_t i = 0; i < ns->n_mounts; i++)
		b.fd[i] = -1;
	for (size_t i = 0; i < ns->n_mounts && r >= 0; i++) {
		if (!in_pass(&b, i) && !made_here(&b, i))
			continue;
		r = make_source(&b, i);
		if (r >= 0)
			r = set_flags(&b, i);
		if (r >= 0 && in_pass(&b, i))
			r = attach(&b, i);
	}
	if (r >= 0)
		r = finish_sbs(&b);
	if (r >= 0 && pid == 0 && !b.kept)
		r = pivot(&b);
	if (r >= 0)
		r = propagation(&b);
	/* The premade ones go to ckpt (prebuild_child). */
	for (size_t i = 0; i < ns->n_mounts && r >= 0 && pid == 0; i++)
		if (st->premade[i]) {
			const MntEntry *m = ns->mounts[i];

			st->pre_fd[i] = b.fd[i];
			b.fd[i] = -1;
			if (m->kind == MNT_SOURCE_KIND__MNT_SRC_FS && m->deleted)
				st->pre_dir[i] = fcntl(b.sbfd[m->sb], F_DUPFD_CLOEXEC, 0);
			if (m->kind == MNT_SOURCE_KIND__MNT_SRC_FS && m->deleted &&
			    st->pre_dir[i] < 0)
				r = failed(-errno, m, "keep the filesystem of");
		}
	for (size_t i = 0; i < ns->n_sbs; i++)
		if (b.sbfd[i] >= 0)
			close(b.sbfd[i]);
	for (size_t i = 0; i < ns->n_mounts; i++) {
		if (b.fd[i] >= 0)
			close(b.fd[i]);
		if (pid && st->pre_dir[i] >= 0) {
			close(st->pre_dir[i]);
			st->pre_dir[i] = -1;
		}
	}
	for (size_t i = 0; i < ns->n_mounts; i++)
		free(b.rm_path[i]);
	free(b.rm_path);
	free(b.sbfd);
	free(b.fd);
	free(b.kept);
	/* Nothing of ckpt's stays in the process. */
	if (st->dirfd >= 0)
		close(st->dirfd);
	st->dirfd = -1;
	return r;
}
