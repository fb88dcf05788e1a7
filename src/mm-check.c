// SPDX-License-Identifier: GPL-2.0
/*
 * The checks of mm-PID.img (see mm.c), before anything is created: each
 * VMA and the mm fields against what a process can have, and the files
 * mapped (and the executable) against what the dump recorded.
 */
#include "mm.h"

#include "imgdir.h"
#include "machine.h"
#include "proc.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* What @v (or the executable, @v NULL) was at the dump. */
static struct trust_file mapped_file(const char *path, const VmaEntry *v)
{
	return (struct trust_file){
		.path = path,
		.what = v ? "mapped file" : "executable",
		.mode = S_IFREG,
		.has_ino = v && v->has_dev && v->has_ino,
		.dev = v ? v->dev : 0,
		.ino = v ? v->ino : 0,
	};
}

int mm_check_files(const MmEntry *mm, const struct trust *t)
{
	int r;

	if (mm->exe_path) {
		struct trust_file tf = mapped_file(mm->exe_path, NULL);
		int fd;

		r = trust_check_path(tf.what, tf.path);
		if (r < 0)
			return r;
		fd = trust_open_verify(t, &tf, O_RDONLY | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		close(fd);
	}
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		struct trust_file tf = mapped_file(v->path, v);
		_cleanup_close_ int fd = -1;
		struct stat st;

		if (!vma_is_file(v))
			continue;
		r = trust_check_path(tf.what, tf.path ? tf.path : "");
		if (r < 0)
			return r;
		fd = trust_open_verify(t, &tf, (v->file_writable ? O_RDWR : O_RDONLY) | O_CLOEXEC,
				       0);
		if (fd < 0)
			return fd;
		if (fstat(fd, &st) < 0)
			return pr_errno(-errno, "cannot restore: mapped file '%s'", v->path);
		if ((uint64_t)st.st_size != v->file_size)
			return pr_fail(
				-ESTALE,
				"cannot restore: mapped file '%s' changed size since the dump (%llu, was %llu)",
				v->path, (unsigned long long)st.st_size,
				(unsigned long long)v->file_size);
		r = file_id_check(fd, &st, v, t->same_boot);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- checks of mm-PID.img ---- */

#define VMAS_MAX (1u << 20) /* far above vm.max_map_count */
#define AUXV_MAX 512 /* the kernel's saved_auxv is smaller */
#define VMF_KNOWN ((VMF_UFFD_WP << 1) - 1)
#define VSYSCALL_START 0xffffffffff600000ULL

static bool vma_kind_known(uint32_t kind)
{
	return kind >= VMA_KIND__VMA_ANON_PRIVATE && kind <= VMA_KIND__VMA_IO_URING;
}

static int vma_check(const VmaEntry *v, size_t i, int pid)
{
	uint64_t limit = user_addr_limit(), end;
	const char *why;

	if (!vma_kind_known(v->kind))
		return img_inconsistent(IMG_MM, pid, "vma %zu: kind %u", i, v->kind);
	if (v->kind == VMA_KIND__VMA_VSYSCALL) {
		if (v->start != VSYSCALL_START || v->end != VSYSCALL_START + PAGE_SIZE)
			return img_inconsistent(IMG_MM, pid, "vma %zu: vsyscall page at %#llx", i,
						(unsigned long long)v->start);
	} else if (v->start >= v->end || v->start % PAGE_SIZE || v->end % PAGE_SIZE ||
		   v->end > limit) {
		return img_inconsistent(IMG_MM, pid, "vma %zu: %#llx-%#llx", i,
					(unsigned long long)v->start, (unsigned long long)v->end);
	}
	if (v->prot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return img_inconsistent(IMG_MM, pid, "vma %zu: prot %#x", i, v->prot);
	if (v->vmflags & ~(uint64_t)VMF_KNOWN)
		return img_inconsistent(IMG_MM, pid, "vma %zu: flags %#llx", i,
					(unsigned long long)v->vmflags);
	/* The kernel's own mappings are VM_IO|VM_PFNMAP; memory we map is not. */
	if (!vma_is_vdso_group(v->kind) && v->kind != VMA_KIND__VMA_VSYSCALL &&
	    (v->vmflags & (VMF_IO | VMF_PFNMAP | VMF_HUGETLB)))
		return img_inconsistent(IMG_MM, pid, "vma %zu: device or hugetlb memory", i);
	if (v->pgoff % PAGE_SIZE || !add_ok(v->pgoff, v->end - v->start, &end) ||
	    end > (uint64_t)INT64_MAX)
		return img_inconsistent(IMG_MM, pid, "vma %zu: offset %#llx", i,
					(unsigned long long)v->pgoff);
	if (v->thp_bytes > v->end - v->start)
		return img_inconsistent(IMG_MM, pid, "vma %zu: thp_bytes", i);
	if (v->path && !str_fits(v->path, PATH_MAX_LEN - 1))
		return img_inconsistent(IMG_MM, pid, "vma %zu: path too long", i);
	if ((v->kind == VMA_KIND__VMA_SYSV_SHM) != v->has_sysv_shmid ||
	    (v->kind == VMA_KIND__VMA_SYSV_SHM && (v->has_shmid || v->sysv_shmid > INT32_MAX)))
		return img_inconsistent(IMG_MM, pid, "vma %zu: System V shm id", i);
	if ((v->kind == VMA_KIND__VMA_FILE_PRIVATE || v->kind == VMA_KIND__VMA_FILE_SHARED) &&
	    !v->has_shmid && (!v->path || v->path[0] != '/'))
		return img_inconsistent(IMG_MM, pid, "vma %zu: file mapping without a path", i);
	if (v->has_mempolicy_nodes && !v->has_mempolicy)
		return img_inconsistent(IMG_MM, pid,
					"vma %zu: memory policy nodes without a policy", i);
	if (v->has_mempolicy &&
	    (why = mempolicy_invalid(v->mempolicy, v->has_mempolicy_nodes, v->mempolicy_nodes.len)))
		return img_inconsistent(IMG_MM, pid, "vma %zu: %s", i, why);
	if (!file_id_valid(v))
		return img_inconsistent(IMG_MM, pid, "vma %zu: build-id of %zu bytes", i,
					v->file_build_id.len);
	if (aio_check(v, i, pid) < 0)
		return -EBADMSG;
	return mm_guards_check(v, i, pid);
}

int mm_check(const MmEntry *mm, int pid)
{
	const uint64_t *fields[] = { &mm->start_code,  &mm->end_code,  &mm->start_data,
				     &mm->end_data,    &mm->start_brk, &mm->brk,
				     &mm->start_stack, &mm->arg_start, &mm->arg_end,
				     &mm->env_start,   &mm->env_end };

	if (mm->n_vmas > VMAS_MAX)
		return img_inconsistent(IMG_MM, pid, "%zu vmas", mm->n_vmas);
	for (size_t i = 0; i < mm->n_vmas; i++) {
		int r = vma_check(mm->vmas[i], i, pid);

		if (r < 0)
			return r;
		if (i && mm->vmas[i]->start < mm->vmas[i - 1]->end)
			return img_inconsistent(
				IMG_MM, pid, "vma %zu overlaps or comes before vma %zu", i, i - 1);
	}
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (*fields[i] >= user_addr_limit())
			return img_inconsistent(IMG_MM, pid, "mm field %zu: %#llx", i,
						(unsigned long long)*fields[i]);
	if (mm->start_code > mm->end_code || mm->start_data > mm->end_data ||
	    mm->start_brk > mm->brk || mm->arg_start > mm->arg_end || mm->env_start > mm->env_end)
		return img_inconsistent(IMG_MM, pid, "mm fields out of order");
	if (mm->auxv.len > AUXV_MAX || mm->auxv.len % (2 * sizeof(uint64_t)))
		return img_inconsistent(IMG_MM, pid, "auxv of %zu bytes", mm->auxv.len);
	if (!str_fits(mm->exe_path, PATH_MAX_LEN - 1) || mm->exe_path[0] != '/')
		return img_inconsistent(IMG_MM, pid, "exe_path");
	return 0;
}
