// SPDX-License-Identifier: GPL-2.0
/*
 * Established TCP connections, through TCP_REPAIR (see sk-inet.h).
 *
 * In repair mode a socket shows its sequence numbers (TCP_QUEUE_SEQ), its
 * windows (TCP_REPAIR_WINDOW) and the bytes of either queue
 * (TCP_REPAIR_QUEUE, then recv with MSG_PEEK), and closing it sends
 * nothing: the peer is not told. A new socket in repair mode takes the
 * sequence numbers, binds and connects without sending a packet, takes the
 * options the two ends agreed on (TCP_REPAIR_OPTIONS), and whatever it is
 * given to send is queued as already sent (the send queue) or as received
 * (the receive queue).
 *
 * The send queue is rebuilt in two parts: the bytes sent and not yet
 * acknowledged go in repair mode (sent, so retransmitted when their timer
 * runs out), the bytes never sent are given to the socket once out of
 * repair mode, for it to send when the peer's window allows, as it would
 * have.
 *
 * A connection that is closing has one FIN or two. Ours (FIN_WAIT1,
 * FIN_WAIT2, CLOSING, LAST_ACK) takes the sequence number after the send
 * queue: in repair mode, with the send queue chosen, shutdown(SHUT_WR)
 * queues it as already sent, and the state moves on as it did (FIN_WAIT1,
 * or LAST_ACK from CLOSE_WAIT); it is sent again until the peer
 * acknowledges it, which the peer does at once if it had it (FIN_WAIT2).
 * A FIN still waiting behind bytes never sent is given at resume, after
 * them. The peer's FIN (CLOSE_WAIT, CLOSING, LAST_ACK) no option gives:
 * the kernel takes it only from the wire, so ckpt sends the socket the
 * segment the peer had sent, from the peer's address through a raw
 * socket (see peer_fin).
 */
#include "sk-inet.h"

#include "util.h"

#include <linux/filter.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

/* What a send queue may hold before snd_una: see queue_peek(). */
#define SNDQ_SLACK (1024 * 1024)
#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif
/* How long the peer's FIN may take to reach its socket (loopback). */
#define FIN_WAIT_MS 2000

#define STATE_BIT(s) (1U << (s))

bool tcp_conn_state(uint32_t state)
{
	return state < 32 &&
	       (STATE_BIT(state) &
		(STATE_BIT(TCP_ESTABLISHED) | STATE_BIT(TCP_FIN_WAIT1) | STATE_BIT(TCP_FIN_WAIT2) |
		 STATE_BIT(TCP_CLOSE_WAIT) | STATE_BIT(TCP_LAST_ACK) | STATE_BIT(TCP_CLOSING)));
}

/* We sent a FIN (or queued it). */
static bool fin_ours(uint32_t state)
{
	return state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_CLOSING ||
	       state == TCP_LAST_ACK;
}

/* The peer sent a FIN, and we have it. */
static bool fin_theirs(uint32_t state)
{
	return state == TCP_CLOSE_WAIT || state == TCP_CLOSING || state == TCP_LAST_ACK;
}

/* Our FIN is in the send queue, not acknowledged (in FIN_WAIT2 it is). */
static bool fin_queued(uint32_t state)
{
	return fin_ours(state) && state != TCP_FIN_WAIT2;
}

static int tcp_set(int sk, int name, int val)
{
	return setsockopt(sk, SOL_TCP, name, &val, sizeof(val)) < 0 ? -errno : 0;
}

static int tcp_get(int sk, int name, uint32_t *ret)
{
	int val = 0;
	socklen_t len = sizeof(val);

	if (getsockopt(sk, SOL_TCP, name, &val, &len) < 0)
		return -errno;
	*ret = (uint32_t)val;
	return 0;
}

int tcp_drop_incoming(int sk)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = 1, .filter = &drop };

	return setsockopt(sk, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

int tcp_accept_incoming(int sk)
{
	int zero = 0;

	return setsockopt(sk, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)) < 0 ? -errno : 0;
}

int tcp_repair_on(int sk)
{
	return tcp_set(sk, TCP_REPAIR, TCP_REPAIR_ON);
}

int tcp_repair_off(int sk, bool probe)
{
	return tcp_set(sk, TCP_REPAIR, probe ? TCP_REPAIR_OFF : TCP_REPAIR_OFF_NO_WP);
}

