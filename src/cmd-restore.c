// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt restore: read and check the images, open the tree's files, create
 * every process with its pid (restore-tree.c), then replace each one's
 * address space, threads and registers from here through ptrace, and let
 * them all go at once. A failure at any point kills everything created:
 * nothing half-built is left, and the images are only ever read.
 * Loading and checking the images is in restore-prepare.c.
 */
#include "cgroup.h"
#include "commands.h"
#include "ns.h"
#include "fault.h"
#include "files.h"
#include "imgdir.h"
#include "incremental.h"
#include "infect.h"
#include "kinds.h"
#include "lazy.h"
#include "mm.h"
#include "ns-net.h"
#include "ns.h"
#include "pages.h"
#include "proc.h"
#include "progress.h"
#include "restore.h"
#include "stream.h"
#include "threads.h"
#include "util.h"

#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef RSEQ_FLAG_UNREGISTER
#define RSEQ_FLAG_UNREGISTER 1
#endif

static const struct restore_proc *proc_of(const struct restore *rs, int pid)
{
	for (size_t i = 0; i < rs->nr; i++)
		if (rs->procs[i].pp->pid == pid)
			return &rs->procs[i];
	return NULL;
}

/* ckpt opens every file of the tree once, for all processes to inherit. */
static int open_shared(struct restore *rs)
{
	struct files_open fo = {
		.fe = rs->files,
		.trust = &rs->trust,
		.base = rs->base,
		.shmem_base = rs->shmem_base,
		.nr_shmem = rs->shmem->n_objects,
		.tty_fd = rs->tty_fd,
		.dirfd = rs->dirfd,
		.inherit = rs->inherit,
		.nr_inherit = rs->nr_inherit,
	};
	_cleanup_free_ const CredsEntry **creds =
		xzalloc((rs->files->n_files + 1) * sizeof(*creds));
	_cleanup_free_ int *netns = xzalloc((rs->files->n_files + 1) * sizeof(*netns));
	int log[2], r;

	for (size_t i = 0; i < rs->files->n_files; i++) {
		const struct restore_proc *rp =
			rs->file_owner[i] ? proc_of(rs, rs->file_owner[i]) : NULL;

		creds[i] = rp && rp->core ? rp->core->creds : NULL;
		netns[i] = rp ? netns_restore_fd(rs, (size_t)(rp - rs->procs)) : -1;
	}
	fo.file_creds = creds;
	fo.file_netns = netns;
	/* What the namespaces are made with inside them, where ckpt's
	 * /proc is not. First: a socket or pipe opened below may take the
	 * lowest free number, which can be in this range once every file
	 * is at its place, and a dup3 over it would close it. */
	for (size_t k = 0; k < rs->nr_pass; k++)
		if (rs->pass[k] >= 0 &&
		    FAULT_OR(restore_pass_fd, (errno = EMFILE, -1),
			     dup3(rs->pass[k], restore_passed_fd(rs, k), O_CLOEXEC)) < 0)
			return pr_errno(-errno,
					"cannot restore: cannot hand a namespace's fd down");
	/* Objects first: memfd descriptions are opened from them. */
	r = FAULT_OR(restore_open_shmem,
		     pr_errno(-EMFILE, "cannot restore: cannot open shared memory"),
		     shmem_open_all(rs->shmem, &rs->trust, rs->dirfd, rs->shmem_base));
	if (r >= 0)
		r = FAULT_OR(restore_open_files,
			     pr_errno(-EMFILE, "cannot restore: cannot open a file"),
			     files_open_all(&fo));
	if (r < 0)
		return r;
	r = FAULT_OR(restore_log_pipe, -EMFILE, pipe2(log, O_CLOEXEC) < 0 ? -errno : 0);
	if (r < 0)
		return pr_errno(r, "cannot restore: pipe");
	r = 0;
	if (log[1] != rs->log_fd) {
		r = dup3(log[1], rs->log_fd, 0) < 0 ? -errno : 0;
		close(log[1]);
	}
	rs->log_pipe = fd_move_above(log[0], rs->first_aux);
	if (r < 0 || rs->log_pipe < 0)
		return pr_errno(r < 0 ? r : rs->log_pipe, "cannot restore: pipe");
	(void)fcntl(rs->log_pipe, F_SETFL, O_NONBLOCK);
	return 0;
}

