// SPDX-License-Identifier: GPL-2.0
/* The keeper of a tracked tree (see keeper.h). */
#include "keeper.h"

#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

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