/*
 * The last @len bytes of queue @q. The receive queue is peeked as a reader
 * would. For the send queue the kernel copies every buffer of the queue
 * whole, whatever length is asked, and fails (EFAULT) when they do not all
 * fit; the first buffer may still hold bytes the peer acknowledged, before
 * snd_una: they are skipped.
 */
static int queue_peek(int sk, int q, size_t len, ProtobufCBinaryData *ret)
{
	size_t room = len + (q == TCP_SEND_QUEUE ? SNDQ_SLACK : 0);
	_cleanup_free_ uint8_t *buf = NULL;
	ssize_t n;
	int r;

	ret->len = 0;
	ret->data = NULL;
	if (!len)
		return 0;
	r = tcp_set(sk, TCP_REPAIR_QUEUE, q);
	if (r < 0)
		return r;
	buf = xmalloc(room);
	n = recv(sk, buf, room, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	if ((size_t)n < len || (q == TCP_RECV_QUEUE && (size_t)n != len))
		return -EBADMSG;
	ret->data = xmalloc(len);
	memcpy(ret->data, buf + (size_t)n - len, len);
	ret->len = len;
	return 0;
}

static int queue_seq(int sk, int q, uint32_t *ret)
{
	int r = tcp_set(sk, TCP_REPAIR_QUEUE, q);

	return r < 0 ? r : tcp_get(sk, TCP_QUEUE_SEQ, ret);
}

/* Bytes @sk sent that the peer did not acknowledge yet. */
static int in_flight(int sk)
{
	int outq, unsent;

	if (ioctl(sk, SIOCOUTQ, &outq) < 0 || ioctl(sk, SIOCOUTQNSD, &unsent) < 0)
		return -errno;
	return outq - unsent;
}

int tcp_quiet(int sk)
{
	struct tcp_repair_window w;
	socklen_t len = sizeof(w);
	uint32_t rcv_nxt = 0;
	int r = in_flight(sk);

	if (r != 0)
		return r < 0 ? r : 0;
	r = queue_seq(sk, TCP_RECV_QUEUE, &rcv_nxt);
	if (r < 0)
		return r;
	if (getsockopt(sk, SOL_TCP, TCP_REPAIR_WINDOW, &w, &len) < 0)
		return -errno;
	/* rcv_wup moves to rcv_nxt with every segment the socket sends. */
	return w.rcv_wup == rcv_nxt;
}

/*
 * SIOCOUTQ and SIOCOUTQNSD count sequence numbers: our FIN, while not
 * acknowledged, is one of them, and one of the unsent ones until it goes.
 * SIOCINQ counts bytes only (the peer's FIN is not one).
 */
static int queues_dump(int sk, uint32_t state, TcpConnEntry *c)
{
	int fin = fin_queued(state) ? 1 : 0;
	uint32_t write_seq = 0;
	int outq = 0, unsent = 0, inq = 0, r;

	r = queue_seq(sk, TCP_SEND_QUEUE, &write_seq);
	if (r < 0)
		return r;
	if (ioctl(sk, SIOCOUTQ, &outq) < 0 || ioctl(sk, SIOCOUTQNSD, &unsent) < 0)
		return -errno;
	if (outq < unsent || outq < fin || (state == TCP_FIN_WAIT2 && outq))
		return -EBADMSG;
	c->snd_una = write_seq - (uint32_t)outq;
	if (fin && unsent) {
		c->has_fin_unsent = c->fin_unsent = true;
		unsent--;
	}
	r = queue_peek(sk, TCP_SEND_QUEUE, (size_t)(outq - fin), &c->send_queue);
	if (r < 0)
		return r;
	c->unsent = (uint32_t)unsent;
	r = queue_seq(sk, TCP_RECV_QUEUE, &c->rcv_nxt);
	if (r < 0)
		return r;
	if (ioctl(sk, SIOCINQ, &inq) < 0)
		return -errno;
	r = queue_peek(sk, TCP_RECV_QUEUE, (size_t)inq, &c->recv_queue);
	if (r < 0)
		return r;
	return tcp_set(sk, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
}

/* What the two ends agreed on when they connected, and the windows. */
static int agreed_dump(int sk, TcpConnEntry *c)
{
	struct tcp_repair_window w;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int r;

	/* In repair mode TCP_MAXSEG is the MSS the peer announced. */
	r = tcp_get(sk, TCP_MAXSEG, &c->mss);
	if (r < 0)
		return r;
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(sk, SOL_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	c->sack = !!(ti.tcpi_options & TCPI_OPT_SACK);
	c->timestamps = !!(ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	if (ti.tcpi_options & TCPI_OPT_WSCALE) {
		c->has_snd_wscale = c->has_rcv_wscale = true;
		c->snd_wscale = ti.tcpi_snd_wscale;
		c->rcv_wscale = ti.tcpi_rcv_wscale;
	}
	if (c->timestamps) {
		r = tcp_get(sk, TCP_TIMESTAMP, &c->timestamp);
		if (r < 0)
			return r;
		c->has_timestamp = true;
	}
	len = sizeof(w);
	if (getsockopt(sk, SOL_TCP, TCP_REPAIR_WINDOW, &w, &len) < 0)
		return -errno;
	c->snd_wl1 = w.snd_wl1;
	c->snd_wnd = w.snd_wnd;
	c->max_window = w.max_window;
	c->rcv_wnd = w.rcv_wnd;
	c->rcv_wup = w.rcv_wup;
	return 0;
}

int tcp_conn_dump(int sk, uint32_t state, TcpConnEntry *c)
{
	int r = queues_dump(sk, state, c);

	return r < 0 ? r : agreed_dump(sk, c);
}

static int queue_set_seq(int sk, int q, uint32_t seq)
{
	int r = tcp_set(sk, TCP_REPAIR_QUEUE, q);

	return r < 0 ? r : tcp_set(sk, TCP_QUEUE_SEQ, (int)seq);
}

static int send_loop(int sk, const uint8_t **data, size_t *len)
{
	while (*len > 0) {
		ssize_t n = send(sk, *data, *len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return -errno;
		*data += n;
		*len -= (size_t)n;
	}
	return 0;
}

/*
 * Give @sk all of @data to queue. The socket held it with a buffer of its
 * size (@buf: SO_SNDBUF or SO_RCVBUF), but had taken it in small steps,
 * each allowed past the limit; in one go the kernel stops at the limit.
 * The buffer grows for the time it takes (@force: SO_*BUFFORCE), then
 * comes back to its size.
 */
static int send_all(int sk, int buf, int force, const uint8_t *data, size_t len)
{
	socklen_t optlen = sizeof(int);
	int size = 0, lock = -1, grown, r;

	r = send_loop(sk, &data, &len);
	if (r != -EAGAIN && r != -ENOMEM)
		return r;
	if (getsockopt(sk, SOL_SOCKET, buf, &size, &optlen) < 0)
		return -errno;
	/* Setting a size locks it (no more autotuning): the lock goes back
	 * as it was (before Linux 5.14 nobody can tell). */
	if (getsockopt(sk, SOL_SOCKET, SO_BUF_LOCK, &lock, &optlen) < 0)
		lock = -1;
	/* The kernel doubles what it is given (for its own overhead). */
	grown = (int)MIN((size_t)size + 2 * len + 65536, (size_t)INT32_MAX / 2);
	if (setsockopt(sk, SOL_SOCKET, force, &grown, sizeof(grown)) < 0)
		return -errno;
	r = send_loop(sk, &data, &len);
	size /= 2;
	if (setsockopt(sk, SOL_SOCKET, force, &size, sizeof(size)) < 0 && r == 0)
		r = -errno;
	if (lock >= 0 && setsockopt(sk, SOL_SOCKET, SO_BUF_LOCK, &lock, sizeof(lock)) < 0 && r == 0)
		r = -errno;
	return r == -EAGAIN ? -ENOBUFS : r;
}

/* In repair mode what is sent goes into queue @q, nothing goes out. */
static int queue_fill(int sk, int q, const uint8_t *data, size_t len)
{
	int r = tcp_set(sk, TCP_REPAIR_QUEUE, q);

	if (r < 0 || !len)
		return r;
	if (q == TCP_RECV_QUEUE)
		return send_all(sk, SO_RCVBUF, SO_RCVBUFFORCE, data, len);
	return send_all(sk, SO_SNDBUF, SO_SNDBUFFORCE, data, len);
}

static int agreed_restore(int sk, const TcpConnEntry *c)
{
	struct tcp_repair_opt opts[4];
	unsigned int n = 0;

	opts[n++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, c->mss };
	if (c->has_snd_wscale && c->has_rcv_wscale)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_WINDOW,
						     c->snd_wscale | (c->rcv_wscale << 16) };
	if (c->sack)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED, 0 };
	if (c->timestamps)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	if (setsockopt(sk, SOL_TCP, TCP_REPAIR_OPTIONS, opts, n * sizeof(opts[0])) < 0)
		return -errno;
	/* The connection's clock goes on from where it was: the peer drops
	 * segments whose timestamp goes back (PAWS). */
	if (c->timestamps && c->has_timestamp)
		return tcp_set(sk, TCP_TIMESTAMP, (int)c->timestamp);
	return 0;
}

static int window_restore(int sk, const TcpConnEntry *c)
{
	struct tcp_repair_window w = {
		.snd_wl1 = c->snd_wl1,
		.snd_wnd = c->snd_wnd,
		.max_window = c->max_window,
		.rcv_wnd = c->rcv_wnd,
		.rcv_wup = c->rcv_wup,
	};

	return setsockopt(sk, SOL_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)) < 0 ? -errno : 0;
}

static socklen_t addr_len(const union sk_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->v6) : sizeof(a->v4);
}

int tcp_conn_check(uint32_t state, const TcpConnEntry *c)
{
	if (!tcp_conn_state(state) || c->unsent > c->send_queue.len)
		return -EBADMSG;
	/* Our FIN follows every byte: sent, they were all sent; acknowledged
	 * (FIN_WAIT2), they were all acknowledged. */
	if (c->fin_unsent && !fin_queued(state))
		return -EBADMSG;
	if (fin_ours(state) && !c->fin_unsent && c->unsent)
		return -EBADMSG;
	if (state == TCP_FIN_WAIT2 && c->send_queue.len)
		return -EBADMSG;
	if (fin_theirs(state) && c->recv_queue.len > UINT32_MAX - 1)
		return -EBADMSG;
	return 0;
}

/* The state @sk is in. */
static int sk_tcp_state(int sk, uint32_t *ret)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(sk, SOL_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	*ret = ti.tcpi_state;
	return 0;
}

/* Our FIN, queued as sent: no packet leaves in repair mode. */
static int fin_queue_sent(int sk)
{
	int r = tcp_set(sk, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);

	if (r >= 0 && shutdown(sk, SHUT_WR) < 0)
		r = -errno;
	return r;
}

/*
 * Until the connection resumes, @sk takes only segments with a FIN: the
 * peer's (below). Our ACK of it goes to the peer's port; if the peer's
 * socket is not there yet (both ends in the tree, the other one not
 * restored yet), the RST its kernel answers with is dropped.
 */
static int fin_only_filter(int sk)
{
	/* The filter sees the TCP header at offset 0; its flags are byte 13. */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x01, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };

	return setsockopt(sk, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

/* The segment that carried the peer's FIN, from @from to @to, again. */
static int fin_send(const TcpConnEntry *c, const union sk_addr *from, const union sk_addr *to)
{
	uint32_t wnd = c->snd_wnd >> (c->has_snd_wscale ? MIN(c->snd_wscale, 14U) : 0);
	struct tcphdr th = {
		.source = from->v4.sin_port, /* the same place in both */
		.dest = to->v4.sin_port,
		.seq = htonl(c->rcv_nxt - 1),
		.ack_seq = htonl(c->snd_una),
		.doff = sizeof(th) / 4,
		.fin = 1,
		.ack = 1,
		.window = htons((uint16_t)MIN(wnd, 65535U)),
	};

	return inet_inject(IPPROTO_TCP, from, to, NULL, (uint8_t *)&th, sizeof(th),
			   offsetof(struct tcphdr, check));
}

/* The peer's FIN into @sk, which goes from @from to state @want. */
static int peer_fin(int sk, const TcpConnEntry *c, const union sk_addr *src,
		    const union sk_addr *dst, uint32_t from, uint32_t want)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + FIN_WAIT_MS * 1000000ULL;
	struct timespec tick = { 0, 1000000 };
	uint32_t state = from;
	int r = fin_only_filter(sk);

	if (r >= 0)
		r = fin_send(c, dst, src);
	/* Loopback hands the segment on at once, mostly before sendto
	 * returns; not always. */
	while (r >= 0 && state == from && now_ns(CLOCK_MONOTONIC) < end) {
		r = sk_tcp_state(sk, &state);
		if (r >= 0 && state == from)
			nanosleep(&tick, NULL);
	}
	if (r >= 0 && state != want)
		r = -EPROTO;
	return r;
}

/* What the socket is in after each step: @fin_unsent, our FIN comes at
 * resume. */
static uint32_t state_restored(uint32_t state, bool fin_unsent)
{
	if (!fin_ours(state) || fin_unsent)
		return fin_theirs(state) ? TCP_CLOSE_WAIT : TCP_ESTABLISHED;
	/* Acknowledged again once the peer hears from us. */
	if (state == TCP_FIN_WAIT2)
		return TCP_FIN_WAIT1;
	return state;
}

/* Both FINs in the order they came. */
static int fins_restore(int sk, uint32_t state, const TcpConnEntry *c, const union sk_addr *src,
			const union sk_addr *dst)
{
	bool ours = fin_ours(state) && !c->fin_unsent;
	int r = 0;

	/* Ours first, unless it answered the peer's (LAST_ACK). */
	if (ours && state != TCP_LAST_ACK)
		r = fin_queue_sent(sk);
	if (r >= 0 && fin_theirs(state))
		r = peer_fin(sk, c, src, dst,
			     ours && state != TCP_LAST_ACK ? TCP_FIN_WAIT1 : TCP_ESTABLISHED,
			     ours && state != TCP_LAST_ACK ? TCP_CLOSING : TCP_CLOSE_WAIT);
	if (r >= 0 && ours && state == TCP_LAST_ACK)
		r = fin_queue_sent(sk);
	return r;
}

int tcp_conn_restore(int sk, uint32_t state, const TcpConnEntry *c, const union sk_addr *src,
		     const union sk_addr *dst)
{
	size_t sent = c->send_queue.len - c->unsent;
	uint32_t now = 0;
	int r;

	r = tcp_repair_on(sk);
	/* Where each queue starts; adding bytes to it moves its end on. An
	 * acknowledged FIN of ours comes back as sent, not acknowledged. */
	if (r >= 0)
		r = queue_set_seq(sk, TCP_SEND_QUEUE, c->snd_una - (state == TCP_FIN_WAIT2));
	if (r >= 0)
		r = queue_set_seq(sk, TCP_RECV_QUEUE,
				  c->rcv_nxt - fin_theirs(state) - (uint32_t)c->recv_queue.len);
	if (r < 0)
		return r;
	/* Repair mode binds even where another socket is bound (the
	 * listening socket it came from) and connects without a packet. */
	if (bind(sk, &src->sa, addr_len(src)) < 0 || connect(sk, &dst->sa, addr_len(dst)) < 0)
		return -errno;
	/* Before any data: the kernel refuses options once it has some. */
	r = agreed_restore(sk, c);
	if (r >= 0)
		r = queue_fill(sk, TCP_SEND_QUEUE, c->send_queue.data, sent);
	if (r >= 0)
		r = queue_fill(sk, TCP_RECV_QUEUE, c->recv_queue.data, c->recv_queue.len);
	if (r >= 0)
		r = fins_restore(sk, state, c, src, dst);
	/* After the receive queue: the window must not start after rcv_nxt. */
	if (r >= 0)
		r = window_restore(sk, c);
	if (r >= 0)
		r = tcp_set(sk, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
	if (r >= 0)
		r = sk_tcp_state(sk, &now);
	if (r >= 0 && now != state_restored(state, c->fin_unsent))
		r = -EPROTO;
	return r;
}

int tcp_conn_resume(int sk, uint32_t state, const TcpConnEntry *c)
{
	size_t sent = c->send_queue.len - c->unsent;
	int r = 0;

	/* The filter peer_fin left: what the peer sends is taken again. */
	if (fin_theirs(state))
		r = tcp_accept_incoming(sk);
	if (r == -ENOENT)
		r = 0;
	/* A window probe gets the peer to tell its window at once; in
	 * CLOSE_WAIT the peer may be gone for good, and a probe would get a
	 * reset back where the process would have read an end of file. */
	if (r >= 0)
		r = tcp_repair_off(sk, state != TCP_CLOSE_WAIT);
	if (r >= 0 && c->unsent)
		r = send_all(sk, SO_SNDBUF, SO_SNDBUFFORCE, c->send_queue.data + sent, c->unsent);
	/* Behind the bytes it waited for, as it was. */
	if (r >= 0 && c->fin_unsent && shutdown(sk, SHUT_WR) < 0)
		r = -errno;
	return r;
}
