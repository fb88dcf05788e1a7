// SPDX-License-Identifier: GPL-2.0
/*
 * TCP and UDP sockets, IPv4 and IPv6.
 *
 * Dump: ckpt takes its own copy of each socket from the frozen process
 * (pidfd_getfd) and reads it: family, type, state, addresses, shutdown
 * (sock_diag), and every socket option whose value differs from a new
 * socket's. Listening sockets, TCP connections in every state an fd holds
 * them in (ESTABLISHED and the closing ones: FIN_WAIT1, FIN_WAIT2,
 * CLOSE_WAIT, LAST_ACK, CLOSING; one that ended, CLOSE), a connect in
 * flight (SYN_SENT), and TCP or UDP sockets that are bound, connected
 * (UDP) or neither are restored; any other socket, or state, is refused
 * with the fd and the reason. SYN_RECV and TIME_WAIT belong to no fd.
 *
 * Once every process is collected (dump_finish, as late as the dump
 * allows), each TCP socket stops taking packets (a socket filter that
 * drops them all) and a connection is put in repair mode and read:
 * sequence numbers, windows, agreed options, both queues and the FINs
 * (sk-tcp.c). The datagrams waiting in a UDP socket are read then too,
 * without taking them (sk-udp.c).
 * When the tree is killed, the last reference to the socket is ckpt's
 * copy, and closing it in repair mode sends nothing: the peer keeps its
 * end. With --leave-running, or when the dump fails, each socket leaves
 * repair mode, takes packets again and goes on untouched.
 *
 * Packets while the tree is frozen. The kernel goes on receiving for a
 * frozen socket: it acknowledges data into the receive queue and takes
 * acknowledged bytes off the send queue. Until the filter is attached that
 * is fine (the queues are read after); from then on, what the peer sends
 * is dropped unacknowledged and it sends it again later, so no byte it was
 * told we had is lost. CRIU locks the network with netfilter instead; nft
 * and iptables are not there to use. What is not protected:
 *  - from the kill to the restore no socket has the address: whatever the
 *    peer sends then (a retransmission of what the filter dropped, new
 *    data, a keepalive, even a delayed ACK) is answered with a RST, and
 *    its connection is reset. Before the filter goes on, the dump waits a
 *    little (conns_settle) until no ACK is due either way, so that an idle
 *    peer notices nothing; a busy one survives only if the restore comes
 *    back before it sends again (200 ms on loopback, backing off).
 *  - new connections to a listening socket wait during the freeze (their
 *    SYNs are dropped and sent again) and are refused from the kill to
 *    the restore. Connections the kernel completed but the process did not
 *    accept yet cannot be put back in the queue: such a dump is refused.
 *  - UDP datagrams arriving after the queue is read and before the restore
 *    are lost (as UDP may lose them anyway); multicast memberships are
 *    lost.
 *  - segments that arrived out of order, not yet in the receive queue,
 *    are dropped; the peer sends them again.
 *
 * This file: what a socket is, its dump and the kind's table. Its options
 * are in sk-inet-opts.c, the restore in sk-inet-restore.c, the sockets
 * while the dump holds them in sk-inet-live.c.
 */
#include "files.h"
#include "sk-inet.h"

#include "sock-diag.h"
#include "util.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/rtnetlink.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>

/* ---- what a socket is ---- */

static const char *const tcp_states[] = {
	[TCP_ESTABLISHED] = "ESTABLISHED",
	[TCP_SYN_SENT] = "SYN_SENT",
	[TCP_SYN_RECV] = "SYN_RECV",
	[TCP_FIN_WAIT1] = "FIN_WAIT1",
	[TCP_FIN_WAIT2] = "FIN_WAIT2",
	[TCP_TIME_WAIT] = "TIME_WAIT",
	[TCP_CLOSE] = "CLOSE",
	[TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_LAST_ACK] = "LAST_ACK",
	[TCP_LISTEN] = "LISTEN",
	[TCP_CLOSING] = "CLOSING",
};

const char *inet_state_name(uint32_t state)
{
	return state < ARRAY_SIZE(tcp_states) && tcp_states[state] ? tcp_states[state] : "?";
}

