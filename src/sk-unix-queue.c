// SPDX-License-Identifier: GPL-2.0
/*
 * The receive queues of unix sockets (sk-unix.c): read at dump without
 * taking anything (MSG_PEEK at an offset ckpt moves), refilled at restore
 * from the peer or from each datagram's sender.
 */
#include "sk-unix.h"

#include "dump-guard.h"
#include "util.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Close what a peek passed us; true if it carried file descriptors. */
static bool drop_passed_fds(struct msghdr *msg)
{
	bool fds = msg->msg_flags & MSG_CTRUNC;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *p = (int *)CMSG_DATA(c);

		if (c->cmsg_level != SOL_SOCKET ||
		    (c->cmsg_type != SCM_RIGHTS && c->cmsg_type != SCM_PIDFD))
			continue;
		fds |= c->cmsg_type == SCM_RIGHTS;
		for (size_t i = 0; i < n; i++)
			close(p[i]);
	}
	return fds;
}

struct peek {
	int sk;
	bool trunc; /* MSG_TRUNC tells the real size (not for streams) */
	char *buf;
	size_t cap;
	struct sockaddr_un from;
	socklen_t from_len;
};

/*
 * The packet at offset @off of the queue (stream: up to @want bytes from
 * @off), without taking it: its length, -EAGAIN at the end of the queue,
 * -EBADF if it carries file descriptors, or -errno.
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

		if (setsockopt(pk->sk, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
			return -errno;
		n = recvmsg(pk->sk, &msg, flags);
		if (n < 0)
			return -errno;
		if (drop_passed_fds(&msg))
			return -EBADF;
		if ((size_t)n <= iov.iov_len) {
			pk->from_len = msg.msg_namelen;
			return n;
		}
		pk->cap = (size_t)n;
		pk->buf = xrealloc(pk->buf, pk->cap);
	}
}

static UnixSkPacket *packet_add(UnixSkEntry *u, const void *data, size_t len)
{
	UnixSkPacket *p = xmalloc(sizeof(*p));

	unix_sk_packet__init(p);
	p->data.len = len;
	p->data.data = xmalloc(len + 1);
	memcpy(p->data.data, data, len);
	u->queue = xrealloc(u->queue, (u->n_queue + 1) * sizeof(*u->queue));
	u->queue[u->n_queue++] = p;
	return p;
}

/* A stream: @total bytes (never more: a peek past the end would take a
 * pending error), kept as one packet. */
static int queue_read_stream(struct peek *pk, size_t total, UnixSkEntry *u)
{
	char *all = xmalloc(total + 1);
	size_t got = 0;
	int r = 0;

	while (got < total && r >= 0) {
		ssize_t n = peek_at(pk, (int)got, total - got);

		if (n == 0)
			r = -EIO;
		else if (n < 0)
			r = (int)n;
		else
			memcpy(all + got, pk->buf, (size_t)n);
		got += n > 0 ? (size_t)n : 0;
	}
	if (r >= 0 && total)
		packet_add(u, all, total);
	free(all);
	return r;
}

/* Datagrams or records, one by one, each with its sender's address. */
static int queue_read_packets(struct peek *pk, const struct unix_diag_sk *ds, UnixSkEntry *u)
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
		p = packet_add(u, pk->buf, (size_t)n);
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
			r = queue_read_stream(&pk, ds->rqueue, u);
		else
			r = queue_read_packets(&pk, ds, u);
		free(pk.buf);
		/* the process's own offset back */
		if (setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &peek_off, sizeof(peek_off)) < 0 &&
		    r >= 0)
			r = -errno;
		dguard_sock_forget(sk);
	}
	if (r == -EBADF)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a unix socket with file descriptors in flight in its queue (SCM_RIGHTS)",
			d->pid, d->fd);
	if (r < 0)
		return pr_errno(r,
				"cannot dump %d: cannot read the queue of the unix socket at fd %d",
				d->pid, d->fd);
	return 0;
}

/* Room for @len more bytes in the send buffer of @fd (past wmem_max:
 * SO_SNDBUFFORCE, CAP_NET_ADMIN). The kernel doubles what it is given. */
static void sndbuf_grow(int fd, size_t len)
{
	int cur = 0, want;
	socklen_t sl = sizeof(cur);

	(void)getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl);
	want = (int)MIN((size_t)cur + len + 65536, (size_t)INT32_MAX / 4);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

/* Send @d from @fd, to @to (NULL: its peer): a stream in as many writes
 * as it takes, anything else as one packet. */
