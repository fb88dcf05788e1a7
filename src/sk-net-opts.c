// SPDX-License-Identifier: GPL-2.0
/*
 * The socket options of ICMP, raw IP, packet and netlink sockets (see
 * sk-net.c): the table of those saved, by family, and their dump (those
 * that differ from a new socket's), check and restore. The SOL_SOCKET
 * options every socket has, and the filter, are sk-common.c's.
 */
#include "files.h"
#include "sk-net.h"

#include "util.h"

#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SOL_ICMPV6
#define SOL_ICMPV6 58
#endif
#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36
#endif
#define ICMP_FILTER_OPT 1 /* <linux/icmp.h> ICMP_FILTER, SOL_RAW */
#define ICMPV6_FILTER_OPT 1 /* <linux/icmpv6.h> ICMPV6_FILTER, SOL_ICMPV6 */

#define NET_OPT_MAX 32 /* the largest value of the table (struct icmp6_filter) */

/* The families an option applies to, and how it is handled. */
#define F_IP 1 /* AF_INET sockets */
#define F_IP6 2
#define F_PKT 4
#define F_NL 8
#define F_ALL (F_IP | F_IP6 | F_PKT | F_NL)
#define HALF 16 /* getsockopt gives twice what was set (buffer sizes) */

static const struct net_opt {
	int level, name;
	unsigned int flags;
	const char *what;
} net_opts[] = {
	{ SOL_SOCKET, SO_SNDBUF, F_ALL | HALF, "SO_SNDBUF" },
	{ SOL_SOCKET, SO_RCVBUF, F_ALL | HALF, "SO_RCVBUF" },
	{ SOL_SOCKET, SO_RCVLOWAT, F_ALL, "SO_RCVLOWAT" },
	{ SOL_SOCKET, SO_RCVTIMEO_OLD, F_ALL, "SO_RCVTIMEO" },
	{ SOL_SOCKET, SO_SNDTIMEO_OLD, F_ALL, "SO_SNDTIMEO" },
	{ SOL_SOCKET, SO_PASSCRED, F_ALL, "SO_PASSCRED" },
	{ SOL_SOCKET, SO_BROADCAST, F_ALL, "SO_BROADCAST" },
	{ SOL_SOCKET, SO_DONTROUTE, F_ALL, "SO_DONTROUTE" },
	{ SOL_SOCKET, SO_KEEPALIVE, F_ALL, "SO_KEEPALIVE" },
	{ SOL_SOCKET, SO_LINGER, F_ALL, "SO_LINGER" },
	{ SOL_SOCKET, SO_TIMESTAMP_OLD, F_ALL, "SO_TIMESTAMP" },
	{ SOL_SOCKET, SO_TIMESTAMPNS_OLD, F_ALL, "SO_TIMESTAMPNS" },
	{ SOL_SOCKET, SO_TIMESTAMPING_OLD, F_ALL, "SO_TIMESTAMPING" },
	{ SOL_SOCKET, SO_MARK, F_ALL, "SO_MARK" },
	{ SOL_SOCKET, SO_PRIORITY, F_ALL, "SO_PRIORITY" },
	{ SOL_SOCKET, SO_BINDTOIFINDEX, F_IP | F_IP6, "SO_BINDTOIFINDEX" },
	{ SOL_IP, IP_HDRINCL, F_IP, "IP_HDRINCL" },
	{ SOL_IP, IP_TOS, F_IP, "IP_TOS" },
	{ SOL_IP, IP_TTL, F_IP, "IP_TTL" },
	{ SOL_IP, IP_RECVERR, F_IP, "IP_RECVERR" },
	{ SOL_IP, IP_PKTINFO, F_IP, "IP_PKTINFO" },
	{ SOL_IP, IP_RECVTTL, F_IP, "IP_RECVTTL" },
	{ SOL_IP, IP_RECVTOS, F_IP, "IP_RECVTOS" },
	{ SOL_IP, IP_RECVOPTS, F_IP, "IP_RECVOPTS" },
	{ SOL_IP, IP_RETOPTS, F_IP, "IP_RETOPTS" },
	{ SOL_IP, IP_MTU_DISCOVER, F_IP, "IP_MTU_DISCOVER" },
	{ SOL_IP, IP_MULTICAST_TTL, F_IP, "IP_MULTICAST_TTL" },
	{ SOL_IP, IP_MULTICAST_LOOP, F_IP, "IP_MULTICAST_LOOP" },
	{ SOL_IP, IP_FREEBIND, F_IP, "IP_FREEBIND" },
	{ SOL_IP, IP_TRANSPARENT, F_IP, "IP_TRANSPARENT" },
	{ SOL_IP, IP_NODEFRAG, F_IP, "IP_NODEFRAG" },
	{ SOL_RAW, ICMP_FILTER_OPT, F_IP, "ICMP_FILTER" },
	{ SOL_IPV6, IPV6_HDRINCL, F_IP6, "IPV6_HDRINCL" },
	{ SOL_IPV6, IPV6_CHECKSUM, F_IP6, "IPV6_CHECKSUM" },
	{ SOL_IPV6, IPV6_UNICAST_HOPS, F_IP6, "IPV6_UNICAST_HOPS" },
	{ SOL_IPV6, IPV6_MULTICAST_HOPS, F_IP6, "IPV6_MULTICAST_HOPS" },
	{ SOL_IPV6, IPV6_MULTICAST_LOOP, F_IP6, "IPV6_MULTICAST_LOOP" },
	{ SOL_IPV6, IPV6_RECVERR, F_IP6, "IPV6_RECVERR" },
	{ SOL_IPV6, IPV6_RECVPKTINFO, F_IP6, "IPV6_RECVPKTINFO" },
	{ SOL_IPV6, IPV6_RECVHOPLIMIT, F_IP6, "IPV6_RECVHOPLIMIT" },
	{ SOL_IPV6, IPV6_RECVTCLASS, F_IP6, "IPV6_RECVTCLASS" },
	{ SOL_IPV6, IPV6_TCLASS, F_IP6, "IPV6_TCLASS" },
	{ SOL_IPV6, IPV6_MTU_DISCOVER, F_IP6, "IPV6_MTU_DISCOVER" },
	{ SOL_IPV6, IPV6_V6ONLY, F_IP6, "IPV6_V6ONLY" },
	{ SOL_ICMPV6, ICMPV6_FILTER_OPT, F_IP6, "ICMPV6_FILTER" },
	{ SOL_PACKET, PACKET_VERSION, F_PKT, "PACKET_VERSION" },
	{ SOL_PACKET, PACKET_RESERVE, F_PKT, "PACKET_RESERVE" },
	{ SOL_PACKET, PACKET_AUXDATA, F_PKT, "PACKET_AUXDATA" },
	{ SOL_PACKET, PACKET_ORIGDEV, F_PKT, "PACKET_ORIGDEV" },
	{ SOL_PACKET, PACKET_VNET_HDR, F_PKT, "PACKET_VNET_HDR" },
	{ SOL_PACKET, PACKET_TIMESTAMP, F_PKT, "PACKET_TIMESTAMP" },
	{ SOL_PACKET, PACKET_LOSS, F_PKT, "PACKET_LOSS" },
	{ SOL_PACKET, PACKET_TX_HAS_OFF, F_PKT, "PACKET_TX_HAS_OFF" },
	{ SOL_PACKET, PACKET_QDISC_BYPASS, F_PKT, "PACKET_QDISC_BYPASS" },
	{ SOL_PACKET, PACKET_IGNORE_OUTGOING, F_PKT, "PACKET_IGNORE_OUTGOING" },
	{ SOL_NETLINK, NETLINK_PKTINFO, F_NL, "NETLINK_PKTINFO" },
	{ SOL_NETLINK, NETLINK_BROADCAST_ERROR, F_NL, "NETLINK_BROADCAST_ERROR" },
	{ SOL_NETLINK, NETLINK_NO_ENOBUFS, F_NL, "NETLINK_NO_ENOBUFS" },
	{ SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, F_NL, "NETLINK_LISTEN_ALL_NSID" },
	{ SOL_NETLINK, NETLINK_CAP_ACK, F_NL, "NETLINK_CAP_ACK" },
	{ SOL_NETLINK, NETLINK_EXT_ACK, F_NL, "NETLINK_EXT_ACK" },
	{ SOL_NETLINK, NETLINK_GET_STRICT_CHK, F_NL, "NETLINK_GET_STRICT_CHK" },
};

