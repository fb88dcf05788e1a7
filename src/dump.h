/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_DUMP_H
#define CKPT_DUMP_H
/*
 * Dumping a tree: the state cmd-dump.c (the order of steps) and
 * dump-collect.c (what is read from each process) share.
 */
#include "files.h"
#include "imgdir.h"
#include "incremental.h"
#include "infect.h"
#include "kinds.h"
#include "mm.h"
#include "pages.h"
#include "track.h"
#include "tree.h"

#define SCRATCH_LEN 4096

/* One live process of the tree. */
struct dump_proc {
	struct tree_proc *tp;
	struct infect inf; /* in its main thread */
	TaskCoreEntry core;
	ThreadCoreEntry **threads;
	CredsEntry **creds; /* per thread, main first */
	MmEntry mm;
	FdinfoEntry fdinfo;
	struct page_runs runs; /* its pages to store, or in the parent */
	struct pages_undo *undo; /* its pages, dropped once stored */
	struct numa_read *numa; /* its mappings' policies, read meanwhile */
	bool sigactions_read; /* by sigactions_ahead(), with the others' */
};

struct dump {
	int root;
	bool predump; /* memory only, tracking goes on: a link of a chain */
	bool incremental; /* --parent: only pages written since it */
	bool leave_running; /* --leave-running */
	bool discard; /* --free-memory: the tree's memory is freed as it is stored */
	enum img_codec codec; /* --compress */
	struct files_opts files_opts;
	struct tree tree;
	struct dump_proc *procs; /* per tree process; unused for zombies */
	int *cow_parent; /* per tree process: its parent, which restore makes
			    create it, or -1 (pages-cow.c) */
	struct file_table files;
	struct shmem_table shmem;
	struct ipc_table ipc; /* System V IPC objects */
	struct parent_images parent;
	struct track_state *track; /* the keeper's (our copies), if any */
	bool kept; /* the tree has a keeper: a full dump stops it */
	struct track_state *next; /* a pre-dump's, for the keeper once it is done */
	char id[IMAGE_ID_LEN + 1];
	struct pages_stats stats;
	struct stream_out *stream; /* --images -: the stream (stream.h) */
	bool handshake; /* --handshake */
};

/* dump-collect.c */
int infect_proc(struct dump_proc *p);
int map_scratch(struct dump_proc *p);
int collect_all(struct dump *d);
/* SEM_UNDO adjustments of process @p on the sets of @ie (pass 0), then
 * the sempids the probes moved given back (pass 1). */
int dump_sem_undo(struct dump_proc *p, const IpcEntry *ie, int pass);

#endif
