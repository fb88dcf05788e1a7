/*
 * 121-udp-queue - UDP sockets with datagrams waiting, from several senders.
 *
 *     121-udp-queue WORKDIR
 *
 *   r0  IPv4, bound to 127.0.0.1     from senders a, b, c (IPv4)
 *   r1  IPv6, bound to ::1           from senders a, b, c (IPv6)
 *   r2  IPv6, bound to :: (both)     from a (IPv4), b (IPv6), c (IPv4)
 *   r3  IPv4, connected to c         from a and b before the connect, then c
 *   r4  IPv4, bound to 0.0.0.0, asking for IP_PKTINFO, IP_RECVTTL and
 *       IP_RECVTOS: from a (TTL 33, TOS 0x20) to 127.0.0.2, b to 127.0.0.1,
 *       c (TTL 17) to 127.0.0.3
 *
 * r1 also asks for IPV6_RECVHOPLIMIT; its sender a sends with hop limit 40.
 *
 * The datagrams come interleaved from the senders, among them an empty one
 * and one of 30000 bytes. Sender b of each is closed once it has sent (its
 * port is free again), a and c stay open. Nobody reads.
 *
 * Self-check (SIGUSR2): each socket's first datagram, peeked at, is the
 * one sent first, from its sender's address and port; no buffer size is
 * locked (SO_BUF_LOCK: nobody set one). With the file
 * "final" in the workdir, the check reads every queue to its end
 * (recvmsg): the same datagrams, in the same order, each from the same
 * address and port, with what r1 and r4 ask to be told the same (the
 * address it came to, TTL, TOS), nothing more; then r3 still takes c's datagrams, and
 * r0 a new one from a.
 */
#include "target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define NR 5
#define NS 3
#define NMSG 8
#define BIG 30000

struct rcv {
	int sk;
	int fam[NS]; /* family of each sender */
	int snd[NS];
	char from[NS][64]; /* each sender's address, as recvfrom shows it */
	int order[NMSG]; /* sender of each datagram, in order */
	size_t len[NMSG];
	int ttl[NS], tos[NS]; /* what each sender sets (0: the default) */
};

/* Where r4's senders send. */
static const char *const r4_dst[NS] = { "127.0.0.2", "127.0.0.1", "127.0.0.3" };

static struct rcv rs[NR];
static int final_done;
static char big[BIG];

static void fill_addr(int fam, const char *ip, int port, struct sockaddr_storage *a, socklen_t *len)
{
	memset(a, 0, sizeof(*a));
	if (fam == AF_INET6) {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)a;

		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &v6->sin6_addr);
		*len = sizeof(*v6);
	} else {
		struct sockaddr_in *v4 = (struct sockaddr_in *)a;

		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &v4->sin_addr);
		*len = sizeof(*v4);
	}
}

/* "ip:port", an IPv4 address in IPv6 shown as IPv4. */
static void addr_str(const struct sockaddr_storage *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const void *)a;

		if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
			inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], ip, sizeof(ip));
		else
			inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
		port = ntohs(v6->sin6_port);
	} else if (a->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const void *)a;

		inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
		port = ntohs(v4->sin_port);
	}
	snprintf(buf, len, "%s:%d", ip, port);
}

static int bound(int fam, const char *ip, int v6only)
{
	struct sockaddr_storage a;
	socklen_t len;
	int sk = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sk < 0)
		t_fatal("socket");
	if (fam == AF_INET6 &&
	    setsockopt(sk, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
		t_fatal("IPV6_V6ONLY");
	fill_addr(fam, ip, 0, &a, &len);
	if (bind(sk, (struct sockaddr *)&a, len) < 0)
		t_fatal("bind %s", ip);
	return sk;
}

static int port_of(int sk)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	if (getsockname(sk, (struct sockaddr *)&a, &len) < 0)
		t_fatal("getsockname");
	return ntohs(((struct sockaddr_in *)&a)->sin_port); /* same place in v6 */
}

/* The payload of datagram @i of receiver @r. */
static size_t payload(int r, int i, char *buf, size_t cap)
{
	if (i == 3 && r == 0)
		return 0; /* empty */
	if (i == 5) {
		for (size_t k = 0; k < BIG; k++)
			big[k] = (char)('A' + (k * 7 + (size_t)r) % 26);
		memcpy(buf, big, BIG);
		return BIG;
	}
	return (size_t)snprintf(buf, cap, "r%d datagram %d", r, i);
}

