// SPDX-License-Identifier: GPL-2.0
/*
 * The files of a mount namespace's tmpfs mounts at dump: which mounts
 * they are read from, and each one reached. Files of a tmpfs are read
 * through a detached clone of the mount (open_tree, not recursive): what
 * lies under a mount point is seen, the mounts on it are not, and the
 * namespace is left as it was. A mount hidden under other mounts (or
 * unbindable) is reached by a child in a private copy of the namespace,
 * which detaches what covers it there.
 */
#include "image.h"
#include "ns-mnt.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct tmpfs_dump {
	int procfd, dirfd; /* ckpt's /proc; the image directory */
	const struct mnt_info *ns; /* the namespace's mountinfo */
	size_t nr_ns;
	uint64_t bytes; /* saved so far, for the limits */
	size_t files;
};

/* The mounts whose files are saved: of each tmpfs made anew, one mount
 * for each root not under another one's; a removed root once (the first
 * mount of it: nspawn binds one removed file twice). */
static void pick_files(MntEntry **mounts, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		MntEntry *e = mounts[i];
		bool covered = false;

		if (e->kind != MNT_SOURCE_KIND__MNT_SRC_FS || strcmp(e->fstype, "tmpfs"))
			continue;
		for (size_t k = 0; k < i && e->deleted; k++) {
			MntEntry *o = mounts[k];

			covered |= o->kind == MNT_SOURCE_KIND__MNT_SRC_FS && o->deleted &&
				   o->has_files && o->sb == e->sb && !strcmp(o->root, e->root);
		}
		for (size_t k = 0; k < nr && !e->deleted; k++) {
			MntEntry *o = mounts[k];
			const char *rest;

			if (k == i || o->kind != MNT_SOURCE_KIND__MNT_SRC_FS || o->sb != e->sb ||
			    o->deleted || !mnt_path_under(e->root, o->root, &rest))
				continue;
			/* Under a wider root, or the same root picked earlier. */
			if (*rest || (k < i && o->has_files))
				covered = true;
		}
		e->has_has_files = e->has_files = !covered;
	}
}

static int save_files(struct tmpfs_dump *c, const MntEntry *e, int fd)
{
	_cleanup_close_ int clone = -1;
	_cleanup_free_ char *mp = str_escape(e->mountpoint);

	clone = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (clone < 0)
		return pr_errno(-errno, "cannot dump: cannot clone the tmpfs at '%s'", mp);
	return mnt_files_dump(clone, c->procfd, c->dirfd, e->id, e->mountpoint, &c->bytes,
			      &c->files);
}

/* Roots equal but for the "//deleted" that classify() takes off the
 * namespace's copy (the private copy's mountinfo still has it). */
static bool same_root(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 9 && !strcmp(a + la - 9, "//deleted"))
		la -= 9;
	if (lb > 9 && !strcmp(b + lb - 9, "//deleted"))
		lb -= 9;
	return la == lb && !strncmp(a, b, la);
}

static bool same_mount(const struct mnt_info *a, const struct mnt_info *b)
{
	return mnt_info_same_dev(a, b) && same_root(a->root, b->root) &&
	       !strcmp(a->mountpoint, b->mountpoint);
}

/* Is @l (of the copy) @m or one of its ancestors (of the namespace)? */
static bool on_the_way(const struct tmpfs_dump *c, const struct mnt_info *l,
		       const struct mnt_info *m)
{
	for (unsigned int n = 0; m && n < 256; n++) {
		long p = mnt_info_find(c->ns, c->nr_ns, m->parent);

		if (same_mount(l, m))
			return true;
		m = p >= 0 && c->ns[p].id != m->id ? &c->ns[p] : NULL;
	}
	return false;
}

/*
 * In a child, in a private copy of the namespace (nothing done there is
 * seen anywhere else): detach what hides the mount point of @m until it
 * shows @m's filesystem and root, then save its files.
 */
