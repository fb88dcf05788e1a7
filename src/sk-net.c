// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets of the families sk-unix.c and sk-inet.c do not take: ICMP
 * ("ping") and raw IP sockets over IPv4 and IPv6, packet sockets
 * (AF_PACKET, SOCK_RAW and SOCK_DGRAM) and netlink sockets.
 *
 * Saved: family, type and protocol; what the socket is bound to (a ping
 * socket's address and ICMP identifier, a raw socket's address, a packet
 * socket's interface and protocol, a netlink socket's portid and every
 * multicast group it joined, NETLINK_LIST_MEMBERSHIPS); the peer of a
 * connected one; the options of sk-net-opts.c's table that differ from a
 * new socket's. The filter (SO_ATTACH_FILTER) and the SOL_SOCKET options
 * every socket has are sk-common.c's. Queued datagrams are not saved: these
 * families lose datagrams by nature, and a program using them expects to.
 * What could not come back is refused at dump: a packet socket with a
 * ring, a fanout group or an interface membership; a netlink socket in
 * the middle of a dump (NLM_F_DUMP), whose reader would wait forever.
 *
 * Restore: the socket is made in ckpt with the fsuid, fsgid and egid of
 * the process that has it (a ping socket is allowed by the egid, against
 * net.ipv4.ping_group_range; the socket's owner is its fsuid). A netlink
 * socket gets its portid back or the restore fails (libraries keep it and
 * check the replies against it). For a set root does not trust, every
 * effective capability is dropped while the socket is made, so that the
 * kernel refuses what the owner could not have done; a raw or packet
 * socket keeps CAP_NET_RAW only if the process that has it had it.
 *
 * The kernel surprises: a ping socket is in the kernel's tables only once
 * bound, so getsockname() tells the identifier; a packet socket made with
 * a protocol is bound to it already (on every interface).
 */
#include "files.h"
#include "sk-net.h"

#include "sock-diag.h"
#include "trust.h"
#include "util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef NETLINK_LIST_MEMBERSHIPS
#define NETLINK_LIST_MEMBERSHIPS 9
#endif
#define NL_GROUP_WORDS 64 /* 2048 groups: more than any netlink family has */

/* Is a socket of @family, @type, @protocol one of this file's? */
static bool net_sk_takes(int family, int type, int protocol)
{
	switch (family) {
	case AF_NETLINK:
		return type == SOCK_RAW || type == SOCK_DGRAM;
	case AF_PACKET:
		return type == SOCK_RAW || type == SOCK_DGRAM;
	case AF_INET:
		return type == SOCK_RAW || (type == SOCK_DGRAM && protocol == IPPROTO_ICMP);
	case AF_INET6:
		return type == SOCK_RAW || (type == SOCK_DGRAM && protocol == IPPROTO_ICMPV6);
	default:
		return false;
	}
}

static bool is_raw_ip(const NetSkEntry *s)
{
	return (s->family == AF_INET || s->family == AF_INET6) && s->type == SOCK_RAW;
}

/* Raw IP and packet sockets take CAP_NET_RAW to make. */
static bool needs_net_raw(const NetSkEntry *s)
{
	return is_raw_ip(s) || s->family == AF_PACKET;
}

static const char *net_sk_name(const NetSkEntry *s)
{
	switch (s->family) {
	case AF_NETLINK:
		return "netlink socket";
	case AF_PACKET:
		return "packet socket";
	default:
		return s->type == SOCK_RAW ? "raw IP socket" : "ICMP socket";
	}
}

static int sk_int(int sk, int level, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	*ret = 0;
	return getsockopt(sk, level, name, ret, &len) < 0 ? -errno : 0;
}

bool net_sk_fd(int pid, int fd)
{
	_cleanup_close_ int sk = fd_borrow(pid, fd);
	int family, type, protocol;

	return sk >= 0 && sk_int(sk, SOL_SOCKET, SO_DOMAIN, &family) == 0 &&
	       sk_int(sk, SOL_SOCKET, SO_TYPE, &type) == 0 &&
	       sk_int(sk, SOL_SOCKET, SO_PROTOCOL, &protocol) == 0 &&
	       net_sk_takes(family, type, protocol);
}

/* ---- dump ---- */

union net_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_ll ll;
	struct sockaddr_nl nl;
	struct sockaddr_storage ss;
};

