// SPDX-License-Identifier: GPL-2.0
/*
 * Epoll. Its interest list is in fdinfo: one "tfd:" line per item, with
 * the target's fd number, events and data. The kernel keys an item by
 * (file, fd number), the number the adding process had it at, and the
 * application names the item by that number later (EPOLL_CTL_MOD, DEL).
 * So an item is added back by a restored process that has the epoll and,
 * at that number, the same file, once its fds are in place (restore_fd).
 *
 * Dump: kcmp(KCMP_EPOLL_TFD) tells whether a process has an item's file
 * at the item's number: the first process with the epoll is asked first,
 * the others that share it in dump_finish. An item whose file nobody has
 * at that number any more cannot be added back and is refused: it outlives
 * its fd when the fd is closed while a dup keeps the file open.
 *
 * EPOLL_CTL_ADD polls the target: a ready file is reported again, and an
 * edge-triggered item may report once more than it would have (whoever
 * uses EPOLLET reads until EAGAIN anyway). A disarmed EPOLLONESHOT item
 * shows only its flags as events, and comes back disarmed (add_disarmed).
 */
#include "files.h"
#include "imgdir.h"

#include "proc.h"
#include "util.h"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The flags of an item, beside its events (the kernel's mask). */
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)

static bool epoll_claims(const char *link, const struct stat *st)
{
	return !strcmp(link, "anon_inode:[eventpoll]");
}

/* Item @k is the how-many-th with its fd number (the file differs), in
 * the kernel's order, which fdinfo keeps. */
static uint32_t toff_of(const EpollEntry *ep, size_t k)
{
	uint32_t toff = 0;

	for (size_t i = 0; i < k; i++)
		toff += ep->tfds[i]->tfd == ep->tfds[k]->tfd;
	return toff;
}

/* Has @pid at fd tfd the file of item (tfd, toff) of the epoll at fd @efd
 * of @epid? */
static bool has_target(int pid, int epid, int efd, uint32_t tfd, uint32_t toff)
{
	struct kcmp_epoll_slot slot = { (uint32_t)efd, tfd, toff };

	return syscall(SYS_kcmp, pid, epid, KCMP_EPOLL_TFD, tfd, &slot) == 0;
}

static int epoll_dump(const struct fd_dump *d, FileEntry *e)
{
	_cleanup_free_ struct proc_epoll_item *items = NULL;
	EpollEntry *ep;
	size_t nr;

	if (proc_parse_epoll(d->fdinfo, &items, &nr) < 0)
		return pr_fail(
			-EINVAL,
			"cannot dump %d: cannot read the interest list of the epoll at fd %d",
			d->pid, d->fd);
	ep = e->epoll = xmalloc(sizeof(*ep));
	epoll_entry__init(ep);
	ep->tfds = xmalloc(nr * sizeof(*ep->tfds) + 1);
	for (size_t i = 0; i < nr; i++) {
		EpollTfdEntry *t = xmalloc(sizeof(*t));

		epoll_tfd_entry__init(t);
		t->tfd = (uint32_t)items[i].tfd;
		t->events = items[i].events;
		t->data = items[i].data;
		ep->tfds[ep->n_tfds++] = t;
		/* 0: another process of the tree must have it (dump_finish). */
		if (has_target(d->pid, d->pid, d->fd, t->tfd, toff_of(ep, i)))
			t->pid = (uint32_t)d->pid;
	}
	return 0;
}

/* Has @pid an fd on the open file description seen at @s? */
static bool holds_file(int pid, const struct file_seen *s)
{
	_cleanup_free_ int *fds = NULL;
	size_t nr = 0;

	if (proc_list_fds(pid, &fds, &nr) < 0)
		return false;
	for (size_t i = 0; i < nr; i++)
		if (syscall(SYS_kcmp, pid, s->pid, KCMP_FILE, fds[i], s->fd) == 0)
			return true;
	return false;
}

/* The description of the tree that is the file of item @k of the epoll
 * seen at @s, or -1. */
static int item_file(const struct file_table *ft, const struct file_seen *s, const EpollEntry *ep,
		     size_t k)
{
	struct kcmp_epoll_slot slot = { (uint32_t)s->fd, ep->tfds[k]->tfd, toff_of(ep, k) };

	for (size_t j = 0; j < ft->img.n_files; j++)
		if (syscall(SYS_kcmp, ft->seen[j].pid, s->pid, KCMP_EPOLL_TFD, ft->seen[j].fd,
			    &slot) == 0)
			return (int)j;
	return -1;
}

