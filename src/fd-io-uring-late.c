// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring, the restore's last part (fd-io-uring.c has the rest): in the
 * restored process, by remote calls once its memory is back, its rings
 * mapped at their saved addresses and its files and buffers registered
 * again. A registered buffer pins the pages of the process that registers
 * it, so the process itself registers them; the fds it registers are its
 * own numbers.
 */
#include "files.h"

#include "imgdir.h"
#include "infect.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

/* Run @n calls, going on past those that fail (their ret says so). */
static int calls_each(struct infect *inf, struct remote_call *calls, size_t n)
{
	for (size_t done = 0; done < n;) {
		size_t failed;
		int r = infect_calls(inf, calls + done, n - done, &failed);

		if (r < 0)
			return r;
		done += failed + 1;
	}
	return 0;
}

/*
 * Map the region @m of ring @fd at its saved address. The kernel maps a
 * ring only where it chooses itself: an address given to mmap or mremap
 * is -EINVAL (io_uring_get_unmapped_area, for the aliasing rules of some
 * caches). So every other free gap of the process that could hold it is
 * filled for a moment with an inaccessible reservation, leaving the saved
 * range the only place it fits; the kernel's choice is checked, and the
 * reservations removed.
 */
static int map_at(struct infect *inf, const IoUringMapEntry *m, int fd)
{
	uint64_t len = m->end - m->start, prev = 0x10000, limit = user_addr_limit();
	_cleanup_free_ struct remote_call *calls = NULL;
	struct proc_vma *vmas;
	size_t nr, n = 0;
	long got = -ENOMEM;
	int r;

	r = proc_read_maps(inf->pid, &vmas, &nr);
	if (r < 0)
		return r;
	calls = xmalloc((2 * nr + 3) * sizeof(*calls));
	for (size_t i = 0; i <= nr; i++) {
		uint64_t end = i < nr ? vmas[i].start : limit;

		if (end > limit)
			end = limit;
		if (prev <= m->start && m->end <= end) {
			/* The gap of the saved range: around it. */
			if (m->start - prev >= len)
				calls[n++] = (struct remote_call){
					SYS_mmap,
					{ (long)prev, (long)(m->start - prev), PROT_NONE,
					  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
						  MAP_FIXED_NOREPLACE,
					  -1, 0 }
				};
			if (end - m->end >= len)
				calls[n++] = (struct remote_call){
					SYS_mmap,
					{ (long)m->end, (long)(end - m->end), PROT_NONE,
					  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
						  MAP_FIXED_NOREPLACE,
					  -1, 0 }
				};
		} else if (end > prev && end - prev >= len) {
			calls[n++] = (struct remote_call){
				SYS_mmap,
				{ (long)prev, (long)(end - prev), PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
				  -1, 0 }
			};
		}
		if (i < nr && vmas[i].end > prev)
			prev = vmas[i].end;
		if (prev >= limit)
			break;
	}
	proc_vmas_free(vmas, nr);
	r = calls_each(inf, calls, n);
	if (r >= 0) {
		r = infect_syscall6(inf, SYS_mmap, &got, 0, len, m->prot, MAP_SHARED, fd, m->pgoff);
		if (r >= 0 && got >= 0 && (uint64_t)got != m->start) {
			(void)infect_syscall3(inf, SYS_munmap, &(long){ 0 }, got, len, 0);
			got = -EADDRNOTAVAIL;
		}
	}
	/* Only the reservations that took. */
	for (size_t i = 0; i < n; i++)
		if (calls[i].ret == calls[i].a[0])
			calls[i] = (struct remote_call){ SYS_munmap,
							 { calls[i].a[0], calls[i].a[1] } };
		else
			calls[i] = (struct remote_call){ SYS_getpid };
	if (calls_each(inf, calls, n) < 0 && r >= 0)
		r = -ESRCH;
	if (r < 0)
		return r;
	return got < 0 ? (int)got : 0;
}

/* In the process @inf, its fd @fd: the mappings, files and buffers. */
static int uring_late_one(struct infect *inf, const IoUringEntry *u, int fd)
{
	long ret;
	int r;

	for (size_t i = 0; i < u->n_maps; i++) {
		r = map_at(inf, u->maps[i], fd);
		if (r < 0)
			return r;
	}
	if (u->n_files) {
		r = remote_write(inf->pid, inf->scratch, u->files, u->n_files * sizeof(int32_t));
		if (r < 0)
			return r;
		r = infect_syscall6(inf, SYS_io_uring_register, &ret, fd, IORING_REGISTER_FILES,
				    inf->scratch, u->n_files, 0, 0);
		if (r < 0 || ret < 0)
			return r < 0 ? r : (int)ret;
	}
	if (u->n_bufs) {
		_cleanup_free_ struct iovec *iov = xmalloc(u->n_bufs * sizeof(*iov));

		for (size_t i = 0; i < u->n_bufs; i++) {
			iov[i].iov_base = (void *)(uintptr_t)u->bufs[i]->addr;
			iov[i].iov_len = u->bufs[i]->len;
		}
		r = remote_write(inf->pid, inf->scratch, iov, u->n_bufs * sizeof(*iov));
		if (r < 0)
			return r;
		r = infect_syscall6(inf, SYS_io_uring_register, &ret, fd, IORING_REGISTER_BUFFERS,
				    inf->scratch, u->n_bufs, 0, 0);
		if (r < 0 || ret < 0)
			return r < 0 ? r : (int)ret;
	}
	return 0;
}

int uring_restore_late(struct infect *inf, const FilesEntry *fe, const FdinfoEntry *fi, int pid,
		       const int *owner)
{
	for (size_t i = 0; i < fi->n_fds; i++) {
		const FdEntry *fd = fi->fds[i];
		const FileEntry *e = fe->files[fd->file_id];
		int r;

		if (e->kind != FD_KIND__FD_IO_URING || !files_fd_first(fi, i, pid, owner))
			continue;
		r = uring_late_one(inf, e->io_uring, (int)fd->fd);
		if (r < 0)
			return pr_errno(
				r, "cannot restore %d: cannot map and register its io_uring fd %u",
				pid, fd->fd);
	}
	return 0;
}
