// SPDX-License-Identifier: GPL-2.0
/*
 * TCP and UDP sockets at restore (see sk-inet.c): the check of each
 * socket of the images, then its creation, bind and listen or connect.
 *
 * ckpt creates every socket before the processes, listening ones
 * first (the connections they accepted share their port), sets the
 * options, binds, and listens or connects. A connection is rebuilt in
 * repair mode, without a packet but its own ACK of the peer's FIN, and
 * leaves it only once every process is ready to go on (restore_last), so
 * that a failed restore closes it silently too and the peer can wait for
 * the next attempt. A connect in flight is made again. A UDP socket gets
 * its datagrams again from their senders' addresses before it connects.
 */
#include "files.h"
#include "sk-inet.h"

#include "imgdir.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>

/* An address's length, by its family. */
static socklen_t addr_len(int family)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* Sockets made before any description is opened, by file id. */
struct inet_open {
	int *fds;
	size_t n;
};

int inet_check(const FileEntry *e, const struct files_open *fo)
{
	const InetSkEntry *s = e->inet_sk;
	union sk_addr a;

	if (!s || (s->family != AF_INET && s->family != AF_INET6) ||
	    !((s->type == SOCK_STREAM && s->protocol == IPPROTO_TCP) ||
	      (s->type == SOCK_DGRAM && s->protocol == IPPROTO_UDP)) ||
	    !inet_state_supported(s) ||
	    inet_addr_load((int)s->family, &s->src_addr, s->src_port, 0, &a) < 0 ||
	    (is_connected(s) &&
	     inet_addr_load((int)s->family, &s->dst_addr, s->dst_port, 0, &a) < 0) ||
	    is_tcp_conn(s) != !!s->tcp || (s->tcp && tcp_conn_check(s->state, s->tcp) < 0) ||
	    udp_queue_check(s) < 0 || s->shutdown > 3)
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (socket '%s')",
			       e->path);
	if (inet_opts_check(s) < 0)
		return img_inconsistent(IMG_FILES, 0,
					"socket '%s': an option ckpt does not set, or its value",
					e->path);
	int r = inet_opts_check_trust(e, s, fo->trust);

	if (r < 0)
		return r;
	/* Repair mode takes CAP_NET_ADMIN and believes any addresses, ports
	 * and sequence numbers: a connection of anyone's, to anywhere. */
	if (!fo->trust->trusted && is_tcp_conn(s)) {
		char name[200];

		inet_sk_fmt(s, name, sizeof(name));
		return pr_fail(
			-EPERM,
			"cannot restore: image set '%s' is owned by uid %u, and only root's sets may restore a TCP connection (%s)",
			fo->trust->dir, fo->trust->owner, name);
	}
	return 0;
}

static bool is_bound(const InetSkEntry *s)
{
	static const uint8_t any[16];

	return s->src_port || memcmp(s->src_addr.data, any, s->src_addr.len);
}

static int sk_bind_listen(int sk, const InetSkEntry *s, const union sk_addr *src)
{
	char name[200];

	if (is_bound(s) && bind(sk, &src->sa, addr_len((int)s->family)) < 0) {
		inet_sk_fmt(s, name, sizeof(name));
		return pr_errno(-errno, "cannot restore: cannot bind %s", name);
	}
	if (s->state == TCP_LISTEN && listen(sk, (int)s->backlog) < 0) {
		inet_sk_fmt(s, name, sizeof(name));
		return pr_errno(-errno, "cannot restore: cannot listen on %s", name);
	}
	return 0;
}

static int udp_connect(int sk, const InetSkEntry *s, const union sk_addr *dst)
{
	char name[200];

	if (connect(sk, &dst->sa, addr_len((int)s->family)) < 0) {
		inet_sk_fmt(s, name, sizeof(name));
		return pr_errno(-errno, "cannot restore: cannot connect %s", name);
	}
	return 0;
}

/*
 * A connect in flight is made again, from the same address and port: its
 * SYN goes out anew (the count of those sent starts again). A process
 * that was waiting in connect() waits on; one that polls sees it end.
 */
static int tcp_connect_again(int sk, const InetSkEntry *s, const union sk_addr *dst)
{
	int flags = fcntl(sk, F_GETFL);
	char name[200];
	int r = 0;

	if (flags < 0 || fcntl(sk, F_SETFL, flags | O_NONBLOCK) < 0)
		r = -errno;
	if (r >= 0 && connect(sk, &dst->sa, addr_len((int)s->family)) < 0 && errno != EINPROGRESS)
		r = -errno;
	if (r < 0) {
		inet_sk_fmt(s, name, sizeof(name));
		return pr_errno(r, "cannot restore: cannot connect %s again", name);
	}
	return 0;
}

