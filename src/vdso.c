// SPDX-License-Identifier: GPL-2.0
/*
 * The vDSO group: [vvar], [vvar_vclock] (newer kernels) and [vdso]. The new
 * process gets its own from the kernel at a random address; we move it to
 * where the dumped process had it, since its code holds pointers into it
 * (AT_SYSINFO_EHDR, glibc's cached function pointers).
 *
 * The kernel finds the data pages relative to the code, so the whole group
 * must move by one offset: moving [vdso] alone crashes the first vDSO call.
 * We park the group first, then move it into place, so that a destination
 * overlapping the current position cannot unmap a piece still to move.
 */
#include "mm.h"

#include "proc.h"
#include "util.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

bool vma_is_vdso_group(uint32_t kind)
{
	return kind == VMA_KIND__VMA_VDSO || kind == VMA_KIND__VMA_VVAR ||
	       kind == VMA_KIND__VMA_VVAR_VCLOCK;
}

struct vdso_piece {
	const char *name;
	uint32_t kind;
	uint64_t start, end; /* current */
	uint64_t want; /* dumped start */
	bool have, dumped;
};

static struct vdso_piece *piece_by_name(struct vdso_piece *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (name && !strcmp(p[i].name, name))
			return &p[i];
	return NULL;
}

static int remote_mremap(struct infect *inf, uint64_t from, uint64_t len, uint64_t to)
{
	long ret;
	int r = infect_syscall6(inf, SYS_mremap, &ret, from, len, len,
				MREMAP_MAYMOVE | MREMAP_FIXED, to, 0);

	if (r < 0)
		return r;
	if (ret < 0 && ret > -4096)
		return (int)ret;
	return (uint64_t)ret == to ? 0 : -EFAULT;
}

static int find_current(int pid, struct vdso_piece *p, size_t n)
{
	struct proc_vma *pvs;
	size_t nr;
	int r;

	r = proc_read_maps(pid, &pvs, &nr);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nr; i++) {
		struct vdso_piece *piece = piece_by_name(p, n, pvs[i].path);

		if (piece) {
			piece->have = true;
			piece->start = pvs[i].start;
			piece->end = pvs[i].end;
		}
	}
	proc_vmas_free(pvs, nr);
	return 0;
}

static int unmap_pieces(struct infect *inf, struct vdso_piece *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		long ret;
		int r;

		if (!p[i].have)
			continue;
		r = infect_syscall3(inf, SYS_munmap, &ret, p[i].start, p[i].end - p[i].start, 0);
		if (r < 0 || ret < 0)
			return r < 0 ? r : (int)ret;
	}
	return 0;
}

/* Same pieces, same sizes, same distances between them. */
static bool layout_matches(const struct vdso_piece *p, size_t n, const MmEntry *mm)
{
	int64_t delta = 0;
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		if (p[i].have != p[i].dumped)
			return false;
		if (!p[i].have)
			continue;
		if (first)
			delta = (int64_t)(p[i].want - p[i].start);
		else if ((int64_t)(p[i].want - p[i].start) != delta)
			return false;
		first = false;
	}
	for (size_t k = 0; k < mm->n_vmas; k++)
		for (size_t i = 0; i < n; i++)
			if (mm->vmas[k]->kind == p[i].kind &&
			    mm->vmas[k]->end - mm->vmas[k]->start != p[i].end - p[i].start)
				return false;
	return true;
}

int vdso_move(struct infect *inf, const MmEntry *mm, uint64_t park)
{
	struct vdso_piece p[] = {
		{ "[vvar]", VMA_KIND__VMA_VVAR },
		{ "[vvar_vclock]", VMA_KIND__VMA_VVAR_VCLOCK },
		{ "[vdso]", VMA_KIND__VMA_VDSO },
	};
	const size_t n = ARRAY_SIZE(p);
	uint64_t base = UINT64_MAX;
	int r;

	r = find_current(inf->pid, p, n);
	if (r < 0)
		return pr_errno(r, "cannot read the mappings of %d", inf->pid);
	for (size_t k = 0; k < mm->n_vmas; k++)
		for (size_t i = 0; i < n; i++)
			if (mm->vmas[k]->kind == p[i].kind) {
				p[i].dumped = true;
				p[i].want = mm->vmas[k]->start;
			}
	if (!p[0].dumped && !p[1].dumped && !p[2].dumped) {
		r = unmap_pieces(inf, p, n);
		return r < 0 ? pr_errno(r, "cannot unmap the vDSO") : 0;
	}
	if (!layout_matches(p, n, mm))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot restore: the vDSO of this kernel differs from the dumped one");
	for (size_t i = 0; i < n; i++)
		if (p[i].have)
			base = MIN(base, p[i].start);
	for (size_t i = 0; i < n && r >= 0; i++)
		if (p[i].have)
			r = remote_mremap(inf, p[i].start, p[i].end - p[i].start,
					  park + (p[i].start - base));
	for (size_t i = 0; i < n && r >= 0; i++)
		if (p[i].have)
			r = remote_mremap(inf, park + (p[i].start - base), p[i].end - p[i].start,
					  p[i].want);
	return r < 0 ? pr_errno(r, "cannot move the vDSO") : 0;
}