/* ---- from ckpt, each live process stopped ---- */

/* The new process still has our rseq registration; its area is about to
 * be unmapped, and the kernel would go on writing there. */
static int drop_own_rseq(struct infect *inf)
{
	struct {
		uint64_t ptr;
		uint32_t size, sig, flags, pad;
	} rc = { 0 };
	long ret;
	int r;

	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, inf->pid, (void *)sizeof(rc), &rc) < 0)
		return -errno;
	if (!rc.ptr)
		return 0;
	r = infect_syscall6(inf, SYS_rseq, &ret, rc.ptr, rc.size, RSEQ_FLAG_UNREGISTER, rc.sig, 0,
			    0);
	return r < 0 ? r : (int)MIN(ret, 0);
}

/* Helpers it is the parent of are zombies now: reap them, as the process
 * would never know them. */
static int reap_helpers(struct restore *rs, size_t i, struct infect *inf)
{
	for (size_t j = 0; j < rs->nr; j++) {
		long ret;
		int r;

		if (rs->procs[j].pp->role != PLAN_HELPER || rs->procs[j].parent != (int)i)
			continue;
		r = infect_syscall6(inf, SYS_wait4, &ret, ns_pid_in(rs, i, rs->procs[j].pp->pid), 0,
				    __WALL, 0, 0, 0);
		if (r < 0 || ret < 0)
			return pr_errno(r < 0 ? r : (int)ret,
					"cannot restore: cannot reap helper %d",
					rs->procs[j].pp->pid);
	}
	return 0;
}

/* Signals the restore itself raised (SIGCHLD from zombies and helpers) are
 * pending, blocked: take them all before the dumped ones are queued. */
static int flush_pending(struct infect *inf)
{
	uint64_t all = ~0ULL;
	struct timespec zero = { 0, 0 };
	uint64_t set_at = inf->scratch, ts_at = inf->scratch + 16;
	long ret = 0;
	int r;

	r = remote_write(inf->pid, set_at, &all, sizeof(all));
	if (r == 0)
		r = remote_write(inf->pid, ts_at, &zero, sizeof(zero));
	while (r == 0) {
		r = infect_syscall6(inf, SYS_rt_sigtimedwait, &ret, set_at, 0, ts_at, 8, 0, 0);
		if (r == 0 && ret < 0)
			break;
	}
	if (r < 0 || ret != -EAGAIN)
		return pr_errno(r < 0 ? r : (int)ret, "cannot restore: cannot clear signals");
	return 0;
}

