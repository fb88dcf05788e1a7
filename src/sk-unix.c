// SPDX-License-Identifier: GPL-2.0
/*
 * Unix domain sockets: stream, datagram and seqpacket; unnamed, bound to a
 * path or to an abstract name; socketpairs, listening sockets and the
 * connections they have not accepted yet, connections between processes
 * of the tree; what waits in their receive queues, their shutdown state
 * and the options that matter.
 *
 * A socket has exactly one open file description (it cannot be reopened
 * through /proc), so each socket of the tree is one file of the table.
 *
 * Dump: unix_diag tells what the fd does not (peer, name, queue lengths,
 * pending connections); ckpt takes a copy of the fd (pidfd_getfd) to read
 * the options and the receive queue. The queue is read without consuming
 * it: MSG_PEEK at an offset ckpt moves itself (SO_PEEK_OFF, put back as it
 * was after), one datagram or record at a time, so message boundaries and
 * the senders' addresses are kept. Once every process is in, dump_finish
 * checks that no socket of the tree is connected to, or shared with, a
 * process outside it (or, with --ext-unix-sk, that it can be connected
 * again to its peer's address).
 *
 * Restore: like pipes, every socket is built in ckpt before any file is
 * opened (prepare), in the order that gives each the state it had:
 *	make them: socketpairs for unnamed connected pairs, socket() for
 *	  the rest (a connection through a listener comes from accept())
 *	bind, listen
 *	connections through a listener: connect, and accept() the other end
 *	  at once; then the connections still waiting, oldest first
 *	refill each receive queue from the peer or from the sender
 *	connect datagram sockets to their peers, and to the outside peers
 *	  (--ext-unix-sk); close the partners made for sockets whose peer had
 *	  gone away; shutdown(); set the options
 *	remove the socket files that had been removed before the dump
 *
 * What a restored application can tell (the kernel has no way to set it):
 * SO_PEERCRED of a socketpair or of a connection made at restore names
 * ckpt (a listener is listen()ed again by its own process, so connections
 * made after the restore see its pid); SO_ERROR pending on a socket is
 * lost; queued messages read with SO_PASSCRED carry ckpt's credentials; a
 * queued datagram whose sender is gone (or outside the tree, with
 * --ext-unix-sk) arrives from no address; a connected socket that bound a
 * name itself looks to unix_diag like one accepted from a listener of that
 * name, and comes back as one (an abstract name is then free for others);
 * empty records at the end of a seqpacket queue shut down for reading are
 * lost. Refused, with a message: descriptors in flight (SCM_RIGHTS), an
 * out-of-band byte, a connection not accepted yet that holds data or whose
 * client is closed or outside the tree, a peer outside the tree (unless
 * --ext-unix-sk), a socket shared with a process outside the tree.
 */
#include "dump-guard.h"
#include "files.h"

#include "sock-diag.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 4
#endif

/* sk_state and sk_shutdown values, as unix_diag shows them */
enum { SK_ESTABLISHED = 1, SK_LISTEN = 10 };
enum { RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2 };

#define MAX_PACKETS 65536 /* a sanity bound on a queue being read */
#define NAME_STR_LEN (UNIX_NAME_MAX * 4 + 4)

static bool stream_like(uint32_t type)
{
	return type == SOCK_STREAM || type == SOCK_SEQPACKET;
}

/* A socket name for messages: "path", "@abstract" (0 bytes shown as @). */
static const char *name_str(const void *name, size_t len, char *buf)
{
	const unsigned char *p = name;
	size_t o = 0;

	if (len && p[0]) /* a path, with its trailing 0 */
		len = strnlen(name, len);
	for (size_t i = 0; i < len && o < NAME_STR_LEN - 5; i++) {
		if (!p[i])
			buf[o++] = '@';
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", p[i]);
		else
			buf[o++] = (char)p[i];
	}
	buf[o] = 0;
	return buf;
}

static bool name_is_path(const void *name, size_t len)
{
	return len && ((const char *)name)[0];
}

static bool name_is_relative(const void *name, size_t len)
{
	return name_is_path(name, len) && ((const char *)name)[0] != '/';
}

/* ---- dump ---- */

static int diag_get(uint32_t ino, struct unix_diag_sk *ret)
{
	struct sock_diag sd;
	int r = sock_diag_open(&sd);

	if (r < 0)
		return r;
	r = unix_diag_get(&sd, ino, ret);
	sock_diag_close(&sd);
	return r;
}

static bool unix_sk_claims(const char *link, const struct stat *st)
{
	struct unix_diag_sk u;

	if (!S_ISSOCK(st->st_mode) || strncmp(link, "socket:", 7))
		return false;
	if (diag_get((uint32_t)st->st_ino, &u) < 0)
		return false;
	unix_diag_sk_release(&u);
	return true;
}

struct sk_opts {
	int sndbuf, rcvbuf, passcred, passsec, passpidfd, peek_off, rcvlowat;
	uint64_t sndtimeo_us, rcvtimeo_us;
};

static int opt_int(int sk, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	*ret = 0;
	if (getsockopt(sk, SOL_SOCKET, name, ret, &len) < 0)
		/* an option this kernel does not have is off */
		return errno == ENOPROTOOPT ? 0 : -errno;
	return 0;
}

static int opt_time(int sk, int name, uint64_t *ret_us)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	if (getsockopt(sk, SOL_SOCKET, name, &tv, &len) < 0)
		return -errno;
	*ret_us = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	return 0;
}

static int opts_read(int sk, struct sk_opts *o)
{
	int r = opt_int(sk, SO_SNDBUF, &o->sndbuf);

	if (r >= 0)
		r = opt_int(sk, SO_RCVBUF, &o->rcvbuf);
	if (r >= 0)
		r = opt_int(sk, SO_PASSCRED, &o->passcred);
	if (r >= 0)
		r = opt_int(sk, SO_PASSSEC, &o->passsec);
	if (r >= 0)
		r = opt_int(sk, SO_PASSPIDFD, &o->passpidfd);
	if (r >= 0)
		r = opt_int(sk, SO_PEEK_OFF, &o->peek_off);
	if (r >= 0)
		r = opt_int(sk, SO_RCVLOWAT, &o->rcvlowat);
	if (r >= 0)
		r = opt_time(sk, SO_SNDTIMEO, &o->sndtimeo_us);
	if (r >= 0)
		r = opt_time(sk, SO_RCVTIMEO, &o->rcvtimeo_us);
	return r;
}

/* Only the options that differ from a new socket's are saved. */
static int opts_dump(int sk, UnixSkEntry *u)
{
	struct sk_opts o, def;
	int fresh = socket(AF_UNIX, (int)u->type | SOCK_CLOEXEC, 0);
	int r = fresh < 0 ? -errno : opts_read(fresh, &def);

	if (fresh >= 0)
		close(fresh);
	if (r >= 0)
		r = opts_read(sk, &o);
	if (r < 0)
		return r;
	u->has_sndbuf = o.sndbuf != def.sndbuf;
	u->sndbuf = (uint32_t)o.sndbuf;
	u->has_rcvbuf = o.rcvbuf != def.rcvbuf;
	u->rcvbuf = (uint32_t)o.rcvbuf;
	u->has_passcred = o.passcred != def.passcred;
	u->passcred = o.passcred;
	u->has_passsec = o.passsec != def.passsec;
	u->passsec = o.passsec;
	u->has_passpidfd = o.passpidfd != def.passpidfd;
	u->passpidfd = o.passpidfd;
	u->has_peek_off = o.peek_off != def.peek_off;
	u->peek_off = o.peek_off;
	u->has_rcvlowat = o.rcvlowat != def.rcvlowat;
	u->rcvlowat = (uint32_t)o.rcvlowat;
	u->has_sndtimeo_us = o.sndtimeo_us != def.sndtimeo_us;
	u->sndtimeo_us = o.sndtimeo_us;
	u->has_rcvtimeo_us = o.rcvtimeo_us != def.rcvtimeo_us;
	u->rcvtimeo_us = o.rcvtimeo_us;
	return 0;
}

/* Close what a peek passed us; true if it carried file descriptors. */
static bool drop_passed_fds(struct msghdr *msg)
{
	bool fds = msg->msg_flags & MSG_CTRUNC;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *p = (int *)CMSG_DATA(c);

		if (c->cmsg_level != SOL_SOCKET ||
		    (c->cmsg_type != SCM_RIGHTS && c->cmsg_type != SCM_PIDFD))
			continue;
		fds |= c->cmsg_type == SCM_RIGHTS;
		for (size_t i = 0; i < n; i++)
			close(p[i]);
	}
	return fds;
}

