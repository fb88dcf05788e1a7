// SPDX-License-Identifier: GPL-2.0
/*
 * Pidfds (pidfd_open, CLONE_PIDFD) of processes and threads of the tree,
 * zombies too. fdinfo names the process ("Pid:", the thread's id for a
 * PIDFD_THREAD one, -1 once it has been reaped); the flags say
 * PIDFD_NONBLOCK (O_NONBLOCK) and PIDFD_THREAD (O_EXCL, which the kernel
 * leaves in a pidfd's f_flags).
 *
 * Dump: a pidfd of a process or thread outside the tree is refused (the
 * same number may be another process after the restore), and so is one
 * of a process already reaped (nothing to point it at).
 *
 * Restore: the process it refers to has its PID again, but only once the
 * tree is built; so ckpt puts a placeholder in its slot (/dev/null) and,
 * every process and thread rebuilt and stopped, each process that has a
 * pidfd opens it itself (a remote pidfd_open, no privilege needed) and
 * moves it onto its fd number. Each fd gets a description of its own: a
 * pidfd shared through dup or fork comes back as two (they hold no
 * offset; an O_NONBLOCK set later on one is not seen on the other).
 */
#include "files.h"
#include "ns.h"

#include "infect.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#define KERNEL_O_LARGEFILE 0100000
/* What a pidfd's flags can hold. */
#define PIDFD_FLAGS (O_RDWR | O_NONBLOCK | PIDFD_THREAD | KERNEL_O_LARGEFILE)
/* PID_MAX_LIMIT is 2^22. */
#define PIDFD_PID_MAX (1u << 22)

static bool pidfd_claims(const char *link, const struct stat *st)
{
	return !strcmp(link, "anon_inode:[pidfd]");
}

static int pidfd_dump(const struct fd_dump *d, FileEntry *e)
{
	const char *pid = fdinfo_field(d->fdinfo, "Pid:");
	long target = pid ? strtol(pid, NULL, 10) : 0;

	if (target <= 0)
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is a pidfd of a process that has been reaped",
			       d->pid, d->fd);
	if ((e->flags & ~(uint32_t)PIDFD_FLAGS) || e->fown)
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is a pidfd with flags %#o or a SIGIO owner",
			       d->pid, d->fd, e->flags);
	e->has_pidfd_pid = true;
	e->pidfd_pid = (uint32_t)target;
	return 0;
}

static bool listed(const int *pids, size_t nr, int pid)
{
	for (size_t i = 0; i < nr; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Is @tid a thread of one of @pids? */
static bool thread_of_tree(const int *pids, size_t nr, int tid)
{
	char path[64];

	for (size_t i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d", pids[i], tid);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

static int pidfds_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	for (size_t i = 0; i < ft->img.n_files; i++) {
		const FileEntry *e = ft->img.files[i];
		int target = (int)e->pidfd_pid;

		if (e->kind != FD_KIND__FD_PIDFD)
			continue;
		if (e->flags & PIDFD_THREAD ? thread_of_tree(pids, nr_pids, target)
					    : listed(pids, nr_pids, target))
			continue;
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a pidfd of %s %d, which is not in the tree",
			ft->seen[i].pid, ft->seen[i].fd,
			e->flags & PIDFD_THREAD ? "thread" : "process", target);
	}
	return 0;
}

static int pidfd_check(const FileEntry *e, const struct files_open *fo)
{
	if (!e->has_pidfd_pid || !e->pidfd_pid || e->pidfd_pid > PIDFD_PID_MAX ||
	    (e->flags & ~(uint32_t)PIDFD_FLAGS) || e->fown || (e->flags & O_ACCMODE) != O_RDWR)
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (pidfd)");
	return 0;
}

/* A placeholder until the tree is built (pidfds_restore_late). */
static int pidfd_open_placeholder(struct files_open *fo, const FileEntry *e)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? pr_errno(-errno, "cannot restore: cannot open /dev/null") : fd;
}

const struct file_kind pidfd_kind = {
	.kind = FD_KIND__FD_PIDFD,
	.name = "pidfd",
	.claims = pidfd_claims,
	.dump = pidfd_dump,
	.dump_finish = pidfds_dump_finish,
	.check = pidfd_check,
	.open = pidfd_open_placeholder,
};

int pidfds_check(const FilesEntry *fe, const int *tree, size_t nr_tree)
{
	for (size_t i = 0; i < fe->n_files; i++)
		if (fe->files[i]->kind == FD_KIND__FD_PIDFD &&
		    !listed(tree, nr_tree, (int)fe->files[i]->pidfd_pid))
			return pr_fail(
				-EBADMSG,
				"cannot restore: a pidfd of %u, which is not in the image set",
				fe->files[i]->pidfd_pid);
	return 0;
}

/* In process @inf: a pidfd of @e at @fd. */
static int pidfd_place(struct infect *inf, const FileEntry *e, const FdEntry *fd)
{
	long tmp, ret;
	int r;

	r = infect_syscall3(inf, SYS_pidfd_open, &tmp, ns_pid_seen_by(inf->pid, (int)e->pidfd_pid),
			    e->flags & (O_NONBLOCK | PIDFD_THREAD), 0);
	if (r < 0 || tmp < 0)
		return r < 0 ? r : (int)tmp;
	r = infect_syscall3(inf, SYS_dup3, &ret, tmp, fd->fd, fd->cloexec ? O_CLOEXEC : 0);
	if (r >= 0 && ret < 0)
		r = (int)ret;
	(void)infect_syscall3(inf, SYS_close, &ret, tmp, 0, 0);
	return r;
}

int pidfds_restore_late(int pid, const FilesEntry *fe, const FdinfoEntry *fi, const int *tree,
			size_t nr_tree)
{
	struct user_regs_struct regs;
	struct infect inf;
	bool any = false;
	int r;

	for (size_t i = 0; i < fi->n_fds; i++)
		any |= fe->files[fi->fds[i]->file_id]->kind == FD_KIND__FD_PIDFD;
	if (!any)
		return 0;
	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0)
		return pr_errno(-errno, "cannot restore %d: cannot give its pidfds back", pid);
	r = infect_init(&inf, pid, &regs, NULL);
	if (r < 0)
		return pr_errno(r, "cannot restore %d: cannot give its pidfds back", pid);
	for (size_t i = 0; i < fi->n_fds && r >= 0; i++) {
		const FileEntry *e = fe->files[fi->fds[i]->file_id];

		if (e->kind != FD_KIND__FD_PIDFD)
			continue;
		/* The images say which process: it must be one of the set. */
		if (!listed(tree, nr_tree, (int)e->pidfd_pid)) {
			r = pr_fail(
				-EBADMSG,
				"cannot restore %d: its fd %u is a pidfd of %u, not in the image set",
				pid, fi->fds[i]->fd, e->pidfd_pid);
			break;
		}
		r = pidfd_place(&inf, e, fi->fds[i]);
		if (r < 0)
			r = pr_errno(r, "cannot restore %d: cannot open its pidfd of %u at fd %u",
				     pid, e->pidfd_pid, fi->fds[i]->fd);
	}
	/* Outside a dump, remote calls leave the registers as they were
	 * after the call: the dumped ones back. */
	if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) < 0 && r >= 0)
		r = pr_errno(-errno, "cannot restore %d: cannot set its registers", pid);
	return r;
}
