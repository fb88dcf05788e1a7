// SPDX-License-Identifier: GPL-2.0
/*
 * Ends of pipes and FIFOs whose other end a process outside the tree
 * holds: `python3 train.py | tee log` dumped without tee. The pipe cannot
 * come back as it was (its other end is not ours), so such an end is an
 * "outside end" in the image: its ID, pipe:[INO] as /proc shows it, and
 * where the dump found it first (a process and its fd). A unix socket
 * connected to a process outside the tree is one too, socket:[INO]
 * (sk-unix-peers.c): a service's stdout to journald.
 *
 * Restore: an fd of the restoring command takes its place. The one given
 * with --inherit-fd fd[N]:ID; or else, for an end that was on fd 0, 1 or
 * 2, the command's own fd of that number, whatever it is now (so that
 * `ckpt restore ... | tee -a log` carries the pipeline on). Anything else
 * is refused before a process is created. A pipe, FIFO or terminal gets a
 * description of its own with the dumped flags (an O_NONBLOCK of the tree
 * stays the tree's); a file or socket is shared with the caller, as a
 * child of a shell shares it (a file then goes on at the caller's offset).
 * A socket end given with --inherit-fd must be a socket, and takes the
 * tree's flags (O_NONBLOCK); on fd 0-2 it may be whatever the caller has
 * there (a pipe, a file, a terminal), opened with the caller's access,
 * not the socket's read-write, and a socket there keeps the caller's
 * flags.
 *
 * Bytes queued in such a pipe or socket are not saved: those the tree
 * wrote belong to the outside reader, and those the outside wrote stay in
 * the old pipe or socket, which the outside process still holds.
 */
#include "files.h"
#include "imgdir.h"

#include "options.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* PID_MAX_LIMIT is 2^22. */
#define OUTSIDE_PID_MAX (1u << 22)

void outside_id(const FileEntry *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s:[%llu]", S_ISSOCK(e->mode) ? "socket" : "pipe",
		 (unsigned long long)e->ino);
}

void outside_mark(FileEntry *e, int pid, int fd)
{
	e->kind = FD_KIND__FD_OUTSIDE;
	e->has_outside_pid = e->has_outside_fd = true;
	e->outside_pid = (uint32_t)pid;
	e->outside_fd = (uint32_t)fd;
	/* Its fown, locks and flags stay: they are the tree's. */
}

/* The fd of ours that takes the place of @e, or -1: the one given for
 * its ID, else ours of the same number for fd 0-2. */
static int outside_source(const struct files_open *fo, const FileEntry *e, bool *given)
{
	char id[64];

	outside_id(e, id, sizeof(id));
	for (int i = 0; i < fo->nr_inherit; i++)
		if (!strcmp(fo->inherit[i].id, id)) {
			*given = true;
			return fo->inherit[i].fd;
		}
	*given = false;
	return e->outside_fd <= STDERR_FILENO ? (int)e->outside_fd : -1;
}

/* Can an fd open with @have serve an end opened with @want? */
static bool access_fits(int want, int have)
{
	if (have == O_RDWR)
		return true;
	if (want == O_RDWR)
		return false;
	return want == have;
}

