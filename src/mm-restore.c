// SPDX-License-Identifier: GPL-2.0
/*
 * The memory of a process at restore (see mm.c): the plan (the files to
 * map, a place for the trampoline), what is done in ckpt before the
 * process is made (mm_restore_early), and in the process, by remote
 * calls: its own mappings go, each VMA is mapped, protected and advised,
 * and the mm fields are set with PR_SET_MM_MAP (mm_restore_late).
 */
#include "mm.h"

#include "lazy.h"
#include "proc.h"
#include "trust.h"
#include "ns.h"
#include "util.h"

#include <fcntl.h>
#include <linux/prctl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static int plan_file(struct mm_plan *plan, const char *path, int flags, const VmaEntry *v)
{
	size_t n = plan->nr_files + 1;

	for (size_t i = 0; i < plan->nr_files; i++)
		if (!strcmp(plan->files[i], path) && plan->file_flags[i] == flags)
			return plan->aux_base + (int)i;
	plan->files = xrealloc(plan->files, n * sizeof(char *));
	plan->file_flags = xrealloc(plan->file_flags, n * sizeof(int));
	plan->file_dev = xrealloc(plan->file_dev, n * sizeof(uint64_t));
	plan->file_ino = xrealloc(plan->file_ino, n * sizeof(uint64_t));
	plan->files[plan->nr_files] = xstrdup(path);
	plan->file_flags[plan->nr_files] = flags;
	plan->file_dev[plan->nr_files] = v && v->has_dev && v->has_ino ? v->dev : 0;
	plan->file_ino[plan->nr_files] = v && v->has_dev && v->has_ino ? v->ino : 0;
	return plan->aux_base + (int)plan->nr_files++;
}

static bool range_free(const MmEntry *mm, const struct proc_vma *own, size_t nr_own, uint64_t a,
		       uint64_t len)
{
	for (size_t i = 0; i < mm->n_vmas; i++)
		if (a < mm->vmas[i]->end && mm->vmas[i]->start < a + len)
			return false;
	for (size_t i = 0; i < nr_own; i++)
		if (a < own[i].end && own[i].start < a + len)
			return false;
	return true;
}

/* The trampoline window must be free in the dumped layout and in ours
 * (the child starts as a copy of us). */
static int plan_trampoline(struct mm_plan *plan, const MmEntry *mm)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
	struct proc_vma *own;
	size_t nr;
	int r = -ENOSPC;

	if (!f || proc_parse_maps(f, &own, &nr) < 0)
		return pr_errno(-EIO, "cannot read our own mappings");
	for (uint64_t a = 1ULL << 32; a < (1ULL << 47) - TRAMP_WINDOW; a += 1ULL << 32)
		if (range_free(mm, own, nr, a, TRAMP_WINDOW)) {
			plan->tramp = a;
			r = 0;
			break;
		}
	proc_vmas_free(own, nr);
	return r < 0 ? pr_errno(r, "cannot find room for the restorer") : 0;
}

int mm_plan_init(struct mm_plan *plan, const MmEntry *mm, int shmem_base, int close_from,
		 int first_aux_fd)
{
	memset(plan, 0, sizeof(*plan));
	plan->mm = mm;
	plan->shmem_base = shmem_base;
	plan->close_from = close_from;
	plan->aux_base = first_aux_fd;
	plan->vma_fd = xmalloc(mm->n_vmas * sizeof(int));
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];

		plan->vma_fd[i] = -1;
		if (v->has_shmid)
			plan->vma_fd[i] = shmem_base + (int)v->shmid;
		else if (vma_is_file(v))
			plan->vma_fd[i] =
				plan_file(plan, v->path, v->file_writable ? O_RDWR : O_RDONLY, v);
	}
	plan->exe_fd = plan_file(plan, mm->exe_path, O_RDONLY, NULL);
	return plan_trampoline(plan, mm);
}

