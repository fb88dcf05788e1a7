/*
 * 90-inet.c - TCP and UDP sockets over loopback, IPv4 or IPv6.
 *
 * Usage: 90-inet WORKDIR 4|6 [raw|synsent]
 *
 * Set up before READY, all on the loopback address of the family:
 *   L   a listening TCP socket (SO_REUSEADDR, SO_KEEPALIVE, TCP_NODELAY,
 *       TCP_KEEPIDLE 77, backlog 5; IPV6_V6ONLY for IPv6)
 *   U   a UDP socket (SO_RCVBUF 65536) that echoes every datagram back as
 *       "ECHO <datagram>"
 *   U2  a UDP socket connected to U, IP_TOS / IPV6_TCLASS 0x10
 *   A-B a TCP connection inside the process (A connected to L, B accepted)
 *       with B2A_LEN bytes waiting in A, and as many bytes from A as B's
 *       window and A's send buffer hold (a2b_len bytes of a pattern)
 *   D   another connection to L (its peer accepted and kept), shut down
 *       for reading (SHUT_RD)
 *   C0  a TCP socket never bound; C1 a TCP socket bound, not listening
 * and prints "PORTS tcp=P udp=Q bound=R" before READY. With "raw", fd
 * RAW_FD is also a raw ICMP socket; with "synsent", fd RAW_FD is a TCP
 * socket stuck connecting (its SYNs go to a listening socket that drops
 * every packet, at fd RAW_FD + 1): ckpt must refuse the raw socket and the
 * listening socket's filter.
 *
 * The main loop accepts one client S from outside (the test): it sets
 * SO_SNDBUF 16384 on it and writes lines "DATA %08u\n" until the client's
 * window closes: bytes wait in S, none in flight ("FILLED bytes=N"); it
 * never reads S until told, and says "INQ n" whenever the bytes waiting in
 * S change. Every other connection
 * accepted later is greeted with "HELLO2\n". While WORKDIR/hold exists no
 * connection is accepted.
 *
 * The first SIGUSR1 (after the restore) runs phase 2 once: S's waiting
 * bytes are read (must be CLIENT_MSG), the A-B data is read and checked
 * (every byte, and no byte more) and a ping-pong crosses A-B, a datagram goes U2 -> U -> U2, and the rest
 * of the stream is queued on S: the partial line, then "NEXT\n"; "TOTAL
 * bytes=T" says how many bytes S carries in all.
 *
 * Self-check: every socket still has its address, peer, state and
 * options; what waits in S (s_inq, s_outq) and in the A-B pair; the
 * results of phase 2 once run.
 */
#include "target.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define CLIENT_MSG "HELLO-FROM-CLIENT\n"
#define B2A_LEN 2000
#define KEEPIDLE 77
#define BACKLOG 5
#define TOS 0x10
#define S_SNDBUF 16384
#define RAW_FD 40

union addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

static int family;
static int L = -1, U = -1, U2 = -1, A = -1, B = -1, D = -1, C0 = -1, C1 = -1, S = -1;
static int tcp_port, udp_port, bound_port;
static int s_sndbuf, u_rcvbuf;
static union addr s_peer;
static unsigned long filled, total, line_no, a2b_len;
static char pending[64]; /* the rest of a line S did not take */
static size_t pending_len;
static int last_inq = -1, phase;
static int msg_ok, pair_ok, udp2_ok;

static socklen_t addr_len(void)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static union addr loopback(int port)
{
	union addr a;

	memset(&a, 0, sizeof(a));
	if (family == AF_INET6) {
		a.v6.sin6_family = AF_INET6;
		a.v6.sin6_addr = in6addr_loopback;
		a.v6.sin6_port = htons(port);
	} else {
		a.v4.sin_family = AF_INET;
		a.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.v4.sin_port = htons(port);
	}
	return a;
}

static int port_of(const union addr *a)
{
	return ntohs(family == AF_INET6 ? a->v6.sin6_port : a->v4.sin_port);
}

static bool same_addr(const union addr *x, const union addr *y)
{
	if (family == AF_INET6)
		return !memcmp(&x->v6.sin6_addr, &y->v6.sin6_addr, 16) &&
		       x->v6.sin6_port == y->v6.sin6_port;
	return x->v4.sin_addr.s_addr == y->v4.sin_addr.s_addr && x->v4.sin_port == y->v4.sin_port;
}

static int sock_port(int fd)
{
	union addr a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, &a.sa, &len))
		return -1;
	return port_of(&a);
}

