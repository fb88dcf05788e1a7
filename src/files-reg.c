// SPDX-License-Identifier: GPL-2.0
/*
 * Files reopened by path: regular files, directories, character devices
 * with no state to lose (/dev/null, /dev/zero, ...), and terminals whose
 * other side is not in the tree, which are reopened on the caller's
 * terminal (what `criu --shell-job` does).
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

static bool is_live_path(const char *link)
{
	return link[0] == '/' && !str_ends(link, " (deleted)");
}

static bool reg_claims(const char *link, const struct stat *st)
{
	return is_live_path(link) && S_ISREG(st->st_mode);
}

static bool dir_claims(const char *link, const struct stat *st)
{
	return is_live_path(link) && S_ISDIR(st->st_mode);
}

static bool chr_claims(const char *link, const struct stat *st)
{
	return is_live_path(link) && S_ISCHR(st->st_mode) && chr_is_plain(st->st_rdev);
}

static bool tty_caller_claims(const char *link, const struct stat *st)
{
	return is_live_path(link) && S_ISCHR(st->st_mode) && chr_is_tty(st->st_rdev);
}

/* What is needed to tell, at restore, whether the file is still the same. */
static int path_dump(const struct fd_dump *d, FileEntry *e)
{
	const struct stat *st = d->st;

	e->has_mode = e->has_size = e->has_rdev = e->has_dev = e->has_ino = true;
	e->mode = st->st_mode;
	e->size = st->st_size;
	e->rdev = st->st_rdev;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	return 0;
}

static int path_check(const FileEntry *e, const struct files_open *fo)
{
	struct stat st;

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

static int tty_caller_check(const FileEntry *e, const struct files_open *fo)
{
	if (fo->tty_fd < 0)
		return pr_fail(
			-ENOTTY,
			"cannot restore: '%s' was a terminal and this restore has no terminal on stdin, stdout or stderr",
			e->path);
	return 0;
}

static int path_open(struct files_open *fo, const FileEntry *e)
{
	int flags = (int)e->flags & ~(O_CREAT | O_EXCL | O_TRUNC);
	int fd = open(e->path, flags);

	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot open '%s'", e->path);
	if (e->kind != FD_KIND__FD_CHR && !(e->flags & O_PATH) &&
	    lseek(fd, (off_t)e->offset, SEEK_SET) < 0) {
		int r = pr_errno(-errno, "cannot restore: cannot seek '%s'", e->path);

		close(fd);
		return r;
	}
	return fd;
}

/* A new open file description on the caller's terminal, with the dumped
 * flags (O_NONBLOCK of one must not leak to the other). */
static int tty_caller_open(struct files_open *fo, const FileEntry *e)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fo->tty_fd);
	fd = open(path, ((int)e->flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOCTTY);
	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot open the terminal for '%s'",
				e->path);
	return fd;
}

const struct file_kind reg_kind = {
	.kind = FD_KIND__FD_REG,
	.name = "file",
	.claims = reg_claims,
	.dump = path_dump,
	.check = path_check,
	.open = path_open,
};

const struct file_kind dir_kind = {
	.kind = FD_KIND__FD_DIR,
	.name = "directory",
	.claims = dir_claims,
	.dump = path_dump,
	.check = path_check,
	.open = path_open,
};

const struct file_kind chr_kind = {
	.kind = FD_KIND__FD_CHR,
	.name = "chardev",
	.claims = chr_claims,
	.dump = path_dump,
	.check = path_check,
	.open = path_open,
};

/* A terminal whose other side is not in the tree: restored onto the
 * caller's terminal (what `criu --shell-job` does). */
const struct file_kind tty_caller_kind = {
	.kind = FD_KIND__FD_TTY,
	.name = "tty",
	.claims = tty_caller_claims,
	.dump = path_dump,
	.check = tty_caller_check,
	.open = tty_caller_open,
};

const struct file_kind memfd_kind = {
	.kind = FD_KIND__FD_MEMFD,
	.name = "memfd",
	.open = file_open_unsupported,
};

const struct file_kind ghost_kind = {
	.kind = FD_KIND__FD_GHOST,
	.name = "deleted file",
	.open = file_open_unsupported,
};
