// SPDX-License-Identifier: GPL-2.0
/*
 * Mount namespaces: the ns_ops of the kind (see ns-mnt.h for the files
 * that do the work) and ckpt show of the mount tree.
 *
 * ckpt makes the tree beforehand (a child of its own builds it in a new
 * namespace and pivots into it); the owner of the namespace enters it. A
 * proc (it shows the pid namespace of who mounts it: unshare --pid --fork
 * --mount-proc has the first process in it mount it), sysfs, mqueue and
 * cgroup mounts, and what lies on them, are made by the processes of the
 * tree, right after they were created (restore_in_proc).
 */
#include "ns-mnt.h"
#include "ns.h"

#include "fault.h"
#include "image.h"
#include "imgdir.h"
#include "restore.h"
#include "tree.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* @pid and its descendants, with their pid namespaces (BFS over
 * /proc/PID/task/TID/children). */
static void collect(int pid, struct mnt_pidns **procs, size_t *nr)
{
	size_t cap = 16;

	*procs = xmalloc(cap * sizeof(**procs));
	*nr = 0;
	(*procs)[(*nr)++] = (struct mnt_pidns){ .pid = pid };
	for (size_t i = 0; i < *nr && *nr < 100000; i++) {
		char path[96];
		struct stat st;
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), "/proc/%d/ns/pid", (*procs)[i].pid);
		if (stat(path, &st) == 0)
			(*procs)[i].pidns = (uint32_t)st.st_ino;
		snprintf(path, sizeof(path), "/proc/%d/task", (*procs)[i].pid);
		d = opendir(path);
		while (d && (de = readdir(d))) {
			_cleanup_free_ char *list = NULL;
			char file[320];
			size_t len;

			if (de->d_name[0] == '.')
				continue;
			snprintf(file, sizeof(file), "/proc/%d/task/%s/children", (*procs)[i].pid,
				 de->d_name);
			if (read_file(file, &list, &len) < 0)
				continue;
			for (char *save = NULL, *tok = strtok_r(list, " \n", &save); tok;
			     tok = strtok_r(NULL, " \n", &save)) {
				int child;

				if (parse_pid(tok, &child) < 0)
					continue;
				if (*nr == cap) {
					cap *= 2;
					*procs = xrealloc(*procs, cap * sizeof(**procs));
				}
				(*procs)[(*nr)++] = (struct mnt_pidns){ .pid = child };
			}
		}
		if (d)
			closedir(d);
	}
}

static int mnt_dump(const struct ns_dump *d)
{
	_cleanup_free_ struct mnt_pidns *procs = NULL;
	size_t nr = 0;

	collect(d->pid, &procs, &nr);
	return mnt_ns_dump(d->nsfd, d->id, d->dir->dirfd, d->opts, procs, nr);
}

int mnt_inner_open(const struct trust *t, const struct trust_file *f, int flags, mode_t mode)
{
	for (const struct mnt_ns_state *st = t->inner; st; st = st->next) {
		const MntNsEntry *ns = st->ns;

		/* Without an inode (the executable), by its path alone. */
		for (size_t i = 0; i < ns->n_inner; i++) {
			const MntInnerFile *in = ns->inner[i];
			/* In ckpt, from the namespace's root; in a process of
			 * the tree, from its own root, the namespace's. */
			bool here = getpid() == st->ckpt_pid;
			struct open_how how = {
				/* openat2 takes nothing else with O_PATH */
				.flags =
					(uint64_t)(flags & O_PATH ? flags
								  : flags | O_NONBLOCK | O_NOCTTY) |
					O_CLOEXEC,
				.mode = flags & O_CREAT ? mode : 0,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
					   (here ? RESOLVE_IN_ROOT : 0),
			};
			int fd;

			if ((f->has_ino && (in->dev != f->dev || in->ino != f->ino)) ||
			    strcmp(in->path, f->path))
				continue;
			if (here && st->rootfd < 0)
				return -ENOENT;
			fd = (int)syscall(SYS_openat2, here ? st->rootfd : AT_FDCWD, f->path, &how,
					  sizeof(how));
			if (fd < 0)
				return -errno;
			if (!(flags & O_NONBLOCK) && !(flags & O_PATH) &&
			    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
				close(fd);
				return -errno;
			}
			return fd;
		}
	}
	return -ESRCH;
}

