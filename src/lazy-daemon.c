// SPDX-License-Identifier: GPL-2.0
/*
 * The lazy page daemon (restore --lazy, see lazy.h). Forked by ckpt, it
 * runs as root for processes that may not be: it writes only with
 * UFFDIO_COPY/ZEROPAGE through the userfaultfds ckpt gave it (the kernel
 * refuses any address outside the VMAs registered there), only the pages
 * ckpt listed (segments checked here again: sorted, page-aligned, within
 * their files), read with pread from page images ckpt opened and checked.
 *
 * One thread, one loop: read every userfaultfd's messages (faults are
 * served at once, a few pages around the address; events change what is
 * left to copy), then copy one run in the background, in address order.
 * A process is let alone (its userfaultfd closed, which unregisters its
 * memory) once every page of it is in, or when it is gone; the daemon
 * exits when no process is left.
 */
#include "lazy.h"

#include "fault.h"
#include "image.h"
#include "lazy-proto.h"
#include "util.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#define PG 4096UL
#define FAULT_PAGES 16 /* copied around a faulting address */
#define BG_PAGES 256 /* one background copy: 1 MiB */
#define MAX_CTX 4096

struct dseg {
	uint64_t start, end, off;
	uint32_t file;
	uint8_t *done; /* per page: copied, or not to be (unmapped, dropped) */
	uint64_t left;
};

struct ctx {
	int uffd, pidfd, pid; /* pidfd -1: a child forked after the restore */
	uint32_t id; /* for the guard */
	int img_pid; /* its pid in the images (the page server's name for it) */
	uint32_t remote; /* its files the page server has */
	uint32_t file_base, nr_files;
	struct dseg *s;
	size_t n, cursor;
	uint64_t left;
	bool ready; /* LAZY_END seen */
};

static struct ctx *ctxs[MAX_CTX];
static size_t nr_ctx;
static int *files;
static size_t nr_files;
static char *buf;
static struct page_client pc; /* --page-server */
static int *owned; /* the pidfd of every process ckpt handed over */
static size_t nr_owned;

/* The page images' checksums, checked in the background (ckpt did not
 * read them through: that would take as long as the memory is large). */
struct verify {
	struct img img;
	bool open, done;
};
static struct verify *vf;

/* A page cannot be had: the processes would run on wrong memory. */
__attribute__((noreturn)) static void die(const char *why, int err)
{
	syslog(LOG_ERR, "ckpt: lazy restore: %s: %s; its processes were killed", why,
	       strerror(err));
	for (size_t i = 0; i < nr_owned; i++)
		(void)syscall(SYS_pidfd_send_signal, owned[i], SIGKILL, NULL, 0);
	_exit(1);
}

