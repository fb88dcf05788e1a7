// SPDX-License-Identifier: GPL-2.0
/*
 * A mount namespace that belongs to a user namespace of the tree (a
 * rootless container's: `unshare --user --mount`).
 *
 * ckpt's usual way (a child of ckpt builds the namespace beforehand, the
 * owner enters it) cannot work there: that namespace would belong to the
 * host's user namespace, which the owner, inside its own, may not enter,
 * and a namespace the container's root may not change. So, once the
 * owner exists with its maps, its creator (ckpt: only the tree's root is
 * such an owner) forks a helper that opens what needs ckpt's privilege
 * (the image set, a pidfd of the owner), joins the owner's user namespace
 * (root there, nothing outside), makes a mount namespace there, which
 * belongs to it, and builds the dumped tree in it as mnt_ns_build does,
 * with only the capabilities the namespace gives: what its root could not
 * mount fails the restore. The helper keeps the namespace until the owner
 * has entered it (through /proc/HELPER/ns/mnt: the owner has every
 * capability in that user namespace), and ends when ckpt lets it or the
 * owner dies.
 */
#include "fault.h"
#include "image.h"
#include "ns-mnt.h"
#include "ns-user.h"
#include "ns.h"
#include "restore.h"
#include "util.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* In the helper: the maps of the user namespace it is in. */
static const UsernsEntry *inside;

/* In the helper: the files images, opened while it could. */
static int *images;
static const MntNsEntry *images_of;

int mnt_userns_image(uint32_t mnt_id)
{
	for (size_t i = 0; images && i < images_of->n_mounts; i++)
		if (images_of->mounts[i]->id == mnt_id && images[i] >= 0) {
			int fd = images[i];

			images[i] = -1;
			return fd;
		}
	return -ENOENT;
}

/* Every files image of the mounts it makes, opened with ckpt's access. */
static int open_images(struct mnt_ns_state *st)
{
	const MntNsEntry *ns = st->ns;
	int r;

	images_of = ns;
	images = xmalloc((ns->n_mounts + 1) * sizeof(*images));
	for (size_t i = 0; i < ns->n_mounts; i++)
		images[i] = -1;
	r = mnt_ns_open_images(st);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ns->n_mounts; i++) {
		_cleanup_free_ char *file = NULL;

		if (!ns->mounts[i]->has_files || st->defer_pid[i])
			continue;
		file = img_name(IMG_MNT_FILES, (int)ns->mounts[i]->id);
		images[i] = openat(st->dirfd, file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
		if (images[i] < 0)
			return pr_errno(-errno, "cannot restore: cannot open '%s'", file);
	}
	return 0;
}

uid_t mnt_uid_in(uid_t host)
{
	uint32_t id;

	if (!inside)
		return host;
	return userns_map_up(inside->uid_map, inside->n_uid_map, host, &id) ? id : (uid_t)-1;
}

gid_t mnt_gid_in(gid_t host)
{
	uint32_t id;

	if (!inside)
		return host;
	return userns_map_up(inside->gid_map, inside->n_gid_map, host, &id) ? id : (gid_t)-1;
}

static size_t shared_len(const struct mnt_ns_state *st)
{
	return st->ns->n_mounts * sizeof(*st->new_id) + sizeof(int);
}

bool mnt_userns_wanted(const struct restore *rs, const struct ns_restore *n)
{
	return n->owner >= 0 && ns_proc_in(rs, (size_t)n->owner, NS_USER);
}

int mnt_userns_prepare(const struct restore *rs, struct ns_restore *n, struct mnt_ns_state *st)
{
	if (n->owner != 0)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot restore: the mount namespace of %d belongs to its user namespace and is made below the tree's root (not supported)",
			rs->procs[n->owner].pp->pid);
	/* Seen by ckpt and by the owner, a copy of ckpt made before: the
	 * helper's pid, and the ids of the mounts it made (mnt_ns_build's
	 * new_id, for the passes the tree's processes make after). */
	size_t len = shared_len(st);
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return pr_errno(-errno, "cannot restore: mmap");
	free(st->new_id);
	st->new_id = m;
	st->userns_helper = (int *)((char *)m + st->ns->n_mounts * sizeof(*st->new_id));
	*st->userns_helper = 0;
	st->userns_stop = -1;
	st->userns_owner = rs->procs[n->owner].pp->pid;
	return 0;
}

static long parent_of(const MntNsEntry *ns, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (ns->mounts[k]->id == ns->mounts[i]->parent_id)
			return (long)k;
	return -1;
}

/*
 * A namespace its user namespace made is a copy of the host's mounts, locked
 * together: its root could not undo them (the kernel refuses to clone one
 * of them alone, or unmount it), and neither can ckpt there. So the
 * helper keeps what it inherited of the host the same way, and makes only
 * what the container made itself on top.
 */
int mnt_userns_kept(struct mnt_ns_state *st, int rootfd, bool **ret)
{
	const MntNsEntry *ns = st->ns;
	bool *kept;

	if (!ns->host_root)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot restore: a mount namespace of a user namespace with a root of its own (not supported)");
	kept = xzalloc((ns->n_mounts + 1) * sizeof(*kept));
	for (size_t i = 0; i < ns->n_mounts; i++) {
		const MntEntry *m = ns->mounts[i];
		long parent = parent_of(ns, i);
		struct statx stx;
		int fd = rootfd;

		if (i && (parent < 0 || !kept[parent] || m->kind != MNT_SOURCE_KIND__MNT_SRC_HOST ||
			  !m->host_path || strcmp(m->host_path, m->mountpoint)))
			continue;
		if (i) {
			struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
						.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
							   RESOLVE_NO_MAGICLINKS };

			const char *rel = m->mountpoint;

			while (*rel == '/')
				rel++;
			fd = (int)syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
		}
		/* What the host no longer has, the container no longer
		 * inherits (nothing can be made on it). */
		if (fd < 0 && errno == ENOENT) {
			kept[i] = true;
			continue;
		}
		if (fd < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0) {
			_cleanup_free_ char *mp = str_escape(m->mountpoint);
			int r = -errno;

			if (fd >= 0 && fd != rootfd)
				close(fd);
			free(kept);
			return pr_errno(r, "cannot restore: cannot find the mount at '%s' again",
					mp);
		}
		if (fd != rootfd)
			close(fd);
		st->new_id[i] = stx.stx_mnt_id;
		kept[i] = true;
	}
	*ret = kept;
	return 0;
}

