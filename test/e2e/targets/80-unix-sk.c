/*
 * 80-unix-sk.c - two processes talking over every kind of unix socket.
 *
 * Usage: 80-unix-sk WORKDIR
 *
 * The root (R) forks one child (C). Between them:
 *  - socketpairs of each type, R holding one end, C the other: stream,
 *    dgram, seqpacket; "shut", a stream pair whose C end wrote "last words"
 *    and shut down its writing side;
 *  - R's stream listener bound to WORKDIR/listen.sock (mode 0640, backlog
 *    7): one connection from C accepted at start ("conn"), and each check
 *    one more from C left waiting (not accepted) until the next check;
 *  - C's seqpacket listener on an abstract name (backlog 3), with each
 *    check one connection from R left waiting until the next check;
 *  - R's datagram socket bound to WORKDIR/dgram.sock, to which C sends
 *    from a socket bound to an abstract name and from an unnamed one.
 * And in R alone: "orphan", a stream socket whose peer was closed after
 * writing "orphan data", and an unbound, unconnected stream socket.
 *
 * Options: R's stream end has SO_SNDBUF/SO_RCVBUF set, R's dgram end
 * SO_PASSCRED and O_NONBLOCK (as have both listeners), C's stream end
 * SO_RCVTIMEO, C's seqpacket end SO_PASSSEC; R's stream end gets
 * SO_PEEK_OFF 5 after each check.
 *
 * Each check k (SIGUSR2), in turn:
 *  R: peeks at its stream end (SO_PEEK_OFF: the bytes from offset 5) then
 *     reads, on each channel, exactly what C sent at check k-1 (byte order,
 *     datagram and record boundaries, the datagram senders' addresses),
 *     and accepts the connection C left waiting, writing "acc k" on it;
 *  C (through the board): reads what R sent at check k-1, reads "acc k"
 *     on the client of its waiting connection (it came back to the right
 *     client), accepts R's waiting connection on its abstract listener and
 *     writes "abs k" on it; leaves a new connection waiting on R's
 *     listener; sends its data for check k;
 *  R: reads "abs k" on the client of its waiting connection, leaves a new
 *     one waiting on C's listener, sends its data for check k.
 * Both check their options, names, the shut-down pair (peek "last words",
 * POLLRDHUP; EPIPE on C's side) and the orphan (peek "orphan data",
 * POLLHUP), and that a new connection to the other's listener shows the
 * other's pid as SO_PEERCRED. At start check 0 only sends. Reports round=k.
 * Before READY it writes "TREE root=PID child=PID".
 */
#include "target.h"

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define LISTEN_BACKLOG 7
#define ABS_BACKLOG 3
#define PEEK_OFF 5
#define PEEK_LEN 10

enum { WHO_R = 1, WHO_C = 2 };
enum { SALT_STREAM = 1, SALT_DGRAM = 2, SALT_SEQ = 4, SALT_CONN = 6, SALT_SERVER = 7 };

struct shared {
	_Atomic uint32_t round;
};

static struct shared *sh;
static struct t_board *board;
static int me; /* 0: R, 1: C */

/* socketpairs: [0] R's end, [1] C's end */
static int sp_stream[2], sp_dgram[2], sp_seq[2], sp_shut[2];
/* R */
static int lsk = -1, conn_s = -1, dsrv = -1, orphan = -1, plain = -1;
static int r_acc = -1, r_pend = -1;
static int sndbuf0, rcvbuf0;
/* C */
static int alsk = -1, conn_c = -1, dg_named = -1, dg_anon = -1;
static int c_acc = -1, c_pend = -1;

static struct sockaddr_un listen_addr, dsrv_addr, abs_addr, dg_addr;
static socklen_t listen_len, dsrv_len, abs_len, dg_len;

/* ---- data ------------------------------------------------------------------ */

