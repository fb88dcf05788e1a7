/*
 * 163-net-sk.c - sockets of the families neither unix nor TCP/UDP: ICMP
 * ("ping"), raw IP, packet and netlink sockets, each used for real.
 *
 * Usage: 163-net-sk WORKDIR [fanout|member|dumping]
 * Runs as root (raw and packet sockets take CAP_NET_RAW); the ping
 * sockets need net.ipv4.ping_group_range to hold its group (the test
 * sets it).
 *
 * Set up before READY:
 *  - fd 10: an ICMP socket (SOCK_DGRAM, IPPROTO_ICMP) bound to 127.0.0.1,
 *    its identifier chosen by the kernel;
 *  - fd 11: a raw ICMP socket whose ICMP_FILTER lets echo replies alone in;
 *  - fd 12: a raw ICMP socket with IP_HDRINCL and IP_TTL 33: it sends
 *    echo requests with an IP header of its own making;
 *  - fd 13: a packet socket (SOCK_DGRAM, ETH_P_IP) bound to lo, with a
 *    classic filter that keeps ICMP echo replies alone (SO_ATTACH_FILTER)
 *    and PACKET_AUXDATA;
 *  - fd 14: a NETLINK_ROUTE socket bound (its portid chosen by the kernel)
 *    to the groups RTMGRP_LINK, then RTNLGRP_IPV4_ROUTE and group 33 added
 *    (NETLINK_ADD_MEMBERSHIP), NETLINK_EXT_ACK on, a receive buffer of
 *    16 MiB (SO_RCVBUFFORCE, above rmem_max);
 *  - fd 15: a NETLINK_KOBJECT_UEVENT socket bound to group 1;
 *  - fd 16: a NETLINK_GENERIC socket bound to a portid of its choosing
 *    (0x70000000 + its pid);
 *  - fd 17: an ICMPv6 socket bound to ::1 (when the machine has IPv6).
 * With "fanout", fd 18 is a packet socket in a fanout group
 * (PACKET_FANOUT); with "member", one that joined lo's all-multicast
 * (PACKET_ADD_MEMBERSHIP); with "dumping", a NETLINK_SOCK_DIAG socket
 * whose dump of 200 unix sockets (100 pairs of its own) is read in no
 * part: ckpt must refuse each.
 *
 * Self-check (SIGUSR2), each time, every socket used:
 *  - an echo through fd 10 to 127.0.0.1 gets its reply, with the
 *    socket's identifier; fd 11 sees that reply (and nothing its filter
 *    drops); fd 13 sees it on lo through its filter;
 *  - an echo request fd 12 builds whole (IP header included) gets its
 *    reply, seen on fd 11;
 *  - fd 14 dumps the links (RTM_GETLINK) and finds lo, every answer to
 *    its portid; its groups are as set up; fd 16 asks the generic
 *    controller for "nlctrl" and gets its family;
 *  - the identifiers, portids, bindings, filters and options are those
 *    read at start. Info: ident, portids, ident6.
 */
#include "target.h"

#include <arpa/inet.h>
#include <net/if.h> /* before the linux/ headers: they step aside for it */
#include <linux/filter.h>
#include <linux/genetlink.h>
#include <linux/icmp.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_LIST_MEMBERSHIPS
#define NETLINK_LIST_MEMBERSHIPS 9
#endif
#define ETH_P_IP_ 0x0800

/* A packet of IPv4 (network header first): ICMP echo replies alone. */
static struct sock_filter only_replies[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9), /* protocol */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, 0, 3),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), /* header length */
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0), /* ICMP type */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP_ECHOREPLY, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, 0),
	BPF_STMT(BPF_RET | BPF_K, 0xffff),
};
#define N_FILTER (sizeof(only_replies) / sizeof(only_replies[0]))

static struct {
	uint16_t ident, ident6;
	uint32_t portid[3]; /* fds 14, 15, 16 */
	uint32_t groups[4]; /* fd 14's membership bitmap */
	int lo, has6, rcvbuf14;
	uint16_t seq;
} st;

static struct sockaddr_in lo4 = { .sin_family = AF_INET };

static int getint(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int v = -1;

	if (getsockopt(fd, level, name, &v, &len))
		return -1;
	return v;
}