struct peek {
	int sk;
	bool trunc; /* MSG_TRUNC tells the real size (not for streams) */
	char *buf;
	size_t cap;
	struct sockaddr_un from;
	socklen_t from_len;
};

/*
 * The packet at offset @off of the queue (stream: up to @want bytes from
 * @off), without taking it: its length, -EAGAIN at the end of the queue,
 * -EBADF if it carries file descriptors, or -errno.
 */
static ssize_t peek_at(struct peek *pk, int off, size_t want)
{
	char ctl[4096]; /* fds, credentials, a security label */

	for (;;) {
		struct iovec iov = { pk->buf, MIN(pk->cap, want) };
		struct msghdr msg = {
			.msg_name = &pk->from,
			.msg_namelen = sizeof(pk->from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl,
			.msg_controllen = sizeof(ctl),
		};
		int flags =
			MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC | (pk->trunc ? MSG_TRUNC : 0);
		ssize_t n;

		if (setsockopt(pk->sk, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
			return -errno;
		n = recvmsg(pk->sk, &msg, flags);
		if (n < 0)
			return -errno;
		if (drop_passed_fds(&msg))
			return -EBADF;
		if ((size_t)n <= iov.iov_len) {
			pk->from_len = msg.msg_namelen;
			return n;
		}
		pk->cap = (size_t)n;
		pk->buf = xrealloc(pk->buf, pk->cap);
	}
}

static UnixSkPacket *packet_add(UnixSkEntry *u, const void *data, size_t len)
{
	UnixSkPacket *p = xmalloc(sizeof(*p));

	unix_sk_packet__init(p);
	p->data.len = len;
	p->data.data = xmalloc(len + 1);
	memcpy(p->data.data, data, len);
	u->queue = xrealloc(u->queue, (u->n_queue + 1) * sizeof(*u->queue));
	u->queue[u->n_queue++] = p;
	return p;
}

/* A stream: @total bytes (never more: a peek past the end would take a
 * pending error), kept as one packet. */
static int queue_read_stream(struct peek *pk, size_t total, UnixSkEntry *u)
{
	char *all = xmalloc(total + 1);
	size_t got = 0;
	int r = 0;

	while (got < total && r >= 0) {
		ssize_t n = peek_at(pk, (int)got, total - got);

		if (n == 0)
			r = -EIO;
		else if (n < 0)
			r = (int)n;
		else
			memcpy(all + got, pk->buf, (size_t)n);
		got += n > 0 ? (size_t)n : 0;
	}
	if (r >= 0 && total)
		packet_add(u, all, total);
	free(all);
	return r;
}

/* Datagrams or records, one by one, each with its sender's address. */
static int queue_read_packets(struct peek *pk, const struct unix_diag_sk *ds, UnixSkEntry *u)
{
	size_t off = 0, bytes = 0;

	for (size_t i = 0; i < MAX_PACKETS; i++) {
		size_t from_len;
		UnixSkPacket *p;
		ssize_t n;

		/* A shut-down seqpacket socket says end of file (0) where the
		 * others say EAGAIN: stop once its bytes are in. */
		if (ds->type == SOCK_SEQPACKET && (ds->shutdown & RCV_SHUTDOWN) &&
		    bytes == ds->rqueue)
			return 0;
		n = peek_at(pk, (int)off, SIZE_MAX);
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		p = packet_add(u, pk->buf, (size_t)n);
		from_len = pk->from_len > offsetof(struct sockaddr_un, sun_path)
				   ? pk->from_len - offsetof(struct sockaddr_un, sun_path)
				   : 0;
		if (from_len && ds->type == SOCK_DGRAM) {
			p->has_sender = true;
			p->sender.len = MIN(from_len, sizeof(pk->from.sun_path));
			p->sender.data = xmalloc(p->sender.len);
			memcpy(p->sender.data, pk->from.sun_path, p->sender.len);
		}
		/*
		 * The kernel skips a whole packet for each of its bytes the
		 * offset passes; an empty one it has returned once is marked
		 * "peeked" and skipped after, so this walks it once too (the
		 * mark stays: it only matters to a reader that peeks at an
		 * offset itself).
		 */
		off += (size_t)n;
		bytes += (size_t)n;
	}
	return -EFBIG;
}

/* Stream sockets can hold one out-of-band byte; it is not copied. */
static bool has_oob(int sk)
{
	char c;

	return recv(sk, &c, 1, MSG_OOB | MSG_PEEK | MSG_DONTWAIT) >= 0;
}

/* What poll() says, which reads nothing and clears nothing. */
static short poll_now(int sk)
{
	struct pollfd p = { .fd = sk, .events = POLLIN };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static int queue_dump(const struct fd_dump *d, int sk, const struct unix_diag_sk *ds,
		      UnixSkEntry *u)
{
	struct peek pk = { .sk = sk, .trunc = ds->type != SOCK_STREAM };
	short ev = poll_now(sk);
	int peek_off = -1, r;

	/* A listener's queue holds connections, not data. */
	if (ds->state == SK_LISTEN || !(ev & POLLIN))
		return 0;
	if (ds->type == SOCK_STREAM && has_oob(sk))
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is a unix socket with out-of-band data",
			       d->pid, d->fd);
	/* Any read of a datagram socket takes its pending error (sock_error()
	 * in __skb_try_recv_datagram); a stream read only past the end. */
	if (ds->type != SOCK_STREAM && (ev & POLLERR))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a unix socket with an error pending, which reading its queue would clear",
			d->pid, d->fd);
	r = opt_int(sk, SO_PEEK_OFF, &peek_off);
	if (r >= 0)
		r = dguard_sock(sk, DG_SK_PEEK_OFF, 0, peek_off);
	if (r >= 0) {
		pk.cap = 65536;
		pk.buf = xmalloc(pk.cap);
		if (ds->type == SOCK_STREAM)
			r = queue_read_stream(&pk, ds->rqueue, u);
		else
			r = queue_read_packets(&pk, ds, u);
		free(pk.buf);
		/* the process's own offset back */
		if (setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &peek_off, sizeof(peek_off)) < 0 &&
		    r >= 0)
			r = -errno;
		dguard_sock_forget(sk);
	}
	if (r == -EBADF)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a unix socket with file descriptors in flight in its queue (SCM_RIGHTS)",
			d->pid, d->fd);
	if (r < 0)
		return pr_errno(r,
				"cannot dump %d: cannot read the queue of the unix socket at fd %d",
				d->pid, d->fd);
	return 0;
}

/* Same inode as unix_diag showed (its dev in the kernel's encoding)? */
static bool same_file(const struct stat *st, uint32_t ino, uint32_t dev)
{
	return st->st_ino == ino && major(st->st_dev) == dev >> 20 &&
	       minor(st->st_dev) == (dev & 0xfffff);
}

/* The socket file of a path name: still there, its mode and owner. */
static int file_dump(const struct fd_dump *d, const struct unix_diag_sk *ds, UnixSkEntry *u)
{
	UnixSkFile *f = xmalloc(sizeof(*f));
	char path[PATH_MAX_LEN + UNIX_NAME_MAX + 2], name[UNIX_NAME_MAX + 1], shown[NAME_STR_LEN];
	struct stat st;

	unix_sk_file__init(f);
	u->file = f;
	memcpy(name, ds->name, ds->name_len);
	name[ds->name_len] = 0;
	snprintf(path, sizeof(path), "%s", name);
	if (name_is_relative(ds->name, ds->name_len)) {
		char cwd[PATH_MAX_LEN], link[64];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%d/cwd", d->pid);
		n = readlink(link, cwd, sizeof(cwd) - 1);
		if (n < 0)
			return pr_errno(-errno, "cannot dump %d: cannot read its cwd", d->pid);
		cwd[n] = 0;
		f->dir = xstrdup(cwd);
		snprintf(path, sizeof(path), "%s/%s", cwd, name);
	}
	f->present = ds->has_vfs && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		     same_file(&st, ds->vfs_ino, ds->vfs_dev);
	if (f->dir && !f->present)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a unix socket bound to the relative path '%s', not found from its cwd",
			d->pid, d->fd, name_str(ds->name, ds->name_len, shown));
	f->has_ino = f->has_dev = ds->has_vfs;
	f->ino = ds->vfs_ino;
	f->dev = ds->vfs_dev;
	if (f->present) {
		f->has_mode = f->has_uid = f->has_gid = true;
		f->mode = st.st_mode & 07777;
		f->uid = st.st_uid;
		f->gid = st.st_gid;
	}
	return 0;
}