static unsigned char pat(int who, uint32_t k, int salt, size_t i)
{
	return (unsigned char)(i * 31 + k * 7 + (unsigned)who * 3 + (unsigned)salt * 11 + (i >> 8));
}

static size_t stream_len(int who, uint32_t k)
{
	return 3000 + 17 * k + (who == WHO_R ? 5 : 0);
}

/* Datagram j of a check: the middle one is empty. */
static const size_t dgram_base[3] = { 20, 0, 300 };
static const size_t seq_base[2] = { 10, 2000 };

static size_t pkt_len(const size_t *base, int j, uint32_t k)
{
	return base[j] ? base[j] + k : 0;
}

static void fill(unsigned char *buf, size_t len, int who, uint32_t k, int salt)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pat(who, k, salt, i);
}

static void send_all(int fd, const void *buf, size_t len, const char *what)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			t_fatal("send %s", what);
		done += (size_t)n;
	}
}

static void send_stream(int fd, int who, uint32_t k, size_t len, int salt, const char *what)
{
	unsigned char *buf = malloc(len + 1);

	fill(buf, len, who, k, salt);
	send_all(fd, buf, len, what);
	free(buf);
}

static void send_packet(int fd, const struct sockaddr_un *to, socklen_t to_len, size_t len, int who,
			uint32_t k, int salt, const char *what)
{
	unsigned char buf[4096];

	fill(buf, len, who, k, salt);
	if (sendto(fd, buf, len, MSG_NOSIGNAL, (const struct sockaddr *)to, to ? to_len : 0) !=
	    (ssize_t)len)
		t_fatal("send %s", what);
}

/* Exactly @len bytes of the pattern, then nothing. */
static void expect_stream(struct t_check *c, int fd, const char *what, int who, uint32_t k,
			  size_t len, int salt)
{
	unsigned char buf[4096];
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, buf, MIN(sizeof(buf), len - got), MSG_DONTWAIT);

		if (n <= 0) {
			t_check_fail(c, "%s: %zu of %zu bytes (%s)", what, got, len,
				     n < 0 ? strerror(errno) : "end of file");
			return;
		}
		for (size_t i = 0; i < (size_t)n; i++)
			if (buf[i] != pat(who, k, salt, got + i)) {
				t_check_fail(c, "%s: byte %zu is 0x%02x, want 0x%02x", what,
					     got + i, buf[i], pat(who, k, salt, got + i));
				return;
			}
		got += (size_t)n;
	}
	if (recv(fd, buf, 1, MSG_DONTWAIT | MSG_PEEK) > 0)
		t_check_fail(c, "%s: more than %zu bytes", what, len);
}

/* One packet of @len bytes of the pattern; its sender's address into @from. */
static int expect_packet(struct t_check *c, int fd, const char *what, size_t len, int who,
			 uint32_t k, int salt, struct sockaddr_un *from, socklen_t *from_len)
{
	unsigned char buf[4096];
	struct iovec iov = { buf, sizeof(buf) };
	struct sockaddr_un dummy;
	struct msghdr msg = { .msg_name = from ? from : &dummy, .msg_namelen = sizeof(dummy),
			      .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

	if (n < 0) {
		t_check_fail(c, "%s: no %zu-byte packet (%s)", what, len, strerror(errno));
		return -1;
	}
	if ((size_t)n != len || (msg.msg_flags & MSG_TRUNC)) {
		t_check_fail(c, "%s: a %zd-byte packet, want %zu", what, n, len);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pat(who, k, salt, i)) {
			t_check_fail(c, "%s: byte %zu is 0x%02x", what, i, buf[i]);
			return -1;
		}
	if (from_len)
		*from_len = msg.msg_namelen;
	return 0;
}

static void expect_empty(struct t_check *c, int fd, const char *what)
{
	char b;

	if (recv(fd, &b, 1, MSG_DONTWAIT | MSG_PEEK) >= 0 || errno != EAGAIN)
		t_check_fail(c, "%s: more packets than sent", what);
}

static void expect_packets(struct t_check *c, int fd, const char *what, const size_t *base, int n,
			   int who, uint32_t k, int salt)
{
	for (int j = 0; j < n; j++)
		if (expect_packet(c, fd, what, pkt_len(base, j, k), who, k, salt + j, NULL, NULL))
			return;
	expect_empty(c, fd, what);
}

static void expect_text(struct t_check *c, int fd, const char *what, const char *text)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n != (ssize_t)strlen(text) || memcmp(buf, text, strlen(text)))
		t_check_fail(c, "%s: got %zd bytes '%.*s', want '%s'", what, n, n > 0 ? (int)n : 0,
			     buf, text);
}