static int opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len))
		return -1;
	return v;
}

static void set_opt(int fd, int level, int name, int v)
{
	if (setsockopt(fd, level, name, &v, sizeof(v)))
		t_fatal("setsockopt %d/%d", level, name);
}

static int new_socket(int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		t_fatal("socket");
	return fd;
}

static void bind_loopback(int fd)
{
	union addr a = loopback(0);

	if (bind(fd, &a.sa, addr_len()))
		t_fatal("bind");
}

static void fill(int fd, char c, size_t len)
{
	char buf[B2A_LEN];

	memset(buf, c, len);
	if (write(fd, buf, len) != (ssize_t)len)
		t_fatal("write %zu bytes", len);
}

/* Byte @i of the stream A sends B. */
static char a2b_byte(unsigned long i)
{
	return (char)('a' + i % 23);
}

/* A writes to B until it takes no more. */
static void fill_a2b(void)
{
	char buf[4096];
	ssize_t n;

	if (fcntl(A, F_SETFL, O_NONBLOCK))
		t_fatal("O_NONBLOCK");
	do {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = a2b_byte(a2b_len + i);
		n = write(A, buf, sizeof(buf));
		if (n > 0)
			a2b_len += (unsigned long)n;
	} while (n > 0);
	if (errno != EAGAIN)
		t_fatal("write until full");
}

static void setup_listener(void)
{
	L = new_socket(SOCK_STREAM | SOCK_NONBLOCK);
	set_opt(L, SOL_SOCKET, SO_REUSEADDR, 1);
	set_opt(L, SOL_SOCKET, SO_KEEPALIVE, 1);
	set_opt(L, SOL_TCP, TCP_NODELAY, 1);
	set_opt(L, SOL_TCP, TCP_KEEPIDLE, KEEPIDLE);
	if (family == AF_INET6)
		set_opt(L, SOL_IPV6, IPV6_V6ONLY, 1);
	bind_loopback(L);
	if (listen(L, BACKLOG))
		t_fatal("listen");
	tcp_port = sock_port(L);
}

static void setup_udp(void)
{
	union addr a;

	U = new_socket(SOCK_DGRAM | SOCK_NONBLOCK);
	set_opt(U, SOL_SOCKET, SO_RCVBUF, 65536);
	bind_loopback(U);
	udp_port = sock_port(U);
	u_rcvbuf = opt(U, SOL_SOCKET, SO_RCVBUF);
	U2 = new_socket(SOCK_DGRAM);
	if (family == AF_INET6)
		set_opt(U2, SOL_IPV6, IPV6_TCLASS, TOS);
	else
		set_opt(U2, SOL_IP, IP_TOS, TOS);
	a = loopback(udp_port);
	if (connect(U2, &a.sa, addr_len()))
		t_fatal("connect UDP");
}

/* A connection inside the process, with data waiting at both ends. */
static void setup_pair(void)
{
	union addr a = loopback(tcp_port);
	struct pollfd p = { .fd = L, .events = POLLIN };

	A = new_socket(SOCK_STREAM);
	set_opt(A, SOL_SOCKET, SO_SNDBUF, 32768);
	if (connect(A, &a.sa, addr_len()))
		t_fatal("connect to self");
	if (poll(&p, 1, 5000) != 1)
		t_fatal("poll listener");
	B = accept4(L, NULL, NULL, SOCK_CLOEXEC);
	if (B < 0)
		t_fatal("accept");
	fill(B, 'b', B2A_LEN);
	fill_a2b();
	D = new_socket(SOCK_STREAM);
	if (connect(D, &a.sa, addr_len()) || poll(&p, 1, 5000) != 1 ||
	    accept4(L, NULL, NULL, SOCK_CLOEXEC) < 0 || shutdown(D, SHUT_RD))
		t_fatal("a connection shut down for reading");
	C0 = new_socket(SOCK_STREAM);
	C1 = new_socket(SOCK_STREAM);
	bind_loopback(C1);
	bound_port = sock_port(C1);
}

/* The client's window is closed: bytes wait in S, none is in flight
 * (the client acknowledged every byte sent, it has no ACK to send). */
static bool s_stalled(void)
{
	int outq = -1, unsent = -1;

	if (ioctl(S, SIOCOUTQ, &outq) || ioctl(S, SIOCOUTQNSD, &unsent))
		return false;
	return unsent > 0 && outq == unsent;
}

/* Write DATA lines into S until the client's window closes, then, in
 * phase 2, what is left of the last line and NEXT. */
