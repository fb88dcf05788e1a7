/*
 * 120-tcp-states - TCP connections in every state a process holds them in
 * while they close, on the loopback of one family.
 *
 *     120-tcp-states WORKDIR 4|6
 *
 * The process started (the peer) makes every connection, both ends, then
 * forks the process to dump (main), which keeps one end of each, the peer
 * the other: the peer is outside the dumped tree. Main writes its own
 * lines to WORKDIR/main/out ("READY pid=N" there); the peer says
 * "MAIN pid=N" and, for each connection, "CONN name mport pport mstate
 * pstate" (ports and the states `ss -tan` shows, without the dashes).
 *
 *   c0  main FIN_WAIT2    peer CLOSE_WAIT   main wrote and shut down writes
 *   c1  main CLOSE_WAIT   peer FIN_WAIT2    the mirror of c0
 *   c2  main LAST_ACK     peer FIN_WAIT2    main's FIN waits behind bytes the
 *                                           peer's full window holds back
 *   c3  main FIN_WAIT1    peer ESTABLISHED  the same, the peer still open
 *   c4  main FIN_WAIT1    peer ESTABLISHED  main's FIN sent, never
 *                                           acknowledged (the peer drops
 *                                           every segment: a socket filter)
 *   c5  main CLOSING      peer FIN_WAIT1    the same, then the peer's FIN
 *   c7  main FIN_WAIT2 and CLOSE_WAIT       both ends in main
 *   c8  main CLOSE (done, still open)       both FINs went and came
 *   c9  main SYN_SENT     peer LISTEN       a connect in flight: the peer's
 *                                           listener drops every SYN
 *
 * Main also has a TCP socket bound and nothing else (B). c0's end in main
 * and B have TCP options set: TCP_NODELAY, SO_KEEPALIVE with TCP_KEEPIDLE
 * 91, TCP_KEEPINTVL 7, TCP_KEEPCNT 4, TCP_USER_TIMEOUT 12345, congestion
 * control "reno"; c1's end in main has TCP_CORK.
 *
 * Each has bytes queued both ways where the state allows. The self-check
 * (SIGUSR2) of each process checks its ends: the state (waiting a little
 * for what the restore leaves a moment behind: FIN_WAIT2 is FIN_WAIT1
 * until the peer acknowledges the FIN again), the bytes queued to read
 * (peeked), that a write fails with EPIPE where writes are shut. When the
 * file "final" is in its workdir the check then uses the connections to
 * their end: the peer (first) lets its filters go and reads everything
 * main sent until main's FIN, counting it, and writes more; main (second)
 * reads what the peer sent and then sees the peer's FIN exactly where it
 * was, writes where the state allows, and waits for each connection to
 * reach the state the FINs take it to; with "final2", the peer reads what
 * main wrote last.
 */
#include "target.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define NCONN 10
#define SMALL_RCVBUF 4096
#define SMALL_SNDBUF 16384

struct conn {
	const char *name;
	int m, p; /* main's end, the peer's (in c7 both main's) */
	int mstate, pstate;
	const char *m_inq, *p_inq; /* what each end has to read, before final */
	size_t big; /* bytes main wrote until the peer's window closed */
};

static int fam;
static int is_main;
static int final_done, final2_done;
static struct conn conns[NCONN] = {
	{ "c0", -1, -1, TCP_FIN_WAIT2, TCP_CLOSE_WAIT, "p0-data", "m0-data", 0 },
	{ "c1", -1, -1, TCP_CLOSE_WAIT, TCP_FIN_WAIT2, "p1-data", "m1-data", 0 },
	{ "c2", -1, -1, TCP_LAST_ACK, TCP_FIN_WAIT2, "p2-data", NULL, 0 },
	{ "c3", -1, -1, TCP_FIN_WAIT1, TCP_ESTABLISHED, "", NULL, 0 },
	{ "c4", -1, -1, TCP_FIN_WAIT1, TCP_ESTABLISHED, "", "", 0 },
	{ "c5", -1, -1, TCP_CLOSING, TCP_FIN_WAIT1, "p5-data", "", 0 },
	{ NULL, -1, -1, 0, 0, NULL, NULL, 0 },
	{ "c7", -1, -1, TCP_FIN_WAIT2, TCP_CLOSE_WAIT, "y7-data", "x7-data", 0 },
	{ "c8", -1, -1, TCP_CLOSE, -1, "", NULL, 0 },
	{ "c9", -1, -1, TCP_SYN_SENT, TCP_LISTEN, "", NULL, 0 },
};
static int c9_accepted = -1; /* the peer's end of c9, once it connects */
static int bound_sk = -1, bound_port; /* B, main's */

