// SPDX-License-Identifier: GPL-2.0
/*
 * Files on anonymous inodes: what their kinds share, and the two simple
 * ones, eventfd and signalfd. Epoll, timerfd and inotify have files of
 * their own (fd-epoll.c, fd-timerfd.c, fd-inotify.c).
 *
 * Their state is read from /proc/PID/fdinfo/FD. Where that is not enough,
 * ckpt takes its own fd on the process's open file description with
 * pidfd_getfd() and asks the kernel through it, while the tree is frozen.
 * ckpt creates each of them again with the same state, before the tree
 * exists; the framework gives them their fd numbers.
 */
#include "files.h"

#include "proc.h"
#include "util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

int anon_flags_restore(int fd, const FileEntry *e)
{
	if (fcntl(fd, F_SETFL, e->flags & O_NONBLOCK) < 0)
		return pr_errno(-errno, "cannot restore: cannot set the flags of an %s",
				fd_kind_name(e->kind));
	return 0;
}

int anon_open_finish(int fd, int r, const FileEntry *e)
{
	if (r == 0)
		r = anon_flags_restore(fd, e);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int anon_inconsistent(const FileEntry *e)
{
	return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (%s)",
		       fd_kind_name(e->kind));
}

/* ---- eventfd ------------------------------------------------------------ */

static bool eventfd_claims(const char *link, const struct stat *st)
{
	return !strcmp(link, "anon_inode:[eventfd]");
}

static int eventfd_read1(int fd, uint64_t *ret)
{
	return read(fd, ret, sizeof(*ret)) == sizeof(*ret) ? 0 : -errno;
}

static int eventfd_write1(int fd, uint64_t v)
{
	return write(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -errno;
}

/*
 * Older kernels do not show "eventfd-semaphore:". A read tells: a
 * semaphore gives 1, a counter all it holds. With at least 2 in it (ckpt
 * adds 2 to a smaller count), a read answers, and the count is put back
 * as it was. The tree is frozen; a process outside it reading the eventfd
 * meanwhile could see the extra count. None of this blocks: every read
 * finds a count, and no write can overflow it.
 */
static int eventfd_probe_semaphore(int pid, int fd, uint64_t count)
{
	_cleanup_close_ int copy = fd_borrow(pid, fd);
	uint64_t extra = count < 2 ? 2 : 0, got, more;
	int r;

	if (copy < 0)
		return copy;
	r = extra ? eventfd_write1(copy, extra) : 0;
	if (r == 0)
		r = eventfd_read1(copy, &got);
	if (r < 0)
		return r;
	if (got != 1) /* a counter, now empty */
		return count ? eventfd_write1(copy, count) : 0;
	/* A semaphore, holding count + extra - 1. */
	if (extra)
		r = eventfd_read1(copy, &more);
	else
		r = eventfd_write1(copy, 1);
	return r < 0 ? r : 1;
}

static int eventfd_dump(const struct fd_dump *d, FileEntry *e)
{
	struct proc_eventfd ev;
	int r;

	if (proc_parse_eventfd(d->fdinfo, &ev) < 0)
		return pr_fail(-EINVAL,
			       "cannot dump %d: cannot read the state of the eventfd at fd %d",
			       d->pid, d->fd);
	if (ev.semaphore < 0) {
		r = eventfd_probe_semaphore(d->pid, d->fd, ev.count);
		if (r < 0)
			return pr_errno(
				r, "cannot dump %d: cannot tell the mode of the eventfd at fd %d",
				d->pid, d->fd);
		ev.semaphore = r;
	}
	e->eventfd = xmalloc(sizeof(*e->eventfd));
	eventfd_entry__init(e->eventfd);
	e->eventfd->count = ev.count;
	e->eventfd->flags = ev.semaphore ? EFD_SEMAPHORE : 0;
	return 0;
}

static int eventfd_check(const FileEntry *e, const struct files_open *fo)
{
	/* The largest count an eventfd holds is 2^64 - 2. */
	if (!e->eventfd || e->eventfd->count == UINT64_MAX ||
	    (e->eventfd->flags & ~(uint32_t)EFD_SEMAPHORE))
		return anon_inconsistent(e);
	return 0;
}

static int eventfd_open(struct files_open *fo, const FileEntry *e)
{
	const EventfdEntry *ev = e->eventfd;
	int fd = eventfd(0, EFD_CLOEXEC | (int)ev->flags);
	int r;

	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot create an eventfd");
	/* eventfd() takes an unsigned int; a write takes the whole count. */
	r = ev->count ? eventfd_write1(fd, ev->count) : 0;
	if (r < 0)
		r = pr_errno(r, "cannot restore: cannot put %llu in an eventfd",
			     (unsigned long long)ev->count);
	return anon_open_finish(fd, r, e);
}

const struct file_kind eventfd_kind = {
	.kind = FD_KIND__FD_EVENTFD,
	.name = "eventfd",
	.claims = eventfd_claims,
	.dump = eventfd_dump,
	.check = eventfd_check,
	.open = eventfd_open,
};

/* ---- signalfd ----------------------------------------------------------- */

/*
 * A signalfd is only its mask: it reads the signals pending for whoever
 * reads it, and those are restored with the process (signals.c).
 */
static bool signalfd_claims(const char *link, const struct stat *st)
{
	return !strcmp(link, "anon_inode:[signalfd]");
}

static int signalfd_dump(const struct fd_dump *d, FileEntry *e)
{
	uint64_t mask;

	if (proc_parse_sigmask(d->fdinfo, &mask) < 0)
		return pr_fail(-EINVAL,
			       "cannot dump %d: cannot read the mask of the signalfd at fd %d",
			       d->pid, d->fd);
	e->signalfd = xmalloc(sizeof(*e->signalfd));
	signalfd_entry__init(e->signalfd);
	e->signalfd->mask = mask;
	return 0;
}

static int signalfd_check(const FileEntry *e, const struct files_open *fo)
{
	return e->signalfd ? 0 : anon_inconsistent(e);
}

static int signalfd_open(struct files_open *fo, const FileEntry *e)
{
	uint64_t mask = e->signalfd->mask;
	/* The kernel's sigset: 8 bytes on x86-64, bit N-1 for signal N. */
	int fd = (int)syscall(SYS_signalfd4, -1, &mask, sizeof(mask), O_CLOEXEC);

	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot create a signalfd for mask %#llx",
				(unsigned long long)mask);
	return anon_open_finish(fd, 0, e);
}

const struct file_kind signalfd_kind = {
	.kind = FD_KIND__FD_SIGNALFD,
	.name = "signalfd",
	.claims = signalfd_claims,
	.dump = signalfd_dump,
	.check = signalfd_check,
	.open = signalfd_open,
};