static void ctx_close(size_t i)
{
	struct ctx *c = ctxs[i];

	if (c->ready)
		lazy_guard_done(c->id);
	close(c->uffd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	for (size_t k = 0; k < c->n; k++)
		free(c->s[k].done);
	free(c->s);
	free(c);
	ctxs[i] = NULL;
}

static struct ctx *ctx_new(int uffd, int pidfd, int pid)
{
	static uint32_t next_id;
	struct ctx *c = xzalloc(sizeof(*c));
	size_t i;

	for (i = 0; i < nr_ctx && ctxs[i]; i++)
		;
	if (i == MAX_CTX)
		die("too many processes", EMFILE);
	if (i == nr_ctx)
		nr_ctx++;
	c->uffd = uffd;
	c->pidfd = pidfd;
	c->pid = pid;
	c->id = ++next_id;
	ctxs[i] = c;
	return c;
}

static void seg_append(struct ctx *c, const struct dseg *d)
{
	c->s = xrealloc(c->s, (c->n + 1) * sizeof(*c->s));
	c->s[c->n++] = *d;
}

/* [a, b) of @d as a segment of its own, with its pages' state. */
static struct dseg seg_part(const struct dseg *d, uint64_t a, uint64_t b)
{
	struct dseg p = { a, b, d->off + (a - d->start), d->file, NULL, 0 };
	size_t first = (a - d->start) / PG, n = (b - a) / PG;

	p.done = xmalloc(n);
	memcpy(p.done, d->done + first, n);
	for (size_t k = 0; k < n; k++)
		p.left += !p.done[k];
	return p;
}

/* Nothing of [start, end) is to be copied any more. */
static void seg_cut(struct ctx *c, uint64_t start, uint64_t end)
{
	struct dseg *old = c->s;
	size_t n = c->n;

	c->s = NULL;
	c->n = 0;
	c->left = 0;
	for (size_t k = 0; k < n; k++) {
		struct dseg *d = &old[k];

		if (d->end <= start || d->start >= end) {
			c->left += d->left;
			seg_append(c, d);
			continue;
		}
		if (d->start < start) {
			struct dseg p = seg_part(d, d->start, start);

			c->left += p.left;
			seg_append(c, &p);
		}
		if (d->end > end) {
			struct dseg p = seg_part(d, end, d->end);

			c->left += p.left;
			seg_append(c, &p);
		}
		free(d->done);
	}
	free(old);
	c->cursor = 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct dseg *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * mremap moved [from, from + len) to @to, with its registration: the
 * pages not copied yet are wanted there now. The destination was
 * unmapped first (its own event came before).
 */
static void seg_move(struct ctx *c, uint64_t from, uint64_t to, uint64_t len)
{
	struct dseg *moved = NULL;
	size_t nm = 0;

	if (from + len < from || to + len < to)
		return;
	for (size_t k = 0; k < c->n; k++) {
		const struct dseg *d = &c->s[k];
		uint64_t a = MAX(d->start, from), b = MIN(d->end, from + len);

		if (a >= b)
			continue;
		moved = xrealloc(moved, (nm + 1) * sizeof(*moved));
		moved[nm] = seg_part(d, a, b);
		moved[nm].start = a - from + to;
		moved[nm].end = b - from + to;
		nm++;
	}
	seg_cut(c, from, from + len);
	seg_cut(c, to, to + len);
	for (size_t k = 0; k < nm; k++) {
		c->left += moved[k].left;
		seg_append(c, &moved[k]);
	}
	free(moved);
	if (c->n)
		qsort(c->s, c->n, sizeof(*c->s), seg_cmp);
}

/* A child's copy of @p: what its parent still had to get, it has too
 * (a page already in the parent is in the child, and copying it again
 * only finds it there). */
static void ctx_fork(struct ctx *p, int uffd)
{
	struct ctx *c = ctx_new(uffd, -1, 0);

	c->file_base = p->file_base;
	c->nr_files = p->nr_files;
	c->img_pid = p->img_pid;
	c->remote = p->remote;
	c->ready = true;
	lazy_guard_add(c->id, uffd, -1, 0);
	for (size_t k = 0; k < p->n; k++) {
		struct dseg d = seg_part(&p->s[k], p->s[k].start, p->s[k].end);

		c->left += d.left;
		seg_append(c, &d);
	}
}

static struct dseg *seg_at(struct ctx *c, uint64_t addr)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->s[mid].end <= addr)
			lo = mid + 1;
		else if (c->s[mid].start > addr)
			hi = mid;
		else
			return &c->s[mid];
	}
	return NULL;
}

static void mark(struct ctx *c, struct dseg *d, uint64_t a, uint64_t b)
{
	for (uint64_t p = (a - d->start) / PG; p < (b - d->start) / PG; p++)
		if (!d->done[p]) {
			d->done[p] = 1;
			d->left--;
			c->left--;
		}
}

/*
 * Copy [a, b) of @d (pages not in yet) into the process. -EAGAIN: the
 * process is changing its mappings, the events are to be read first;
 * -ESRCH: it is gone.
 */
static int copy_run(struct ctx *c, struct dseg *d, uint64_t a, uint64_t b)
{
	uint64_t a0 = a;
	bool one = false;

	if (d->file >= c->nr_files)
		die("a segment names no page image", EBADMSG);
	if (c->remote & (1U << d->file)) {
		/* The page server's: @off is the address in the images. */
		int r = page_client_read(&pc, c->img_pid, d->off + (a - d->start),
					 (uint32_t)((b - a) / PG), buf);

		if (r < 0)
			die("cannot have pages from the page server", -r);
	} else {
		ssize_t n = pread(files[c->file_base + d->file], buf, b - a,
				  (off_t)(d->off + (a - d->start)));

		if (n != (ssize_t)(b - a))
			die("cannot read a page image", n < 0 ? errno : EIO);
	}
	while (a < b) {
		struct uffdio_copy cp = { .dst = a,
					  .src = (uint64_t)(buf + (a - a0)),
					  .len = one ? PG : b - a };
		int err;

		if (ioctl(c->uffd, UFFDIO_COPY, &cp) == 0) {
			mark(c, d, a, a + cp.len);
			a += cp.len;
			one = false;
			continue;
		}
		err = errno;
		if (cp.copy > 0) { /* part of it, then a failure */
			mark(c, d, a, a + (uint64_t)cp.copy);
			a += (uint64_t)cp.copy;
			continue;
		}
		if (cp.copy == -EEXIST) {
			/* That page is there already: past it. */
			mark(c, d, a, a + PG);
			a += PG;
			continue;
		}
		if (cp.copy < 0)
			err = (int)-cp.copy;
		if (err == EAGAIN || err == ESRCH)
			return -err;
		/*
		 * The kernel copies into one VMA at a time, and a segment
		 * may cover several: VMAs next to each other, or one split
		 * since (mprotect, madvise: no event). Page by page then; a
		 * page with no registered VMA any more never faults.
		 */
		if (err == ENOENT && cp.len > PG) {
			one = true;
			continue;
		}
		if (err == ENOENT) {
			mark(c, d, a, a + PG);
			a += PG;
			one = false;
			continue;
		}
		die("cannot copy pages into a process", err);
	}
	return 0;
}