static int reach_hidden(struct tmpfs_dump *c, const MntEntry *e, const struct mnt_info *m)
{
	_cleanup_free_ char *mp = str_escape(e->mountpoint);

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return pr_errno(-errno, "cannot dump: cannot copy the mount namespace");
	for (unsigned int tries = 0; tries < 64; tries++) {
		_cleanup_free_ char *path = xstrdup(e->mountpoint);
		struct mnt_info *copy = NULL;
		size_t nr = 0;
		struct statx stx;
		_cleanup_close_ int fd = -1;
		long l;
		int r;

		/* The longest part of the path that is there. */
		while ((fd = mnt_open_path(path, &stx)) < 0 && strcmp(path, "/")) {
			char *slash = strrchr(path, '/');

			slash[slash == path ? 1 : 0] = '\0';
		}
		if (fd < 0)
			break;
		r = mnt_info_read_at(c->procfd, "self/mountinfo", &copy, &nr);
		if (r < 0)
			return pr_errno(r,
					"cannot dump: cannot read the mount namespace's mountinfo");
		l = mnt_info_find(copy, nr, (uint32_t)stx.stx_mnt_id);
		if (l >= 0 && !strcmp(path, e->mountpoint) && same_mount(&copy[l], m)) {
			mnt_info_free(copy, nr);
			return save_files(c, e, fd);
		}
		if (l < 0 || on_the_way(c, &copy[l], m) ||
		    umount2(copy[l].mountpoint, MNT_DETACH | UMOUNT_NOFOLLOW) < 0) {
			mnt_info_free(copy, nr);
			break;
		}
		mnt_info_free(copy, nr);
	}
	return pr_fail(-EOPNOTSUPP,
		       "cannot dump: the tmpfs at '%s' is hidden and out of reach (not supported)",
		       mp);
}

/* The files under the root of mount @e: through its mount point when it
 * shows this very mount, else from a child that uncovers it (or makes it
 * bindable) in a copy of the namespace. */
static int dump_files(struct tmpfs_dump *c, const MntEntry *e)
{
	_cleanup_free_ char *mp = str_escape(e->mountpoint);
	_cleanup_close_ int fd = -1;
	struct statx stx;
	int status;
	pid_t pid;

	/* An unbindable one is cloned in a private copy too. */
	fd = mnt_open_path(e->mountpoint, &stx);
	if (fd >= 0 && stx.stx_mnt_id == e->id && !e->unbindable)
		return save_files(c, e, fd);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return pr_errno(-errno, "cannot dump: cannot fork");
	if (pid == 0) {
		const struct mnt_info *m = &c->ns[mnt_info_find(c->ns, c->nr_ns, e->id)];

		_exit(reach_hidden(c, e, m) < 0 ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pr_errno(-errno, "cannot dump: cannot wait for a helper");
	if (WIFEXITED(status) && WEXITSTATUS(status))
		return -EPERM; /* it said why */
	if (!WIFEXITED(status))
		return pr_fail(-EIO, "cannot dump: a helper reading the tmpfs at '%s' died", mp);
	/* What it saved counts towards the namespace's limit here too. */
	{
		_cleanup_free_ char *name = img_name(IMG_MNT_FILES, (int)e->id);
		struct stat st;

		if (fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return pr_errno(-errno, "cannot dump: '%s'", name);
		if (!add_ok(c->bytes, (uint64_t)st.st_size, &c->bytes) || c->bytes > MNT_MAX_BYTES)
			return pr_fail(
				-EFBIG,
				"cannot dump: the tmpfs at '%s' holds more than 512 MiB of files with the others (refused)",
				mp);
	}
	return 0;
}

int mnt_tmpfs_dump(int procfd, int dirfd, const struct mnt_info *ns, size_t nr_ns,
		   MntEntry **mounts, size_t nr_mounts)
{
	struct tmpfs_dump c = { .procfd = procfd, .dirfd = dirfd, .ns = ns, .nr_ns = nr_ns };
	int r = 0;

	pick_files(mounts, nr_mounts);
	for (size_t k = 0; k < nr_mounts && r >= 0; k++)
		if (mounts[k]->has_files)
			r = dump_files(&c, mounts[k]);
	return r;
}
