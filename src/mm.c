// SPDX-License-Identifier: GPL-2.0
/*
 * VMAs and mm fields: dump from /proc/PID/maps, smaps and stat, restore by
 * remote mmap/mprotect/madvise and PR_SET_MM_MAP.
 *
 * This file: the classification of each VMA and the dump. The checks of
 * mm-PID.img and of the files it maps are in mm-check.c, the restore in
 * mm-restore.c.
 */
#include "mm.h"

#include "machine.h"
#include "proc.h"
#include "util.h"

#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static const struct {
	const char *name;
	uint32_t kind;
} special_vmas[] = {
	{ "[vdso]", VMA_KIND__VMA_VDSO },
	{ "[vvar]", VMA_KIND__VMA_VVAR },
	{ "[vvar_vclock]", VMA_KIND__VMA_VVAR_VCLOCK },
	{ "[vsyscall]", VMA_KIND__VMA_VSYSCALL },
};

static int refuse_device(int pid, uint64_t start, uint64_t end, const char *path)
{
	return pr_fail(-EOPNOTSUPP,
		       "cannot dump %d: mapping %" PRIx64 "-%" PRIx64
		       " '%s' is device or hugetlb memory (not supported)",
		       pid, start, end, path ? path : "");
}

/* Classify a VMA from /proc/PID/maps (flags come later, mm_flags_finish);
 * -EOPNOTSUPP (with a message) for what we cannot restore. */
static int vma_classify(int pid, const struct proc_vma *pv, uint32_t *ret_kind)
{
	const char *p = pv->path;

	for (size_t i = 0; p && i < ARRAY_SIZE(special_vmas); i++)
		if (!strcmp(p, special_vmas[i].name)) {
			*ret_kind = special_vmas[i].kind;
			return 0;
		}
	if (p && !strncmp(p, "/anon_hugepage", 14))
		return refuse_device(pid, pv->start, pv->end, p);
	if (p && p[0] == '[') {
		if (!strcmp(p, "[heap]") || !strcmp(p, "[stack]") || !strncmp(p, "[anon:", 6)) {
			*ret_kind =
				pv->shared ? VMA_KIND__VMA_ANON_SHARED : VMA_KIND__VMA_ANON_PRIVATE;
			return 0;
		}
		pr_err("cannot dump %d: mapping %" PRIx64 "-%" PRIx64 " '%s' is not supported", pid,
		       pv->start, pv->end, p);
		return -EOPNOTSUPP;
	}
	if (!p || (pv->shared && !strncmp(p, "/dev/zero", 9) && str_ends(p, " (deleted)"))) {
		*ret_kind = pv->shared ? VMA_KIND__VMA_ANON_SHARED : VMA_KIND__VMA_ANON_PRIVATE;
		return 0;
	}
	/* A memfd is shmem like shared anonymous memory: an object of shmem.c. */
	if (!strncmp(p, MEMFD_PREFIX, strlen(MEMFD_PREFIX)) && str_ends(p, " (deleted)")) {
		*ret_kind = pv->shared ? VMA_KIND__VMA_ANON_SHARED : VMA_KIND__VMA_FILE_PRIVATE;
		return 0;
	}
	/* The ring of io_setup(): the kernel shows it as a deleted file. */
	if (!strcmp(p, "/[aio] (deleted)")) {
		*ret_kind = VMA_KIND__VMA_AIO;
		return 0;
	}
	/* A System V segment: its shmid is the inode column. */
	if (!strncmp(p, "/SYSV", 5) && str_ends(p, " (deleted)") && pv->shared &&
	    pv->ino <= INT32_MAX) {
		*ret_kind = VMA_KIND__VMA_SYSV_SHM;
		return 0;
	}
	/* An io_uring ring: fd-io-uring.c saves its bytes and maps it again. */
	if (!strcmp(p, "anon_inode:[io_uring]") && pv->shared) {
		*ret_kind = VMA_KIND__VMA_IO_URING;
		return 0;
	}
	if (p[0] != '/' || !strncmp(p, "/SYSV", 5)) {
		pr_err("cannot dump %d: mapping %" PRIx64 "-%" PRIx64
		       " of '%s' (System V shm) is not supported yet",
		       pid, pv->start, pv->end, p);
		return -EOPNOTSUPP;
	}
	/* A deleted file (a POSIX semaphore or shm object in /dev/shm once
	 * unlinked) is an object of shmem.c too: vma_is_deleted_file(). */
	*ret_kind = pv->shared ? VMA_KIND__VMA_FILE_SHARED : VMA_KIND__VMA_FILE_PRIVATE;
	return 0;
}

