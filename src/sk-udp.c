// SPDX-License-Identifier: GPL-2.0
/*
 * The receive queue of a UDP socket (see sk-inet.h).
 *
 * Dump: each datagram is peeked at, oldest first, with its sender's
 * address, at an offset ckpt moves itself (SO_PEEK_OFF: the kernel skips
 * whole datagrams, the bytes of each; the process's own offset is put back
 * by the caller, or by the dump guardian if ckpt dies). A pending error
 * would be taken by the first read: such a socket is refused by the
 * caller.
 *
 * Restore: each datagram is sent again to the new socket, bound and not
 * yet connected (a connected one takes only its peer's), from its sender's
 * address and port (sk-inject.c), in order: the loopback keeps it. What
 * the socket asks to be told with each the kernel makes anew on the way:
 * the address it came to (IP_PKTINFO: saved when the socket asks for it;
 * else the socket's address, or the loopback's for one bound to any), its
 * TOS and TTL (IP_RECVTOS, IP_RECVTTL: saved when asked for; else the
 * loopback's), the time (a timestamp: the restore's).
 */
#include "sk-inet.h"

#include "util.h"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A queue holds what its receive buffer holds; more did not come from a dump. */
#define MAX_DGRAMS 65536
#define MAX_DGRAM 65535
/* How long the datagrams sent again may take to be queued (loopback). */
#define REFILL_MS 5000
#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif

static int peek_off_set(int sk, int off)
{
	return setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0 ? -errno : 0;
}

/* What the socket asked to be told with a datagram (see udp_dgram_entry). */
struct dgram_info {
	uint8_t dst[16];
	size_t dst_len;
	int tos, ttl;
};

static void cmsg_int(const struct cmsghdr *c, size_t size, int *ret)
{
	if (size == 1) {
		*ret = *(const uint8_t *)CMSG_DATA(c);
	} else if (c->cmsg_len >= CMSG_LEN(sizeof(int))) {
		memcpy(ret, CMSG_DATA(c), sizeof(int));
	}
}

static void info_read(struct msghdr *msg, struct dgram_info *in)
{
	memset(in, 0, sizeof(*in));
	in->tos = in->ttl = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(in->dst, &pi.ipi_addr, 4);
			in->dst_len = 4;
		} else if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(in->dst, &pi.ipi6_addr, 16);
			in->dst_len = 16;
		} else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TOS &&
			   c->cmsg_len >= CMSG_LEN(1)) {
			/* IP_RECVTOS: one byte */
			cmsg_int(c, 1, &in->tos);
		} else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL) {
			cmsg_int(c, sizeof(int), &in->ttl);
		} else if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_TCLASS) {
			cmsg_int(c, sizeof(int), &in->tos);
		} else if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
			cmsg_int(c, sizeof(int), &in->ttl);
		}
	}
}

/* The datagram at offset @off: its length (MSG_TRUNC: whole, even past
 * @cap), -EAGAIN at the end of the queue; @in (if not NULL): what the
 * socket asks to be told with it. */
static ssize_t peek_at(int sk, int off, uint8_t *buf, size_t cap, union sk_addr *from,
		       struct dgram_info *in)
{
	char ctl[1024]; /* pktinfo, TOS, TTL, timestamps... */
	struct iovec iov = { buf, cap };
	struct msghdr msg = {
		.msg_name = from,
		.msg_namelen = sizeof(*from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = in ? ctl : NULL,
		.msg_controllen = in ? sizeof(ctl) : 0,
	};
	ssize_t n;
	int r = peek_off_set(sk, off);