static void s_write(void)
{
	while (!filled || phase) {
		ssize_t n;

		if (!pending_len) {
			if (phase)
				return;
			pending_len = (size_t)snprintf(pending, sizeof(pending), "DATA %08lu\n",
						       line_no++);
		}
		n = write(S, pending, pending_len);
		if (n < 0 && errno == EAGAIN) {
			if (!filled && s_stalled()) {
				filled = total;
				t_log("FILLED bytes=%lu", filled);
			}
			return;
		}
		if (n <= 0)
			t_fatal("write to the client");
		total += (unsigned long)n;
		memmove(pending, pending + n, pending_len - (size_t)n);
		pending_len -= (size_t)n;
	}
}

static void accept_clients(void)
{
	union addr peer;
	socklen_t len = sizeof(peer);
	int fd;

	if (access("hold", F_OK) == 0)
		return;
	fd = accept4(L, &peer.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (S >= 0) {
		if (write(fd, "HELLO2\n", 7) != 7)
			t_fatal("greet a client");
		return; /* kept open: the test closes its end */
	}
	S = fd;
	s_peer = peer;
	set_opt(S, SOL_SOCKET, SO_SNDBUF, S_SNDBUF);
	s_sndbuf = opt(S, SOL_SOCKET, SO_SNDBUF);
	t_log("ACCEPTED port=%d", port_of(&peer));
}

static void udp_echo(void)
{
	char buf[512], out[600];
	union addr from;
	socklen_t len = sizeof(from);
	ssize_t n = recvfrom(U, buf, sizeof(buf) - 1, MSG_DONTWAIT, &from.sa, &len);
	int m;

	if (n < 0)
		return;
	buf[n] = 0;
	m = snprintf(out, sizeof(out), "ECHO %s", buf);
	(void)sendto(U, out, (size_t)m, 0, &from.sa, len);
}

static bool read_exact(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) != 1)
			return false;
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0 && !(n < 0 && errno == EAGAIN))
			return false;
		if (n > 0)
			got += (size_t)n;
	}
	return true;
}

static bool all_are(const char *buf, char c, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != c)
			return false;
	return true;
}

static bool pair_phase2(void)
{
	char buf[B2A_LEN];

	char *a2b = malloc(a2b_len);
	bool ok = a2b && read_exact(B, a2b, a2b_len);
	int outq = -1, inq = -1;

	for (unsigned long i = 0; ok && i < a2b_len; i++)
		ok = a2b[i] == a2b_byte(i);
	free(a2b);
	/* Every byte A sent acknowledged, and not one more came. */
	for (int tries = 0; ok && outq && tries < 500; tries++) {
		struct timespec ms = { 0, 1000000 };

		ioctl(A, SIOCOUTQ, &outq);
		nanosleep(&ms, NULL);
	}
	ioctl(B, SIOCINQ, &inq);
	if (!ok || outq || inq)
		return false;
	if (!read_exact(A, buf, B2A_LEN) || !all_are(buf, 'b', B2A_LEN))
		return false;
	if (write(A, "PING", 4) != 4 || !read_exact(B, buf, 4) || memcmp(buf, "PING", 4))
		return false;
	if (write(B, "PONG", 4) != 4 || !read_exact(A, buf, 4) || memcmp(buf, "PONG", 4))
		return false;
	return true;
}

static bool udp_phase2(void)
{
	struct pollfd p = { .fd = U, .events = POLLIN };
	char buf[64];
	ssize_t n;

	if (send(U2, "U2", 2, 0) != 2 || poll(&p, 1, 5000) != 1)
		return false;
	udp_echo();
	p.fd = U2;
	if (poll(&p, 1, 5000) != 1)
		return false;
	n = recv(U2, buf, sizeof(buf), MSG_DONTWAIT);
	return n == 7 && !memcmp(buf, "ECHO U2", 7);
}

static void phase2(void)
{
	char buf[sizeof(CLIENT_MSG)];
	int inq = -1;

	phase = 2;
	ioctl(S, SIOCINQ, &inq);
	msg_ok = inq == (int)strlen(CLIENT_MSG) && read_exact(S, buf, strlen(CLIENT_MSG)) &&
		 !memcmp(buf, CLIENT_MSG, strlen(CLIENT_MSG));
	pair_ok = pair_phase2();
	udp2_ok = udp_phase2();
	/* The rest of the line S did not take, then NEXT. */
	if (pending_len + 5 > sizeof(pending))
		t_fatal("pending line too long");
	memcpy(pending + pending_len, "NEXT\n", 5);
	pending_len += 5;
	t_log("TOTAL bytes=%lu", total + pending_len);
}

