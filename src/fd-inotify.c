// SPDX-License-Identifier: GPL-2.0
/*
 * Inotify: every watch, with its mask, on the same file, under the same
 * watch descriptor (wd).
 *
 * fdinfo names a watched file by its inode and file handle. ckpt opens the
 * handle (open_by_handle_at on a mount of its file system, which needs
 * CAP_DAC_READ_SEARCH) and saves the path it has, once checked to lead to
 * that inode; restore watches that path again.
 *
 * The application keeps the wds. The kernel hands them out in increasing
 * order (idr_alloc_cyclic), not reusing a freed one before it wraps
 * around: ckpt adds the watches in wd order and uses up every wd in a gap
 * by adding a watch and removing it at once. Each removal queues an
 * IN_IGNORED event, read off before the next real watch is added. Which
 * wd would have come next after the highest one still watched, fdinfo
 * does not say: after a restore it is that one + 1.
 *
 * Events queued but not read at the dump are lost: fdinfo does not show
 * them, and reading them would take them from the application.
 */
#include "files.h"
#include "imgdir.h"

#include "proc.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

/* Read off the IN_IGNORED of the wds used up, this often at least (the
 * queue holds 16384 events by default). */
#define DRAIN_EVERY 1024

static bool inotify_claims(const char *link, const struct stat *st)
{
	return !strcmp(link, "anon_inode:inotify");
}

/* An O_PATH fd on the file watched by @w, from its handle. */
static int open_watched(const struct proc_inotify_watch *w)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *mnt = NULL;
	_cleanup_free_ struct file_handle *fh = NULL;
	_cleanup_close_ int mfd = -1;
	int r, fd;

	if (!w->handle_bytes)
		return -EOPNOTSUPP;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	r = proc_find_mount(f, PROC_KDEV_MAJOR(w->sdev), PROC_KDEV_MINOR(w->sdev), &mnt);
	if (r < 0)
		return r;
	/* Not O_PATH: open_by_handle_at() refuses such a mount fd (EBADF). */
	mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	fh = xmalloc(sizeof(*fh) + w->handle_bytes);
	fh->handle_bytes = w->handle_bytes;
	fh->handle_type = w->handle_type;
	memcpy(fh->f_handle, w->handle, w->handle_bytes);
	fd = open_by_handle_at(mfd, fh, O_PATH | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The path of the file watched by @w, and its stat. -ENOENT if no path
 * leads to it (deleted, or not mounted where ckpt can see it). */
static int watch_path(const struct proc_inotify_watch *w, char **ret_path, struct stat *ret_st)
{
	_cleanup_close_ int fd = open_watched(w);
	char link[64], path[PATH_MAX_LEN];
	struct stat st, at_path;
	ssize_t n;

	if (fd < 0)
		return fd == -ESTALE ? -ENOENT : fd;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0 || fstat(fd, &st) < 0)
		return -errno;
	path[n] = 0;
	if (path[0] != '/' || lstat(path, &at_path) < 0 || at_path.st_dev != st.st_dev ||
	    at_path.st_ino != st.st_ino)
		return -ENOENT;
	*ret_path = xstrdup(path);
	*ret_st = st;
	return 0;
}

static int watch_dump(const struct fd_dump *d, const struct proc_inotify_watch *w, InotifyEntry *ie)
{
	InotifyWdEntry *we;
	struct stat st;
	char *path;
	int r = watch_path(w, &path, &st);

	if (r == -EOPNOTSUPP)
		return pr_fail(
			r,
			"cannot dump %d: fd %d is an inotify watching inode %llu on a file system that gives no file handles (its path cannot be found)",
			d->pid, d->fd, (unsigned long long)w->ino);
	if (r == -ENOENT)
		return pr_fail(
			r,
			"cannot dump %d: fd %d is an inotify watching inode %llu (device %u:%u), which no path leads to (deleted?)",
			d->pid, d->fd, (unsigned long long)w->ino, PROC_KDEV_MAJOR(w->sdev),
			PROC_KDEV_MINOR(w->sdev));
	if (r < 0)
		return pr_errno(
			r,
			"cannot dump %d: cannot find the file of watch %d of the inotify at fd %d",
			d->pid, w->wd, d->fd);
	we = xmalloc(sizeof(*we));
	inotify_wd_entry__init(we);
	we->wd = (uint32_t)w->wd;
	/* What inotify_add_watch() needs to watch that very file again (older
	 * kernels show the mark's own bits too). */
	we->mask = (w->mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK)) |
		   (S_ISLNK(st.st_mode) ? IN_DONT_FOLLOW : 0);
	we->path = path;
	we->dev = st.st_dev;
	we->ino = st.st_ino;
	ie->wds[ie->n_wds++] = we;
	return 0;
}

static int by_wd(const void *a, const void *b)
{
	const struct proc_inotify_watch *x = a, *y = b;

	return (x->wd > y->wd) - (x->wd < y->wd);
}

/* Events queued and not read are not saved: said with -v. */
static void note_queued(const struct fd_dump *d)
{
	_cleanup_close_ int copy = fd_borrow(d->pid, d->fd);
	int bytes = 0;

	if (copy >= 0 && ioctl(copy, FIONREAD, &bytes) == 0 && bytes > 0)
		pr_debug("%d: %d bytes of events queued in the inotify at fd %d are not saved",
			 d->pid, bytes, d->fd);
}