	if (r < 0)
		return r;
	memset(from, 0, sizeof(*from));
	n = recvmsg(sk, &msg, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (in)
		info_read(&msg, in);
	return n;
}

static void dgram_add(InetSkEntry *s, const uint8_t *data, size_t len, const union sk_addr *from,
		      const struct dgram_info *in)
{
	UdpDgramEntry *d = xmalloc(sizeof(*d));
	const void *raw = &from->v4.sin_addr;
	size_t alen = sizeof(from->v4.sin_addr);

	udp_dgram_entry__init(d);
	d->data.len = len;
	d->data.data = xmalloc(len + 1);
	memcpy(d->data.data, data, len);
	if (from->sa.sa_family == AF_INET6) {
		raw = &from->v6.sin6_addr;
		alen = sizeof(from->v6.sin6_addr);
		d->has_src_scope_id = from->v6.sin6_scope_id != 0;
		d->src_scope_id = from->v6.sin6_scope_id;
	}
	d->src_addr.len = alen;
	d->src_addr.data = xmalloc(alen);
	memcpy(d->src_addr.data, raw, alen);
	d->src_port = ntohs(from->v4.sin_port); /* the same place in both */
	/* A pktinfo of the other family (IP_PKTINFO on an IPv6 socket)
	 * says no more than its twin: only the socket's own is kept. */
	if (in->dst_len == alen) {
		d->has_dst_addr = true;
		d->dst_addr.len = alen;
		d->dst_addr.data = xmalloc(alen);
		memcpy(d->dst_addr.data, in->dst, alen);
	}
	d->has_tos = in->tos >= 0 && in->tos <= 255;
	d->tos = (uint32_t)in->tos;
	d->has_ttl = in->ttl > 0 && in->ttl <= 255;
	d->ttl = (uint32_t)in->ttl;
	s->queue = xrealloc(s->queue, (s->n_queue + 1) * sizeof(*s->queue));
	s->queue[s->n_queue++] = d;
}

int udp_queue_dump(int sk, InetSkEntry *s)
{
	struct pollfd p = { .fd = sk, .events = POLLIN };
	_cleanup_free_ uint8_t *buf = NULL;
	size_t off = 0;

	/* Nothing to read, or an error any read would take first. */
	if (poll(&p, 1, 0) < 0)
		return -errno;
	if (p.revents & POLLERR)
		return -EPIPE;
	if (!(p.revents & POLLIN))
		return 0;
	buf = xmalloc(MAX_DGRAM + 1);
	for (size_t i = 0; i < MAX_DGRAMS; i++) {
		struct dgram_info in;
		union sk_addr from;
		ssize_t n;

		if (off > INT32_MAX)
			return -EFBIG;
		n = peek_at(sk, (int)off, buf, MAX_DGRAM + 1, &from, &in);
		if (n == -EAGAIN)
			return peek_off_set(sk, -1);
		if (n < 0)
			return (int)n;
		if (n > MAX_DGRAM ||
		    (from.sa.sa_family != AF_INET && from.sa.sa_family != AF_INET6))
			return -EBADMSG;
		dgram_add(s, buf, (size_t)n, &from, &in);
		/* An empty datagram, once peeked at, is skipped at the same
		 * offset (the kernel marks it). */
		off += (size_t)n;
	}
	return -EFBIG;
}

int udp_queue_check(const InetSkEntry *s)
{
	size_t alen = s->family == AF_INET6 ? 16 : 4;

	/* A socket gets datagrams once it has a port. */
	if (s->n_queue && (s->protocol != IPPROTO_UDP || s->n_queue > MAX_DGRAMS || !s->src_port))
		return -EBADMSG;
	for (size_t i = 0; i < s->n_queue; i++) {
		const UdpDgramEntry *d = s->queue[i];

		if (!d || d->data.len > MAX_DGRAM || (d->data.len && !d->data.data) ||
		    d->src_addr.len != alen || !d->src_addr.data || !d->src_port ||
		    d->src_port > 65535 ||
		    (d->has_dst_addr && (d->dst_addr.len != alen || !d->dst_addr.data)) ||
		    (d->has_tos && d->tos > 255) || (d->has_ttl && (!d->ttl || d->ttl > 255)))
			return -EBADMSG;
	}
	return 0;
}

static void sender_load(const InetSkEntry *s, const UdpDgramEntry *d, union sk_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->sa.sa_family = (sa_family_t)s->family;
	a->v4.sin_port = htons((uint16_t)d->src_port);
	if (s->family == AF_INET6) {
		memcpy(&a->v6.sin6_addr, d->src_addr.data, 16);
		a->v6.sin6_scope_id = d->src_scope_id;
	} else {
		memcpy(&a->v4.sin_addr, d->src_addr.data, 4);
	}
}

/* Where a datagram from @from came to a socket bound to @bound: its
 * address, or the loopback's for a socket bound to any. */
static void dest_of(const union sk_addr *bound, const union sk_addr *from, union sk_addr *to)
{
	union sk_addr f = *from;

	*to = *bound;
	addr_unmap(&f);
	if (to->sa.sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&to->v6.sin6_addr)) {
		if (f.sa.sa_family == AF_INET6) {
			to->v6.sin6_addr = in6addr_loopback;
		} else {
			/* An IPv4 sender of a dual-stack socket. */
			to->v6.sin6_addr.s6_addr[10] = to->v6.sin6_addr.s6_addr[11] = 0xff;
			to->v6.sin6_addr.s6_addr[12] = 127;
			to->v6.sin6_addr.s6_addr[15] = 1;
		}
	} else if (to->sa.sa_family == AF_INET && to->v4.sin_addr.s_addr == htonl(INADDR_ANY)) {
		to->v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
}

/* Where it came to, as the socket was told (IP_PKTINFO). */
static void dest_told(const InetSkEntry *s, const UdpDgramEntry *d, const union sk_addr *bound,
		      union sk_addr *to)
{
	*to = *bound;
	if (s->family == AF_INET6)
		memcpy(&to->v6.sin6_addr, d->dst_addr.data, 16);
	else
		memcpy(&to->v4.sin_addr, d->dst_addr.data, 4);
}

static int dgram_send(const InetSkEntry *s, const UdpDgramEntry *d, const union sk_addr *bound)
{
	_cleanup_free_ uint8_t *buf = xmalloc(sizeof(struct udphdr) + d->data.len);
	struct udphdr uh = {
		.source = htons((uint16_t)d->src_port),
		.dest = bound->v4.sin_port, /* the same place in both */
		.len = htons((uint16_t)(sizeof(uh) + d->data.len)),
	};
	struct inject_ip ip = { d->has_tos ? (int)d->tos : -1, d->has_ttl ? (int)d->ttl : -1 };
	union sk_addr from, to;
	int r = -EADDRNOTAVAIL;

	sender_load(s, d, &from);
	memcpy(buf, &uh, sizeof(uh));
	if (d->data.len)
		memcpy(buf + sizeof(uh), d->data.data, d->data.len);
	if (d->has_dst_addr) {
		dest_told(s, d, bound, &to);
		r = inet_inject(IPPROTO_UDP, &from, &to, &ip, buf, sizeof(uh) + d->data.len,
				offsetof(struct udphdr, check));
	}
	/* Not told, or not an address of ours (broadcast, multicast): to the
	 * socket's own. */
	if (r == -EADDRNOTAVAIL) {
		dest_of(bound, &from, &to);
		r = inet_inject(IPPROTO_UDP, &from, &to, &ip, buf, sizeof(uh) + d->data.len,
				offsetof(struct udphdr, check));
	}
	return r;
}

/* How many datagrams @sk holds (it is ours: its peek offset is moved). */
static int queued(int sk, size_t max, size_t *ret)
{
	size_t off = 0, n = 0;
	union sk_addr from;
	uint8_t byte;

	for (; n <= max; n++) {
		ssize_t len = peek_at(sk, (int)off, &byte, 1, &from, NULL);

		if (len == -EAGAIN)
			break;
		if (len < 0)
			return (int)len;
		off += (size_t)len;
	}
	*ret = n;
	return 0;
}

int udp_queue_refill(int sk, const InetSkEntry *s, const union sk_addr *bound)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + REFILL_MS * 1000000ULL;
	struct timespec tick = { 0, 1000000 };
	int size = 0, peek = -1, lock = -1, grown, r = 0;
	socklen_t len = sizeof(int);
	size_t total = 0, n = 0;

