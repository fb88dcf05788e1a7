/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_KEEPER_H
#define CKPT_KEEPER_H
/*
 * The keeper of a tracked tree: a small process (`ckpt-track`) that the
 * first pre-dump leaves behind to hold the userfaultfds of the tree from
 * one dump to the next (track.h), and that exits with the tree's root or
 * when a final dump ends the chain. It answers on a unix socket.
 *
 * No logging: 0 or -errno.
 */
#include <stddef.h>

#define TRACK_MAX_PROCS 4096

struct track_state {
	char last_id[40]; /* the image set the last dump made, "" if none */
	size_t n;
	int pids[TRACK_MAX_PROCS];
	int uffds[TRACK_MAX_PROCS]; /* our copies */
};

/* What the keeper of the tree rooted at @root holds (copies of its
 * userfaultfds); -ENOENT if there is none. */
int keeper_get(int root, struct track_state *ts);
/* Give the keeper (started if there is none) the state after a dump. */
int keeper_put(int root, const struct track_state *ts);
/* End the chain: the keeper exits, and tracking with it. */
int keeper_stop(int root);
void track_state_release(struct track_state *ts);

#endif