static unsigned int family_flag(uint32_t family)
{
	switch (family) {
	case AF_INET:
		return F_IP;
	case AF_INET6:
		return F_IP6;
	case AF_PACKET:
		return F_PKT;
	case AF_NETLINK:
		return F_NL;
	default:
		return 0;
	}
}

static const struct net_opt *net_opt_find(uint32_t level, uint32_t name, uint32_t family)
{
	for (size_t i = 0; i < ARRAY_SIZE(net_opts); i++)
		if ((uint32_t)net_opts[i].level == level && (uint32_t)net_opts[i].name == name &&
		    (net_opts[i].flags & family_flag(family)))
			return &net_opts[i];
	return NULL;
}

static void opt_add(NetSkEntry *s, const struct net_opt *o, const uint8_t *v, socklen_t len)
{
	NetSkOpt *opt = xmalloc(sizeof(*opt));

	net_sk_opt__init(opt);
	opt->level = (uint32_t)o->level;
	opt->name = (uint32_t)o->name;
	opt->value.len = len;
	opt->value.data = xmalloc(len + 1);
	memcpy(opt->value.data, v, len);
	s->opts = xrealloc(s->opts, (s->n_opts + 1) * sizeof(*s->opts));
	s->opts[s->n_opts++] = opt;
}

