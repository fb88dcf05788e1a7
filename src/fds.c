// SPDX-License-Identifier: GPL-2.0
#include "fds.h"

#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Character devices that reopen by path with no state to lose. */
static bool chr_is_plain(dev_t rdev)
{
	/* mem major 1: null 3, zero 5, full 7, random 8, urandom 9 */
	unsigned int mi = minor(rdev);

	return major(rdev) == 1 && (mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9);
}

static bool chr_is_tty(dev_t rdev)
{
	unsigned int ma = major(rdev), mi = minor(rdev);

	return (ma >= 136 && ma <= 143) || (ma == 4 && mi < 64) || (ma == 5 && mi <= 1);
}

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

static int fd_classify(int pid, int fd, const char *link, const struct stat *st, uint32_t *kind)
{
	if (link[0] == '/' && !str_ends(link, " (deleted)")) {
		if (S_ISREG(st->st_mode)) {
			*kind = FD_KIND__FD_REG;
			return 0;
		}
		if (S_ISDIR(st->st_mode)) {
			*kind = FD_KIND__FD_DIR;
			return 0;
		}
		if (S_ISCHR(st->st_mode) && chr_is_tty(st->st_rdev)) {
			*kind = FD_KIND__FD_TTY;
			return 0;
		}
		if (S_ISCHR(st->st_mode) && chr_is_plain(st->st_rdev)) {
			*kind = FD_KIND__FD_CHR;
			return 0;
		}
	}
	if (str_ends(link, " (deleted)"))
		pr_err("cannot dump %d: fd %d is a deleted file '%s' (not supported yet)", pid, fd,
		       link);
	else
		pr_err("cannot dump %d: fd %d is a %s '%s' (not supported yet)", pid, fd,
		       kind_name(st->st_mode, link), link);
	return -EOPNOTSUPP;
}

static int fd_dump_one(int pid, int fd, FdEntry *e)
{
	char path[64], link[PATH_MAX_LEN];
	struct proc_fdinfo info;
	struct stat st;
	_cleanup_fclose_ FILE *f = NULL;
	ssize_t n;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return pr_errno(-errno, "cannot read fd %d of %d", fd, pid);
	link[n] = 0;
	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st));
	r = fd_classify(pid, fd, link, &st, &e->kind);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	f = fopen(path, "re");
	if (!f || proc_parse_fdinfo(f, &info) < 0)
		return pr_errno(f ? -EINVAL : -errno, "cannot read '%s'", path);
	e->fd = fd;
	e->path = xstrdup(link);
	e->flags = info.flags & ~O_CLOEXEC;
	e->cloexec = !!(info.flags & O_CLOEXEC);
	e->offset = info.pos;
	e->has_mode = e->has_size = e->has_rdev = e->has_dev = e->has_ino = true;
	e->mode = st.st_mode;
	e->size = st.st_size;
	e->rdev = st.st_rdev;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	return 0;
}

int fds_dump(int pid, FdinfoEntry *fi)
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

		if (parse_pid(de->d_name, &fd) < 0 && strcmp(de->d_name, "0"))
			continue;
		if (!strcmp(de->d_name, "0"))
			fd = 0;
		e = xmalloc(sizeof(*e));
		fd_entry__init(e);
		fi->fds = xrealloc(fi->fds, (fi->n_fds + 1) * sizeof(*fi->fds));
		fi->fds[fi->n_fds++] = e;
		r = fd_dump_one(pid, fd, e);
	}
	closedir(d);
	return r;
}

int fds_max(const FdinfoEntry *fi)
{
	int max = -1;

	for (size_t i = 0; i < fi->n_fds; i++)
		max = MAX(max, (int)fi->fds[i]->fd);
	return max;
}

int fds_check(const FdinfoEntry *fi, bool have_tty)
{
	for (size_t i = 0; i < fi->n_fds; i++) {
		const FdEntry *e = fi->fds[i];
		struct stat st;

		if (e->kind == FD_KIND__FD_TTY) {
			if (!have_tty)
				return pr_fail(
					-ENOTTY,
					"cannot restore fd %u: it was a terminal ('%s') and this restore has no terminal on stdin, stdout or stderr",
					e->fd, e->path);
			continue;
		}
		if (stat(e->path, &st) < 0)
			return pr_errno(-errno, "cannot restore fd %u: '%s'", e->fd, e->path);
		if (e->kind == FD_KIND__FD_REG && (uint64_t)st.st_size < e->size)
			return pr_fail(
				-ESTALE,
				"cannot restore fd %u: '%s' shrank since the dump (%llu bytes, was %llu)",
				e->fd, e->path, (unsigned long long)st.st_size,
				(unsigned long long)e->size);
		if ((st.st_mode & S_IFMT) != (e->mode & S_IFMT))
			return pr_fail(
				-ESTALE,
				"cannot restore fd %u: '%s' is no longer the same kind of file",
				e->fd, e->path);
	}
	return 0;
}

static int fd_open(const FdEntry *e, int tty_fd)
{
	int flags = (int)e->flags & ~(O_CREAT | O_EXCL | O_TRUNC);

	if (e->kind == FD_KIND__FD_TTY) {
		char path[64];

		/* A new open file description on the caller's terminal, with
		 * the dumped flags (O_NONBLOCK of one must not leak to the other). */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", tty_fd);
		return open(path, flags | O_NOCTTY);
	}
	return open(e->path, flags);
}

int fds_restore_early(const FdinfoEntry *fi, int tty_fd)
{
	for (size_t i = 0; i < fi->n_fds; i++) {
		const FdEntry *e = fi->fds[i];
		int fd = fd_open(e, tty_fd);

		if (fd < 0)
			return pr_errno(-errno, "cannot restore fd %u: cannot open '%s'", e->fd,
					e->path);
		if (fd != (int)e->fd) {
			if (dup3(fd, (int)e->fd, 0) < 0)
				return pr_errno(-errno, "cannot restore fd %u", e->fd);
			close(fd);
		}
		if ((e->kind == FD_KIND__FD_REG || e->kind == FD_KIND__FD_DIR) &&
		    !(e->flags & O_PATH) && lseek((int)e->fd, (off_t)e->offset, SEEK_SET) < 0)
			return pr_errno(-errno, "cannot restore fd %u: cannot seek '%s'", e->fd,
					e->path);
		if (e->cloexec && fcntl((int)e->fd, F_SETFD, FD_CLOEXEC) < 0)
			return pr_errno(-errno, "cannot restore fd %u", e->fd);
	}
	return 0;
}
