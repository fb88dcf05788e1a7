// SPDX-License-Identifier: GPL-2.0
/*
 * TCP and UDP sockets while the dump holds them (see sk-inet.c): once
 * every process is in, what the kernel would still change on its own is
 * stopped (listening sockets and connects in flight take no packet,
 * connections go to repair mode) and read (connections, UDP queues); at
 * the end each socket is let go as it was, or closed with the tree.
 */
#include "dump-guard.h"
#include "files.h"
#include "sk-inet.h"

#include "util.h"

#include <netinet/tcp.h>
#include <string.h>
#include <time.h>

/* How long a dump waits at most for connections to settle (conns_settle). */
#define SETTLE_MS 250

/* No packet comes in to socket @l from now on (the guardian takes the
 * filter off if ckpt dies). */
static int hold_packets(struct live_sk *l)
{
	int r = dguard_sock(l->sk, DG_SK_FILTER, 0, 0);

	if (r >= 0)
		r = tcp_drop_incoming(l->sk);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot hold the packets of fd %d", l->pid,
				l->fd);
	l->filtered = true;
	return 0;
}

/* A listening socket: nothing completes a connection from now on, and
 * none is waiting to be accepted (it could not be put back). */
static int listen_lock(struct live_sk *l)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int r = hold_packets(l);

	if (r < 0)
		return r;
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(l->sk, SOL_TCP, TCP_INFO, &ti, &len) < 0)
		return pr_errno(-errno, "cannot dump %d: socket at fd %d", l->pid, l->fd);
	/* For a listening socket tcpi_unacked is its accept queue. */
	if (ti.tcpi_unacked)
		return pr_fail(
			-EBUSY,
			"cannot dump %d: fd %d is a listening TCP socket with %u connection%s not accepted yet (not supported; try again)",
			l->pid, l->fd, ti.tcpi_unacked, ti.tcpi_unacked == 1 ? "" : "s");
	return 0;
}

static int conn_repair(struct live_sk *l)
{
	int r = dguard_sock(l->sk, DG_SK_REPAIR, l->reuse, 0);

	if (r >= 0)
		r = tcp_repair_on(l->sk);
	if (r < 0)
		return pr_errno(
			r, "cannot dump %d: cannot put the TCP connection at fd %d in repair mode",
			l->pid, l->fd);
	l->repaired = true;
	return 0;
}

/*
 * From the kill to the restore whatever the peer sends gets a RST back
 * (see the top of this file), an ACK as well: the peer's delayed ACK (40
 * to 200 ms) of the last bytes we sent, or, if our own delayed ACK never
 * leaves, its retransmission of the last bytes it sent. Give both the time
 * to go (the kernel goes on with them while the tree is frozen, in repair
 * mode too), a bounded time: a peer that keeps sending is not waited for.
 */
static void conns_settle(struct inet_dump *st)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + SETTLE_MS * 1000000ULL;
	struct timespec tick = { 0, 1000000 };

	for (;;) {
		bool quiet = true;

		for (size_t i = 0; i < st->n && quiet; i++)
			if (st->sks[i].repaired && tcp_quiet(st->sks[i].sk) == 0)
				quiet = false;
		if (quiet || now_ns(CLOCK_MONOTONIC) > end)
			return;
		nanosleep(&tick, NULL);
	}
}

/* Nothing changes the connection once packets stop coming in. */
static int conn_read(struct live_sk *l)
{
	InetSkEntry *s = l->e->inet_sk;
	uint32_t state = s->state;
	TcpConnEntry *c;
	int r = hold_packets(l);

	if (r < 0)
		return r;
	/* A FIN that came since the socket was first seen is in no queue. */
	r = inet_sk_state(l->sk, s, &state);
	if (r >= 0 && state != s->state)
		return pr_fail(
			-EAGAIN,
			"cannot dump %d: the TCP connection at fd %d went to state %s during the dump (try again)",
			l->pid, l->fd, inet_state_name(state));
	c = xmalloc(sizeof(*c));
	tcp_conn_entry__init(c);
	s->tcp = c;
	r = tcp_conn_dump(l->sk, s->state, c);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read the TCP connection at fd %d",
				l->pid, l->fd);
	return 0;
}