static int restore_remote(struct restore *rs, size_t i)
{
	struct restore_proc *rp = &rs->procs[i];
	int pid = proc_host(rp); /* ckpt's name for it (the host's); rp->pp->pid names its images */
	struct user_regs_struct base;
	struct infect inf;
	long ret;
	int r;

	r = FAULT_OR(restore_getregs, -ESRCH,
		     ptrace(PTRACE_GETREGS, pid, NULL, &base) < 0 ? -errno : 0);
	if (r < 0)
		return pr_errno(r, "cannot restore %d", pid);
	infect_init_at(&inf, pid, rp->plan.tramp, &base);
	inf.scratch = rp->plan.tramp + TRAMP_SCRATCH_OFF;
	inf.scratch_len = TRAMP_LEN - TRAMP_SCRATCH_OFF;
	inf.batch_ip = rp->plan.tramp + TRAMP_BATCH_OFF;
	r = FAULT_OR(restore_drop_rseq, -EINVAL, drop_own_rseq(&inf));
	if (r < 0)
		return pr_errno(r, "cannot restore %d: cannot drop the restorer's rseq", pid);
	r = reap_helpers(rs, i, &inf);
	if (r >= 0)
		r = FAULT_OR(restore_flush_pending,
			     pr_errno(-EINTR, "cannot restore: cannot clear signals"),
			     flush_pending(&inf));
	if (r >= 0)
		r = FAULT_OR(restore_mm_late,
			     pr_errno(-ENOMEM, "cannot restore %d: cannot map its memory", pid),
			     mm_restore_late(&rp->plan, &inf, rs->chain, rs->nr_chain));
	if (r >= 0)
		r = ipc_restore_late(&inf, ns_ipc_entry(rs, i) ?: rs->ipc);
	/* After the restorer's fds are closed: closing one would drop them. */
	if (r >= 0)
		r = FAULT_OR(restore_locks_late,
			     pr_errno(-ENOLCK, "cannot restore %d: cannot take its locks", pid),
			     locks_restore_posix_late(&inf, rs->files, rp->fdinfo));
	/* Its rings at their addresses, its buffers registered: its memory
	 * is back (a registered buffer pins the pages of the caller). */
	if (r >= 0)
		r = FAULT_OR(
			restore_io_uring_late,
			pr_errno(-EIO, "cannot restore %d: cannot bring back its io_uring", pid),
			uring_restore_late(&inf, rs->files, rp->fdinfo, rp->pp->pid,
					   rs->file_owner));
	if (r >= 0)
		r = FAULT_OR(restore_threads,
			     pr_errno(-EAGAIN, "cannot restore %d: cannot create its threads", pid),
			     threads_restore(&inf, rp->core, rs, i));
	if (r >= 0)
		r = FAULT_OR(restore_main_thread,
			     pr_errno(-EINVAL, "cannot restore %d: cannot set up its thread", pid),
			     main_thread_restore(&inf, rp->core));
	if (r >= 0)
		r = prctl_restore_late(&inf, rp->core);
	if (r >= 0)
		r = membarrier_restore_late(&inf, rp->core);
	if (r >= 0)
		r = FAULT_OR(restore_itimers_late,
			     pr_errno(-EINVAL, "cannot restore %d: cannot set its timers", pid),
			     itimers_restore_late(&inf, rp->core));
	if (r >= 0)
		r = sched_restore_late(rp->core);
	if (r >= 0)
		r = posix_timers_create_late(&inf, rp->core);
	if (r >= 0)
		r = posix_timers_arm_late(&inf, rp->core);
	if (r >= 0)
		r = mq_notify_restore_late(&inf, pid, rp->core);
	/* Seccomp and the exact capabilities, checked: our calls from here
	 * on bypass the filters (see seccomp.h). */
	if (r >= 0)
		r = FAULT_OR(restore_creds_last,
			     pr_errno(-EPERM, "cannot restore %d: cannot set its credentials", pid),
			     creds_restore_last(&inf, rp->core));
	/* The dumpable flag only once no thread holds more than the image
	 * gives it (see creds.c). */
	if (r >= 0)
		r = FAULT_OR(restore_task_late,
			     pr_errno(-EINVAL, "cannot restore %d: cannot set its state", pid),
			     task_restore_late(&inf, rp->core));
	/* F_SETOWN records the caller's credentials: after them. */
	if (r >= 0)
		r = fd_audit_restore_late(&inf, rs->files, rp->fdinfo, rs->file_owner);
	if (r < 0)
		return r;
	/* The last remote call removes the code it runs from; the step trap
	 * stops the task before it executes anything there. */
	r = FAULT_OR(restore_unmap_restorer, -ESRCH,
		     infect_syscall3(&inf, SYS_munmap, &ret, rp->plan.tramp, TRAMP_LEN, 0));
	if (r < 0 || ret < 0)
		return pr_errno(r < 0 ? r : (int)ret, "cannot remove the restorer");
	r = FAULT_OR(restore_threads_finish,
		     pr_errno(-ESRCH, "cannot restore %d: cannot finish its threads", pid),
		     threads_finish(rp->core));
	return r < 0 ? r
		     : FAULT_OR(
			       restore_regs,
			       pr_errno(-ESRCH, "cannot restore %d: cannot set its registers", pid),
			       regs_restore(pid, rp->core->threads[0]));
}

