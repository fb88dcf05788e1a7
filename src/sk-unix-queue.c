// SPDX-License-Identifier: GPL-2.0
/*
 * The receive queues of unix sockets read at dump (sk-unix.c), without
 * taking anything (MSG_PEEK at an offset ckpt moves), with the
 * descriptors in flight (found in, or added to, the table of files) and
 * the credentials a reader with SO_PASSCRED sees. sk-unix-refill.c puts
 * them back.
 */
#include "sk-unix.h"

#include "dump-guard.h"
#include "util.h"

#include <linux/kcmp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

struct peek {
	int sk;
	bool trunc; /* MSG_TRUNC tells the real size (not for streams) */
	char *buf;
	size_t cap;
	struct sockaddr_un from;
	socklen_t from_len;
	int fds[UNIX_MAX_FDS]; /* SCM_RIGHTS of the last peek: ours, close-on-exec */
	size_t nr_fds;
	bool has_creds; /* SCM_CREDENTIALS of the last peek (the reader has SO_PASSCRED) */
	struct ucred creds;
};

static void peek_drop(struct peek *pk)
{
	for (size_t i = 0; i < pk->nr_fds; i++)
		close(pk->fds[i]);
	pk->nr_fds = 0;
}

/* What came with a peek: descriptors kept in @pk, credentials; a pidfd
 * (SO_PASSPIDFD) closed. -EMFILE if some did not fit. */
static int peek_control(struct peek *pk, struct msghdr *msg)
{
	int r = msg->msg_flags & MSG_CTRUNC ? -EMFILE : 0;

	pk->has_creds = false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *p = (int *)CMSG_DATA(c);

		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(pk->creds))) {
			memcpy(&pk->creds, CMSG_DATA(c), sizeof(pk->creds));
			pk->has_creds = true;
		}
		if (c->cmsg_type != SCM_RIGHTS && c->cmsg_type != SCM_PIDFD)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (c->cmsg_type == SCM_RIGHTS && pk->nr_fds < UNIX_MAX_FDS)
				pk->fds[pk->nr_fds++] = p[i];
			else
				close(p[i]);
		}
	}
	if (r < 0)
		peek_drop(pk);
	return r;
}

/*
 * The packet at offset @off of the queue (stream: up to @want bytes from
 * @off), without taking it: its length, -EAGAIN at the end of the queue,
 * or -errno. A peek gives us copies of the descriptors in flight with it
 * (kept in @pk until the next peek or peek_drop).
 */
