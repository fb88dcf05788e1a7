// SPDX-License-Identifier: GPL-2.0
/* Dirty page tracking for incremental dumps (see track.h). */
#include "track.h"

#include "files.h"
#include "proc.h"
#include "util.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

/* Newer than the kernel headers of Debian 12 (Linux 6.7 ABI). */
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef PAGEMAP_SCAN
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
struct page_region {
	uint64_t start, end, categories;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#define PAGE_IS_WRITTEN (1 << 1)
#define PAGE_IS_FILE (1 << 2)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define PAGE_IS_PFNZERO (1 << 5)
#endif

#define SCAN_VEC 512

void ranges_add(struct ranges *rs, uint64_t start, uint64_t end)
{
	if (rs->n && rs->v[rs->n - 1].end == start) {
		rs->v[rs->n - 1].end = end;
		return;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	rs->v[rs->n++] = (struct range){ start, end };
}

void ranges_release(struct ranges *rs)
{
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

int track_create(struct infect *inf, int *ret_uffd)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED,
	};
	int tgid = inf->tgid ? inf->tgid : inf->pid;
	long remote, ret;
	int uffd, r;

	r = infect_syscall3(inf, SYS_userfaultfd, &remote, O_CLOEXEC | O_NONBLOCK, 0, 0);
	if (r < 0)
		return r;
	if (remote < 0)
		return (int)remote;
	uffd = fd_borrow(tgid, (int)remote);
	r = infect_syscall3(inf, SYS_close, &ret, remote, 0, 0);
	if (uffd < 0)
		return uffd;
	if (r < 0 || ret < 0) {
		close(uffd);
		return r < 0 ? r : (int)ret;
	}
	if (ioctl(uffd, UFFDIO_API, &api) < 0) {
		r = -errno;
		close(uffd);
		return r;
	}
	*ret_uffd = uffd;
	return 0;
}

bool vma_is_tracked(const VmaEntry *v)
{
	return (v->vmflags & VMF_UFFD_WP) && (v->prot & PROT_WRITE) &&
	       (v->kind == VMA_KIND__VMA_ANON_PRIVATE || v->kind == VMA_KIND__VMA_FILE_PRIVATE);
}

/* Write-protect again the pages of [start, end) written since the last
 * time (PAGEMAP_SCAN: a walk that reports them, and protects them). */
static int arm(int pm_fd, uint64_t start, uint64_t end)
{
	while (start < end) {
		/* No vector: protect only, in one walk. */
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.flags = PM_SCAN_CHECK_WPASYNC | PM_SCAN_WP_MATCHING,
			.start = start,
			.end = end,
			.category_mask = PAGE_IS_WRITTEN,
		};

		if (ioctl(pm_fd, PAGEMAP_SCAN, &a) < 0)
			return -errno;
		if (a.walk_end <= start)
			return -EIO;
		start = a.walk_end;
	}
	return 0;
}