/* The helper: the namespace made inside the owner's user namespace. */
static int helper_main(struct mnt_ns_state *st, int owner, int stop, int ready)
{
	char path[64];
	int userfd, ownerfd, r;
	uint32_t uid;
	bool files = false;
	struct pollfd pf[2];

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", owner);
	userfd = open(path, O_RDONLY | O_CLOEXEC);
	ownerfd = (int)syscall(SYS_pidfd_open, owner, 0);
	if (userfd < 0 || ownerfd < 0)
		return pr_errno(-errno, "cannot restore: cannot open the user namespace of %d",
				owner);
	for (size_t i = 0; i < st->ns->n_mounts; i++)
		files |= st->ns->mounts[i]->has_files && !st->defer_pid[i];
	/* With ckpt's privilege, while it has it. */
	if (files) {
		r = open_images(st);
		if (r < 0)
			return r;
	}
	if (FAULT_OR(restore_mnt_userns, (errno = EPERM, -1), setns(userfd, CLONE_NEWUSER)) < 0 ||
	    unshare(CLONE_NEWNS) < 0)
		return pr_errno(
			-errno,
			"cannot restore: cannot make a mount namespace in the user namespace of %d",
			owner);
	close(userfd);
	/* Root inside (the owner's ids): what it makes there is its own,
	 * and files and filesystems take ids of the namespace. */
	inside = userns_restored_of(st->userns_owner);
	if (!inside ||
	    !userns_map_up(inside->uid_map, inside->n_uid_map, inside->owner_uid, &uid) ||
	    syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, uid, uid, uid) < 0)
		return pr_errno(
			-EPERM,
			"cannot restore: cannot take root's ids in the user namespace of %d",
			owner);
	r = mnt_ns_build(st, 0);
	if (r < 0)
		return r;
	for (size_t i = 0; images && i < st->ns->n_mounts; i++)
		if (images[i] >= 0)
			close(images[i]);
	/* The change of ids made it not dumpable, and its memory still that
	 * of ckpt's host's user namespace: the owner could not open its
	 * /proc/PID/ns/mnt. It holds nothing of ckpt's any more (the image
	 * directory closed), only a copy of its memory, which is this
	 * container's restore. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return pr_errno(-errno, "cannot restore: prctl");
	if (write(ready, "g", 1) != 1)
		return -EPIPE;
	close(ready);
	/* Until ckpt closes its end, or the owner is gone. */
	pf[0] = (struct pollfd){ .fd = stop, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = ownerfd, .events = POLLIN };
	while (poll(pf, 2, -1) < 0 && errno == EINTR)
		;
	return 0;
}

int mnt_userns_creator(struct mnt_ns_state *st, int owner)
{
	int stop[2], ready[2], status;
	char c;
	ssize_t n;
	pid_t pid;

	if (pipe2(stop, O_CLOEXEC) < 0)
		return pr_errno(-errno, "cannot restore: pipe");
	if (pipe2(ready, O_CLOEXEC) < 0) {
		close(stop[0]);
		close(stop[1]);
		return pr_errno(-errno, "cannot restore: pipe");
	}
	fflush(NULL);
	pid = FAULT_OR(restore_mnt_userns_fork, (errno = EAGAIN, -1), fork());
	if (pid == 0) {
		close(stop[1]);
		close(ready[0]);
		_exit(helper_main(st, owner, stop[0], ready[1]) < 0 ? 1 : 0);
	}
	close(stop[0]);
	close(ready[1]);
	if (pid < 0) {
		close(stop[1]);
		close(ready[0]);
		return pr_errno(-errno, "cannot restore: cannot fork");
	}
	st->userns_stop = stop[1];
	st->userns_pid = pid;
	while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(ready[0]);
	if (n != 1) {
		/* It said why. */
		mnt_userns_end(st);
		(void)status;
		return -EPERM;
	}
	*st->userns_helper = pid;
	return 0;
}

int mnt_userns_enter(const struct mnt_ns_state *st, int owner_pid)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", *st->userns_helper);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNS) < 0)
		r = pr_errno(-errno, "cannot restore: %d cannot enter its mount namespace",
			     owner_pid);
	if (fd >= 0)
		close(fd);
	return r;
}

void mnt_userns_end(struct mnt_ns_state *st)
{
	int status;

	if (!st->userns_helper)
		return;
	if (st->userns_stop >= 0)
		close(st->userns_stop);
	st->userns_stop = -1;
	if (st->userns_pid > 0)
		while (waitpid(st->userns_pid, &status, 0) < 0 && errno == EINTR)
			;
	st->userns_pid = 0;
}

void mnt_userns_release(struct mnt_ns_state *st)
{
	if (!st->userns_helper)
		return;
	mnt_userns_end(st);
	munmap(st->new_id, shared_len(st));
	st->new_id = NULL;
	st->userns_helper = NULL;
}
