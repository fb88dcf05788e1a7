// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX message queues (mq_open). /proc shows one as "/NAME", or
 * "/NAME (deleted)" once mq_unlink removed the name, and as a regular
 * file: only the filesystem it is on (fstatfs) tells it from one.
 *
 * A queue with a name lives on in the IPC namespace when the tree is
 * killed, like a file: the restore opens it again by that name (with the
 * image set owner's access), checks it is the one dumped (same boot), and
 * its messages are whatever it holds then, as a file's contents are.
 *
 * A queue whose name was removed exists only through the fds of the tree
 * (one held outside it is refused): its attributes and messages are saved
 * with its first description. ckpt reads them through a new description
 * of its own (open of /proc/PID/fd/N, non-blocking), highest priority
 * first as the kernel gives them, and sends them back in that order at
 * once, which rebuilds the queue exactly: the tree is frozen and nobody
 * else has the queue. A full queue is refused (a sender may be waiting,
 * and a receive would let it in). A notification registered on a queue
 * (mq_notify) is saved by the process that registered it (mq-notify.c):
 * it must be in the tree with an fd of the queue. The restore
 * creates the queue under its old name when free (else a name of ckpt's),
 * sends the messages, opens every description, and removes the name.
 */
#include "files.h"

#include "trust.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <mqueue.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif
#define MQ_NAME_MAX 255
#define MQ_PRIO_LIMIT 32768 /* MQ_PRIO_MAX */
#define MQ_HARD_MSGMAX 65536
#define MQ_HARD_MSGSIZEMAX (16 * 1024 * 1024)
#define DELETED " (deleted)"

bool fd_on_mqueue(int pid, int fd)
{
	char path[64];
	struct statfs sfs;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	return statfs(path, &sfs) == 0 && sfs.f_type == MQUEUE_MAGIC;
}

/* The syscalls take the name without its '/'; glibc's wrappers add it. */
static int mq_open_raw(const char *name, int flags, mode_t mode, struct mq_attr *attr)
{
	int fd = (int)syscall(SYS_mq_open, name, flags | O_CLOEXEC, mode, attr);

	return fd < 0 ? -errno : fd;
}

static int mq_getattr_raw(int fd, struct mq_attr *a)
{
	return syscall(SYS_mq_getsetattr, fd, NULL, a) < 0 ? -errno : 0;
}

/* Has process @pid an fd of the queue @dev:@ino? */
static bool holds_queue(int pid, uint64_t dev, uint64_t ino)
{
	char path[300];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	while (dir && !found && (de = readdir(dir))) {
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, de->d_name);
		found = de->d_name[0] != '.' && stat(path, &st) == 0 && st.st_dev == dev &&
			st.st_ino == ino;
	}
	if (dir)
		closedir(dir);
	return found;
}

/* Is this queue (same inode) saved with a description already? */
static bool mq_saved(const FilesEntry *fe, const FileEntry *e)
{
	for (size_t i = 0; i < fe->n_files; i++)
		if (fe->files[i]->kind == FD_KIND__FD_MQUEUE && fe->files[i]->dev == e->dev &&
		    fe->files[i]->ino == e->ino && fe->files[i]->mqueue->has_msgs)
			return true;
	return false;
}

static void msg_add(MqueueEntry *q, const char *data, size_t len, unsigned int prio)
{
	MqMsgEntry *m = xmalloc(sizeof(*m));

	mq_msg_entry__init(m);
	m->prio = prio;
	m->data.len = len;
	m->data.data = xmalloc(len + 1);
	memcpy(m->data.data, data, len);
	q->msgs = xrealloc(q->msgs, (q->n_msgs + 1) * sizeof(*q->msgs));
	q->msgs[q->n_msgs++] = m;
}

/* Every message of the queue @fd holds @n of, read and sent back. */
static int mq_read_all(int fd, long n, long msgsize, MqueueEntry *q)
{
	_cleanup_free_ char *buf = xmalloc((size_t)msgsize + 1);
	int r = 0;

	for (long i = 0; i < n; i++) {
		unsigned int prio;
		ssize_t len = syscall(SYS_mq_timedreceive, fd, buf, (size_t)msgsize, &prio, NULL);

		if (len < 0) {
			r = -errno;
			break;
		}
		msg_add(q, buf, (size_t)len, prio);
	}
	/* Back in the order received: priorities high to low, each in its
	 * order of arrival, as they were. */
	for (size_t i = 0; i < q->n_msgs; i++) {
		const MqMsgEntry *m = q->msgs[i];

		if (syscall(SYS_mq_timedsend, fd, m->data.data, m->data.len, m->prio, NULL) < 0)
			return -errno; /* cannot happen: there was room for them */
	}
	return r;
}

static int mq_dump(const struct fd_dump *d, FileEntry *e)
{
	MqueueEntry *q = xmalloc(sizeof(*q));
	_cleanup_close_ int own = -1;
	size_t len = strlen(d->link);
	char path[64];
	struct mq_attr a;
	struct mq_status ms;
	int r, out;

	mqueue_entry__init(q);
	e->mqueue = q;
	e->has_mode = e->has_dev = e->has_ino = true;
	e->mode = d->st->st_mode;
	e->dev = d->st->st_dev;
	e->ino = d->st->st_ino;
	q->unlinked = str_ends(d->link, DELETED);
	if (q->unlinked)
		len -= strlen(DELETED);
	if (d->link[0] != '/' || len < 2 || len - 1 > MQ_NAME_MAX)
		return pr_fail(-EINVAL, "cannot dump %d: fd %d is a message queue named '%s'",
			       d->pid, d->fd, d->link);
	q->name = strndup(d->link + 1, len - 1);
	/* ckpt's own description: the process's may be write-only. */
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", d->pid, d->fd);
	own = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	r = own < 0 ? -errno : mq_getattr_raw(own, &a);
	if (r >= 0)
		r = mq_status_read(own, &ms);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read the message queue '%s' at fd %d",
				d->pid, d->link, d->fd);
	q->maxmsg = (uint64_t)a.mq_maxmsg;
	q->msgsize = (uint64_t)a.mq_msgsize;
	/* Its owner learns and saves it (mq-notify.c), and must be able to
	 * register it again: in the tree, with an fd of the queue. Refilling
	 * an emptied queue would fire it: one with messages is refused. */
	if (ms.pid && (!pid_listed(d->ft->pids, d->ft->nr_pids, ms.pid) ||
		       !holds_queue(ms.pid, e->dev, e->ino) || a.mq_curmsgs))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a message queue '%s' with a notification registered (mq_notify) by process %d, %s",
			d->pid, d->fd, d->link, ms.pid,
			!pid_listed(d->ft->pids, d->ft->nr_pids, ms.pid) ? "outside the tree"
			: a.mq_curmsgs ? "holding messages: its value cannot be learned"
				       : "which holds no fd of it");
	if (!q->unlinked || mq_saved(&d->ft->img, e))
		return 0;
	if (a.mq_curmsgs >= a.mq_maxmsg)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a full message queue '%s' (a sender may be waiting: not saved)",
			d->pid, d->fd, d->link);
	out = fd_link_holder_outside(d->ft->pids, d->ft->nr_pids, d->link);
	if (out)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a message queue '%s' that process %d, outside the tree, holds too",
			d->pid, d->fd, d->link, out);
	q->has_has_msgs = q->has_msgs = true;
	r = mq_read_all(own, a.mq_curmsgs, a.mq_msgsize, q);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read the messages of '%s' at fd %d",
				d->pid, d->link, d->fd);
	return 0;
}

