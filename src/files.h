/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_FILES_H
#define CKPT_FILES_H
/*
 * Open files of the tree.
 *
 * Dump: every fd of every process is matched (kcmp) against the open file
 * descriptions seen so far; files.img holds each description once with its
 * flags, offset and kind-specific state, and fdinfo-PID.img maps the fds of
 * a process onto them.
 *
 * Restore: ckpt opens every description once, description i at fd
 * base + i, before it creates the first process; every restored process
 * inherits them through fork, so a description shared in the dumped tree
 * is one description again (one offset, one set of flags). Each process
 * dup()s its own onto their numbers and closes the rest.
 *
 * Each kind of file is a struct file_kind (its own file: files-reg.c,
 * pipes.c, fd-anon.c, fd-epoll.c, fd-timerfd.c, fd-inotify.c, sk-unix.c,
 * sk-inet.c, sk-net.c, tty.c, fd-mqueue.c, fd-proc.c), listed in files.c. What every description is
 * checked for whatever its kind (its filesystem, leases, SIGIO owner,
 * mode and owner of files made anew) is fd-audit.c; what every socket has
 * that its kind does not save, sk-common.c.
 * HOWTO add a kind: a value in enum fd_kind and, if it has state, a message
 * in its own .proto referenced from file_entry (fdinfo.proto); a struct
 * file_kind with at least claims, dump and open; one line in files.c.
 */
#include "core.pb-c.h"
#include "fdinfo.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* Where one open file description was found, to compare others against. */
struct file_seen {
	int pid, fd;
	dev_t dev;
	ino_t ino;
};

/* Choices the user made for the dump. */
struct files_opts {
	bool ext_unix_sk; /* unix sockets with a peer outside the tree are allowed */
};

struct shmem_table;
struct trust;
struct inherit_fd;

struct file_table {
	FilesEntry img;
	struct shmem_table *shmem; /* memfds are objects of it */
	struct file_seen *seen; /* per file id */
	const struct files_opts *opts;
	int dirfd; /* the images being written (kinds that save data files) */
	const int *pids; /* the processes of the tree, while they are read */
	size_t nr_pids;
	void *state[64]; /* per kind (indexed by fd_kind, below 64), owned by that kind */
};

/* One fd being dumped. */
struct fd_dump {
	struct file_table *ft;
	int pid, fd;
	const char *link; /* readlink of /proc/PID/fd/FD */
	const struct stat *st; /* stat of /proc/PID/fd/FD */
	const char *fdinfo; /* the whole text of /proc/PID/fdinfo/FD */
};

/* Restore, in ckpt: what the kinds share while every file is opened. */
struct files_open {
	const FilesEntry *fe;
	const struct trust *trust; /* paths are opened through it (trust.h) */
	int base; /* description i goes to fd base + i */
	int shmem_base; /* shmem object k is open at shmem_base + k */
	size_t nr_shmem;
	int scratch; /* temporary fds go from here up */
	int tty_fd; /* the caller's terminal, or -1 */
	/* A dump checking its own images (restore_verify): the tree still
	 * holds what it had (bound socket paths...); what a restore would
	 * find in its way is not checked. */
	bool tree_alive;
	int dirfd; /* the images */
	/* Per description: the credentials of the first live process that
	 * has it (NULL: none), for what a kind does on its behalf. */
	const CredsEntry *const *file_creds;
	/* Per description: the network namespace its socket is made in (an
	 * fd of ckpt's), -1: ckpt's own (NULL: all). */
	const int *file_netns;
	/* --inherit-fd: fds of ckpt for the outside ends (fd-outside.c) */
	const struct inherit_fd *inherit;
	int nr_inherit;
	void *state[64]; /* per kind (indexed by fd_kind, below 64), owned by that kind */
};

/* Restore, in the new process, once every fd is in place. */
struct fd_restore {
	const FileEntry *e;
	int fd; /* its lowest fd number in this process */
	int pid;
	bool owner; /* the first process of the tree that has it */
	int base; /* description i is still at fd base + i */
};