static int open_pagemap(int pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static bool vma_can_track(const VmaEntry *v)
{
	return (v->prot & PROT_WRITE) &&
	       (v->kind == VMA_KIND__VMA_ANON_PRIVATE || v->kind == VMA_KIND__VMA_FILE_PRIVATE);
}

int track_register(int uffd, int pid, MmEntry *mm)
{
	_cleanup_close_ int pm_fd = open_pagemap(pid);

	if (pm_fd < 0)
		return pm_fd;
	for (size_t i = 0; i < mm->n_vmas; i++) {
		VmaEntry *v = mm->vmas[i];
		struct uffdio_register reg = {
			.range = { v->start, v->end - v->start },
			.mode = UFFDIO_REGISTER_MODE_WP,
		};
		int r;

		if (!vma_can_track(v) || (v->vmflags & VMF_UFFD_WP))
			continue;
		/* Some kinds of VMA cannot be tracked: they are saved whole. */
		if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
			continue;
		/* The first scan finds every page "written": it arms them. */
		r = arm(pm_fd, v->start, v->end);
		if (r < 0)
			return r;
		v->vmflags |= VMF_UFFD_WP;
	}
	return 0;
}

void own_ranges_release(struct own_ranges *rs)
{
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

static void own_ranges_add(struct own_ranges *rs, const struct page_region *pr)
{
	bool written = pr->categories & PAGE_IS_WRITTEN;
	struct own_range *last = rs->n ? &rs->v[rs->n - 1] : NULL;

	if (last && last->end == pr->start && last->written == written) {
		last->end = pr->end;
		return;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	rs->v[rs->n++] = (struct own_range){ pr->start, pr->end, written };
}

int pages_own(int pagemap_fd, uint64_t start, uint64_t end, bool anon, bool tracked,
	      struct own_ranges *ret)
{
	/* Left out: the shared zero page, and in a private file mapping the
	 * pages still the file's (not written yet). Asking about the second
	 * costs a look at every page's struct page: ~40 ns a page here. */
	uint64_t not = anon ? PAGE_IS_PFNZERO : PAGE_IS_PFNZERO | PAGE_IS_FILE;
	struct page_region vec[SCAN_VEC];

	while (start < end) {
		/* Present or swapped. Untracked pages count as written:
		 * PAGE_IS_WRITTEN is only meaningful under tracking. */
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.flags = tracked ? PM_SCAN_CHECK_WPASYNC : 0,
			.start = start,
			.end = end,
			.vec = (uint64_t)vec,
			.vec_len = SCAN_VEC,
			.category_inverted = not,
			.category_mask = not,
			.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
			.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_WRITTEN,
		};
		long n = ioctl(pagemap_fd, PAGEMAP_SCAN, &a);

		if (n < 0)
			return -errno;
		for (long i = 0; i < n; i++) {
			struct page_region pr = vec[i];

			if (!tracked)
				pr.categories |= PAGE_IS_WRITTEN;
			own_ranges_add(ret, &pr);
		}
		if (a.walk_end <= start)
			return -EIO;
		start = a.walk_end;
	}
	return 0;
}

int track_rearm(int pid, const MmEntry *mm)
{
	_cleanup_close_ int pm_fd = open_pagemap(pid);

	if (pm_fd < 0)
		return pm_fd;
	for (size_t i = 0; i < mm->n_vmas; i++) {
		int r;

		if (!vma_is_tracked(mm->vmas[i]))
			continue;
		r = arm(pm_fd, mm->vmas[i]->start, mm->vmas[i]->end);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the keeper ---- */

#define FDS_PER_MSG 250 /* SCM_MAX_FD is 253 */

enum keeper_cmd { KEEPER_GET = 1, KEEPER_PUT, KEEPER_STOP, KEEPER_OK };

struct keeper_hdr {
	uint32_t cmd;
	uint32_t n;
	char last_id[40];
};

void track_state_release(struct track_state *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		if (ts->uffds[i] >= 0)
			close(ts->uffds[i]);
	ts->n = 0;
}

/* The socket name: the root's pid and start time (pids are reused). */
static int keeper_addr(int root, struct sockaddr_un *sa, socklen_t *len)
{
	char path[64];
	_cleanup_free_ char *stat = NULL;
	unsigned long long start = 0;
	const char *p;
	int r, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", root);
	r = read_file(path, &stat, NULL);
	if (r < 0)
		return r;
	p = strrchr(stat, ')');
	/* Field 22, the start time: 19 fields after the one that follows ')'. */
	for (int i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "ckpt-track-%d-%llu", root, start);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	return 0;
}

/* Send @n ints of @data with @fds (as many, or none). */
static int send_chunk(int sk, const int *data, size_t n, const int *fds)
{
	char cbuf[CMSG_SPACE(FDS_PER_MSG * sizeof(int))];
	struct iovec iov = { (void *)data, n * sizeof(int) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fds && n) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	if (!n) {
		static const int none;

		iov.iov_base = (void *)&none;
		iov.iov_len = sizeof(none);
	}
	return sendmsg(sk, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int recv_chunk(int sk, int *data, size_t n, int *fds)
{
	char cbuf[CMSG_SPACE(FDS_PER_MSG * sizeof(int))];
	int none;
	struct iovec iov = { n ? (void *)data : &none, n ? n * sizeof(int) : sizeof(none) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t got;

	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	got = recvmsg(sk, &mh, MSG_CMSG_CLOEXEC);
	if (got < 0)
		return -errno;
	if ((size_t)got != iov.iov_len)
		return -EPROTO;
	c = CMSG_FIRSTHDR(&mh);
	if (!fds || !n)
		return 0;
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(n * sizeof(int)))
		return -EPROTO;
	memcpy(fds, CMSG_DATA(c), n * sizeof(int));
	return 0;
}

static int send_state(int sk, uint32_t cmd, const struct track_state *ts)
{
	struct keeper_hdr h = { .cmd = cmd, .n = (uint32_t)ts->n };
	int r;

	snprintf(h.last_id, sizeof(h.last_id), "%s", ts->last_id);
	if (send(sk, &h, sizeof(h), MSG_NOSIGNAL) != sizeof(h))
		return -errno ?: -EIO;
	for (size_t i = 0; i < ts->n; i += FDS_PER_MSG) {
		r = send_chunk(sk, ts->pids + i, MIN(FDS_PER_MSG, ts->n - i), ts->uffds + i);
		if (r < 0)
			return r;
	}
	return 0;
}

static int recv_state(int sk, const struct keeper_hdr *h, struct track_state *ts)
{
	if (h->n > TRACK_MAX_PROCS)
		return -EPROTO;
	memset(ts, 0, sizeof(*ts));
	snprintf(ts->last_id, sizeof(ts->last_id), "%.*s", (int)sizeof(h->last_id) - 1, h->last_id);
	for (size_t i = 0; i < h->n; i += FDS_PER_MSG) {
		size_t k = MIN(FDS_PER_MSG, h->n - i);
		int r = recv_chunk(sk, ts->pids + i, k, ts->uffds + i);

		if (r < 0) {
			track_state_release(ts);
			return r;
		}
		ts->n = i + k;
	}
	return 0;
}

static int keeper_connect(int root)
{
	struct sockaddr_un sa;
	socklen_t len;
	int sk, r;

	r = keeper_addr(root, &sa, &len);
	if (r < 0)
		return r;
	sk = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return -errno;
	if (connect(sk, (struct sockaddr *)&sa, len) < 0) {
		r = errno == ECONNREFUSED ? -ENOENT : -errno;
		close(sk);
		return r;
	}
	return sk;
}

static int expect_ok(int sk)
{
	struct keeper_hdr h;

	if (recv(sk, &h, sizeof(h), 0) != sizeof(h) || h.cmd != KEEPER_OK)
		return -EPROTO;
	return 0;
}

int keeper_get(int root, struct track_state *ts)
{
	_cleanup_close_ int sk = keeper_connect(root);
	struct keeper_hdr h = { .cmd = KEEPER_GET };

	if (sk < 0)
		return sk;
	if (send(sk, &h, sizeof(h), MSG_NOSIGNAL) != sizeof(h) ||
	    recv(sk, &h, sizeof(h), 0) != sizeof(h))
		return -EPROTO;
	return recv_state(sk, &h, ts);
}

int keeper_stop(int root)
{
	_cleanup_close_ int sk = keeper_connect(root);
	struct keeper_hdr h = { .cmd = KEEPER_STOP };

	if (sk < 0)
		return sk == -ENOENT ? 0 : sk;
	if (send(sk, &h, sizeof(h), MSG_NOSIGNAL) != sizeof(h))
		return -errno;
	return expect_ok(sk);
}

/* The keeper's life: hold the state, answer, exit with the root. */
static void keeper_serve(int listener, int root_pidfd)
{
	struct track_state *ts = xzalloc(sizeof(*ts));

	for (;;) {
		struct pollfd p[2] = { { listener, POLLIN, 0 }, { root_pidfd, POLLIN, 0 } };
		struct keeper_hdr h, ok = { .cmd = KEEPER_OK };
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int sk;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p[1].revents)
			_exit(0); /* the root is gone: so is tracking */
		if (!(p[0].revents & POLLIN))
			continue;
		sk = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (sk < 0)
			continue;
		if (getsockopt(sk, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    cred.uid != getuid() || recv(sk, &h, sizeof(h), 0) != sizeof(h)) {
			close(sk);
			continue;
		}
		if (h.cmd == KEEPER_GET) {
			(void)send_state(sk, KEEPER_OK, ts);
		} else if (h.cmd == KEEPER_PUT) {
			struct track_state *next = xzalloc(sizeof(*next));

			if (recv_state(sk, &h, next) == 0) {
				track_state_release(ts);
				free(ts);
				ts = next;
				(void)send(sk, &ok, sizeof(ok), MSG_NOSIGNAL);
			} else {
				free(next);
			}
		} else if (h.cmd == KEEPER_STOP) {
			(void)send(sk, &ok, sizeof(ok), MSG_NOSIGNAL);
			_exit(0);
		}
		close(sk);
	}
}

static int keeper_spawn(int root)
{
	struct sockaddr_un sa;
	socklen_t len;
	int listener, pidfd, r;
	pid_t pid;

	r = keeper_addr(root, &sa, &len);
	if (r < 0)
		return r;
	listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (listener < 0)
		return -errno;
	if (bind(listener, (struct sockaddr *)&sa, len) < 0 || listen(listener, 8) < 0) {
		r = -errno;
		close(listener);
		return r;
	}
	pidfd = (int)syscall(SYS_pidfd_open, root, 0);
	if (pidfd < 0) {
		r = -errno;
		close(listener);
		return r;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* Out of the caller's session, with none of its fds: it
		 * outlives ckpt, and must not hold the images or a pipe. */
		int l = fcntl(listener, F_DUPFD_CLOEXEC, 100),
		    p = fcntl(pidfd, F_DUPFD_CLOEXEC, 100);

		(void)syscall(SYS_close_range, 0, 99, 0);
		(void)syscall(SYS_close_range, MAX(l, p) + 1, ~0U, 0);
		for (int fd = 0; fd < 3; fd++)
			(void)open("/dev/null", O_RDWR);
		(void)setsid();
		(void)prctl(PR_SET_NAME, "ckpt-track", 0, 0, 0);
		signal(SIGPIPE, SIG_IGN);
		keeper_serve(l, p);
	}
	close(listener);
	close(pidfd);
	return pid < 0 ? -errno : 0;
}

int keeper_put(int root, const struct track_state *ts)
{
	int sk = keeper_connect(root), r;

	if (sk == -ENOENT) {
		r = keeper_spawn(root);
		if (r < 0)
			return r;
		sk = keeper_connect(root);
	}
	if (sk < 0)
		return sk;
	r = send_state(sk, KEEPER_PUT, ts);
	if (r >= 0)
		r = expect_ok(sk);
	close(sk);
	return r;
}
