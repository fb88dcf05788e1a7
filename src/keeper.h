/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_KEEPER_H
#define CKPT_KEEPER_H
/*
 * The keeper of a tracked tree: a small process (`ckpt-track`) that the
 * first pre-dump leaves behind to hold the userfaultfds of the tree from
 * one dump to the next (track.h), and that exits with the tree's root or
 * when a final dump ends the chain.
 *
 * Whoever holds one of those userfaultfds can watch and write-protect the
 * process's memory, and whoever answers for the keeper decides what a dump
 * on its parent stores; so:
 *  - the keeper listens on a path socket in KEEPER_DIR, a directory of
 *    root's that only root can enter (checked, never followed if it is a
 *    symlink);
 *  - each end checks the other before sending it anything: a process of
 *    uid 0 in our user namespace, not under seccomp when we are not, with
 *    at least our capabilities (SO_PEERCRED, its pid held by a pidfd while
 *    it is looked at);
 *  - every exchange has a time limit (KEEPER_TIMEOUT_MS a message);
 *  - the fds that come back must be userfaultfds.
 * Only root has a keeper: for anyone else there is none.
 *
 * No logging: 0 or -errno; keeper_strerror() says what the codes mean here.
 */
#include <stddef.h>

#define KEEPER_RUN "/run"
#define KEEPER_DIR KEEPER_RUN "/ckpt"
#define KEEPER_TIMEOUT_MS 5000
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
/* End the chain: the keeper exits, and tracking with it (0 if there was
 * no keeper). */
int keeper_stop(int root);
void track_state_release(struct track_state *ts);

/* Why a keeper_*() call failed, for "cannot ...: %s". */
const char *keeper_strerror(int r);

#endif