static ssize_t peek_at(struct peek *pk, int off, size_t want)
{
	char ctl[4096]; /* fds, credentials, a security label */

	for (;;) {
		struct iovec iov = { pk->buf, MIN(pk->cap, want) };
		struct msghdr msg = {
			.msg_name = &pk->from,
			.msg_namelen = sizeof(pk->from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl,
			.msg_controllen = sizeof(ctl),
		};
		int flags =
			MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC | (pk->trunc ? MSG_TRUNC : 0);
		ssize_t n;
		int r;

		peek_drop(pk);
		if (setsockopt(pk->sk, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
			return -errno;
		n = recvmsg(pk->sk, &msg, flags);
		if (n < 0)
			return -errno;
		r = peek_control(pk, &msg);
		if (r < 0)
			return r;
		if ((size_t)n <= iov.iov_len) {
			pk->from_len = msg.msg_namelen;
			return n;
		}
		pk->cap = (size_t)n;
		pk->buf = xrealloc(pk->buf, pk->cap);
	}
}

static void creds_set(UnixSkPacket *p, const struct ucred *c)
{
	if (!c)
		return;
	p->has_pid = p->has_uid = p->has_gid = true;
	p->pid = (uint32_t)c->pid;
	p->uid = c->uid;
	p->gid = c->gid;
}

static bool creds_same(const UnixSkPacket *p, const struct ucred *c)
{
	if (!c)
		return !p->has_uid;
	return p->has_uid && p->pid == (uint32_t)c->pid && p->uid == c->uid && p->gid == c->gid;
}

static UnixSkPacket *packet_add(UnixSkEntry *u, const void *data, size_t len,
				const struct ucred *creds)
{
	UnixSkPacket *p = xmalloc(sizeof(*p));

	unix_sk_packet__init(p);
	p->data.len = len;
	p->data.data = xmalloc(len + 1);
	memcpy(p->data.data, data, len);
	creds_set(p, creds);
	u->queue = xrealloc(u->queue, (u->n_queue + 1) * sizeof(*u->queue));
	u->queue[u->n_queue++] = p;
	return p;
}

/* The descriptors of @pk stay with packet @p until dump_finish finds
 * their files in the table. */
static void inflight_add(const struct fd_dump *d, UnixSkPacket *p, struct peek *pk)
{
	struct unix_dump *ud = d->ft->state[FD_KIND__FD_UNIX_SK];
	struct inflight *f;

	if (!ud) {
		ud = xzalloc(sizeof(*ud));
		d->ft->state[FD_KIND__FD_UNIX_SK] = ud;
	}
	ud->v = xrealloc(ud->v, (ud->n + 1) * sizeof(*ud->v));
	f = &ud->v[ud->n++];
	/* In flight in a socket in flight: named by where it all is. */
	*f = (struct inflight){ .p = p,
				.pid = ud->depth ? ud->pid : d->pid,
				.fd = ud->depth ? ud->fd : d->fd,
				.n = pk->nr_fds,
				.depth = ud->depth };
	f->fds = xmalloc(pk->nr_fds * sizeof(int) + 1);
	memcpy(f->fds, pk->fds, pk->nr_fds * sizeof(int));
	pk->nr_fds = 0;
}

/*
 * A stream read stops after the buffer that carries descriptors (and, for
 * a reader with SO_PASSCRED, where the credentials change): of the @n
 * bytes at @off just read, at which one does that buffer start? A peek of
 * one byte inside it brings the descriptors again; before it, none.
 */
static ssize_t fds_start(struct peek *pk, size_t off, size_t n)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		ssize_t got = peek_at(pk, (int)(off + mid), 1);

		if (got < 0)
			return got;
		if (pk->nr_fds)
			hi = mid;
		else
			lo = mid + 1;
		peek_drop(pk);
	}
	return (ssize_t)lo;
}

/* Bytes of a stream: onto the last packet if it can take them (no
 * descriptors on either, the same credentials), else a packet of their own. */
static UnixSkPacket *stream_add(UnixSkEntry *u, const char *data, size_t len,
				const struct ucred *creds, bool merge)
{
	UnixSkPacket *last = u->n_queue ? u->queue[u->n_queue - 1] : NULL;

	if (!merge || !last || !creds_same(last, creds))
		return packet_add(u, data, len, creds);
	last->data.data = xrealloc(last->data.data, last->data.len + len + 1);
	memcpy(last->data.data + last->data.len, data, len);
	last->data.len += len;
	return last;
}

/* A stream: @total bytes (never more: a peek past the end would take a
 * pending error), in as few packets as the descriptors and credentials
 * in it allow. */
static int queue_read_stream(const struct fd_dump *d, struct peek *pk, size_t total, UnixSkEntry *u)
{
	bool merge = false; /* the last packet may take more bytes */
	size_t got = 0;

	while (got < total) {
		ssize_t n = peek_at(pk, (int)got, total - got), k;
		struct ucred creds = pk->creds;
		bool has_creds = pk->has_creds;
		struct peek held = { .nr_fds = pk->nr_fds };
		_cleanup_free_ char *chunk = NULL;

		if (n == 0)
			return -EIO;
		if (n < 0)
			return (int)n;
		if (!pk->nr_fds) {
			stream_add(u, pk->buf, (size_t)n, has_creds ? &creds : NULL, merge);
			merge = true;
			got += (size_t)n;
			continue;
		}
		memcpy(held.fds, pk->fds, pk->nr_fds * sizeof(int));
		pk->nr_fds = 0;
		chunk = xmalloc((size_t)n);
		memcpy(chunk, pk->buf, (size_t)n);
		k = fds_start(pk, got, (size_t)n);
		if (k < 0) {
			peek_drop(&held);
			return (int)k;
		}
		if (k)
			stream_add(u, chunk, (size_t)k, has_creds ? &creds : NULL, merge);
		inflight_add(d,
			     packet_add(u, chunk + k, (size_t)(n - k), has_creds ? &creds : NULL),
			     &held);
		merge = false;
		got += (size_t)n;
	}
	return 0;
}

/* Datagrams or records, one by one, each with its sender's address, the
 * descriptors in flight with it and its credentials. */
static int queue_read_packets(const struct fd_dump *d, struct peek *pk,
			      const struct unix_diag_sk *ds, UnixSkEntry *u)
{
	size_t off = 0, bytes = 0;

	for (size_t i = 0; i < MAX_PACKETS; i++) {
		size_t from_len;
		UnixSkPacket *p;
		ssize_t n;

		/* A shut-down seqpacket socket says end of file (0) where the
		 * others say EAGAIN: stop once its bytes are in. */
		if (ds->type == SOCK_SEQPACKET && (ds->shutdown & RCV_SHUTDOWN) &&
		    bytes == ds->rqueue)
			return 0;
		n = peek_at(pk, (int)off, SIZE_MAX);
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		p = packet_add(u, pk->buf, (size_t)n, pk->has_creds ? &pk->creds : NULL);
		if (pk->nr_fds)
			inflight_add(d, p, pk);
		from_len = pk->from_len > offsetof(struct sockaddr_un, sun_path)
				   ? pk->from_len - offsetof(struct sockaddr_un, sun_path)
				   : 0;
		if (from_len && ds->type == SOCK_DGRAM) {
			p->has_sender = true;
			p->sender.len = MIN(from_len, sizeof(pk->from.sun_path));
			p->sender.data = xmalloc(p->sender.len);
			memcpy(p->sender.data, pk->from.sun_path, p->sender.len);
		}
		/*
		 * The kernel skips a whole packet for each of its bytes the
		 * offset passes; an empty one it has returned once is marked
		 * "peeked" and skipped after, so this walks it once too (the
		 * mark stays: it only matters to a reader that peeks at an
		 * offset itself).
		 */
		off += (size_t)n;
		bytes += (size_t)n;
	}
	return -EFBIG;
}

/* Stream sockets can hold one out-of-band byte; it is not copied. */
static bool has_oob(int sk)
{
	char c;

	return recv(sk, &c, 1, MSG_OOB | MSG_PEEK | MSG_DONTWAIT) >= 0;
}

/* What poll() says, which reads nothing and clears nothing. */
static short poll_now(int sk)
{
	struct pollfd p = { .fd = sk, .events = POLLIN };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

int queue_dump(const struct fd_dump *d, int sk, const struct unix_diag_sk *ds, UnixSkEntry *u)
{
	struct peek pk = { .sk = sk, .trunc = ds->type != SOCK_STREAM };
	short ev = poll_now(sk);
	int peek_off = -1, r;

	/* A listener's queue holds connections, not data. */
	if (ds->state == SK_LISTEN || !(ev & POLLIN))
		return 0;
	if (ds->type == SOCK_STREAM && has_oob(sk))
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is a unix socket with out-of-band data",
			       d->pid, d->fd);
	/* Any read of a datagram socket takes its pending error (sock_error()
	 * in __skb_try_recv_datagram); a stream read only past the end. */
	if (ds->type != SOCK_STREAM && (ev & POLLERR))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a unix socket with an error pending, which reading its queue would clear",
			d->pid, d->fd);
	r = opt_int(sk, SO_PEEK_OFF, &peek_off);
	if (r >= 0)
		r = dguard_sock(sk, DG_SK_PEEK_OFF, 0, peek_off);
	if (r >= 0) {
		pk.cap = 65536;
		pk.buf = xmalloc(pk.cap);
		if (ds->type == SOCK_STREAM)
			r = queue_read_stream(d, &pk, ds->rqueue, u);
		else
			r = queue_read_packets(d, &pk, ds, u);
		peek_drop(&pk);
		free(pk.buf);
		/* the process's own offset back */
		if (setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &peek_off, sizeof(peek_off)) < 0 &&
		    r >= 0)
			r = -errno;
		dguard_sock_forget(sk);
	}
	if (r < 0)
		return pr_errno(r,
				"cannot dump %d: cannot read the queue of the unix socket at fd %d",
				d->pid, d->fd);
	return 0;
}