static int vma_file_dump(int pid, const struct proc_vma *pv, VmaEntry *v)
{
	char path[128];
	struct stat st;

	/* map_files names the exact file mapped, even if the path moved. */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, pv->start,
		 pv->end);
	if (stat(path, &st) < 0)
		return pr_errno(-errno, "cannot stat the file mapped at %" PRIx64 " in %d",
				pv->start, pid);
	v->path = xstrdup(pv->path);
	v->has_dev = v->has_ino = v->has_file_size = v->has_file_writable = true;
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	v->file_size = st.st_size;
	file_id_dump(path, &st, v); /* mtime and build-id */
	return 0;
}

static int vmas_dump(int pid, MmEntry *mm)
{
	struct proc_vma *pvs;
	size_t nr;
	int r;

	r = proc_read_maps(pid, &pvs, &nr);
	if (r < 0)
		return pr_errno(r, "cannot read the mappings of %d", pid);
	mm->vmas = xmalloc(nr * sizeof(*mm->vmas));
	for (size_t i = 0; i < nr && r >= 0; i++) {
		const struct proc_vma *pv = &pvs[i];
		VmaEntry *v = xmalloc(sizeof(*v));

		vma_entry__init(v);
		v->start = pv->start;
		v->end = pv->end;
		v->pgoff = pv->pgoff;
		v->prot = (pv->r ? PROT_READ : 0) | (pv->w ? PROT_WRITE : 0) |
			  (pv->x ? PROT_EXEC : 0);
		mm->vmas[mm->n_vmas++] = v;
		r = vma_classify(pid, pv, &v->kind);
		if (r >= 0 &&
		    (v->kind == VMA_KIND__VMA_FILE_PRIVATE || v->kind == VMA_KIND__VMA_FILE_SHARED))
			r = vma_file_dump(pid, pv, v);
		else if (r >= 0 && v->kind == VMA_KIND__VMA_AIO)
			r = aio_dump_vma(pid, v);
		else if (r >= 0 && pv->path && pv->path[0] == '/')
			v->path = xstrdup(pv->path); /* shown as is (a memfd's name) */
		if (r >= 0 && v->kind == VMA_KIND__VMA_SYSV_SHM) {
			v->has_sysv_shmid = true;
			v->sysv_shmid = (uint32_t)pv->ino;
		}
	}
	proc_vmas_free(pvs, nr);
	return r;
}

static void *flags_read_main(void *arg)
{
	struct mm_flags_read *fr = arg;

	fr->r = proc_read_smaps(fr->pid, &fr->pvs, &fr->nr);
	return NULL;
}

void mm_flags_start(struct mm_flags_read *fr, int pid)
{
	memset(fr, 0, sizeof(*fr));
	fr->pid = pid;
	fr->started = pthread_create(&fr->thread, NULL, flags_read_main, fr) == 0;
	if (!fr->started)
		flags_read_main(fr);
}

static int flags_apply(const struct mm_flags_read *fr, MmEntry *mm)
{
	if (fr->nr != mm->n_vmas)
		return pr_fail(-EAGAIN, "cannot dump %d: its mappings changed while it was frozen",
			       fr->pid);
	for (size_t i = 0; i < fr->nr; i++) {
		const struct proc_vma *pv = &fr->pvs[i];
		VmaEntry *v = mm->vmas[i];

		if (pv->start != v->start || pv->end != v->end)
			return pr_fail(-EAGAIN,
				       "cannot dump %d: its mappings changed while it was frozen",
				       fr->pid);
		v->vmflags = pv->vmflags;
		/* The vDSO group is device-like memory of the kernel's own. */
		/* A System V segment may be hugetlb memory too (SHM_HUGETLB). */
		if ((v->kind <= VMA_KIND__VMA_FILE_SHARED || v->kind == VMA_KIND__VMA_SYSV_SHM) &&
		    (pv->vmflags & (VMF_IO | VMF_PFNMAP | VMF_HUGETLB)))
			return refuse_device(fr->pid, v->start, v->end, v->path);
		if (v->kind == VMA_KIND__VMA_FILE_SHARED || v->kind == VMA_KIND__VMA_FILE_PRIVATE)
			v->file_writable = pv->shared && (pv->vmflags & VMF_MAYWRITE);
		v->has_thp_bytes = pv->anon_huge_kb > 0;
		v->thp_bytes = pv->anon_huge_kb * 1024;
	}
	return 0;
}