/* What unix_diag says, into the image. */
static void diag_to_entry(const struct unix_diag_sk *ds, UnixSkEntry *u)
{
	u->ino = ds->ino;
	u->type = ds->type;
	u->state = ds->state;
	if (ds->name_len) {
		u->has_name = true;
		u->name.len = ds->name_len;
		u->name.data = xmalloc(ds->name_len);
		memcpy(u->name.data, ds->name, ds->name_len);
	}
	u->has_peer = ds->has_peer;
	u->peer = ds->peer;
	u->has_shutdown = ds->shutdown != 0;
	u->shutdown = ds->shutdown;
	if (ds->state == SK_LISTEN) {
		u->has_backlog = true;
		u->backlog = ds->wqueue;
		u->n_icons = ds->nr_icons;
		u->icons = xmalloc(ds->nr_icons * sizeof(*u->icons) + 1);
		memcpy(u->icons, ds->icons, ds->nr_icons * sizeof(*u->icons));
	}
}

static int unix_sk_dump(const struct fd_dump *d, FileEntry *e)
{
	struct unix_diag_sk ds;
	UnixSkEntry *u;
	int sk, r;

	r = diag_get((uint32_t)d->st->st_ino, &ds);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot inspect the unix socket at fd %d",
				d->pid, d->fd);
	u = xmalloc(sizeof(*u));
	unix_sk_entry__init(u);
	e->unix_sk = u;
	e->has_ino = e->has_dev = e->has_mode = true;
	e->ino = d->st->st_ino;
	e->dev = d->st->st_dev;
	e->mode = d->st->st_mode;
	diag_to_entry(&ds, u);
	r = name_is_path(ds.name, ds.name_len) ? file_dump(d, &ds, u) : 0;
	sk = r < 0 ? -1 : fd_borrow(d->pid, d->fd);
	if (r >= 0 && sk < 0)
		r = pr_errno(sk, "cannot dump %d: cannot take a copy of its fd %d", d->pid, d->fd);
	if (r >= 0) {
		r = opts_dump(sk, u);
		if (r < 0)
			pr_errno(
				r,
				"cannot dump %d: cannot read the options of the unix socket at fd %d",
				d->pid, d->fd);
	}
	if (r >= 0)
		r = queue_dump(d, sk, &ds, u);
	if (sk >= 0)
		close(sk);
	unix_diag_sk_release(&ds);
	return r;
}

/* ---- dump, once every process is in: peers and holders ---- */

/* A unix socket of the tree, and where it was found. */
struct tree_sk {
	UnixSkEntry *u;
	int pid, fd;
};

struct holder {
	uint32_t ino;
	int pid; /* a process outside the tree that holds it, or 0 */
};

struct finish {
	const struct files_opts *opts;
	struct tree_sk *sks;
	size_t n;
	struct unix_diag_sk *all; /* every unix socket of the namespace */
	size_t nr_all;
	struct holder *holders;
	size_t nr_holders;
};

static bool same_name(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen && alen == blen && !memcmp(a, b, alen);
}

static int tree_find(const struct finish *f, uint32_t ino)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->sks[i].u->ino == ino)
			return (int)i;
	return -1;
}

static const struct unix_diag_sk *all_find(const struct finish *f, uint32_t ino)
{
	for (size_t i = 0; i < f->nr_all; i++)
		if (f->all[i].ino == ino)
			return &f->all[i];
	return NULL;
}

/* The listener whose queue holds the connection of client @ino. */
static const struct unix_diag_sk *listener_with_icon(const struct finish *f, uint32_t ino)
{
	for (size_t i = 0; i < f->nr_all; i++)
		for (size_t k = 0; k < f->all[i].nr_icons; k++)
			if (f->all[i].icons[k] == ino)
				return &f->all[i];
	return NULL;
}

/* A socket outside the tree bound to @name (of @type), listening if @listening. */
static const struct unix_diag_sk *outside_named(const struct finish *f, const void *name,
						size_t len, uint32_t type, bool listening)
{
	for (size_t i = 0; i < f->nr_all; i++) {
		const struct unix_diag_sk *a = &f->all[i];

		if (a->type == type && (!listening || a->state == SK_LISTEN) &&
		    same_name(a->name, a->name_len, name, len) && tree_find(f, a->ino) < 0)
			return a;
	}
	return NULL;
}

static void holder_want(struct finish *f, uint32_t ino)
{
	if (!ino)
		return;
	for (size_t i = 0; i < f->nr_holders; i++)
		if (f->holders[i].ino == ino)
			return;
	f->holders = xrealloc(f->holders, (f->nr_holders + 1) * sizeof(*f->holders));
	f->holders[f->nr_holders++] = (struct holder){ ino, 0 };
}

static int holder_of(const struct finish *f, uint32_t ino)
{
	for (size_t i = 0; i < f->nr_holders; i++)
		if (f->holders[i].ino == ino)
			return f->holders[i].pid;
	return 0;
}

static bool holder_note(int pid, const char *link, void *arg)
{
	struct finish *f = arg;
	unsigned int ino;

	if (sscanf(link, "socket:[%u]", &ino) != 1)
		return false;
	for (size_t i = 0; i < f->nr_holders; i++)
		if (f->holders[i].ino == ino && !f->holders[i].pid)
			f->holders[i].pid = pid;
	return false;
}

/* Which process outside the tree holds each socket we want to name. */
static void holders_scan(struct finish *f, const int *pids, size_t nr_pids)
{
	fds_outside_each(pids, nr_pids, holder_note, f);
}

/*
 * The socket outside the tree that @u is connected to: its peer, or the
 * listener that has not accepted its connection yet (its peer then has no
 * file: unix_diag shows 0, as for a peer that has been closed).
 */
static bool peer_outside(const struct finish *f, const UnixSkEntry *u,
			 const struct unix_diag_sk **ret)
{
	const struct unix_diag_sk *l;

	*ret = NULL;
	if (!u->has_peer)
		return false;
	if (u->peer) {
		*ret = all_find(f, u->peer);
		return tree_find(f, u->peer) < 0;
	}
	if (!stream_like(u->type))
		return false;
	l = listener_with_icon(f, u->ino);
	if (!l || tree_find(f, l->ino) >= 0)
		return false;
	*ret = l;
	return true;
}

static void holders_want_all(struct finish *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const UnixSkEntry *u = f->sks[i].u;
		const struct unix_diag_sk *p;

		holder_want(f, u->ino);
		if (peer_outside(f, u, &p))
			holder_want(f, p ? p->ino : u->peer);
		for (size_t k = 0; k < u->n_icons; k++)
			if (tree_find(f, u->icons[k]) < 0)
				holder_want(f, u->icons[k]);
	}
}

static const char *who(const struct finish *f, uint32_t ino, char *buf, size_t size)
{
	int pid = holder_of(f, ino);

	if (pid)
		snprintf(buf, size, "process %d", pid);
	else
		snprintf(buf, size, "a socket no process holds");
	return buf;
}

static int check_shared(const struct finish *f, const struct tree_sk *s)
{
	int pid = holder_of(f, s->u->ino);

	if (pid)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a unix socket shared with process %d outside the tree",
			s->pid, s->fd, pid);
	return 0;
}

static int check_icons(const struct finish *f, const struct tree_sk *s)
{
	char whom[64];

	for (size_t k = 0; k < s->u->n_icons; k++) {
		uint32_t c = s->u->icons[k];
		const struct unix_diag_sk *cd = all_find(f, c);

		if (!c)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d is a listening unix socket with a connection not accepted yet whose client has closed",
				s->pid, s->fd);
		if (tree_find(f, c) < 0)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d is a listening unix socket with a connection from %s outside the tree not accepted yet",
				s->pid, s->fd, who(f, c, whom, sizeof(whom)));
		/* What the client sent sits in the connection's own socket,
		 * which has no fd to read it through. */
		if (cd && cd->wqueue)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d is a listening unix socket with a connection not accepted yet that holds data",
				s->pid, s->fd);
	}
	return 0;
}