struct file_kind {
	uint32_t kind; /* FD_KIND__* */
	const char *name; /* in messages: "eventfd", "unix socket", ... */
	/* Dump: is this fd of this kind? */
	bool (*claims)(const char *link, const struct stat *st);
	/* Dump: fill the kind-specific parts of @e (id, path, flags, offset
	 * and locks are filled by files.c). Logs why it fails. */
	int (*dump)(const struct fd_dump *d, FileEntry *e);
	/* Dump, once every process is in, before any dump_finish: files no
	 * process has open that the kind holds (descriptors in flight), added
	 * with files_dump_own (optional). */
	int (*dump_more)(struct file_table *ft, const int *pids, size_t nr_pids);
	/* Dump, once every process is in (optional). */
	int (*dump_finish)(struct file_table *ft, const int *pids, size_t nr_pids);
	/* Dump, at the end, the images written or not: the tree has been
	 * killed (@killed), or goes on (--leave-running, a failed dump).
	 * Undo what the dump did to live files, release the kind's state
	 * (optional). */
	void (*dump_done)(struct file_table *ft, bool killed);
	/* Restore, before anything is created (optional). */
	int (*check)(const FileEntry *e, const struct files_open *fo);
	/* Restore, in ckpt: before any open, and after all (optional). */
	int (*prepare)(struct files_open *fo);
	void (*finish)(struct files_open *fo);
	/* Restore, in ckpt: a new fd (any number) for @e. Logs why it fails. */
	int (*open)(struct files_open *fo, const FileEntry *e);
	/* Restore, in the new process, its fds in place (optional). */
	int (*restore_fd)(const struct fd_restore *r);
	/* Restore, from ckpt, every process rebuilt and stopped, just before
	 * they all go on: process @pid, the first that has @e, has it at fd
	 * @fd (its lowest). Logs why it fails (optional). */
	int (*restore_last)(const FileEntry *e, int pid, int fd);
};

void file_table_init(struct file_table *ft, const struct files_opts *opts, int dirfd);
void file_table_release(struct file_table *ft);
/* The fds of @pid into @fi, adding new descriptions to @ft. */
int files_dump_proc(struct file_table *ft, int pid, FdinfoEntry *fi);
/* Dump: ckpt's own @fd (a copy of a file no process of the tree has
 * open) as a file of the table: its id (the one it has if it is there
 * already), or -errno (logged). Keep @fd open until files_dump_done. */
int files_dump_own(struct file_table *ft, int fd);
/* Once every process is in: what needs the whole tree (pipe ends, peers). */
int files_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids);
/* At the end of a dump that got as far as seizing the tree: @killed, or
 * the tree goes on. Before the tree runs again. */
void files_dump_done(struct file_table *ft, bool killed);
const char *fd_kind_name(uint32_t kind);

/* Highest fd number in @fi, or -1. */
int fds_max(const FdinfoEntry *fi);
/* fdinfo-PID.img as read: fd numbers below nr_open and unique, file ids
 * in files.img (@nr_files); logs why not. */
int fdinfo_check(const FdinfoEntry *fi, size_t nr_files, int pid);
/* Before anything is created: can every description be reopened? Only
 * fe, trust, tty_fd and nr_shmem of @fo are used. */
int files_check(const struct files_open *fo, const FdinfoEntry *const *fis, size_t nr_fis);
/* In ckpt, the shmem objects open already: open description i at fd
 * fo->base + i. */
/* Into the network namespace of description @i (fo->file_netns), ours
 * in @ret_ours to come back to with files_netns_leave(). Log. */
int files_netns_enter(const struct files_open *fo, size_t i, int *ret_ours);
int files_netns_leave(int ours);
int files_open_all(struct files_open *fo);
/* In the new process @pid: its fds, from the descriptions at @base, then
 * what each kind does in the process itself. @owner[i] is the pid of the
 * first process that has file i. */
int fds_restore_early(const FilesEntry *fe, const FdinfoEntry *fi, int base, int pid,
		      const int *owner);
/* From ckpt, the tree rebuilt and stopped: the last step of each kind for
 * the files of @pid it is the first to have. */
int files_restore_last(const FilesEntry *fe, const FdinfoEntry *fi, int pid, const int *owner);
/* fd @i of @fi (the fds of @pid) is the lowest fd of its file in @pid, and
 * @pid the first process that has the file (@owner as above): the one fd
 * by which a file's last steps are done once. */
bool files_fd_first(const FdinfoEntry *fi, size_t i, int pid, const int *owner);

/* The very open file description @fd of @pid, as a new fd of ours,
 * close-on-exec (pidfd_getfd: the process must be ptrace-able by us);
 * what is done through it is done to the process's file. */