struct tcp_opt {
	int level, name, val;
};

static const struct tcp_opt tcp_opts[] = {
	{ SOL_TCP, TCP_NODELAY, 1 },	     { SOL_SOCKET, SO_KEEPALIVE, 1 },
	{ SOL_TCP, TCP_KEEPIDLE, 91 },	     { SOL_TCP, TCP_KEEPINTVL, 7 },
	{ SOL_TCP, TCP_KEEPCNT, 4 },	     { SOL_TCP, TCP_USER_TIMEOUT, 12345 },
};

static void opts_set(int sk)
{
	for (size_t i = 0; i < sizeof(tcp_opts) / sizeof(tcp_opts[0]); i++)
		if (setsockopt(sk, tcp_opts[i].level, tcp_opts[i].name, &tcp_opts[i].val,
			       sizeof(int)) < 0)
			t_fatal("option %d", tcp_opts[i].name);
	if (setsockopt(sk, SOL_TCP, TCP_CONGESTION, "reno", 4) < 0)
		t_fatal("TCP_CONGESTION");
}

static void opts_check(struct t_check *ck, const char *what, int sk)
{
	char cong[16] = "";
	socklen_t len = sizeof(cong);

	for (size_t i = 0; i < sizeof(tcp_opts) / sizeof(tcp_opts[0]); i++) {
		int v = -1;
		socklen_t l = sizeof(v);

		if (getsockopt(sk, tcp_opts[i].level, tcp_opts[i].name, &v, &l) < 0 ||
		    v != tcp_opts[i].val)
			t_check_fail(ck, "%s: option %d is %d, want %d", what, tcp_opts[i].name, v,
				     tcp_opts[i].val);
	}
	if (getsockopt(sk, SOL_TCP, TCP_CONGESTION, cong, &len) < 0 || strcmp(cong, "reno"))
		t_check_fail(ck, "%s: congestion control '%s', want reno", what, cong);
}

static const char *const state_names[] = {
	[TCP_ESTABLISHED] = "ESTAB",	 [TCP_SYN_SENT] = "SYN-SENT",
	[TCP_SYN_RECV] = "SYN-RECV",	 [TCP_FIN_WAIT1] = "FIN-WAIT-1",
	[TCP_FIN_WAIT2] = "FIN-WAIT-2",	 [TCP_TIME_WAIT] = "TIME-WAIT",
	[TCP_CLOSE] = "CLOSE",		 [TCP_CLOSE_WAIT] = "CLOSE-WAIT",
	[TCP_LAST_ACK] = "LAST-ACK",	 [TCP_LISTEN] = "LISTEN",
	[TCP_CLOSING] = "CLOSING",
};

static const char *sname(int s)
{
	return s >= 0 && s <= TCP_CLOSING && state_names[s] ? state_names[s] : "?";
}

static int tcp_state(int sk)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(sk, SOL_TCP, TCP_INFO, &ti, &len) < 0)
		return -1;
	return ti.tcpi_state;
}

/* Wait (bounded: @ms) until @sk is in state @want; its state then. */
static int state_wait(int sk, int want, int ms)
{
	int64_t end = t_now_ns() + (int64_t)ms * 1000000;
	int s;

	while ((s = tcp_state(sk)) != want && t_now_ns() < end) {
		struct timespec tick = { 0, 1000000 };

		nanosleep(&tick, NULL);
	}
	return s;
}

static int port_of(int sk, int peer)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	if ((peer ? getpeername(sk, (struct sockaddr *)&a, &len)
		  : getsockname(sk, (struct sockaddr *)&a, &len)) < 0)
		return -1;
	return ntohs(((struct sockaddr_in *)&a)->sin_port); /* same place in v6 */
}

static void loopback(struct sockaddr_storage *a, socklen_t *len)
{
	memset(a, 0, sizeof(*a));
	if (fam == 6) {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)a;

		v6->sin6_family = AF_INET6;
		v6->sin6_addr = in6addr_loopback;
		*len = sizeof(*v6);
	} else {
		struct sockaddr_in *v4 = (struct sockaddr_in *)a;

		v4->sin_family = AF_INET;
		v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*v4);
	}
}

/* A connection over loopback: *@c the connecting end, *@a the accepted
 * one; @a_rcvbuf: a small receive buffer for the accepted end. */
