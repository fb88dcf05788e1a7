// SPDX-License-Identifier: GPL-2.0
/*
 * What every socket has, whatever its family, that its kind (sk-unix.c,
 * sk-inet.c) does not save itself.
 *
 * A classic socket filter (SO_ATTACH_FILTER) is read back with
 * SO_GET_FILTER and attached again, locked again if it was
 * (SO_LOCK_FILTER), once the kind has built the socket and refilled its
 * queue (the filter would judge the restored data again). An eBPF filter
 * cannot be read back: refused. SO_BUF_LOCK is set last, over what setting
 * the buffer sizes implied.
 *
 * SOL_SOCKET options no kind saves (for unix sockets: all but the few
 * sk-unix.c keeps) are saved when their value differs from a new socket's
 * of the same family, type and protocol, and set again as they were read.
 * A set root does not trust may not ask for one that takes a privilege
 * (CAP_NET_ADMIN): ckpt, root, would grant it.
 */
#include "sk-common.h"
#include "sock-diag.h"

#include "files.h"
#include "sk-unix.h"

#include "trust.h"
#include "util.h"

#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/time.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif
#ifndef SO_RESERVE_MEM
#define SO_RESERVE_MEM 73
#endif
#ifndef SO_TXREHASH
#define SO_TXREHASH 74
#endif
#ifndef SO_RCVMARK
#define SO_RCVMARK 75
#endif
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif
#define BUF_LOCKS 3 /* SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK */

#define C SKO_COMMON
#define I SKO_INET
#define U SKO_UNIX
#define CU SKO_C_UNIX