static void bytes_set(ProtobufCBinaryData *b, const void *p, size_t len)
{
	b->data = xmalloc(len);
	memcpy(b->data, p, len);
	b->len = len;
}

static int ip_dump(int sk, NetSkEntry *s)
{
	union net_addr a;
	socklen_t len = sizeof(a);
	bool v6 = s->family == AF_INET6;

	memset(&a, 0, sizeof(a));
	if (getsockname(sk, &a.sa, &len) < 0)
		return -errno;
	if (v6)
		bytes_set(&s->src_addr, &a.in6.sin6_addr, 16);
	else
		bytes_set(&s->src_addr, &a.in.sin_addr, 4);
	s->has_src_addr = true;
	/* A raw socket shows its protocol as its port; a ping socket its
	 * ICMP identifier, once bound. */
	s->has_src_port = s->type != SOCK_RAW;
	s->src_port = ntohs(v6 ? a.in6.sin6_port : a.in.sin_port);
	s->has_scope_id = v6 && a.in6.sin6_scope_id;
	s->scope_id = v6 ? a.in6.sin6_scope_id : 0;
	len = sizeof(a);
	memset(&a, 0, sizeof(a));
	if (getpeername(sk, &a.sa, &len) < 0)
		return errno == ENOTCONN ? 0 : -errno;
	if (v6)
		bytes_set(&s->dst_addr, &a.in6.sin6_addr, 16);
	else
		bytes_set(&s->dst_addr, &a.in.sin_addr, 4);
	s->has_dst_addr = true;
	return 0;
}

static int packet_dump(int sk, NetSkEntry *s)
{
	union net_addr a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	if (getsockname(sk, &a.sa, &len) < 0)
		return -errno;
	s->has_ifindex = s->has_pkt_protocol = true;
	s->ifindex = (uint32_t)a.ll.sll_ifindex;
	s->pkt_protocol = a.ll.sll_protocol;
	return 0;
}

static int netlink_dump(int sk, NetSkEntry *s)
{
	uint32_t groups[NL_GROUP_WORDS];
	union net_addr a;
	socklen_t len;
	size_t n;

	memset(&a, 0, sizeof(a));
	len = sizeof(a);
	if (getsockname(sk, &a.sa, &len) < 0)
		return -errno;
	s->has_portid = true;
	s->portid = a.nl.nl_pid;
	memset(groups, 0, sizeof(groups));
	len = sizeof(groups);
	if (getsockopt(sk, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, groups, &len) < 0)
		return -errno;
	/* The kernel says how long the bitmap is, even past what it wrote. */
	if (len > sizeof(groups))
		return -E2BIG;
	n = len / sizeof(groups[0]);
	while (n && !groups[n - 1])
		n--;
	if (n) {
		s->groups = xmalloc(n * sizeof(*s->groups));
		memcpy(s->groups, groups, n * sizeof(*s->groups));
		s->n_groups = n;
	}
	len = sizeof(a);
	memset(&a, 0, sizeof(a));
	if (getpeername(sk, &a.sa, &len) < 0)
		return -errno;
	s->has_dst_portid = a.nl.nl_pid != 0;
	s->dst_portid = a.nl.nl_pid;
	s->has_dst_group = a.nl.nl_groups != 0;
	s->dst_group = a.nl.nl_groups;
	return 0;
}

/* What sock_diag tells of one socket that getsockopt does not. */
struct diag_find {
	uint32_t ino;
	bool found;
	const char *why; /* a reason to refuse it, or NULL */
};

