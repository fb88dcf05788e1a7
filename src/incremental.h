/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_INCREMENTAL_H
#define CKPT_INCREMENTAL_H
/*
 * Chains of image sets. `ckpt pre-dump` saves the memory of a tree and
 * starts tracking which pages it writes (track.c); each later pre-dump or
 * dump with --parent saves only the pages written since its parent. Each
 * image set has a random id; a child names its parent by path and id.
 * Restore reads the pages "in parent" through the chain.
 *
 * These functions log their errors.
 */
#include "inventory.pb-c.h"
#include "mm.pb-c.h"
#include "pstree.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

#define CHAIN_MAX 64
#define IMAGE_ID_LEN 32

/* Dump side: the image set the dump builds on. */
struct parent_images {
	char *path; /* absolute */
	int dirfd;
	InventoryEntry *inv;
	PstreeEntry *pstree;
	MmEntry **mms; /* per process of pstree that has one, else NULL */
};

/* Open @path as the parent of a dump of the tree rooted at @root. */
int parent_open(const char *path, int root, struct parent_images *p);
/* The address space of @pid in the parent, or NULL if it had none. */
const MmEntry *parent_mm(const struct parent_images *p, int pid);
void parent_close(struct parent_images *p);

/* A new random image set id. */
void image_id_new(char id[IMAGE_ID_LEN + 1]);

/* Restore side: @dirfd (image set @dir, its inventory @inv) and the image
 * sets it builds on, nearest first: *ret_dirfds[0] is @dirfd. A parent
 * is at its recorded path, else among the siblings of @dir (by name, then
 * by id: a chain received by `ckpt receive`). A --meta set (no pages) is
 * a parent only when @meta_ok (a streamed dump read back: no pages read). */
int chain_open(const char *dir, int dirfd, const InventoryEntry *inv, bool meta_ok,
	       int **ret_dirfds, size_t *ret_n);

#endif
