// SPDX-License-Identifier: GPL-2.0
/*
 * Files of a process's own /proc directory (/proc/PID/status, stat, maps,
 * mem, fdinfo/N, the directories fd/ and task/, ...), of processes of the
 * tree or not. /proc/self/... reads /proc/PID/... in the fd's link, so it
 * is one of these too. The files of /proc that belong to no process
 * (/proc/meminfo, /proc/sys/...) and of /sys keep their inodes and are
 * reopened by path like any file (files-reg.c).
 *
 * A file of /proc/PID/ has an inode of its own for as long as it is
 * cached, which says nothing of the process after a restore, and it can
 * be opened only once PID exists again. So:
 *
 * Dump: the file's PID, and whether it is a process or thread of the tree.
 * One of a process outside the tree records that process's start time
 * (with the pid and the boot, one process). The offset is saved as any
 * file's. Refused: a file whose process has gone ("(deleted)"), a
 * description shared between processes (each process opens its own again:
 * the offset would be shared no longer), and one with locks or a SIGIO
 * owner.
 *
 * Restore: ckpt puts a placeholder (/dev/null) in its slot and, every
 * process rebuilt with its credentials and stopped, each process opens its
 * /proc files itself by their paths, with its own credentials (what a
 * /proc file lets its opener do, such as /proc/PID/mem, is decided at
 * open for the opener: ckpt's privilege must not be in it), never through
 * a symlink or a magic link (openat2 RESOLVE_NO_SYMLINKS,
 * RESOLVE_NO_MAGICLINKS), seeks to the offset and moves it onto every fd
 * number it had in that process. lseek() on the kernel's seq files reads
 * up to the offset again, so the next read goes on from a line boundary
 * of the content as it is now. A process outside the tree must be the one
 * that was (its start time), or the restore is refused before anything is
 * made.
 */
#include "files.h"

#include "imgdir.h"
#include "infect.h"
#include "proc.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

#define KERNEL_O_LARGEFILE 0100000
/* What a /proc file's description may hold: the rest is refused. */
#define PROC_FLAGS                                                                              \
	(O_ACCMODE | O_NONBLOCK | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_APPEND | O_CLOEXEC | \
	 O_PATH | KERNEL_O_LARGEFILE)
#define PROC_PID_MAX (1u << 22) /* PID_MAX_LIMIT */

/* The pid of "/proc/PID" or "/proc/PID/...", or 0. */
static unsigned int proc_path_pid(const char *path, const char **ret_rest)
{
	unsigned long pid = 0;
	const char *p;

	if (strncmp(path, "/proc/", 6))
		return 0;
	for (p = path + 6; *p >= '0' && *p <= '9' && pid <= PROC_PID_MAX; p++)
		pid = pid * 10 + (unsigned long)(*p - '0');
	if (p == path + 6 || path[6] == '0' || pid > PROC_PID_MAX || (*p && *p != '/'))
		return 0;
	if (ret_rest)
		*ret_rest = p;
	return (unsigned int)pid;
}

/* What follows /proc/PID: "/name" components of plain characters, no "."
 * or ".." (the kernel's own names: status, fdinfo/3, task/12/stat, ...). */
static bool proc_rest_sane(const char *rest)
{
	while (*rest) {
		const char *c = ++rest;

		if (rest[-1] != '/')
			return false;
		while (*rest && *rest != '/') {
			unsigned char ch = (unsigned char)*rest++;

			if (ch <= ' ' || ch >= 0x7f)
				return false;
		}
		if (rest == c || (rest - c == 1 && c[0] == '.') ||
		    (rest - c == 2 && c[0] == '.' && c[1] == '.'))
			return false;
	}
	return true;
}

bool proc_file_path(const char *link)
{
	return proc_path_pid(link, NULL) != 0;
}

static bool proc_claims(const char *link, const struct stat *st)
{
	return (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) && proc_path_pid(link, NULL);
}