/* Each socket of @st for which @pick is true, through @fn. */
static int live_each(struct inet_dump *st, bool (*pick)(const InetSkEntry *),
		     int (*fn)(struct live_sk *))
{
	for (size_t i = 0; i < st->n; i++) {
		int r = pick(st->sks[i].e->inet_sk) ? fn(&st->sks[i]) : 0;

		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_listening_tcp(const InetSkEntry *s)
{
	return is_tcp(s) && s->state == TCP_LISTEN;
}

static bool is_connecting_tcp(const InetSkEntry *s)
{
	return is_tcp(s) && s->state == TCP_SYN_SENT;
}

/* A connect in flight: it completes no more (its SYN-ACK is dropped, and
 * sent again later to the restored socket's new SYN), and did not yet. */
static int connect_hold(struct live_sk *l)
{
	uint32_t state = TCP_SYN_SENT;
	int r = hold_packets(l);

	if (r < 0)
		return r;
	r = inet_sk_state(l->sk, l->e->inet_sk, &state);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: socket at fd %d", l->pid, l->fd);
	if (state != TCP_SYN_SENT)
		return pr_fail(
			-EAGAIN,
			"cannot dump %d: the TCP connect at fd %d went to state %s during the dump (try again)",
			l->pid, l->fd, inet_state_name(state));
	return 0;
}

static bool is_udp(const InetSkEntry *s)
{
	return !is_tcp(s);
}

/* The datagrams a UDP socket holds, read without taking them. */
static int udp_read(struct live_sk *l)
{
	int peek_off = -1, r = sk_getint(l->sk, SOL_SOCKET, SO_PEEK_OFF, &peek_off);

	if (r >= 0)
		r = dguard_sock(l->sk, DG_SK_PEEK_OFF, 0, peek_off);
	if (r >= 0) {
		r = udp_queue_dump(l->sk, l->e->inet_sk);
		/* the process's own offset back */
		if (setsockopt(l->sk, SOL_SOCKET, SO_PEEK_OFF, &peek_off, sizeof(peek_off)) < 0 &&
		    r >= 0)
			r = -errno;
		dguard_sock_forget(l->sk);
	}
	if (r == -EPIPE)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a UDP socket with an error pending, which reading its queue would take (not supported)",
			l->pid, l->fd);
	if (r < 0)
		return pr_errno(r,
				"cannot dump %d: cannot read the queue of the UDP socket at fd %d",
				l->pid, l->fd);
	return 0;
}

/* Last, once every process is in: what the kernel still changes on its
 * own while they are frozen. Listening sockets first: no connection
 * completes after that. */
int inet_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	struct inet_dump *st = ft->state[FD_KIND__FD_INET_SK];
	int r;

	if (!st)
		return 0;
	r = live_each(st, is_listening_tcp, listen_lock);
	if (r >= 0)
		r = live_each(st, is_connecting_tcp, connect_hold);
	if (r >= 0)
		r = live_each(st, is_tcp_conn, conn_repair);
	if (r >= 0)
		conns_settle(st);
	if (r >= 0)
		r = live_each(st, is_tcp_conn, conn_read);
	if (r >= 0)
		r = live_each(st, is_udp, udp_read);
	return r;
}

/* The process goes on: the socket as it left it. */
static void live_release(struct live_sk *l)
{
	if (l->repaired) {
		(void)tcp_repair_off(l->sk, false);
		/* Leaving repair mode clears SO_REUSEADDR. */
		if (l->reuse)
			(void)setsockopt(l->sk, SOL_SOCKET, SO_REUSEADDR, &l->reuse,
					 sizeof(l->reuse));
	}
	if (l->filtered)
		(void)tcp_accept_incoming(l->sk);
	dguard_sock_forget(l->sk);
}

void inet_dump_done(struct file_table *ft, bool killed)
{
	struct inet_dump *st = ft->state[FD_KIND__FD_INET_SK];

	for (size_t i = 0; st && i < st->n; i++) {
		/* Killed: ours is the last reference; closed in repair mode it
		 * goes without a word to the peer. */
		if (!killed)
			live_release(&st->sks[i]);
		else
			dguard_sock_forget(st->sks[i].sk);
		close(st->sks[i].sk);
	}
	if (st) {
		free(st->sks);
		for (size_t k = 0; k < ARRAY_SIZE(st->lists); k++)
			free(st->lists[k].v);
	}
	free(st);
	ft->state[FD_KIND__FD_INET_SK] = NULL;
}