static void iterate(void)
{
	int inq = -1;

	accept_clients();
	udp_echo();
	if (S < 0)
		return;
	if (!phase && t_usr1_count > 0)
		phase2();
	s_write();
	if (!phase && ioctl(S, SIOCINQ, &inq) == 0 && inq != last_inq) {
		last_inq = inq;
		t_log("INQ %d", inq);
	}
}

static void move_to(int fd, int to)
{
	if (dup2(fd, to) != to)
		t_fatal("dup2 %d", to);
	close(fd);
}

/* Sockets ckpt must refuse, from RAW_FD up. */
static void setup_refused(const char *mode)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = 1, .filter = &drop };
	union addr a;
	int fd;

	if (!strcmp(mode, "raw")) {
		fd = socket(family, SOCK_RAW, family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
		if (fd < 0)
			t_fatal("raw socket");
		move_to(fd, RAW_FD);
		return;
	}
	fd = new_socket(SOCK_STREAM);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		t_fatal("SO_ATTACH_FILTER");
	bind_loopback(fd);
	if (listen(fd, 1))
		t_fatal("listen");
	a = loopback(sock_port(fd));
	move_to(fd, RAW_FD + 1);
	fd = new_socket(SOCK_STREAM | SOCK_NONBLOCK);
	if (connect(fd, &a.sa, addr_len()) == 0 || errno != EINPROGRESS)
		t_fatal("connect to a listener that drops everything");
	move_to(fd, RAW_FD);
}

static void check_listener(struct t_check *c)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (sock_port(L) != tcp_port)
		t_check_fail(c, "listener port %d, want %d", sock_port(L), tcp_port);
	if (opt(L, SOL_SOCKET, SO_ACCEPTCONN) != 1)
		t_check_fail(c, "listener is not listening");
	if (opt(L, SOL_SOCKET, SO_REUSEADDR) != 1 || opt(L, SOL_SOCKET, SO_KEEPALIVE) != 1 ||
	    opt(L, SOL_TCP, TCP_NODELAY) != 1 || opt(L, SOL_TCP, TCP_KEEPIDLE) != KEEPIDLE)
		t_check_fail(c, "listener options lost");
	if (family == AF_INET6 && opt(L, SOL_IPV6, IPV6_V6ONLY) != 1)
		t_check_fail(c, "listener lost IPV6_V6ONLY");
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(L, SOL_TCP, TCP_INFO, &ti, &len) || ti.tcpi_sacked != BACKLOG)
		t_check_fail(c, "listener backlog %u, want %d", ti.tcpi_sacked, BACKLOG);
}

static void check_client(struct t_check *c)
{
	union addr a;
	socklen_t len = sizeof(a);
	int inq = -1, outq = -1;

	if (S < 0)
		return;
	if (getpeername(S, &a.sa, &len) || !same_addr(&a, &s_peer))
		t_check_fail(c, "client socket lost its peer");
	if (sock_port(S) != tcp_port)
		t_check_fail(c, "client socket port %d, want %d", sock_port(S), tcp_port);
	if (opt(S, SOL_TCP, TCP_NODELAY) != 1 || opt(S, SOL_SOCKET, SO_KEEPALIVE) != 1 ||
	    opt(S, SOL_TCP, TCP_KEEPIDLE) != KEEPIDLE || opt(S, SOL_SOCKET, SO_REUSEADDR) != 1)
		t_check_fail(c, "client socket options lost");
	if (opt(S, SOL_SOCKET, SO_SNDBUF) != s_sndbuf)
		t_check_fail(c, "client SO_SNDBUF %d, want %d", opt(S, SOL_SOCKET, SO_SNDBUF),
			     s_sndbuf);
	if (!(fcntl(S, F_GETFL) & O_NONBLOCK))
		t_check_fail(c, "client socket lost O_NONBLOCK");
	ioctl(S, SIOCINQ, &inq);
	ioctl(S, SIOCOUTQ, &outq);
	t_check_info(c, "s_inq=%d s_outq=%d", inq, outq);
}