void mm_plan_release(struct mm_plan *plan)
{
	for (size_t i = 0; i < plan->nr_files; i++)
		free(plan->files[i]);
	free(plan->files);
	free(plan->file_flags);
	free(plan->file_dev);
	free(plan->file_ino);
	free(plan->vma_fd);
}

static const unsigned char tramp_code[] = { 0x0f, 0x05, 0xcc }; /* syscall; int3 */

int mm_restore_early(const struct mm_plan *plan, const struct trust *trust)
{
	void *t;

	for (size_t i = 0; i < plan->nr_files; i++) {
		struct trust_file tf = {
			.path = plan->files[i],
			.what = "mapped file",
			.mode = S_IFREG,
			.has_ino = plan->file_dev[i] || plan->file_ino[i],
			.dev = plan->file_dev[i],
			.ino = plan->file_ino[i],
		};
		int fd = trust_open_verify(trust, &tf, plan->file_flags[i] | O_CLOEXEC, 0);

		if (fd < 0)
			return fd;
		if (fd != plan->aux_base + (int)i) {
			if (dup3(fd, plan->aux_base + (int)i, O_CLOEXEC) < 0)
				return pr_errno(-errno, "cannot place mapped file '%s'",
						plan->files[i]);
			close(fd);
		}
	}
	t = mmap((void *)plan->tramp, TRAMP_LEN, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (t == MAP_FAILED || t != (void *)plan->tramp)
		return pr_errno(t == MAP_FAILED ? -errno : -EEXIST, "cannot map the restorer");
	memcpy(t, tramp_code, sizeof(tramp_code));
	memcpy((char *)t + TRAMP_BATCH_OFF, infect_batch_code, infect_batch_code_len);
	return 0;
}

/* Unmap everything the child brought from us but the trampoline and the
 * vDSO group (which vdso_move() moves). */
static int unmap_own(struct infect *inf, const struct mm_plan *plan)
{
	struct proc_vma *pvs;
	size_t nr;
	int r;

	r = proc_read_maps(inf->pid, &pvs, &nr);
	if (r < 0)
		return pr_errno(r, "cannot read the mappings of %d", inf->pid);
	for (size_t i = 0; i < nr && r >= 0; i++) {
		const char *p = pvs[i].path;
		long ret;

		if (pvs[i].start >= plan->tramp && pvs[i].end <= plan->tramp + TRAMP_LEN)
			continue;
		/* The slots go to their place from there (pages-cow.c). */
		if (plan->cow.len && pvs[i].start >= plan->cow.base &&
		    pvs[i].end <= plan->cow.base + plan->cow.len)
			continue;
		if (p && (!strcmp(p, "[vdso]") || !strcmp(p, "[vvar]") ||
			  !strcmp(p, "[vvar_vclock]") || !strcmp(p, "[vsyscall]")))
			continue;
		r = infect_syscall3(inf, SYS_munmap, &ret, pvs[i].start, pvs[i].end - pvs[i].start,
				    0);
		if (r >= 0 && ret < 0)
			r = (int)ret;
	}
	proc_vmas_free(pvs, nr);
	return r < 0 ? pr_errno(r, "cannot clear the address space of %d", inf->pid) : 0;
}

static int map_flags(const VmaEntry *v)
{
	int flags = MAP_FIXED;

	/* Shared anonymous memory is mapped from its object (shmem.c). */
	flags |= (v->kind == VMA_KIND__VMA_ANON_SHARED || v->kind == VMA_KIND__VMA_FILE_SHARED)
			 ? MAP_SHARED
			 : MAP_PRIVATE;
	if (v->kind == VMA_KIND__VMA_ANON_PRIVATE)
		flags |= MAP_ANONYMOUS;
	if (v->vmflags & VMF_GROWSDOWN)
		flags |= MAP_GROWSDOWN;
	return flags;
}

/* Pages are written through PROT_WRITE; it is taken away again after. */
static int map_prot(const VmaEntry *v)
{
	return vma_has_pages(v) ? (int)v->prot | PROT_READ | PROT_WRITE : (int)v->prot;
}

/*
 * The calls that rebuild the VMAs run in batches (infect_calls): a remote
 * call costs ~20-40 us a round trip here, and a process may have tens of
 * thousands of VMAs. Each call remembers its VMA, for the message.
 */
struct vma_calls {
	struct remote_call *v;
	size_t *vma;
	size_t n;
};

static void vma_call(struct vma_calls *vc, size_t vma, long nr, long a0, long a1, long a2, long a3,
		     long a4, long a5)
{
	vc->v = xrealloc(vc->v, (vc->n + 1) * sizeof(*vc->v));
	vc->vma = xrealloc(vc->vma, (vc->n + 1) * sizeof(*vc->vma));
	vc->v[vc->n] = (struct remote_call){ nr, { a0, a1, a2, a3, a4, a5 }, 0 };
	vc->vma[vc->n++] = vma;
}

static void vma_calls_release(struct vma_calls *vc)
{
	free(vc->v);
	free(vc->vma);
}

/* Run them; a failure names @what and the VMA. */
static int vma_calls_run(struct infect *inf, const MmEntry *mm, struct vma_calls *vc,
			 const char *what)
{
	size_t failed;
	int r = infect_calls(inf, vc->v, vc->n, &failed);
	const VmaEntry *v;

	if (r < 0)
		return pr_errno(r, "cannot %s the memory of %d", what, inf->pid);
	if (failed == vc->n)
		return 0;
	v = mm->vmas[vc->vma[failed]];
	return pr_errno((int)vc->v[failed].ret, "cannot %s %llx-%llx%s%s", what,
			(unsigned long long)v->start, (unsigned long long)v->end,
			v->path ? " of " : "", v->path ? v->path : "");
}

static const struct {
	uint64_t vmflag;
	int advice;
} vma_advice[] = {
	{ VMF_DONTDUMP, MADV_DONTDUMP },     { VMF_DONTCOPY, MADV_DONTFORK },
	{ VMF_WIPEONFORK, MADV_WIPEONFORK }, { VMF_HUGEPAGE, MADV_HUGEPAGE },
	{ VMF_NOHUGEPAGE, MADV_NOHUGEPAGE }, { VMF_SEQ_READ, MADV_SEQUENTIAL },
	{ VMF_RAND_READ, MADV_RANDOM },	     { VMF_MERGEABLE, MADV_MERGEABLE },
};

static int map_all(struct infect *inf, const struct mm_plan *plan)
{
	const MmEntry *mm = plan->mm;
	struct vma_calls vc = { 0 };
	int r;

	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		int fd = plan->vma_fd[i];

		/* A ring is made by io_setup (aio.c), an io_uring's mapped by
		 * fd-io-uring.c. */
		if (vma_is_vdso_group(v->kind) || v->kind == VMA_KIND__VMA_VSYSCALL ||
		    v->kind == VMA_KIND__VMA_AIO || v->kind == VMA_KIND__VMA_IO_URING)
			continue;
		/* Its pages are there already, some shared with the parent:
		 * moved, they stay shared. */
		if (plan->cow.slot && plan->cow.slot[i]) {
			vma_call(&vc, i, SYS_mremap, (long)plan->cow.slot[i],
				 (long)(v->end - v->start), (long)(v->end - v->start),
				 MREMAP_MAYMOVE | MREMAP_FIXED, (long)v->start, 0);
		} else if (v->kind == VMA_KIND__VMA_SYSV_SHM) {
			/* A System V attach is an attach again, where it was
			 * (the segment was made or found by sysv-ipc.c):
			 * read-only if the VMA may never be written; then its
			 * own protection. */
			vma_call(&vc, i, SYS_shmat, (long)v->sysv_shmid, (long)v->start,
				 (v->vmflags & VMF_MAYWRITE) ? 0 : SHM_RDONLY, 0, 0, 0);
			vma_call(&vc, i, SYS_mprotect, (long)v->start, (long)(v->end - v->start),
				 (long)v->prot, 0, 0, 0);
		} else {
			vma_call(&vc, i, SYS_mmap, (long)v->start, (long)(v->end - v->start),
				 map_prot(v), map_flags(v), fd, fd >= 0 ? (long)v->pgoff : 0);
		}
		for (size_t k = 0; k < ARRAY_SIZE(vma_advice); k++)
			if (v->vmflags & vma_advice[k].vmflag)
				vma_call(&vc, i, SYS_madvise, (long)v->start,
					 (long)(v->end - v->start), vma_advice[k].advice, 0, 0, 0);
	}
	r = vma_calls_run(inf, mm, &vc, "map");
	vma_calls_release(&vc);
	if (r >= 0 && plan->cow.len) {
		long ret;

		r = infect_syscall3(inf, SYS_munmap, &ret, (long)plan->cow.base,
				    (long)plan->cow.len, 0);
		if (r >= 0 && ret < 0)
			r = (int)ret;
		if (r < 0)
			r = pr_errno(r, "cannot clear the address space of %d", inf->pid);
	}
	return r;
}