static int packet_diag_one(const struct nlmsghdr *h, void *arg)
{
	const struct packet_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *tb[PACKET_DIAG_FANOUT + 1];
	struct diag_find *f = arg;

	if (sock_diag_attrs(h, sizeof(*m), tb, ARRAY_SIZE(tb)) < 0)
		return -EBADMSG;
	if (m->pdiag_ino != f->ino)
		return 0;
	f->found = true;
	if (tb[PACKET_DIAG_RX_RING] || tb[PACKET_DIAG_TX_RING])
		f->why = "a ring (PACKET_RX_RING, PACKET_TX_RING)";
	else if (tb[PACKET_DIAG_FANOUT])
		f->why = "a fanout group (PACKET_FANOUT)";
	else if (tb[PACKET_DIAG_MCLIST] && RTA_PAYLOAD(tb[PACKET_DIAG_MCLIST]) > 0)
		f->why = "interface memberships (PACKET_ADD_MEMBERSHIP)";
	return 0;
}

static int netlink_diag_one(const struct nlmsghdr *h, void *arg)
{
	const struct netlink_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *tb[NETLINK_DIAG_FLAGS + 1];
	struct diag_find *f = arg;
	uint32_t flags = 0;

	if (sock_diag_attrs(h, sizeof(*m), tb, ARRAY_SIZE(tb)) < 0)
		return -EBADMSG;
	if (m->ndiag_ino != f->ino)
		return 0;
	f->found = true;
	if (tb[NETLINK_DIAG_FLAGS] && RTA_PAYLOAD(tb[NETLINK_DIAG_FLAGS]) >= sizeof(flags))
		memcpy(&flags, RTA_DATA(tb[NETLINK_DIAG_FLAGS]), sizeof(flags));
	if (flags & NDIAG_FLAG_CB_RUNNING)
		f->why = "a dump in progress (NLM_F_DUMP), whose rest would never come";
	return 0;
}

/* Why the socket inode @ino of @s would not come back, or NULL. */
static int diag_refusal(const NetSkEntry *s, uint32_t ino, const char **ret_why)
{
	struct packet_diag_req preq = {
		.sdiag_family = AF_PACKET,
		.pdiag_show = PACKET_SHOW_MCLIST | PACKET_SHOW_RING_CFG | PACKET_SHOW_FANOUT,
	};
	struct netlink_diag_req nreq = {
		.sdiag_family = AF_NETLINK,
		.sdiag_protocol = NDIAG_PROTO_ALL,
		.ndiag_show = NDIAG_SHOW_FLAGS,
	};
	struct diag_find f = { ino, false, NULL };
	struct sock_diag sd;
	int r;

	*ret_why = NULL;
	if (s->family != AF_PACKET && s->family != AF_NETLINK)
		return 0;
	r = sock_diag_open(&sd);
	if (r < 0)
		return r;
	if (s->family == AF_PACKET)
		r = sock_diag_query(&sd, &preq, sizeof(preq), true, packet_diag_one, &f);
	else
		r = sock_diag_query(&sd, &nreq, sizeof(nreq), true, netlink_diag_one, &f);
	sock_diag_close(&sd);
	if (r < 0)
		return r;
	/* A netlink socket never bound is in no table, and dumps nothing. */
	if (!f.found && s->family == AF_PACKET)
		return -ENOENT;
	*ret_why = f.why;
	return 0;
}