/* Another process of the tree to add item @k of the epoll seen at @s;
 * else a stale item, added by the first process with its file put there. */
static int find_adder(const struct file_table *ft, const struct file_seen *s, const EpollEntry *ep,
		      size_t k, const int *pids, size_t nr_pids)
{
	EpollTfdEntry *t = ep->tfds[k];
	uint32_t toff = toff_of(ep, k);
	int file;

	for (size_t i = 0; i < nr_pids; i++) {
		if (pids[i] == s->pid || !has_target(pids[i], s->pid, s->fd, t->tfd, toff) ||
		    !holds_file(pids[i], s))
			continue;
		t->pid = (uint32_t)pids[i];
		return 0;
	}
	file = item_file(ft, s, ep, k);
	if (file >= 0) {
		t->pid = (uint32_t)s->pid;
		t->has_file_id = true;
		t->file_id = (uint32_t)file;
		return 0;
	}
	return pr_fail(
		-EOPNOTSUPP,
		"cannot dump %d: fd %d is an epoll watching a file closed at fd %u that no process of the tree has open",
		s->pid, s->fd, t->tfd);
}

static int epoll_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	for (size_t i = 0; i < ft->img.n_files; i++) {
		const FileEntry *e = ft->img.files[i];

		if (e->kind != FD_KIND__FD_EPOLL)
			continue;
		for (size_t k = 0; k < e->epoll->n_tfds; k++) {
			int r = e->epoll->tfds[k]->pid
					? 0
					: find_adder(ft, &ft->seen[i], e->epoll, k, pids, nr_pids);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

#define EP_EVENTS_KNOWN                                                                    \
	(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDNORM | EPOLLRDBAND | \
	 EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP | EP_PRIVATE_BITS)
#define EP_ITEMS_MAX (1u << 22)

static int epoll_check(const FileEntry *e, const struct files_open *fo)
{
	if (!e->epoll || e->epoll->n_tfds > EP_ITEMS_MAX)
		return anon_inconsistent(e);
	for (size_t k = 0; k < e->epoll->n_tfds; k++) {
		const EpollTfdEntry *t = e->epoll->tfds[k];

		if (!t->pid || t->pid > INT32_MAX || t->tfd >= fd_number_limit() ||
		    (t->events & ~(uint32_t)EP_EVENTS_KNOWN) ||
		    (t->has_file_id && t->file_id >= fo->fe->n_files))
			return anon_inconsistent(e);
	}
	return 0;
}

static int epoll_open(struct files_open *fo, const FileEntry *e)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);

	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot create an epoll");
	return anon_open_finish(fd, 0, e);
}

static int item_add(const struct fd_restore *r, const EpollTfdEntry *t, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = t->data };

	if (epoll_ctl(r->fd, EPOLL_CTL_ADD, (int)t->tfd, &ev) < 0)
		return pr_errno(
			-errno,
			"cannot restore %d: cannot add fd %u (events %#x) to the epoll at fd %d",
			r->pid, t->tfd, t->events, r->fd);
	return 0;
}

/* A one-shot item that fired and was not re-armed: only its flags left. */
static bool disarmed(const EpollTfdEntry *t)
{
	return (t->events & EPOLLONESHOT) && !(t->events & ~EP_PRIVATE_BITS);
}

/*
 * EPOLL_CTL_ADD always adds EPOLLERR | EPOLLHUP to the events, so a
 * disarmed item would come back armed for those. Only reporting a one-shot
 * item takes them off: it is added armed for what its file is ready for
 * now, and epoll_wait() reports it. A file ready for nothing leaves it
 * armed for errors and hangups.
 */
static int add_disarmed(const struct fd_restore *r, const EpollTfdEntry *t, size_t nr_items)
{
	struct pollfd p = { (int)t->tfd,
			    POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM |
				    POLLWRBAND | POLLRDHUP,
			    0 };
	uint32_t ready = poll(&p, 1, 0) == 1 ? (uint32_t)(p.revents & ~POLLNVAL) : 0;
	_cleanup_free_ struct epoll_event *evs = xmalloc(nr_items * sizeof(*evs));
	int ret = item_add(r, t, t->events | ready);

	if (ret == 0 && ready && epoll_wait(r->fd, evs, (int)nr_items, 0) < 1)
		ret = pr_errno(-EIO, "cannot restore %d: cannot disarm fd %u in the epoll at fd %d",
			       r->pid, t->tfd, r->fd);
	return ret;
}