static bool listed(const int *pids, size_t nr, int pid)
{
	for (size_t i = 0; i < nr; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Is @id a process of @pids or a thread of one of them? */
static bool of_tree(const int *pids, size_t nr, int id)
{
	char path[64];

	if (listed(pids, nr, id))
		return true;
	for (size_t i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d", pids[i], id);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

/*
 * Could process @pid open @st again with its credentials, for @flags? It
 * opened it under other ones, or before it became non-dumpable (which
 * makes its /proc files root's): the restore would fail.
 */
static bool may_open_again(int pid, const char *path, uint32_t flags)
{
	struct proc_status ps;
	struct stat path_st, *st = &path_st;
	unsigned int need = 0, have;
	bool in_group = false;

	if (flags & O_PATH)
		return true;
	/* By its path: the inode an fd holds keeps the owner it had when it
	 * was opened; a lookup brings it up to date. */
	if (stat(path, st) < 0 || proc_read_status(pid, &ps) < 0)
		return false;
	if ((flags & O_ACCMODE) != O_WRONLY)
		need |= 4;
	if ((flags & O_ACCMODE) != O_RDONLY)
		need |= 2;
	in_group = st->st_gid == ps.gid[3];
	for (size_t i = 0; i < ps.nr_groups; i++)
		in_group |= st->st_gid == ps.groups[i];
	free(ps.groups);
	if (ps.cap_eff & (1ull << 1)) /* CAP_DAC_OVERRIDE */
		return true;
	have = st->st_uid == ps.uid[3] ? st->st_mode >> 6
	       : in_group	       ? st->st_mode >> 3
				       : st->st_mode;
	return (have & need) == need;
}

static int proc_dump(const struct fd_dump *d, FileEntry *e)
{
	const char *rest = NULL;
	unsigned int pid = proc_path_pid(d->link, &rest);
	ProcFileEntry *p;

	if (str_ends(d->link, " (deleted)"))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is '%s', a /proc file of a process that has exited",
			d->pid, d->fd, d->link);
	if (!proc_rest_sane(rest) || (e->flags & ~(uint32_t)PROC_FLAGS) || e->fown ||
	    (e->flags & O_ASYNC))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d, the /proc file '%s', has flags %#o or a SIGIO owner (not supported yet)",
			d->pid, d->fd, d->link, e->flags);
	if (!may_open_again(d->pid, d->link, e->flags))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d, the /proc file '%s', is not one it may open now (it became non-dumpable or changed its ids since): it could not open it again",
			d->pid, d->fd, d->link);
	p = xmalloc(sizeof(*p));
	proc_file_entry__init(p);
	e->proc = p;
	p->pid = pid;
	p->in_tree = of_tree(d->ft->pids, d->ft->nr_pids, (int)pid);
	e->has_mode = true;
	e->mode = d->st->st_mode & S_IFMT;
	if (!p->in_tree) {
		char boot[BOOT_ID_LEN + 1];
		struct proc_stat ps;
		int r = proc_read_stat((int)pid, &ps);

		if (r < 0)
			return pr_errno(r, "cannot dump %d: fd %d is '%s': cannot read process %u",
					d->pid, d->fd, d->link, pid);
		boot_id_read(boot);
		p->has_start_time = true;
		p->start_time = ps.start_time;
		p->boot_id = boot[0] ? xstrdup(boot) : NULL;
	}
	return 0;
}

/* Whether fd @fd of @pid is the description seen first at @s. */
static bool same_description(const struct file_seen *s, int pid, int fd)
{
	return syscall(SYS_kcmp, pid, s->pid, KCMP_FILE, fd, s->fd) == 0;
}

/* Is the /proc file seen at @s an item of an epoll of the table? Its
 * placeholder would be added in its place (and then dropped). */
static int proc_in_epoll(const struct file_table *ft, const struct file_seen *s)
{
	for (size_t i = 0; i < ft->img.n_files; i++) {
		const FileEntry *ep = ft->img.files[i];

		for (size_t k = 0;
		     ep->kind == FD_KIND__FD_EPOLL && ep->epoll && k < ep->epoll->n_tfds; k++) {
			struct kcmp_epoll_slot slot = { .efd = (uint32_t)ft->seen[i].fd,
							.tfd = ep->epoll->tfds[k]->tfd };

			if (syscall(SYS_kcmp, s->pid, ft->seen[i].pid, KCMP_EPOLL_TFD, s->fd,
				    (unsigned long)&slot) == 0)
				return (int)i;
		}
	}
	return -1;
}

/* Each process opens its own again at restore: a description shared
 * between processes (inherited through fork) would become two. */
static int proc_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	bool any = false;

	for (size_t i = 0; i < ft->img.n_files; i++) {
		const struct file_seen *s = &ft->seen[i];
		int ep;

		if (ft->img.files[i]->kind != FD_KIND__FD_PROC)
			continue;
		any = true;
		ep = proc_in_epoll(ft, s);
		if (ep >= 0)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d, the /proc file '%s', is watched by the epoll at fd %d of %d (not supported yet)",
				s->pid, s->fd, ft->img.files[i]->path, ft->seen[ep].fd,
				ft->seen[ep].pid);
	}
	for (size_t k = 0; any && k < nr_pids; k++) {
		_cleanup_free_ int *fds = NULL;
		size_t nr = 0;
		int r = proc_list_fds(pids[k], &fds, &nr);

		if (r < 0)
			return pr_errno(r, "cannot read '/proc/%d/fd'", pids[k]);
		for (size_t i = 0; i < ft->img.n_files; i++) {
			const FileEntry *e = ft->img.files[i];
			const struct file_seen *s = &ft->seen[i];

			if (e->kind != FD_KIND__FD_PROC)
				continue;
			if (e->n_locks)
				return pr_fail(
					-EOPNOTSUPP,
					"cannot dump %d: fd %d, the /proc file '%s', holds locks (not supported yet)",
					s->pid, s->fd, e->path);
			for (size_t j = 0; s->pid != pids[k] && j < nr; j++)
				if (same_description(s, pids[k], fds[j]))
					return pr_fail(
						-EOPNOTSUPP,
						"cannot dump %d: fd %d, the /proc file '%s', is shared with process %d (fd %d): it would come back as two files (not supported yet)",
						s->pid, s->fd, e->path, pids[k], fds[j]);
		}
	}
	return 0;
}