/*
 * --ext-unix-sk: the address to connect to again at restore. The peer of
 * a stream connection is the socket its server accepted, with the name of
 * the listener: the connection is made again through that listener.
 *
 * What the application can notice: a stream connection is a new one (the
 * server sees the old one end and a new client arrive; what either side
 * had sent and the other not read yet stays with the old one: data waiting
 * in the tree's socket is refused here); a datagram socket is connected
 * again to whatever is bound to that address at restore time, and the
 * datagrams its peer had queued for it arrive from no address.
 */
static int ext_peer_set(const struct finish *f, const struct tree_sk *s,
			const struct unix_diag_sk *p)
{
	UnixSkEntry *u = s->u;
	const struct unix_diag_sk *to = p;
	char whom[64], shown[NAME_STR_LEN];

	who(f, p ? p->ino : u->peer, whom, sizeof(whom));
	if (p && stream_like(u->type) && p->state != SK_LISTEN)
		to = outside_named(f, p->name, p->name_len, u->type, true);
	if (!to || !to->name_len)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a unix socket connected to %s outside the tree, with no address to connect to again",
			s->pid, s->fd, whom);
	if (name_is_relative(to->name, to->name_len))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a unix socket connected to %s outside the tree through the relative path '%s'",
			s->pid, s->fd, whom, name_str(to->name, to->name_len, shown));
	if (stream_like(u->type) && u->n_queue)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a unix socket connected to %s outside the tree, with data from it not read yet",
			s->pid, s->fd, whom);
	u->has_ext_peer = true;
	u->ext_peer.len = to->name_len;
	u->ext_peer.data = xmalloc(to->name_len);
	memcpy(u->ext_peer.data, to->name, to->name_len);
	return 0;
}

static int check_peer(const struct finish *f, const struct tree_sk *s)
{
	const struct unix_diag_sk *p;
	char whom[64];

	if (!peer_outside(f, s->u, &p))
		return 0;
	if (f->opts->ext_unix_sk)
		return ext_peer_set(f, s, p);
	return pr_fail(-EOPNOTSUPP,
		       "cannot dump %d: fd %d is a unix socket connected to %s outside the tree",
		       s->pid, s->fd, who(f, p ? p->ino : s->u->peer, whom, sizeof(whom)));
}

/* A queued datagram keeps its sender's address only if the sender is in
 * the tree; one from a socket that is gone arrives from no address. */
static int check_senders(const struct finish *f, const struct tree_sk *s)
{
	char shown[NAME_STR_LEN];

	for (size_t k = 0; k < s->u->n_queue; k++) {
		const UnixSkPacket *p = s->u->queue[k];
		const struct unix_diag_sk *from;
		bool in_tree = false;

		if (!p->has_sender || f->opts->ext_unix_sk)
			continue;
		for (size_t i = 0; i < f->n && !in_tree; i++)
			in_tree = f->sks[i].u->type == SOCK_DGRAM &&
				  same_name(f->sks[i].u->name.data, f->sks[i].u->name.len,
					    p->sender.data, p->sender.len);
		from = in_tree ? NULL
			       : outside_named(f, p->sender.data, p->sender.len, SOCK_DGRAM, false);
		if (from)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d is a unix socket holding a datagram from '%s', a socket outside the tree",
				s->pid, s->fd, name_str(p->sender.data, p->sender.len, shown));
	}
	return 0;
}

static void finish_collect(struct finish *f, struct file_table *ft)
{
	for (size_t i = 0; i < ft->img.n_files; i++) {
		FileEntry *e = ft->img.files[i];

		if (e->kind != FD_KIND__FD_UNIX_SK || !e->unix_sk)
			continue;
		f->sks = xrealloc(f->sks, (f->n + 1) * sizeof(*f->sks));
		f->sks[f->n++] = (struct tree_sk){ e->unix_sk, ft->seen[i].pid, ft->seen[i].fd };
	}
}

static int unix_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	struct finish f = { .opts = ft->opts };
	struct sock_diag sd;
	int r;

	finish_collect(&f, ft);
	if (!f.n)
		return 0;
	r = sock_diag_open(&sd);
	if (r >= 0) {
		r = unix_diag_dump(&sd, &f.all, &f.nr_all);
		sock_diag_close(&sd);
	}
	if (r < 0) {
		r = pr_errno(r, "cannot dump: cannot list the unix sockets");
		goto out;
	}
	holders_want_all(&f);
	holders_scan(&f, pids, nr_pids);
	for (size_t i = 0; i < f.n && r >= 0; i++) {
		r = check_shared(&f, &f.sks[i]);
		if (r >= 0)
			r = check_icons(&f, &f.sks[i]);
		if (r >= 0)
			r = check_peer(&f, &f.sks[i]);
		if (r >= 0)
			r = check_senders(&f, &f.sks[i]);
	}
out:
	unix_diag_sks_free(f.all, f.nr_all);
	free(f.holders);
	free(f.sks);
	return r;
}

/* ---- restore, in ckpt ---- */

struct usk {
	const FileEntry *e;
	const UnixSkEntry *u;
	int fd; /* ours, above the slots; -1 until made */
	int peer; /* index of its peer in the table; -1: none, gone or outside */
	int linked; /* made by socketpair() with this one, or -1 */
	int pal; /* a partner made for it (its peer had gone), closed once it is filled */
	int via; /* accepted: from this listener of the table, -1 from a temporary one */
	int pending_on; /* a connection not accepted yet by this listener, or -1 */
	bool accepted; /* made by accept() on the listener of its name */
	bool connected; /* datagram: connected to its peer */
	bool bound; /* ckpt made its socket file */
	bool sndbuf_raised; /* to hold its share of a queue being refilled */
};

/* A listener of the name of a connection accepted from one that is closed. */
struct tmp_listener {
	int fd;
	const UnixSkEntry *as; /* the name and file it stands for */
};

struct unix_open {
	struct usk *s;
	size_t n;
	int scratch;
	int anon; /* sends datagrams whose sender is not in the tree, or -1 */
	struct tmp_listener *tl;
	size_t nr_tl;
	const CredsEntry *const *creds; /* files_open's file_creds */
};

static int inconsistent(void)
{
	return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (unix sockets)");
}

static bool named(const UnixSkEntry *u)
{
	return u->has_name && u->name.len;
}

static bool names_equal(const UnixSkEntry *a, const UnixSkEntry *b)
{
	return named(a) && named(b) &&
	       same_name(a->name.data, a->name.len, b->name.data, b->name.len);
}

static bool is_path(const UnixSkEntry *u)
{
	return named(u) && name_is_path(u->name.data, u->name.len);
}

static const char *dir_of(const UnixSkEntry *u)
{
	return is_path(u) && u->file && u->file->dir ? u->file->dir : NULL;
}

/* For messages: "unix socket 'name'" or "unnamed unix socket (inode N)". */
static const char *usk_str(const UnixSkEntry *u, char *buf, size_t size)
{
	char shown[NAME_STR_LEN];

	if (named(u))
		snprintf(buf, size, "unix socket '%s'", name_str(u->name.data, u->name.len, shown));
	else
		snprintf(buf, size, "unnamed unix socket (inode %u)", u->ino);
	return buf;
}

static socklen_t sun_of(const ProtobufCBinaryData *name, struct sockaddr_un *sa)
{
	size_t len = MIN(name->len, sizeof(sa->sun_path));

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name->data, len);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

/* A relative name is bound and reached from its directory: go there for
 * a moment (ckpt is one thread while it restores). */
static int dir_enter(const char *dir, int *ret_here)
{
	*ret_here = -1;
	if (!dir)
		return 0;
	*ret_here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*ret_here < 0)
		return -errno;
	if (chdir(dir) < 0) {
		int r = -errno;

		close(*ret_here);
		*ret_here = -1;
		return r;
	}
	return 0;
}

static int dir_leave(int here, int r)
{
	if (here < 0)
		return r;
	if (fchdir(here) < 0 && r >= 0)
		r = -errno;
	close(here);
	return r;
}

enum sun_op { SUN_CONNECT, SUN_SENDTO };

