// SPDX-License-Identifier: GPL-2.0
/*
 * The receive queues of unix sockets refilled at restore (sk-unix.c): from
 * the peer or from each datagram's sender, with the descriptors in
 * flight and the credentials each message had; a queue that holds either
 * waits for the tree to be rebuilt (late_fill).
 */
#include "sk-unix.h"

#include "proc.h"
#include "sk-common.h"
#include "trust.h"
#include "util.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* What goes with a packet sent again: descriptors (ours), credentials. */
struct put_extra {
	const int *fds;
	size_t nr_fds;
	bool has_creds;
	struct ucred creds;
};

/* One sendmsg of @d from @fd, to @to (NULL: its peer), with @x. */
static ssize_t send_one(int fd, const ProtobufCBinaryData *d, const UnixSkEntry *to,
			const struct put_extra *x)
{
	char ctl[CMSG_SPACE(sizeof(int) * UNIX_MAX_FDS) + CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { d->data, d->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct sockaddr_un sa;
	struct cmsghdr *c;
	int here = -1, r = 0;
	ssize_t n;

	if (x && (x->nr_fds || x->has_creds)) {
		memset(ctl, 0, sizeof(ctl));
		msg.msg_control = ctl;
		msg.msg_controllen = (x->nr_fds ? CMSG_SPACE(sizeof(int) * x->nr_fds) : 0) +
				     (x->has_creds ? CMSG_SPACE(sizeof(x->creds)) : 0);
		c = CMSG_FIRSTHDR(&msg);
		if (x->nr_fds) {
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * x->nr_fds);
			memcpy(CMSG_DATA(c), x->fds, sizeof(int) * x->nr_fds);
			c = CMSG_NXTHDR(&msg, c);
		}
		if (x->has_creds) {
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_CREDENTIALS;
			c->cmsg_len = CMSG_LEN(sizeof(x->creds));
			memcpy(CMSG_DATA(c), &x->creds, sizeof(x->creds));
		}
	}
	if (to) {
		msg.msg_name = &sa;
		msg.msg_namelen = sun_of(&to->name, &sa);
		r = dir_enter(dir_of(to), &here);
		if (r < 0)
			return r;
	}
	n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	r = n < 0 ? -errno : 0;
	r = dir_leave(here, r);
	return r < 0 ? r : n;
}

/* Send @d from @fd, to @to (NULL: its peer), with @x: a stream in as many
 * writes as it takes (the descriptors with the first, the credentials
 * with each), anything else as one packet. */
static int put(int fd, const ProtobufCBinaryData *d, bool stream, const UnixSkEntry *to,
	       const struct put_extra *x, bool *raised)
{
	struct put_extra rest_x = x ? *x : (struct put_extra){ 0 };
	size_t done = 0;

	for (int grown = 0;;) {
		ProtobufCBinaryData rest = { d->len - done, d->data + done };
		ssize_t n = send_one(fd, &rest, to, &rest_x);

		if (n == -EAGAIN && grown++ < 8) {
			sndbuf_grow(fd, rest.len);
			*raised = true;
			continue;
		}
		if (n < 0)
			return (int)n;
		done += (size_t)n;
		rest_x.nr_fds = 0;
		if (done == d->len)
			return 0;
		if (!stream)
			return -EMSGSIZE;
	}
}

/* Credentials the owner of a set root does not trust could send itself. */
static bool owner_may_send(const struct trust *t, uint32_t uid, uint32_t gid)
{
	if (uid != t->owner)
		return false;
	if (gid == t->gid)
		return true;
	for (size_t i = 0; i < t->nr_groups; i++)
		if (gid == t->groups[i])
			return true;
	return false;
}

/*
 * The descriptors and credentials of @p into @x (@fds: room for them).
 * The credentials name the process that sent it if it is one of the tree
 * (ours to trace by now), else ckpt; a set root does not trust names its
 * owner's uid and gid only: ckpt, root, could name anyone.
 */
static int packet_extra(const struct unix_open *uo, const UnixSkPacket *p, int *fds,
			struct put_extra *x)
{
	struct proc_status st;

	*x = (struct put_extra){ .fds = fds, .nr_fds = p->n_fds };
	for (size_t k = 0; k < p->n_fds; k++) {
		fds[k] = uo->inflight && p->fds[k] < uo->nr_files ? uo->inflight[p->fds[k]] : -1;
		if (fds[k] < 0)
			return inconsistent();
	}
	if (!p->has_uid)
		return 0;
	x->has_creds = true;
	x->creds.pid = getpid();
	x->creds.uid = p->uid;
	x->creds.gid = p->gid;
	if (p->has_pid && proc_read_status((int)p->pid, &st) >= 0 && st.tracer_pid == getpid())
		x->creds.pid = (pid_t)p->pid;
	if (uo->trust && !uo->trust->trusted && !owner_may_send(uo->trust, p->uid, p->gid)) {
		x->creds.uid = uo->trust->owner;
		x->creds.gid = uo->trust->gid;
	}
	return 0;
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
	for (size_t k = 0; k < s->u->n_queue && r >= 0; k++) {
		int fds[UNIX_MAX_FDS];
		struct put_extra x;

		r = packet_extra(uo, s->u->queue[k], fds, &x);
		if (r >= 0)
			r = put(fd, &s->u->queue[k]->data, s->u->type == SOCK_STREAM, NULL, &x,
				&raised);
	}
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
		int fds[UNIX_MAX_FDS];
		struct put_extra x;
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
		r = packet_extra(uo, p, fds, &x);
		if (r >= 0)
			r = put(fd, &p->data, false, named(s->u) ? s->u : NULL, &x, &raised);
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

		if (!s->u->n_queue || s->deferred)
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

/* ---- restore, the tree rebuilt: queues with descriptors or credentials ---- */

bool unix_queue_waits(const UnixSkEntry *u)
{
	if (!u)
		return false;
	for (size_t k = 0; k < u->n_queue; k++)
		if (u->queue[k]->n_fds || u->queue[k]->has_uid)
			return true;
	return false;
}

/*
 * A queue that holds descriptors in flight or credentials is refilled at
 * the very end (late_fill): the descriptors are files of the table, open
 * only once every description is, and the credentials name processes of
 * the tree, which exist only once it is rebuilt. Until then the socket is
 * left unconnected (datagram) and not shut down, nor are those that send
 * to it.
 */
void late_mark(struct unix_open *uo)
{
	for (size_t i = 0; i < uo->n; i++) {
		struct usk *s = &uo->s[i];

		if (!s->u->n_queue || !unix_queue_waits(s->u))
			continue;
		s->deferred = s->late_shut = true;
		uo->nr_deferred++;
		if (stream_like(s->u->type) && s->peer >= 0)
			uo->s[s->peer].late_shut = true;
		for (size_t k = 0; !stream_like(s->u->type) && k < s->u->n_queue; k++) {
			int from = dgram_sender(uo, s, s->u->queue[k]);

			if (from >= 0)
				uo->s[from].late_shut = true;
		}
	}
}

int late_fill(struct unix_open *uo)
{
	char buf[NAME_STR_LEN + 32];
	int r = 0;

	for (size_t i = 0; i < uo->n; i++)
		uo->s[i].sndbuf_raised = false;
	for (size_t i = 0; i < uo->n && r >= 0; i++) {
		struct usk *s = &uo->s[i];

		if (!s->deferred)
			continue;
		r = stream_like(s->u->type) ? fill_stream(uo, s) : fill_dgram(uo, s);
		if (r < 0 && r != -EBADMSG)
			r = pr_errno(r, "cannot restore: cannot refill the queue of %s",
				     usk_str(s->u, buf, sizeof(buf)));
		if (r >= 0)
			r = connect_one(uo, s);
		if (s->pal >= 0)
			close(s->pal);
		s->pal = -1;
		if (r >= 0)
			r = sk_common_restore_filter(s->e, s->fd);
	}
	if (r >= 0)
		r = shutdown_some(uo, true);
	if (r >= 0)
		r = opts_raised(uo);
	return r;
}
