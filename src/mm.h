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

#define TRAMP_LEN (64 * 1024) /* code page + scratch */
#define TRAMP_WINDOW (1024 * 1024) /* trampoline + room to park the vDSO */
#define TRAMP_SCRATCH_OFF 4096

struct mm_plan {
	const MmEntry *mm;
	int aux_base; /* first aux fd in the new process */
	char **files; /* file i is opened at aux_base + i */
	int *file_flags;
	size_t nr_files;
	int *vma_fd; /* per VMA: aux fd, or -1 */
	int exe_fd; /* aux fd of the executable, or -1 */
	uint64_t tramp; /* trampoline address */
};

int mm_dump(int pid, MmEntry *mm);
int mm_dump_brk(struct infect *inf, MmEntry *mm);
/* Which files to open and where the trampoline goes; @first_aux_fd is above
 * every fd the process will have. */
int mm_plan_init(struct mm_plan *plan, const MmEntry *mm, int first_aux_fd);
void mm_plan_release(struct mm_plan *plan);
/* Check that every mapped file is still what was dumped (parent, before
 * anything is created). */
int mm_check_files(const MmEntry *mm);

/* In the new process, before it stops. */
int mm_restore_early(const struct mm_plan *plan);
/* From the parent, the new process stopped at the trampoline. */
int mm_restore_late(const struct mm_plan *plan, struct infect *inf, int dirfd);

/* vdso.c */
bool vma_is_vdso_group(uint32_t kind);
int vdso_move(struct infect *inf, const MmEntry *mm, uint64_t park);

/* pages.c */
bool vma_has_pages(const VmaEntry *v);
int pages_dump(int pid, const MmEntry *mm, int dirfd, uint64_t *ret_bytes);
int pages_restore(struct infect *inf, const MmEntry *mm, int dirfd);

#endif