/* connect() or sendto() (one whole packet) @fd to @name, from @dir. */
static int sun_do(enum sun_op op, int fd, const ProtobufCBinaryData *name, const char *dir,
		  const ProtobufCBinaryData *data)
{
	struct sockaddr_un sa;
	socklen_t len = sun_of(name, &sa);
	int here, r = dir_enter(dir, &here);
	ssize_t n;

	if (r < 0)
		return r;
	if (op == SUN_CONNECT) {
		r = connect(fd, (struct sockaddr *)&sa, len) < 0 ? -errno : 0;
	} else {
		n = sendto(fd, data->data, data->len, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (struct sockaddr *)&sa, len);
		r = n < 0 ? -errno : n == (ssize_t)data->len ? 0 : -EMSGSIZE;
	}
	return dir_leave(here, r);
}

/* Is a socket bound to the socket file @path? A datagram connect() tells,
 * without making a connection to a stream listener (EPROTOTYPE). */
static bool path_live(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return true;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	err = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
	close(fd);
	return err != ECONNREFUSED;
}

/* Can a socket be bound at @path (from the cwd)? A socket file nobody is
 * bound to (the dumped socket's, left when it was killed) is in the way
 * only until it is removed: -EAGAIN. */
static int path_state(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	return path_live(path) ? -EADDRINUSE : -EAGAIN;
}

static void path_of(const UnixSkEntry *u, char *buf)
{
	memcpy(buf, u->name.data, u->name.len);
	buf[u->name.len] = 0;
}

static int path_error(int r, const UnixSkEntry *u)
{
	char path[UNIX_NAME_MAX + 1];

	path_of(u, path);
	if (r == -EEXIST)
		return pr_fail(r, "cannot restore: '%s' exists and is not a socket", path);
	if (r == -EADDRINUSE)
		return pr_fail(r, "cannot restore: '%s' is in use by a socket outside the tree",
			       path);
	return pr_errno(r, "cannot restore: cannot bind a unix socket to '%s'", path);
}

/*
 * The mode and owner of the socket file just bound at @path (from the
 * cwd). By an fd of the file itself, never by its name again: someone who
 * can write in its directory could have put a symlink there since the
 * bind, and chmod() would follow it.
 */