/* ---- sockets, names, options --------------------------------------------- */

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "%s", name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static int sk(int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		t_fatal("socket");
	return fd;
}

static int sk_connect(int type, const struct sockaddr_un *a, socklen_t len, const char *what)
{
	int fd = sk(type);

	if (connect(fd, (const struct sockaddr *)a, len))
		t_fatal("connect %s", what);
	return fd;
}

static int opt(int fd, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, name, &v, &l))
		return -1000;
	return v;
}

static void expect_opt(struct t_check *c, int fd, const char *what, int name, const char *oname,
		       int want)
{
	int v = opt(fd, name);

	if (v != want)
		t_check_fail(c, "%s: %s is %d, want %d", what, oname, v, want);
}

static void expect_name(struct t_check *c, int fd, bool peer, const char *what,
			const struct sockaddr_un *want, socklen_t want_len)
{
	struct sockaddr_un a;
	socklen_t l = sizeof(a);
	int r = peer ? getpeername(fd, (struct sockaddr *)&a, &l) :
		       getsockname(fd, (struct sockaddr *)&a, &l);

	if (r || l != want_len || memcmp(&a, want, want_len))
		t_check_fail(c, "%s: %s is not the one it had (length %u, want %u)", what,
			     peer ? "peer name" : "name", (unsigned)l, (unsigned)want_len);
}

/* A listener's clients see the pid of the process that called listen(). */
static void expect_peer_pid(struct t_check *c, int fd, const char *what, pid_t want)
{
	struct ucred cred;
	socklen_t l = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &l) || cred.pid != want)
		t_check_fail(c, "%s: SO_PEERCRED pid %d, want %d", what, (int)cred.pid, (int)want);
}

static void expect_poll(struct t_check *c, int fd, const char *what, short want)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };

	if (poll(&p, 1, 0) != 1 || (p.revents & want) != want)
		t_check_fail(c, "%s: poll says 0x%x, want 0x%x in it", what, p.revents, want);
}

static void expect_peek(struct t_check *c, int fd, const char *what, const char *text)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

	if (n != (ssize_t)strlen(text) || memcmp(buf, text, strlen(text)))
		t_check_fail(c, "%s: holds %zd bytes '%.*s', want '%s'", what, n,
			     n > 0 ? (int)n : 0, buf, text);
}

/* ---- R ---------------------------------------------------------------------- */