static int put(int fd, const ProtobufCBinaryData *d, bool stream, const UnixSkEntry *to,
	       bool *raised)
{
	size_t done = 0;

	for (int grown = 0;;) {
		ProtobufCBinaryData rest = { d->len - done, d->data + done };
		ssize_t n;
		int r = 0;

		if (to) {
			r = sun_do(SUN_SENDTO, fd, &to->name, dir_of(to), &rest);
			n = r < 0 ? r : (ssize_t)rest.len;
		} else {
			n = send(fd, rest.data, rest.len, MSG_DONTWAIT | MSG_NOSIGNAL);
			n = n < 0 ? -errno : n;
		}
		if (n == -EAGAIN && grown++ < 8) {
			sndbuf_grow(fd, rest.len);
			*raised = true;
			continue;
		}
		if (n < 0)
			return (int)n;
		done += (size_t)n;
		if (done == d->len)
			return 0;
		if (!stream)
			return -EMSGSIZE;
	}
}

/* Stream and seqpacket: what waited came from the peer. */
static int fill_stream(struct unix_open *uo, struct usk *s)
{
	struct usk *from = s->peer >= 0 ? &uo->s[s->peer] : NULL;
	int fd = from ? from->fd : s->pal;
	bool raised = false;
	int r = 0;

	if (fd < 0)
		return inconsistent();
	for (size_t k = 0; k < s->u->n_queue && r >= 0; k++)
		r = put(fd, &s->u->queue[k]->data, s->u->type == SOCK_STREAM, NULL, &raised);
	if (from)
		from->sndbuf_raised |= raised;
	return r;
}

/* Who sends datagram @p to @s again: the socket of the tree that sent it
 * (by its address, or the unnamed partner of a socketpair), or -1 for
 * one that sends from no address. */
static int dgram_sender(const struct unix_open *uo, const struct usk *s, const UnixSkPacket *p)
{
	if (p->has_sender && p->sender.len) {
		UnixSkEntry as = UNIX_SK_ENTRY__INIT;

		as.has_name = true;
		as.name = p->sender;
		if (s->peer >= 0 && names_equal(uo->s[s->peer].u, &as))
			return s->peer;
		for (size_t j = 0; j < uo->n; j++)
			if (uo->s[j].u->type == SOCK_DGRAM && names_equal(uo->s[j].u, &as))
				return (int)j;
		return -1;
	}
	if (s->linked >= 0 && !named(uo->s[s->linked].u))
		return s->linked;
	return -1;
}

int dgram_connect_peer(struct unix_open *uo, struct usk *s)
{
	const UnixSkEntry *p = uo->s[s->peer].u;
	char buf[NAME_STR_LEN + 32];
	int r;

	if (!named(p))
		return inconsistent();
	r = sun_do(SUN_CONNECT, s->fd, &p->name, dir_of(p), NULL);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot connect to %s",
				usk_str(p, buf, sizeof(buf)));
	s->connected = true;
	return 0;
}

/*
 * Datagrams, each from its sender. A connected socket takes datagrams
 * from its peer only, and only a datagram from elsewhere that came before
 * it connected can be in its queue: it is connected to its peer just
 * before the first datagram from the peer.
 */
static int fill_dgram(struct unix_open *uo, struct usk *s)
{
	int self = (int)(s - uo->s);

	for (size_t k = 0; k < s->u->n_queue; k++) {
		const UnixSkPacket *p = s->u->queue[k];
		int from = dgram_sender(uo, s, p), fd = -1, r = 0;
		bool raised = false;

		if (from >= 0 && from == s->peer && !s->connected)
			r = dgram_connect_peer(uo, s);
		if (from >= 0)
			fd = uo->s[from].fd;
		else if (!named(s->u))
			fd = s->pal; /* the partner made for it: its peer is gone */
		else if (uo->anon < 0 && r >= 0)
			r = sk_new(uo, SOCK_DGRAM, &uo->anon);
		if (r < 0)
			return r;
		fd = fd >= 0 ? fd : uo->anon;
		/* An unnamed socket can only be reached by its partner. */
		if (!named(s->u) && (from >= 0 ? uo->s[from].linked != self : fd < 0))
			return inconsistent();
		r = put(fd, &p->data, false, named(s->u) ? s->u : NULL, &raised);
		if (r < 0)
			return r;
		if (from >= 0)
			uo->s[from].sndbuf_raised |= raised;
	}
	return 0;
}

int fill_all(struct unix_open *uo)
{
	char buf[NAME_STR_LEN + 32];

	for (size_t i = 0; i < uo->n; i++) {
		struct usk *s = &uo->s[i];
		int r;

		if (!s->u->n_queue)
			continue;
		r = stream_like(s->u->type) ? fill_stream(uo, s) : fill_dgram(uo, s);
		if (r == -EBADMSG)
			return r;
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot refill the queue of %s",
					usk_str(s->u, buf, sizeof(buf)));
	}
	return 0;
}
