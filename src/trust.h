/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_TRUST_H
#define CKPT_TRUST_H
/*
 * How far an image set is believed. Decided once, right after the image
 * set (and every image set of its incremental chain) is opened, before
 * anything is created:
 *
 * - TRUSTED: ckpt runs as root and the directory and every file in it are
 *   owned by root and writable by nobody else. The set may restore any
 *   credentials, and files are opened with ckpt's own access.
 * - OWNED: otherwise the set is believed only as far as its OWNER (the one
 *   non-root uid owning the directory or its files; the caller when ckpt
 *   is not root). Every process must have the owner's uid in all four
 *   places, gids and supplementary groups among the owner's groups, and no
 *   capabilities; every file the restore opens on behalf of the processes
 *   is opened with the owner's fsuid, fsgid and groups (trust_open).
 *
 * Refused outright: an image that is not a regular file (a symlink, a FIFO
 * ...), files owned by two different users, anything writable by group or
 * other, a set owned by another user when ckpt is not root.
 *
 * Whatever the trust, paths from images are opened without following any
 * symlink (the recorded path is canonical: /proc shows none), and a file
 * whose device and inode changed since the dump is refused when the set
 * was made on this boot.
 */
#include "core.pb-c.h"
#include "inventory.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define TRUST_PATH_MAX 4095
#define BOOT_ID_LEN 36

struct trust_file;

struct trust {
	bool decided; /* a first image set was looked at */
	bool trusted; /* root's own set: no limits */
	uid_t owner; /* what every process is limited to when !trusted */
	gid_t gid; /* the owner's primary group */
	gid_t *groups; /* the owner's groups (the primary one too) */
	size_t nr_groups;
	bool same_boot; /* dumped on this boot: inodes still compare */
	char *dir; /* the (first) image set, for messages */
	/* Files of a mount namespace of the tree (ns-mnt.c): opens @f there
	 * when it is one of its files, else -ESRCH; NULL: none. The file is
	 * made anew or bound from elsewhere: its inode is not compared. */
	int (*inner_open)(const struct trust *t, const struct trust_file *f, int flags,
			  mode_t mode);
	void *inner; /* its state */
};

/* The boot id of this machine into @buf, "" if unknown. */
void boot_id_read(char buf[BOOT_ID_LEN + 1]);

/* Look at image set @dir, open at @dirfd (its inventory @inv, NULL for a
 * parent of a chain): ownership and modes of the directory and of every
 * file in it. The first call decides the owner; later ones (the parents
 * of an incremental chain) must agree. Logs why it refuses. */
int trust_add_set(struct trust *t, const char *dir, int dirfd, const InventoryEntry *inv);
/* Do the credentials of process (or thread) @pid of the set claim no more
 * than the owner has: its uids, gids and groups, no capability? Logs. */
int trust_check_creds(const struct trust *t, int pid, const CredsEntry *c);
/* Is the loginuid of @pid unset, the owner's or ckpt's own? Logs. */
int trust_check_loginuid(const struct trust *t, int pid, uint32_t loginuid);
void trust_release(struct trust *t);

/* A path from an image: absolute, no "." or ".." component, no "//", no
 * control character, at most TRUST_PATH_MAX bytes. @what names it in the
 * message ("file", "mapped file"...). Logs why it refuses. */
int trust_check_path(const char *what, const char *path);

/*
 * Open @path from an image on behalf of the restored processes: with the
 * owner's file access when the set is not trusted, never through a symlink
 * (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS, or a walk of O_PATH
 * opens with O_NOFOLLOW where openat2 is missing). O_PATH|O_NOFOLLOW still
 * opens a symlink itself as the last component. Never blocks in the open
 * (a FIFO put there is opened non-blocking; O_NONBLOCK is cleared after
 * unless @flags has it). Returns the fd or -errno; does not log.
 */
int trust_open(const struct trust *t, const char *path, int flags, mode_t mode);
/* What trust_open() does where openat2 is missing (with our own access):
 * one O_PATH|O_NOFOLLOW open per component, each a directory, the last
 * opened with O_NOFOLLOW. -ELOOP for a symlink on the way. */
int trust_open_walk(const char *path, int flags, mode_t mode);

/* What a file from an image was at dump, to compare with what is opened. */
struct trust_file {
	const char *path;
	const char *what; /* "file", "mapped file", "working directory"... */
	mode_t mode; /* only the type (S_IFMT) is compared; 0: any type */
	bool has_ino;
	uint64_t dev, ino;
};
/* Is @fd (just opened from @f->path) the file that was dumped? The type
 * always, device and inode on the same boot. Logs why it refuses. */
int trust_verify(const struct trust *t, int fd, const struct trust_file *f);
/* trust_open() and trust_verify() in one, logging either failure
 * ("cannot restore: cannot open ..."). */
int trust_open_verify(const struct trust *t, const struct trust_file *f, int flags, mode_t mode);

/* Run file-system calls that take a path (bind, connect, unlink, chmod)
 * with the owner's file access: trust_enter() switches fsuid, fsgid and
 * groups to the owner's when the set is not trusted (a no-op otherwise),
 * trust_leave() switches back. Not nested. */
struct trust_saved {
	bool active;
	uid_t fsuid;
	gid_t fsgid;
	gid_t *groups;
	int nr_groups;
};
int trust_enter(const struct trust *t, struct trust_saved *s);
void trust_leave(struct trust_saved *s);

/* The owner a file ckpt makes anew may be given: @uid and @gid as they
 * are for a trusted set; otherwise -1 (kept: the owner's, as it was made
 * under trust_enter) for a uid not the owner's or a group not among the
 * owner's groups. */
void trust_file_owner(const struct trust *t, uid_t *uid, gid_t *gid);

/* Is openat2 with RESOLVE_NO_SYMLINKS there (ckpt check)? */
bool trust_have_openat2(void);

#endif