static int proc_check(const FileEntry *e, const struct files_open *fo)
{
	const ProcFileEntry *p = e->proc;
	const char *rest = NULL;

	(void)fo;
	if (!p || !p->pid || p->pid > PROC_PID_MAX || proc_path_pid(e->path, &rest) != p->pid ||
	    !proc_rest_sane(rest) || (e->flags & ~(uint32_t)PROC_FLAGS) ||
	    (e->flags & O_ACCMODE) == O_ACCMODE || e->fown || e->n_locks || e->has_lease ||
	    e->has_uid || e->has_gid || !e->has_mode ||
	    (e->mode != S_IFREG && e->mode != S_IFDIR) || p->in_tree == p->has_start_time ||
	    (p->boot_id && !str_fits(p->boot_id, BOOT_ID_LEN)))
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (/proc file)");
	return 0;
}

/* A placeholder until the tree is built (procfiles_restore_late). */
static int proc_open_placeholder(struct files_open *fo, const FileEntry *e)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)fo;
	(void)e;
	return fd < 0 ? pr_errno(-errno, "cannot restore: cannot open /dev/null") : fd;
}

const struct file_kind proc_kind = {
	.kind = FD_KIND__FD_PROC,
	.name = "proc",
	.claims = proc_claims,
	.dump = proc_dump,
	.dump_finish = proc_dump_finish,
	.check = proc_check,
	.open = proc_open_placeholder,
};

int procfiles_check(const FilesEntry *fe, const int *tree, size_t nr_tree)
{
	char boot[BOOT_ID_LEN + 1];

	boot_id_read(boot);
	for (size_t i = 0; i < fe->n_files; i++) {
		const FileEntry *e = fe->files[i];
		const ProcFileEntry *p = e->proc;
		_cleanup_free_ char *path = NULL;
		struct proc_stat ps;

		if (e->kind != FD_KIND__FD_PROC)
			continue;
		if (p->in_tree) {
			if (listed(tree, nr_tree, (int)p->pid))
				continue;
			return pr_fail(
				-EBADMSG,
				"cannot restore: a /proc file of %u, which is not in the image set",
				p->pid);
		}
		/* Outside the tree: the same process, or nothing. */
		if (p->boot_id && boot[0] && !strcmp(p->boot_id, boot) &&
		    proc_read_stat((int)p->pid, &ps) >= 0 && ps.start_time == p->start_time)
			continue;
		path = str_escape(e->path);
		return pr_fail(
			-ESRCH,
			"cannot restore: '%s' is a /proc file of process %u, outside the tree, which has exited since the dump",
			path, p->pid);
	}
	return 0;
}