/*
 * The tree of mounts is made here, in ckpt, in a new namespace (a child
 * makes it and hands it over): the files of the tree on its mounts are
 * opened from its root before any process exists. The owner enters it
 * (setns) right after it was created; the mounts that show the
 * namespaces of who mounts them are made by the processes of the tree
 * then. A dump reading its images back opens those files from the root
 * of the process that owns the namespace, which still runs.
 */
static int mnt_prepare(struct restore *rs, struct ns_restore *n)
{
	struct mnt_ns_state *st = xzalloc(sizeof(*st));
	int owner = n->owner >= 0 ? rs->procs[n->owner].pp->pid : -1;
	int r;

	n->state = st;
	r = mnt_ns_load(rs->dirfd, n->id, rs->verify_only ? NULL : rs->opts, &rs->trust, st);
	if (r < 0)
		return r;
	for (size_t k = 0; k < st->ns->n_sbs; k++) {
		const MntSbEntry *sb = st->ns->sbs[k];
		bool found = false;

		for (size_t i = 0; i < rs->nr && sb->has_proc_pid; i++)
			found |= rs->procs[i].pe && rs->procs[i].pp->pid == (int)sb->proc_pid;
		if (sb->has_proc_pid && !found)
			return img_inconsistent(IMG_MNT, (int)n->id,
						"a proc made by process %u, not in the tree",
						sb->proc_pid);
	}
	if (owner < 0)
		return img_inconsistent(IMG_MNT, (int)n->id, "no process makes it");
	mnt_ns_plan(st, owner);
	/* A premade mount is handed to the owner only (its /proc is ckpt's
	 * when it takes them). */
	for (size_t i = 0; i < st->ns->n_mounts; i++)
		if (st->premade[i] && st->defer_pid[i] != owner) {
			_cleanup_free_ char *mp = str_escape(st->ns->mounts[i]->mountpoint);

			return pr_fail(
				-EOPNOTSUPP,
				"cannot restore: the mount at '%s' is a bind on a proc of a pid namespace the tree's root is not in (not supported)",
				mp);
		}
	if (!rs->verify_only && rs->opts && mnt_userns_wanted(rs, n)) {
		r = mnt_userns_prepare(rs, n, st);
		if (r < 0)
			return r;
	} else if (rs->verify_only || !rs->opts) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/root", owner);
		st->rootfd = rs->verify_only ? open(path, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	} else {
		r = mnt_ns_prebuild(st);
		if (r < 0)
			return r;
		st->pass_dir = restore_pass_fd(rs, st->ckpt_dirfd);
		st->pass_ns = restore_pass_fd(rs, st->nsfd);
		st->passed = true;
	}
	st->next = rs->trust.inner;
	rs->trust.inner = st;
	rs->trust.inner_open = mnt_inner_open;
	return 0;
}

/* The fds ckpt handed down, at their numbers in the tree's processes. */
static void passed_fds(const struct restore *rs, struct mnt_ns_state *st)
{
	if (st->passed) {
		st->tree_dirfd = restore_passed_fd(rs, st->pass_dir);
		st->tree_nsfd = restore_passed_fd(rs, st->pass_ns);
	}
}

/* In the owner: into the namespace ckpt holds, through the copy of its
 * fd handed down (ckpt's own is closed here, and an owner in a container
 * whose mount namespace its parent entered has no ckpt's /proc), then
 * the mounts left to it. */