/* A fault at @addr: its pages from the images, or zeros where the
 * images have none (or the process dropped them since). */
static int serve(struct ctx *c, uint64_t addr)
{
	struct dseg *d = seg_at(c, addr);
	struct uffdio_zeropage z = { .range = { addr, PG } };
	struct uffdio_range w = { addr, PG };

	if (d && !d->done[(addr - d->start) / PG]) {
		uint64_t b = addr;

		while (b < d->end && b < addr + FAULT_PAGES * PG && !d->done[(b - d->start) / PG])
			b += PG;
		return copy_run(c, d, addr, b);
	}
	if (ioctl(c->uffd, UFFDIO_ZEROPAGE, &z) == 0)
		return 0;
	if (errno == EAGAIN || errno == ESRCH)
		return -errno;
	/* Copied meanwhile: the thread may still wait. */
	(void)ioctl(c->uffd, UFFDIO_WAKE, &w);
	return 0;
}

/* ---- faults put off (-EAGAIN) ---- */

struct pending {
	struct ctx *c;
	uint64_t addr;
};
static struct pending *pend;
static size_t nr_pend;

static void pend_add(struct ctx *c, uint64_t addr)
{
	pend = xrealloc(pend, (nr_pend + 1) * sizeof(*pend));
	pend[nr_pend++] = (struct pending){ c, addr };
}

static void ctx_dead(size_t i)
{
	size_t k = 0;

	for (size_t j = 0; j < nr_pend; j++)
		if (pend[j].c != ctxs[i])
			pend[k++] = pend[j];
	nr_pend = k;
	ctx_close(i);
}

static void read_events(size_t i)
{
	struct uffd_msg msgs[32];
	ssize_t n;

	while (ctxs[i] && (n = read(ctxs[i]->uffd, msgs, sizeof(msgs))) > 0) {
		struct ctx *c = ctxs[i];

		for (size_t k = 0; k < (size_t)n / sizeof(*msgs); k++) {
			const struct uffd_msg *m = &msgs[k];

			switch (m->event) {
			case UFFD_EVENT_PAGEFAULT:
				pend_add(c, m->arg.pagefault.address & ~(PG - 1));
				break;
			case UFFD_EVENT_FORK:
				ctx_fork(c, (int)m->arg.fork.ufd);
				break;
			case UFFD_EVENT_REMAP:
				seg_move(c, m->arg.remap.from, m->arg.remap.to, m->arg.remap.len);
				break;
			case UFFD_EVENT_REMOVE:
			case UFFD_EVENT_UNMAP:
				seg_cut(c, m->arg.remove.start, m->arg.remove.end);
				break;
			}
		}
	}
}

static void serve_pending(void)
{
	size_t k = 0;

	for (size_t j = 0; j < nr_pend; j++) {
		int r = serve(pend[j].c, pend[j].addr);

		if (r == -EAGAIN)
			pend[k++] = pend[j];
		else if (r == -ESRCH)
			pend[j].c->left = 0; /* gone: closed below */
	}
	nr_pend = k;
}

/* One background run of the first process with pages left. */
static bool background(void)
{
	for (size_t i = 0; i < nr_ctx; i++) {
		struct ctx *c = ctxs[i];

		if (!c || !c->ready || !c->left)
			continue;
		for (; c->cursor < c->n; c->cursor++) {
			struct dseg *d = &c->s[c->cursor];
			uint64_t a, b;
			size_t p;
			int r;

			if (!d->left)
				continue;
			for (p = 0; d->done[p]; p++)
				;
			a = d->start + p * PG;
			for (b = a;
			     b < d->end && b < a + BG_PAGES * PG && !d->done[(b - d->start) / PG];)
				b += PG;
			r = copy_run(c, d, a, b);
			if (r == -ESRCH)
				c->left = 0;
			return true;
		}
		c->left = 0; /* not reached: left counts the pages of the segments */
	}
	return false;
}