int fd_borrow(int pid, int fd);
/* Call @fn with the link of every fd (what /proc/PID/fd/N reads) of
 * every process but ckpt and those in @pids, until it returns true: who
 * outside the tree holds a file. */
typedef bool (*fd_link_fn)(int pid, const char *link, void *arg);
void fds_outside_each(const int *pids, size_t nr_pids, fd_link_fn fn, void *arg);
/* The first process found outside @pids (and not ckpt) with an fd whose
 * link reads @link, or 0. */
int fd_link_holder_outside(const int *pids, size_t nr_pids, const char *link);
/* Is @pid one of @pids? */
bool pid_listed(const int *pids, size_t nr, int pid);
/* For kinds not written yet: fails, saying so. */
int file_open_unsupported(struct files_open *fo, const FileEntry *e);

/* Move @fd to the lowest free number at or above @min (close-on-exec). */
int fd_move_above(int fd, int min);
/* The value of "key:" in fdinfo text, as text up to the end of the line. */
const char *fdinfo_field(const char *fdinfo, const char *key);

/* The kinds. */
extern const struct file_kind reg_kind, dir_kind, chr_kind, tty_caller_kind, memfd_kind, ghost_kind,
	opath_kind;
/* An O_PATH fd on @link is restored by path (files-reg.c). */
bool opath_applies(const char *link);
extern const struct file_kind pipe_kind, fifo_kind;
extern const struct file_kind eventfd_kind, epoll_kind, timerfd_kind, signalfd_kind, inotify_kind;
extern const struct file_kind unix_sk_kind, inet_sk_kind, pty_kind;
/* file-attrs.c: inode flags and extended attributes of a file ckpt makes
 * again. Dump: from ckpt's @fd on it (fd @pfd of @pid) into @e, or refuse
 * what cannot be kept (logged). Check: validate @e's (logged). Restore:
 * set them on @fd, -errno. */
int file_attrs_dump(int fd, int pid, int pfd, FileEntry *e);
int file_attrs_check(const FileEntry *e, const struct trust *t);
int file_attrs_restore(int fd, const FileEntry *e);
/* tty.c: in the new process @pid, every description still at @base + its
 * id: a session leader gives its pty of the tree back to the foreground
 * group. Logs why it fails. */
int pty_ctty_restore(const FilesEntry *fe, int base, int pid);
/* The same, just after its setsid(), before it creates the rest of its
 * session: it takes the terminal back. Logs why it fails. */
int pty_ctty_take(const FilesEntry *fe, int base, int pid);
extern const struct file_kind mqueue_kind;
extern const struct file_kind outside_kind, pidfd_kind;
/* fd-io-uring.c: an io_uring with nothing in flight */
extern const struct file_kind io_uring_kind;
/* fd-pidfd.c: from ckpt, every process and thread of the tree rebuilt and
 * stopped: process @pid opens its pidfds itself, of processes of @tree
 * (the pids and tids of the set) only. Logs why it fails. */
/* fd-epoll.c: the highest fd number an epoll item of @fe has, or -1 (a
 * stale item's number is used for a moment: the restore's own fds go above). */
int epoll_max_tfd(const FilesEntry *fe);
/* Restore, before anything is created: every pidfd refers to one of
 * @tree. Logs why not. */
int pidfds_check(const FilesEntry *fe, const int *tree, size_t nr_tree);
int pidfds_restore_late(int pid, const FilesEntry *fe, const FdinfoEntry *fi, const int *tree,
			size_t nr_tree);
/* fd-proc.c: files of /proc/PID/. Restore, before anything is created:
 * each is of a process of @tree (pids and tids), or of one outside that
 * is still the same process. Logs why not. */
extern const struct file_kind proc_kind;
int procfiles_check(const FilesEntry *fe, const int *tree, size_t nr_tree);
/* Is @link, as /proc/PID/fd shows it, a file of /proc/PID/? */
bool proc_file_path(const char *link);
/* From ckpt, every process rebuilt with its credentials and stopped:
 * process @pid opens its /proc files itself. Logs why it fails. */
int procfiles_restore_late(int pid, const FilesEntry *fe, const FdinfoEntry *fi);
/* fd-outside.c: an end of a pipe or FIFO whose peer is outside the tree */
/* Dump: @e, found first at fd @fd of @pid, becomes an outside end. */
void outside_mark(FileEntry *e, int pid, int fd);
/* Its ID, as --inherit-fd and `ckpt show` spell it: pipe:[INO]. */
void outside_id(const FileEntry *e, char *buf, size_t len);
/* Restore, before anything is created: every --inherit-fd names an
 * outside end of the set. Logs why not. */