static void setint(int fd, int level, int name, int v)
{
	if (setsockopt(fd, level, name, &v, sizeof(v)))
		t_fatal("setsockopt %d/%d on %d: %s", level, name, fd, strerror(errno));
}

static uint16_t csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* Wait (2 s at most) for a datagram on @fd that @match likes. */
static int wait_for(int fd, int (*match)(const uint8_t *, ssize_t, uint16_t, uint16_t), uint16_t id,
		    uint16_t seq)
{
	uint8_t buf[2048];

	for (int64_t end = t_now_ns() + 2000000000LL; t_now_ns() < end;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 && match(buf, n, id, seq))
			return 1;
	}
	return 0;
}

static void drain(int fd)
{
	uint8_t buf[2048];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

/* An ICMP echo reply (ICMP header first: a ping socket). */
static int is_reply(const uint8_t *b, ssize_t n, uint16_t id, uint16_t seq)
{
	const struct icmphdr *h = (const void *)b;

	return n >= (ssize_t)sizeof(*h) && h->type == ICMP_ECHOREPLY &&
	       ntohs(h->un.echo.id) == id && ntohs(h->un.echo.sequence) == seq;
}

/* The same behind an IPv4 header (raw and packet sockets). */
static int ip_is_reply(const uint8_t *b, ssize_t n, uint16_t id, uint16_t seq)
{
	size_t hl;

	if (n < 20 || (b[0] >> 4) != 4)
		return 0;
	hl = (size_t)(b[0] & 0xf) * 4;
	return (ssize_t)hl < n && b[9] == IPPROTO_ICMP &&
	       is_reply(b + hl, n - (ssize_t)hl, id, seq);
}

/* Anything but an echo reply: what fd 11's filter must keep out. */
static int ip_not_reply(const uint8_t *b, ssize_t n, uint16_t id, uint16_t seq)
{
	size_t hl = (size_t)(b[0] & 0xf) * 4;

	(void)id;
	(void)seq;
	return n > (ssize_t)hl && b[hl] != ICMP_ECHOREPLY;
}

static int is_reply6(const uint8_t *b, ssize_t n, uint16_t id, uint16_t seq)
{
	/* struct icmp6hdr: type 129 is an echo reply */
	return n >= 8 && b[0] == 129 && (b[4] << 8 | b[5]) == id && (b[6] << 8 | b[7]) == seq;
}

static void ping_check(struct t_check *c)
{
	struct icmphdr h = { .type = ICMP_ECHO };
	uint16_t seq = ++st.seq;

	drain(10);
	drain(11);
	drain(13);
	h.un.echo.sequence = htons(seq);
	if (sendto(10, &h, sizeof(h), 0, (struct sockaddr *)&lo4, sizeof(lo4)) < 0) {
		t_check_fail(c, "ping from fd 10: %s", strerror(errno));
		return;
	}
	if (!wait_for(10, is_reply, st.ident, seq))
		t_check_fail(c, "no echo reply on the ICMP socket (ident %u, seq %u)", st.ident,
			     seq);
	if (!wait_for(11, ip_is_reply, st.ident, seq))
		t_check_fail(c, "the raw ICMP socket did not see the echo reply");
	if (!wait_for(13, ip_is_reply, st.ident, seq))
		t_check_fail(c, "the packet socket did not see the echo reply on lo");
	/* The request went by too: neither filter let it through. */
	if (wait_for(11, ip_not_reply, 0, 0))
		t_check_fail(c, "the raw socket's ICMP_FILTER let something else in");
}

static void hdrincl_check(struct t_check *c)
{
	struct {
		uint8_t ip[20];
		struct icmphdr icmp;
	} pkt;
	uint16_t seq = ++st.seq, id = (uint16_t)(0x4000 + (t_pid & 0xfff));

	memset(&pkt, 0, sizeof(pkt));
	pkt.ip[0] = 0x45;
	pkt.ip[8] = 64; /* TTL: ours, not IP_TTL's (the header is ours) */
	pkt.ip[9] = IPPROTO_ICMP;
	memcpy(pkt.ip + 12, &lo4.sin_addr, 4);
	memcpy(pkt.ip + 16, &lo4.sin_addr, 4);
	pkt.icmp.type = ICMP_ECHO;
	pkt.icmp.un.echo.id = htons(id);
	pkt.icmp.un.echo.sequence = htons(seq);
	pkt.icmp.checksum = csum(&pkt.icmp, sizeof(pkt.icmp));
	drain(11);
	if (sendto(12, &pkt, sizeof(pkt), 0, (struct sockaddr *)&lo4, sizeof(lo4)) < 0)
		t_check_fail(c, "send with IP_HDRINCL: %s", strerror(errno));
	else if (!wait_for(11, ip_is_reply, id, seq))
		t_check_fail(c, "no reply to the echo request built whole (IP_HDRINCL)");
}

static void ping6_check(struct t_check *c)
{
	struct sockaddr_in6 lo6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	uint8_t req[8] = { 128, 0 };
	uint16_t seq = ++st.seq;

	if (!st.has6)
		return;
	drain(17);
	req[6] = (uint8_t)(seq >> 8);
	req[7] = (uint8_t)seq;
	if (sendto(17, req, sizeof(req), 0, (struct sockaddr *)&lo6, sizeof(lo6)) < 0)
		t_check_fail(c, "ping from fd 17: %s", strerror(errno));
	else if (!wait_for(17, is_reply6, st.ident6, seq))
		t_check_fail(c, "no echo reply on the ICMPv6 socket (ident %u)", st.ident6);
}

static uint32_t portid_of(int fd, uint32_t *groups)
{
	struct sockaddr_nl a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return 0;
	if (groups)
		*groups = a.nl_groups;
	return a.nl_pid;
}

/* Send one request on @fd; read answers until done or an error; calls
 * @each on every answer. Returns 0, or a description of what is wrong. */
static const char *nl_talk(int fd, void *req, size_t len, uint32_t portid,
			   int (*each)(const struct nlmsghdr *, void *), void *arg)
{
	static char buf[65536];
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	drain(fd);
	if (sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return "cannot send";
	for (int64_t end = t_now_ns() + 2000000000LL; t_now_ns() < end;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return "cannot receive";
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_pid != portid)
				return "an answer to another portid";
			if (h->nlmsg_type == NLMSG_DONE)
				return NULL;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error ? "an error"
										 : NULL;
			if (each(h, arg))
				return NULL;
		}
	}
	return "no answer";
}

