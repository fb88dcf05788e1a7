// SPDX-License-Identifier: GPL-2.0
/* Dirty page tracking for incremental dumps (see track.h). */
#include "track.h"

#include "files.h"
#include "proc.h"
#include "util.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* Newer than the kernel headers of Debian 12 (Linux 6.7 ABI). */
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#define SCAN_VEC 512

void ranges_add(struct ranges *rs, uint64_t start, uint64_t end)
{
	if (rs->n && rs->v[rs->n - 1].end == start) {
		rs->v[rs->n - 1].end = end;
		return;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	rs->v[rs->n++] = (struct range){ start, end };
}

void ranges_release(struct ranges *rs)
{
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

int uffd_in_process(struct infect *inf, uint64_t features, int *ret_uffd)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int tgid = inf->tgid ? inf->tgid : inf->pid;
	long remote, ret;
	int uffd, r;

	r = infect_syscall3(inf, SYS_userfaultfd, &remote, O_CLOEXEC | O_NONBLOCK, 0, 0);
	if (r < 0)
		return r;
	if (remote < 0)
		return (int)remote;
	uffd = fd_borrow(tgid, (int)remote);
	/* Closed in the process at once: it must never see it. */
	r = infect_syscall3(inf, SYS_close, &ret, remote, 0, 0);
	if (uffd < 0)
		return uffd;
	if (r < 0 || ret < 0) {
		close(uffd);
		return r < 0 ? r : (int)ret;
	}
	if (ioctl(uffd, UFFDIO_API, &api) < 0) {
		r = -errno;
		close(uffd);
		return r;
	}
	*ret_uffd = uffd;
	return 0;
}

int track_create(struct infect *inf, int *ret_uffd)
{
	return uffd_in_process(inf, UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED, ret_uffd);
}

bool vma_is_tracked(const VmaEntry *v)
{
	return (v->vmflags & VMF_UFFD_WP) && (v->prot & PROT_WRITE) &&
	       (v->kind == VMA_KIND__VMA_ANON_PRIVATE || v->kind == VMA_KIND__VMA_FILE_PRIVATE);
}

/* Write-protect again the pages of [start, end) written since the last
 * time (PAGEMAP_SCAN: a walk that reports them, and protects them). */
static int arm(int pm_fd, uint64_t start, uint64_t end)
{
	while (start < end) {
		/* No vector: protect only, in one walk. */
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.flags = PM_SCAN_CHECK_WPASYNC | PM_SCAN_WP_MATCHING,
			.start = start,
			.end = end,
			.category_mask = PAGE_IS_WRITTEN,
		};

		if (ioctl(pm_fd, PAGEMAP_SCAN, &a) < 0)
			return -errno;
		if (a.walk_end <= start)
			return -EIO;
		start = a.walk_end;
	}
	return 0;
}

static int open_pagemap(int pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static bool vma_can_track(const VmaEntry *v)
{
	return (v->prot & PROT_WRITE) &&
	       (v->kind == VMA_KIND__VMA_ANON_PRIVATE || v->kind == VMA_KIND__VMA_FILE_PRIVATE);
}

int track_register(int uffd, int pid, MmEntry *mm)
{
	_cleanup_close_ int pm_fd = open_pagemap(pid);

	if (pm_fd < 0)
		return pm_fd;
	for (size_t i = 0; i < mm->n_vmas; i++) {
		VmaEntry *v = mm->vmas[i];
		struct uffdio_register reg = {
			.range = { v->start, v->end - v->start },
			.mode = UFFDIO_REGISTER_MODE_WP,
		};
		int r;

		if (!vma_can_track(v) || (v->vmflags & VMF_UFFD_WP))
			continue;
		/* Some kinds of VMA cannot be tracked: they are saved whole. */
		if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
			continue;
		/* The first scan finds every page "written": it arms them. */
		r = arm(pm_fd, v->start, v->end);
		if (r < 0)
			return r;
		v->vmflags |= VMF_UFFD_WP;
	}
	return 0;
}

void own_ranges_release(struct own_ranges *rs)
{
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

static void own_ranges_add(struct own_ranges *rs, const struct page_region *pr)
{
	bool written = pr->categories & PAGE_IS_WRITTEN;
	struct own_range *last = rs->n ? &rs->v[rs->n - 1] : NULL;

	if (last && last->end == pr->start && last->written == written) {
		last->end = pr->end;
		return;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	rs->v[rs->n++] = (struct own_range){ pr->start, pr->end, written };
}

int pages_own(int pagemap_fd, uint64_t start, uint64_t end, bool anon, bool tracked,
	      struct own_ranges *ret)
{
	/* Left out: the shared zero page, and in a private file mapping the
	 * pages still the file's (not written yet). Asking about the second
	 * costs a look at every page's struct page: ~40 ns a page here. */
	uint64_t not = anon ? PAGE_IS_PFNZERO : PAGE_IS_PFNZERO | PAGE_IS_FILE;
	struct page_region vec[SCAN_VEC];
	/* Guard pages show as swapped: they are no pages (mm-guard.c).
	 * Kernels before 6.14 know no such category (and show none). */
	static bool no_guard;

	if (!no_guard)
		not |= PAGE_IS_GUARD;

	while (start < end) {
		/* Present or swapped. Untracked pages count as written:
		 * PAGE_IS_WRITTEN is only meaningful under tracking. */
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.flags = tracked ? PM_SCAN_CHECK_WPASYNC : 0,
			.start = start,
			.end = end,
			.vec = (uint64_t)vec,
			.vec_len = SCAN_VEC,
			.category_inverted = not,
			.category_mask = not,
			.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
			.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_WRITTEN,
		};
		long n = ioctl(pagemap_fd, PAGEMAP_SCAN, &a);

		if (n < 0 && errno == EINVAL && (not &PAGE_IS_GUARD)) {
			no_guard = true;
			not &= ~(uint64_t)PAGE_IS_GUARD;
			continue;
		}
		if (n < 0)
			return -errno;
		for (long i = 0; i < n; i++) {
			struct page_region pr = vec[i];

			if (!tracked)
				pr.categories |= PAGE_IS_WRITTEN;
			own_ranges_add(ret, &pr);
		}
		if (a.walk_end <= start)
			return -EIO;
		start = a.walk_end;
	}
	return 0;
}

int track_rearm(int pid, const MmEntry *mm)
{
	_cleanup_close_ int pm_fd = open_pagemap(pid);

	if (pm_fd < 0)
		return pm_fd;
	for (size_t i = 0; i < mm->n_vmas; i++) {
		int r;

		if (!vma_is_tracked(mm->vmas[i]))
			continue;
		r = arm(pm_fd, mm->vmas[i]->start, mm->vmas[i]->end);
		if (r < 0)
			return r;
	}
	return 0;
}