/* In process @inf: @e opened again at every fd of @fi that has it. */
static int proc_place(struct infect *inf, const FileEntry *e, const FdinfoEntry *fi)
{
	/* openat2 takes nothing else with O_PATH. */
	uint32_t keep = e->flags & O_PATH ? O_PATH | O_DIRECTORY | O_NOFOLLOW
					  : (uint32_t)PROC_FLAGS | O_NOCTTY;
	struct open_how how = {
		.flags = ((e->flags | O_NOCTTY) & keep) | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	size_t len = strlen(e->path) + 1;
	long tmp, ret;
	int r;

	if (sizeof(how) + len > inf->scratch_len)
		return -ENAMETOOLONG;
	r = remote_write(inf->pid, inf->scratch, &how, sizeof(how));
	if (r >= 0)
		r = remote_write(inf->pid, inf->scratch + sizeof(how), e->path, len);
	if (r < 0)
		return r;
	r = infect_syscall6(inf, SYS_openat2, &tmp, AT_FDCWD, (long)(inf->scratch + sizeof(how)),
			    (long)inf->scratch, sizeof(how), 0, 0);
	if (r < 0 || tmp < 0)
		return r < 0 ? r : (int)tmp;
	if (e->offset && !(e->flags & O_PATH)) {
		r = infect_syscall3(inf, SYS_lseek, &ret, tmp, (long)e->offset, SEEK_SET);
		if (r >= 0 && ret < 0)
			r = (int)ret;
	}
	for (size_t i = 0; r >= 0 && i < fi->n_fds; i++) {
		const FdEntry *fd = fi->fds[i];

		if (fd->file_id != e->id)
			continue;
		r = infect_syscall3(inf, SYS_dup3, &ret, tmp, fd->fd, fd->cloexec ? O_CLOEXEC : 0);
		if (r >= 0 && ret < 0)
			r = (int)ret;
	}
	(void)infect_syscall3(inf, SYS_close, &ret, tmp, 0, 0);
	return r;
}

/* From ckpt: fd @fd of @pid is a file of procfs of the type of @e. */
static int proc_placed_check(int pid, unsigned int fd, const FileEntry *e)
{
	char path[64];
	struct statfs sfs;
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/fd/%u", pid, fd);
	if (stat(path, &st) < 0 || statfs(path, &sfs) < 0)
		return -errno;
	if (sfs.f_type != PROC_SUPER_MAGIC || (st.st_mode & S_IFMT) != e->mode)
		return -ESTALE;
	return 0;
}

int procfiles_restore_late(int pid, const FilesEntry *fe, const FdinfoEntry *fi)
{
	struct user_regs_struct regs;
	struct infect inf;
	bool any = false;
	int r, r2;

	for (size_t i = 0; i < fi->n_fds; i++)
		any |= fe->files[fi->fds[i]->file_id]->kind == FD_KIND__FD_PROC;
	if (!any)
		return 0;
	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0)
		return pr_errno(-errno, "cannot restore %d: cannot open its /proc files", pid);
	r = infect_init(&inf, pid, &regs, NULL);
	if (r >= 0)
		r = infect_map_scratch(&inf, PATH_MAX_LEN + 4096);
	if (r < 0)
		return pr_errno(r, "cannot restore %d: cannot open its /proc files", pid);
	for (size_t i = 0; i < fi->n_fds && r >= 0; i++) {
		const FileEntry *e = fe->files[fi->fds[i]->file_id];
		bool first = true;

		if (e->kind != FD_KIND__FD_PROC)
			continue;
		for (size_t j = 0; j < i; j++)
			first &= fi->fds[j]->file_id != e->id;
		if (!first)
			continue;
		r = proc_place(&inf, e, fi);
		if (r >= 0)
			r = proc_placed_check(pid, fi->fds[i]->fd, e);
		if (r < 0) {
			_cleanup_free_ char *path = str_escape(e->path);

			r = pr_errno(r, "cannot restore %d: cannot open '%s' again at fd %u", pid,
				     path, fi->fds[i]->fd);
		}
	}
	r2 = infect_unmap_scratch(&inf);
	if (r2 < 0 && r >= 0)
		r = pr_errno(r2, "cannot restore %d: cannot open its /proc files", pid);
	/* Outside a dump, remote calls leave the registers as they were
	 * after the call: the dumped ones back. */
	if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) < 0 && r >= 0)
		r = pr_errno(-errno, "cannot restore %d: cannot set its registers", pid);
	return r;
}
