// SPDX-License-Identifier: GPL-2.0
/*
 * restore --lazy, ckpt's side (see lazy.h): which VMAs may come lazily,
 * the userfaultfd of each process, and the daemon they are handed to.
 */
#include "lazy.h"

#include "fault.h"
#include "files.h"
#include "lazy-proto.h"
#include "mm.h"
#include "proc.h"
#include "track.h"
#include "util.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void lazy_segs_add(struct lazy_segs *s, uint64_t start, uint64_t end, uint64_t off, uint32_t file)
{
	if (s->n && s->v[s->n - 1].end == start && s->v[s->n - 1].file == file &&
	    s->v[s->n - 1].off + (s->v[s->n - 1].end - s->v[s->n - 1].start) == off) {
		s->v[s->n - 1].end = end;
		return;
	}
	lazy_segs_push(s, start, end, off, file);
}

void lazy_segs_push(struct lazy_segs *s, uint64_t start, uint64_t end, uint64_t off, uint32_t file)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct lazy_seg){ start, end, off, file, 0 };
}

static int seg_cmp(const void *a, const void *b)
{
	const struct lazy_seg *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

void lazy_segs_sort(struct lazy_segs *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), seg_cmp);
}

void lazy_segs_release(struct lazy_segs *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/*
 * Private anonymous memory only: userfaultfd's missing mode does not
 * take private file mappings. A locked VMA would be faulted in by mlock,
 * guard pages are installed over pages already there, and a child's copy
 * of a DONTFORK or WIPEONFORK VMA must not get the parent's pages.
 */
bool lazy_vma_ok(const VmaEntry *v)
{
	return v->kind == VMA_KIND__VMA_ANON_PRIVATE && !v->has_shmid && !v->n_guards &&
	       !(v->vmflags & (VMF_LOCKED | VMF_DONTCOPY | VMF_WIPEONFORK));
}

/* ---- the socket ---- */

static int send_fds(int sk, const void *buf, size_t len, const int *fds, size_t nfds)
{
	int r;

	do
		r = sendmsg_fds(sk, buf, len, fds, nfds);
	while (r == -EINTR);
	return r;
}

/* ---- the daemon ---- */

static int daemon_start(struct lazy *lz)
{
	int sv[2];
	pid_t pid;

	if (FAULT_OR(lazy_daemon, (errno = EAGAIN, -1),
		     socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		close(sv[0]);
		lazy_daemon_main(sv[1], lz->page_server);
	}
	close(sv[1]);
	lz->daemon = pid;
	lz->sk = sv[0];
	lz->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

void lazy_abort(struct lazy *lz)
{
	page_client_stop(&lz->pc);
	if (!lz->daemon)
		return;
	(void)kill(lz->daemon, SIGKILL);
	while (waitpid(lz->daemon, NULL, 0) < 0 && errno == EINTR)
		;
	close(lz->sk);
	if (lz->pidfd >= 0)
		close(lz->pidfd);
	lz->daemon = 0;
}

void lazy_detach(struct lazy *lz)
{
	struct lazy_msg m = { .type = LAZY_GO };

	page_client_stop(&lz->pc);
	if (!lz->daemon)
		return;
	/* Best effort: on EOF without GO it would end (the restore failed). */
	(void)send_fds(lz->sk, &m, sizeof(m), NULL, 0);
	close(lz->sk);
	if (lz->pidfd >= 0)
		close(lz->pidfd);
	lz->daemon = 0;
}

/* ---- a process ---- */

/*
 * The userfaultfd is made by the process itself (a remote call: it
 * belongs to the mm of its creator), while the process still has ckpt's
 * privilege: without UFFD_USER_MODE_ONLY, so that the kernel's own
 * accesses to missing pages (copy_from_user in a syscall, a signal frame
 * on a lazy sigaltstack) wait for the daemon too rather than fail.
 * The events: a fork gives the daemon the child's own userfaultfd (else
 * the child's missing pages would silently read as zeros), munmap,
 * mremap and MADV_DONTNEED tell it not to copy stale pages there later.
 */
static int uffd_make(struct infect *inf, int *ret_uffd)
{
	uint64_t features = UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP |
			    UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP;

	return FAULT_OR(lazy_uffd, -EMFILE, uffd_in_process(inf, features, ret_uffd));
}

/* Whole VMAs: registering part of one would split it (a line more in
 * /proc/PID/maps). */
static int uffd_register(int uffd, const MmEntry *mm, const bool *vma_lazy)
{
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		struct uffdio_register reg = {
			.range = { .start = v->start, .len = v->end - v->start },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		if (!vma_lazy[i])
			continue;
		if (FAULT_OR(lazy_register, (errno = EINVAL, -1),
			     ioctl(uffd, UFFDIO_REGISTER, &reg)) < 0)
			return -errno;
	}
	return 0;
}

static int hand_over(struct lazy *lz, int pid, int img_pid, int uffd, int pidfd,
		     const struct lazy_segs *segs, const int *files, size_t nr_files,
		     uint32_t remote)
{
	int fds[LAZY_MAX_FDS];
	struct lazy_msg m = {
		.type = LAZY_PROC,
		.pid = pid,
		.nr_files = (uint32_t)nr_files,
		.remote = remote,
		.nr = segs->n,
		.img_pid = img_pid,
	};
	int32_t ack;
	ssize_t n;
	int r;

	fds[0] = uffd;
	fds[1] = pidfd;
	memcpy(fds + 2, files, nr_files * sizeof(int));
	r = FAULT_OR(lazy_hand_over, -EPIPE, send_fds(lz->sk, &m, sizeof(m), fds, nr_files + 2));
	for (size_t i = 0; i < segs->n && r >= 0; i += LAZY_SEGS_PER_MSG) {
		struct {
			struct lazy_msg m;
			struct lazy_seg s[LAZY_SEGS_PER_MSG];
		} chunk;
		size_t k = MIN(segs->n - i, LAZY_SEGS_PER_MSG);

		chunk.m = (struct lazy_msg){ .type = LAZY_SEGS, .pid = pid, .nr = k };
		memcpy(chunk.s, segs->v + i, k * sizeof(*chunk.s));
		r = send_fds(lz->sk, &chunk, sizeof(chunk.m) + k * sizeof(*chunk.s), NULL, 0);
	}
	if (r < 0)
		return r;
	m = (struct lazy_msg){ .type = LAZY_END, .pid = pid };
	r = send_fds(lz->sk, &m, sizeof(m), NULL, 0);
	if (r < 0)
		return r;
	/* From its answer on, it serves the faults. */
	do
		n = recv(lz->sk, &ack, sizeof(ack), 0);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(ack))
		return n < 0 ? -errno : -EPIPE;
	return ack < 0 ? ack : 0;
}

int lazy_uffd(struct infect *inf, bool must, int *ret_uffd)
{
	int pid = inf->tgid ? inf->tgid : inf->pid;
	int r = uffd_make(inf, ret_uffd);

	/*
	 * A process in a user namespace of its own has not the capability
	 * (CAP_SYS_PTRACE of the host) that a userfaultfd serving the
	 * kernel's accesses too needs: its memory is written now.
	 */
	if (r == -EPERM && !must) {
		pr_debug("%d: no userfaultfd (%s): its memory is restored in place", pid,
			 strerror(EPERM));
		return 1;
	}
	return r < 0 ? pr_errno(r, "cannot restore %d lazily: userfaultfd", pid) : 0;
}

int lazy_hand_over(struct lazy *lz, struct infect *inf, int uffd_in, int img_pid, const MmEntry *mm,
		   const bool *vma_lazy, const struct lazy_segs *segs, const int *files,
		   size_t nr_files, uint32_t remote)
{
	int pid = inf->tgid ? inf->tgid : inf->pid;
	_cleanup_close_ int uffd = uffd_in, pidfd = -1;
	int r;

	if (nr_files + 2 > LAZY_MAX_FDS)
		return pr_fail(-E2BIG, "cannot restore %d lazily: a chain of %zu image sets", pid,
			       nr_files);
	if (!lz->daemon) {
		r = daemon_start(lz);
		if (r < 0)
			return pr_errno(r, "cannot restore lazily: cannot start the page daemon");
	}
	r = uffd_register(uffd, mm, vma_lazy);
	if (r < 0)
		return pr_errno(r, "cannot restore %d lazily: cannot register its memory", pid);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return pr_errno(-errno, "cannot restore %d lazily: pidfd", pid);
	r = hand_over(lz, pid, img_pid, uffd, pidfd, segs, files, nr_files, remote);
	if (r < 0)
		return pr_errno(r, "cannot restore %d lazily: cannot hand it to the page daemon",
				pid);
	return 0;
}