static int sock_file_set(const char *path, const UnixSkFile *f)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char at[64];
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	snprintf(at, sizeof(at), "/proc/self/fd/%d", fd);
	if (chmod(at, f->mode & 07777) < 0 || fchownat(fd, "", f->uid, f->gid, AT_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* Bind @fd to the name of @u; its socket file gets the mode and owner it had. */
static int usk_bind(int fd, const UnixSkEntry *u)
{
	char path[UNIX_NAME_MAX + 1], buf[NAME_STR_LEN + 32];
	const UnixSkFile *f = u->file;
	struct sockaddr_un sa;
	socklen_t len = sun_of(&u->name, &sa);
	int here, r = dir_enter(dir_of(u), &here);

	path_of(u, path);
	if (r >= 0 && is_path(u)) {
		r = path_state(path);
		if (r == -EAGAIN)
			r = unlink(path) < 0 ? -errno : 0;
	}
	if (r >= 0 && bind(fd, (struct sockaddr *)&sa, len) < 0)
		r = -errno;
	if (r >= 0 && is_path(u) && f && f->present && f->has_mode)
		r = sock_file_set(path, f);
	r = dir_leave(here, r);
	if (r < 0 && is_path(u))
		return path_error(r, u);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot bind %s", usk_str(u, buf, sizeof(buf)));
	return 0;
}

/* Remove the socket file ckpt made for a name whose file had been removed. */
static void usk_unbind(const UnixSkEntry *u)
{
	char path[UNIX_NAME_MAX + 1];
	int here;

	if (!is_path(u) || !u->file || u->file->present || dir_enter(dir_of(u), &here) < 0)
		return;
	path_of(u, path);
	(void)unlink(path);
	(void)dir_leave(here, 0);
}

static int sk_new(const struct unix_open *uo, uint32_t type, int *ret)
{
	int fd = socket(AF_UNIX, (int)type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	*ret = fd < 0 ? -errno : fd_move_above(fd, uo->scratch);
	if (*ret < 0) {
		int r = *ret;

		*ret = -1;
		return pr_errno(r, "cannot restore: cannot create a unix socket");
	}
	return 0;
}

static int sk_pair(const struct unix_open *uo, uint32_t type, int *a, int *b)
{
	int fds[2];

	if (socketpair(AF_UNIX, (int)type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0)
		return pr_errno(-errno, "cannot restore: cannot create a unix socketpair");
	*a = fd_move_above(fds[0], uo->scratch);
	*b = fd_move_above(fds[1], uo->scratch);
	if (*a < 0 || *b < 0) {
		int r = *a < 0 ? *a : *b;

		*a = *a < 0 ? -1 : *a;
		*b = *b < 0 ? -1 : *b;
		return pr_errno(r, "cannot restore: cannot create a unix socketpair");
	}
	return 0;
}

static int usk_find(const struct unix_open *uo, uint32_t ino)
{
	for (size_t i = 0; i < uo->n; i++)
		if (uo->s[i].u->ino == ino)
			return (int)i;
	return -1;
}

/* Pending connections: each client waits on one listener of its type. */
static int usk_link_icons(struct unix_open *uo, size_t l)
{
	const UnixSkEntry *u = uo->s[l].u;

	for (size_t k = 0; k < u->n_icons; k++) {
		int c = usk_find(uo, u->icons[k]);

		if (c < 0 || uo->s[c].u->type != u->type || uo->s[c].pending_on >= 0 ||
		    uo->s[c].u->state != SK_ESTABLISHED)
			return inconsistent();
		uo->s[c].pending_on = (int)l;
	}
	return 0;
}

static int usk_table(struct unix_open *uo, const FilesEntry *fe)
{
	uo->s = xzalloc((fe->n_files + 1) * sizeof(*uo->s));
	for (size_t i = 0; i < fe->n_files; i++) {
		const FileEntry *e = fe->files[i];

		if (e->kind != FD_KIND__FD_UNIX_SK)
			continue;
		uo->s[uo->n++] = (struct usk){ .e = e,
					       .u = e->unix_sk,
					       .fd = -1,
					       .peer = -1,
					       .linked = -1,
					       .pal = -1,
					       .via = -1,
					       .pending_on = -1 };
	}
	for (size_t i = 0; i < uo->n; i++) {
		struct usk *s = &uo->s[i];
		const UnixSkEntry *u = s->u;
		int r = u->state == SK_LISTEN ? usk_link_icons(uo, i) : 0;

		if (r < 0)
			return r;
		if (!u->has_peer || !u->peer || u->has_ext_peer)
			continue;
		s->peer = usk_find(uo, u->peer);
		/* Connections go both ways; a datagram socket may be
		 * connected to one that is connected elsewhere. */
		if (s->peer < 0 || uo->s[s->peer].u->type != u->type ||
		    (stream_like(u->type) && uo->s[s->peer].u->peer != u->ino))
			return inconsistent();
	}
	return 0;
}

/* The listener of the table bound to @u's name, or -1. */
static int listener_of(const struct unix_open *uo, const UnixSkEntry *u)
{
	for (size_t i = 0; i < uo->n; i++) {
		const UnixSkEntry *l = uo->s[i].u;

		if (l != u && l->state == SK_LISTEN && l->type == u->type && names_equal(l, u))
			return (int)i;
	}
	return -1;
}

/*
 * Which end of connection @a - @b (-1: its peer is gone) accept() makes:
 * one with a name got it from the listener it was accepted from (unless
 * it bound it itself, which looks the same, and is made the same way), if
 * that listener is in the tree, or else from a temporary one. Neither
 * named: a socketpair. -1 for a socketpair.
 */
static int pick_acceptor(const struct unix_open *uo, int a, int b)
{
	const UnixSkEntry *ua = uo->s[a].u, *ub = b >= 0 ? uo->s[b].u : NULL;

	if (named(ua) && listener_of(uo, ua) >= 0)
		return a;
	if (ub && named(ub) && listener_of(uo, ub) >= 0)
		return b;
	if (named(ua))
		return a;
	if (ub && named(ub))
		return b;
	return -1;
}

static int make_conn(struct unix_open *uo, int a)
{
	struct usk *sa = &uo->s[a];
	int b = sa->peer, acc;

	if (b >= 0 && (uo->s[b].fd >= 0 || uo->s[b].accepted))
		return 0; /* decided from its other end */
	acc = pick_acceptor(uo, a, b);
	if (acc >= 0) {
		uo->s[acc].accepted = true;
		uo->s[acc].via = listener_of(uo, uo->s[acc].u);
		return 0;
	}
	if (b < 0)
		return sk_pair(uo, sa->u->type, &sa->fd, &sa->pal);
	sa->linked = b;
	uo->s[b].linked = a;
	return sk_pair(uo, sa->u->type, &sa->fd, &uo->s[b].fd);
}

/* A datagram socket connected to an unnamed one: they were a socketpair. */
static int make_dgram_pair(struct unix_open *uo, int a)
{
	struct usk *sa = &uo->s[a], *sp = &uo->s[sa->peer];

	if (sp->fd >= 0)
		return inconsistent();
	sa->linked = sa->peer;
	sp->linked = a;
	sa->connected = true;
	sp->connected = sp->peer == a;
	return sk_pair(uo, sa->u->type, &sa->fd, &sp->fd);
}

/* An unnamed datagram socket whose peer is gone: what waits in its queue
 * came from that peer, and comes again from a partner closed after. */
static int make_dgram_orphan(struct unix_open *uo, struct usk *s)
{
	s->connected = true;
	return sk_pair(uo, s->u->type, &s->fd, &s->pal);
}

static int make_pairs(struct unix_open *uo)
{
	int r = 0;

	for (size_t i = 0; i < uo->n && r >= 0; i++) {
		struct usk *s = &uo->s[i];
		const UnixSkEntry *u = s->u;

		if (s->fd >= 0 || s->accepted || u->has_ext_peer)
			continue;
		if (stream_like(u->type) && u->state == SK_ESTABLISHED && s->pending_on < 0)
			r = make_conn(uo, (int)i);
		else if (u->type == SOCK_DGRAM && s->peer >= 0 && !named(uo->s[s->peer].u))
			r = make_dgram_pair(uo, (int)i);
		else if (u->type == SOCK_DGRAM && u->has_peer && !u->peer && !named(u))
			r = make_dgram_orphan(uo, s);
	}
	return r;
}

/* Everything else is a socket of its own (an accepted one comes later). */
static int make_rest(struct unix_open *uo)
{
	int r = 0;

	for (size_t i = 0; i < uo->n && r >= 0; i++)
		if (uo->s[i].fd < 0 && !uo->s[i].accepted)
			r = sk_new(uo, uo->s[i].u->type, &uo->s[i].fd);
	return r;
}

static int bind_all(struct unix_open *uo)
{
	for (size_t i = 0; i < uo->n; i++) {
		struct usk *s = &uo->s[i];
		int r;

		if (s->accepted || !named(s->u))
			continue;
		r = usk_bind(s->fd, s->u);
		if (r < 0)
			return r;
		s->bound = true;
	}
	return 0;
}

static int listen_all(struct unix_open *uo)
{
	char buf[NAME_STR_LEN + 32];

	for (size_t i = 0; i < uo->n; i++) {
		const struct usk *s = &uo->s[i];

		if (s->u->state == SK_LISTEN && listen(s->fd, (int)s->u->backlog) < 0)
			return pr_errno(-errno, "cannot restore: cannot listen on %s",
					usk_str(s->u, buf, sizeof(buf)));
	}
	return 0;
}

/* A listener of @u's name for connections accepted from one that is gone. */
static int tmp_listener(struct unix_open *uo, const UnixSkEntry *u, int *ret)
{
	struct tmp_listener *t;
	int r;

	for (size_t i = 0; i < uo->nr_tl; i++)
		if (uo->tl[i].as->type == u->type && names_equal(uo->tl[i].as, u)) {
			*ret = uo->tl[i].fd;
			return 0;
		}
	uo->tl = xrealloc(uo->tl, (uo->nr_tl + 1) * sizeof(*uo->tl));
	t = &uo->tl[uo->nr_tl++];
	t->as = u;
	r = sk_new(uo, u->type, &t->fd);
	if (r < 0)
		return r;
	r = usk_bind(t->fd, u);
	if (r < 0) {
		close(t->fd);
		t->fd = -1;
		return r;
	}
	if (listen(t->fd, 1) < 0)
		return pr_errno(-errno, "cannot restore: cannot listen on a unix socket");
	*ret = t->fd;
	return 0;
}

/* Connect the peer (or a partner made for it) to the listener of its
 * name, then accept: the listener's queue is empty, so that is the one. */
static int accept_one(struct unix_open *uo, struct usk *s)
{
	const UnixSkEntry *by = s->via >= 0 ? uo->s[s->via].u : s->u;
	char buf[NAME_STR_LEN + 32];
	int lfd = s->via >= 0 ? uo->s[s->via].fd : -1, cfd, fd, r = 0;

	if (s->via < 0)
		r = tmp_listener(uo, s->u, &lfd);
	if (r >= 0 && s->peer < 0)
		r = sk_new(uo, s->u->type, &s->pal);
	if (r < 0)
		return r;
	cfd = s->peer >= 0 ? uo->s[s->peer].fd : s->pal;
	r = sun_do(SUN_CONNECT, cfd, &by->name, dir_of(by), NULL);
	fd = r < 0 ? r : accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return pr_errno(r < 0 ? r : -errno, "cannot restore: cannot connect to %s",
				usk_str(by, buf, sizeof(buf)));
	s->fd = fd_move_above(fd, uo->scratch);
	if (s->fd < 0)
		return pr_errno(s->fd, "cannot restore: cannot accept a unix connection");
	return 0;
}

static int accept_all(struct unix_open *uo)
{
	for (size_t i = 0; i < uo->n; i++) {
		int r = uo->s[i].accepted ? accept_one(uo, &uo->s[i]) : 0;

		if (r < 0)
			return r;
	}
	return 0;
}

/* The connections not accepted yet, each listener's oldest first. */
static int pending_all(struct unix_open *uo)
{
	char buf[NAME_STR_LEN + 32];

	for (size_t l = 0; l < uo->n; l++) {
		const UnixSkEntry *lu = uo->s[l].u;

		for (size_t k = 0; k < lu->n_icons; k++) {
			int c = usk_find(uo, lu->icons[k]);
			int r = sun_do(SUN_CONNECT, uo->s[c].fd, &lu->name, dir_of(lu), NULL);

			if (r < 0)
				return pr_errno(r, "cannot restore: cannot connect to %s",
						usk_str(lu, buf, sizeof(buf)));
		}
	}
	return 0;
}

/*
 * A datagram socket of a socketpair that had left its partner: leave now,
 * while its queue is empty (connect() empties the queue of a socket that
 * leaves its peer); its partner can still send to it, as before the dump.
 */
static int unlink_dgram_pairs(struct unix_open *uo)
{
	struct sockaddr none = { .sa_family = AF_UNSPEC };

	for (size_t i = 0; i < uo->n; i++) {
		struct usk *s = &uo->s[i];

		if (s->u->type != SOCK_DGRAM || s->linked < 0 || s->connected)
			continue;
		if (connect(s->fd, &none, sizeof(none)) < 0)
			return pr_errno(-errno, "cannot restore: cannot disconnect a unix socket");
	}
	return 0;
}

/* Room for @len more bytes in the send buffer of @fd (past wmem_max:
 * SO_SNDBUFFORCE, CAP_NET_ADMIN). The kernel doubles what it is given. */
static void sndbuf_grow(int fd, size_t len)
{
	int cur = 0, want;
	socklen_t sl = sizeof(cur);

	(void)getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl);
	want = (int)MIN((size_t)cur + len + 65536, (size_t)INT32_MAX / 4);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

/* Send @d from @fd, to @to (NULL: its peer): a stream in as many writes
 * as it takes, anything else as one packet. */
static int put(int fd, const ProtobufCBinaryData *d, bool stream, const UnixSkEntry *to,
	       bool *raised)
{
	size_t done = 0;

	for (int grown = 0;;) {
		ProtobufCBinaryData rest = { d->len - done, d->data + done };
		ssize_t n;
		int r = 0;

		if (to) {
			r = sun_do(SUN_SENDTO, fd, &to->name, dir_of(to), &rest);
			n = r < 0 ? r : (ssize_t)rest.len;
		} else {
			n = send(fd, rest.data, rest.len, MSG_DONTWAIT | MSG_NOSIGNAL);
			n = n < 0 ? -errno : n;
		}
		if (n == -EAGAIN && grown++ < 8) {
			sndbuf_grow(fd, rest.len);
			*raised = true;
			continue;
		}
		if (n < 0)
			return (int)n;
		done += (size_t)n;
		if (done == d->len)
			return 0;
		if (!stream)
			return -EMSGSIZE;
	}
}

/* Stream and seqpacket: what waited came from the peer. */
static int fill_stream(struct unix_open *uo, struct usk *s)
{
	struct usk *from = s->peer >= 0 ? &uo->s[s->peer] : NULL;
	int fd = from ? from->fd : s->pal;
	bool raised = false;
	int r = 0;

	if (fd < 0)
		return inconsistent();
	for (size_t k = 0; k < s->u->n_queue && r >= 0; k++)
		r = put(fd, &s->u->queue[k]->data, s->u->type == SOCK_STREAM, NULL, &raised);
	if (from)
		from->sndbuf_raised |= raised;
	return r;
}

/* Who sends datagram @p to @s again: the socket of the tree that sent it
 * (by its address, or the unnamed partner of a socketpair), or -1 for
 * one that sends from no address. */
static int dgram_sender(const struct unix_open *uo, const struct usk *s, const UnixSkPacket *p)
{
	if (p->has_sender && p->sender.len) {
		UnixSkEntry as = UNIX_SK_ENTRY__INIT;

		as.has_name = true;
		as.name = p->sender;
		if (s->peer >= 0 && names_equal(uo->s[s->peer].u, &as))
			return s->peer;
		for (size_t j = 0; j < uo->n; j++)
			if (uo->s[j].u->type == SOCK_DGRAM && names_equal(uo->s[j].u, &as))
				return (int)j;
		return -1;
	}
	if (s->linked >= 0 && !named(uo->s[s->linked].u))
		return s->linked;
	return -1;
}

static int dgram_connect_peer(struct unix_open *uo, struct usk *s)
{
	const UnixSkEntry *p = uo->s[s->peer].u;
	char buf[NAME_STR_LEN + 32];
	int r;

	if (!named(p))
		return inconsistent();
	r = sun_do(SUN_CONNECT, s->fd, &p->name, dir_of(p), NULL);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot connect to %s",
				usk_str(p, buf, sizeof(buf)));
	s->connected = true;
	return 0;
}

/*
 * Datagrams, each from its sender. A connected socket takes datagrams
 * from its peer only, and only a datagram from elsewhere that came before
 * it connected can be in its queue: it is connected to its peer just
 * before the first datagram from the peer.
 */
static int fill_dgram(struct unix_open *uo, struct usk *s)
{
	int self = (int)(s - uo->s);

	for (size_t k = 0; k < s->u->n_queue; k++) {
		const UnixSkPacket *p = s->u->queue[k];
		int from = dgram_sender(uo, s, p), fd = -1, r = 0;
		bool raised = false;

		if (from >= 0 && from == s->peer && !s->connected)
			r = dgram_connect_peer(uo, s);
		if (from >= 0)
			fd = uo->s[from].fd;
		else if (!named(s->u))
			fd = s->pal; /* the partner made for it: its peer is gone */
		else if (uo->anon < 0 && r >= 0)
			r = sk_new(uo, SOCK_DGRAM, &uo->anon);
		if (r < 0)
			return r;
		fd = fd >= 0 ? fd : uo->anon;
		/* An unnamed socket can only be reached by its partner. */
		if (!named(s->u) && (from >= 0 ? uo->s[from].linked != self : fd < 0))
			return inconsistent();
		r = put(fd, &p->data, false, named(s->u) ? s->u : NULL, &raised);
		if (r < 0)
			return r;
		if (from >= 0)
			uo->s[from].sndbuf_raised |= raised;
	}
	return 0;
}

static int fill_all(struct unix_open *uo)
{
	char buf[NAME_STR_LEN + 32];

	for (size_t i = 0; i < uo->n; i++) {
		struct usk *s = &uo->s[i];
		int r;

		if (!s->u->n_queue)
			continue;
		r = stream_like(s->u->type) ? fill_stream(uo, s) : fill_dgram(uo, s);
		if (r == -EBADMSG)
			return r;
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot refill the queue of %s",
					usk_str(s->u, buf, sizeof(buf)));
	}
	return 0;
}

/* A datagram socket whose peer had been closed: connected to one that is
 * closed once it is (an autobound one: the name is all connect needs). */
static int dgram_connect_gone(struct unix_open *uo, struct usk *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa_family_t);
	int r = sk_new(uo, SOCK_DGRAM, &s->pal);

	if (r < 0)
		return r;
	if (bind(s->pal, (struct sockaddr *)&sa, len) < 0 ||
	    getsockname(s->pal, (struct sockaddr *)&sa, &(socklen_t){ sizeof(sa) }) < 0 ||
	    connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return pr_errno(-errno, "cannot restore: cannot connect a unix socket");
	return 0;
}

/*
 * A server outside the tree learns who connects from the connecting task
 * (SO_PEERCRED, SO_PEERGROUPS, SCM_CREDENTIALS): from ckpt it would see
 * root, and grant a user's process what it grants root. A child of ours
 * with the uid, gid and groups of the process (@c) connects instead (the
 * socket is the same). Our sockets are non-blocking (sk_new): a listener
 * whose backlog its owner keeps full fails the connect, never holds it.
 */
static int connect_ext_as(const CredsEntry *c, int fd, const ProtobufCBinaryData *name)
{
	int status;
	pid_t pid;

	if (!c)
		return sun_do(SUN_CONNECT, fd, name, NULL, NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setgroups(c->n_groups, c->groups) < 0 ||
		    setresgid(c->egid, c->egid, c->egid) < 0 ||
		    setresuid(c->euid, c->euid, c->euid) < 0)
			_exit(errno);
		_exit(-sun_do(SUN_CONNECT, fd, name, NULL, NULL));
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? -WEXITSTATUS(status) : -ECHILD;
}

static int connect_ext(const struct unix_open *uo, struct usk *s)
{
	char buf[NAME_STR_LEN + 32], shown[NAME_STR_LEN];
	int r = connect_ext_as(uo->creds ? uo->creds[s->e->id] : NULL, s->fd, &s->u->ext_peer);

	if (r < 0)
		return pr_errno(r,
				"cannot restore: cannot connect %s again to '%s' outside the tree",
				usk_str(s->u, buf, sizeof(buf)),
				name_str(s->u->ext_peer.data, s->u->ext_peer.len, shown));
	return 0;
}

static int connect_all(struct unix_open *uo)
{
	int r = 0;

	for (size_t i = 0; i < uo->n && r >= 0; i++) {
		struct usk *s = &uo->s[i];
		const UnixSkEntry *u = s->u;

		if (u->has_ext_peer)
			r = connect_ext(uo, s);
		else if (u->type != SOCK_DGRAM || s->connected || !u->has_peer)
			continue;
		else if (s->peer >= 0)
			r = dgram_connect_peer(uo, s);
		else
			r = dgram_connect_gone(uo, s);
	}
	return r;
}

/* The partners of sockets whose peer had been closed go now: the kernel
 * shuts a stream socket down both ways when its peer is closed. */
static void close_pals(struct unix_open *uo)
{
	for (size_t i = 0; i < uo->n; i++) {
		if (uo->s[i].pal >= 0)
			close(uo->s[i].pal);
		uo->s[i].pal = -1;
	}
}

/* After the queues are refilled (a shut-down socket takes nothing). A
 * connected stream socket shuts its peer down the other way as well, as
 * the kernel did at the dump. */
static int shutdown_all(struct unix_open *uo)
{
	char buf[NAME_STR_LEN + 32];

	for (size_t i = 0; i < uo->n; i++) {
		const struct usk *s = &uo->s[i];
		int how = (int)(s->u->shutdown & (RCV_SHUTDOWN | SEND_SHUTDOWN)) - 1;

		if (how >= 0 && shutdown(s->fd, how) < 0)
			return pr_errno(-errno, "cannot restore: cannot shut %s down",
					usk_str(s->u, buf, sizeof(buf)));
	}
	return 0;
}

static int opt_set(int fd, int name, int val)
{
	return setsockopt(fd, SOL_SOCKET, name, &val, sizeof(val)) < 0 ? -errno : 0;
}

static int opt_set_time(int fd, int name, uint64_t us)
{
	struct timeval tv = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };

	return setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(tv)) < 0 ? -errno : 0;
}