static int restore_all_remote(struct restore *rs)
{
	for (size_t i = 0; i < rs->nr; i++) {
		int r;

		if (rs->procs[i].pp->role != PLAN_LIVE)
			continue;
		r = restore_remote(rs, i);
		if (r < 0)
			return r;
	}
	relay_pool_drain();
	return 0;
}

/* Every process is rebuilt and stopped: what the kinds leave to the very
 * end (connections out of TCP repair mode). */
static int restore_files_last(struct restore *rs)
{
	size_t nr_ids = 0;
	_cleanup_free_ int *ids = tree_ids(rs, &nr_ids);

	for (size_t i = 0; i < rs->nr; i++) {
		const struct restore_proc *rp = &rs->procs[i];
		int r;

		if (rp->pp->role != PLAN_LIVE)
			continue;
		r = FAULT_OR(
			restore_files_last,
			pr_errno(-EIO, "cannot restore %d: cannot finish its files", rp->pp->pid),
			files_restore_last(rs->files, rp->fdinfo, rp->pp->pid, rs->file_owner));
		if (r >= 0)
			r = FAULT_OR(restore_pidfds,
				     pr_errno(-ESRCH, "cannot restore %d: cannot open its pidfds",
					      rp->pp->pid),
				     pidfds_restore_late(proc_host(rp), rs->files, rp->fdinfo, ids,
							 nr_ids));
		if (r >= 0)
			r = FAULT_OR(restore_procfiles,
				     pr_errno(-ESRCH,
					      "cannot restore %d: cannot open its /proc files",
					      rp->pp->pid),
				     procfiles_restore_late(proc_host(rp), rs->files, rp->fdinfo));
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * The pidfile appears whole: written under a new name of its own in the
 * same directory, then renamed over @path. Everything goes through one fd
 * of the directory, and the temporary file is new (O_EXCL|O_NOFOLLOW):
 * whatever someone planted there (a symlink at PATH.tmp) is neither
 * followed nor in the way.
 */
static int write_pidfile(const char *path, int pid)
{
	_cleanup_free_ char *copy1 = xstrdup(path), *copy2 = xstrdup(path);
	_cleanup_free_ char *text = xasprintf("%d\n", pid), *tmp = NULL;
	const char *base = basename(copy2);
	_cleanup_close_ int dirfd = open(dirname(copy1), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = -1, r;

	if (FAULT_OR(restore_pidfile, (errno = EROFS, -1), dirfd) < 0)
		return pr_errno(-errno, "cannot write pidfile '%s'", path);
	for (int tries = 0; fd < 0 && tries < 16; tries++) {
		char id[IMAGE_ID_LEN + 1];

		image_id_new(id);
		free(tmp);
		tmp = xasprintf(".%s.%.12s.tmp", base, id);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		return pr_errno(-errno, "cannot write pidfile '%s'", path);
	r = write_full(fd, text, strlen(text));
	close(fd);
	if (r >= 0 && renameat(dirfd, tmp, dirfd, base) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return pr_errno(r, "cannot write pidfile '%s'", path);
	}
	return 0;
}

/* A restore that fails after the pidfile was written takes it back, if it
 * still names the root (nothing else ckpt did not write is removed). */
static void remove_pidfile(const char *path, int pid)
{
	_cleanup_free_ char *copy1 = xstrdup(path), *copy2 = xstrdup(path);
	_cleanup_free_ char *want = xasprintf("%d\n", pid);
	const char *base = basename(copy2);
	_cleanup_close_ int dirfd = open(dirname(copy1), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = -1;
	char have[32] = "";

	if (dirfd < 0)
		return;
	fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || read(fd, have, sizeof(have) - 1) < 0 || strcmp(have, want))
		return;
	(void)unlinkat(dirfd, base, 0);
}

static int wait_restored(int pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pr_errno(-errno, "cannot wait for %d", pid);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int restore_run(struct restore *rs, const struct options *o)
{
	int root = (int)rs->inv->root_pid;
	int r;

	r = cgroup_make(rs);
	if (r >= 0)
		r = ipc_restore(rs->ipc, rs->dirfd, &rs->trust, &rs->ipc_st);
	if (r >= 0)
		r = open_shared(rs);
	if (r >= 0)
		r = tree_spawn(rs);
	if (r >= 0)
		r = ns_check_groups(rs);
	if (r >= 0)
		r = restore_all_remote(rs);
	if (r >= 0)
		r = cgroup_join_threads(rs);
	if (r >= 0)
		r = restore_files_last(rs);
	/* After the last remote call that steps a process (see sigtrap.c). */
	if (r >= 0)
		r = FAULT_OR(restore_sigtrap_last,
			     pr_errno(-ESRCH, "cannot restore: cannot set the SIGTRAP actions"),
			     sigtrap_restore_last(rs));
	if (r >= 0)
		r = ns_ready_all(rs);
	if (r >= 0)
		r = ipc_restore_finish(rs->ipc, &rs->ipc_st);
	/* The line ends before the tree may write to the terminal (on a
	 * failure, its message takes the line's place). */
	if (r >= 0)
		progress_end();
	/* Migration: the tree whole, held until the source has let its own go. */
	if (r >= 0 && o->handshake)
		r = stream_restore_ready();
	if (r >= 0 && o->pidfile) {
		r = write_pidfile(o->pidfile, root);
		if (r >= 0) {
			r = let_go(rs);
			if (r < 0)
				remove_pidfile(o->pidfile, root);
			else if (o->handshake)
				stream_restore_running(root);
			return r;
		}
	}
	if (r >= 0)
		r = let_go(rs);
	if (r >= 0 && o->handshake)
		stream_restore_running(root);
	return r;
}

int cmd_restore(const struct options *o)
{
	struct restore rs = { .opts = o };
	struct lazy lz = { .page_server = o->page_server };
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	const char *images = o->images;
	int r, root;

	if (o->new_pidns)
		return restore_new_pidns(o);
	/* Before ckpt opens anything: an --inherit-fd is the caller's. */
	for (int i = 0; i < o->nr_inherit; i++)
		if (fcntl(o->inherit[i].fd, F_GETFD) < 0)
			return pr_fail(-EBADF,
				       "cannot restore: --inherit-fd fd[%d]:%s: fd %d is not open",
				       o->inherit[i].fd, o->inherit[i].id, o->inherit[i].fd);
	imgdir_pages_elsewhere(o->page_server);
	/* --images -: the set from stdin, in a private stage (stream.h). */
	r = strcmp(images, "-") ? 0 : stream_restore_receive(&images, !o->handshake);
	if (r >= 0)
		r = restore_prepare(&rs, images, o->inherit, o->nr_inherit, o);
	if (r >= 0)
		r = cgroup_plan(&rs, o->cgroup_root, o->nr_cgroup_root);
	if (r < 0) {
		restore_release(&rs);
		stream_restore_done();
		return r;
	}
	for (size_t i = 0; o->lazy && i < rs.nr; i++)
		rs.procs[i].plan.lazy = &lz;
	rs.caller_pgid = getpgid(0);
	rs.outside_pgid = (int)rs.pstree->procs[0]->pgid;
	/* Orphans of a failed restore come to us, to be reaped at once. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	r = restore_run(&rs, o);
	if (r < 0) {
		/* First: tree_kill waits for every child of ours. No process
		 * of the tree has run yet, none has seen a missing page. */
		lazy_abort(&lz);
		tree_kill(&rs);
		ipc_restore_undo(rs.ipc, &rs.ipc_st);
		cgroup_undo(&rs);
		restore_release(&rs);
		stream_restore_done();
		return r == -ECANCELED ? -EINVAL : r;
	}
	(void)prctl(PR_SET_CHILD_SUBREAPER, 0);
	lazy_detach(&lz);
	pr_debug("restored %zu processes in %.3f s", rs.nr, (now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	root = (int)rs.inv->root_pid;
	restore_release(&rs);
	stream_restore_done();
	return o->detach ? 0 : wait_restored(root);
}