static int outside_check(const FileEntry *e, const struct files_open *fo)
{
	int acc = (int)e->flags & O_ACCMODE, src, fl;
	struct stat st;
	bool given;
	char id[64];

	if (!e->has_ino || !e->has_mode || !(S_ISFIFO(e->mode) || S_ISSOCK(e->mode)) ||
	    !e->has_outside_pid || !e->has_outside_fd || e->outside_pid > OUTSIDE_PID_MAX ||
	    e->outside_fd >= fd_number_limit())
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (outside end)");
	/* A dump reading its own images back: the caller of the restore
	 * gives the fds, not the dump's. */
	if (fo->tree_alive)
		return 0;
	outside_id(e, id, sizeof(id));
	src = outside_source(fo, e, &given);
	if (src < 0)
		return pr_fail(
			-EBADF,
			"cannot restore: process %u has at fd %u a %s to a process outside the tree: give it with --inherit-fd fd[N]:%s",
			e->outside_pid, e->outside_fd, S_ISSOCK(e->mode) ? "socket" : "pipe", id);
	fl = fcntl(src, F_GETFL);
	if (fl < 0 || fstat(src, &st) < 0)
		return pr_fail(
			-EBADF,
			"cannot restore: process %u's fd %u (%s) would be fd %d of this restore, which is not open",
			e->outside_pid, e->outside_fd, id, src);
	if (given && S_ISSOCK(e->mode) && !S_ISSOCK(st.st_mode))
		return pr_fail(-EINVAL,
			       "cannot restore: --inherit-fd fd[%d]:%s: fd %d is not a socket", src,
			       id, src);
	if (given && !S_ISSOCK(e->mode) && !S_ISFIFO(st.st_mode))
		return pr_fail(
			-EINVAL,
			"cannot restore: --inherit-fd fd[%d]:%s: fd %d is not a pipe or FIFO", src,
			id, src);
	/* A socket's stdio taken by whatever the caller has there, with
	 * its access. */
	if ((given || !S_ISSOCK(e->mode)) && !access_fits(acc, fl & O_ACCMODE))
		return pr_fail(
			-EINVAL,
			"cannot restore: process %u's fd %u (%s) was open for %s and fd %d of this restore is not",
			e->outside_pid, e->outside_fd, id, acc == O_RDONLY ? "reading" : "writing",
			src);
	/* The caller's terminal only for its owner's processes (a TIOCSTI
	 * away from the caller's shell): the owner of a set not root's. */
	if (!given && isatty(src) && !fo->trust->trusted && st.st_uid != fo->trust->owner)
		return pr_fail(
			-EPERM,
			"cannot restore: process %u's fd %u (%s) would be this restore's terminal, of uid %u, not the image set's owner %u (redirect fd %d)",
			e->outside_pid, e->outside_fd, id, st.st_uid, fo->trust->owner, src);
	return 0;
}

/* Every --inherit-fd names an outside end of the set: a typo must not
 * leave an fd silently unused. */
int outside_check_inherit(const struct files_open *fo)
{
	const FilesEntry *fe = fo->fe;
	char id[64];

	for (int i = 0; i < fo->nr_inherit; i++) {
		bool found = false;

		for (size_t k = 0; k < fe->n_files && !found; k++) {
			if (fe->files[k]->kind != FD_KIND__FD_OUTSIDE)
				continue;
			outside_id(fe->files[k], id, sizeof(id));
			found = !strcmp(id, fo->inherit[i].id);
		}
		if (!found)
			return pr_fail(
				-ENOENT,
				"cannot restore: --inherit-fd fd[%d]:%s: the image set has no outside end %s ('ckpt show' lists them)",
				fo->inherit[i].fd, fo->inherit[i].id, fo->inherit[i].id);
	}
	return 0;
}

static int outside_open(struct files_open *fo, const FileEntry *e)
{
	int fl = (int)e->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_ASYNC | O_DIRECT);
	bool given;
	int src = outside_source(fo, e, &given), fd = -1, sfl, r;
	struct stat st;
	char path[64];

	if (src < 0 || fstat(src, &st) < 0 || (sfl = fcntl(src, F_GETFL)) < 0)
		return pr_errno(-EBADF, "cannot restore: the fd for '%s' is gone", e->path);
	/* A socket is read-write: a pipe opened so would read itself. */
	if (S_ISSOCK(e->mode))
		fl = (fl & ~O_ACCMODE) | (sfl & O_ACCMODE);
	if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		/* A new description; a write end opened before its pipe has
		 * a reader fails with ENXIO: the caller's then (writes get
		 * EPIPE as they would). */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", src);
		fd = open(path, fl | O_NONBLOCK | O_NOCTTY);
		if (fd >= 0 && fcntl(fd, F_SETFL, fl) < 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		fd = dup(src);
	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot take fd %d for '%s'", src, e->path);
	/* A socket has no new description to open: one given with
	 * --inherit-fd is the tree's from now on, and gets its flags
	 * (O_NONBLOCK); the caller's own stdio keeps the caller's. */
	if (given && S_ISSOCK(st.st_mode) && fcntl(fd, F_SETFL, fl) < 0) {
		r = -errno;
		close(fd);
		return pr_errno(r, "cannot restore: cannot set the flags of fd %d for '%s'", src,
				e->path);
	}
	return fd;
}

/* Never claims an fd at dump: pipes.c makes a pipe or FIFO end one. */
const struct file_kind outside_kind = {
	.kind = FD_KIND__FD_OUTSIDE,
	.name = "outside end",
	.check = outside_check,
	.open = outside_open,
};
