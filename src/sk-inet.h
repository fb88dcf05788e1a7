/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_SK_INET_H
#define CKPT_SK_INET_H
/*
 * TCP and UDP sockets: what sk-inet.c (the kind: addresses, states, the
 * dump), sk-inet-opts.c (options), sk-inet-restore.c (the restore),
 * sk-inet-live.c (the sockets while the dump holds them),
 * sk-tcp.c (connections through TCP_REPAIR), sk-udp.c (UDP queues) and
 * sk-inject.c share. The kind's files (sk-inet*.c) log what fails; the
 * others return 0 or -errno and the kind says what failed.
 */
#include "files.h"
#include "sk-inet.pb-c.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/socket.h>

union sk_addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/* ---- the kind: sk-inet.c, sk-inet-restore.c, sk-inet-live.c ---- */

/* A socket being dumped, and ckpt's own copy of it. */
struct live_sk {
	FileEntry *e;
	int pid, fd; /* where the dump found it, for messages */
	int sk;
	int reuse; /* SO_REUSEADDR as the process left it */
	bool filtered, repaired;
};

/* What sock_diag says of the sockets of one family and protocol. */
struct diag_list {
	bool read;
	uint64_t netns; /* the network namespace it was read in */
	size_t n;
	struct diag_sk {
		uint32_t ino;
		uint8_t shutdown;
		uint8_t dst[16]; /* the peer (a connect in flight has no other) */
		uint16_t dport; /* network order */
		uint32_t ifindex;
	} * v;
};

struct inet_dump {
	struct live_sk *sks;
	size_t n;
	struct diag_list lists[4]; /* TCP, UDP; IPv4, IPv6 */
};

/* "ESTABLISHED", "FIN_WAIT1"... as <netinet/tcp.h> names them. */
const char *inet_state_name(uint32_t state);
/* The state of socket @sk (of the kind @s says): TCP's own, or for UDP
 * TCP_ESTABLISHED once connected, else TCP_CLOSE. */
int inet_sk_state(int sk, const InetSkEntry *s, uint32_t *ret);
int sk_getint(int sk, int level, int name, int *ret);
/* The kind's dump_finish and dump_done (sk-inet-live.c). */
int inet_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids);
void inet_dump_done(struct file_table *ft, bool killed);

/* Is @s in a state ckpt restores? */
bool inet_state_supported(const InetSkEntry *s);
/* The address @addr, @port (and @scope for IPv6) of @family, from an
 * image; -EBADMSG if it cannot be one. */
int inet_addr_load(int family, const ProtobufCBinaryData *addr, uint32_t port, uint32_t scope,
		   union sk_addr *ret);
/* "TCP socket 127.0.0.1:80", with " -> peer" when connected. */
void inet_sk_fmt(const InetSkEntry *s, char *buf, size_t len);

/* The kind's check, prepare, open, finish and restore_last
 * (sk-inet-restore.c). */
int inet_check(const FileEntry *e, const struct files_open *fo);
int inet_prepare(struct files_open *fo);
int inet_open(struct files_open *fo, const FileEntry *e);
void inet_finish(struct files_open *fo);
int inet_restore_last(const FileEntry *e, int pid, int fd);

/* ---- sk-inet-opts.c: the options ---- */

/* Every option of @sk that a new socket of its kind, @fresh, has otherwise,
 * into @s. */
void inet_opts_dump(int sk, int fresh, InetSkEntry *s);
/* -EBADMSG unless every option of @s, from an image, is one of the table
 * that applies to it, with a value it may have. */
int inet_opts_check(const InetSkEntry *s);
/* The same, logged, and none that takes a privilege the owner of set @t
 * may lack. */
int inet_opts_check_trust(const FileEntry *e, const InetSkEntry *s, const struct trust *t);
/* Set option @opt, checked, on @sk. */
int inet_opt_set(int sk, const InetSkOpt *opt);
bool inet_opt_is_reuseaddr(const InetSkOpt *opt);
/* Every saved option of @s on @sk (logged); SO_REUSEADDR too unless
 * @skip_reuse. */
int inet_opts_restore(int sk, const InetSkEntry *s, bool skip_reuse);