/* What a socket that is neither TCP nor UDP is, in messages. */
static const char *other_socket(int family, int type, int protocol)
{
	switch (family) {
	case AF_UNIX:
		return "unix socket";
	case AF_NETLINK:
		return "netlink socket";
	case AF_PACKET:
		return "packet socket";
	case AF_INET:
	case AF_INET6:
		break;
	default:
		return "socket of an unsupported family";
	}
	if (type == SOCK_RAW)
		return "raw IP socket";
	switch (protocol) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return "ICMP (ping) socket";
	case IPPROTO_SCTP:
		return "SCTP socket";
	case IPPROTO_UDPLITE:
		return "UDP-Lite socket";
	case IPPROTO_MPTCP:
		return "MPTCP socket";
	default:
		return "IP socket of an unsupported protocol";
	}
}

static void addr_save(const union sk_addr *a, ProtobufCBinaryData *addr, uint32_t *port,
		      uint32_t *scope, protobuf_c_boolean *has_scope)
{
	const void *raw = &a->v4.sin_addr;
	size_t len = sizeof(a->v4.sin_addr);

	if (a->sa.sa_family == AF_INET6) {
		raw = &a->v6.sin6_addr;
		len = sizeof(a->v6.sin6_addr);
		*scope = a->v6.sin6_scope_id;
		*has_scope = a->v6.sin6_scope_id != 0;
	}
	addr->data = xmalloc(len);
	memcpy(addr->data, raw, len);
	addr->len = len;
	*port = ntohs(a->v4.sin_port); /* the same place in both */
}

int inet_addr_load(int family, const ProtobufCBinaryData *addr, uint32_t port, uint32_t scope,
		   union sk_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->sa.sa_family = (sa_family_t)family;
	ret->v4.sin_port = htons((uint16_t)port);
	if (family == AF_INET && addr->len == sizeof(ret->v4.sin_addr)) {
		memcpy(&ret->v4.sin_addr, addr->data, addr->len);
		return 0;
	}
	if (family == AF_INET6 && addr->len == sizeof(ret->v6.sin6_addr)) {
		memcpy(&ret->v6.sin6_addr, addr->data, addr->len);
		ret->v6.sin6_scope_id = scope;
		return 0;
	}
	return -EBADMSG;
}

static void addr_fmt(const union sk_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->v6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a->v6.sin6_port));
	} else {
		inet_ntop(AF_INET, &a->v4.sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(a->v4.sin_port));
	}
}

/* "TCP socket 127.0.0.1:80", with " -> peer" when connected. */
void inet_sk_fmt(const InetSkEntry *s, char *buf, size_t len)
{
	char src[80] = "?", dst[80] = "";
	union sk_addr a;

	if (inet_addr_load((int)s->family, &s->src_addr, s->src_port, s->src_scope_id, &a) == 0)
		addr_fmt(&a, src, sizeof(src));
	if (s->dst_addr.len &&
	    inet_addr_load((int)s->family, &s->dst_addr, s->dst_port, s->dst_scope_id, &a) == 0) {
		dst[0] = ' ';
		dst[1] = '-';
		dst[2] = '>';
		dst[3] = ' ';
		addr_fmt(&a, dst + 4, sizeof(dst) - 4);
	}
	snprintf(buf, len, "%s socket %s%s", is_tcp(s) ? "TCP" : "UDP", src, dst);
}

/* ---- dump ---- */

static struct inet_dump *dump_state(struct file_table *ft)
{
	if (!ft->state[FD_KIND__FD_INET_SK])
		ft->state[FD_KIND__FD_INET_SK] = xzalloc(sizeof(struct inet_dump));
	return ft->state[FD_KIND__FD_INET_SK];
}

/* Every fd that is a socket no kind before this one took. */
static bool inet_claims(const char *link, const struct stat *st)
{
	return S_ISSOCK(st->st_mode) && !strncmp(link, "socket:", 7);
}

int sk_getint(int sk, int level, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	return getsockopt(sk, level, name, ret, &len) < 0 ? -errno : 0;
}

static int diag_add(const struct nlmsghdr *h, void *arg)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *tb[INET_DIAG_SHUTDOWN + 1];
	struct diag_list *l = arg;
	uint8_t shut = 0;

	if (sock_diag_attrs(h, sizeof(*m), tb, ARRAY_SIZE(tb)) < 0)
		return -EBADMSG;
	if (!m->idiag_inode)
		return 0;
	if (tb[INET_DIAG_SHUTDOWN] && RTA_PAYLOAD(tb[INET_DIAG_SHUTDOWN]) >= 1)
		shut = *(const uint8_t *)RTA_DATA(tb[INET_DIAG_SHUTDOWN]);
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n] =
		(struct diag_sk){ m->idiag_inode, shut, { 0 }, m->id.idiag_dport, m->id.idiag_if };
	memcpy(l->v[l->n++].dst, m->id.idiag_dst, sizeof(l->v[0].dst));
	return 0;
}