/* A buffer size as getsockopt showed it (the kernel doubles what it is
 * given); past wmem_max/rmem_max with CAP_NET_ADMIN. */
static int buf_set(int fd, int force, int plain, uint32_t shown)
{
	int r = opt_set(fd, force, (int)(shown / 2));

	return r == -EPERM ? opt_set(fd, plain, (int)(shown / 2)) : r;
}

static uint32_t default_sndbuf(uint32_t type)
{
	int fd = socket(AF_UNIX, (int)type | SOCK_CLOEXEC, 0), val = 0;

	if (fd >= 0) {
		(void)opt_int(fd, SO_SNDBUF, &val);
		close(fd);
	}
	return (uint32_t)val;
}

static int opts_restore(const struct usk *s)
{
	const UnixSkEntry *u = s->u;
	int r = 0;

	if (u->has_sndbuf || s->sndbuf_raised)
		r = buf_set(s->fd, SO_SNDBUFFORCE, SO_SNDBUF,
			    u->has_sndbuf ? u->sndbuf : default_sndbuf(u->type));
	if (r >= 0 && u->has_rcvbuf)
		r = buf_set(s->fd, SO_RCVBUFFORCE, SO_RCVBUF, u->rcvbuf);
	if (r >= 0 && u->has_passcred)
		r = opt_set(s->fd, SO_PASSCRED, u->passcred);
	if (r >= 0 && u->has_passsec)
		r = opt_set(s->fd, SO_PASSSEC, u->passsec);
	if (r >= 0 && u->has_passpidfd)
		r = opt_set(s->fd, SO_PASSPIDFD, u->passpidfd);
	if (r >= 0 && u->has_rcvlowat)
		r = opt_set(s->fd, SO_RCVLOWAT, (int)u->rcvlowat);
	if (r >= 0 && u->has_sndtimeo_us)
		r = opt_set_time(s->fd, SO_SNDTIMEO, u->sndtimeo_us);
	if (r >= 0 && u->has_rcvtimeo_us)
		r = opt_set_time(s->fd, SO_RCVTIMEO, u->rcvtimeo_us);
	if (r >= 0 && u->has_peek_off)
		r = opt_set(s->fd, SO_PEEK_OFF, u->peek_off);
	return r;
}

