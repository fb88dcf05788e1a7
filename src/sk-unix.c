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
 * the senders' addresses are kept. A peek gives ckpt copies of the
 * descriptors in flight (SCM_RIGHTS) and, to a reader with SO_PASSCRED,
 * the sender's credentials: both are kept with the message (a stream is
 * cut where a read would stop: after the buffer that carries
 * descriptors, where the credentials change). Once every process is in,
 * dump_more finds each descriptor in flight among the files of the table
 * (kcmp) or adds it there, dumped from ckpt's copy; dump_finish makes a
 * socket connected to a process outside the tree an outside end
 * (fd-outside.c; or, with --ext-unix-sk and off fd 0-2, checks that it can
 * be connected again to its peer's address) and checks that no other is
 * shared with a process outside the tree.
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
 * A queue with descriptors or credentials waits (and its socket is not
 * connected or shut down yet, nor those that send to it) until the tree
 * is rebuilt (restore_last): its files are open then, its senders'
 * pids exist; it is refilled by sendmsg with SCM_RIGHTS of ckpt's copies
 * of those files and SCM_CREDENTIALS of the sender (root may name any
 * process and ids; a set root does not trust names its owner's only).
 *
 * What a restored application can tell (the kernel has no way to set it):
 * SO_PEERCRED of a socketpair or of a connection made at restore names
 * ckpt (a listener is listen()ed again by its own process, so connections
 * made after the restore see its pid); SO_ERROR pending on a socket is
 * lost; queued messages read with SO_PASSCRED carry ckpt's pid when
 * their sender is not a process of the tree, and a stream queued while
 * the reader had no SO_PASSCRED gets ckpt's credentials; a
 * queued datagram whose sender is gone (or outside the tree, with
 * --ext-unix-sk) arrives from no address; a connected socket that bound a
 * name itself looks to unix_diag like one accepted from a listener of that
 * name, and comes back as one (an abstract name is then free for others);
 * empty records at the end of a seqpacket queue shut down for reading are
 * lost. Refused, with a message: a descriptor in flight (SCM_RIGHTS) that
 * no process of the tree has open, unless it is a regular file, a pipe,
 * a FIFO, an eventfd or a unix socket (restored whole in ckpt), or in
 * flight in sockets in flight more than INFLIGHT_DEPTH deep; an
 * out-of-band byte, a connection not accepted yet that holds data or whose
 * client is closed or outside the tree, a socket shared with a process
 * outside the tree (unless it is an outside end).
 */
#include "sk-unix.h"

#include "dump-guard.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PID_MAX_LIMIT 4194304 /* the kernel's largest pid_max */

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif

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

int opt_int(int sk, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	*ret = 0;
	if (getsockopt(sk, SOL_SOCKET, name, ret, &len) < 0)
		/* an option this kernel does not have is off */
		return errno == ENOPROTOOPT ? 0 : -errno;
	return 0;
}

/*
 * The options of the one table (sk-common.h) that sk-unix.c saves, its
 * SKO_UNIX rows, each in a field of the entry (@has, @val: offsets in
 * UnixSkEntry): as getsockopt shows them, a timeout in microseconds.
 */
enum ufield_type { UF_U32, UF_I32, UF_BOOL, UF_USEC };

static const struct ufield {
	int name;
	size_t has, val;
	enum ufield_type type;
} ufields[] = {
#define UF(opt, field, type)                                                                \
	{                                                                                   \
		opt, offsetof(UnixSkEntry, has_##field), offsetof(UnixSkEntry, field), type \
	}
	UF(SO_SNDBUF, sndbuf, UF_U32),
	UF(SO_RCVBUF, rcvbuf, UF_U32),
	UF(SO_PASSCRED, passcred, UF_BOOL),
	UF(SO_PASSSEC, passsec, UF_BOOL),
	UF(SO_PASSPIDFD, passpidfd, UF_BOOL),
	UF(SO_RCVLOWAT, rcvlowat, UF_U32),
	UF(SO_SNDTIMEO_OLD, sndtimeo_us, UF_USEC),
	UF(SO_RCVTIMEO_OLD, rcvtimeo_us, UF_USEC),
	UF(SO_PEEK_OFF, peek_off, UF_I32),
#undef UF
};

/* A value as getsockopt gives it @v (@len bytes) into field @f of @u. */
static void ufield_store(const struct ufield *f, const uint8_t *v, socklen_t len, UnixSkEntry *u)
{
	char *base = (char *)u;
	struct timeval tv;
	int i = 0;

	*(protobuf_c_boolean *)(base + f->has) = true;
	if (f->type == UF_USEC) {
		memset(&tv, 0, sizeof(tv));
		memcpy(&tv, v, MIN((size_t)len, sizeof(tv)));
		*(uint64_t *)(base + f->val) = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
		return;
	}
	memcpy(&i, v, MIN((size_t)len, sizeof(i)));
	if (f->type == UF_BOOL)
		*(protobuf_c_boolean *)(base + f->val) = i != 0;
	else if (f->type == UF_I32)
		*(int32_t *)(base + f->val) = i;
	else
		*(uint32_t *)(base + f->val) = (uint32_t)i;
}

/* Field @f of @u as getsockopt would give it, into @v; its length. */
static socklen_t ufield_load(const struct ufield *f, const UnixSkEntry *u, uint8_t *v)
{
	const char *base = (const char *)u;

	if (f->type == UF_USEC) {
		uint64_t us = *(const uint64_t *)(base + f->val);
		struct timeval tv = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };

		memcpy(v, &tv, sizeof(tv));
		return sizeof(tv);
	}
	if (f->type == UF_BOOL) {
		int i = *(const protobuf_c_boolean *)(base + f->val) != 0;

		memcpy(v, &i, sizeof(i));
	} else {
		memcpy(v, base + f->val, sizeof(int)); /* int32 and uint32 alike */
	}
	return sizeof(int);
}

/* Only the options that differ from a new socket's are saved. */
static int opts_dump(int sk, UnixSkEntry *u)
{
	_cleanup_close_ int fresh = socket(AF_UNIX, (int)u->type | SOCK_CLOEXEC, 0);

	if (fresh < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(ufields); i++) {
		const struct sk_opt *o = sk_opt_find(SOL_SOCKET, (uint32_t)ufields[i].name);
		uint8_t v[SKO_VALUE_MAX], def[SKO_VALUE_MAX];
		socklen_t len, dlen;

		/* An option this kernel does not have is off. */
		if (!o || !sk_opt_get(sk, o, v, &len))
			continue;
		if (sk_opt_get(fresh, o, def, &dlen) && dlen == len && !memcmp(v, def, len))
			continue;
		ufield_store(&ufields[i], v, len, u);
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

static void unix_dump_done(struct file_table *ft, bool killed)
{
	inflight_release(ft);
}

/* ---- restore, in ckpt ---- */

int inconsistent(void)
{
	return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (unix sockets)");
}

static int opt_set(int fd, int name, int val)
{
	return setsockopt(fd, SOL_SOCKET, name, &val, sizeof(val)) < 0 ? -errno : 0;
}

/*
 * A send buffer raised to refill a queue goes back to what it was: a
 * new socket's when no size was saved (the lock that setting a size
 * takes is put back by sk_common_restore, or by opts_raised).
 */
static int opts_restore(const struct usk *s)
{
	const UnixSkEntry *u = s->u;

	for (size_t i = 0; i < ARRAY_SIZE(ufields); i++) {
		const struct ufield *f = &ufields[i];
		const struct sk_opt *o = sk_opt_find(SOL_SOCKET, (uint32_t)f->name);
		uint8_t v[SKO_VALUE_MAX];
		socklen_t len = 0;
		int r;

		if (*(const protobuf_c_boolean *)((const char *)u + f->has))
			len = ufield_load(f, u, v);
		else if (f->name == SO_SNDBUF && s->sndbuf_raised) {
			_cleanup_close_ int fresh = socket(AF_UNIX, (int)u->type | SOCK_CLOEXEC, 0);

			if (fresh < 0 || !sk_opt_get(fresh, o, v, &len))
				len = 0;
		}
		if (!len)
			continue;
		r = sk_opt_set(s->fd, o, v, len);
		if (r < 0)
			return r;
	}
	return 0;
}

int opts_all(struct unix_open *uo)
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

int opts_raised(struct unix_open *uo)
{
	char buf[NAME_STR_LEN + 32];

	for (size_t i = 0; i < uo->n; i++) {
		const struct usk *s = &uo->s[i];
		const SockEntry *sk = s->e->sock;
		int r = s->sndbuf_raised ? opts_restore(s) : 0;

		/* Setting a size locks it: the locks as they were, once more. */
		if (r >= 0 && s->sndbuf_raised && sk && sk->has_buf_lock)
			r = opt_set(s->fd, SO_BUF_LOCK, (int)sk->buf_lock);
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot set the options of %s",
					usk_str(s->u, buf, sizeof(buf)));
	}
	return 0;
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
	uo->trust = fo->trust;
	fo->state[FD_KIND__FD_UNIX_SK] = uo;
	r = trust_enter(fo->trust, &saved);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot take the image owner's file access");
	r = unix_sk_build(fo, uo);
	trust_leave(&saved);
	return r;
}

/* Every fd ckpt holds for the sockets closed, the socket files it made
 * for names whose file had been removed removed again. */
static void uo_release(struct unix_open *uo, const struct trust *trust)
{
	struct trust_saved saved;
	bool as_owner = trust_enter(trust, &saved) >= 0;

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
	for (size_t i = 0; uo->inflight && i < uo->nr_files; i++)
		if (uo->inflight[i] >= 0)
			close(uo->inflight[i]);
	free(uo->inflight);
	free(uo->tl);
	free(uo->s);
	free(uo);
}

/* The sockets whose queues wait for the tree (late_fill), kept from the
 * opening of the files to restore_last: ckpt's fds, above every slot, which
 * no restored process inherits. */
static struct unix_open *late;

/* Our own copies of the files in flight, from their slots. */
static void late_keep(struct files_open *fo, struct unix_open *uo)
{
	uo->nr_files = fo->fe->n_files;
	uo->inflight = xmalloc((uo->nr_files + 1) * sizeof(*uo->inflight));
	for (size_t i = 0; i < uo->nr_files; i++)
		uo->inflight[i] = -1;
	for (size_t i = 0; i < uo->n; i++) {
		const UnixSkEntry *u = uo->s[i].u;

		for (size_t k = 0; uo->s[i].deferred && k < u->n_queue; k++)
			for (size_t j = 0; j < u->queue[k]->n_fds; j++) {
				uint32_t id = u->queue[k]->fds[j];

				if (id < uo->nr_files && uo->inflight[id] < 0)
					uo->inflight[id] = fcntl(fo->base + (int)id,
								 F_DUPFD_CLOEXEC, uo->scratch);
			}
	}
	late = uo;
}

static void unix_sk_finish(struct files_open *fo)
{
	struct unix_open *uo = fo->state[FD_KIND__FD_UNIX_SK];

	if (!uo)
		return;
	fo->state[FD_KIND__FD_UNIX_SK] = NULL;
	if (uo->nr_deferred && !late)
		late_keep(fo, uo);
	else
		uo_release(uo, fo->trust);
}

/* From ckpt, every process rebuilt (the first unix socket's owner): the
 * queues that hold descriptors or credentials. */
static int unix_sk_restore_last(const FileEntry *e, int pid, int fd)
{
	struct trust_saved saved;
	int r;

	if (!late)
		return 0;
	r = trust_enter(late->trust, &saved);
	if (r < 0)
		r = pr_errno(r, "cannot restore: cannot take the image owner's file access");
	else
		r = late_fill(late);
	trust_leave(&saved);
	uo_release(late, late->trust);
	late = NULL;
	return r;
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
	for (size_t k = 0; k < u->n_queue; k++) {
		const UnixSkPacket *q = u->queue[k];

		if ((q->has_sender && q->sender.len > UNIX_NAME_MAX) || q->n_fds > UNIX_MAX_FDS ||
		    q->has_uid != q->has_gid || (q->has_pid && !q->has_uid) ||
		    (q->has_pid && (!q->pid || q->pid > PID_MAX_LIMIT)))
			return inconsistent();
		/* Descriptions of the table: opened by their own kinds, with
		 * the same trust as the tree's other files. */
		for (size_t j = 0; j < q->n_fds; j++)
			if (q->fds[j] >= fo->fe->n_files)
				return inconsistent();
	}
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
	.dump_more = inflight_resolve,
	.dump_finish = unix_dump_finish,
	.dump_done = unix_dump_done,
	.check = unix_sk_check,
	.prepare = unix_sk_prepare,
	.finish = unix_sk_finish,
	.open = unix_sk_open,
	.restore_fd = unix_sk_restore_fd,
	.restore_last = unix_sk_restore_last,
};