/* Kinds a file no process has open may be of: restored whole in ckpt,
 * with nothing left for a process of the tree to do. */
static bool unowned_ok(uint32_t kind)
{
	return kind == FD_KIND__FD_REG || kind == FD_KIND__FD_PIPE || kind == FD_KIND__FD_FIFO ||
	       kind == FD_KIND__FD_EVENTFD || kind == FD_KIND__FD_UNIX_SK;
}

/*
 * Each file in flight is a description of the table: the one a process
 * of the tree has open too, or one of its own that no process has (the
 * sender closed it once sent), dumped from ckpt's copy (files_dump_own),
 * which stays open until the dump is done. A unix socket in flight has
 * its own queue, which may hold more: @f->depth bounds the nesting.
 */
static int inflight_one(struct file_table *ft, struct unix_dump *ud, size_t i)
{
	struct inflight f = ud->v[i]; /* ud->v moves as sockets in flight add theirs */
	char what[PATH_MAX_LEN] = "?";

	f.p->fds = xmalloc(f.n * sizeof(*f.p->fds) + 1);
	for (size_t j = 0; j < f.n; j++) {
		size_t before = ft->img.n_files;
		char link[64];
		ssize_t n;
		int id;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", f.fds[j]);
		n = readlink(link, what, sizeof(what) - 1);
		what[n > 0 ? n : 1] = 0;
		if (f.depth >= INFLIGHT_DEPTH)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d is a unix socket with file descriptors in flight (SCM_RIGHTS) nested more than %d deep ('%s')",
				f.pid, f.fd, INFLIGHT_DEPTH, what);
		ud->depth = f.depth + 1;
		ud->pid = f.pid;
		ud->fd = f.fd;
		id = files_dump_own(ft, f.fds[j]);
		ud->depth = 0;
		if (id < 0)
			return id;
		if ((size_t)id >= before && !unowned_ok(ft->img.files[id]->kind))
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d is a unix socket with file descriptors in flight (SCM_RIGHTS) of a %s no process of the tree has open ('%s'), which is not restored",
				f.pid, f.fd, fd_kind_name(ft->img.files[id]->kind), what);
		f.p->fds[f.p->n_fds++] = (uint32_t)id;
	}
	return 0;
}