static int net_sk_dump(const struct fd_dump *d, FileEntry *e)
{
	NetSkEntry *s = xmalloc(sizeof(*s));
	_cleanup_close_ int sk = fd_borrow(d->pid, d->fd);
	_cleanup_close_ int fresh = -1;
	uint64_t ns = 0, ns_fresh = 0;
	int family, type, protocol, r;
	socklen_t len = sizeof(ns);
	const char *why = NULL;

	net_sk_entry__init(s);
	e->net_sk = s; /* freed with @e on failure */
	if (sk < 0)
		return pr_errno(sk, "cannot dump %d: cannot take its socket at fd %d", d->pid,
				d->fd);
	if (sk_int(sk, SOL_SOCKET, SO_DOMAIN, &family) < 0 ||
	    sk_int(sk, SOL_SOCKET, SO_TYPE, &type) < 0 ||
	    sk_int(sk, SOL_SOCKET, SO_PROTOCOL, &protocol) < 0)
		return pr_errno(-errno, "cannot dump %d: socket at fd %d", d->pid, d->fd);
	s->family = (uint32_t)family;
	s->type = (uint32_t)type;
	s->protocol = (uint32_t)protocol;
	/* Any socket of ckpt's tells its network namespace. */
	fresh = sock_diag_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fresh >= 0 && getsockopt(sk, SOL_SOCKET, SO_NETNS_COOKIE, &ns, &len) == 0 &&
	    getsockopt(fresh, SOL_SOCKET, SO_NETNS_COOKIE, &ns_fresh, &len) == 0 && ns != ns_fresh)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a %s of a network namespace other than its process's (not supported)",
			d->pid, d->fd, net_sk_name(s));
	if (family == AF_NETLINK)
		r = netlink_dump(sk, s);
	else if (family == AF_PACKET)
		r = packet_dump(sk, s);
	else
		r = ip_dump(sk, s);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read the %s at fd %d", d->pid,
				net_sk_name(s), d->fd);
	r = diag_refusal(s, (uint32_t)d->st->st_ino, &why);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot find the %s at fd %d (sock_diag)",
				d->pid, net_sk_name(s), d->fd);
	if (why)
		return pr_fail(-EOPNOTSUPP, "cannot dump %d: fd %d is a %s with %s (not supported)",
			       d->pid, d->fd, net_sk_name(s), why);
	/* A ping socket ckpt's group may not make (ping_group_range): a raw
	 * one of its protocol has the same defaults for the options of the
	 * table a ping socket has. With neither, every option is saved. */
	close(fresh);
	fresh = sock_diag_socket(family, type | SOCK_CLOEXEC, protocol);
	if (fresh < 0 && errno == EACCES && type == SOCK_DGRAM)
		fresh = sock_diag_socket(family, SOCK_RAW | SOCK_CLOEXEC, protocol);
	net_opts_dump(sk, fresh, s);
	return 0;
}

/* ---- restore ---- */

static bool addr_len_ok(const NetSkEntry *s, const ProtobufCBinaryData *b)
{
	return b->data && b->len == (s->family == AF_INET6 ? 16 : 4);
}

static int net_sk_check(const FileEntry *e, const struct files_open *fo)
{
	const NetSkEntry *s = e->net_sk;
	bool ip;

	(void)fo;
	if (!s || !net_sk_takes((int)s->family, (int)s->type, (int)s->protocol) ||
	    s->protocol > 0xffff)
		goto bad;
	ip = s->family == AF_INET || s->family == AF_INET6;
	if (ip != (s->has_src_addr && addr_len_ok(s, &s->src_addr)) ||
	    (s->has_dst_addr && (!ip || !addr_len_ok(s, &s->dst_addr))) ||
	    (s->has_src_port && (!ip || s->src_port > 0xffff)) ||
	    (s->has_scope_id && s->family != AF_INET6))
		goto bad;
	if ((s->family == AF_PACKET) != (s->has_ifindex && s->has_pkt_protocol) ||
	    s->ifindex > INT32_MAX || s->pkt_protocol > 0xffff)
		goto bad;
	if ((s->family != AF_NETLINK &&
	     (s->has_portid || s->n_groups || s->has_dst_portid || s->has_dst_group)) ||
	    s->n_groups > NL_GROUP_WORDS || (s->family == AF_NETLINK && !s->has_portid))
		goto bad;
	if (net_opts_check(s) < 0)
		goto bad;
	return 0;
bad:
	return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (socket '%s')", e->path);
}

/*
 * ckpt as the process that has the socket would make it: its egid (a ping
 * socket is allowed by it), fsgid and fsuid (the socket's owner); for a
 * set root does not trust, no effective capability but CAP_NET_RAW for a
 * raw or packet socket whose process had it. Changed for this thread
 * only (raw system calls: glibc's wrappers would change every thread).
 */
struct as_proc {
	gid_t egid, fsgid;
	uid_t fsuid;
	cap_t caps; /* ours to take back, NULL: not changed */
};