static void r_options(struct t_check *c)
{
	struct sockaddr_un none = { .sun_family = AF_UNIX };
	struct sockaddr_un a;
	socklen_t l = sizeof(a);
	struct stat st;

	expect_opt(c, sp_stream[0], "stream end", SO_SNDBUF, "SO_SNDBUF", sndbuf0);
	expect_opt(c, sp_stream[0], "stream end", SO_RCVBUF, "SO_RCVBUF", rcvbuf0);
	expect_opt(c, sp_stream[0], "stream end", SO_TYPE, "SO_TYPE", SOCK_STREAM);
	expect_opt(c, sp_dgram[0], "dgram end", SO_PASSCRED, "SO_PASSCRED", 1);
	expect_opt(c, sp_dgram[0], "dgram end", SO_TYPE, "SO_TYPE", SOCK_DGRAM);
	expect_opt(c, sp_seq[0], "seqpacket end", SO_TYPE, "SO_TYPE", SOCK_SEQPACKET);
	expect_opt(c, sp_seq[0], "seqpacket end", SO_PASSCRED, "SO_PASSCRED", 0);
	expect_opt(c, lsk, "listener", SO_ACCEPTCONN, "SO_ACCEPTCONN", 1);
	expect_opt(c, plain, "plain socket", SO_ACCEPTCONN, "SO_ACCEPTCONN", 0);
	if (!(fcntl(sp_dgram[0], F_GETFL) & O_NONBLOCK))
		t_check_fail(c, "dgram end: O_NONBLOCK is off");
	if (fcntl(sp_stream[0], F_GETFL) & O_NONBLOCK)
		t_check_fail(c, "stream end: O_NONBLOCK is on");
	if (!(fcntl(lsk, F_GETFL) & O_NONBLOCK))
		t_check_fail(c, "listener: O_NONBLOCK is off");
	expect_name(c, lsk, false, "listener", &listen_addr, listen_len);
	expect_name(c, conn_s, false, "accepted conn", &listen_addr, listen_len);
	expect_name(c, dsrv, false, "dgram server", &dsrv_addr, dsrv_len);
	expect_name(c, plain, false, "plain socket", &none, sizeof(sa_family_t));
	if (!getpeername(plain, (struct sockaddr *)&a, &l) || errno != ENOTCONN)
		t_check_fail(c, "plain socket: connected");
	if (stat(listen_addr.sun_path, &st) || !S_ISSOCK(st.st_mode) || (st.st_mode & 07777) != 0640)
		t_check_fail(c, "listen.sock: mode 0%o, want a socket with 0640", st.st_mode);
	expect_peek(c, sp_shut[0], "shut pair", "last words");
	expect_poll(c, sp_shut[0], "shut pair", POLLIN | POLLRDHUP);
	expect_peek(c, orphan, "orphan", "orphan data");
	expect_poll(c, orphan, "orphan", POLLIN | POLLHUP);
}

/* Peek at the stream from SO_PEEK_OFF, which moves on by what is peeked. */
static void r_peek_offset(struct t_check *c, uint32_t k)
{
	unsigned char buf[PEEK_LEN];
	ssize_t n;

	expect_opt(c, sp_stream[0], "stream end", SO_PEEK_OFF, "SO_PEEK_OFF", PEEK_OFF);
	n = recv(sp_stream[0], buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n != PEEK_LEN) {
		t_check_fail(c, "peek at offset: %zd bytes", n);
		return;
	}
	for (size_t i = 0; i < PEEK_LEN; i++)
		if (buf[i] != pat(WHO_C, k, SALT_STREAM, PEEK_OFF + i)) {
			t_check_fail(c, "peek at offset: byte %zu is not byte %zu of the stream", i,
				     PEEK_OFF + i);
			return;
		}
	expect_opt(c, sp_stream[0], "stream end", SO_PEEK_OFF, "SO_PEEK_OFF", PEEK_OFF + PEEK_LEN);
}

/* What C sent to the datagram server: first from its named socket. */
static void r_server(struct t_check *c, uint32_t k)
{
	struct sockaddr_un from;
	socklen_t len;

	if (expect_packet(c, dsrv, "dgram server", 40 + k, WHO_C, k, SALT_SERVER, &from, &len))
		return;
	if (len != dg_len || memcmp(&from, &dg_addr, dg_len))
		t_check_fail(c, "dgram server: the first datagram is not from C's named socket");
	if (expect_packet(c, dsrv, "dgram server", 41 + k, WHO_C, k, SALT_SERVER + 1, &from, &len))
		return;
	if (len)
		t_check_fail(c, "dgram server: the second datagram has an address");
	expect_empty(c, dsrv, "dgram server");
}

