// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets, at dump, once every process is in (sk-unix.c): a socket
 * of the tree connected to a process outside it becomes an outside end
 * (or, with --ext-unix-sk and off fd 0-2, its peer's address is kept);
 * none waiting on, or shared with, a process outside the tree; senders of
 * queued datagrams that can send again.
 */
#include "sk-unix.h"

#include "proc.h"
#include "util.h"

#include <string.h>
#include <unistd.h>

/* ---- dump, once every process is in: peers and holders ---- */

/* A unix socket of the tree, and where it was found. */
struct tree_sk {
	FileEntry *e;
	UnixSkEntry *u;
	int pid, fd;
	bool outside; /* made an outside end */
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

/* The dump guardian, a child of ckpt, holds a socket ckpt reads for a
 * moment (it would give back its peek offset if ckpt died): its copy, of
 * a socket in flight read just before this scan, may not be dropped yet. */
static bool ckpt_helper(int pid)
{
	struct proc_stat st;

	return proc_read_stat(pid, &st) >= 0 && st.ppid == getpid();
}

static bool holder_note(int pid, const char *link, void *arg)
{
	struct finish *f = arg;
	unsigned int ino;

	if (sscanf(link, "socket:[%u]", &ino) != 1)
		return false;
	for (size_t i = 0; i < f->nr_holders; i++)
		if (f->holders[i].ino == ino && !f->holders[i].pid && !ckpt_helper(pid))
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

/*
 * A socket connected to a process outside the tree (journald's end of a
 * service's stdout, a shell's socketpair) becomes an outside end
 * (fd-outside.c), as a pipe to the outside does: at restore the
 * restoring command's own fd 0-2 takes its place, or the fd given with
 * --inherit-fd socket:[INO]. With --ext-unix-sk, a socket on fd 3 and
 * above is connected again to its peer's address instead; one on fd 0-2
 * stays an outside end, since a peer such as journald expects its own
 * protocol from a new connection (a header first) and would take the
 * tree's output for garbage.
 *
 * Its receive queue is not saved, like a pipe's: what the peer sent and
 * the tree has not read yet stays in the old socket, which the peer still
 * holds (descriptors in flight in it are left with it too); what the tree
 * sent is the peer's already.
 */
static void outside_make(struct tree_sk *s)
{
	outside_mark(s->e, s->pid, s->fd);
	s->outside = true;
}

/* The socket part of the outside ends left out of the image, queue and
 * all, once the checks that look at every socket of the tree are done
 * (its memory goes with the table's, at the end of the dump). */
static void outside_drop(struct finish *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->sks[i].outside)
			f->sks[i].e->unix_sk = NULL;
}

static int check_peer(const struct finish *f, struct tree_sk *s)
{
	const struct unix_diag_sk *p;
	char whom[64];

	if (!peer_outside(f, s->u, &p))
		return 0;
	if (f->opts->ext_unix_sk && s->fd > STDERR_FILENO)
		return ext_peer_set(f, s, p);
	/* One no process has open (in flight, found through ckpt's copy)
	 * has no fd for the restore to give. */
	if (s->pid == getpid())
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump: a unix socket in flight (SCM_RIGHTS) is connected to %s outside the tree",
			who(f, p ? p->ino : s->u->peer, whom, sizeof(whom)));
	outside_make(s);
	return 0;
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
			in_tree = !f->sks[i].outside && f->sks[i].u->type == SOCK_DGRAM &&
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
		f->sks[f->n++] = (struct tree_sk){
			.e = e, .u = e->unix_sk, .pid = ft->seen[i].pid, .fd = ft->seen[i].fd
		};
	}
}

/* Every unix socket of the network namespaces the tree's sockets are in
 * (sock_diag answers for one namespace at a time). */
static int all_of_namespaces(struct finish *f)
{
	_cleanup_free_ uint64_t *seen = xmalloc((f->n + 1) * sizeof(*seen));
	size_t nr_seen = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct unix_diag_sk *some = NULL;
		size_t nr = 0, k;
		struct sock_diag sd;
		uint64_t ns = 0;
		int r;

		sock_diag_use_netns_of(f->sks[i].pid);
		r = sock_diag_netns(&ns);
		if (r < 0)
			return r;
		for (k = 0; k < nr_seen && seen[k] != ns; k++)
			;
		if (k < nr_seen)
			continue;
		seen[nr_seen++] = ns;
		r = sock_diag_open(&sd);
		if (r >= 0) {
			r = unix_diag_dump(&sd, &some, &nr);
			sock_diag_close(&sd);
		}
		if (r < 0)
			return r;
		f->all = xrealloc(f->all, (f->nr_all + nr + 1) * sizeof(*f->all));
		memcpy(f->all + f->nr_all, some, nr * sizeof(*some));
		f->nr_all += nr;
		free(some); /* the entries moved, with what they point to */
	}
	return 0;
}

int unix_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	struct finish f = { .opts = ft->opts };
	int r;

	senders_of_tree(ft, pids, nr_pids);
	finish_collect(&f, ft);
	if (!f.n)
		return 0;
	r = all_of_namespaces(&f);
	if (r < 0) {
		r = pr_errno(r, "cannot dump: cannot list the unix sockets");
		goto out;
	}
	holders_want_all(&f);
	holders_scan(&f, pids, nr_pids);
	/* Outside ends first: a socket shared with a process outside the
	 * tree is fine when it is one (shared with the caller at restore). */
	for (size_t i = 0; i < f.n && r >= 0; i++)
		r = check_peer(&f, &f.sks[i]);
	for (size_t i = 0; i < f.n && r >= 0; i++) {
		if (f.sks[i].outside)
			continue;
		r = check_shared(&f, &f.sks[i]);
		if (r >= 0)
			r = check_icons(&f, &f.sks[i]);
		if (r >= 0)
			r = check_senders(&f, &f.sks[i]);
	}
	outside_drop(&f);
out:
	unix_diag_sks_free(f.all, f.nr_all);
	free(f.holders);
	free(f.sks);
	return r;
}
