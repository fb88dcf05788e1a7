/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_IMGDIR_H
#define CKPT_IMGDIR_H
/*
 * The images directory. A dump writes into a fresh temporary directory
 * next to the target one (mode 0700) and renames it into place only when
 * every file is complete and synced, so an interrupted dump never leaves
 * something that looks like a valid image set.
 */
#include "image.h"
#include "inventory.pb-c.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct imgdir {
	char *final; /* DIR as given */
	char *tmp; /* the temporary directory being written, for messages */
	char *tmp_name, *final_name; /* both in parentfd */
	int parentfd; /* the directory DIR is in, opened once */
	int dirfd;
};

/* Refuses an existing non-empty DIR. */
/* Empty and remove directory @name of @parentfd, if it is ours (made by
 * ckpt as euid, 0700, and when @ino is not 0, that very inode), with its
 * subdirectories @depth levels down: through fds, never following a
 * symlink. Errors are ignored (a clean-up). */
void imgdir_remove_ours(int parentfd, const char *name, int depth, ino_t ino);

int imgdir_create(struct imgdir *d, const char *path);
/* The same, its messages "cannot VERB: ..." (receive, restore). */
int imgdir_create_as(struct imgdir *d, const char *path, const char *verb);
/* Write inventory.img listing every image file, sync, rename into place:
 * imgdir_seal() then imgdir_publish(). */
int imgdir_commit(struct imgdir *d, InventoryEntry *inv);
int imgdir_seal(struct imgdir *d, InventoryEntry *inv);
int imgdir_publish(struct imgdir *d);
/* Remove the temporary directory (after a failure): only what is in it,
 * through its fd, never following a symlink. */
void imgdir_abort(struct imgdir *d);

/* Open an image set for reading; checks the inventory and that each file
 * it lists is there, a regular file, with the right size. Neither the
 * directory (its last component) nor any image is reached through a
 * symlink. */
int imgdir_open(const char *path, int *ret_dirfd, InventoryEntry **ret_inv);
/* From now on imgdir_open() lets page images (pages-PID.img) be missing:
 * restore --lazy --page-server has their pages from elsewhere. */
void imgdir_pages_elsewhere(bool on);

/* A user-facing reason for an image error code. */
const char *img_strerror(int r);

/*
 * Images are untrusted input: every kind checks what it reads before use
 * (a KIND_check function beside its restore code). A check that fails
 * logs one line, "cannot restore: images are inconsistent (NAME: WHAT)",
 * NAME the image file of @kind (and @pid), and returns -EBADMSG.
 */
int img_inconsistent(enum img_kind kind, int pid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* One past the highest user address: 47 bits on x86-64, 56 with 5-level
 * paging. */
uint64_t user_addr_limit(void);
/* fs.nr_open: no fd number is this large or larger. */
unsigned int fd_number_limit(void);
/* @s is at most @max bytes long (NUL excluded). */
bool str_fits(const char *s, size_t max);

#endif
