/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_DUMP_CHAIN_H
#define CKPT_DUMP_CHAIN_H
/*
 * Tracking, for chains of incremental dumps (dump-chain.c): how cmd-dump
 * opens the chain a dump continues, arms tracking again after a
 * pre-dump, and ends or abandons it. Each logs why it fails.
 */
#include "dump.h"

/* --parent: it must be the last dump of this tree, tracked since; a
 * pre-dump suspends the chain until it completes. */
int open_chain(struct dump *d, const char *parent);
/* A pre-dump, its pages found, the tree still frozen: tracking starts
 * again from this moment. */
int track_arm(struct dump *d);
/* The dump failed, the tree running again: the chain is as it was, or
 * ends if tracking was armed again. */
void track_abort(struct dump *d);
/* A full dump ends the chain: tracking stops. */
void track_end(struct dump *d);

#endif
