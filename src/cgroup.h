/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_CGROUP_H
#define CKPT_CGROUP_H
/*
 * cgroups: where each task of the tree is, in every hierarchy, and the
 * settings of the cgroups the tree owns (cgroup.c: what both sides share;
 * cgroup-dump.c; cgroup-restore.c; cgroup-freeze.c: freezing a tree that
 * has a cgroup of its own before it is seized).
 *
 * Ownership: a cgroup (not a hierarchy's root) is the tree's when every
 * task in it and in every cgroup below it is a task of the tree, and one
 * of them is in it or below. Its settings are saved, and a restore makes
 * it if it is missing. Any other cgroup a task is in must exist at
 * restore; nothing of it is saved or changed.
 */
#include "cgroup.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

struct tree;
struct restore;
struct trust;

/* A hierarchy as mounted here (from /proc/self/mountinfo). */
struct cg_mount {
	char *controllers; /* as /proc/PID/cgroup names them; "" for cgroup2 */
	bool v2;
	char *dir; /* where its root (or @root below it) is mounted */
	char *root; /* the cgroup mounted there: "/" mostly */
};

struct cg_mounts {
	struct cg_mount *m;
	size_t n;
};

/* The cgroup hierarchies mounted in ckpt's mount namespace. */
int cg_mounts_read(struct cg_mounts *ms);
void cg_mounts_release(struct cg_mounts *ms);
/* The mount of the hierarchy named @controllers (v1: the same set, in any
 * order), or NULL. */
const struct cg_mount *cg_mount_find(const struct cg_mounts *ms, const char *controllers, bool v2);
/* Is controller @c one of the comma-separated list @list? */
bool cg_has_controller(const char *list, const char *c);
/* Open cgroup @path of @m (a directory), never through a symlink nor out
 * of the hierarchy (openat2 RESOLVE_BENEATH from its mount). -errno. */
int cg_open_dir(const struct cg_mount *m, const char *path, int flags);
/* The same from @dirfd, @m's directory opened already (-1: by its path). */
int cg_open_dir_at(const struct cg_mount *m, int dirfd, const char *path, int flags);

/* Is @path a cgroup path an image may hold: "/" or "/a/b", no "." or
 * "..", no "//", no control character, no trailing "/", every component
 * at most 255 bytes, not a control file's name ("cgroup.procs")? */
bool cg_path_ok(const char *path);

/* What a setting is: how its value is checked, and whether a value is a
 * limit that a restore never raises. */
enum cg_value {
	CG_NUM, /* a number, or "max" (-1 for the v1 cfs quota) */
	CG_CPU_MAX, /* "max PERIOD" or "QUOTA PERIOD" */
	CG_LIST, /* a cpu or node list: "0-3,5", may be empty */
	CG_WORDS, /* lower-case words: "default 100", "+cpu +memory" */
	CG_DEVICES, /* v1 devices.list, its lines joined by ';': "c 1:3 rwm;b 8:* r" */
};
struct cg_setting {
	const char *controller; /* "memory", ... "" for cgroup2's own files */
	const char *name;
	bool v2;
	enum cg_value value;
	bool limit; /* a lower value gives less: never raised at restore */
};
/* Every setting ckpt saves, in the order a restore writes them. */
extern const struct cg_setting cg_settings[];
extern const size_t cg_nr_settings;
/* Does ckpt know controller @c (what it saves of it, or that it has
 * nothing to save)? */
bool cg_controller_known(const char *c, bool v2);
/* The known setting called @name on a hierarchy of that version, or NULL. */
const struct cg_setting *cg_setting_find(const char *name, bool v2);
/* Does @value fit setting @s (as read from the file, without the "\n")? */
bool cg_value_ok(const struct cg_setting *s, const char *value);
/* A limit's value as a number, UINT64_MAX for none ("max", "-1"). For
 * cpu.max the quota. false if it is not one. */
bool cg_limit_of(const char *value, unsigned long long *ret);

/* cgroup-dump.c */
/* The dump, the tree seized: every live task's cgroups, the owned ones'
 * settings, into cgroup.img. Refuses (one line) what would not restore. */
int cgroup_dump(const struct tree *t, int dirfd);

/* cgroup-restore.c */
struct cg_restore;
/* Every field of @e checked (logs why not); its tasks against the
 * processes of @rs, when given. */
int cgroup_check(const CgroupEntry *e, const struct restore *rs);
/* Read cgroup.img (a set without one has none) and check every field. */
int cgroup_load(struct restore *rs);
/* Where each cgroup goes on this machine (--cgroup-root), which exist,
 * which ckpt makes. Before any process exists. */
int cgroup_plan(struct restore *rs, const char *const *roots, int nr_roots);
/* Where cgroup @path of the images' hierarchy @controllers (@v2) goes on
 * this machine once cgroup_plan() ran: below its --cgroup-root, or the
 * same path (for the cgroup namespace's roots, ns-cgroup.c). Caller frees. */
char *cgroup_restore_path(const struct restore *rs, const char *controllers, bool v2,
			  const char *path);
/* Make the owned cgroups that are missing, with their settings. */
int cgroup_make(struct restore *rs);
/* In the new process @pid, before it rebuilds anything: it moves itself
 * into its cgroups. Logs. */
/* In a new process, before its namespaces: what cgroups it is in, for
 * cgroup_join_early once /proc may not show it. */
void cgroup_remember_own(void);
int cgroup_join_early(const struct restore *rs, int pid);
/* Threads that are not where their process is, moved; from ckpt, every
 * thread created, before the tree runs. */
int cgroup_join_threads(const struct restore *rs);
/* A failed restore: the cgroups it made, removed (once empty). */
void cgroup_undo(struct restore *rs);
void cgroup_release(struct restore *rs);

/* cgroup-freeze.c */
struct cg_freeze {
	int ctl; /* cgroup.freeze or freezer.state, open for writing; -1 */
	bool v2;
	int dirfd;
};
/* If the tree rooted at @root has a cgroup of its own (all its tasks and
 * nothing else), in a cgroup2 hierarchy or the v1 freezer, freeze it and
 * wait until it is frozen. Nothing done (0) when it has none. A v1
 * freeze also seizes every task (see cgroup-freeze.c). -errno, logged. */
int cgroup_freeze(int root, struct cg_freeze *f);
/* Thaw it (once every task is seized, or on failure). */
void cgroup_thaw(struct cg_freeze *f);

/* ckpt show: each task's cgroups, the owned cgroups' settings (the
 * image as it is: unchecked indexes are shown as such). */
void cgroup_show(const CgroupEntry *e);

#endif