static int sk_shutdown_restore(int sk, const InetSkEntry *s)
{
	static const int how[] = { -1, SHUT_RD, SHUT_WR, SHUT_RDWR };
	/* A connection's FIN (writes shut down) came back with its state. */
	uint32_t bits = is_tcp_conn(s) ? s->shutdown & 1 : s->shutdown;
	char name[200];

	if (!bits || bits > 3)
		return 0;
	/* A UDP socket not connected is shut down all the same (ENOTCONN). */
	if (shutdown(sk, how[bits]) < 0 && errno != ENOTCONN) {
		inet_sk_fmt(s, name, sizeof(name));
		return pr_errno(-errno, "cannot restore: cannot shut down %s", name);
	}
	return 0;
}

/* A set not root's gets no datagram from another's address: its queue
 * is left empty. */
static int udp_refill(int sk, const InetSkEntry *s, const union sk_addr *src, bool trusted)
{
	char name[200];
	int r = trusted ? udp_queue_refill(sk, s, src) : 0;

	if (r < 0) {
		inet_sk_fmt(s, name, sizeof(name));
		return pr_errno(r, "cannot restore: cannot queue the datagrams of %s again", name);
	}
	return 0;
}

static int sk_setup(int sk, const InetSkEntry *s, bool trusted)
{
	union sk_addr src, dst;
	char name[200];
	int r;

	(void)inet_addr_load((int)s->family, &s->src_addr, s->src_port, s->src_scope_id, &src);
	if (has_peer(s))
		(void)inet_addr_load((int)s->family, &s->dst_addr, s->dst_port, s->dst_scope_id,
				     &dst);
	r = inet_opts_restore(sk, s, is_tcp_conn(s));
	if (r < 0)
		return r;
	if (is_tcp_conn(s)) {
		r = tcp_conn_restore(sk, s->state, s->tcp, &src, &dst);
		if (r < 0) {
			inet_sk_fmt(s, name, sizeof(name));
			return pr_errno(r, "cannot restore: cannot rebuild the TCP connection %s",
					name);
		}
	} else {
		r = sk_bind_listen(sk, s, &src);
		/* Before connect: a connected socket takes only its peer's. */
		if (r >= 0 && !is_tcp(s))
			r = udp_refill(sk, s, &src, trusted);
		if (r >= 0 && s->state == TCP_ESTABLISHED)
			r = udp_connect(sk, s, &dst);
		if (r >= 0 && s->state == TCP_SYN_SENT)
			r = tcp_connect_again(sk, s, &dst);
	}
	return r < 0 ? r : sk_shutdown_restore(sk, s);
}

/*
 * A socket belongs to the fsuid and fsgid that made it: netfilter's owner
 * match and /proc/net go by them. Made by ckpt it would be root's, so it
 * is made with those of the process that has it (@c).
 */
static int sk_socket_as(const InetSkEntry *s, const CredsEntry *c)
{
	uid_t fsuid = (uid_t)setfsuid((uid_t)-1);
	gid_t fsgid = (gid_t)setfsgid((gid_t)-1);
	bool as = c && (c->fsuid != fsuid || c->fsgid != fsgid);
	int sk, err;

	if (as) {
		(void)setfsgid(c->fsgid);
		(void)setfsuid(c->fsuid);
		if ((uid_t)setfsuid((uid_t)-1) != c->fsuid ||
		    (gid_t)setfsgid((gid_t)-1) != c->fsgid) {
			(void)setfsuid(fsuid);
			(void)setfsgid(fsgid);
			return -EPERM;
		}
	}
	sk = socket((int)s->family, (int)s->type | SOCK_CLOEXEC, (int)s->protocol);
	err = errno;
	if (as) {
		(void)setfsuid(fsuid);
		(void)setfsgid(fsgid);
	}
	return sk < 0 ? -err : sk;
}

static int sk_create(const FileEntry *e, const CredsEntry *c, int scratch, bool trusted)
{
	const InetSkEntry *s = e->inet_sk;
	int sk = sk_socket_as(s, c);
	int r;

	if (sk < 0)
		return pr_errno(sk, "cannot restore: cannot create socket '%s'", e->path);
	sk = fd_move_above(sk, scratch);
	if (sk < 0)
		return pr_errno(sk, "cannot restore: cannot create socket '%s'", e->path);
	r = sk_setup(sk, s, trusted);
	/* O_NONBLOCK: the file flags a socket has. */
	if (r >= 0 && fcntl(sk, F_SETFL, e->flags) < 0)
		r = pr_errno(-errno, "cannot restore: cannot set the flags of socket '%s'",
			     e->path);
	if (r < 0) {
		close(sk);
		return r;
	}
	return sk;
}

