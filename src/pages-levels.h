/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_PAGES_LEVELS_H
#define CKPT_PAGES_LEVELS_H
/*
 * The page maps of a process along an incremental chain, for the restore
 * (pages-levels.c): level 0 is the image set restored, level k its k-th
 * parent. Each level is read and checked, then told which of its stored
 * pages are needed (those no nearer level has).
 */
#include "mm.h"
#include "pages.h"
#include "track.h"

#include <stddef.h>

struct level {
	int dirfd;
	PagemapEntry *pm;
	struct page_runs runs;
	struct ranges need; /* stored pages of this level to write, sorted */
};

/* Load the page maps of @pid at every level of the chain, checked; *ret_nr
 * says how many to release. Logs why it fails. */
int levels_load(struct level *lv, const MmEntry *mm, const int *dirfds, size_t nr_levels, int pid,
		size_t *ret_nr);
/* Release the first @nr levels, and @lv. */
void levels_release(struct level *lv, size_t nr);

#endif