/* One more chunk of a page image read through; false once all are. */
static bool verify_step(void)
{
	static char *vbuf;

	if (!vbuf)
		vbuf = xmalloc(BG_PAGES * PG);
	for (size_t i = 0; i < nr_files; i++) {
		struct verify *v = &vf[i];
		uint64_t n;
		int r = 0;

		if (v->done)
			continue;
		if (!v->open) {
			if (lseek(files[i], 0, SEEK_SET) < 0)
				r = -errno;
			if (r >= 0)
				r = img_open_fd(&v->img, files[i], IMG_PAGES);
			if (r < 0)
				die("cannot read a page image", -r);
			v->open = true;
		}
		n = MIN(v->img.payload_len - v->img.pos, BG_PAGES * PG);
		r = n ? img_read(&v->img, vbuf, n) : 0;
		if (r == -EBADMSG)
			die("a page image does not match its checksum", EBADMSG);
		if (r < 0)
			die("cannot read a page image", -r);
		/* Not img_close(): the fd stays, for pread. */
		v->done = v->img.pos == v->img.payload_len;
		return true;
	}
	return false;
}

/* ---- ckpt's socket ---- */

static int recv_fds(int sk, void *data, size_t len, int *fds, size_t *nfds)
{
	char cbuf[CMSG_SPACE(LAZY_MAX_FDS * sizeof(int))];
	struct iovec iov = { data, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	n = recvmsg(sk, &mh, MSG_CMSG_CLOEXEC);
	*nfds = 0;
	if (n <= 0)
		return n < 0 ? -errno : 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			memcpy(fds + *nfds, CMSG_DATA(c),
			       MIN(k, LAZY_MAX_FDS - *nfds) * sizeof(int));
			*nfds += MIN(k, LAZY_MAX_FDS - *nfds);
		}
	return (int)n;
}

static struct ctx *filling; /* the process being handed over */

/* Returns false once ckpt is gone: GO seen before (*go), or not. */
static bool from_ckpt(int sk, bool *go)
{
	static union {
		struct lazy_msg m;
		char raw[sizeof(struct lazy_msg) + LAZY_SEGS_PER_MSG * sizeof(struct lazy_seg)];
	} u;
	int fds[LAZY_MAX_FDS];
	size_t nfds;
	int n = recv_fds(sk, &u, sizeof(u), fds, &nfds);

	if (n <= 0)
		return false;
	if ((size_t)n < sizeof(u.m))
		die("a short message from ckpt", EPROTO);
	switch (u.m.type) {
	case LAZY_PROC:
		if (filling || nfds < 2 || nfds != u.m.nr_files + 2)
			die("a bad message from ckpt", EPROTO);
		filling = ctx_new(fds[0], fds[1], u.m.pid);
		filling->file_base = (uint32_t)nr_files;
		filling->nr_files = u.m.nr_files;
		filling->img_pid = u.m.img_pid;
		filling->remote = u.m.remote;
		if (u.m.remote && !pc.pid)
			die("pages from a page server, and none", EPROTO);
		files = xrealloc(files, (nr_files + u.m.nr_files) * sizeof(*files));
		memcpy(files + nr_files, fds + 2, u.m.nr_files * sizeof(int));
		vf = xrealloc(vf, (nr_files + u.m.nr_files) * sizeof(*vf));
		memset(vf + nr_files, 0, u.m.nr_files * sizeof(*vf));
		/* The page server checks its own. */
		for (uint32_t k = 0; k < u.m.nr_files && k < 32; k++)
			vf[nr_files + k].done = u.m.remote & (1U << k);
		nr_files += u.m.nr_files;
		owned = xrealloc(owned, (nr_owned + 1) * sizeof(*owned));
		owned[nr_owned++] = fcntl(fds[1], F_DUPFD_CLOEXEC, 3);
		return true;
	case LAZY_SEGS: {
		const struct lazy_seg *s = (const void *)(u.raw + sizeof(u.m));

		if (!filling || u.m.nr > LAZY_SEGS_PER_MSG ||
		    (size_t)n != sizeof(u.m) + u.m.nr * sizeof(*s))
			die("a bad message from ckpt", EPROTO);
		for (size_t k = 0; k < u.m.nr; k++) {
			struct dseg d = { s[k].start, s[k].end, s[k].off, s[k].file, NULL, 0 };
			uint64_t prev = filling->n ? filling->s[filling->n - 1].end : 0;

			if (d.start % PG || d.end % PG || d.start >= d.end || d.start < prev ||
			    d.file >= filling->nr_files || d.off + (d.end - d.start) < d.off)
				die("a bad segment from ckpt", EPROTO);
			d.left = (d.end - d.start) / PG;
			d.done = xzalloc(d.left);
			filling->left += d.left;
			seg_append(filling, &d);
		}
		return true;
	}
	case LAZY_END: {
		int32_t ok = 0;

		if (!filling)
			die("a bad message from ckpt", EPROTO);
		filling->ready = true;
		lazy_guard_add(filling->id, filling->uffd, filling->pidfd, filling->pid);
		filling = NULL;
		if (send(sk, &ok, sizeof(ok), MSG_NOSIGNAL) != sizeof(ok))
			return false;
		return true;
	}
	case LAZY_GO:
		*go = true;
		return true;
	}
	die("a bad message from ckpt", EPROTO);
}