static void check_udp(struct t_check *c)
{
	union addr a, want = loopback(udp_port);
	socklen_t len = sizeof(a);
	int tos = family == AF_INET6 ? opt(U2, SOL_IPV6, IPV6_TCLASS) : opt(U2, SOL_IP, IP_TOS);

	if (sock_port(U) != udp_port)
		t_check_fail(c, "UDP port %d, want %d", sock_port(U), udp_port);
	if (opt(U, SOL_SOCKET, SO_RCVBUF) != u_rcvbuf)
		t_check_fail(c, "UDP SO_RCVBUF %d, want %d", opt(U, SOL_SOCKET, SO_RCVBUF),
			     u_rcvbuf);
	if (getpeername(U2, &a.sa, &len) || !same_addr(&a, &want))
		t_check_fail(c, "connected UDP socket lost its peer");
	if (tos != TOS)
		t_check_fail(c, "connected UDP socket TOS %d, want %d", tos, TOS);
}

/*
 * A look at the A-B pair with nothing in flight: B's window may open at
 * any time (a window probe of A's, the first one when a dump takes A out
 * of repair mode), and what A then sends is for a moment, or until A sends
 * it again if B had to drop it (its receive buffer full), neither in B's
 * queue nor unsent in A's. Waits (10 s at most) for A to have every byte
 * it sent acknowledged, the same before and after B's queue is read.
 */
static bool pair_still(int *in_b, int *unsent_a)
{
	for (int tries = 0; tries < 10000; tries++) {
		struct timespec ms = { 0, 1000000 };
		int out1 = -1, uns1 = -2, out2 = -3, uns2 = -4;

		ioctl(A, SIOCOUTQ, &out1);
		ioctl(A, SIOCOUTQNSD, &uns1);
		ioctl(B, SIOCINQ, in_b);
		ioctl(A, SIOCOUTQ, &out2);
		ioctl(A, SIOCOUTQNSD, &uns2);
		*unsent_a = uns2;
		if (out1 == uns1 && out1 == out2 && uns1 == uns2)
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

static void check_pair(struct t_check *c)
{
	union addr a1, a2;
	socklen_t l1 = sizeof(a1), l2 = sizeof(a2);
	int in_a = -1, in_b = -1, unsent_a = -1;
	char c0;

	if (getsockname(A, &a1.sa, &l1) || getpeername(B, &a2.sa, &l2) || !same_addr(&a1, &a2))
		t_check_fail(c, "A's address is not B's peer");
	l1 = sizeof(a1);
	l2 = sizeof(a2);
	if (getpeername(A, &a1.sa, &l1) || getsockname(B, &a2.sa, &l2) || !same_addr(&a1, &a2))
		t_check_fail(c, "B's address is not A's peer");
	if (opt(A, SOL_SOCKET, SO_SNDBUF) != 65536)
		t_check_fail(c, "A's SO_SNDBUF %d", opt(A, SOL_SOCKET, SO_SNDBUF));
	ioctl(A, SIOCINQ, &in_a);
	/* Bytes A sent are in B (acknowledged or not), the rest wait in A. */
	if (!phase && !pair_still(&in_b, &unsent_a))
		t_check_fail(c, "A has bytes in flight to B for 10 s");
	if (!phase && (in_a != B2A_LEN || (unsigned long)in_b + (unsigned long)unsent_a != a2b_len))
		t_check_fail(c, "pair holds %d, %d and %d bytes, want %d and %lu in all", in_a,
			     in_b, unsent_a, B2A_LEN, a2b_len);
	t_check_info(c, "a2b=%lu", a2b_len);
	if (recv(D, &c0, 1, MSG_DONTWAIT) != 0)
		t_check_fail(c, "the connection shut down for reading reads again");
	if (sock_port(C0) != 0 || sock_port(C1) != bound_port)
		t_check_fail(c, "unconnected sockets: ports %d and %d, want 0 and %d",
			     sock_port(C0), sock_port(C1), bound_port);
}

static void inet_check(struct t_check *c)
{
	check_listener(c);
	check_client(c);
	check_udp(c);
	check_pair(c);
	if (phase && !(msg_ok && pair_ok && udp2_ok))
		t_check_fail(c, "phase 2: client message %s, pair %s, UDP %s",
			     msg_ok ? "ok" : "BAD", pair_ok ? "ok" : "BAD", udp2_ok ? "ok" : "BAD");
	t_check_info(c, "phase=%d", phase);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = iterate, .check = inet_check };

	t_init(argc, argv);
	family = argc > 2 && !strcmp(argv[2], "6") ? AF_INET6 : AF_INET;
	setup_listener();
	setup_udp();
	setup_pair();
	if (argc > 3)
		setup_refused(argv[3]);
	t_log("PORTS tcp=%d udp=%d bound=%d", tcp_port, udp_port, bound_port);
	t_run(&ops);
	return 0;
}