static int inotify_dump(const struct fd_dump *d, FileEntry *e)
{
	_cleanup_free_ struct proc_inotify_watch *ws = NULL;
	InotifyEntry *ie;
	size_t nr;
	int r = anon_flags_dump(d, e);

	if (r < 0)
		return r;
	if (proc_parse_inotify(d->fdinfo, &ws, &nr) < 0)
		return pr_fail(-EINVAL,
			       "cannot dump %d: cannot read the watches of the inotify at fd %d",
			       d->pid, d->fd);
	qsort(ws, nr, sizeof(*ws), by_wd);
	ie = e->inotify = xmalloc(sizeof(*ie));
	inotify_entry__init(ie);
	ie->wds = xmalloc(nr * sizeof(*ie->wds) + 1);
	for (size_t i = 0; i < nr && r == 0; i++)
		r = watch_dump(d, &ws[i], ie);
	if (r == 0)
		note_queued(d);
	return r;
}

/* What inotify_add_watch takes, and IN_IGNORED/IN_ISDIR as fdinfo may show. */
#define IN_WATCH_KNOWN                                                                             \
	(IN_ALL_EVENTS | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_ADD | IN_ONESHOT | \
	 IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ISDIR | 0x10000000)

static int inotify_check(const FileEntry *e, const struct files_open *fo)
{
	const InotifyEntry *ie = e->inotify;
	struct stat st;

	if (!ie)
		return anon_inconsistent(e);
	for (size_t i = 0; i < ie->n_wds; i++) {
		const InotifyWdEntry *w = ie->wds[i];

		if (!w->wd || w->wd > INT32_MAX || (i && w->wd <= ie->wds[i - 1]->wd) ||
		    (w->mask & ~(uint32_t)IN_WATCH_KNOWN) || !str_fits(w->path, PATH_MAX_LEN - 1))
			return anon_inconsistent(e);
		if (trust_check_path("watched file", w->path) < 0)
			return -EINVAL;
		if (lstat(w->path, &st) < 0)
			return pr_errno(-errno, "cannot restore: '%s' (watched by an inotify)",
					w->path);
	}
	return 0;
}

/* Read off every queued event (the inotify is O_NONBLOCK until the end). */
static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* inotify_add_watch() on @path from an image: reached through no
 * symlink, with the owner's access for a set that is not trusted (a
 * watch needs read access to the file). -errno on failure. */
static int watch_add(const struct trust *t, int fd, const char *path, uint32_t mask)
{
	int flags = O_PATH | O_CLOEXEC | (mask & IN_DONT_FOLLOW ? O_NOFOLLOW : 0);
	_cleanup_close_ int file = trust_open(t, path, flags, 0);
	struct trust_saved saved;
	char at[64];
	int wd;

	if (file < 0)
		return file;
	wd = trust_enter(t, &saved);
	if (wd < 0)
		return wd;
	/* The very file opened: /proc/self/fd/N is followed to it. */
	snprintf(at, sizeof(at), "/proc/self/fd/%d", file);
	wd = inotify_add_watch(fd, at, mask & ~IN_DONT_FOLLOW);
	if (wd < 0)
		wd = -errno;
	trust_leave(&saved);
	return wd;
}

/* Use up wd @want: a watch added on @w's file and removed at once. */
static int use_up_wd(const struct trust *t, int fd, const InotifyWdEntry *w, int want)
{
	int wd = watch_add(t, fd, w->path, IN_ATTRIB | (w->mask & IN_DONT_FOLLOW));

	if (wd < 0)
		return pr_errno(wd, "cannot restore: cannot watch '%s'", w->path);
	if (wd != want || inotify_rm_watch(fd, wd) < 0)
		return pr_fail(
			-EEXIST,
			"cannot restore: cannot skip inotify watch descriptor %d (got %d on '%s')",
			want, wd, w->path);
	if (want % DRAIN_EVERY == 0)
		drain(fd);
	return 0;
}

static int add_watches(const struct trust *t, int fd, const InotifyEntry *ie)
{
	int next = 1; /* a new inotify starts there */

	for (size_t i = 0; i < ie->n_wds; i++) {
		const InotifyWdEntry *w = ie->wds[i];
		bool skipped = next < (int)w->wd;
		int wd, r;

		for (; next < (int)w->wd; next++) {
			r = use_up_wd(t, fd, w, next);
			if (r < 0)
				return r;
		}
		if (skipped)
			drain(fd);
		wd = watch_add(t, fd, w->path, w->mask);
		if (wd < 0)
			return pr_errno(wd, "cannot restore: cannot watch '%s'", w->path);
		/* Another watch of this inotify on the same file now. */
		if (wd != (int)w->wd)
			return pr_fail(
				-EEXIST,
				"cannot restore: '%s' is watched as %d, want %u (is it the same file as another watched path?)",
				w->path, wd, w->wd);
		next = wd + 1;
	}
	return 0;
}

static int inotify_open(struct files_open *fo, const FileEntry *e)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	int r;

	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot create an inotify");
	r = add_watches(fo->trust, fd, e->inotify);
	return anon_open_finish(fd, r, e);
}

const struct file_kind inotify_kind = {
	.kind = FD_KIND__FD_INOTIFY,
	.name = "inotify",
	.claims = inotify_claims,
	.dump = inotify_dump,
	.check = inotify_check,
	.open = inotify_open,
};
