/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_MM_H
#define CKPT_MM_H
/*
 * The address space: VMAs, mm fields (brk, stack, arg/env, auxv, exe), the
 * vDSO group, and the pages (pages.c).
 *
 * Restore replaces the new process's address space from the parent:
 *   1. the child maps a small "trampoline" (a `syscall` instruction and
 *      scratch memory) at an address free in both layouts, opens every
 *      mapped file at an aux fd, and stops;
 *   2. the parent, through remote syscalls from the trampoline, unmaps
 *      everything else, moves the vDSO group to its dumped address, maps
 *      every dumped VMA, fills pages with process_vm_writev, sets the
 *      protections and the mm fields, and closes the aux fds;
 *   3. cmd-restore unmaps the trampoline with the last remote syscall.
 */
#include "image.h"
#include "infect.h"
#include "mm.pb-c.h"
#include "pagemap.pb-c.h"
#include "shmem.pb-c.h"
#include "track.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#define TRAMP_LEN (64 * 1024) /* code page + scratch */
#define TRAMP_WINDOW (1024 * 1024) /* trampoline + room to park the vDSO */
#define TRAMP_BATCH_OFF 16 /* the batch loop of infect_calls */
#define TRAMP_SCRATCH_OFF 4096

/*
 * Pages a process shares copy-on-write with its parent (pages-cow.c): the
 * VMAs that hold them are "slots", mapped and filled in the parent before
 * it clones the child, in an area reserved in ckpt (so at the same address
 * in every process of the tree, and free in every dumped layout), and
 * moved to their place (mremap) when the address space is rebuilt.
 */
struct cow_slots {
	uint64_t *slot; /* per VMA: where its pages wait, or 0 (NULL: none) */
	bool *own; /* per VMA: the process maps its slot (else inherited) */
	struct ranges drop; /* in inherited slots: pages that are not the parent's */
	uint64_t base, len; /* the reserved area, in every process; len 0: none */
	bool fill; /* the process stops for ckpt to fill its slots */
};

struct lazy;

struct mm_plan {
	const MmEntry *mm;
	struct lazy *lazy; /* restore --lazy: the page daemon (lazy.h), or NULL */
	struct cow_slots cow;
	int shmem_base; /* shared memory object i is open at shmem_base + i */
	int close_from; /* every fd from here up is the restorer's */
	int aux_base; /* first aux fd in the new process */
	char **files; /* file i is opened at aux_base + i */
	int *file_flags;
	uint64_t *file_dev, *file_ino; /* as dumped; both 0 when unknown */
	size_t nr_files;
	int *vma_fd; /* per VMA: aux fd, or -1 */
	int exe_fd; /* aux fd of the executable, or -1 */
	uint64_t tramp; /* trampoline address */
};

/* The VMAs (from /proc/PID/maps: without their flags, see below) and the
 * mm fields of the stopped process @pid. */
int mm_dump(int pid, MmEntry *mm);

/*
 * The flags of the VMAs (madvise advice, locking, tracking...) are only in
 * /proc/PID/smaps, which walks every page of the process to count them:
 * ~40 ns a page here, 40 ms for 4 GiB. It is read on a thread of its own
 * while the pages are scanned and copied (which need no flags), and the
 * flags are filled in after; a mapping ckpt cannot restore (device or
 * hugetlb memory) is refused then.
 */
struct proc_vma;
struct trust;

struct mm_flags_read {
	pthread_t thread;
	bool started;
	int pid, r;
	struct proc_vma *pvs;
	size_t nr;
};

void mm_flags_start(struct mm_flags_read *fr, int pid);
/* Wait for it and fill in the flags of @mm (which it must match). */
int mm_flags_finish(struct mm_flags_read *fr, MmEntry *mm);
/* Wait for it, for nothing (the dump failed meanwhile). */
void mm_flags_cancel(struct mm_flags_read *fr);
int mm_dump_brk(struct infect *inf, MmEntry *mm);
/* Which files to open and where the trampoline goes; @first_aux_fd is above
 * every fd the process will have, @close_from the first that is ours. */