/* Nothing of ckpt's but the socket, no terminal, a session of its own:
 * the tree does not see it, ^C on the restore's terminal does not reach
 * it. */
static int daemon_setup(int sk)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int s = fcntl(sk, F_DUPFD_CLOEXEC, 10);

	if (null < 0 || s < 0)
		return -1;
	(void)dup2(null, 0);
	(void)dup2(null, 1);
	(void)dup2(null, 2);
	if (dup3(s, 3, O_CLOEXEC) < 0)
		return -1;
	(void)syscall(SYS_close_range, 4, ~0U, 0);
	(void)setsid();
	(void)chdir("/");
	(void)prctl(PR_SET_NAME, "ckpt-lazy", 0, 0, 0);
	(void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	openlog("ckpt-lazy", LOG_PID, LOG_DAEMON);
	return 3;
}

void lazy_daemon_main(int sk_in, const char *page_server)
{
	int sk = daemon_setup(sk_in);
	/* Test builds: CKPT_FAULT=lazy_background leaves every page to be
	 * faulted in (tests see the process run before its memory is in). */
	bool bg = !FAULT_OR(lazy_background, true, false), go = false;
	struct pollfd *pfd = NULL;

	if (sk < 0 || lazy_guard_start() < 0)
		_exit(1);
	if (page_server && page_client_start(&pc, page_server) < 0)
		_exit(1);
	buf = xmalloc(MAX(BG_PAGES, FAULT_PAGES) * PG);
	for (;;) {
		size_t np = 0, live = 0, alive = 0;
		bool work, verifying = bg && nr_files && !vf[nr_files - 1].done;
		int r;

		for (size_t i = 0; i < nr_ctx; i++) {
			struct ctx *c = ctxs[i];

			if (c && c->ready && !c->left)
				ctx_dead(i);
			else if (c && c->ready) {
				live++;
				alive += c->pidfd >= 0;
			}
		}
		/* A child forked after the restore has no pidfd: without the
		 * background copy, it is let alone with its parents. */
		if (go && sk < 0 && ((!live && !verifying) || (!bg && !alive))) {
			lazy_guard_exit();
			_exit(0);
		}
		pfd = xrealloc(pfd, (2 * nr_ctx + 1) * sizeof(*pfd));
		if (sk >= 0)
			pfd[np++] = (struct pollfd){ .fd = sk, .events = POLLIN };
		for (size_t i = 0; i < nr_ctx; i++) {
			if (!ctxs[i])
				continue;
			pfd[np++] = (struct pollfd){ .fd = ctxs[i]->uffd, .events = POLLIN };
			if (ctxs[i]->pidfd >= 0)
				pfd[np++] =
					(struct pollfd){ .fd = ctxs[i]->pidfd, .events = POLLIN };
		}
		work = nr_pend || (bg && live) || verifying;
		r = poll(pfd, np, work ? 0 : -1);
		if (r < 0 && errno != EINTR)
			die("poll", errno);
		if (sk >= 0 && r > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (!from_ckpt(sk, &go)) {
				if (!go)
					_exit(1); /* the restore failed: ckpt kills the tree */
				close(sk);
				sk = -1;
			}
		}
		for (size_t i = 0; i < nr_ctx; i++) {
			struct pollfd one = { 0 };

			if (!ctxs[i])
				continue;
			read_events(i);
			if (ctxs[i]->pidfd >= 0) {
				one = (struct pollfd){ .fd = ctxs[i]->pidfd, .events = POLLIN };
				if (poll(&one, 1, 0) > 0)
					ctx_dead(i);
			}
		}
		serve_pending();
		if (bg && !nr_pend) {
			(void)verify_step();
			(void)background();
		}
	}
}