static int as_proc_enter(const struct trust *t, const CredsEntry *c, bool raw, struct as_proc *a)
{
	cap_t mine;
	int r = 0;

	a->caps = NULL;
	a->egid = getegid();
	a->fsgid = (gid_t)setfsgid((gid_t)-1);
	a->fsuid = (uid_t)setfsuid((uid_t)-1);
	if (c) {
		if (syscall(SYS_setresgid, -1, c->egid, -1) < 0)
			return -errno;
		(void)setfsgid(c->fsgid);
		(void)setfsuid(c->fsuid);
		if ((uid_t)setfsuid((uid_t)-1) != c->fsuid ||
		    (gid_t)setfsgid((gid_t)-1) != c->fsgid)
			r = -EPERM;
	}
	if (r == 0 && !t->trusted) {
		a->caps = cap_get_proc();
		mine = a->caps ? cap_dup(a->caps) : NULL;
		if (!mine || cap_clear_flag(mine, CAP_EFFECTIVE) < 0 ||
		    (raw && cap_set_flag(mine, CAP_EFFECTIVE, 1, (cap_value_t[]){ CAP_NET_RAW },
					 CAP_SET) < 0) ||
		    cap_set_proc(mine) < 0)
			r = -EPERM;
		if (mine)
			cap_free(mine);
	}
	return r;
}

static void as_proc_leave(struct as_proc *a)
{
	if (a->caps) {
		(void)cap_set_proc(a->caps);
		cap_free(a->caps);
		a->caps = NULL;
	}
	(void)setfsuid(a->fsuid);
	(void)syscall(SYS_setresgid, -1, a->egid, -1);
	(void)setfsgid(a->fsgid);
}

static int ip_restore(int sk, const NetSkEntry *s)
{
	union net_addr a;
	socklen_t len = s->family == AF_INET6 ? sizeof(a.in6) : sizeof(a.in);
	static const uint8_t any[16];
	bool bound = s->src_port || memcmp(s->src_addr.data, any, s->src_addr.len);

	memset(&a, 0, sizeof(a));
	a.sa.sa_family = (sa_family_t)s->family;
	if (s->family == AF_INET6) {
		memcpy(&a.in6.sin6_addr, s->src_addr.data, 16);
		a.in6.sin6_port = htons((uint16_t)s->src_port);
		a.in6.sin6_scope_id = s->scope_id;
	} else {
		memcpy(&a.in.sin_addr, s->src_addr.data, 4);
		a.in.sin_port = htons((uint16_t)s->src_port);
	}
	if (bound && bind(sk, &a.sa, len) < 0)
		return -errno;
	if (!s->has_dst_addr)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sa.sa_family = (sa_family_t)s->family;
	if (s->family == AF_INET6)
		memcpy(&a.in6.sin6_addr, s->dst_addr.data, 16);
	else
		memcpy(&a.in.sin_addr, s->dst_addr.data, 4);
	return connect(sk, &a.sa, len) < 0 ? -errno : 0;
}

static int packet_restore(int sk, const NetSkEntry *s)
{
	struct sockaddr_ll a = {
		.sll_family = AF_PACKET,
		.sll_protocol = (uint16_t)s->pkt_protocol,
		.sll_ifindex = (int)s->ifindex,
	};

	/* Made with a protocol, it is bound to it on every interface. */
	if (!s->ifindex && s->pkt_protocol == s->protocol)
		return 0;
	return bind(sk, (struct sockaddr *)&a, sizeof(a)) < 0 ? -errno : 0;
}

