/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_TRACK_H
#define CKPT_TRACK_H
/*
 * Incremental dumps: which pages a process wrote since the last dump.
 *
 * Soft-dirty bits are not built into this kernel; userfaultfd's
 * asynchronous write-protection is. Every page of a registered VMA is
 * write-protected; a write just lifts the protection of its page (nothing
 * reaches us), and PAGEMAP_SCAN lists the pages that lost it, and can
 * protect them again in the same step.
 *
 * The userfaultfd is created by the process itself (a remote syscall),
 * taken by us (pidfd_getfd) and closed in the process, which never sees it.
 * Tracking lasts as long as a userfaultfd is open: a keeper process holds
 * them from one dump to the next (keeper.h). When it exits (the tracked
 * root died, or a final dump ended the chain), the kernel unregisters
 * everything and the process is as it was.
 *
 * No logging: 0 or -errno.
 */
#include "infect.h"
#include "mm.pb-c.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* PAGEMAP_SCAN (Linux 6.7), newer than the kernel headers of Debian 12. */
#ifndef PAGEMAP_SCAN
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
struct page_region {
	uint64_t start, end, categories;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#define PAGE_IS_WRITTEN (1 << 1)
#define PAGE_IS_FILE (1 << 2)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define PAGE_IS_PFNZERO (1 << 5)
#endif
#ifndef PAGE_IS_GUARD
#define PAGE_IS_GUARD (1 << 8) /* Linux 6.14 */
#endif

/* A stretch of pages [start, end). */
struct range {
	uint64_t start, end;
};

struct ranges {
	struct range *v;
	size_t n, cap;
};

void ranges_add(struct ranges *rs, uint64_t start, uint64_t end);
void ranges_release(struct ranges *rs);

/* A stretch of the pages of a process's own, written since the last dump
 * or not (tracked VMAs; always written elsewhere). */
struct own_range {
	uint64_t start, end;
	bool written;
};

struct own_ranges {
	struct own_range *v;
	size_t n, cap;
};

void own_ranges_release(struct own_ranges *rs);

/* The pages of [start, end) that hold data of the process's own (present
 * or swapped out; not the shared zero page; in a mapping that is not
 * @anon, not still a page of the file), in one PAGEMAP_SCAN walk; with
 * @tracked, each range says whether its pages were written since they
 * were armed (-EPERM if tracking is off there). -ENOTTY or -EINVAL on a
 * kernel without PAGEMAP_SCAN. */
int pages_own(int pagemap_fd, uint64_t start, uint64_t end, bool anon, bool tracked,
	      struct own_ranges *ret);

/* The stopped process of @inf makes a userfaultfd with the UFFDIO_API
 * @features; it becomes ours (*ret_uffd) and is gone from the process
 * (restore --lazy's as well as the tracking's). */
int uffd_in_process(struct infect *inf, uint64_t features, int *ret_uffd);

/* The stopped process of @inf makes a userfaultfd with asynchronous write
 * protection; it becomes ours (*ret_uffd) and is gone from the process. */
int track_create(struct infect *inf, int *ret_uffd);
/* VMAs whose pages are tracked by write protection (registered, writable,
 * private). */
bool vma_is_tracked(const VmaEntry *v);
/* Register with @uffd, and arm, every VMA of @pid (in @mm, as dumped)
 * that can be tracked and is not yet; mark them tracked in @mm. */
int track_register(int uffd, int pid, MmEntry *mm);
/* Arm every tracked VMA of @mm again (once the images are safe). */
int track_rearm(int pid, const MmEntry *mm);

#endif