static void to_receiver(int r, int s, char *buf, size_t len)
{
	struct rcv *c = &rs[r];
	struct sockaddr_storage a;
	socklen_t alen;
	const char *ip = r == 4 ? r4_dst[s] : c->fam[s] == AF_INET6 ? "::1" : "127.0.0.1";

	fill_addr(c->fam[s], ip, port_of(c->sk), &a, &alen);
	if (sendto(c->snd[s], buf, len, 0, (struct sockaddr *)&a, alen) != (ssize_t)len)
		t_fatal("sendto r%d from %d", r, s);
}

static void setup(void)
{
	static const int orders[NMSG] = { 0, 1, 2, 0, 1, 2, 1, 0 };
	char *buf = malloc(BIG + 64);

	if (!buf)
		t_fatal("malloc");
	rs[0].sk = bound(AF_INET, "127.0.0.1", 0);
	rs[1].sk = bound(AF_INET6, "::1", 1);
	rs[2].sk = bound(AF_INET6, "::", 0);
	rs[3].sk = bound(AF_INET, "127.0.0.1", 0);
	rs[4].sk = bound(AF_INET, "0.0.0.0", 0);
	for (int o = 0; o < 3; o++) {
		static const int opts[] = { IP_PKTINFO, IP_RECVTTL, IP_RECVTOS };

		if (setsockopt(rs[4].sk, SOL_IP, opts[o], &(int){ 1 }, sizeof(int)) < 0)
			t_fatal("r4 option %d", opts[o]);
	}
	if (setsockopt(rs[1].sk, SOL_IPV6, IPV6_RECVHOPLIMIT, &(int){ 1 }, sizeof(int)) < 0)
		t_fatal("IPV6_RECVHOPLIMIT");
	rs[4].ttl[0] = 33;
	rs[4].tos[0] = 0x20;
	rs[4].ttl[2] = 17;
	rs[1].ttl[0] = 40;
	for (int r = 0; r < NR; r++) {
		struct rcv *c = &rs[r];

		for (int s = 0; s < NS; s++) {
			struct sockaddr_storage a;
			socklen_t len = sizeof(a);

			c->fam[s] = r == 1 || (r == 2 && s == 1) ? AF_INET6 : AF_INET;
			c->snd[s] = bound(c->fam[s], c->fam[s] == AF_INET6 ? "::1" : "127.0.0.1", 1);
			if (getsockname(c->snd[s], (struct sockaddr *)&a, &len) < 0)
				t_fatal("getsockname");
			if (c->ttl[s] &&
			    setsockopt(c->snd[s], c->fam[s] == AF_INET6 ? SOL_IPV6 : SOL_IP,
				       c->fam[s] == AF_INET6 ? IPV6_UNICAST_HOPS : IP_TTL,
				       &c->ttl[s], sizeof(int)) < 0)
				t_fatal("TTL");
			if (c->tos[s] &&
			    setsockopt(c->snd[s], SOL_IP, IP_TOS, &c->tos[s], sizeof(int)) < 0)
				t_fatal("TOS");
			addr_str(&a, c->from[s], sizeof(c->from[s]));
		}
		for (int i = 0; i < NMSG; i++) {
			int s = orders[i];

			/* r3: only c after the connect (the last three). */
			if (r == 3 && i == NMSG - 3) {
				struct sockaddr_storage a;
				socklen_t alen;

				fill_addr(AF_INET, "127.0.0.1", port_of(c->snd[2]), &a, &alen);
				if (connect(c->sk, (struct sockaddr *)&a, alen) < 0)
					t_fatal("connect r3");
			}
			if (r == 3 && i >= NMSG - 3)
				s = 2;
			c->order[i] = s;
			c->len[i] = payload(r, i, buf, BIG + 64);
			to_receiver(r, s, buf, c->len[i]);
		}
		close(c->snd[1]);
		c->snd[1] = -1;
	}
	free(buf);
}

/* Datagram @i of @r: the right bytes from the right sender (@n bytes read). */
static void check_dgram(struct t_check *ck, int r, int i, const char *got, ssize_t n,
			const struct sockaddr_storage *from)
{
	char want[BIG + 64], addr[64];
	size_t len = payload(r, i, want, sizeof(want));

	addr_str(from, addr, sizeof(addr));
	if (n != (ssize_t)len || memcmp(got, want, len))
		t_check_fail(ck, "r%d datagram %d: %zd bytes '%.20s', want %zu '%.20s'", r, i, n,
			     n > 0 ? got : "", len, want);
	if (strcmp(addr, rs[r].from[rs[r].order[i]]))
		t_check_fail(ck, "r%d datagram %d comes from %s, want %s", r, i, addr,
			     rs[r].from[rs[r].order[i]]);
}

