/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_NS_H
#define CKPT_NS_H
/*
 * Namespaces of the tree.
 *
 * Which are saved: those the tree owns. The root owns a namespace of a
 * kind when its own differs from its parent's (outside the tree); any
 * other process when its own differs from its parent's in the tree. One
 * shared with ckpt stays shared and is not saved; a process in one that
 * is neither its parent's nor new (entered with setns) is refused, as is
 * a kind without ops. ns.img lists the owned namespaces and, per process,
 * which it lives in and its pids in every pid namespace it is in.
 *
 * Pids in the images are the ones ckpt sees (its own pid namespace);
 * ns.img adds the pids each process has inside (NSpid), and ns_pid_in()
 * gives the pid a process of the tree knows another one by.
 *
 * Restore: the owner of a namespace makes it, with its clone flag
 * (clone3, set_tid with one pid per level) or in its kind's restore hook,
 * right after it was created and before it creates its children; user
 * namespaces first, mount namespaces last.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc.pb-c.h"
#include "ns.pb-c.h"

struct imgdir;
struct options;
struct restore;
struct tree;
struct tree_proc;
struct dump;

enum ns_kind { NS_PID, NS_MNT, NS_NET, NS_IPC, NS_UTS, NS_USER, NS_CGROUP, NS_TIME, NS_KINDS };

struct ns_dump {
	enum ns_kind kind;
	uint32_t id; /* the namespace's id in the images (its inode number) */
	int pid; /* a frozen process of the tree that lives in it (its owner) */
	int nsfd; /* /proc/PID/ns/KIND, opened O_RDONLY by the framework */
	struct imgdir *dir; /* where its images go (see imgdir.h) */
	const struct options *opts; /* o->external[] and the rest */
	struct dump *dump; /* the whole dump: the tree, each process's state */
};

struct ns_restore {
	enum ns_kind kind;
	uint32_t id;
	int owner; /* index in rs->procs of the process that creates it */
	void *state; /* the kind's own, from prepare to release */
};

struct ns_ops {
	const char *name; /* as in /proc/PID/ns/: "mnt", "net", ... */
	int clone_flag; /* CLONE_NEWNS, CLONE_NEWNET, ... */
	/* Dump, tree frozen, before the tree's own images are written: save the
	 * namespace's state in image files of its own, named after kind and id
	 * ("mnt-ID.img"); refuse (pr_fail, one line) what cannot be restored.
	 * A NULL ops entry: the kind is refused at dump with one line. */
	int (*dump)(const struct ns_dump *d);
	/* Restore, in ckpt, before any process exists: read the images, check
	 * every field (hostile input), resolve --external (refuse a missing one). */
	int (*prepare)(struct restore *rs, struct ns_restore *n);
	/* Restore, in the owner, right after clone3 created the namespace with
	 * clone_flag, before the owner creates its children, opens any fd or
	 * changes creds; runs as root (ckpt's copy), with ckpt's fds. */
	int (*restore)(struct restore *rs, struct ns_restore *n);
	/* Optional: in process @i (an index in rs->procs) of the tree that lives in
	 * the namespace, right after it was created, before its own children
	 * (e.g. proc mounted by the first process inside a pid namespace). */
	int (*restore_in_proc)(struct restore *rs, struct ns_restore *n, size_t i);
	/* Optional: in ckpt, once every process exists, before the tree runs. */
	int (*finish)(struct restore *rs, struct ns_restore *n);
	void (*release)(struct ns_restore *n);
	/* Optional: `ckpt show`, what the namespace holds, lines on stdout
	 * (each starting with two spaces); @dirfd is the image set. */
	void (*show)(int dirfd, uint32_t id);
	/* Optional: in the owner's creator (ckpt for the root), right after
	 * clone3 made the owner, which the creator knows as @child, while the
	 * owner waits to run its restore hook: what only a process outside
	 * the new namespace may do (a user namespace's uid_map and gid_map). */
	int (*restore_creator)(struct restore *rs, struct ns_restore *n, int child);
	/* Optional: in ckpt, every process rebuilt and its files
	 * finished (TCP connections out of repair), just before the tree is
	 * let go: what must wait for the sockets (the network let in). */
	int (*ready)(struct restore *rs, struct ns_restore *n);
	/* Optional: dump, in ckpt, the images published, right
	 * before the tree is killed (not with --leave-running): shut what
	 * would answer for the dead tree meanwhile (d->dir is NULL). */
	void (*before_kill)(const struct ns_dump *d);
};