/* What the kernel's list of the sockets of its family and protocol, read
 * once, says of socket inode @ino. */
static int diag_find(struct inet_dump *st, const InetSkEntry *s, ino_t ino,
		     const struct diag_sk **ret)
{
	struct diag_list *l = &st->lists[(s->family == AF_INET6) * 2 + !is_tcp(s)];
	uint64_t netns = 0;

	if (sock_diag_netns(&netns) == 0 && l->read && l->netns != netns) {
		/* read in another process's network namespace */
		free(l->v);
		l->v = NULL;
		l->n = 0;
		l->read = false;
	}
	if (!l->read) {
		struct inet_diag_req_v2 req = {
			.sdiag_family = (uint8_t)s->family,
			.sdiag_protocol = (uint8_t)s->protocol,
			.idiag_states = ~0U,
		};
		struct sock_diag sd;
		int r = sock_diag_open(&sd);

		if (r < 0)
			return r;
		r = sock_diag_query(&sd, &req, sizeof(req), true, diag_add, l);
		sock_diag_close(&sd);
		if (r < 0)
			return r;
		l->read = true;
		l->netns = netns;
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].ino == ino) {
			*ret = &l->v[i];
			return 0;
		}
	return -ENOENT;
}

/* The kind of socket: TCP or UDP over IPv4 or IPv6, or refused. */
static int sk_identify(const struct fd_dump *d, int sk, InetSkEntry *s)
{
	int family, type, protocol;

	if (sk_getint(sk, SOL_SOCKET, SO_DOMAIN, &family) < 0 ||
	    sk_getint(sk, SOL_SOCKET, SO_TYPE, &type) < 0 ||
	    sk_getint(sk, SOL_SOCKET, SO_PROTOCOL, &protocol) < 0)
		return pr_errno(-errno, "cannot dump %d: socket at fd %d", d->pid, d->fd);
	if ((family != AF_INET && family != AF_INET6) ||
	    !((type == SOCK_STREAM && protocol == IPPROTO_TCP) ||
	      (type == SOCK_DGRAM && protocol == IPPROTO_UDP)))
		return pr_fail(-EOPNOTSUPP, "cannot dump %d: fd %d is a %s (not supported)", d->pid,
			       d->fd, other_socket(family, type, protocol));
	s->family = (uint32_t)family;
	s->type = (uint32_t)type;
	s->protocol = (uint32_t)protocol;
	return 0;
}

bool inet_state_supported(const InetSkEntry *s)
{
	if (s->state == TCP_ESTABLISHED || s->state == TCP_CLOSE)
		return true;
	return is_tcp(s) &&
	       (s->state == TCP_LISTEN || s->state == TCP_SYN_SENT || tcp_conn_state(s->state));
}

/* TCP_INFO knows the state of any TCP socket; a UDP socket is
 * "established" once connected. */
int inet_sk_state(int sk, const InetSkEntry *s, uint32_t *ret)
{
	union sk_addr a;
	socklen_t len = sizeof(a);
	struct tcp_info ti;

	if (!is_tcp(s)) {
		if (getpeername(sk, &a.sa, &len) == 0)
			*ret = TCP_ESTABLISHED;
		else if (errno == ENOTCONN)
			*ret = TCP_CLOSE;
		else
			return -errno;
		return 0;
	}
	len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(sk, SOL_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	*ret = ti.tcpi_state;
	return 0;
}

/*
 * A TCP socket in CLOSE whose connection ended (both FINs, a reset, a
 * timeout) is in no table either; the kernel shut it down both ways
 * (reads give 0, writes EPIPE), which a new socket shut down both ways
 * does too. Bytes it still had to read would be lost: refused. A socket
 * that never sent nor received a segment is a new one (or bound).
 */
static int sk_dump_done(const struct fd_dump *d, int sk, InetSkEntry *s)
{
	/* glibc's struct tcp_info stops before the counters of segments. */
	struct {
		struct tcp_info ti;
		uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
		uint32_t segs_out, segs_in;
	} info;
	socklen_t len = sizeof(info);
	int inq = 0;

	memset(&info, 0, sizeof(info));
	if (getsockopt(sk, SOL_TCP, TCP_INFO, &info, &len) < 0 || ioctl(sk, SIOCINQ, &inq) < 0)
		return pr_errno(-errno, "cannot dump %d: socket at fd %d", d->pid, d->fd);
	if (len < sizeof(info))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: this kernel does not say whether the TCP socket at fd %d was connected",
			d->pid, d->fd);
	if (!info.segs_in && !info.segs_out)
		return 0;
	if (inq > 0)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a TCP connection that ended with %d bytes not read yet (not supported)",
			d->pid, d->fd, inq);
	s->has_shutdown = true;
	s->shutdown = 3;
	return 0;
}

