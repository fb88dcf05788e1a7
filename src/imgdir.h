/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_IMGDIR_H
#define CKPT_IMGDIR_H
/*
 * The images directory. A dump writes into a fresh temporary directory
 * next to the target one (mode 0700) and renames it into place only when
 * every file is complete and synced, so an interrupted dump never leaves
 * something that looks like a valid image set.
 */
#include "inventory.pb-c.h"

struct imgdir {
	char *final; /* DIR as given */
	char *tmp; /* the temporary directory being written, for messages */
	char *tmp_name, *final_name; /* both in parentfd */
	int parentfd; /* the directory DIR is in, opened once */
	int dirfd;
};

/* Refuses an existing non-empty DIR. */
int imgdir_create(struct imgdir *d, const char *path);
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

/* A user-facing reason for an image error code. */
const char *img_strerror(int r);

#endif