/* the table, in ns.c: one entry per kind, NULL for a kind not handled */
extern const struct ns_ops ns_pid_ops, ns_uts_ops, ns_ipc_ops, ns_time_ops, ns_cgroup_ops;
extern const struct ns_ops ns_mnt_ops; /* src/ns-mnt*.c */
extern const struct ns_ops ns_net_ops; /* src/ns-net*.c */
extern const struct ns_ops ns_user_ops; /* src/ns-user*.c */

const struct ns_ops *ns_ops_of(enum ns_kind kind);
/* "pid", "mnt", ...: the names of /proc/PID/ns/ */
const char *ns_kind_name(enum ns_kind kind);

/* ---- dump ---- */

#define NS_LEVELS_MAX 33 /* pid namespaces nest 32 deep, plus ckpt's */

/* What a process of the tree is in, read while it is taken (tree.c). */
struct proc_ns {
	uint32_t ino[NS_KINDS]; /* 0: the kernel has no such kind */
	uint32_t pid_for_children; /* its pid_for_children, if not its own */
	uint32_t time_for_children; /* its time_for_children, if not its own */
	bool owns[NS_KINDS]; /* it made the one it lives in */
	int nspid[NS_LEVELS_MAX]; /* ckpt's level first */
	int nr_nspid;
	int tid; /* a thread of it whose namespaces were read */
};

/* @p lives in a namespace of kind @k the tree owns (not ckpt's). */
bool ns_lives_in_own(const struct tree_proc *p, enum ns_kind k);
/* Read what process @pid (named @comm) is in, and decide whether the tree
 * can have it: @parent is its parent's (NULL for the root, whose parent
 * @ppid is outside the tree). Logs why not. */
int ns_take(struct tree *t, int pid, int ppid, const char *comm, const struct proc_ns *parent,
	    struct proc_ns **ret);
/* The whole tree frozen: what only the whole tree tells (a pid namespace
 * made for children: one of them must own it). Logs why not. */
int ns_tree_check(struct tree *t);
/* The restore plan of the tree (tree_plan) asks nothing of its pid
 * namespaces the kernel refuses: a helper inside one, CLONE_PARENT
 * across an init, an init that is a zombie. Logs why not. */
struct plan;
int ns_plan_check(const struct tree *t, const struct plan *plan);
/* Save the namespaces the tree owns (their kinds' images) and ns.img. */
int ns_dump_all(struct dump *d, struct imgdir *dir, const struct options *o);

/* NSpid of a /proc status file @path, ckpt's level first. */
int read_nspid_file(const char *path, int *nspid, int *ret_nr);
/* The images published, the tree about to be killed: the before_kill
 * hooks of the namespaces it owns. */
void ns_before_kill(struct dump *d, const struct options *o);

/* NSpid of thread @tid of @pid, ckpt's level first. */
int ns_read_thread_nspid(int pid, int tid, int *nspid, int *ret_nr);

/* ---- restore ---- */

/* ns.img read and checked, each namespace's prepare called (after the
 * plan is made and rs->procs filled). Logs why not. */
int ns_load(struct restore *rs);
void ns_release_all(struct restore *rs);
/* The clone flags process @i is created with. */
int ns_clone_flags(const struct restore *rs, size_t i);
/* Its pids for clone3's set_tid, innermost first; returns how many. */
int ns_set_tid(const struct restore *rs, size_t i, int32_t *tids, size_t max);
/* Process @i is made by a creator in a user namespace of the tree: some
 * of its pids (ckpt's level at least) are whatever the host gives. */
bool ns_host_given(const struct restore *rs, size_t i);
/* The same for the threads of process @i, which it makes itself. */
bool ns_thread_host_given(const struct restore *rs, size_t i);
/* In ckpt, a process it traces that it does not know yet (@pid, as ckpt
 * sees it): which process of the plan it is, by its parent and its pids
 * inside; it is then known by @pid (rp->host). -ESRCH if none. */