static int protect_all(struct infect *inf, const MmEntry *mm)
{
	struct vma_calls vc = { 0 };
	int r;

	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];

		if (vma_has_pages(v) && map_prot(v) != (int)v->prot)
			vma_call(&vc, i, SYS_mprotect, (long)v->start, (long)(v->end - v->start),
				 (long)v->prot, 0, 0, 0);
	}
	r = vma_calls_run(inf, mm, &vc, "protect");
	vma_calls_release(&vc);
	if (r < 0)
		return r;
	vc = (struct vma_calls){ 0 };
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];

		if ((v->vmflags & VMF_LOCKED) && v->kind != VMA_KIND__VMA_IO_URING)
			vma_call(&vc, i, SYS_mlock, (long)v->start, (long)(v->end - v->start), 0, 0,
				 0, 0);
	}
	r = vma_calls_run(inf, mm, &vc, "lock");
	vma_calls_release(&vc);
	return r;
}

#define HPAGE_SIZE (2UL << 20)
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1; not in Debian 12's headers */
#endif

/*
 * Memory the process had in transparent huge pages comes back in huge
 * pages. A VMA advised MADV_HUGEPAGE gets them as it is populated; others
 * (THP "always" where it was dumped, or collapsed by khugepaged) are made
 * of huge pages here, before their pages are written: one page made in
 * each 2 MiB block, then MADV_COLLAPSE, which leaves the VMA's flags alone
 * (it cannot collapse a block with no page). Best effort: without huge
 * pages the memory is the same.
 */