/* Phase 1: what C sent at check k-1; accept its waiting connection. */
static void r_receive(struct t_check *c, uint32_t k)
{
	char text[32];

	r_peek_offset(c, k - 1);
	expect_stream(c, sp_stream[0], "stream from C", WHO_C, k - 1, stream_len(WHO_C, k - 1),
		      SALT_STREAM);
	expect_opt(c, sp_stream[0], "stream end", SO_PEEK_OFF, "SO_PEEK_OFF after reading", 0);
	expect_packets(c, sp_dgram[0], "dgram from C", dgram_base, 3, WHO_C, k - 1, SALT_DGRAM);
	expect_packets(c, sp_seq[0], "seqpacket from C", seq_base, 2, WHO_C, k - 1, SALT_SEQ);
	expect_stream(c, conn_s, "conn from C", WHO_C, k - 1, 500 + k - 1, SALT_CONN);
	r_server(c, k - 1);
	if (r_acc >= 0)
		close(r_acc);
	r_acc = accept4(lsk, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (r_acc < 0) {
		t_check_fail(c, "listener: no connection waiting (%s)", strerror(errno));
		return;
	}
	snprintf(text, sizeof(text), "acc %u", k);
	send_all(r_acc, text, strlen(text), "acc");
}

/* Phase 3: C accepted our waiting connection; send for check k. */
static void r_send(struct t_check *c, uint32_t k, bool verify)
{
	char text[32];

	if (verify) {
		snprintf(text, sizeof(text), "abs %u", k);
		expect_text(c, r_pend, "abstract connection", text);
	}
	if (r_pend >= 0)
		close(r_pend);
	r_pend = sk_connect(SOCK_SEQPACKET, &abs_addr, abs_len, "to C's abstract listener");
	expect_peer_pid(c, r_pend, "new connection to C's listener", (pid_t)board->slot[1].pid0);
	send_stream(sp_stream[0], WHO_R, k, stream_len(WHO_R, k), SALT_STREAM, "stream");
	for (int j = 0; j < 3; j++)
		send_packet(sp_dgram[0], NULL, 0, pkt_len(dgram_base, j, k), WHO_R, k,
			    SALT_DGRAM + j, "dgram");
	for (int j = 0; j < 2; j++)
		send_packet(sp_seq[0], NULL, 0, pkt_len(seq_base, j, k), WHO_R, k, SALT_SEQ + j,
			    "seqpacket");
	send_stream(conn_s, WHO_R, k, 500 + k, SALT_CONN, "conn");
}

static const char *name_of(int i)
{
	return i ? "child" : "root";
}

/* One check: R, then C through the board, then R again. */
static void round_trip(struct t_check *c, bool verify)
{
	uint32_t k = atomic_load(&sh->round) + (verify ? 1 : 0), gen;
	int peek_off = PEEK_OFF;

	if (verify)
		r_receive(c, k);
	atomic_store(&sh->round, k);
	gen = t_board_ask(board);
	t_board_wait(board, 1, gen, 5000000000LL);
	t_board_report(board, 1, gen, c, name_of);
	r_send(c, k, verify);
	if (setsockopt(sp_stream[0], SOL_SOCKET, SO_PEEK_OFF, &peek_off, sizeof(peek_off)))
		t_fatal("SO_PEEK_OFF");
	r_options(c);
	t_check_info(c, "round=%u", k);
}

static void root_check(struct t_check *c)
{
	round_trip(c, true);
}

/* ---- C ---------------------------------------------------------------------- */

static void c_options(struct t_check *c)
{
	struct timeval tv;
	socklen_t l = sizeof(tv);

	if (getsockopt(sp_stream[1], SOL_SOCKET, SO_RCVTIMEO, &tv, &l) || tv.tv_sec != 1 ||
	    tv.tv_usec != 500000)
		t_check_fail(c, "stream end: SO_RCVTIMEO is %ld.%06ld", (long)tv.tv_sec,
			     (long)tv.tv_usec);
	expect_opt(c, sp_seq[1], "seqpacket end", SO_PASSSEC, "SO_PASSSEC", 1);
	expect_opt(c, alsk, "abstract listener", SO_ACCEPTCONN, "SO_ACCEPTCONN", 1);
	expect_name(c, alsk, false, "abstract listener", &abs_addr, abs_len);
	expect_name(c, dg_named, false, "named dgram", &dg_addr, dg_len);
	expect_name(c, conn_c, true, "conn", &listen_addr, listen_len);
	if (send(sp_shut[1], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0 || errno != EPIPE)
		t_check_fail(c, "shut pair: a send does not fail with EPIPE");
}

static void child_check(struct t_check *c, int i)
{
	uint32_t k = atomic_load(&sh->round);
	char text[32];

	(void)i;
	if (k > 0) {
		expect_stream(c, sp_stream[1], "stream from R", WHO_R, k - 1,
			      stream_len(WHO_R, k - 1), SALT_STREAM);
		expect_packets(c, sp_dgram[1], "dgram from R", dgram_base, 3, WHO_R, k - 1,
			       SALT_DGRAM);
		expect_packets(c, sp_seq[1], "seqpacket from R", seq_base, 2, WHO_R, k - 1,
			       SALT_SEQ);
		expect_stream(c, conn_c, "conn from R", WHO_R, k - 1, 500 + k - 1, SALT_CONN);
		snprintf(text, sizeof(text), "acc %u", k);
		expect_text(c, c_pend, "waiting connection", text);
		if (c_acc >= 0)
			close(c_acc);
		c_acc = accept4(alsk, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c_acc < 0) {
			t_check_fail(c, "abstract listener: no connection waiting");
		} else {
			snprintf(text, sizeof(text), "abs %u", k);
			send_all(c_acc, text, strlen(text), "abs");
		}
	}
	if (c_pend >= 0)
		close(c_pend);
	c_pend = sk_connect(SOCK_STREAM, &listen_addr, listen_len, "to R's listener");
	expect_peer_pid(c, c_pend, "new connection to R's listener", getppid());
	send_stream(sp_stream[1], WHO_C, k, stream_len(WHO_C, k), SALT_STREAM, "stream");
	for (int j = 0; j < 3; j++)
		send_packet(sp_dgram[1], NULL, 0, pkt_len(dgram_base, j, k), WHO_C, k,
			    SALT_DGRAM + j, "dgram");
	for (int j = 0; j < 2; j++)
		send_packet(sp_seq[1], NULL, 0, pkt_len(seq_base, j, k), WHO_C, k, SALT_SEQ + j,
			    "seqpacket");
	send_stream(conn_c, WHO_C, k, 500 + k, SALT_CONN, "conn");
	send_packet(dg_named, &dsrv_addr, dsrv_len, 40 + k, WHO_C, k, SALT_SERVER, "named dgram");
	send_packet(dg_anon, &dsrv_addr, dsrv_len, 41 + k, WHO_C, k, SALT_SERVER + 1,
		    "unnamed dgram");
	c_options(c);
}

static __attribute__((noreturn)) void child_main(void)
{
	struct timeval tv = { 1, 500000 };
	int one = 1;

	me = 1;
	close(sp_stream[0]);
	close(sp_dgram[0]);
	close(sp_seq[0]);
	close(sp_shut[0]);
	close(lsk);
	close(dsrv);
	close(orphan);
	close(plain);
	alsk = sk(SOCK_SEQPACKET | SOCK_NONBLOCK);
	if (bind(alsk, (struct sockaddr *)&abs_addr, abs_len) || listen(alsk, ABS_BACKLOG))
		t_fatal("abstract listener");
	dg_named = sk(SOCK_DGRAM);
	if (bind(dg_named, (struct sockaddr *)&dg_addr, dg_len))
		t_fatal("bind named dgram");
	dg_anon = sk(SOCK_DGRAM);
	conn_c = sk_connect(SOCK_STREAM, &listen_addr, listen_len, "conn");
	send_all(sp_shut[1], "last words", 10, "shut");
	if (shutdown(sp_shut[1], SHUT_WR))
		t_fatal("shutdown");
	if (setsockopt(sp_stream[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(sp_seq[1], SOL_SOCKET, SO_PASSSEC, &one, sizeof(one)))
		t_fatal("child options");
	prctl(PR_SET_NAME, "unix-child");
	t_slot_record(board, 1);
	t_board_serve(board, 1, child_check);
}

/* ---- set-up ------------------------------------------------------------- */

static void pairs(void)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp_stream) ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp_dgram) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp_seq) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp_shut))
		t_fatal("socketpair");
}

