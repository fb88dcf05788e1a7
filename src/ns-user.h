/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_NS_USER_H
#define CKPT_NS_USER_H
/*
 * User namespaces (ns-user.c): their maps, setgroups and owner, what the
 * owner may map, and the translation of a process's host ids into the ids
 * it sees inside.
 *
 * Representation: the images keep every id as the host (the parent user
 * namespace, where ckpt runs) sees it, the maps and the owner too; a
 * process's credentials stay host ids in core-PID.img (what issue 9's
 * checks compare), and are turned into ids inside only when the process
 * sets them, from inside its namespace.
 *
 * Only user namespaces whose parent is the host's are handled: nested ones
 * are refused at dump.
 */
#include "core.pb-c.h"
#include "userns.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's limit of lines in a map (since 4.15). */
#define USERNS_MAX_EXTENTS 340

/* Parse the text of /proc/PID/uid_map or gid_map ("first lower count" per
 * line) into *@ret (an array of @ret_n extents, each allocated; free with
 * userns_extents_free). Returns 0, or -EINVAL for anything else. */
int userns_parse_map(const char *text, UsernsExtent ***ret, size_t *ret_n);
void userns_extents_free(UsernsExtent **e, size_t n);

/* Why a map could never be written (NULL when it could): empty, too many
 * lines, an empty or wrapping range, ranges that overlap inside or
 * outside. */
const char *userns_map_insane(UsernsExtent *const *e, size_t n);

/* The id inside that host id @host stands for, or false when the map does
 * not map it. */
bool userns_map_up(UsernsExtent *const *e, size_t n, uint32_t host, uint32_t *ret);

/* Ranges of /etc/subuid or /etc/subgid. */
struct subid_range {
	uint32_t first, count;
};

/* The ranges of user @name (or its uid @uid, written as a number) in the
 * text of /etc/subuid or /etc/subgid. Lines that do not parse are
 * skipped, as shadow's tools skip them. */
void userns_subid_parse(const char *text, const char *name, uint32_t uid, struct subid_range **ret,
			size_t *ret_n);

/* What the owner of a user namespace could have had written into it. */
struct userns_owner {
	uint32_t uid;
	bool known; /* has a user entry: name and groups below */
	gid_t *groups; /* primary and supplementary */
	size_t nr_groups;
	struct subid_range *subuid, *subgid;
	size_t nr_subuid, nr_subgid;
};

/* Fill @o for uid @uid from this machine's user database and
 * /etc/subuid, /etc/subgid (missing files: no ranges). */
void userns_owner_load(struct userns_owner *o, uint32_t uid);
void userns_owner_release(struct userns_owner *o);

/* Why @u's maps give more than its owner @o could write (NULL when they do
 * not): root (uid 0) could write any map; an ordinary user its own uid,
 * one of its gids with setgroups denied, and its /etc/subuid and
 * /etc/subgid ranges (what newuidmap and newgidmap write). */
const char *userns_maps_beyond_owner(const UsernsEntry *u, const struct userns_owner *o);

/* Read the user namespace @nsfd (of process @pid) into a new entry with
 * @id: maps, setgroups, owner, parent. Returns -ENOTSUP for a nested one
 * (its parent is not ckpt's), -errno else; does not log. */
int userns_read(int pid, int nsfd, uint32_t id, UsernsEntry **ret);

/* Check every field of @u from an image; logs one line. */
int userns_check(const UsernsEntry *u);

/* Write @u's setgroups, gid_map and uid_map into /proc/@pid (a process
 * just made in a new user namespace), from a process of the parent
 * namespace, then read them back and compare. Returns 0 or -errno; does
 * not log. */
int userns_write_maps(int pid, const UsernsEntry *u);

/* At dump: is every uid and gid of @c (host ids, read from /proc) mapped
 * in the user namespace of process @pid? 0 when it is in ckpt's; logs one
 * line and returns -ENOTSUP when not. Supplementary groups need not be:
 * the restore gives them from outside. */
int userns_check_creds_dump(int pid, const CredsEntry *c);

/* @c (host ids) turned into the ids seen inside @u, into @ret; the
 * supplementary groups are left as they are (host ids, @c's array).
 * -ERANGE when a uid or gid is not mapped. */
int userns_creds_inside(const UsernsEntry *u, const CredsEntry *c, CredsEntry *ret);

/* ---- restore, with the namespace framework (ns-user-ops.c) ---- */

struct restore;
struct user_restore;

/* The most user namespaces one restore makes. */
#define NS_MAX_USER 64

/* The user namespace process @pid (as ckpt sees it) makes at restore, and
 * lives in: NULL for one in ckpt's. */
const UsernsEntry *userns_restored_of(int pid);

/* What the creator of a user namespace's owner changes in its own thread
 * around the clone3 that makes it. */
struct userns_clone {
	struct user_restore *ur; /* NULL: process @i makes none */
	uid_t euid;
	uid_t ids[3]; /* the creator's real, effective, saved uids */
	gid_t gids[3]; /* and gids */
	long secbits;
	gid_t *groups;
	int nr_groups;
	bool changed;
};

/* In the creator of process @i, right before the clone3 that makes it:
 * if it makes a user namespace, take its owner's euid and the process's
 * groups (this thread only), keeping the capabilities. Logs. */
int userns_clone_begin(struct restore *rs, size_t i, struct userns_clone *uc);
/* Right after that clone3 (@pid: the new process, or -1 if it failed):
 * ckpt's own ids back, then the maps written and the process let go on.
 * Logs. */
int userns_clone_end(struct restore *rs, size_t i, struct userns_clone *uc, long pid);

#endif