static void thp_keep(struct infect *inf, const struct mm_plan *plan)
{
	const MmEntry *mm = plan->mm;

	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		uint64_t start = (v->start + HPAGE_SIZE - 1) & ~(HPAGE_SIZE - 1);
		uint64_t end = v->end & ~(HPAGE_SIZE - 1);
		struct vma_calls vc = { 0 };
		size_t failed;

		/* Populating a slot would break the sharing. */
		/* A lazy VMA's pages must stay missing until the daemon's. */
		if (!v->thp_bytes || v->kind != VMA_KIND__VMA_ANON_PRIVATE ||
		    (plan->lazy && lazy_vma_ok(v)) || (plan->cow.slot && plan->cow.slot[i]) ||
		    (v->vmflags & (VMF_HUGEPAGE | VMF_NOHUGEPAGE)) || start >= end)
			continue;
		for (uint64_t a = start; a < end; a += HPAGE_SIZE)
			vma_call(&vc, i, SYS_madvise, (long)a, PAGE_SIZE, MADV_POPULATE_WRITE, 0, 0,
				 0);
		vma_call(&vc, i, SYS_madvise, (long)start, (long)(end - start), MADV_COLLAPSE, 0, 0,
			 0);
		(void)infect_calls(inf, vc.v, vc.n, &failed);
		vma_calls_release(&vc);
	}
}

