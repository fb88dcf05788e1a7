// SPDX-License-Identifier: GPL-2.0
/*
 * What is checked and saved of every open file description, whatever its
 * kind: the filesystem it lives on, leases, and signal-driven I/O (its
 * owner for SIGIO, F_SETSIG, O_ASYNC).
 *
 * A kind claims an fd by its /proc link and stat, which other files can
 * imitate: a POSIX message queue reads "/name" and is a regular file, a
 * memfd_secret area reads "/secretmem (deleted)". So every new description
 * is also looked at through ckpt's own fd on it (fd_borrow): the
 * filesystem's magic (fstatfs) must be one its kind lives on, or the dump
 * is refused, naming what it is.
 *
 * Owners: F_SETOWN_EX and F_SETSIG belong to the description. The dump
 * saves them when they are not the default, and refuses an owner that is
 * not a thread, process or group of the tree. dnotify (F_NOTIFY) leaves no
 * trace but the owner it sets on its directory, so a directory with an
 * owner is refused. The restore sets them, and O_ASYNC, by remote calls in
 * the process that has the description first, after its credentials
 * (F_SETOWN records the caller's, which decide whom the signal may reach),
 * at its own lowest fd number (a signal from F_SETSIG carries it).
 *
 * Leases (F_SETLEASE) of regular files: saved, and set again by the
 * process itself at its fd, after its credentials (the kernel then asks
 * what it asked of the process: to own the file, or CAP_LEASE, which a set
 * root does not trust cannot claim) and before its owner (F_SETLEASE makes
 * the caller the owner). A lease being broken at the dump comes back as
 * what it was being broken to (F_GETLEASE says so); a lease on anything
 * but a regular file reopened by path is refused.
 *
 * Sockets of every family: what their kinds do not save (sk-common.c).
 *
 * Controlling terminals: a session leader takes its pty of the tree back
 * at restore through the pty's master (tty.c), whether it holds an fd of
 * it or not.
 *
 * Files ckpt makes anew (memfds, deleted files, pty slaves, message
 * queues whose name was removed) get the mode and owner they had: any
 * owner for a set root trusts, only the set owner's uid and groups
 * otherwise (they stay the owner's, no more).
 */
#include "files.h"
#include "ns.h"

#include "infect.h"
#include "proc.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>

/* The kernel keeps this one to itself (ipc/mqueue.c). */
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif
#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC 0x50494446
#endif
#ifndef SECRETMEM_MAGIC
#define SECRETMEM_MAGIC 0x5345434d
#endif
#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef DMA_BUF_MAGIC
#define DMA_BUF_MAGIC 0x444d4142
#endif

/* Filesystems of kernel objects that only look like files from /proc. */
static const struct {
	long magic;
	const char *name;
} pseudo_fs[] = {
	{ MQUEUE_MAGIC, "POSIX message queue" },
	{ ANON_INODE_FS_MAGIC, "file on an anonymous inode" },
	{ SOCKFS_MAGIC, "socket" },
	{ PIPEFS_MAGIC, "pipe" },
	{ NSFS_MAGIC, "namespace file" },
	{ PID_FS_MAGIC, "pidfd" },
	{ BPF_FS_MAGIC, "file of the BPF filesystem" },
	{ SECRETMEM_MAGIC, "memfd_secret area" },
	{ DMA_BUF_MAGIC, "DMA buffer" },
};

static const char *pseudo_fs_name(long magic)
{
	for (size_t i = 0; i < ARRAY_SIZE(pseudo_fs); i++)
		if (pseudo_fs[i].magic == magic)
			return pseudo_fs[i].name;
	return NULL;
}

/* Is a file on the filesystem of @magic one of kind @kind? */
static bool magic_fits(uint32_t kind, long magic)
{
	switch (kind) {
	case FD_KIND__FD_EVENTFD:
	case FD_KIND__FD_EPOLL:
	case FD_KIND__FD_TIMERFD:
	case FD_KIND__FD_SIGNALFD:
	case FD_KIND__FD_INOTIFY:
	case FD_KIND__FD_IO_URING:
		return magic == ANON_INODE_FS_MAGIC;
	case FD_KIND__FD_UNIX_SK:
	case FD_KIND__FD_INET_SK:
	case FD_KIND__FD_NET_SK:
		return magic == SOCKFS_MAGIC;
	case FD_KIND__FD_PIPE:
		return magic == PIPEFS_MAGIC;
	case FD_KIND__FD_PIDFD: /* pidfs since 6.9 */
		return magic == PID_FS_MAGIC || magic == ANON_INODE_FS_MAGIC;
	case FD_KIND__FD_MQUEUE:
		return magic == MQUEUE_MAGIC;
	case FD_KIND__FD_PROC:
		return magic == PROC_SUPER_MAGIC;
	case FD_KIND__FD_MEMFD: /* a hugetlb one would come back on tmpfs */
		return magic == TMPFS_MAGIC;
	default: /* reopened by path, or made on disk */
		return !pseudo_fs_name(magic);
	}
}