	if (!s->n_queue)
		return 0;
	if (getsockopt(sk, SOL_SOCKET, SO_RCVBUF, &size, &len) < 0 ||
	    getsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &peek, &len) < 0)
		return -errno;
	/* Setting a size locks it (before Linux 5.14 nobody can tell). */
	if (getsockopt(sk, SOL_SOCKET, SO_BUF_LOCK, &lock, &len) < 0)
		lock = -1;
	/* Room for all of them whatever their overhead (the kernel doubles
	 * what it is given), for as long as it takes. */
	for (size_t i = 0; i < s->n_queue; i++)
		total += s->queue[i]->data.len + 1024;
	grown = (int)MIN((size_t)size / 2 + total, (size_t)INT32_MAX / 2);
	if (setsockopt(sk, SOL_SOCKET, SO_RCVBUFFORCE, &grown, sizeof(grown)) < 0)
		return -errno;
	for (size_t i = 0; i < s->n_queue && r >= 0; i++)
		r = dgram_send(s, s->queue[i], bound);
	while (r >= 0) {
		r = queued(sk, s->n_queue, &n);
		if (r < 0 || n >= s->n_queue || now_ns(CLOCK_MONOTONIC) > end)
			break;
		nanosleep(&tick, NULL);
	}
	/* More: a live sender's, come meanwhile. */
	if (r >= 0 && n < s->n_queue)
		r = -ETIMEDOUT;
	size /= 2;
	if (setsockopt(sk, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 && r >= 0)
		r = -errno;
	if (lock >= 0 && setsockopt(sk, SOL_SOCKET, SO_BUF_LOCK, &lock, sizeof(lock)) < 0 && r >= 0)
		r = -errno;
	if (peek_off_set(sk, peek) < 0 && r >= 0)
		r = -errno;
	return r;
}
