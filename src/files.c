// SPDX-License-Identifier: GPL-2.0
/*
 * The table of open file descriptions of a tree, and the fds of each
 * process onto it (see files.h). The kinds live in files-reg.c, pipes.c.
 */
#include "files.h"

#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <string.h>
#include <sys/syscall.h>

void file_table_init(struct file_table *ft)
{
	memset(ft, 0, sizeof(*ft));
	files_entry__init(&ft->img);
}

void file_table_release(struct file_table *ft)
{
	free(ft->seen);
	ft->seen = NULL;
}

/* What a kind of fd is called in messages. */
static const char *kind_name(mode_t mode, const char *link)
{
	if (!strncmp(link, "pipe:", 5))
		return "pipe";
	if (!strncmp(link, "socket:", 7))
		return "socket";
	if (!strncmp(link, "anon_inode:", 11))
		return link + 11;
	if (S_ISFIFO(mode))
		return "fifo";
	if (S_ISCHR(mode))
		return "character device";
	if (S_ISBLK(mode))
		return "block device";
	return "file";
}

/* The id of the description @fd of @pid, if it was seen before; else -1. */
static int file_find(const struct file_table *ft, int pid, int fd, const struct stat *st)
{
	for (size_t i = 0; i < ft->img.n_files; i++) {
		const struct file_seen *s = &ft->seen[i];

		if (s->dev != st->st_dev || s->ino != st->st_ino)
			continue;
		/* Same inode: the same description only if kcmp says so. */
		if (syscall(SYS_kcmp, pid, s->pid, KCMP_FILE, fd, s->fd) == 0)
			return (int)i;
	}
	return -1;
}

static int file_add(struct file_table *ft, int pid, int fd, const char *link, const struct stat *st,
		    const struct proc_fdinfo *info)
{
	FilesEntry *fe = &ft->img;
	FileEntry *e = xmalloc(sizeof(*e));
	int r;

	file_entry__init(e);
	e->id = (uint32_t)fe->n_files;
	e->path = xstrdup(link);
	e->flags = info->flags & ~O_CLOEXEC;
	e->offset = info->pos;
	if (reg_claims(link, st)) {
		r = reg_dump(pid, fd, link, st, e);
	} else if (pipe_claims(link, st)) {
		r = pipe_dump(fe, pid, fd, st, e);
	} else if (str_ends(link, " (deleted)")) {
		r = pr_fail(-EOPNOTSUPP,
			    "cannot dump %d: fd %d is a deleted file '%s' (not supported yet)", pid,
			    fd, link);
	} else {
		r = pr_fail(-EOPNOTSUPP, "cannot dump %d: fd %d is a %s '%s' (not supported yet)",
			    pid, fd, kind_name(st->st_mode, link), link);
	}
	if (r < 0) {
		file_entry__free_unpacked(e, NULL);
		return r;
	}
	fe->files = xrealloc(fe->files, (fe->n_files + 1) * sizeof(*fe->files));
	ft->seen = xrealloc(ft->seen, (fe->n_files + 1) * sizeof(*ft->seen));
	ft->seen[fe->n_files] = (struct file_seen){ pid, fd, st->st_dev, st->st_ino };
	fe->files[fe->n_files++] = e;
	return (int)e->id;
}

static int fd_dump(struct file_table *ft, int pid, int fd, FdEntry *ret)
{
	char path[64], link[PATH_MAX_LEN];
	struct proc_fdinfo info;
	struct stat st;
	_cleanup_fclose_ FILE *f = NULL;
	ssize_t n;
	int id;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return pr_errno(-errno, "cannot read fd %d of %d", fd, pid);
	link[n] = 0;
	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st));
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	f = fopen(path, "re");
	if (!f || proc_parse_fdinfo(f, &info) < 0)
		return pr_errno(f ? -EINVAL : -errno, "cannot read '%s'", path);
	id = file_find(ft, pid, fd, &st);
	if (id < 0)
		id = file_add(ft, pid, fd, link, &st, &info);
	if (id < 0)
		return id;
	ret->fd = fd;
	ret->file_id = id;
	ret->cloexec = !!(info.flags & O_CLOEXEC);
	return 0;
}