static int mnt_restore(struct restore *rs, struct ns_restore *n)
{
	struct mnt_ns_state *st = n->state;
	char path[64];
	int r = 0;

	passed_fds(rs, st);
	if (st->userns_helper) {
		r = mnt_userns_enter(st, rs->procs[n->owner].pp->pid);
		return r < 0 ? r : mnt_ns_build(st, rs->procs[n->owner].pp->pid);
	}
	/* The mounts ckpt's child made for it (a container's binds on its
	 * proc), reached while ckpt's /proc is still the owner's: only an
	 * owner whose mount namespace is made by ckpt has any. */
	for (size_t i = 0; i < st->ns->n_mounts && r >= 0; i++) {
		if (!st->premade[i] || st->defer_pid[i] != rs->procs[n->owner].pp->pid)
			continue;
		for (int k = 0; k < 2 && r >= 0; k++) {
			int *fdp = &(k ? st->pre_dir : st->pre_fd)[i];

			if (*fdp < 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fd/%d", st->ckpt_pid, *fdp);
			*fdp = FAULT_OR(restore_mnt_premade, (errno = EIO, -1),
					open(path, O_PATH | O_CLOEXEC));
			if (*fdp < 0)
				r = pr_errno(-errno,
					     "cannot restore: %d cannot take a mount made for it",
					     rs->procs[n->owner].pp->pid);
		}
	}
	if (r < 0)
		return r;
	if (setns(st->tree_nsfd, CLONE_NEWNS) < 0)
		return pr_errno(-errno, "cannot restore: %d cannot enter its mount namespace",
				rs->procs[n->owner].pp->pid);
	return mnt_ns_build(st, rs->procs[n->owner].pp->pid);
}

static int mnt_restore_in_proc(struct restore *rs, struct ns_restore *n, size_t i)
{
	if ((int)i == n->owner)
		return 0;
	passed_fds(rs, n->state);
	return mnt_ns_build(n->state, rs->procs[i].pp->pid);
}

/* In the owner's creator (ckpt), the owner just made. */
static int mnt_restore_creator(struct restore *rs, struct ns_restore *n, int child)
{
	struct mnt_ns_state *st = n->state;

	(void)rs;
	return st->userns_helper ? mnt_userns_creator(st, child) : 0;
}

/* In ckpt, every process made: the owner is in its namespace. */
static int mnt_finish(struct restore *rs, struct ns_restore *n)
{
	(void)rs;
	mnt_userns_end(n->state);
	return 0;
}

static void mnt_release(struct ns_restore *n)
{
	if (n->state) {
		mnt_ns_state_release(n->state);
		free(n->state);
	}
	n->state = NULL;
}

static const char *source_name(const MntEntry *m)
{
	switch (m->kind) {
	case MNT_SOURCE_KIND__MNT_SRC_FS:
		return m->has_files ? "new, files saved" : "new";
	case MNT_SOURCE_KIND__MNT_SRC_EXTERNAL:
		return "external";
	case MNT_SOURCE_KIND__MNT_SRC_HOST:
		return "host";
	default:
		return "?";
	}
}

static void mnt_show(int dirfd, uint32_t id)
{
	MntNsEntry *ns = NULL;

	if (img_read_msg(dirfd, IMG_MNT, (int)id, &mnt_ns_entry__descriptor,
			 (ProtobufCMessage **)&ns) < 0) {
		printf("  (mnt-%u.img unreadable)\n", id);
		return;
	}
	printf("  root: %s\n", ns->host_root ? "the host's /" : "its own");
	for (size_t i = 0; i < ns->n_mounts; i++) {
		const MntEntry *m = ns->mounts[i];
		_cleanup_free_ char *mp = str_escape(m->mountpoint), *root = str_escape(m->root);
		_cleanup_free_ char *type = str_escape(m->fstype), *from = NULL;
		char flags[128], prop[96] = "";
		int len = 0;

		mnt_flags_show(m->flags, flags, sizeof(flags));
		if (m->shared)
			len += snprintf(prop + len, sizeof(prop) - (size_t)len, " shared:%u",
					m->shared);
		if (m->master)
			len += snprintf(prop + len, sizeof(prop) - (size_t)len, " master:%u",
					m->master);
		if (m->master_host)
			len += snprintf(prop + len, sizeof(prop) - (size_t)len,
					" slave of the host");
		if (m->unbindable)
			snprintf(prop + len, sizeof(prop) - (size_t)len, " unbindable");
		if (m->kind == MNT_SOURCE_KIND__MNT_SRC_EXTERNAL)
			from = xasprintf(" key '%s'", m->ext_key);
		else if (m->kind == MNT_SOURCE_KIND__MNT_SRC_HOST)
			from = xasprintf(" from '%s'", m->host_path);
		printf("  %u on %u: '%s' %s root '%s' %s (%s%s)%s%s\n", m->id, m->parent_id, mp,
		       type, root, flags, source_name(m), m->deleted ? ", removed" : "",
		       from ? from : "", prop);
	}
	mnt_ns_entry__free_unpacked(ns, NULL);
}

const struct ns_ops ns_mnt_ops = {
	.name = "mnt",
	.clone_flag = 0, /* made beforehand, entered by the owner */
	.dump = mnt_dump,
	.prepare = mnt_prepare,
	.restore = mnt_restore,
	.restore_in_proc = mnt_restore_in_proc,
	.restore_creator = mnt_restore_creator,
	.finish = mnt_finish,
	.release = mnt_release,
	.show = mnt_show,
};