static int sk_dump_state(const struct fd_dump *d, int sk, InetSkEntry *s)
{
	const struct diag_sk *ds = NULL;
	int r = inet_sk_state(sk, s, &s->state);

	if (r < 0)
		return pr_errno(r, "cannot dump %d: socket at fd %d", d->pid, d->fd);
	if (!inet_state_supported(s))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a %s socket in state %s (only listening, connecting, connected, closing and unconnected ones can be restored)",
			d->pid, d->fd, is_tcp(s) ? "TCP" : "UDP", inet_state_name(s->state));
	/* Only sock_diag tells whether it was shut down (SHUT_RD 1,
	 * SHUT_WR 2). A socket never bound is in none of the kernel's
	 * tables (and not shut down). */
	r = diag_find(dump_state(d->ft), s, d->st->st_ino, &ds);
	if (r == -ENOENT && is_tcp(s) && s->state == TCP_CLOSE)
		return sk_dump_done(d, sk, s);
	if (r == -ENOENT && !is_tcp(s))
		return 0;
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot find the socket at fd %d (sock_diag)",
				d->pid, d->fd);
	s->has_shutdown = ds->shutdown != 0;
	s->shutdown = ds->shutdown;
	return 0;
}

/* getpeername() says ENOTCONN while the connect is in flight: the peer
 * it goes to is sock_diag's. */
static int sk_dump_connecting(const struct fd_dump *d, InetSkEntry *s)
{
	const struct diag_sk *ds = NULL;
	union sk_addr a;
	int r = diag_find(dump_state(d->ft), s, d->st->st_ino, &ds);

	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot find the socket at fd %d (sock_diag)",
				d->pid, d->fd);
	memset(&a, 0, sizeof(a));
	a.sa.sa_family = (sa_family_t)s->family;
	a.v4.sin_port = ds->dport; /* the same place in both */
	if (s->family == AF_INET6) {
		memcpy(&a.v6.sin6_addr, ds->dst, sizeof(a.v6.sin6_addr));
		if (IN6_IS_ADDR_LINKLOCAL(&a.v6.sin6_addr))
			a.v6.sin6_scope_id = ds->ifindex;
	} else {
		memcpy(&a.v4.sin_addr, ds->dst, sizeof(a.v4.sin_addr));
	}
	s->has_dst_addr = s->has_dst_port = true;
	addr_save(&a, &s->dst_addr, &s->dst_port, &s->dst_scope_id, &s->has_dst_scope_id);
	return 0;
}

static int sk_dump_addrs(const struct fd_dump *d, int sk, InetSkEntry *s)
{
	union sk_addr a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	if (getsockname(sk, &a.sa, &len) < 0)
		return pr_errno(-errno, "cannot dump %d: socket at fd %d", d->pid, d->fd);
	addr_save(&a, &s->src_addr, &s->src_port, &s->src_scope_id, &s->has_src_scope_id);
	if (is_tcp(s) && s->state == TCP_SYN_SENT)
		return sk_dump_connecting(d, s);
	if (!is_connected(s))
		return 0;
	len = sizeof(a);
	memset(&a, 0, sizeof(a));
	if (getpeername(sk, &a.sa, &len) < 0)
		return pr_errno(-errno, "cannot dump %d: socket at fd %d", d->pid, d->fd);
	s->has_dst_addr = s->has_dst_port = true;
	addr_save(&a, &s->dst_addr, &s->dst_port, &s->dst_scope_id, &s->has_dst_scope_id);
	return 0;
}

