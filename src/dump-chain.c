// SPDX-License-Identifier: GPL-2.0
/*
 * Tracking, for chains of incremental dumps (dump-chain.h): a dump's
 * exchanges with the page keeper (keeper.c) and the re-arming of each
 * process's page tracking (track.c). cmd-dump.c calls these.
 */
#include "dump-chain.h"

#include "fault.h"
#include "keeper.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * A pre-dump arms tracking again (track_arm) long before its images are
 * complete: from then on the keeper's last dump is no longer the one the
 * tracking continues from. So, before the tree is touched, the keeper is
 * told that no dump is (an empty last id; it keeps the userfaultfds), and
 * only a pre-dump that completes gives it its own id (dump_commit). A
 * pre-dump that dies on the way leaves a chain nothing may continue: the
 * next dump must store every page.
 */
static int chain_suspend(struct dump *d)
{
	_cleanup_free_ struct track_state *none = xmalloc(sizeof(*none));
	int r;

	*none = *d->track;
	none->last_id[0] = 0;
	r = keeper_put(d->root, none);
	if (r < 0)
		return pr_fail(r, "cannot dump %d: cannot track its pages: %s", d->root,
			       keeper_strerror(r));
	return 0;
}

/* --parent: it must be the last dump of this tree, tracked since. */
int open_chain(struct dump *d, const char *parent)
{
	int r;

	d->track = xzalloc(sizeof(*d->track));
	r = keeper_get(d->root, d->track);
	if (r == -ENOENT && !parent)
		return 0;
	if (r == -ENOENT)
		return pr_fail(
			-ENOENT,
			"cannot dump %d on '%s': its pages are not tracked (start with 'ckpt pre-dump')",
			d->root, parent);
	if (r < 0)
		return pr_fail(r, "cannot dump %d: cannot use its page tracker: %s", d->root,
			       keeper_strerror(r));
	d->kept = true;
	if (parent) {
		r = parent_open(parent, d->root, &d->parent);
		if (r < 0)
			return r;
		if (strcmp(d->track->last_id, d->parent.inv->id))
			return pr_fail(
				-ESTALE,
				"cannot dump %d on '%s': it is not the last dump of that process",
				d->root, parent);
		d->incremental = true;
	}
	return d->predump ? chain_suspend(d) : 0;
}

static int uffd_of(const struct track_state *ts, int pid)
{
	for (size_t i = 0; ts && i < ts->n; i++)
		if (ts->pids[i] == pid)
			return ts->uffds[i];
	return -1;
}

/* Arm the pages of @p again, and track the VMAs that are not yet (they
 * are marked so in its VMAs, written after). */
static int track_proc(struct dump *d, struct dump_proc *p, struct track_state *next)
{
	int pid = p->tp->node.pid, uffd = uffd_of(d->track, pid), r = 0;

	if (uffd >= 0) {
		uffd = dup(uffd);
		r = uffd < 0 ? -errno : 0;
	} else {
		r = infect_proc(p);
		if (r >= 0)
			r = track_create(&p->inf, &uffd);
	}
	if (r < 0)
		return r;
	next->pids[next->n] = pid;
	next->uffds[next->n++] = uffd;
	r = track_rearm(pid, &p->mm);
	return r < 0 ? r : track_register(uffd, pid, &p->mm);
}

/*
 * A pre-dump, its pages found, the tree still frozen: tracking starts
 * again from this moment, so the process can go on while its pages are
 * copied (what it writes meanwhile, the next dump has). From here a
 * failure loses what was written since the parent: the keeper must go
 * (track_abort), and a dump on this chain then stores every page.
 */
int track_arm(struct dump *d)
{
	int r = 0;

	d->next = xzalloc(sizeof(*d->next));
	snprintf(d->next->last_id, sizeof(d->next->last_id), "%s", d->id);
	for (size_t i = 0; i < d->tree.nr && r >= 0; i++) {
		if (d->tree.procs[i].node.zombie)
			continue;
		r = d->next->n == TRACK_MAX_PROCS ? -E2BIG
						  : FAULT_OR(dump_track_arm, -ENOMEM,
							     track_proc(d, &d->procs[i], d->next));
	}
	return r < 0 ? pr_errno(r, "cannot dump %d: cannot track its pages", d->root) : 0;
}

/* Called with the tree running again: no exchange with the keeper, which
 * may take up to its time limit, happens with the tree frozen. Before
 * tracking was armed again, the chain is as it was; after, it ends. */
void track_abort(struct dump *d)
{
	if (d->next)
		(void)keeper_stop(d->root);
	else if (d->predump && d->kept)
		(void)keeper_put(d->root, d->track);
}

/* A full dump ends the chain: tracking stops (even if the tree runs on).
 * The dump is done: a keeper that cannot be stopped is not its failure. */
void track_end(struct dump *d)
{
	int r;

	if (d->predump || !d->kept)
		return;
	r = keeper_stop(d->root);
	if (r < 0)
		pr_debug("the page tracker of %d did not stop: %s", d->root, keeper_strerror(r));
}