int mm_plan_init(struct mm_plan *plan, const MmEntry *mm, int shmem_base, int close_from,
		 int first_aux_fd);
void mm_plan_release(struct mm_plan *plan);
/* The address space of @pid as read from mm-PID.img is sane: VMAs sorted,
 * page-aligned, non-overlapping, in user space, of known kinds and flags;
 * mm fields in user space; auxv and paths bounded. Logs why not. */
int mm_check(const MmEntry *mm, int pid);
/* Check that every mapped file is still what was dumped (parent, before
 * anything is created). */
int mm_check_files(const MmEntry *mm, const struct trust *t);

/* In the new process, before it stops. */
int mm_restore_early(const struct mm_plan *plan, const struct trust *t);
/* From the parent, the new process stopped at the trampoline; its pages
 * come from the image sets @dirfds (an incremental chain, nearest first). */
int mm_restore_late(const struct mm_plan *plan, struct infect *inf, const int *dirfds,
		    size_t nr_levels);

/* vdso.c */
bool vma_is_vdso_group(uint32_t kind);
int vdso_move(struct infect *inf, const MmEntry *mm, uint64_t park);

/* pages.c, pages-restore.c */
struct pages_stats {
	uint64_t stored_pages; /* in the images */
	uint64_t parent_pages; /* left in the parent images (incremental) */
	uint64_t zero_pages; /* left out: they held only zeros */
	size_t tracked_vmas; /* VMAs dumped incrementally */
	uint64_t parent_proc_pages; /* shared with the parent process: stored there */
};

bool vma_has_pages(const VmaEntry *v);
/* The pages of @pid to store, in runs (*@runs, empty before): every page
 * of its own; with @parent_mm (the same process in the parent dump),
 * tracked VMAs that are as they were there keep their unwritten pages in
 * the parent. */
struct page_runs;
int pages_scan(int pid, const MmEntry *mm, const MmEntry *parent_mm, struct page_runs *runs,
	       struct pages_stats *st);
/*
 * Copy the runs of @pid into pages-PID.img and pagemap-PID.img. With
 * @discard (the process, to be killed after the dump), the pages are
 * dropped from the process once stored; *ret_undo then says how to give
 * them back if the dump fails later (pages_undo_discard). With @running,
 * the process runs meanwhile (a pre-dump). With @codec, pages-PID.img is
 * compressed.
 */
struct pages_write_how {
	struct infect *discard;
	bool running;
	bool keep_shared; /* the tree runs on: pages shared copy-on-write stay so */
	enum img_codec codec; /* --compress */
};

struct pages_undo;
int pages_write(int pid, const struct page_runs *runs, int dirfd, const struct pages_write_how *how,
		struct pages_undo **ret_undo, struct pages_stats *st);
int pages_undo_discard(struct pages_undo *u);
void pages_undo_free(struct pages_undo *u);
/* The pages of the process of @plan outside its slots (@inf: it is at
 * the trampoline), or (@inf NULL, process @pid stopped before it clones)
 * inside them, written at the slots' addresses. */
int pages_restore(struct infect *inf, int pid, const struct mm_plan *plan, const int *dirfds,
		  size_t nr_levels);
/* The page maps of process @pid through the chain @dirfds are sane and
 * hold every page said to be in a parent (before anything is created).
 * Logs why not. */
int pages_check(const MmEntry *mm, const int *dirfds, size_t nr_levels, int pid);
/* One page map, checked against the VMAs of @mm (NULL: a parent's, at
 * @level of the chain). */
int pagemap_check(const PagemapEntry *pm, const MmEntry *mm, int pid, size_t level);

