// SPDX-License-Identifier: GPL-2.0
/*
 * Files reopened by path: regular files, directories, character devices
 * with no state to lose (/dev/null, /dev/zero, ...), and terminals, which
 * are reopened on the caller's terminal (what `criu --shell-job` does).
 */
#include "files.h"

#include "util.h"

#include <fcntl.h>
#include <string.h>
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

bool reg_claims(const char *link, const struct stat *st)
{
	if (link[0] != '/' || str_ends(link, " (deleted)"))
		return false;
	if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode))
		return true;
	return S_ISCHR(st->st_mode) && (chr_is_tty(st->st_rdev) || chr_is_plain(st->st_rdev));
}

int reg_dump(int pid, int fd, const char *link, const struct stat *st, FileEntry *e)
{
	if (S_ISREG(st->st_mode))
		e->kind = FD_KIND__FD_REG;
	else if (S_ISDIR(st->st_mode))
		e->kind = FD_KIND__FD_DIR;
	else if (chr_is_tty(st->st_rdev))
		e->kind = FD_KIND__FD_TTY;
	else
		e->kind = FD_KIND__FD_CHR;
	e->has_mode = e->has_size = e->has_rdev = e->has_dev = e->has_ino = true;
	e->mode = st->st_mode;
	e->size = st->st_size;
	e->rdev = st->st_rdev;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	return 0;
}

int reg_check(const FileEntry *e, bool have_tty)
{
	struct stat st;

	if (e->kind == FD_KIND__FD_TTY) {
		if (!have_tty)
			return pr_fail(
				-ENOTTY,
				"cannot restore: '%s' was a terminal and this restore has no terminal on stdin, stdout or stderr",
				e->path);
		return 0;
	}
	if (stat(e->path, &st) < 0)
		return pr_errno(-errno, "cannot restore: '%s'", e->path);
	if (e->kind == FD_KIND__FD_REG && (uint64_t)st.st_size < e->size)
		return pr_fail(-ESTALE,
			       "cannot restore: '%s' shrank since the dump (%llu bytes, was %llu)",
			       e->path, (unsigned long long)st.st_size,
			       (unsigned long long)e->size);
	if ((st.st_mode & S_IFMT) != (e->mode & S_IFMT))
		return pr_fail(-ESTALE, "cannot restore: '%s' is no longer the same kind of file",
			       e->path);
	return 0;
}

int reg_open(const FileEntry *e, int tty_fd)
{
	int flags = (int)e->flags & ~(O_CREAT | O_EXCL | O_TRUNC);
	int fd;

	if (e->kind == FD_KIND__FD_TTY) {
		char path[64];

		/* A new open file description on the caller's terminal, with
		 * the dumped flags (O_NONBLOCK of one must not leak to the other). */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", tty_fd);
		fd = open(path, flags | O_NOCTTY);
	} else {
		fd = open(e->path, flags);
	}
	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot open '%s'", e->path);
	if ((e->kind == FD_KIND__FD_REG || e->kind == FD_KIND__FD_DIR) && !(e->flags & O_PATH) &&
	    lseek(fd, (off_t)e->offset, SEEK_SET) < 0) {
		int r = pr_errno(-errno, "cannot restore: cannot seek '%s'", e->path);

		close(fd);
		return r;
	}
	return fd;
}