static void pair(int *c, int *a, int a_rcvbuf)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int af = fam == 6 ? AF_INET6 : AF_INET, l;

	loopback(&addr, &len);
	l = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&addr, len) < 0)
		t_fatal("listening socket");
	if (a_rcvbuf && setsockopt(l, SOL_SOCKET, SO_RCVBUF, &a_rcvbuf, sizeof(a_rcvbuf)) < 0)
		t_fatal("SO_RCVBUF");
	if (listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&addr, &len) < 0)
		t_fatal("listen");
	*c = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*c < 0 || connect(*c, (struct sockaddr *)&addr, len) < 0)
		t_fatal("connect");
	*a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (*a < 0)
		t_fatal("accept");
	close(l);
}

static void put(int sk, const char *s)
{
	if (send(sk, s, strlen(s), MSG_NOSIGNAL) != (ssize_t)strlen(s))
		t_fatal("send %s", s);
}

static void shut(int sk, int how)
{
	if (shutdown(sk, how) < 0)
		t_fatal("shutdown");
}

/* The byte at offset @i of what main sends a peer that does not read. */
static char big_byte(size_t i)
{
	return (char)('a' + i % 23);
}

/* Write to @sk until its send queue and the peer's window are full. */
static size_t fill(int sk)
{
	char buf[1024];
	size_t total = 0;

	if (setsockopt(sk, SOL_SOCKET, SO_SNDBUF, &(int){ SMALL_SNDBUF }, sizeof(int)) < 0)
		t_fatal("SO_SNDBUF");
	for (;;) {
		ssize_t n;

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = big_byte(total + i);
		n = send(sk, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			/* Wait until nothing more goes: the window is shut. */
			struct pollfd p = { sk, POLLOUT, 0 };

			if (poll(&p, 1, 200) == 0)
				return total;
			continue;
		}
		if (n <= 0)
			t_fatal("fill");
		total += (size_t)n;
	}
}