/* An integer from /proc/sys, or 0. */
static long sysctl_long(const char *path)
{
	_cleanup_free_ char *text = NULL;

	return read_file(path, &text, NULL) < 0 ? 0 : strtol(text, NULL, 10);
}

static bool name_ok(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > MQ_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int mq_check(const FileEntry *e, const struct files_open *fo)
{
	const MqueueEntry *q = e->mqueue;
	const int flags_ok = O_ACCMODE | O_NONBLOCK;
	bool holder = false;

	if (!q || !q->name || !name_ok(q->name) || (e->flags & ~(uint32_t)flags_ok) ||
	    (e->flags & O_ACCMODE) == O_ACCMODE || !e->has_mode || !q->maxmsg ||
	    q->maxmsg > MQ_HARD_MSGMAX || !q->msgsize || q->msgsize > MQ_HARD_MSGSIZEMAX ||
	    q->n_msgs >= q->maxmsg || (q->n_msgs && !q->has_msgs) || (q->has_msgs && !q->unlinked))
		return anon_inconsistent(e);
	for (size_t i = 0; i < q->n_msgs; i++)
		if (q->msgs[i]->prio >= MQ_PRIO_LIMIT || q->msgs[i]->data.len > q->msgsize)
			return anon_inconsistent(e);
	/* An unlinked queue is made from the description holding its data. */
	for (size_t i = 0; q->unlinked && i < fo->fe->n_files; i++) {
		const FileEntry *o = fo->fe->files[i];

		holder |= o->kind == FD_KIND__FD_MQUEUE && o->mqueue && o->mqueue->has_msgs &&
			  o->dev == e->dev && o->ino == e->ino;
	}
	if (q->unlinked && !holder)
		return anon_inconsistent(e);
	/* Past these limits a queue takes CAP_SYS_RESOURCE, which ckpt has. */
	if (q->has_msgs && !fo->trust->trusted &&
	    ((long)q->maxmsg > sysctl_long("/proc/sys/fs/mqueue/msg_max") ||
	     (long)q->msgsize > sysctl_long("/proc/sys/fs/mqueue/msgsize_max")))
		return pr_fail(
			-EPERM,
			"cannot restore: the message queue '%s' is larger than this image set (not root's) may ask for",
			e->path);
	return 0;
}

/* Restore: the queues made anew, by file id; -1 for the others. */
struct mq_made {
	int fd; /* O_RDWR, ours */
	char *name; /* under which it was made: removed at the end */
};

/* A queue of name @name, @q's attributes, made with the set owner's
 * access; -EEXIST if the name is taken. */
static int mq_make(const struct trust *t, const char *name, const FileEntry *e)
{
	const MqueueEntry *q = e->mqueue;
	struct mq_attr a = { .mq_maxmsg = (long)q->maxmsg, .mq_msgsize = (long)q->msgsize };
	struct trust_saved saved;
	int r = trust_enter(t, &saved), fd;

	if (r < 0)
		return r;
	fd = mq_open_raw(name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, e->mode & 0777, &a);
	trust_leave(&saved);
	return fd;
}

static int mq_prepare(struct files_open *fo)
{
	const FilesEntry *fe = fo->fe;
	struct mq_made *made = xzalloc((fe->n_files + 1) * sizeof(*made));

	fo->state[FD_KIND__FD_MQUEUE] = made;
	for (size_t i = 0; i < fe->n_files; i++) {
		const FileEntry *e = fe->files[i];
		const MqueueEntry *q = e->mqueue;
		char own[64];
		int fd;

		made[i].fd = -1;
		if (e->kind != FD_KIND__FD_MQUEUE || !q->has_msgs)
			continue;
		/* Its old name when free, so that /proc shows the same. */
		fd = mq_make(fo->trust, q->name, e);
		if (fd >= 0) {
			made[i].name = xstrdup(q->name);
		} else if (fd == -EEXIST) {
			snprintf(own, sizeof(own), "ckpt-%d-%zu", getpid(), i);
			fd = mq_make(fo->trust, own, e);
			if (fd >= 0)
				made[i].name = xstrdup(own);
		}
		made[i].fd = fd_move_above(fd, fo->scratch);
		if (made[i].fd < 0)
			return pr_errno(made[i].fd,
					"cannot restore: cannot make the message queue '%s'",
					e->path);
		for (size_t k = 0; k < q->n_msgs; k++)
			if (syscall(SYS_mq_timedsend, made[i].fd, q->msgs[k]->data.data,
				    q->msgs[k]->data.len, q->msgs[k]->prio, NULL) < 0)
				return pr_errno(
					-errno,
					"cannot restore: cannot fill the message queue '%s'",
					e->path);
	}
	return 0;
}

/* The made queue of @e (same inode), or -1. */
static const struct mq_made *made_of(const struct files_open *fo, const FileEntry *e)
{
	const struct mq_made *made = fo->state[FD_KIND__FD_MQUEUE];

	for (size_t i = 0; i < fo->fe->n_files; i++) {
		const FileEntry *o = fo->fe->files[i];

		if (made[i].fd >= 0 && o->dev == e->dev && o->ino == e->ino)
			return &made[i];
	}
	return NULL;
}

static int mq_open_desc(struct files_open *fo, const FileEntry *e)
{
	const MqueueEntry *q = e->mqueue;
	const struct mq_made *m = q->unlinked ? made_of(fo, e) : NULL;
	int flags = (int)e->flags & (O_ACCMODE | O_NONBLOCK);
	struct trust_saved saved;
	int fd, r;

	if (q->unlinked && !m)
		return anon_inconsistent(e);
	r = trust_enter(fo->trust, &saved);
	if (r < 0)
		return r;
	fd = mq_open_raw(m ? m->name : q->name, flags, 0, NULL);
	trust_leave(&saved);
	if (fd < 0)
		return pr_errno(fd, "cannot restore: cannot open the message queue '%s'", e->path);
	if (!m) {
		struct trust_file tf = { .path = e->path,
					 .what = "message queue",
					 .mode = e->mode,
					 .has_ino = true,
					 .dev = e->dev,
					 .ino = e->ino };

		r = trust_verify(fo->trust, fd, &tf);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	return fd;
}

static void mq_finish(struct files_open *fo)
{
	struct mq_made *made = fo->state[FD_KIND__FD_MQUEUE];

	for (size_t i = 0; made && i < fo->fe->n_files; i++) {
		struct trust_saved saved;

		if (made[i].name && trust_enter(fo->trust, &saved) >= 0) {
			(void)syscall(SYS_mq_unlink, made[i].name);
			trust_leave(&saved);
		}
		free(made[i].name);
		if (made[i].fd >= 0)
			close(made[i].fd);
	}
	free(made);
	fo->state[FD_KIND__FD_MQUEUE] = NULL;
}

/* Claimed by its filesystem, not its looks (files.c asks fd_on_mqueue). */
const struct file_kind mqueue_kind = {
	.kind = FD_KIND__FD_MQUEUE,
	.name = "message queue",
	.dump = mq_dump,
	.check = mq_check,
	.prepare = mq_prepare,
	.finish = mq_finish,
	.open = mq_open_desc,
};