/* ---- sk-inject.c ---- */

/* An IPv4 address in an IPv6 one (::ffff:a.b.c.d) as plain IPv4. */
void addr_unmap(union sk_addr *a);
/* The IP header of a packet sent again: -1, the kernel's default. */
struct inject_ip {
	int tos, ttl;
};
/* @len bytes of protocol @proto (@buf: its header, then its payload) sent
 * from @from to @to (mapped addresses as IPv4), @to an address of this
 * machine (-EADDRNOTAVAIL if not), with @ip (NULL: defaults); the header's
 * checksum, at @csum_off, is made here. */
int inet_inject(int proto, const union sk_addr *from, const union sk_addr *to,
		const struct inject_ip *ip, uint8_t *buf, size_t len, size_t csum_off);

/* ---- sk-udp.c ---- */

/* The datagrams waiting in UDP socket @sk, into @s->queue, without taking
 * them (SO_PEEK_OFF is left at -1: the caller puts it back). -EPIPE: an
 * error is pending, which any read would take. */
int udp_queue_dump(int sk, InetSkEntry *s);
/* -EBADMSG unless the queue of @s, from an image, could be one. */
int udp_queue_check(const InetSkEntry *s);
/* Send @s's datagrams again to the new socket @sk, bound to @bound, each
 * from its sender, and wait until they are all queued. */
int udp_queue_refill(int sk, const InetSkEntry *s, const union sk_addr *bound);

/* ---- sk-tcp.c ---- */

/* Drop every packet that comes for @sk from now on (a socket filter):
 * what the peer sends is neither queued nor acknowledged, so it sends it
 * again later. */
int tcp_drop_incoming(int sk);
/* Let packets in again. */
int tcp_accept_incoming(int sk);
/* Put @sk in repair mode: closing it then sends nothing. */
int tcp_repair_on(int sk);
/* 1 when connection @sk, in repair mode, waits for no ACK (everything it
 * sent was acknowledged) and owes none (it acknowledged everything it
 * received), else 0. */
int tcp_quiet(int sk);
/* Back to normal; @probe: send a window probe, so that the peer tells
 * its window at once. */
int tcp_repair_off(int sk, bool probe);
/* Is @state one of a connection ckpt saves (ESTABLISHED, FIN_WAIT1,
 * FIN_WAIT2, CLOSE_WAIT, LAST_ACK, CLOSING)? */
bool tcp_conn_state(uint32_t state);
/* A connection in @state, in repair mode, into @c (its byte fields
 * allocated). */
int tcp_conn_dump(int sk, uint32_t state, TcpConnEntry *c);
/* -EBADMSG unless @c, from an image, can be a connection in @state. */
int tcp_conn_check(uint32_t state, const TcpConnEntry *c);
/* Rebuild connection @c of the new socket @sk, from @src to @dst, in
 * repair mode, up to @state (see tcp_conn_resume); it stays in repair mode.
 * -EPROTO: the kernel did not take it to the state it should. */
int tcp_conn_restore(int sk, uint32_t state, const TcpConnEntry *c, const union sk_addr *src,
		     const union sk_addr *dst);
/* Out of repair mode, @c goes on: the bytes it had never sent go out now,
 * and our FIN after them if it waited for them. */
int tcp_conn_resume(int sk, uint32_t state, const TcpConnEntry *c);

/* ---- what kind of socket it is, for every file of the kind ---- */

static inline bool is_tcp(const InetSkEntry *s)
{
	return s->protocol == IPPROTO_TCP;
}

/* A TCP connection, open or closing (TCP_REPAIR saves it). */
static inline bool is_tcp_conn(const InetSkEntry *s)
{
	return is_tcp(s) && tcp_conn_state(s->state);
}

/* Connected: a TCP connection, or a UDP socket with a peer. */
static inline bool is_connected(const InetSkEntry *s)
{
	return s->state == TCP_ESTABLISHED || is_tcp_conn(s);
}

/* Connected, or a TCP connect in flight (SYN_SENT): it has a peer. */
static inline bool has_peer(const InetSkEntry *s)
{
	return is_connected(s) || (is_tcp(s) && s->state == TCP_SYN_SENT);
}

#endif