static int link_is_lo(const struct nlmsghdr *h, void *arg)
{
	const struct ifinfomsg *i = NLMSG_DATA(h);

	if (h->nlmsg_type == RTM_NEWLINK && i->ifi_index == st.lo)
		*(int *)arg = 1;
	return 0;
}

static int genl_family(const struct nlmsghdr *h, void *arg)
{
	*(int *)arg = h->nlmsg_type == GENL_ID_CTRL;
	return 1;
}

static void netlink_check(struct t_check *c)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} links = { { NLMSG_LENGTH(sizeof(struct rtgenmsg)), RTM_GETLINK,
		      NLM_F_REQUEST | NLM_F_DUMP, ++st.seq, 0 },
		    { AF_UNSPEC } };
	struct {
		struct nlmsghdr h;
		struct genlmsghdr g;
		struct nlattr a;
		char name[8];
	} ctrl = { { sizeof(ctrl), GENL_ID_CTRL, NLM_F_REQUEST, ++st.seq, 0 },
		   { CTRL_CMD_GETFAMILY, 1, 0 },
		   { NLA_HDRLEN + 7, CTRL_ATTR_FAMILY_NAME },
		   "nlctrl" };
	uint32_t groups[4] = { 0 }, g15 = 0;
	socklen_t len = sizeof(groups);
	const char *why;
	int found = 0;

	for (int i = 0; i < 3; i++)
		if (portid_of(14 + i, i == 1 ? &g15 : NULL) != st.portid[i])
			t_check_fail(c, "fd %d has portid %u, was %u", 14 + i,
				     portid_of(14 + i, NULL), st.portid[i]);
	if (g15 != 1)
		t_check_fail(c, "the uevent socket is bound to groups %#x, want 1", g15);
	if (getsockopt(14, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, groups, &len) ||
	    memcmp(groups, st.groups, sizeof(groups)))
		t_check_fail(c, "fd 14 is in groups %#x %#x, was %#x %#x", groups[0], groups[1],
			     st.groups[0], st.groups[1]);
	if (getint(14, SOL_NETLINK, NETLINK_EXT_ACK) != 1)
		t_check_fail(c, "NETLINK_EXT_ACK of fd 14 is off");
	if (getint(14, SOL_SOCKET, SO_RCVBUF) != st.rcvbuf14)
		t_check_fail(c, "SO_RCVBUF of fd 14 is %d, was %d",
			     getint(14, SOL_SOCKET, SO_RCVBUF), st.rcvbuf14);
	why = nl_talk(14, &links, sizeof(links), st.portid[0], link_is_lo, &found);
	if (why || !found)
		t_check_fail(c, "the route dump on fd 14: %s", why ? why : "no lo");
	found = 0;
	why = nl_talk(16, &ctrl, sizeof(ctrl), st.portid[2], genl_family, &found);
	if (why || !found)
		t_check_fail(c, "the generic netlink socket: %s", why ? why : "no family");
}