static void root_sockets(void)
{
	int dead[2], one = 1, snd = 50000, rcv = 70000;

	unlink("listen.sock");
	unlink("dgram.sock");
	lsk = sk(SOCK_STREAM | SOCK_NONBLOCK);
	if (bind(lsk, (struct sockaddr *)&listen_addr, listen_len) ||
	    chmod(listen_addr.sun_path, 0640) || listen(lsk, LISTEN_BACKLOG))
		t_fatal("listener");
	dsrv = sk(SOCK_DGRAM);
	if (bind(dsrv, (struct sockaddr *)&dsrv_addr, dsrv_len))
		t_fatal("bind dgram server");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, dead))
		t_fatal("socketpair");
	send_all(dead[1], "orphan data", 11, "orphan");
	close(dead[1]);
	orphan = dead[0];
	plain = sk(SOCK_STREAM);
	if (setsockopt(sp_stream[0], SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)) ||
	    setsockopt(sp_stream[0], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) ||
	    setsockopt(sp_dgram[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    fcntl(sp_dgram[0], F_SETFL, O_NONBLOCK))
		t_fatal("root options");
	sndbuf0 = opt(sp_stream[0], SO_SNDBUF);
	rcvbuf0 = opt(sp_stream[0], SO_RCVBUF);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = root_check };
	struct t_check c;
	char name[PATH_MAX + 32];
	pid_t child;

	t_init(argc, argv);
	if (strlen(t_workdir) + 16 > sizeof(listen_addr.sun_path))
		t_fatal("WORKDIR too long for a socket path");
	snprintf(name, sizeof(name), "%s/listen.sock", t_workdir);
	listen_len = path_addr(&listen_addr, name);
	snprintf(name, sizeof(name), "%s/dgram.sock", t_workdir);
	dsrv_len = path_addr(&dsrv_addr, name);
	snprintf(name, sizeof(name), "ckpt-e2e-80-%d", (int)getpid());
	abs_len = abstract_addr(&abs_addr, name);
	snprintf(name, sizeof(name), "ckpt-e2e-80-dg-%d", (int)getpid());
	dg_len = abstract_addr(&dg_addr, name);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		t_fatal("mmap");
	board = t_board_new(2);
	t_slot_record(board, 0);
	pairs();
	root_sockets();
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0)
		child_main();
	close(sp_stream[1]);
	close(sp_dgram[1]);
	close(sp_seq[1]);
	close(sp_shut[1]);
	/* the child connects once it is set up (or says FATAL) */
	if (poll(&(struct pollfd){ .fd = lsk, .events = POLLIN }, 1, 10000) != 1)
		t_fatal("no connection from the child");
	conn_s = accept4(lsk, NULL, NULL, SOCK_CLOEXEC);
	if (conn_s < 0)
		t_fatal("accept conn");
	memset(&c, 0, sizeof(c));
	round_trip(&c, false);
	if (c.failed) {
		errno = 0;
		t_fatal("check 0: %s", c.fail);
	}
	t_log("TREE root=%d child=%d", (int)getpid(), (int)child);
	t_run(&ops);
	return 0;
}