int outside_check_inherit(const struct files_open *fo);
/* sk-net.c: ICMP, raw IP, packet and netlink sockets. Is fd @fd of @pid
 * one (they look like any socket in /proc)? */
extern const struct file_kind net_sk_kind;
bool net_sk_fd(int pid, int fd);
/* What @s is, in words, for ckpt show. */
void net_sk_describe(const NetSkEntry *s, char *buf, size_t len);
/* fd-mqueue.c: is fd @fd of @pid a POSIX message queue (they look like
 * regular files in /proc)? */
bool fd_on_mqueue(int pid, int fd);
/* mq-notify.c: the notification of a queue, from its status line (a read
 * of the queue file @fd): sigev_notify, signal and owner (0: none). */
struct mq_status {
	int notify, signo, pid;
};
int mq_status_read(int fd, struct mq_status *out);

/* fd-anon.c: what the kinds on anonymous inodes share */
/* Restore: the dumped O_NONBLOCK on the new file @fd (O_ASYNC, with its
 * owner and signal, is set later by fd-audit.c, as for every kind). */
int anon_flags_restore(int fd, const FileEntry *e);
/* Restore: the end of a kind's open of @fd, which did @r so far: its
 * flags set, @fd returned; or closed, and the error. */
int anon_open_finish(int fd, int r, const FileEntry *e);
/* Restore: @e lacks its kind's part or holds nonsense. */
int anon_inconsistent(const FileEntry *e);

struct infect;

/* fd-audit.c: what every description is checked for, whatever its kind */
/* Dump, a new description: refuses one on a filesystem its kind @k (NULL:
 * none claimed it) does not live on, and leases; saves the SIGIO owner
 * and signal into @e. Logs why it fails. */
int fd_audit_dump(const struct fd_dump *d, const struct file_kind *k, FileEntry *e);
/* Dump, every process in: refuses owners outside the tree. */
int fd_audit_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids);
/* Restore, before anything is created: the parts of @e it saved. */
int fd_audit_check(const struct files_open *fo, const FileEntry *e);
/* Restore, in ckpt, @e just opened at @fd: socket filter and locks, the
 * owner and mode of a file made anew, O_ASYNC off for now. Logs. */
int fd_audit_open(const struct files_open *fo, const FileEntry *e, int fd);
/* Restore, from ckpt, the process @inf stopped and its credentials set:
 * the owner, signal and O_ASYNC of the descriptions it has first
 * (@owner[i]: the pid of the first process that has file i). */
int fd_audit_restore_late(struct infect *inf, const FilesEntry *fe, const FdinfoEntry *fi,
			  const int *owner);
/* What a kind of fd nobody claims is called in messages. */
const char *fd_unknown_name(mode_t mode, const char *link);

/* sk-common.c: what every socket has that its kind does not save */
/* Dump: the socket @copy (ckpt's own fd on @d) into @e->sock. Logs. */
int sk_common_dump(const struct fd_dump *d, int copy, FileEntry *e);
/* Restore, before anything is created: @e->sock (for any kind that has
 * one) and what a socket of @e asks for, for a set @t believes. */
int sk_common_check(const FileEntry *e, const struct trust *t);
/* Restore, in ckpt, the socket @fd built and filled by its kind. Logs. */
int sk_common_restore(const FileEntry *e, int fd);

/* file-locks.c: flock, OFD and POSIX locks, for any kind */
/* The locks on fd @d (of description @e, new to the table or not). */
int locks_dump(const struct fd_dump *d, FileEntry *e, bool new_desc);
/* In ckpt, on the new description: the locks it holds (flock, OFD). */
int locks_restore_desc(const FileEntry *e, int fd);
/* From ckpt, the process @inf stopped and its restorer's fds closed: the
 * POSIX locks it held. */
int locks_restore_posix_late(struct infect *inf, const FilesEntry *fe, const FdinfoEntry *fi);
/* fd-io-uring.c: in process @pid, its memory back, through @inf: the
 * mappings of the rings it is the first to have (@owner per file), their
 * files and buffers registered again. Logs why it fails. */
int uring_restore_late(struct infect *inf, const FilesEntry *fe, const FdinfoEntry *fi, int pid,
		       const int *owner);

#endif
