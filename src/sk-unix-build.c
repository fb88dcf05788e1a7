// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets at restore, in ckpt (sk-unix.c): every socket of the
 * images made in the order that gives each the state it had (socketpairs,
 * bind, listen, accept, pending connections, queues, connects, shutdown,
 * options).
 */
#include "sk-unix.h"

#include "util.h"

#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int sk_new(const struct unix_open *uo, uint32_t type, int *ret)
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

int connect_one(struct unix_open *uo, struct usk *s)
{
	const UnixSkEntry *u = s->u;

	if (u->has_ext_peer)
		return connect_ext(uo, s);
	if (u->type != SOCK_DGRAM || s->connected || !u->has_peer)
		return 0;
	return s->peer >= 0 ? dgram_connect_peer(uo, s) : dgram_connect_gone(uo, s);
}

static int connect_all(struct unix_open *uo)
{
	int r = 0;

	for (size_t i = 0; i < uo->n && r >= 0; i++)
		if (!uo->s[i].deferred)
			r = connect_one(uo, &uo->s[i]);
	return r;
}

/* The partners of sockets whose peer had been closed go now: the kernel
 * shuts a stream socket down both ways when its peer is closed. */
static void close_pals(struct unix_open *uo)
{
	for (size_t i = 0; i < uo->n; i++) {
		if (uo->s[i].deferred)
			continue;
		if (uo->s[i].pal >= 0)
			close(uo->s[i].pal);
		uo->s[i].pal = -1;
	}
}

/* After the queues are refilled (a shut-down socket takes nothing). A
 * connected stream socket shuts its peer down the other way as well, as
 * the kernel did at the dump. */
int shutdown_some(struct unix_open *uo, bool late)
{
	char buf[NAME_STR_LEN + 32];

	for (size_t i = 0; i < uo->n; i++) {
		const struct usk *s = &uo->s[i];
		int how = (int)(s->u->shutdown & (RCV_SHUTDOWN | SEND_SHUTDOWN)) - 1;

		if (s->late_shut == late && how >= 0 && shutdown(s->fd, how) < 0)
			return pr_errno(-errno, "cannot restore: cannot shut %s down",
					usk_str(s->u, buf, sizeof(buf)));
	}
	return 0;
}

int unix_sk_build(struct files_open *fo, struct unix_open *uo)
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
	if (r >= 0) {
		late_mark(uo);
		r = fill_all(uo);
	}
	if (r >= 0)
		r = connect_all(uo);
	if (r >= 0)
		close_pals(uo);
	if (r >= 0)
		r = shutdown_some(uo, false);
	if (r >= 0)
		r = opts_all(uo);
	return r;
}