/* mm-guard.c: guard pages (MADV_GUARD_INSTALL) */
/* Into each VMA of @mm (VmaEntry.guards). */
int mm_guards_dump(int pid, MmEntry *mm);
/* The guard pages of VMA @i are sane; logs why not. */
int mm_guards_check(const VmaEntry *v, size_t i, int pid);
/* Install them again (the process at its trampoline). Logs why it fails. */
int mm_guards_restore(struct infect *inf, const MmEntry *mm);

/* aio.c: the rings of io_setup() */
/* The ring mapped at @v in @pid: its size and position; refused (logged)
 * with completions not reaped. */
int aio_dump_vma(int pid, VmaEntry *v);
/* Once the images are written: no completion arrived meanwhile (a
 * request was in flight). Logs why not. */
int aio_recheck(int pid, const MmEntry *mm);
/* A ring's fields are sane (any VMA); logs why not. */
int aio_check(const VmaEntry *v, size_t i, int pid);
/* Every ring made again at its address, at its position. Logs why not. */
int aio_restore(struct infect *inf, const MmEntry *mm);

/* pages-cow.c */
/* Mark the pages of child @pid (runs scanned) that are still the very
 * pages of its parent @ppid (the same VMA, the same physical page) as
 * "from the parent process". @prev_dirfd (or -1): the image set an
 * incremental dump builds on, where pages once shared may be stored
 * nowhere for the child. */
int pages_cow_mark(int pid, const MmEntry *mm, int ppid, const MmEntry *pmm, int prev_dirfd,
		   struct page_runs *runs, struct pages_stats *st);
/* In the new process, before it clones: map its own slots, drop from the
 * inherited ones what is not its parent's. Logs why it fails. */
int pages_cow_premap(const struct mm_plan *plan);
void cow_slots_release(struct cow_slots *c);
bool cow_vma_ok(const VmaEntry *v);

/* shmem.c: shared anonymous memory, memfds and mapped deleted files, one
 * object however many processes map it or hold it open */
#define MEMFD_PREFIX "/memfd:"

struct shmem_seen {
	dev_t dev;
	ino_t ino;
	char *path; /* where to open it to read it */
};

struct shmem_table {
	ShmemEntry img;
	struct shmem_seen *seen; /* per object */
};

void shmem_table_init(struct shmem_table *st);
void shmem_table_release(struct shmem_table *st);
/* The object that @open_path opens (shown as @shown_path in /proc), new or
 * seen before. */
int shmem_add(struct shmem_table *st, const char *open_path, const char *shown_path,
	      uint32_t *ret_id);
/* The object of the deleted file @open_path (shown as @shown_path), new or
 * seen before; -ENOTUNIQ if it still has a name elsewhere. */
int shmem_add_deleted(struct shmem_table *st, const char *open_path, const char *shown_path,
		      uint32_t *ret_id);
/* The object of the file @dev/@ino, or -1. */
int shmem_find(const struct shmem_table *st, dev_t dev, ino_t ino);
/* Give each VMA of @pid that maps an object its object (VmaEntry.shmid). */
int shmem_dump_vmas(struct shmem_table *st, int pid, MmEntry *mm);
bool vma_is_memfd(const VmaEntry *v);
bool vma_is_deleted_file(const VmaEntry *v);
/* Mapped from a file opened by path (not from an object of shmem.c). */
bool vma_is_file(const VmaEntry *v);
/* The pages of every object, and shmem.img. */
int shmem_dump(const struct shmem_table *st, int dirfd);
/* The objects are sane and every VMA points at one. */
int shmem_check(const ShmemEntry *se, const MmEntry *const *mms, size_t nr_mms);
/* In ckpt: object i, created and filled, open at @base + i. */
int shmem_open_all(const ShmemEntry *se, const struct trust *t, int dirfd, int base);

/* mempolicy.c: each mapping's own NUMA policy (mbind), once mapped,
 * before its pages; why a policy word and @len bytes of nodes are wrong,
 * or NULL. */
int mempolicy_restore_vmas(struct infect *inf, const MmEntry *mm);
const char *mempolicy_invalid(uint32_t word, bool has_nodes, size_t len);

#endif