/* Those that change what bind() does first. */
const struct sk_opt sk_opts[] = {
	{ SOL_SOCKET, SO_BINDTODEVICE, 0, "SO_BINDTODEVICE", I | SKO_SPECIAL },
	{ SOL_SOCKET, SO_REUSEADDR, 0, "SO_REUSEADDR", I | SKO_BOOL },
	{ SOL_SOCKET, SO_REUSEPORT, 0, "SO_REUSEPORT", I | SKO_BOOL },
	{ SOL_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY", I | SKO_V6 | SKO_BOOL },
	{ SOL_IP, IP_FREEBIND, 0, "IP_FREEBIND", I | SKO_BOOL },
	{ SOL_IP, IP_TRANSPARENT, 0, "IP_TRANSPARENT", I | SKO_BOOL },
	{ SOL_IP, IP_BIND_ADDRESS_NO_PORT, 0, "IP_BIND_ADDRESS_NO_PORT", I | SKO_BOOL },
	/* Forced (CAP_NET_ADMIN): the queues must fit whatever the limits. */
	{ SOL_SOCKET, SO_SNDBUF, SO_SNDBUFFORCE, "SO_SNDBUF", I | U | SKO_HALF },
	{ SOL_SOCKET, SO_RCVBUF, SO_RCVBUFFORCE, "SO_RCVBUF", I | U | SKO_HALF },
	{ SOL_SOCKET, SO_KEEPALIVE, 0, "SO_KEEPALIVE", I | CU | SKO_BOOL },
	{ SOL_SOCKET, SO_BROADCAST, 0, "SO_BROADCAST", I | CU | SKO_BOOL },
	{ SOL_SOCKET, SO_DONTROUTE, 0, "SO_DONTROUTE", I | CU | SKO_BOOL },
	{ SOL_SOCKET, SO_OOBINLINE, 0, "SO_OOBINLINE", I | CU | SKO_BOOL },
	{ SOL_SOCKET, SO_NO_CHECK, 0, "SO_NO_CHECK", I | CU | SKO_BOOL },
	{ SOL_SOCKET, SO_LINGER, 0, "SO_LINGER", I | CU | SKO_SPECIAL },
	{ SOL_SOCKET, SO_RCVLOWAT, 0, "SO_RCVLOWAT", I | U },
	{ SOL_SOCKET, SO_RCVTIMEO_OLD, 0, "SO_RCVTIMEO", I | U | SKO_TIMEVAL },
	{ SOL_SOCKET, SO_SNDTIMEO_OLD, 0, "SO_SNDTIMEO", I | U | SKO_TIMEVAL },
	{ SOL_SOCKET, SO_TIMESTAMP_OLD, 0, "SO_TIMESTAMP", I | CU | SKO_BOOL },
	{ SOL_SOCKET, SO_TIMESTAMPNS_OLD, 0, "SO_TIMESTAMPNS", I | CU | SKO_BOOL },
	{ SOL_SOCKET, SO_TIMESTAMPING_OLD, 0, "SO_TIMESTAMPING", I | CU | SKO_SPECIAL },
	{ SOL_SOCKET, SO_MARK, 0, "SO_MARK", I | CU | SKO_PRIV },
	{ SOL_SOCKET, SO_BUSY_POLL, 0, "SO_BUSY_POLL", I | CU | SKO_PRIV },
	{ SOL_SOCKET, SO_MAX_PACING_RATE, 0, "SO_MAX_PACING_RATE", I | CU | SKO_SPECIAL },
	{ SOL_SOCKET, SO_ZEROCOPY, 0, "SO_ZEROCOPY", I | SKO_BOOL },
	{ SOL_SOCKET, SO_SELECT_ERR_QUEUE, 0, "SO_SELECT_ERR_QUEUE", I | CU | SKO_BOOL },
	{ SOL_SOCKET, SO_PEEK_OFF, 0, "SO_PEEK_OFF", I | U },
	{ SOL_IP, IP_TOS, 0, "IP_TOS", I },
	/* after IP_TOS, which may change it */
	{ SOL_SOCKET, SO_PRIORITY, 0, "SO_PRIORITY", I | CU | SKO_PRIV },
	{ SOL_IP, IP_TTL, 0, "IP_TTL", I },
	{ SOL_IP, IP_MTU_DISCOVER, 0, "IP_MTU_DISCOVER", I },
	{ SOL_IP, IP_RECVERR, 0, "IP_RECVERR", I },
	{ SOL_IP, IP_PKTINFO, 0, "IP_PKTINFO", I },
	{ SOL_IP, IP_RECVTOS, 0, "IP_RECVTOS", I },
	{ SOL_IP, IP_RECVTTL, 0, "IP_RECVTTL", I },
	{ SOL_IP, IP_RECVORIGDSTADDR, 0, "IP_RECVORIGDSTADDR", I },
	{ SOL_IP, IP_MINTTL, 0, "IP_MINTTL", I },
	{ SOL_IP, IP_MULTICAST_TTL, 0, "IP_MULTICAST_TTL", I | SKO_UDP },
	{ SOL_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP", I | SKO_UDP },
	{ SOL_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL", I | SKO_UDP },
	{ SOL_IPV6, IPV6_TCLASS, 0, "IPV6_TCLASS", I | SKO_V6 },
	{ SOL_IPV6, IPV6_UNICAST_HOPS, 0, "IPV6_UNICAST_HOPS", I | SKO_V6 },
	{ SOL_IPV6, IPV6_MTU_DISCOVER, 0, "IPV6_MTU_DISCOVER", I | SKO_V6 },
	{ SOL_IPV6, IPV6_RECVERR, 0, "IPV6_RECVERR", I | SKO_V6 },
	{ SOL_IPV6, IPV6_RECVPKTINFO, 0, "IPV6_RECVPKTINFO", I | SKO_V6 },
	{ SOL_IPV6, IPV6_RECVTCLASS, 0, "IPV6_RECVTCLASS", I | SKO_V6 },
	{ SOL_IPV6, IPV6_RECVHOPLIMIT, 0, "IPV6_RECVHOPLIMIT", I | SKO_V6 },
	{ SOL_IPV6, IPV6_MULTICAST_HOPS, 0, "IPV6_MULTICAST_HOPS", I | SKO_V6 | SKO_UDP },
	{ SOL_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP", I | SKO_V6 | SKO_UDP },
	{ SOL_IPV6, IPV6_DONTFRAG, 0, "IPV6_DONTFRAG", I | SKO_V6 },
	{ SOL_TCP, TCP_NODELAY, 0, "TCP_NODELAY", I | SKO_TCP | SKO_BOOL },
	{ SOL_TCP, TCP_CORK, 0, "TCP_CORK", I | SKO_TCP | SKO_BOOL },
	{ SOL_TCP, TCP_MAXSEG, 0, "TCP_MAXSEG", I | SKO_TCP | SKO_UNCONNECTED },
	{ SOL_TCP, TCP_KEEPIDLE, 0, "TCP_KEEPIDLE", I | SKO_TCP },
	{ SOL_TCP, TCP_KEEPINTVL, 0, "TCP_KEEPINTVL", I | SKO_TCP },
	{ SOL_TCP, TCP_KEEPCNT, 0, "TCP_KEEPCNT", I | SKO_TCP },
	{ SOL_TCP, TCP_SYNCNT, 0, "TCP_SYNCNT", I | SKO_TCP },
	{ SOL_TCP, TCP_LINGER2, 0, "TCP_LINGER2", I | SKO_TCP },
	{ SOL_TCP, TCP_DEFER_ACCEPT, 0, "TCP_DEFER_ACCEPT", I | SKO_TCP },
	{ SOL_TCP, TCP_USER_TIMEOUT, 0, "TCP_USER_TIMEOUT", I | SKO_TCP },
	{ SOL_TCP, TCP_NOTSENT_LOWAT, 0, "TCP_NOTSENT_LOWAT", I | SKO_TCP },
	{ SOL_TCP, TCP_CONGESTION, 0, "TCP_CONGESTION", I | SKO_TCP | SKO_SPECIAL },
	{ SOL_TCP, TCP_FASTOPEN, 0, "TCP_FASTOPEN", I | SKO_TCP },
	{ SOL_TCP, TCP_THIN_LINEAR_TIMEOUTS, 0, "TCP_THIN_LINEAR_TIMEOUTS", I | SKO_TCP },
	{ SOL_UDP, UDP_CORK, 0, "UDP_CORK", I | SKO_UDP | SKO_BOOL },
	{ SOL_UDP, UDP_SEGMENT, 0, "UDP_SEGMENT", I | SKO_UDP },
	{ SOL_UDP, UDP_GRO, 0, "UDP_GRO", I | SKO_UDP },
	/* What a unix socket passes along with each message it receives. */
	{ SOL_SOCKET, SO_PASSCRED, 0, "SO_PASSCRED", U | SKO_BOOL },
	{ SOL_SOCKET, SO_PASSSEC, 0, "SO_PASSSEC", U | SKO_BOOL },
	{ SOL_SOCKET, SO_PASSPIDFD, 0, "SO_PASSPIDFD", U | SKO_BOOL },
	/* No kind saves these: sk-common.c does, in the sock entry. */
	{ SOL_SOCKET, SO_DEBUG, 0, "SO_DEBUG", C | SKO_PRIV },
	{ SOL_SOCKET, SO_RXQ_OVFL, 0, "SO_RXQ_OVFL", C },
	{ SOL_SOCKET, SO_WIFI_STATUS, 0, "SO_WIFI_STATUS", C },
	{ SOL_SOCKET, SO_PREFER_BUSY_POLL, 0, "SO_PREFER_BUSY_POLL", C | SKO_PRIV },
	{ SOL_SOCKET, SO_BUSY_POLL_BUDGET, 0, "SO_BUSY_POLL_BUDGET", C | SKO_PRIV },
	{ SOL_SOCKET, SO_RESERVE_MEM, 0, "SO_RESERVE_MEM", C },
	{ SOL_SOCKET, SO_TXREHASH, 0, "SO_TXREHASH", C },
	{ SOL_SOCKET, SO_RCVMARK, 0, "SO_RCVMARK", C },
	{ SOL_SOCKET, SO_PASSRIGHTS, 0, "SO_PASSRIGHTS", C },
};
const size_t nr_sk_opts = ARRAY_SIZE(sk_opts);

#undef C
#undef I
#undef U
#undef CU

const struct sk_opt *sk_opt_find(uint32_t level, uint32_t name)
{
	for (size_t i = 0; i < nr_sk_opts; i++)
		if ((uint32_t)sk_opts[i].level == level && (uint32_t)sk_opts[i].name == name)
			return &sk_opts[i];
	return NULL;
}

/* @len bytes at @v hold a string of at most @max bytes, 0-terminated. */
static bool opt_str_ok(const void *v, size_t len, size_t max)
{
	return len <= max && (!len || memchr(v, 0, len));
}

bool sk_opt_value_ok(const struct sk_opt *o, const void *v, size_t len)
{
	int i;

	if (o->flags & SKO_SPECIAL) {
		if (o->level == SOL_TCP && o->name == TCP_CONGESTION)
			return opt_str_ok(v, len, 16);
		if (o->level != SOL_SOCKET)
			return false;
		switch (o->name) {
		case SO_BINDTODEVICE:
			return opt_str_ok(v, len, IFNAMSIZ);
		case SO_LINGER:
			return len == sizeof(struct linger);
		case SO_MAX_PACING_RATE:
			return len == sizeof(uint32_t) || len == sizeof(uint64_t);
		case SO_TIMESTAMPING_OLD:
			return len == sizeof(int) || len == 2 * sizeof(int);
		}
		return false;
	}
	if (o->flags & SKO_TIMEVAL) {
		struct timeval tv;

		if (len != sizeof(tv))
			return false;
		memcpy(&tv, v, sizeof(tv));
		return tv.tv_sec >= 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000;
	}
	if (len != sizeof(int))
		return false;
	memcpy(&i, v, sizeof(i));
	if (o->flags & SKO_BOOL)
		return i == 0 || i == 1;
	if (o->flags & SKO_HALF)
		return i >= 0;
	return true;
}

bool sk_opt_get(int sk, const struct sk_opt *o, void *buf, socklen_t *len)
{
	memset(buf, 0, SKO_VALUE_MAX);
	*len = SKO_VALUE_MAX;
	return getsockopt(sk, o->level, o->name, buf, len) == 0;
}

int sk_opt_set(int sk, const struct sk_opt *o, const void *v, socklen_t len)
{
	int name = o->set_name ? o->set_name : o->name, half;

	if ((o->flags & SKO_HALF) && len == sizeof(int)) {
		memcpy(&half, v, sizeof(half));
		half /= 2;
		if (setsockopt(sk, o->level, name, &half, sizeof(half)) == 0)
			return 0;
		/* Without CAP_NET_ADMIN (a set not trusted): what its owner
		 * could have, within the system's limits. */
		if (errno != EPERM || name == o->name)
			return -errno;
		return setsockopt(sk, o->level, o->name, &half, sizeof(half)) < 0 ? -errno : 0;
	}
	return setsockopt(sk, o->level, name, v, len) < 0 ? -errno : 0;
}

/* Does sk-common.c save @o for sockets of kind @kind? */
static bool common_applies(const struct sk_opt *o, uint32_t kind)
{
	return (o->flags & (kind == FD_KIND__FD_UNIX_SK ? SKO_C_UNIX : SKO_C_INET)) != 0;
}

static int sock_getint(int sk, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	*ret = 0;
	return getsockopt(sk, SOL_SOCKET, name, ret, &len) < 0 ? -errno : 0;
}

/* A new socket of the family, type and protocol of @sk, or -errno. */
static int fresh_like(int sk)
{
	int family, type, protocol, fresh;

	if (sock_getint(sk, SO_DOMAIN, &family) < 0 || sock_getint(sk, SO_TYPE, &type) < 0 ||
	    sock_getint(sk, SO_PROTOCOL, &protocol) < 0)
		return -errno;
	fresh = sock_diag_socket(family, type | SOCK_CLOEXEC, protocol);
	/* A ping socket ckpt's group may not make (ping_group_range): a
	 * raw one has the same defaults at this level. */
	if (fresh < 0 && errno == EACCES && type == SOCK_DGRAM &&
	    (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6))
		fresh = sock_diag_socket(family, SOCK_RAW | SOCK_CLOEXEC, protocol);
	return fresh < 0 ? -errno : fresh;
}

static void opt_add(SockEntry *s, int name, const uint8_t *v, socklen_t len)
{
	SockOptEntry *o = xmalloc(sizeof(*o));

	sock_opt_entry__init(o);
	o->name = (uint32_t)name;
	o->value.len = len;
	o->value.data = xmalloc(len + 1);
	memcpy(o->value.data, v, len);
	s->opts = xrealloc(s->opts, (s->n_opts + 1) * sizeof(*s->opts));
	s->opts[s->n_opts++] = o;
}

/* The options of the table that @sk has otherwise than a new socket. */
static int opts_dump(const struct fd_dump *d, int sk, uint32_t kind, SockEntry *s)
{
	_cleanup_close_ int fresh = fresh_like(sk);

	if (fresh < 0)
		return pr_errno(fresh, "cannot dump %d: cannot make a socket like fd %d", d->pid,
				d->fd);
	for (size_t i = 0; i < nr_sk_opts; i++) {
		const struct sk_opt *o = &sk_opts[i];
		uint8_t v[SKO_VALUE_MAX], def[SKO_VALUE_MAX];
		socklen_t len, dlen;

		/* An option this kernel or family does not have is not set. */
		if (!common_applies(o, kind) || !sk_opt_get(sk, o, v, &len))
			continue;
		if (sk_opt_get(fresh, o, def, &dlen) && dlen == len && !memcmp(v, def, len))
			continue;
		opt_add(s, o->name, v, len);
	}
	return 0;
}

int sk_common_dump(const struct fd_dump *d, int copy, FileEntry *e)
{
	_cleanup_free_ struct sock_filter *prog = NULL;
	SockEntry s = SOCK_ENTRY__INIT;
	int lock, buf_lock, r;
	bool has_buf_lock;
	socklen_t n = 0;

	/* The length of a classic filter, in instructions; EACCES for eBPF,
	 * which has no original program to give back. */
	if (getsockopt(copy, SOL_SOCKET, SO_GET_FILTER, NULL, &n) < 0) {
		if (errno == EACCES)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d (%s) has an eBPF socket filter (SO_ATTACH_BPF), which is not restored",
				d->pid, d->fd, fd_kind_name(e->kind));
		return pr_errno(-errno, "cannot dump %d: cannot read the filter of fd %d", d->pid,
				d->fd);
	}
	if (n > BPF_MAXINSNS)
		return pr_fail(-EOPNOTSUPP, "cannot dump %d: fd %d has a filter of %u instructions",
			       d->pid, d->fd, (unsigned int)n);
	if (n) {
		socklen_t got = n;

		prog = xmalloc(n * sizeof(*prog));
		if (getsockopt(copy, SOL_SOCKET, SO_GET_FILTER, prog, &got) < 0 || got != n)
			return pr_errno(got != n ? -EAGAIN : -errno,
					"cannot dump %d: cannot read the filter of fd %d", d->pid,
					d->fd);
	}
	r = sock_getint(copy, SO_LOCK_FILTER, &lock);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read the options of fd %d", d->pid,
				d->fd);
	/* Before Linux 5.14 no SO_BUF_LOCK: the kinds' sizes are all there is. */
	has_buf_lock = sock_getint(copy, SO_BUF_LOCK, &buf_lock) == 0;
	r = opts_dump(d, copy, e->kind, &s);
	if (r < 0 || (!n && !lock && !buf_lock && !s.n_opts)) {
		for (size_t i = 0; i < s.n_opts; i++)
			sock_opt_entry__free_unpacked(s.opts[i], NULL);
		free(s.opts);
		return r;
	}
	e->sock = xmalloc(sizeof(*e->sock));
	*e->sock = s;
	if (n) {
		e->sock->has_filter = true;
		e->sock->filter.len = n * sizeof(*prog);
		e->sock->filter.data = (uint8_t *)prog;
		prog = NULL;
	}
	e->sock->has_lock_filter = e->sock->lock_filter = !!lock;
	e->sock->has_buf_lock = has_buf_lock;
	e->sock->buf_lock = (uint32_t)buf_lock & BUF_LOCKS;
	return 0;
}

/* An integer from /proc/sys, or @dflt. */
static long sysctl_long(const char *path, long dflt)
{
	_cleanup_free_ char *text = NULL;

	return read_file(path, &text, NULL) < 0 ? dflt : strtol(text, NULL, 10);
}

/* Would setting @o take CAP_NET_ADMIN (or CAP_NET_RAW)? */
static bool opt_privileged(const SockOptEntry *o)
{
	int v = 0;

	if (o->value.len >= sizeof(v))
		memcpy(&v, o->value.data, sizeof(v));
	switch (o->name) {
	case SO_PRIORITY:
		return v < 0 || v > 6;
	case SO_BUSY_POLL:
		return v > sysctl_long("/proc/sys/net/core/busy_read", 0);
	default: /* SO_MARK, SO_DEBUG, SO_PREFER_BUSY_POLL, SO_BUSY_POLL_BUDGET */
		return v != 0;
	}
}

/* sk-unix.c sets the buffer sizes forced (SO_SNDBUFFORCE): a set root
 * does not trust may not ask for more than the maxima. */
static int unix_bufs_check(const FileEntry *e, const struct trust *t)
{
	const UnixSkEntry *u = e->unix_sk;

	if (!u || !t || t->trusted)
		return 0;
	if ((u->has_sndbuf && u->sndbuf / 2 > sysctl_long("/proc/sys/net/core/wmem_max", 0)) ||
	    (u->has_rcvbuf && u->rcvbuf / 2 > sysctl_long("/proc/sys/net/core/rmem_max", 0)))
		return pr_fail(
			-EPERM,
			"cannot restore: socket '%s' has buffers above the maxima, which this image set (not root's) may not ask for",
			e->path);
	return 0;
}

int sk_common_check(const FileEntry *e, const struct trust *t)
{
	const SockEntry *s = e->sock;
	int r = e->kind == FD_KIND__FD_UNIX_SK ? unix_bufs_check(e, t) : 0;

	if (r < 0 || !s)
		return r;
	if ((e->kind != FD_KIND__FD_UNIX_SK && e->kind != FD_KIND__FD_INET_SK &&
	     e->kind != FD_KIND__FD_NET_SK) ||
	    (s->has_buf_lock && s->buf_lock > BUF_LOCKS) ||
	    (s->has_filter && (!s->filter.len || s->filter.len % sizeof(struct sock_filter) ||
			       s->filter.len / sizeof(struct sock_filter) > BPF_MAXINSNS)))
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (socket '%s')",
			       e->path);
	for (size_t i = 0; i < s->n_opts; i++) {
		const SockOptEntry *o = s->opts[i];
		const struct sk_opt *k = sk_opt_find(SOL_SOCKET, o->name);

		if (!k || !common_applies(k, e->kind) || !o->value.data ||
		    !sk_opt_value_ok(k, o->value.data, o->value.len))
			return pr_fail(
				-EBADMSG,
				"cannot restore: images are inconsistent (option %u of socket '%s')",
				o->name, e->path);
		if ((k->flags & SKO_PRIV) && t && !t->trusted && opt_privileged(o))
			return pr_fail(
				-EPERM,
				"cannot restore: socket '%s' has %s, which this image set (not root's) may not ask for",
				e->path, k->what);
	}
	return 0;
}

int sk_common_restore_filter(const FileEntry *e, int fd)
{
	const SockEntry *s = e->sock;
	int one = 1;

	if (!s)
		return 0;
	if (s->has_filter) {
		struct sock_fprog prog = {
			.len = (unsigned short)(s->filter.len / sizeof(struct sock_filter)),
			.filter = (struct sock_filter *)s->filter.data,
		};

		if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
			return pr_errno(-errno, "cannot restore: cannot attach the filter of '%s'",
					e->path);
	}
	if (s->lock_filter && setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)) < 0)
		return pr_errno(-errno, "cannot restore: cannot lock the filter of '%s'", e->path);
	return 0;
}

int sk_common_restore(const FileEntry *e, int fd)
{
	const SockEntry *s = e->sock;
	int r = 0, v;

	for (size_t i = 0; i < s->n_opts; i++) {
		const SockOptEntry *o = s->opts[i];
		const struct sk_opt *k = sk_opt_find(SOL_SOCKET, o->name);

		r = k ? sk_opt_set(fd, k, o->value.data, (socklen_t)o->value.len) : -EINVAL;
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot set %s of '%s'",
					k ? k->what : "an option", e->path);
	}
	/* A queue refilled once the tree is rebuilt gets its filter then:
	 * the filter would judge the messages again (sk-unix-refill.c). */
	if (!(e->kind == FD_KIND__FD_UNIX_SK && unix_queue_waits(e->unix_sk)))
		r = sk_common_restore_filter(e, fd);
	v = (int)s->buf_lock;
	if (r >= 0 && s->has_buf_lock && setsockopt(fd, SOL_SOCKET, SO_BUF_LOCK, &v, sizeof(v)) < 0)
		return pr_errno(-errno, "cannot restore: cannot set SO_BUF_LOCK of '%s'", e->path);
	return r;
}