void mm_flags_cancel(struct mm_flags_read *fr)
{
	if (fr->started)
		pthread_join(fr->thread, NULL);
	fr->started = false;
	proc_vmas_free(fr->pvs, fr->nr);
	fr->pvs = NULL;
	fr->nr = 0;
}

int mm_flags_finish(struct mm_flags_read *fr, MmEntry *mm)
{
	int r;

	if (fr->started)
		pthread_join(fr->thread, NULL);
	fr->started = false;
	r = fr->r < 0 ? pr_errno(fr->r, "cannot read the mappings of %d", fr->pid)
		      : flags_apply(fr, mm);
	mm_flags_cancel(fr);
	return r;
}

int mm_dump(int pid, MmEntry *mm)
{
	struct proc_stat st;
	char path[64], exe[PATH_MAX_LEN];
	char *auxv;
	size_t auxv_len;
	ssize_t n;
	int r;

	r = proc_read_stat(pid, &st);
	if (r < 0)
		return pr_errno(r, "cannot read /proc/%d/stat", pid);
	mm->start_code = st.start_code;
	mm->end_code = st.end_code;
	mm->start_data = st.start_data;
	mm->end_data = st.end_data;
	mm->start_brk = st.start_brk;
	mm->start_stack = st.start_stack;
	mm->arg_start = st.arg_start;
	mm->arg_end = st.arg_end;
	mm->env_start = st.env_start;
	mm->env_end = st.env_end;
	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	r = read_file(path, &auxv, &auxv_len);
	if (r < 0)
		return pr_errno(r, "cannot read '%s'", path);
	mm->auxv.data = (uint8_t *)auxv;
	mm->auxv.len = auxv_len;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n < 0)
		return pr_errno(-errno, "cannot read the executable of %d", pid);
	exe[n] = 0;
	/* Its mappings are saved as a deleted file's (shmem.c), but the exe
	 * link of the mm is set from a path (PR_SET_MM_MAP). */
	if (str_ends(exe, " (deleted)")) {
		_cleanup_free_ char *shown = str_escape(exe);

		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: its executable '%s' was removed (not supported)",
			       pid, shown);
	}
	mm->exe_path = xstrdup(exe);
	return vmas_dump(pid, mm);
}

/* brk is not in /proc/PID/stat: the task tells it, brk(0) returns it. */
int mm_dump_brk(struct infect *inf, MmEntry *mm)
{
	long ret;
	int r = infect_syscall3(inf, SYS_brk, &ret, 0, 0, 0);

	if (r < 0)
		return pr_errno(r, "cannot read the brk of %d", inf->pid);
	mm->brk = (uint64_t)ret;
	return 0;
}

bool vma_is_memfd(const VmaEntry *v)
{
	return v->path && !strncmp(v->path, MEMFD_PREFIX, strlen(MEMFD_PREFIX)) &&
	       str_ends(v->path, " (deleted)");
}

/* A mapping of a deleted file other than a memfd: an object of shmem.c. */
bool vma_is_deleted_file(const VmaEntry *v)
{
	return (v->kind == VMA_KIND__VMA_FILE_PRIVATE || v->kind == VMA_KIND__VMA_FILE_SHARED) &&
	       v->path && v->path[0] == '/' && str_ends(v->path, " (deleted)") && !vma_is_memfd(v);
}

/* Mapped from a file opened by path (not from an object of shmem.c). */
bool vma_is_file(const VmaEntry *v)
{
	return (v->kind == VMA_KIND__VMA_FILE_PRIVATE || v->kind == VMA_KIND__VMA_FILE_SHARED) &&
	       !v->has_shmid;
}