/*
 * For a set not trusted, the sockets are made as its owner would make
 * them: with the owner's fsuid and fsgid (the socket's owner, which
 * netfilter's owner match and /proc/net show) and no capability in effect
 * (CAP_NET_BIND_SERVICE for a port below ip_unprivileged_port_start,
 * CAP_NET_ADMIN or CAP_NET_RAW for SO_MARK, IP_TRANSPARENT, SO_PRIORITY
 * above 6, a congestion control not allowed to users...): the kernel
 * refuses what the owner could not have done.
 */
struct as_owner {
	struct trust_saved fs;
	cap_t caps; /* ours, to take back; NULL: nothing changed */
};

static int as_owner_enter(const struct trust *t, struct as_owner *a)
{
	cap_t none;
	int r;

	a->caps = NULL;
	if (t->trusted)
		return 0;
	r = trust_enter(t, &a->fs);
	if (r < 0)
		return r;
	a->caps = cap_get_proc();
	none = a->caps ? cap_dup(a->caps) : NULL;
	r = none && cap_clear_flag(none, CAP_EFFECTIVE) == 0 && cap_set_proc(none) == 0 ? 0
											: -EPERM;
	if (none)
		cap_free(none);
	if (r < 0) {
		if (a->caps)
			cap_free(a->caps);
		a->caps = NULL;
		trust_leave(&a->fs);
	}
	return r;
}

static void as_owner_leave(struct as_owner *a)
{
	if (!a->caps)
		return;
	(void)cap_set_proc(a->caps);
	cap_free(a->caps);
	a->caps = NULL;
	trust_leave(&a->fs);
}

/* Listening sockets first: a connection they accepted binds to their port. */
int inet_prepare(struct files_open *fo)
{
	const FilesEntry *fe = fo->fe;
	struct inet_open *st = xzalloc(sizeof(*st));
	struct as_owner owner;
	int r = 0, ns;

	fo->state[FD_KIND__FD_INET_SK] = st;
	st->n = fe->n_files;
	st->fds = xmalloc((st->n + 1) * sizeof(*st->fds));
	for (size_t i = 0; i < st->n; i++)
		st->fds[i] = -1;
	r = as_owner_enter(fo->trust, &owner);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot take the image owner's rights");
	for (int listening = 1; listening >= 0 && r >= 0; listening--)
		for (size_t i = 0; i < st->n && r >= 0; i++) {
			const FileEntry *e = fe->files[i];

			if (e->kind != FD_KIND__FD_INET_SK ||
			    (e->inet_sk->state == TCP_LISTEN) != listening)
				continue;
			r = files_netns_enter(fo, i, &ns);
			if (r < 0)
				break;
			r = st->fds[i] = sk_create(e, fo->file_creds ? fo->file_creds[i] : NULL,
						   fo->scratch, fo->trust->trusted);
			if (files_netns_leave(ns) < 0)
				r = -ENOTRECOVERABLE;
		}
	as_owner_leave(&owner);
	return r < 0 ? r : 0;
}

int inet_open(struct files_open *fo, const FileEntry *e)
{
	struct inet_open *st = fo->state[FD_KIND__FD_INET_SK];
	int fd = st->fds[e->id];

	if (fd < 0)
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (socket '%s')",
			       e->path);
	st->fds[e->id] = -1;
	return fd;
}

void inet_finish(struct files_open *fo)
{
	struct inet_open *st = fo->state[FD_KIND__FD_INET_SK];

	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		if (st->fds[i] >= 0)
			close(st->fds[i]);
	free(st->fds);
	free(st);
	fo->state[FD_KIND__FD_INET_SK] = NULL;
}

/* Every process is ready to go on: the connections leave repair mode. */
int inet_restore_last(const FileEntry *e, int pid, int fd)
{
	const InetSkEntry *s = e->inet_sk;
	char name[200];
	int sk, r = 0;

	if (!is_tcp_conn(s))
		return 0;
	sk = fd_borrow(pid, fd);
	if (sk < 0)
		r = sk;
	if (r >= 0)
		r = tcp_conn_resume(sk, s->state, s->tcp);
	for (size_t i = 0; r >= 0 && i < s->n_opts; i++)
		if (inet_opt_is_reuseaddr(s->opts[i]))
			r = inet_opt_set(sk, s->opts[i]);
	if (sk >= 0)
		close(sk);
	if (r < 0) {
		inet_sk_fmt(s, name, sizeof(name));
		return pr_errno(r,
				"cannot restore %d: cannot resume the TCP connection %s at fd %d",
				pid, name, fd);
	}
	return 0;
}