static const char *lease_name(int type)
{
	return type == F_RDLCK ? "read" : type == F_WRLCK ? "write" : "breaking";
}

/* The owner and signal of @copy, into @e when not the default. */
static int fown_dump(const struct fd_dump *d, int copy, FileEntry *e)
{
	struct f_owner_ex owner = { 0 };
	int sig;

	if (e->flags & O_PATH)
		return 0; /* fcntl answers nothing else on those */
	sig = fcntl(copy, F_GETSIG);
	if (sig < 0 || fcntl(copy, F_GETOWN_EX, &owner) < 0)
		return pr_errno(-errno, "cannot dump %d: cannot read the SIGIO owner of fd %d",
				d->pid, d->fd);
	if (!owner.pid && !sig)
		return 0;
	/* F_NOTIFY sets the owner to the caller and shows nowhere else. */
	if (owner.pid && e->kind == FD_KIND__FD_DIR)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d, the directory '%s', has a SIGIO owner (%d), as dnotify (F_NOTIFY) sets: dnotify is not restored",
			d->pid, d->fd, d->link, owner.pid);
	e->fown = xmalloc(sizeof(*e->fown));
	fown_entry__init(e->fown);
	e->fown->type = (uint32_t)owner.type;
	e->fown->pid = (uint32_t)owner.pid;
	e->fown->signum = (uint32_t)sig;
	return 0;
}

/* Files the restore makes anew rather than reopens: their owner. */
static bool owner_kept(uint32_t kind, const struct stat *st, const char *link)
{
	unsigned int ma = major(st->st_rdev);

	return kind == FD_KIND__FD_MEMFD || kind == FD_KIND__FD_GHOST ||
	       (kind == FD_KIND__FD_MQUEUE && str_ends(link, " (deleted)")) ||
	       (kind == FD_KIND__FD_PTY && S_ISCHR(st->st_mode) && ma >= 136 && ma <= 143);
}

int fd_audit_dump(const struct fd_dump *d, const struct file_kind *k, FileEntry *e)
{
	_cleanup_close_ int copy = fd_borrow(d->pid, d->fd);
	const char *what;
	struct statfs sfs;
	char path[64];
	int lease;

	/* Before Linux 5.6 (no pidfd_getfd) the file's own path tells its
	 * filesystem, and leases show in its fdinfo (file-locks.c). */
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", d->pid, d->fd);
	if ((copy < 0 && copy != -ENOSYS) ||
	    (copy >= 0 ? fstatfs(copy, &sfs) : statfs(path, &sfs)) < 0)
		return pr_errno(copy < 0 && copy != -ENOSYS ? copy : -errno,
				"cannot dump %d: cannot look at fd %d '%s'", d->pid, d->fd,
				d->link);
	what = pseudo_fs_name((long)sfs.f_type);
	if (!k || !magic_fits(k->kind, (long)sfs.f_type)) {
		if (sfs.f_type == MQUEUE_MAGIC)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d is an O_PATH fd on the POSIX message queue '%s' (not supported yet)",
				d->pid, d->fd, d->link);
		if (k && k->kind == FD_KIND__FD_MEMFD && sfs.f_type == HUGETLBFS_MAGIC)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d is a hugetlb memfd '%s' (not supported yet)",
				d->pid, d->fd, d->link);
		if (what || !k)
			return pr_fail(-EOPNOTSUPP,
				       "cannot dump %d: fd %d is a %s '%s' (not supported yet)",
				       d->pid, d->fd,
				       k ? what : fd_unknown_name(d->st->st_mode, d->link),
				       d->link);
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d '%s' looks like a %s but is on a filesystem of magic %#lx (not supported yet)",
			d->pid, d->fd, d->link, k->name, (unsigned long)sfs.f_type);
	}
	if (owner_kept(k->kind, d->st, d->link)) {
		e->has_uid = e->has_gid = e->has_mode = true;
		e->uid = d->st->st_uid;
		e->gid = d->st->st_gid;
		e->mode = d->st->st_mode;
	}
	if (copy < 0 && (e->flags & O_ASYNC))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d '%s' has O_ASYNC and this kernel cannot tell its SIGIO owner (no pidfd_getfd)",
			d->pid, d->fd, d->link);
	if (copy < 0)
		return 0;
	lease = (e->flags & O_PATH) ? F_UNLCK : fcntl(copy, F_GETLEASE);
	if (lease != F_UNLCK && lease >= 0 && (k->kind != FD_KIND__FD_REG || lease > F_WRLCK))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d '%s' holds a %s lease (F_SETLEASE): leases are restored on regular files only",
			d->pid, d->fd, d->link, lease_name(lease));
	if (lease == F_RDLCK || lease == F_WRLCK) {
		e->has_lease = true;
		e->lease = (uint32_t)lease;
	}
	if (k->kind == FD_KIND__FD_UNIX_SK || k->kind == FD_KIND__FD_INET_SK ||
	    k->kind == FD_KIND__FD_NET_SK) {
		int r = sk_common_dump(d, copy, e);

		if (r < 0)
			return r;
	}
	return fown_dump(d, copy, e);
}