static void opts_check(struct t_check *c)
{
	struct sock_filter got[16];
	struct sockaddr_ll ll;
	struct sockaddr_in in;
	socklen_t n = 16, len = sizeof(ll);
	struct icmp_filter f = { 0 };

	memset(&ll, 0, sizeof(ll));
	if (getsockname(13, (struct sockaddr *)&ll, &len) || ll.sll_ifindex != st.lo ||
	    ll.sll_protocol != htons(ETH_P_IP_))
		t_check_fail(c, "the packet socket is bound to %d/%#x, want lo (%d)/ETH_P_IP",
			     ll.sll_ifindex, ntohs(ll.sll_protocol), st.lo);
	if (getsockopt(13, SOL_SOCKET, SO_GET_FILTER, got, &n) || n != N_FILTER ||
	    memcmp(got, only_replies, sizeof(only_replies)))
		t_check_fail(c, "the packet socket has a filter of %u instructions, not its own",
			     (unsigned int)n);
	if (getint(13, SOL_PACKET, PACKET_AUXDATA) != 1)
		t_check_fail(c, "PACKET_AUXDATA of fd 13 is off");
	len = sizeof(f);
	if (getsockopt(11, SOL_RAW, ICMP_FILTER, &f, &len) || f.data != ~(1U << ICMP_ECHOREPLY))
		t_check_fail(c, "ICMP_FILTER of fd 11 is %#x", f.data);
	if (getint(12, SOL_IP, IP_HDRINCL) != 1 || getint(12, SOL_IP, IP_TTL) != 33)
		t_check_fail(c, "fd 12 has IP_HDRINCL %d and IP_TTL %d, want 1 and 33",
			     getint(12, SOL_IP, IP_HDRINCL), getint(12, SOL_IP, IP_TTL));
	len = sizeof(in);
	if (getsockname(10, (struct sockaddr *)&in, &len) ||
	    in.sin_addr.s_addr != lo4.sin_addr.s_addr || ntohs(in.sin_port) != st.ident)
		t_check_fail(c, "the ICMP socket is bound to %#x ident %u, want 127.0.0.1 ident %u",
			     ntohl(in.sin_addr.s_addr), ntohs(in.sin_port), st.ident);
}

static void net_check(struct t_check *c)
{
	opts_check(c);
	ping_check(c);
	hdrincl_check(c);
	ping6_check(c);
	netlink_check(c);
	t_check_info(c, "ident=%u ident6=%u portid14=%u portid15=%u portid16=%u", st.ident,
		     st.ident6, st.portid[0], st.portid[1], st.portid[2]);
}