static int opts_all(struct unix_open *uo)
{
	char buf[NAME_STR_LEN + 32];

	for (size_t i = 0; i < uo->n; i++) {
		int r = opts_restore(&uo->s[i]);

		if (r < 0)
			return pr_errno(r, "cannot restore: cannot set the options of %s",
					usk_str(uo->s[i].u, buf, sizeof(buf)));
	}
	return 0;
}

static int unix_sk_build(struct files_open *fo, struct unix_open *uo)
{
	int r = usk_table(uo, fo->fe);

	if (r >= 0)
		r = make_pairs(uo);
	if (r >= 0)
		r = make_rest(uo);
	if (r >= 0)
		r = bind_all(uo);
	if (r >= 0)
		r = listen_all(uo);
	if (r >= 0)
		r = accept_all(uo);
	if (r >= 0)
		r = pending_all(uo);
	if (r >= 0)
		r = unlink_dgram_pairs(uo);
	if (r >= 0)
		r = fill_all(uo);
	if (r >= 0)
		r = connect_all(uo);
	if (r >= 0)
		close_pals(uo);
	if (r >= 0)
		r = shutdown_all(uo);
	if (r >= 0)
		r = opts_all(uo);
	return r;
}

/* Socket files are bound, reached, made and removed by path: for a set
 * that is not trusted, all of it with the owner's access (trust.h). */
static int unix_sk_prepare(struct files_open *fo)
{
	struct unix_open *uo = xzalloc(sizeof(*uo));
	struct trust_saved saved;
	int r;

	uo->scratch = fo->scratch;
	uo->anon = -1;
	uo->creds = fo->file_creds;
	fo->state[FD_KIND__FD_UNIX_SK] = uo;
	r = trust_enter(fo->trust, &saved);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot take the image owner's file access");
	r = unix_sk_build(fo, uo);
	trust_leave(&saved);
	return r;
}

static void unix_sk_finish(struct files_open *fo)
{
	struct unix_open *uo = fo->state[FD_KIND__FD_UNIX_SK];
	struct trust_saved saved;
	bool as_owner;

	if (!uo)
		return;
	as_owner = trust_enter(fo->trust, &saved) >= 0;
	for (size_t i = 0; i < uo->n; i++) {
		if (uo->s[i].fd >= 0)
			close(uo->s[i].fd);
		if (uo->s[i].pal >= 0)
			close(uo->s[i].pal);
		if (uo->s[i].bound && as_owner)
			usk_unbind(uo->s[i].u);
	}
	for (size_t i = 0; i < uo->nr_tl; i++) {
		if (uo->tl[i].fd >= 0)
			close(uo->tl[i].fd);
		if (as_owner)
			usk_unbind(uo->tl[i].as);
	}
	trust_leave(&saved);
	if (uo->anon >= 0)
		close(uo->anon);
	free(uo->tl);
	free(uo->s);
	free(uo);
	fo->state[FD_KIND__FD_UNIX_SK] = NULL;
}

static int unix_sk_open(struct files_open *fo, const FileEntry *e)
{
	const struct unix_open *uo = fo->state[FD_KIND__FD_UNIX_SK];
	char buf[NAME_STR_LEN + 32];

	for (size_t i = 0; i < uo->n; i++) {
		int fd;

		if (uo->s[i].e != e)
			continue;
		fd = fcntl(uo->s[i].fd, F_DUPFD_CLOEXEC, 0);
		if (fd >= 0 && fcntl(fd, F_SETFL, e->flags) < 0) {
			close(fd);
			fd = -1;
		}
		if (fd < 0)
			return pr_errno(-errno, "cannot restore: cannot open %s",
					usk_str(e->unix_sk, buf, sizeof(buf)));
		return fd;
	}
	return inconsistent();
}

/* Before anything is made: the images make sense, and each name is free
 * (a socket file left by the dumped socket is, once removed). */
static int unix_sk_check(const FileEntry *e, const struct files_open *fo)
{
	const UnixSkEntry *u = e->unix_sk;
	char path[UNIX_NAME_MAX + 1];
	struct trust_saved saved;
	int here, r;

	if (!u || (u->type != SOCK_STREAM && u->type != SOCK_DGRAM && u->type != SOCK_SEQPACKET) ||
	    (u->has_name && u->name.len > UNIX_NAME_MAX) ||
	    (u->has_ext_peer && (!u->ext_peer.len || u->ext_peer.len > UNIX_NAME_MAX)))
		return inconsistent();
	for (size_t k = 0; k < u->n_queue; k++)
		if (u->queue[k]->has_sender && u->queue[k]->sender.len > UNIX_NAME_MAX)
			return inconsistent();
	if (!is_path(u))
		return 0;
	if (dir_of(u) && trust_check_path("unix socket directory", dir_of(u)) < 0)
		return -EINVAL;
	path_of(u, path);
	r = trust_enter(fo->trust, &saved);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot take the image owner's file access");
	r = dir_enter(dir_of(u), &here);
	if (r >= 0)
		r = path_state(path);
	r = dir_leave(here, r);
	trust_leave(&saved);
	/* The tree being dumped is bound there itself. */
	if (r == -EADDRINUSE && fo->tree_alive)
		r = 0;
	return r < 0 && r != -EAGAIN ? path_error(r, u) : 0;
}

/* In the process itself: listen() again, so that the clients it accepts
 * from now on see its pid as SO_PEERCRED (the kernel takes it from the
 * process calling listen()), not ckpt's. */
static int unix_sk_restore_fd(const struct fd_restore *r)
{
	const UnixSkEntry *u = r->e->unix_sk;

	if (!r->owner || u->state != SK_LISTEN)
		return 0;
	if (listen(r->fd, (int)u->backlog) < 0)
		return pr_errno(-errno, "cannot restore fd %d: cannot listen on it", r->fd);
	return 0;
}

const struct file_kind unix_sk_kind = {
	.kind = FD_KIND__FD_UNIX_SK,
	.name = "unix socket",
	.claims = unix_sk_claims,
	.dump = unix_sk_dump,
	.dump_finish = unix_dump_finish,
	.check = unix_sk_check,
	.prepare = unix_sk_prepare,
	.finish = unix_sk_finish,
	.open = unix_sk_open,
	.restore_fd = unix_sk_restore_fd,
};