/* What r1 and r4 are told with datagram @i. */
static void check_info(struct t_check *ck, int r, int i, struct msghdr *msg)
{
	int s = rs[r].order[i], ttl = -1, tos = -1;
	char dst[64] = "";

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			inet_ntop(AF_INET, &pi.ipi_addr, dst, sizeof(dst));
		} else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL) {
			memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
		} else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TOS) {
			tos = *(unsigned char *)CMSG_DATA(c);
		} else if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
			memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
		}
	}
	if (ttl != (rs[r].ttl[s] ? rs[r].ttl[s] : 64))
		t_check_fail(ck, "r%d datagram %d came with TTL %d, want %d", r, i, ttl,
			     rs[r].ttl[s] ? rs[r].ttl[s] : 64);
	if (r == 4 && (tos != rs[r].tos[s] || strcmp(dst, r4_dst[s])))
		t_check_fail(ck, "r4 datagram %d came to %s with TOS %#x, want %s and %#x", i, dst,
			     tos, r4_dst[s], rs[r].tos[s]);
}

static void read_all(struct t_check *ck, int r, char *buf)
{
	for (int i = 0; i <= NMSG; i++) {
		struct sockaddr_storage from;
		char ctl[512];
		struct iovec iov = { buf, BIG + 64 };
		struct msghdr msg = { &from, sizeof(from), &iov, 1, ctl, sizeof(ctl), 0 };
		ssize_t n;

		memset(&from, 0, sizeof(from));
		n = recvmsg(rs[r].sk, &msg, MSG_DONTWAIT);
		if (i == NMSG) {
			if (n >= 0 || errno != EAGAIN)
				t_check_fail(ck, "r%d holds more than its %d datagrams", r, NMSG);
			return;
		}
		if (n < 0) {
			t_check_fail(ck, "r%d: datagram %d: %s", r, i, strerror(errno));
			return;
		}
		check_dgram(ck, r, i, buf, n, &from);
		if (r == 1 || r == 4)
			check_info(ck, r, i, &msg);
	}
}

/* One more datagram from sender @s of @r, received at once. */
static void still_works(struct t_check *ck, int r, int s)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[64];
	ssize_t n;

	to_receiver(r, s, "after", 5);
	for (int k = 0; k < 5000; k++) {
		struct timespec tick = { 0, 1000000 };

		n = recvfrom(rs[r].sk, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
			     &flen);
		if (n >= 0 || errno != EAGAIN)
			break;
		nanosleep(&tick, NULL);
	}
	addr_str(&from, buf + 32, 32);
	if (n != 5 || strcmp(buf + 32, rs[r].from[s]))
		t_check_fail(ck, "r%d does not take a new datagram from its sender", r);
}

static int has_final(void)
{
	return access("final", F_OK) == 0;
}

static void check(struct t_check *ck)
{
	char *buf = malloc(BIG + 64);

	if (!buf) {
		t_check_fail(ck, "malloc");
		return;
	}
	if (!final_done && has_final()) {
		final_done = 1;
		for (int r = 0; r < NR; r++)
			read_all(ck, r, buf);
		still_works(ck, 3, 2);
		still_works(ck, 0, 0);
		t_check_info(ck, "final=1");
	} else if (!final_done) {
		for (int r = 0; r < NR; r++) {
			int lock = -1;
			socklen_t len = sizeof(lock);

			/* Nobody set a buffer size: none is locked (SO_BUF_LOCK). */
			if (getsockopt(rs[r].sk, SOL_SOCKET, 72, &lock, &len) == 0 && lock)
				t_check_fail(ck, "r%d has SO_BUF_LOCK %d", r, lock);
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t n = recvfrom(rs[r].sk, buf, BIG + 64, MSG_DONTWAIT | MSG_PEEK,
					     (struct sockaddr *)&from, &flen);

			if (n < 0)
				t_check_fail(ck, "r%d: no datagram (%s)", r, strerror(errno));
			else
				check_dgram(ck, r, 0, buf, n, &from);
		}
	}
	free(buf);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { NULL, check };

	t_init(argc, argv);
	setup();
	t_run(&ops);
}
