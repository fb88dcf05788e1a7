// SPDX-License-Identifier: GPL-2.0
/*
 * Guard pages: MADV_GUARD_INSTALL (Linux 6.13; file mappings 6.15) makes
 * pages of a VMA fault on any access without a VMA of their own, which
 * allocators use between thread stacks and around arenas. The kernel keeps
 * them as markers in the page tables: PAGEMAP_SCAN reports them as
 * PAGE_IS_GUARD (6.14), /proc/PID/pagemap with bit 58 and, surprisingly,
 * the "swapped" bit 62 too (so the page scan must leave them out: they
 * cannot be read). Restore installs them again once the pages are written.
 */
#include "mm.h"

#include "imgdir.h"
#include "track.h"
#include "util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define GUARD_VEC 256

static void guards_add(VmaEntry *v, uint64_t start, uint64_t end)
{
	if (v->n_guards && v->guards[v->n_guards - 1] == start) {
		v->guards[v->n_guards - 1] = end;
		return;
	}
	v->guards = xrealloc(v->guards, (v->n_guards + 2) * sizeof(*v->guards));
	v->guards[v->n_guards++] = start;
	v->guards[v->n_guards++] = end;
}

static int scan_guards(int pm_fd, VmaEntry *v)
{
	struct page_region vec[GUARD_VEC];

	for (uint64_t start = v->start; start < v->end;) {
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.start = start,
			.end = v->end,
			.vec = (uint64_t)vec,
			.vec_len = GUARD_VEC,
			.category_mask = PAGE_IS_GUARD,
			.return_mask = PAGE_IS_GUARD,
		};
		long n = ioctl(pm_fd, PAGEMAP_SCAN, &a);

		if (n < 0)
			return -errno;
		for (long i = 0; i < n; i++)
			guards_add(v, vec[i].start, vec[i].end);
		if (a.walk_end <= start)
			return -EIO;
		start = a.walk_end;
	}
	return 0;
}

/* Logs why it fails. */
int mm_guards_dump(int pid, MmEntry *mm)
{
	char path[64];
	_cleanup_close_ int pm_fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm_fd < 0)
		return pr_errno(-errno, "cannot read the guard pages of %d", pid);
	for (size_t i = 0; i < mm->n_vmas; i++) {
		VmaEntry *v = mm->vmas[i];
		int r;

		if (vma_is_vdso_group(v->kind) || v->kind == VMA_KIND__VMA_VSYSCALL ||
		    v->kind == VMA_KIND__VMA_AIO)
			continue;
		r = scan_guards(pm_fd, v);
		/* Before 6.14 (no PAGE_IS_GUARD, or no PAGEMAP_SCAN): none
		 * can be seen. */
		if (r == -EINVAL || r == -ENOTTY)
			return 0;
		if (r < 0)
			return pr_errno(r, "cannot read the guard pages of %d", pid);
	}
	return 0;
}

int mm_guards_check(const VmaEntry *v, size_t i, int pid)
{
	uint64_t prev = v->start;

	if (v->n_guards % 2)
		return img_inconsistent(IMG_MM, pid, "vma %zu: %zu guard bounds", i, v->n_guards);
	if (v->n_guards && (vma_is_vdso_group(v->kind) || v->kind == VMA_KIND__VMA_VSYSCALL ||
			    v->kind == VMA_KIND__VMA_AIO))
		return img_inconsistent(IMG_MM, pid, "vma %zu: guard pages in the vdso", i);
	for (size_t k = 0; k < v->n_guards; k += 2) {
		uint64_t s = v->guards[k], e = v->guards[k + 1];

		if (s % PAGE_SIZE || e % PAGE_SIZE || s >= e || s < prev || e > v->end)
			return img_inconsistent(IMG_MM, pid, "vma %zu: guard pages %#llx-%#llx", i,
						(unsigned long long)s, (unsigned long long)e);
		prev = e;
	}
	return 0;
}

int mm_guards_restore(struct infect *inf, const MmEntry *mm)
{
	struct remote_call *calls = NULL;
	size_t n = 0, failed;
	int r;

	for (size_t i = 0; i < mm->n_vmas; i++)
		for (size_t k = 0; k + 1 < mm->vmas[i]->n_guards; k += 2) {
			const uint64_t *g = &mm->vmas[i]->guards[k];

			calls = xrealloc(calls, (n + 1) * sizeof(*calls));
			calls[n++] = (struct remote_call){ SYS_madvise,
							   { (long)g[0], (long)(g[1] - g[0]),
							     MADV_GUARD_INSTALL },
							   0 };
		}
	if (!n)
		return 0;
	r = infect_calls(inf, calls, n, &failed);
	if (r >= 0 && failed < n)
		r = pr_errno((int)calls[failed].ret, "cannot restore the guard pages of %d at %#lx",
			     inf->pid, calls[failed].a[0]);
	else if (r < 0)
		r = pr_errno(r, "cannot restore the guard pages of %d", inf->pid);
	free(calls);
	return r;
}