/* Is thread, process or group @id (of @type) in the tree of @pids? A
 * group only when its leader is: the restore makes the group again then.
 * A thread only of @holder, the first process that has the file: the
 * restore sets the owner from there, once its own threads exist (those
 * of processes restored later do not yet). */
static bool owner_in_tree(int type, int id, const int *pids, size_t nr, int holder)
{
	char path[64];

	if (type == F_OWNER_TID) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d", holder, id);
		return access(path, F_OK) == 0;
	}
	for (size_t i = 0; i < nr; i++) {
		if (pids[i] == id && type == F_OWNER_PID)
			return true;
		if (pids[i] == id && type == F_OWNER_PGRP && getpgid(id) == id)
			return true;
	}
	return false;
}

static const char *owner_type_name(uint32_t type)
{
	return type == F_OWNER_TID ? "thread" : type == F_OWNER_PGRP ? "process group" : "process";
}

int fd_audit_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	for (size_t i = 0; i < ft->img.n_files; i++) {
		const FownEntry *o = ft->img.files[i]->fown;

		if (!o || !o->pid ||
		    owner_in_tree((int)o->type, (int)o->pid, pids, nr_pids, ft->seen[i].pid))
			continue;
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d (%s) sends its SIGIO to %s %u, which is not %s",
			ft->seen[i].pid, ft->seen[i].fd, fd_kind_name(ft->img.files[i]->kind),
			owner_type_name(o->type), o->pid,
			o->type == F_OWNER_TID ? "one of its own threads" : "in the tree");
	}
	return 0;
}

/* A set root does not trust leases only files of its owner's, as the
 * owner could without CAP_LEASE (the process asks again at restore, with
 * its own credentials: this says it before anything is made). A file that
 * does not open is left to its kind's check. */
static int lease_owner_check(const struct trust *t, const FileEntry *e)
{
	_cleanup_close_ int fd = trust_open(t, e->path, O_PATH | O_CLOEXEC, 0);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid == t->owner)
		return 0;
	return pr_fail(
		-EPERM,
		"cannot restore: a lease on '%s', of uid %u, which this image set (not root's) may not ask for",
		e->path, (unsigned)st.st_uid);
}

int fd_audit_check(const struct files_open *fo, const FileEntry *e)
{
	const FownEntry *o = e->fown;

	/* Only a file ckpt makes itself is given an owner: never one it
	 * reopens by path (an edited image would hand /etc/passwd over). */
	if ((e->has_uid || e->has_gid) &&
	    (!e->has_uid || !e->has_gid || !e->has_mode || (e->mode & ~(S_IFMT | 07777)) ||
	     !(e->kind == FD_KIND__FD_MEMFD || e->kind == FD_KIND__FD_GHOST ||
	       (e->kind == FD_KIND__FD_PTY && e->tty && !e->tty->master) ||
	       (e->kind == FD_KIND__FD_MQUEUE && e->mqueue && e->mqueue->unlinked))))
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (owner of '%s')",
			       e->path);

	/* _NSIG is 65 on x86-64; pids go up to PID_MAX_LIMIT (2^22). */
	if (o && (o->type > F_OWNER_PGRP || o->pid > (1u << 22) || o->signum > 64))
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (owner of '%s')",
			       e->path);
	if ((e->flags & O_ASYNC) && (e->flags & O_PATH))
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (flags of '%s')",
			       e->path);
	if (e->has_lease && ((e->lease != F_RDLCK && e->lease != F_WRLCK) ||
			     e->kind != FD_KIND__FD_REG || (e->flags & O_PATH)))
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (lease of '%s')",
			       e->path);
	if (e->has_lease && !fo->trust->trusted) {
		int r = lease_owner_check(fo->trust, e);

		if (r < 0)
			return r;
	}
	if (e->sock || e->kind == FD_KIND__FD_UNIX_SK || e->kind == FD_KIND__FD_INET_SK ||
	    e->kind == FD_KIND__FD_NET_SK)
		return sk_common_check(e, fo->trust);
	return 0;
}