/*
 * Can @pid report items (add_disarmed) before adding its others? What it
 * reports must come to no harm: the items of other processes, added at the
 * same time, must be level-triggered and not one-shot (they stay ready).
 * Else its disarmed items stay armed for errors and hangups.
 */
static bool can_report(const EpollEntry *ep, int pid)
{
	for (size_t k = 0; k < ep->n_tfds; k++)
		if (ep->tfds[k]->pid != (uint32_t)pid &&
		    (ep->tfds[k]->events & (EPOLLET | EPOLLONESHOT)))
			return false;
	return true;
}

/* Item @t, disarmed or not (@report: added as disarmed). */
static int item_restore(const struct fd_restore *r, const EpollTfdEntry *t, bool report,
			size_t nr_items)
{
	return report && disarmed(t) ? add_disarmed(r, t, nr_items) : item_add(r, t, t->events);
}

/*
 * A stale item: its description (slot base + file_id, inherited from
 * ckpt) put at its number for the time of the call, through a copy of the
 * epoll above that number (the epoll may sit at it itself); the number
 * then gets back what the process has there, or is closed. The kernel
 * drops an item only when its file goes, not its fd.
 */
static int stale_restore(const struct fd_restore *r, const EpollTfdEntry *t, bool report,
			 size_t nr_items)
{
	int tfd = (int)t->tfd, saved = -1, flags = 0, ret;
	struct fd_restore copy = *r;

	copy.fd = fcntl(r->fd, F_DUPFD_CLOEXEC, tfd + 1);
	if (copy.fd < 0)
		return pr_errno(-errno, "cannot restore %d: cannot copy the epoll at fd %d", r->pid,
				r->fd);
	flags = fcntl(tfd, F_GETFD);
	if (flags >= 0)
		saved = fcntl(tfd, F_DUPFD_CLOEXEC, tfd + 1);
	if (flags >= 0 && saved < 0)
		ret = -errno;
	else
		ret = dup3(r->base + (int)t->file_id, tfd, O_CLOEXEC) < 0 ? -errno : 0;
	if (ret < 0) {
		close(copy.fd);
		return pr_errno(ret,
				"cannot restore %d: cannot put the file of an epoll item at fd %d",
				r->pid, tfd);
	}
	ret = item_restore(&copy, t, report, nr_items);
	if (saved >= 0) {
		if (dup3(saved, tfd, flags & FD_CLOEXEC ? O_CLOEXEC : 0) < 0 && ret == 0)
			ret = pr_errno(-errno, "cannot restore %d: cannot give fd %d back", r->pid,
				       tfd);
		close(saved);
	} else {
		close(tfd);
	}
	close(copy.fd);
	return ret;
}

/* In each process that has the epoll: the items it added, the disarmed
 * ones first (nothing else is reported then). */
static int epoll_restore_fd(const struct fd_restore *r)
{
	const EpollEntry *ep = r->e->epoll;
	bool report = can_report(ep, r->pid);
	int ret = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < ep->n_tfds && ret == 0; k++) {
			const EpollTfdEntry *t = ep->tfds[k];

			/* Disarmed ones (that may report) first. */
			if (t->pid != (uint32_t)r->pid || (report && disarmed(t)) != (pass == 0))
				continue;
			ret = t->has_file_id ? stale_restore(r, t, report, ep->n_tfds)
					     : item_restore(r, t, report, ep->n_tfds);
		}
	return ret;
}

int epoll_max_tfd(const FilesEntry *fe)
{
	int max = -1;

	for (size_t i = 0; i < fe->n_files; i++)
		for (size_t k = 0; fe->files[i]->kind == FD_KIND__FD_EPOLL && fe->files[i]->epoll &&
				   k < fe->files[i]->epoll->n_tfds;
		     k++)
			max = MAX(max, (int)fe->files[i]->epoll->tfds[k]->tfd);
	return max;
}

const struct file_kind epoll_kind = {
	.kind = FD_KIND__FD_EPOLL,
	.name = "epoll",
	.claims = epoll_claims,
	.dump = epoll_dump,
	.dump_finish = epoll_dump_finish,
	.check = epoll_check,
	.open = epoll_open,
	.restore_fd = epoll_restore_fd,
};
