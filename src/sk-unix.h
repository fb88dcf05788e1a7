/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_SK_UNIX_H
#define CKPT_SK_UNIX_H
/*
 * What the files of the unix socket kind share (sk-unix.c says how the
 * kind works):
 *	sk-unix.c	the kind: one socket dumped, its options, the hooks
 *	sk-unix-names.c	bound names: paths, abstract names, socket files
 *	sk-unix-queue.c	receive queues read at dump, descriptors in flight
 *	sk-unix-refill.c	receive queues refilled at restore
 *	sk-unix-peers.c	dump, every process in: peers, holders, senders
 *	sk-unix-build.c	restore: the sockets made, bound, connected
 */
#include "files.h"
#include "sk-common.h"

#include "sock-diag.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#ifndef SCM_PIDFD
#define SCM_PIDFD 4
#endif

/* sk_state and sk_shutdown values, as unix_diag shows them */
enum { SK_ESTABLISHED = 1, SK_LISTEN = 10 };
enum { RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2 };

#define MAX_PACKETS 65536 /* a sanity bound on a queue being read */
#define NAME_STR_LEN (UNIX_NAME_MAX * 4 + 4)
#define UNIX_MAX_FDS 253 /* SCM_MAX_FD: descriptors one message can carry */

static inline bool stream_like(uint32_t type)
{
	return type == SOCK_STREAM || type == SOCK_SEQPACKET;
}

static inline bool name_is_path(const void *name, size_t len)
{
	return len && ((const char *)name)[0];
}

static inline bool name_is_relative(const void *name, size_t len)
{
	return name_is_path(name, len) && ((const char *)name)[0] != '/';
}

static inline bool named(const UnixSkEntry *u)
{
	return u->has_name && u->name.len;
}

static inline bool is_path(const UnixSkEntry *u)
{
	return named(u) && name_is_path(u->name.data, u->name.len);
}

static inline const char *dir_of(const UnixSkEntry *u)
{
	return is_path(u) && u->file && u->file->dir ? u->file->dir : NULL;
}

/* ---- dump ---- */

/* Descriptors in flight with a queued message: copies of ours (a peek
 * gave them), until dump_finish finds their files in the table. */
struct inflight {
	UnixSkPacket *p;
	int *fds;
	size_t n;
	int pid, fd; /* the socket's, for messages */
	int depth; /* 0: a socket some process has open; n: in flight in one of n - 1 */
};

#define INFLIGHT_DEPTH 4 /* sockets in flight in sockets in flight in ... */

/* The kind's state while the tree is dumped (file_table's state). */
struct unix_dump {
	struct inflight *v;
	size_t n;
	int depth; /* of the socket being dumped from ckpt's copy */
	int pid, fd; /* then: the process and fd whose queue it is in flight in */
};

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
	bool deferred; /* its queue is refilled at the end (late_fill) */
	bool late_shut; /* shut down at the end, once late queues are in */
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
	const struct trust *trust; /* files_open's */
	size_t nr_deferred; /* sockets whose queue waits for late_fill */
	int *inflight; /* per file id: ours, for late_fill to send, or -1 */
	size_t nr_files;
};

/* sk-unix.c */
/* "images are inconsistent (unix sockets)", -EBADMSG */
int inconsistent(void);
/* getsockopt of an int (0 for an option this kernel does not have) */
int opt_int(int sk, int name, int *ret);
/* Restore: the options of every socket, once built and filled. Logs. */
int opts_all(struct unix_open *uo);
/* Restore: the options again of the sockets whose send buffer a late
 * refill raised. Logs. */
int opts_raised(struct unix_open *uo);

/* sk-unix-names.c */
/* A socket name for messages: "path", "@abstract" (0 bytes shown as @). */
const char *name_str(const void *name, size_t len, char *buf);
bool same_name(const void *a, size_t alen, const void *b, size_t blen);
bool names_equal(const UnixSkEntry *a, const UnixSkEntry *b);
/* For messages: "unix socket 'name'" or "unnamed unix socket (inode N)". */
const char *usk_str(const UnixSkEntry *u, char *buf, size_t size);
socklen_t sun_of(const ProtobufCBinaryData *name, struct sockaddr_un *sa);
int dir_enter(const char *dir, int *ret_here);
int dir_leave(int here, int r);
enum sun_op { SUN_CONNECT, SUN_SENDTO };
/* connect() or sendto() (one whole packet) @fd to @name, from @dir. */
int sun_do(enum sun_op op, int fd, const ProtobufCBinaryData *name, const char *dir,
	   const ProtobufCBinaryData *data);
/* 0 if a socket can be bound at @path (from the cwd), -EAGAIN if only a
 * stale socket file is in the way, or -errno. */
int path_state(const char *path);
void path_of(const UnixSkEntry *u, char *buf);
/* The one line for @r, an error of binding @u's path. */
int path_error(int r, const UnixSkEntry *u);
/* Bind @fd to the name of @u, its socket file as it was. Logs. */
int usk_bind(int fd, const UnixSkEntry *u);
/* Remove the socket file ckpt made for a name whose file had been removed. */
void usk_unbind(const UnixSkEntry *u);
/* Dump: the socket file of a path name: still there, its mode and owner. Logs. */
int file_dump(const struct fd_dump *d, const struct unix_diag_sk *ds, UnixSkEntry *u);

/* sk-unix-queue.c */
/* Dump: the receive queue of @sk (a copy of fd @d) into @u. Logs. */
int queue_dump(const struct fd_dump *d, int sk, const struct unix_diag_sk *ds, UnixSkEntry *u);
/* Dump, every process in (dump_more): each descriptor in flight is a
 * file of the table, added if no process has it open, or the dump is
 * refused. Logs. */
int inflight_resolve(struct file_table *ft, const int *pids, size_t nr_pids);
/* Dump: the pids of senders not of the tree dropped from the credentials. */
void senders_of_tree(struct file_table *ft, const int *pids, size_t nr_pids);
/* Dump, at the end: what is left of the descriptors in flight closed. */
void inflight_release(struct file_table *ft);

/* sk-unix-refill.c */
/* Restore: every queue refilled. Logs. */
int fill_all(struct unix_open *uo);
/* Does the queue of @u hold descriptors or credentials, and so wait for
 * the tree (late_fill)? */
bool unix_queue_waits(const UnixSkEntry *u);
/* Restore: which queues wait for late_fill, marked before fill_all. */
void late_mark(struct unix_open *uo);
/* Restore, the tree rebuilt: those queues refilled, their sockets
 * connected and shut down as they were. Logs. */
int late_fill(struct unix_open *uo);
/* Restore: datagram socket @s connected to its peer of the tree. Logs. */
int dgram_connect_peer(struct unix_open *uo, struct usk *s);

/* sk-unix-build.c */
/* A new socket of @type in *@ret, above the scratch fds. Logs. */
int sk_new(const struct unix_open *uo, uint32_t type, int *ret);
/* Restore: @s connected to its peer (datagram) or outside peer. Logs. */
int connect_one(struct unix_open *uo, struct usk *s);
/* Restore: shutdown() as dumped, of the sockets whose late_shut is @late. */
int shutdown_some(struct unix_open *uo, bool late);
/* Restore: every socket of the images, as it was. Logs. */
int unix_sk_build(struct files_open *fo, struct unix_open *uo);

/* sk-unix-peers.c */
/* Dump, every process in: peers, holders and senders of the tree's sockets. */
int unix_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids);

#endif