static bool in_groups(const struct trust *t, gid_t gid)
{
	for (size_t i = 0; i < t->nr_groups; i++)
		if (t->groups[i] == gid)
			return true;
	return gid == t->gid;
}

/* The owner first: a chown clears the set-id bits the mode may have. A
 * set root does not trust gives no uid or group but its owner's. */
static int owner_restore(const struct trust *t, const FileEntry *e, int fd)
{
	uid_t uid = (uid_t)e->uid;
	gid_t gid = (gid_t)e->gid;
	/* A deleted file is never set-user-ID or set-group-ID again (see
	 * ghost_prepare): it may stand under its old name for a while. */
	mode_t mode = e->kind == FD_KIND__FD_GHOST ? e->mode & (0777 | S_ISVTX) : e->mode & 07777;

	if (!t->trusted) {
		uid = uid == t->owner ? uid : (uid_t)-1;
		gid = in_groups(t, gid) ? gid : (gid_t)-1;
	}

	if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
		return pr_errno(-errno, "cannot restore: cannot give '%s' its owner and mode",
				e->path);
	return 0;
}

int fd_audit_open(const struct files_open *fo, const FileEntry *e, int fd)
{
	int fl, r = e->sock ? sk_common_restore(e, fd) : 0;

	if (r >= 0 && e->has_uid) /* a file made anew (fd_audit_check) */
		r = owner_restore(fo->trust, e, fd);
	if (r < 0)
		return r;
	/* O_ASYNC is set in the process itself (fd_audit_restore_late): the
	 * kernel keeps the fd number of whoever sets it, for the signal. */
	if (!(e->flags & O_ASYNC))
		return 0;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_ASYNC) < 0)
		return pr_errno(-errno, "cannot restore: cannot set the flags of '%s'", e->path);
	return 0;
}

static int remote_fcntl(struct infect *inf, int fd, int cmd, long arg)
{
	long ret;
	int r = infect_syscall3(inf, SYS_fcntl, &ret, fd, cmd, arg);

	return r < 0 ? r : ret < 0 ? (int)ret : 0;
}

/* In the process, its creds set: @e at its fd @fd. */
static int fown_restore(struct infect *inf, const FileEntry *e, int fd)
{
	const FownEntry *o = e->fown;
	int r = 0;

	if (o && o->signum)
		r = remote_fcntl(inf, fd, F_SETSIG, (long)o->signum);
	if (r >= 0 && o && o->pid) {
		/* A thread, process or group as the process knows it. */
		struct f_owner_ex owner = { .type = (int)o->type,
					    .pid = ns_pid_seen_by(inf->pid, (int)o->pid) };

		if (inf->scratch_len < sizeof(owner))
			return -ENOSPC;
		r = remote_write(inf->pid, inf->scratch, &owner, sizeof(owner));
		if (r >= 0)
			r = remote_fcntl(inf, fd, F_SETOWN_EX, (long)inf->scratch);
	}
	if (r >= 0 && (e->flags & O_ASYNC)) {
		long fl;

		r = infect_syscall3(inf, SYS_fcntl, &fl, fd, F_GETFL, 0);
		if (r >= 0)
			r = fl < 0 ? (int)fl : remote_fcntl(inf, fd, F_SETFL, fl | O_ASYNC);
	}
	return r;
}

int fd_audit_restore_late(struct infect *inf, const FilesEntry *fe, const FdinfoEntry *fi,
			  const int *owner)
{
	for (size_t i = 0; i < fi->n_fds; i++) {
		const FdEntry *fd = fi->fds[i];
		const FileEntry *e = fe->files[fd->file_id];
		int r;

		if ((!e->fown && !(e->flags & O_ASYNC) && !e->has_lease) ||
		    !files_fd_first(fi, i, inf->pid, owner))
			continue;
		/* The lease first: it makes this process the owner, which the
		 * saved owner (or none) then replaces. */
		if (e->has_lease) {
			r = remote_fcntl(inf, (int)fd->fd, F_SETLEASE, (long)e->lease);
			if (r >= 0 && !(e->fown && e->fown->pid))
				r = remote_fcntl(inf, (int)fd->fd, F_SETOWN, 0);
			if (r < 0)
				return pr_errno(
					r,
					"cannot restore %d: cannot take its %s lease back at fd %u",
					inf->pid, lease_name((int)e->lease), fd->fd);
		}
		r = fown_restore(inf, e, (int)fd->fd);
		if (r < 0)
			return pr_errno(r, "cannot restore %d: cannot set the SIGIO owner of fd %u",
					inf->pid, fd->fd);
	}
	return 0;
}
