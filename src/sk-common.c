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
#include "files.h"

#include "trust.h"
#include "util.h"

#include <linux/filter.h>
#include <netinet/in.h>
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
#define OPT_MAX 16 /* the largest value of the table (struct linger: 8) */

#define FOR_UNIX 1 /* sk-inet.c saves it for IP sockets */
#define PRIV 2 /* a non-default value takes CAP_NET_ADMIN (see opt_privileged) */

static const struct {
	int name;
	const char *what;
	unsigned int flags;
} extra_opts[] = {
	{ SO_DEBUG, "SO_DEBUG", PRIV },
	{ SO_RXQ_OVFL, "SO_RXQ_OVFL", 0 },
	{ SO_WIFI_STATUS, "SO_WIFI_STATUS", 0 },
	{ SO_PREFER_BUSY_POLL, "SO_PREFER_BUSY_POLL", PRIV },
	{ SO_BUSY_POLL_BUDGET, "SO_BUSY_POLL_BUDGET", PRIV },
	{ SO_RESERVE_MEM, "SO_RESERVE_MEM", 0 },
	{ SO_TXREHASH, "SO_TXREHASH", 0 },
	{ SO_RCVMARK, "SO_RCVMARK", 0 },
	{ SO_PASSRIGHTS, "SO_PASSRIGHTS", 0 },
	{ SO_KEEPALIVE, "SO_KEEPALIVE", FOR_UNIX },
	{ SO_BROADCAST, "SO_BROADCAST", FOR_UNIX },
	{ SO_DONTROUTE, "SO_DONTROUTE", FOR_UNIX },
	{ SO_OOBINLINE, "SO_OOBINLINE", FOR_UNIX },
	{ SO_NO_CHECK, "SO_NO_CHECK", FOR_UNIX },
	{ SO_LINGER, "SO_LINGER", FOR_UNIX },
	{ SO_TIMESTAMP_OLD, "SO_TIMESTAMP", FOR_UNIX },
	{ SO_TIMESTAMPNS_OLD, "SO_TIMESTAMPNS", FOR_UNIX },
	{ SO_TIMESTAMPING_OLD, "SO_TIMESTAMPING", FOR_UNIX },
	{ SO_SELECT_ERR_QUEUE, "SO_SELECT_ERR_QUEUE", FOR_UNIX },
	{ SO_MAX_PACING_RATE, "SO_MAX_PACING_RATE", FOR_UNIX },
	{ SO_MARK, "SO_MARK", FOR_UNIX | PRIV },
	{ SO_PRIORITY, "SO_PRIORITY", FOR_UNIX | PRIV },
	{ SO_BUSY_POLL, "SO_BUSY_POLL", FOR_UNIX | PRIV },
};

static int extra_find(uint32_t name)
{
	for (size_t i = 0; i < ARRAY_SIZE(extra_opts); i++)
		if ((uint32_t)extra_opts[i].name == name)
			return (int)i;
	return -1;
}

static bool extra_applies(size_t i, uint32_t kind)
{
	return !(extra_opts[i].flags & FOR_UNIX) || kind == FD_KIND__FD_UNIX_SK;
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
	fresh = socket(family, type | SOCK_CLOEXEC, protocol);
	/* A ping socket ckpt's group may not make (ping_group_range): a
	 * raw one has the same defaults at this level. */
	if (fresh < 0 && errno == EACCES && type == SOCK_DGRAM &&
	    (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6))
		fresh = socket(family, SOCK_RAW | SOCK_CLOEXEC, protocol);
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
	for (size_t i = 0; i < ARRAY_SIZE(extra_opts); i++) {
		uint8_t v[OPT_MAX], def[OPT_MAX];
		socklen_t len = sizeof(v), dlen = sizeof(def);

		if (!extra_applies(i, kind))
			continue;
		memset(v, 0, sizeof(v));
		memset(def, 0, sizeof(def));
		/* An option this kernel or family does not have is not set. */
		if (getsockopt(sk, SOL_SOCKET, extra_opts[i].name, v, &len) < 0)
			continue;
		if (getsockopt(fresh, SOL_SOCKET, extra_opts[i].name, def, &dlen) == 0 &&
		    dlen == len && !memcmp(v, def, len))
			continue;
		opt_add(s, extra_opts[i].name, v, len);
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
		int k = extra_find(o->name);

		if (k < 0 || !extra_applies((size_t)k, e->kind) || !o->value.data ||
		    !o->value.len || o->value.len > OPT_MAX)
			return pr_fail(
				-EBADMSG,
				"cannot restore: images are inconsistent (option %u of socket '%s')",
				o->name, e->path);
		if ((extra_opts[k].flags & PRIV) && t && !t->trusted && opt_privileged(o))
			return pr_fail(
				-EPERM,
				"cannot restore: socket '%s' has %s, which this image set (not root's) may not ask for",
				e->path, extra_opts[k].what);
	}
	return 0;
}

int sk_common_restore(const FileEntry *e, int fd)
{
	const SockEntry *s = e->sock;
	int one = 1, v;

	for (size_t i = 0; i < s->n_opts; i++) {
		const SockOptEntry *o = s->opts[i];

		if (setsockopt(fd, SOL_SOCKET, (int)o->name, o->value.data,
			       (socklen_t)o->value.len) < 0)
			return pr_errno(-errno, "cannot restore: cannot set %s of '%s'",
					extra_opts[extra_find(o->name)].what, e->path);
	}
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
	v = (int)s->buf_lock;
	if (s->has_buf_lock && setsockopt(fd, SOL_SOCKET, SO_BUF_LOCK, &v, sizeof(v)) < 0)
		return pr_errno(-errno, "cannot restore: cannot set SO_BUF_LOCK of '%s'", e->path);
	return 0;
}