/* What would not come back, or that the dump itself would disturb. */
static int sk_dump_checks(const struct fd_dump *d, int sk, int fresh, const InetSkEntry *s)
{
	uint64_t ns = 0, ns_fresh = 0;
	socklen_t len = sizeof(ns);
	char name[200], ulp[32];
	int r = 0;

	inet_sk_fmt(s, name, sizeof(name));
	if (getsockopt(sk, SOL_SOCKET, SO_NETNS_COOKIE, &ns, &len) == 0 &&
	    getsockopt(fresh, SOL_SOCKET, SO_NETNS_COOKIE, &ns_fresh, &len) == 0 && ns != ns_fresh)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a %s of a network namespace other than its process's (not supported)",
			d->pid, d->fd, name);
	/* Nobody else's filter may be replaced by ours (SO_GET_FILTER says
	 * how long a classic one is, EACCES for eBPF). */
	len = 0;
	if (is_tcp(s) && getsockopt(sk, SOL_SOCKET, SO_GET_FILTER, NULL, &len) < 0)
		r = -errno;
	if (r == -EACCES || len > 0)
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is a %s with a socket filter (not supported)",
			       d->pid, d->fd, name);
	/* Kernel TLS and the like keep state repair mode does not show. */
	memset(ulp, 0, sizeof(ulp));
	len = sizeof(ulp) - 1;
	if (is_tcp(s) && getsockopt(sk, SOL_TCP, TCP_ULP, ulp, &len) == 0 && ulp[0])
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a %s with upper layer protocol '%s' (not supported)",
			d->pid, d->fd, name, ulp);
	return 0;
}

static int sk_dump_listen(const struct fd_dump *d, int sk, InetSkEntry *s)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(sk, SOL_TCP, TCP_INFO, &ti, &len) < 0)
		return pr_errno(-errno, "cannot dump %d: socket at fd %d", d->pid, d->fd);
	/* For a listening socket tcpi_sacked is its backlog. */
	s->has_backlog = true;
	s->backlog = ti.tcpi_sacked;
	return 0;
}

static void live_add(struct file_table *ft, const struct fd_dump *d, FileEntry *e, int sk,
		     int reuse)
{
	struct inet_dump *st = dump_state(ft);

	st->sks = xrealloc(st->sks, (st->n + 1) * sizeof(*st->sks));
	st->sks[st->n++] = (struct live_sk){ e, d->pid, d->fd, sk, reuse, false, false };
}

static int sk_dump(const struct fd_dump *d, int sk, int fresh, InetSkEntry *s)
{
	int r;

	if (fresh < 0)
		return pr_errno(-errno, "cannot dump %d: cannot create a socket", d->pid);
	r = sk_dump_state(d, sk, s);
	if (r >= 0)
		r = sk_dump_addrs(d, sk, s);
	if (r >= 0)
		r = sk_dump_checks(d, sk, fresh, s);
	if (r >= 0 && s->state == TCP_LISTEN)
		r = sk_dump_listen(d, sk, s);
	if (r >= 0)
		inet_opts_dump(sk, fresh, s);
	return r;
}

static int inet_dump(const struct fd_dump *d, FileEntry *e)
{
	InetSkEntry *s = xmalloc(sizeof(*s));
	_cleanup_close_ int fresh = -1;
	int sk, reuse = 0, r;

	inet_sk_entry__init(s);
	e->inet_sk = s; /* freed with @e on failure */
	sk = fd_borrow(d->pid, d->fd);
	if (sk < 0)
		return pr_errno(sk, "cannot dump %d: cannot take its socket at fd %d", d->pid,
				d->fd);
	r = sk_identify(d, sk, s);
	if (r >= 0) {
		fresh = sock_diag_socket((int)s->family, (int)s->type | SOCK_CLOEXEC,
					 (int)s->protocol);
		r = sk_dump(d, sk, fresh, s);
	}
	if (r >= 0)
		r = sk_getint(sk, SOL_SOCKET, SO_REUSEADDR, &reuse);
	if (r < 0) {
		close(sk);
		return r;
	}
	live_add(d->ft, d, e, sk, reuse);
	return 0;
}

const struct file_kind inet_sk_kind = {
	.kind = FD_KIND__FD_INET_SK,
	.name = "inet socket",
	.claims = inet_claims,
	.dump = inet_dump,
	.dump_finish = inet_dump_finish,
	.dump_done = inet_dump_done,
	.check = inet_check,
	.prepare = inet_prepare,
	.finish = inet_finish,
	.open = inet_open,
	.restore_last = inet_restore_last,
};