int inflight_resolve(struct file_table *ft, const int *pids, size_t nr_pids)
{
	struct unix_dump *ud = ft->state[FD_KIND__FD_UNIX_SK];
	int r = 0;

	for (size_t i = 0; ud && i < ud->n && r >= 0; i++)
		r = inflight_one(ft, ud, i);
	return r;
}

/* A sender that is not a process of the tree cannot be named again. */
void senders_of_tree(struct file_table *ft, const int *pids, size_t nr_pids)
{
	for (size_t i = 0; i < ft->img.n_files; i++) {
		const UnixSkEntry *u = ft->img.files[i]->unix_sk;

		for (size_t k = 0; u && k < u->n_queue; k++)
			if (u->queue[k]->has_pid &&
			    (u->queue[k]->pid > INT_MAX ||
			     !pid_listed(pids, nr_pids, (int)u->queue[k]->pid)))
				u->queue[k]->has_pid = false;
	}
}

void inflight_release(struct file_table *ft)
{
	struct unix_dump *ud = ft->state[FD_KIND__FD_UNIX_SK];

	if (!ud)
		return;
	for (size_t i = 0; i < ud->n; i++) {
		for (size_t j = 0; j < ud->v[i].n; j++)
			close(ud->v[i].fds[j]);
		free(ud->v[i].fds);
	}
	free(ud->v);
	free(ud);
	ft->state[FD_KIND__FD_UNIX_SK] = NULL;
}