int ns_host_adopt(struct restore *rs, int pid);
/* Process @i is one of those, and its parent knows it by a pid the
 * host gives (the parent lives in ckpt's pid namespace): ckpt sets
 * ns_last_pid just before its creator makes it, so that the host gives
 * the dumped one; if another process forked first and took it, the
 * creator kills that child and makes it again (ns_host_adopt: -EAGAIN). */
bool ns_host_exact(const struct restore *rs, size_t i);
/* The pid ckpt names the process or thread it dumped as @pid by now (what
 * the host gave it, see ns_host_given); @pid itself outside a restore. */
int ns_host_pid(int pid);
/* The other way: the pid the images name the process or thread ckpt
 * knows as @host by. */
int ns_image_pid(int host);
/* The same for thread @t (1...) of process @i. */
int ns_thread_set_tid(const struct restore *rs, size_t i, size_t t, int32_t *tids, size_t max);
/* Process @i makes a namespace whose kind has a restore_creator hook:
 * its creator runs them (ns_creator_hooks) before it goes on. */
bool ns_wants_creator(const struct restore *rs, size_t i);
int ns_creator_hooks(struct restore *rs, size_t i, int child);
/* In process @i, right after it was created: the restore hooks of the
 * namespaces it makes, then restore_in_proc of those it lives in. */
int ns_in_new_proc(struct restore *rs, size_t i);
/* Process @j made the pid namespace that was its creator's
 * pid_for_children: the creator enters it (for its children) once it
 * has made every child. */
bool ns_pid_for_children(const struct restore *rs, size_t j);
/* In ckpt, every process created, none gone on yet: the finish hooks. */
int ns_finish_all(struct restore *rs);
/* In ckpt, once the tree exists: a process inside a pid namespace whose
 * group is outside it could not join it and got its creator's; it must
 * be the one it had. Logs why not. */
int ns_check_groups(const struct restore *rs);
/* In ckpt, the tree rebuilt, before let_go(): the ready hooks. */
int ns_ready_all(struct restore *rs);
/* The pid process @i of the tree knows the process (or thread) ckpt knows
 * as @pid by: 0 if it cannot see it (outside its pid namespace). */
int ns_pid_in(const struct restore *rs, size_t i, int pid);
/* The namespace of kind @k of the tree's process @i lives in; NULL: ckpt's. */
struct ns_restore *ns_proc_in(const struct restore *rs, size_t i, enum ns_kind k);
/* The same for the process (or thread) the images name @pid, in the
 * restore under way; NULL: ckpt's, or none under way. */
struct ns_restore *ns_of_pid(int pid, enum ns_kind k);
/* The System V objects of the IPC namespace of the tree's process @i
 * lives in (ns-ipc.c); NULL: ckpt's, ipc.img. */
const IpcEntry *ns_ipc_entry(const struct restore *rs, size_t i);
/* The depth of process @i's pid namespace below ckpt's (0: ckpt's). */
int ns_pid_level(const struct restore *rs, size_t i);
/*
 * For the kinds, which pass pids to calls made in a process: the pid the
 * process or thread ckpt knows as @viewer knows @pid by (0: it cannot see
 * it), from the image set being restored; @pid itself when the tree is in
 * ckpt's pid namespace, or outside a restore.
 */
int ns_pid_seen_by(int viewer, int pid);
/* The pid the process or thread ckpt knows as @pid has in its own pid
 * namespace (what getpid() or gettid() says there), for calls it makes on
 * itself: from the image set being restored, else from /proc/PID/status. */
int ns_own_pid(int pid);

/* Run @fn(@arg) in ckpt's calling thread moved into the namespace @nsfd
 * of kind @k (uts, ipc, net: what setns allows a thread), then back. */
int ns_run_in(int nsfd, enum ns_kind k, int (*fn)(void *), void *arg);

/* ---- show / check ---- */
void ns_show(int dirfd);
/* The same for `ckpt show --json`: ',"namespaces":[...]' (kind, id,
 * owner; per process its pids inside), nothing without ns.img. */
void ns_show_json(int dirfd);
/* `ckpt check`: a line per kind, whether this kernel lets ckpt make it. */
int ns_check_kinds(void);

#endif