static void drop_all(int sk)
{
	struct sock_filter f = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { 1, &f };

	if (setsockopt(sk, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		t_fatal("SO_ATTACH_FILTER");
}

static void settle(int sk, int want, const char *what)
{
	int s = state_wait(sk, want, 5000);

	if (s != want)
		t_fatal("%s is %s, want %s", what, sname(s), sname(want));
}

static void setup(void)
{
	struct conn *c = conns;

	/* c0: main writes and shuts down writes; the peer writes. */
	pair(&c[0].m, &c[0].p, 0);
	opts_set(c[0].m);
	put(c[0].m, "m0-data");
	put(c[0].p, "p0-data");
	shut(c[0].m, SHUT_WR);
	/* c1: the mirror. */
	pair(&c[1].m, &c[1].p, 0);
	put(c[1].p, "p1-data");
	put(c[1].m, "m1-data");
	shut(c[1].p, SHUT_WR);
	if (setsockopt(c[1].m, SOL_TCP, TCP_CORK, &(int){ 1 }, sizeof(int)) < 0)
		t_fatal("TCP_CORK");
	/* c2: main fills the peer's window, the peer closes its side, main
	 * too: its FIN waits behind the bytes. */
	pair(&c[2].m, &c[2].p, SMALL_RCVBUF);
	c[2].big = fill(c[2].m);
	put(c[2].p, "p2-data");
	shut(c[2].p, SHUT_WR);
	settle(c[2].m, TCP_CLOSE_WAIT, "c2 main");
	shut(c[2].m, SHUT_WR);
	/* c3: the same, the peer open. */
	pair(&c[3].m, &c[3].p, SMALL_RCVBUF);
	c[3].big = fill(c[3].m);
	shut(c[3].m, SHUT_WR);
	/* c4: the peer hears nothing more. */
	pair(&c[4].m, &c[4].p, 0);
	drop_all(c[4].p);
	put(c[4].m, "m4-data");
	shut(c[4].m, SHUT_WR);
	/* c5: the same, then the peer closes too: its FIN crosses ours. */
	pair(&c[5].m, &c[5].p, 0);
	drop_all(c[5].p);
	put(c[5].m, "m5-data");
	shut(c[5].m, SHUT_WR);
	put(c[5].p, "p5-data");
	shut(c[5].p, SHUT_WR);
	/* c7: both ends main's (m: x, p: y). */
	pair(&c[7].m, &c[7].p, 0);
	put(c[7].m, "x7-data");
	put(c[7].p, "y7-data");
	shut(c[7].m, SHUT_WR);
	/* c9: a non-blocking connect to a listener that hears nothing. */
	{
		struct sockaddr_storage addr;
		socklen_t len;
		int af = fam == 6 ? AF_INET6 : AF_INET;

		loopback(&addr, &len);
		c[9].p = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c[9].p < 0 || bind(c[9].p, (struct sockaddr *)&addr, len) < 0 ||
		    listen(c[9].p, 1) < 0 || getsockname(c[9].p, (struct sockaddr *)&addr, &len) < 0)
			t_fatal("c9 listener");
		drop_all(c[9].p);
		c[9].m = socket(af, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (c[9].m < 0 || connect(c[9].m, (struct sockaddr *)&addr, len) == 0 ||
		    errno != EINPROGRESS)
			t_fatal("c9 connect");
	}
	/* B: bound, nothing else. */
	{
		struct sockaddr_storage addr;
		socklen_t len;

		loopback(&addr, &len);
		bound_sk = socket(fam == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (bound_sk < 0 || bind(bound_sk, (struct sockaddr *)&addr, len) < 0)
			t_fatal("B");
		opts_set(bound_sk);
		bound_port = port_of(bound_sk, 0);
	}
	/* c8: both FINs, everything read: CLOSE with the fd still open. */
	pair(&c[8].m, &c[8].p, 0);
	shut(c[8].p, SHUT_WR);
	shut(c[8].m, SHUT_WR);
	for (int i = 0; i < NCONN; i++) {
		if (!c[i].name)
			continue;
		settle(c[i].m, c[i].mstate, c[i].name);
		if (c[i].pstate >= 0)
			settle(c[i].p, c[i].pstate, c[i].name);
	}
	/* c8's end we keep: the peer's FIN read (read returns 0). */
	if (read(c[8].m, (char[8]){ 0 }, 8) != 0)
		t_fatal("c8: no end of file");
	close(c[8].p);
	c[8].p = -1;
}

/* @sk has exactly @want to read (peeked), no more. */
static void check_inq(struct t_check *ck, const char *what, int sk, const char *want)
{
	char buf[256];
	int inq = -1;
	ssize_t n;

	if (ioctl(sk, SIOCINQ, &inq) < 0 || inq != (int)strlen(want)) {
		t_check_fail(ck, "%s has %d bytes to read, want %zu", what, inq, strlen(want));
		return;
	}
	if (!inq)
		return;
	n = recv(sk, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n != inq || memcmp(buf, want, (size_t)n))
		t_check_fail(ck, "%s holds '%.*s', want '%s'", what, (int)(n > 0 ? n : 0), buf, want);
}

static void check_epipe(struct t_check *ck, const char *what, int sk)
{
	if (send(sk, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != -1 || errno != EPIPE)
		t_check_fail(ck, "%s: a write does not fail with EPIPE (%s)", what, strerror(errno));
}

static void check_state(struct t_check *ck, const char *what, int sk, int want)
{
	int s = state_wait(sk, want, 3000);

	if (s != want)
		t_check_fail(ck, "%s is %s, want %s", what, sname(s), sname(want));
}

/* Read @sk until end of file or @max bytes, @ms at most; -1: no EOF. */
static ssize_t read_to_eof(int sk, char *buf, size_t max, int ms)
{
	int64_t end = t_now_ns() + (int64_t)ms * 1000000;
	size_t got = 0;

	for (;;) {
		struct pollfd p = { sk, POLLIN, 0 };
		int left = (int)((end - t_now_ns()) / 1000000);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		n = recv(sk, buf + got, max - got, MSG_DONTWAIT);
		if (n == 0)
			return (ssize_t)got;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0)
			got += (size_t)n;
		if (got == max)
			return -1;
	}
}

/* Exactly @want from @sk, then nothing yet (no EOF either). */
static void expect_bytes(struct t_check *ck, const char *what, int sk, const char *want)
{
	size_t len = strlen(want), got = 0;
	char buf[256];
	int64_t end = t_now_ns() + 10 * 1000000000LL;

	while (got < len && t_now_ns() < end) {
		struct pollfd p = { sk, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(sk, buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0) {
			t_check_fail(ck, "%s: read gives %zd (%s) after %zu bytes", what, n,
				     n ? strerror(errno) : "end of file", got);
			return;
		}
		got += (size_t)n;
	}
	if (got != len || memcmp(buf, want, len))
		t_check_fail(ck, "%s: read '%.*s', want '%s'", what, (int)got, buf, want);
}

static void expect_eof_in(struct t_check *ck, const char *what, int sk, const char *before,
			  int ms)
{
	char buf[256];
	ssize_t n = read_to_eof(sk, buf, sizeof(buf), ms);

	if (n != (ssize_t)strlen(before) || memcmp(buf, before, (size_t)n))
		t_check_fail(ck, "%s: read %zd bytes '%.*s' then %s, want '%s' then end of file",
			     what, n, (int)(n > 0 ? n : 0), buf, n < 0 ? "no end" : "end", before);
}

static void expect_eof(struct t_check *ck, const char *what, int sk, const char *before)
{
	expect_eof_in(ck, what, sk, before, 10000);
}

/* The @big bytes main wrote, then end of file (main's FIN). */
static void expect_big(struct t_check *ck, const char *what, int sk, size_t big)
{
	size_t max = big + 4096;
	char *buf = malloc(max);
	ssize_t n = buf ? read_to_eof(sk, buf, max, 20000) : -1;

	if (n != (ssize_t)big)
		t_check_fail(ck, "%s: read %zd bytes then %s, want %zu then end of file", what, n,
			     n < 0 ? "no end" : "end", big);
	for (ssize_t i = 0; n == (ssize_t)big && i < n; i++)
		if (buf[i] != big_byte((size_t)i)) {
			t_check_fail(ck, "%s: byte %zd is wrong", what, i);
			break;
		}
	free(buf);
}

static int has_file(const char *name)
{
	return access(name, F_OK) == 0;
}

static void peer_final(struct t_check *ck)
{
	struct conn *c = conns;

	for (int i = 4; i <= 5; i++)
		if (setsockopt(c[i].p, SOL_SOCKET, SO_DETACH_FILTER, &(int){ 0 }, sizeof(int)) < 0)
			t_check_fail(ck, "c%d: SO_DETACH_FILTER: %s", i, strerror(errno));
	expect_eof(ck, "c0 peer", c[0].p, "m0-data");
	put(c[0].p, "p0-more");
	expect_bytes(ck, "c1 peer", c[1].p, "m1-data");
	expect_big(ck, "c2 peer", c[2].p, c[2].big);
	expect_big(ck, "c3 peer", c[3].p, c[3].big);
	put(c[3].p, "p3-more");
	/* Main's bytes and FIN again, since nobody acknowledged them: when
	 * its retransmission timer runs out (backing off from 1 s). */
	expect_eof_in(ck, "c4 peer", c[4].p, "m4-data", 40000);
	expect_eof_in(ck, "c5 peer", c[5].p, "m5-data", 40000);
	check_epipe(ck, "c1 peer", c[1].p);
	check_state(ck, "c5 peer", c[5].p, TCP_CLOSE);
	/* Main's SYN, sent again (1 s, 3 s, 7 s... after the restore). */
	if (setsockopt(c[9].p, SOL_SOCKET, SO_DETACH_FILTER, &(int){ 0 }, sizeof(int)) < 0)
		t_check_fail(ck, "c9: SO_DETACH_FILTER: %s", strerror(errno));
	{
		struct pollfd p = { c[9].p, POLLIN, 0 };

		if (poll(&p, 1, 40000) != 1 ||
		    (c9_accepted = accept4(c[9].p, NULL, NULL, SOCK_CLOEXEC)) < 0)
			t_check_fail(ck, "c9: main's connect never comes (%s)", strerror(errno));
		else
			put(c9_accepted, "p9-data");
	}
}

static void main_final(struct t_check *ck)
{
	struct conn *c = conns;

	/* The peer wrote after our FIN: it flows to a half-closed end. */
	expect_bytes(ck, "c0 main", c[0].m, "p0-datap0-more");
	check_epipe(ck, "c0 main", c[0].m);
	/* The peer's FIN comes after its bytes, once. */
	expect_eof(ck, "c1 main", c[1].m, "p1-data");
	put(c[1].m, "m1-more");
	expect_eof(ck, "c2 main", c[2].m, "p2-data");
	check_state(ck, "c2 main", c[2].m, TCP_CLOSE);
	expect_bytes(ck, "c3 main", c[3].m, "p3-more");
	check_state(ck, "c3 main", c[3].m, TCP_FIN_WAIT2);
	check_state(ck, "c4 main", c[4].m, TCP_FIN_WAIT2);
	expect_eof(ck, "c5 main", c[5].m, "p5-data");
	check_state(ck, "c5 main", c[5].m, TCP_CLOSE);
	expect_eof(ck, "c7 y", c[7].p, "x7-data");
	put(c[7].p, "y7-more");
	expect_bytes(ck, "c7 x", c[7].m, "y7-datay7-more");
	check_epipe(ck, "c7 x", c[7].m);
	expect_eof(ck, "c8 main", c[8].m, "");
	/* The connect made again has completed. */
	{
		struct pollfd p = { c[9].m, POLLOUT, 0 };
		int err = -1;
		socklen_t len = sizeof(err);

		if (poll(&p, 1, 10000) != 1 ||
		    getsockopt(c[9].m, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
			t_check_fail(ck, "c9: the connect did not complete (%s)", strerror(err));
		check_state(ck, "c9 main", c[9].m, TCP_ESTABLISHED);
		expect_bytes(ck, "c9 main", c[9].m, "p9-data");
	}
}

static void check(struct t_check *ck)
{
	char what[32];
	int final = !final_done && has_file("final");

	if (is_main && !final_done && !final) {
		int cork = 0;
		socklen_t len = sizeof(cork);

		opts_check(ck, "c0 main", conns[0].m);
		opts_check(ck, "B", bound_sk);
		check_state(ck, "B", bound_sk, TCP_CLOSE);
		if (port_of(bound_sk, 0) != bound_port)
			t_check_fail(ck, "B is bound to port %d, was %d", port_of(bound_sk, 0),
				     bound_port);
		if (getsockopt(conns[1].m, SOL_TCP, TCP_CORK, &cork, &len) < 0 || cork != 1)
			t_check_fail(ck, "c1 main: TCP_CORK %d", cork);
	}
	for (int i = 0; i < NCONN && !final_done && !final; i++) {
		struct conn *c = &conns[i];

		if (!c->name)
			continue;
		if (is_main) {
			snprintf(what, sizeof(what), "%s main", c->name);
			check_state(ck, what, c->m, c->mstate);
			check_inq(ck, what, c->m, c->m_inq);
			if (c->mstate != TCP_CLOSE_WAIT && c->mstate != TCP_ESTABLISHED &&
			    c->mstate != TCP_SYN_SENT)
				check_epipe(ck, what, c->m);
		}
		if (c->p < 0 || is_main != (i == 7))
			continue;
		snprintf(what, sizeof(what), "%s %s", c->name, is_main ? "y" : "peer");
		check_state(ck, what, c->p, c->pstate);
		if (c->p_inq)
			check_inq(ck, what, c->p, c->p_inq);
	}
	if (final) {
		final_done = 1;
		if (is_main)
			main_final(ck);
		else
			peer_final(ck);
		t_check_info(ck, "final=1");
	} else if (!is_main && final_done && !final2_done && has_file("final2")) {
		final2_done = 1;
		expect_bytes(ck, "c1 peer", conns[1].p, "m1-more");
		t_check_info(ck, "final2=1");
	}
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { NULL, check };
	char lines[NCONN][128];
	pid_t pid;
	int fd;

	t_init(argc, argv);
	fam = argc > 2 && !strcmp(argv[2], "6") ? 6 : 4;
	signal(SIGCHLD, SIG_IGN); /* main, once dumped, is nobody's to wait for */
	setup();
	for (int i = 0; i < NCONN; i++)
		snprintf(lines[i], sizeof(lines[i]), "CONN %s %d %d %s %s", conns[i].name,
			 port_of(conns[i].m, 0), port_of(conns[i].m, 1), sname(conns[i].mstate),
			 sname(conns[i].pstate));
	pid = fork();
	if (pid < 0)
		t_fatal("fork");
	for (int i = 0; i < NCONN; i++) {
		struct conn *c = &conns[i];

		if (!c->name)
			continue;
		if (!pid && i != 7 && c->p >= 0) {
			close(c->p);
			c->p = -1;
		} else if (pid && i != 7) {
			close(c->m);
			c->m = -1;
		} else if (pid) {
			close(c->m);
			close(c->p);
			c->m = c->p = -1;
		}
	}
	if (pid)
		close(bound_sk);
	if (!pid) {
		is_main = 1;
		t_pid = getpid();
		if (mkdir("main", 0755) < 0 || chdir("main") < 0)
			t_fatal("main workdir");
		fd = open("out", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			t_fatal("main out");
		close(fd);
		t_run(&ops);
	}
	t_log("MAIN pid=%d", (int)pid);
	for (int i = 0; i < NCONN; i++)
		if (conns[i].name && conns[i].pstate >= 0 && i != 7)
			t_log("%s", lines[i]);
	t_run(&ops);
}