static int nl_socket(int proto, uint32_t portid, uint32_t groups, int at)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_pid = portid, .nl_groups = groups };
	int fd = socket(AF_NETLINK, SOCK_RAW, proto);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		t_fatal("netlink socket %d: %s", proto, strerror(errno));
	t_fd_at(fd, at);
	return at;
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = net_check };
	struct sock_fprog prog = { N_FILTER, only_replies };
	struct icmp_filter f = { ~(1U << ICMP_ECHOREPLY) };
	struct sockaddr_in6 lo6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP_) };
	struct sockaddr_in in;
	socklen_t len = sizeof(in);
	int fd;

	t_init(argc, argv);
	lo4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	st.lo = (int)if_nametoindex("lo");
	if (!st.lo)
		t_fatal("no lo");

	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (fd < 0)
		t_fatal("ICMP socket: %s (net.ipv4.ping_group_range)", strerror(errno));
	t_fd_at(fd, 10);
	if (bind(10, (struct sockaddr *)&lo4, sizeof(lo4)) || getsockname(10, (void *)&in, &len))
		t_fatal("bind ICMP socket: %s", strerror(errno));
	st.ident = ntohs(in.sin_port);

	t_fd_at(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), 11);
	if (setsockopt(11, SOL_RAW, ICMP_FILTER, &f, sizeof(f)))
		t_fatal("ICMP_FILTER: %s", strerror(errno));
	t_fd_at(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), 12);
	setint(12, SOL_IP, IP_HDRINCL, 1);
	setint(12, SOL_IP, IP_TTL, 33);

	t_fd_at(socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP_)), 13);
	ll.sll_ifindex = st.lo;
	if (bind(13, (struct sockaddr *)&ll, sizeof(ll)) ||
	    setsockopt(13, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		t_fatal("packet socket: %s", strerror(errno));
	setint(13, SOL_PACKET, PACKET_AUXDATA, 1);

	nl_socket(NETLINK_ROUTE, 0, RTMGRP_LINK, 14);
	setint(14, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, RTNLGRP_IPV4_ROUTE);
	setint(14, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, 33);
	setint(14, SOL_NETLINK, NETLINK_EXT_ACK, 1);
	/* As udev and ip monitor do: a receive buffer above rmem_max. */
	setint(14, SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20);
	st.rcvbuf14 = getint(14, SOL_SOCKET, SO_RCVBUF);
	len = sizeof(st.groups);
	if (getsockopt(14, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, st.groups, &len))
		t_fatal("NETLINK_LIST_MEMBERSHIPS: %s", strerror(errno));
	nl_socket(NETLINK_KOBJECT_UEVENT, 0, 1, 15);
	nl_socket(NETLINK_GENERIC, 0x70000000u | (uint32_t)t_pid, 0, 16);
	for (int i = 0; i < 3; i++)
		st.portid[i] = portid_of(14 + i, NULL);

	fd = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&lo6, sizeof(lo6)) == 0) {
		struct sockaddr_in6 me;

		len = sizeof(me);
		t_fd_at(fd, 17);
		if (getsockname(17, (struct sockaddr *)&me, &len))
			t_fatal("getsockname ICMPv6");
		st.ident6 = ntohs(me.sin6_port);
		st.has6 = 1;
	} else if (fd >= 0) {
		close(fd);
	}
	if (argc > 2 && !strcmp(argv[2], "fanout")) {
		t_fd_at(socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP_)), 18);
		setint(18, SOL_PACKET, PACKET_FANOUT,
		       (int)(t_pid & 0xffff) | PACKET_FANOUT_HASH << 16);
	} else if (argc > 2 && !strcmp(argv[2], "dumping")) {
		/* A sock_diag dump of more unix sockets than one answer
		 * holds, its first part never read. */
		struct {
			struct nlmsghdr h;
			struct unix_diag_req r;
		} req = { { sizeof(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0 },
			  { .sdiag_family = AF_UNIX, .udiag_states = ~0U } };
		int sp[2];

		for (int i = 0; i < 100; i++)
			if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp))
				t_fatal("socketpair: %s", strerror(errno));
		t_fd_at(socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG), 18);
		if (send(18, &req, sizeof(req), 0) != sizeof(req))
			t_fatal("sock_diag request: %s", strerror(errno));
	} else if (argc > 2 && !strcmp(argv[2], "member")) {
		struct packet_mreq m = { .mr_ifindex = st.lo, .mr_type = PACKET_MR_ALLMULTI };

		t_fd_at(socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP_)), 18);
		if (setsockopt(18, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &m, sizeof(m)))
			t_fatal("PACKET_ADD_MEMBERSHIP: %s", strerror(errno));
	}
	t_run(&ops);
	return 0;
}