/* The options of the table @sk has otherwise than @fresh (a new socket
 * like it; -1 when none could be made: then every one it has). */
void net_opts_dump(int sk, int fresh, NetSkEntry *s)
{
	unsigned int fam = family_flag(s->family);

	for (size_t i = 0; i < ARRAY_SIZE(net_opts); i++) {
		const struct net_opt *o = &net_opts[i];
		uint8_t v[NET_OPT_MAX], def[NET_OPT_MAX];
		socklen_t len = sizeof(v), dlen = sizeof(def);

		if (!(o->flags & fam))
			continue;
		memset(v, 0, sizeof(v));
		memset(def, 0, sizeof(def));
		/* What this kernel or this protocol does not have is not set
		 * (ICMP_FILTER is only for raw ICMP sockets). */
		if (getsockopt(sk, o->level, o->name, v, &len) < 0 || !len)
			continue;
		if (fresh >= 0 && getsockopt(fresh, o->level, o->name, def, &dlen) == 0 &&
		    dlen == len && !memcmp(v, def, len))
			continue;
		opt_add(s, o, v, len);
	}
}

int net_opts_check(const NetSkEntry *s)
{
	for (size_t i = 0; i < s->n_opts; i++) {
		const NetSkOpt *o = s->opts[i];

		if (!net_opt_find(o->level, o->name, s->family) || !o->value.data ||
		    !o->value.len || o->value.len > NET_OPT_MAX)
			return -EBADMSG;
	}
	return 0;
}

/* Buffer sizes of a root's set are set forced (above wmem_max, rmem_max,
 * as they may have been); a user's set gets what the kernel allows. */
static int forced(int name, bool trusted)
{
	if (!trusted)
		return name;
	return name == SO_SNDBUF ? SO_SNDBUFFORCE : name == SO_RCVBUF ? SO_RCVBUFFORCE : name;
}

int net_opts_restore(int sk, const FileEntry *e, bool trusted)
{
	const NetSkEntry *s = e->net_sk;

	for (size_t i = 0; i < s->n_opts; i++) {
		const NetSkOpt *o = s->opts[i];
		const struct net_opt *d = net_opt_find(o->level, o->name, s->family);
		int half;

		if (d->flags & HALF) {
			/* The kernel doubles what it is given. */
			if (o->value.len != sizeof(half))
				return pr_fail(
					-EBADMSG,
					"cannot restore: images are inconsistent (socket '%s')",
					e->path);
			memcpy(&half, o->value.data, sizeof(half));
			half /= 2;
			if (setsockopt(sk, d->level, forced(d->name, trusted), &half,
				       sizeof(half)) == 0)
				continue;
		} else if (setsockopt(sk, (int)o->level, (int)o->name, o->value.data,
				      (socklen_t)o->value.len) == 0) {
			continue;
		}
		return pr_errno(-errno, "cannot restore: cannot set %s of '%s'", d->what, e->path);
	}
	return 0;
}