static int set_mm_fields(struct infect *inf, const struct mm_plan *plan)
{
	const MmEntry *mm = plan->mm;
	uint64_t auxv_at = inf->scratch + 256;
	struct prctl_mm_map map = {
		.start_code = mm->start_code,
		.end_code = mm->end_code,
		.start_data = mm->start_data,
		.end_data = mm->end_data,
		.start_brk = mm->start_brk,
		.brk = mm->brk,
		.start_stack = mm->start_stack,
		.arg_start = mm->arg_start,
		.arg_end = mm->arg_end,
		.env_start = mm->env_start,
		.env_end = mm->env_end,
		.auxv = (__u64 *)auxv_at,
		.auxv_size = (uint32_t)mm->auxv.len,
		.exe_fd = (uint32_t)plan->exe_fd,
	};
	long ret;
	int r;

	if (mm->auxv.len > inf->scratch_len - 256)
		return pr_fail(-E2BIG, "auxv of %zu bytes is too large", mm->auxv.len);
	r = remote_write(inf->pid, inf->scratch, &map, sizeof(map));
	if (r == 0)
		r = remote_write(inf->pid, auxv_at, mm->auxv.data, mm->auxv.len);
	if (r == 0)
		r = infect_syscall6(inf, SYS_prctl, &ret, PR_SET_MM, PR_SET_MM_MAP, inf->scratch,
				    sizeof(map), 0, 0);
	if (r < 0 || ret < 0) {
		pr_debug(
			"mm map: code %llx-%llx data %llx-%llx brk %llx-%llx stack %llx arg %llx-%llx env %llx-%llx auxv %u exe_fd %u",
			map.start_code, map.end_code, map.start_data, map.end_data, map.start_brk,
			map.brk, map.start_stack, map.arg_start, map.arg_end, map.env_start,
			map.env_end, map.auxv_size, map.exe_fd);
		return pr_errno(r < 0 ? r : (int)ret, "cannot set the mm fields (PR_SET_MM_MAP)");
	}
	return 0;
}

int mm_restore_late(const struct mm_plan *plan, struct infect *inf, const int *dirfds,
		    size_t nr_levels)
{
	long ret;
	int r;

	r = unmap_own(inf, plan);
	if (r < 0)
		return r;
	r = vdso_move(inf, plan->mm, plan->tramp + TRAMP_LEN);
	if (r < 0)
		return r;
	r = map_all(inf, plan);
	if (r < 0)
		return r;
	pr_debug("%d: %zu VMAs mapped", inf->pid, plan->mm->n_vmas);
	thp_keep(inf, plan);
	r = mempolicy_restore_vmas(inf, plan->mm);
	if (r < 0)
		return r;
	r = pages_restore(inf, ns_image_pid(inf->tgid ? inf->tgid : inf->pid), plan, dirfds,
			  nr_levels);
	if (r < 0)
		return r;
	pr_debug("%d: pages written", inf->pid);
	/* After the pages: installing a guard drops the page under it. */
	r = mm_guards_restore(inf, plan->mm);
	if (r < 0)
		return r;
	r = aio_restore(inf, plan->mm);
	if (r < 0)
		return r;
	r = protect_all(inf, plan->mm);
	if (r < 0)
		return r;
	r = set_mm_fields(inf, plan);
	if (r < 0)
		return r;
	r = infect_syscall3(inf, SYS_close_range, &ret, plan->close_from, ~0U, 0);
	if (r < 0 || ret < 0)
		return pr_errno(r < 0 ? r : (int)ret, "cannot close the restorer's files");
	return 0;
}