static int netlink_restore(int sk, const NetSkEntry *s)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_pid = s->portid };

	if (s->portid && bind(sk, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -errno;
	for (size_t w = 0; w < s->n_groups; w++)
		for (unsigned int b = 0; b < 32; b++) {
			int group = (int)(w * 32 + b + 1);

			if ((s->groups[w] & (1U << b)) &&
			    setsockopt(sk, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
				       sizeof(group)) < 0)
				return -errno;
		}
	if (!s->has_dst_portid && !s->has_dst_group)
		return 0;
	a.nl_pid = s->dst_portid;
	a.nl_groups = s->dst_group;
	return connect(sk, (struct sockaddr *)&a, sizeof(a)) < 0 ? -errno : 0;
}

static const CredsEntry *creds_of(const struct files_open *fo, const FileEntry *e)
{
	return fo->file_creds && e->id < fo->fe->n_files ? fo->file_creds[e->id] : NULL;
}

static int net_sk_open(struct files_open *fo, const FileEntry *e)
{
	const NetSkEntry *s = e->net_sk;
	const CredsEntry *c = creds_of(fo, e);
	bool raw = c && c->has_cap_eff && (c->cap_eff & (1ULL << CAP_NET_RAW));
	struct as_proc as;
	int sk, r;

	/* ckpt, root, could make it for anyone: a user's set gets one
	 * only for a process that could make it itself. */
	if (!fo->trust->trusted && needs_net_raw(s) && !raw)
		return pr_fail(
			-EPERM,
			"cannot restore: '%s' is a %s, which takes CAP_NET_RAW, and the process that has it did not have it",
			e->path, net_sk_name(s));
	r = as_proc_enter(fo->trust, c, raw && needs_net_raw(s), &as);
	if (r < 0) {
		as_proc_leave(&as);
		return pr_errno(r,
				"cannot restore: cannot take the credentials of the owner of '%s'",
				e->path);
	}
	sk = socket((int)s->family, (int)s->type | SOCK_CLOEXEC, (int)s->protocol);
	if (sk < 0) {
		r = -errno;
		as_proc_leave(&as);
		if (r == -EACCES && s->type == SOCK_DGRAM && s->family != AF_NETLINK &&
		    s->family != AF_PACKET)
			return pr_errno(
				r,
				"cannot restore: cannot make the ICMP socket '%s' with group %u (net.ipv4.ping_group_range)",
				e->path, c ? c->egid : 0);
		return pr_errno(r, "cannot restore: cannot make the %s '%s'", net_sk_name(s),
				e->path);
	}
	r = net_opts_restore(sk, e, fo->trust->trusted);
	if (r >= 0) {
		if (s->family == AF_NETLINK)
			r = netlink_restore(sk, s);
		else if (s->family == AF_PACKET)
			r = packet_restore(sk, s);
		else
			r = ip_restore(sk, s);
		if (r == -EADDRINUSE && s->family == AF_NETLINK)
			r = pr_fail(r, "cannot restore: the netlink portid %u of '%s' is taken",
				    s->portid, e->path);
		else if (r < 0)
			r = pr_errno(r, "cannot restore: cannot bind the %s '%s' as it was",
				     net_sk_name(s), e->path);
	}
	as_proc_leave(&as);
	if (r >= 0 && fcntl(sk, F_SETFL, e->flags) < 0)
		r = pr_errno(-errno, "cannot restore: cannot set the flags of '%s'", e->path);
	if (r < 0) {
		close(sk);
		return r;
	}
	return fd_move_above(sk, fo->scratch);
}

const struct file_kind net_sk_kind = {
	.kind = FD_KIND__FD_NET_SK,
	.name = "socket",
	.dump = net_sk_dump,
	.check = net_sk_check,
	.open = net_sk_open,
};

void net_sk_describe(const NetSkEntry *s, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	if (s->family == AF_NETLINK) {
		snprintf(buf, len, "netlink protocol %u portid %u, %zu group words%s", s->protocol,
			 s->portid, s->n_groups,
			 s->has_dst_portid || s->has_dst_group ? ", connected" : "");
		return;
	}
	if (s->family == AF_PACKET) {
		snprintf(buf, len, "packet %s protocol %#x, bound to interface %u protocol %#x",
			 s->type == SOCK_RAW ? "raw" : "dgram", ntohs((uint16_t)s->protocol),
			 s->ifindex, ntohs((uint16_t)s->pkt_protocol));
		return;
	}
	if (s->src_addr.len == 4 || s->src_addr.len == 16)
		(void)inet_ntop(s->src_addr.len == 4 ? AF_INET : AF_INET6, s->src_addr.data, addr,
				sizeof(addr));
	if (s->type == SOCK_RAW)
		snprintf(buf, len, "raw IP protocol %u on %s%s", s->protocol, addr,
			 s->has_dst_addr ? ", connected" : "");
	else
		snprintf(buf, len, "ICMP on %s ident %u%s", addr, s->src_port,
			 s->has_dst_addr ? ", connected" : "");
}