int files_dump_proc(struct file_table *ft, int pid, FdinfoEntry *fi)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return pr_errno(-errno, "cannot read '%s'", path);
	while ((de = readdir(d)) && r >= 0) {
		FdEntry *e;
		int fd;

		if (!strcmp(de->d_name, "0"))
			fd = 0;
		else if (parse_pid(de->d_name, &fd) < 0)
			continue;
		e = xmalloc(sizeof(*e));
		fd_entry__init(e);
		fi->fds = xrealloc(fi->fds, (fi->n_fds + 1) * sizeof(*fi->fds));
		fi->fds[fi->n_fds++] = e;
		r = fd_dump(ft, pid, fd, e);
	}
	closedir(d);
	return r;
}

int files_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	return pipes_dump_finish(&ft->img, pids, nr_pids);
}

int fds_max(const FdinfoEntry *fi)
{
	int max = -1;

	for (size_t i = 0; i < fi->n_fds; i++)
		max = MAX(max, (int)fi->fds[i]->fd);
	return max;
}

int files_check(const FilesEntry *fe, const FdinfoEntry *const *fis, size_t nr_fis, bool have_tty)
{
	for (size_t i = 0; i < fe->n_files; i++) {
		const FileEntry *e = fe->files[i];
		int r;

		if (e->id != i ||
		    (e->kind == FD_KIND__FD_PIPE && (!e->has_pipe_id || e->pipe_id >= fe->n_pipes)))
			return pr_fail(-EBADMSG,
				       "cannot restore: images are inconsistent (open files)");
		if (e->kind == FD_KIND__FD_PIPE)
			continue;
		r = reg_check(e, have_tty);
		if (r < 0)
			return r;
	}
	for (size_t p = 0; p < nr_fis; p++)
		for (size_t i = 0; i < fis[p]->n_fds; i++)
			if (fis[p]->fds[i]->file_id >= fe->n_files)
				return pr_fail(-EBADMSG,
					       "cannot restore: images are inconsistent (fd %u)",
					       fis[p]->fds[i]->fd);
	return 0;
}

int fd_move_above(int fd, int min)
{
	int moved;

	if (fd < 0)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, min);
	if (moved < 0)
		moved = -errno;
	close(fd);
	return moved;
}

/* Open description @e (at any fd): -errno after saying why. */
static int file_open(const FileEntry *e, struct pipes_open *po, int tty_fd)
{
	if (e->kind == FD_KIND__FD_PIPE)
		return pipe_open(po, e);
	return reg_open(e, tty_fd);
}

int files_open_all(const FilesEntry *fe, int base, int tty_fd)
{
	struct pipes_open *po = NULL;
	int r;

	r = pipes_create(fe, base + (int)fe->n_files, &po);
	if (r < 0)
		return r;
	/* An open lands on the lowest free number: below @base, or on
	 * @base + i itself once the slots before it are filled. */
	for (size_t i = 0; i < fe->n_files && r >= 0; i++) {
		int fd = file_open(fe->files[i], po, tty_fd);
		int slot = base + (int)i;

		if (fd < 0) {
			r = fd;
			break;
		}
		if (fd != slot) {
			if (dup3(fd, slot, 0) < 0)
				r = pr_errno(-errno, "cannot restore: cannot place '%s'",
					     fe->files[i]->path);
			close(fd);
		}
	}
	pipes_close(po);
	return r;
}

int fds_restore_early(const FdinfoEntry *fi, int base)
{
	for (size_t i = 0; i < fi->n_fds; i++) {
		const FdEntry *e = fi->fds[i];

		if (dup3(base + (int)e->file_id, (int)e->fd, e->cloexec ? O_CLOEXEC : 0) < 0)
			return pr_errno(-errno, "cannot restore fd %u", e->fd);
	}
	return 0;
}
