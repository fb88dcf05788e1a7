// SPDX-License-Identifier: GPL-2.0
/*
 * File locks: flock(), POSIX (fcntl F_SETLK) and OFD (F_OFD_SETLK) locks.
 *
 * /proc/PID/fdinfo/FD lists, as "lock:" lines, the flock and OFD locks of
 * that open file description, and the POSIX locks the process holds on
 * the file (any of its fds on the inode shows them all). So flock and OFD
 * locks are saved with their description, once; POSIX locks with the first
 * description of their process on that inode, with the process as owner.
 *
 * Restore: flock and OFD locks belong to the description, which ckpt opens:
 * ckpt takes them there. A POSIX lock belongs to a process, and closing any
 * of its fds on the file drops it: the process takes it itself by a remote
 * fcntl at the very end, once the restorer's fds are closed.
 */
#include "files.h"

#include "infect.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>

enum { LOCK_FLOCK = 1, LOCK_POSIX = 2, LOCK_OFD = 3 };

/* One "lock:" line: "1: POSIX  ADVISORY  WRITE 1234 fe:00:5678 10 29" (the
 * end is inclusive, or EOF). -EALREADY for a lease (fd-audit.c saves it),
 * -EBUSY for one being broken, -EOPNOTSUPP for the rest (mandatory...). */
static int parse_lock(const char *line, FileLockEntry *l, int *ret_pid)
{
	char type[16], mode[16], rw[16], end[24];
	uint64_t start;
	int pid;

	if (sscanf(line, "%*d: %15s %15s %15s %d %*s %" SCNu64 " %23s", type, mode, rw, &pid,
		   &start, end) != 6)
		return -EINVAL;
	if (!strcmp(type, "FLOCK"))
		l->type = LOCK_FLOCK;
	else if (!strcmp(type, "POSIX"))
		l->type = LOCK_POSIX;
	else if (!strcmp(type, "OFDLCK"))
		l->type = LOCK_OFD;
	else if (!strcmp(type, "LEASE"))
		return strcmp(mode, "ACTIVE") ? -EBUSY : -EALREADY;
	else
		return -EOPNOTSUPP;
	if (strcmp(mode, "ADVISORY"))
		return -EOPNOTSUPP;
	l->write = !strcmp(rw, "WRITE");
	l->start = start;
	l->len = !strcmp(end, "EOF") ? 0 : strtoull(end, NULL, 10) - start + 1;
	*ret_pid = pid;
	return 0;
}

static bool same_lock(const FileLockEntry *a, const FileLockEntry *b)
{
	return a->type == b->type && a->write == b->write && a->start == b->start &&
	       a->len == b->len && a->owner == b->owner;
}

/* Already saved with another description of the same file? */
static bool posix_known(const FilesEntry *fe, const FileEntry *e, const FileLockEntry *l)
{
	for (size_t i = 0; i < fe->n_files; i++) {
		const FileEntry *o = fe->files[i];

		if (o->dev != e->dev || o->ino != e->ino)
			continue;
		for (size_t k = 0; k < o->n_locks; k++)
			if (same_lock(o->locks[k], l))
				return true;
	}
	for (size_t k = 0; k < e->n_locks; k++)
		if (same_lock(e->locks[k], l))
			return true;
	return false;
}

static void add_lock(FileEntry *e, const FileLockEntry *l)
{
	FileLockEntry *copy = xmalloc(sizeof(*copy));

	*copy = *l;
	e->locks = xrealloc(e->locks, (e->n_locks + 1) * sizeof(*e->locks));
	e->locks[e->n_locks++] = copy;
}

int locks_dump(const struct fd_dump *d, FileEntry *e, bool new_desc)
{
	const char *p = d->fdinfo;

	while ((p = fdinfo_field(p, "lock:"))) {
		FileLockEntry l = FILE_LOCK_ENTRY__INIT;
		int pid, r = parse_lock(p, &l, &pid);

		p = strchr(p, '\n');
		if (r == -EALREADY && e->has_lease)
			continue;
		if (r == -EBUSY || r == -EALREADY)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d holds a lease that is being broken (a process is opening its file)",
				d->pid, d->fd);
		if (r == -EOPNOTSUPP)
			return pr_fail(r, "cannot dump %d: fd %d holds a lease or mandatory lock",
				       d->pid, d->fd);
		if (r < 0)
			return pr_fail(r, "cannot dump %d: cannot read the locks of fd %d", d->pid,
				       d->fd);
		if (l.type != LOCK_POSIX) {
			if (new_desc)
				add_lock(e, &l);
			continue;
		}
		l.has_owner = true;
		l.owner = (uint32_t)pid;
		if (!posix_known(&d->ft->img, e, &l))
			add_lock(e, &l);
	}
	return 0;
}

static int lock_errno(const FileEntry *e, int r)
{
	if (r == -EAGAIN || r == -EWOULDBLOCK || r == -EACCES)
		return pr_fail(-EBUSY, "cannot restore: a lock on '%s' is held by another process",
			       e->path);
	return pr_errno(r, "cannot restore: cannot lock '%s'", e->path);
}

static struct flock lock_range(const FileLockEntry *l)
{
	struct flock fl = {
		.l_type = l->write ? F_WRLCK : F_RDLCK,
		.l_whence = SEEK_SET,
		.l_start = (off_t)l->start,
		.l_len = (off_t)l->len,
	};

	return fl;
}

int locks_restore_desc(const FileEntry *e, int fd)
{
	for (size_t i = 0; i < e->n_locks; i++) {
		const FileLockEntry *l = e->locks[i];
		struct flock fl = lock_range(l);
		int r = 0;

		if (l->type == LOCK_FLOCK)
			r = flock(fd, (l->write ? LOCK_EX : LOCK_SH) | LOCK_NB);
		else if (l->type == LOCK_OFD)
			r = fcntl(fd, F_OFD_SETLK, &fl);
		if (r < 0)
			return lock_errno(e, -errno);
	}
	return 0;
}

static int posix_lock_late(struct infect *inf, const FileEntry *e, int fd, const FileLockEntry *l)
{
	struct flock fl = lock_range(l);
	long ret = 0;
	int r;

	r = remote_write(inf->pid, inf->scratch, &fl, sizeof(fl));
	if (r == 0)
		r = infect_syscall3(inf, SYS_fcntl, &ret, fd, F_SETLK, inf->scratch);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot lock '%s'", e->path);
	return ret < 0 ? lock_errno(e, (int)ret) : 0;
}

int locks_restore_posix_late(struct infect *inf, const FilesEntry *fe, const FdinfoEntry *fi)
{
	for (size_t i = 0; i < fi->n_fds; i++) {
		const FileEntry *e = fe->files[fi->fds[i]->file_id];
		bool first = true;

		/* Once per description of this process. */
		for (size_t j = 0; j < i; j++)
			first &= fi->fds[j]->file_id != fi->fds[i]->file_id;
		for (size_t k = 0; first && k < e->n_locks; k++) {
			const FileLockEntry *l = e->locks[k];
			int r;

			if (l->type != LOCK_POSIX || l->owner != (uint32_t)inf->pid)
				continue;
			r = posix_lock_late(inf, e, (int)fi->fds[i]->fd, l);
			if (r < 0)
				return r;
		}
	}
	return 0;
}
