// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt restore: read and check the images, create the process with its
 * PID (clone3 set_tid), rebuild process-level state in C inside it, then
 * replace its address space and registers from here through ptrace, and
 * let it go. A failure at any point kills the new process: nothing
 * half-built is left, and the images are only ever read.
 */
#include "commands.h"
#include "fds.h"
#include "imgdir.h"
#include "infect.h"
#include "kinds.h"
#include "mm.h"
#include "threads.h"
#include "util.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef RSEQ_FLAG_UNREGISTER
#define RSEQ_FLAG_UNREGISTER 1
#endif

struct restore {
	int dirfd;
	InventoryEntry *inv;
	int pid;
	TaskCoreEntry *core;
	MmEntry *mm;
	FdinfoEntry *fdinfo;
	struct mm_plan plan;
	int tty_fd; /* the caller's terminal among fds 0-2, or -1 */
	int status_pipe[2];
};

static int read_image(struct restore *rs, enum img_kind kind,
		      const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret)
{
	int r = img_read_msg(rs->dirfd, kind, rs->pid, desc, ret);

	if (r < 0) {
		_cleanup_free_ char *name = img_name(kind, rs->pid);

		pr_err("cannot restore: cannot read image '%s': %s", name, img_strerror(r));
	}
	return r;
}

/* The page image is read while restoring; check its header up front. */
static int check_pages_header(struct restore *rs)
{
	_cleanup_free_ char *name = img_name(IMG_PAGES, rs->pid);
	struct img img;
	int r = img_open_file(&img, rs->dirfd, name, IMG_PAGES);

	img_close(&img);
	if (r < 0)
		pr_err("cannot restore: cannot read image '%s': %s", name, img_strerror(r));
	return r;
}

static int find_tty(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd))
			return fd;
	return -1;
}

static int pid_in_use(int pid)
{
	char path[64], comm[64] = "?";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(comm, sizeof(comm), f))
		comm[strcspn(comm, "\n")] = 0;
	fclose(f);
	return pr_fail(-EEXIST, "cannot restore: pid %d is in use (by '%s')", pid, comm);
}

static int restore_load(struct restore *rs, const char *dir)
{
	int r;

	r = imgdir_open(dir, &rs->dirfd, &rs->inv);
	if (r < 0)
		return r;
	rs->pid = (int)rs->inv->root_pid;
	if (rs->inv->nr_tasks != 1)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot restore: images hold %u processes (trees are not supported yet)",
			rs->inv->nr_tasks);
	r = read_image(rs, IMG_CORE, &task_core_entry__descriptor, (ProtobufCMessage **)&rs->core);
	if (r >= 0)
		r = read_image(rs, IMG_MM, &mm_entry__descriptor, (ProtobufCMessage **)&rs->mm);
	if (r >= 0)
		r = read_image(rs, IMG_FDINFO, &fdinfo_entry__descriptor,
			       (ProtobufCMessage **)&rs->fdinfo);
	if (r >= 0)
		r = check_pages_header(rs);
	if (r < 0)
		return r;
	if (rs->core->pid != (uint32_t)rs->pid || rs->core->n_threads < 1 ||
	    rs->core->threads[0]->tid != (uint32_t)rs->pid)
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent");
	return 0;
}

static int restore_check(struct restore *rs)
{
	int r;

	rs->tty_fd = find_tty();
	r = fds_check(rs->fdinfo, rs->tty_fd >= 0);
	if (r < 0)
		return r;
	r = mm_check_files(rs->mm);
	if (r < 0)
		return r;
	r = pid_in_use(rs->pid);
	if (r < 0)
		return r;
	return mm_plan_init(&rs->plan, rs->mm, fds_max(rs->fdinfo) + 1);
}

/* ---- inside the new process ---- */

static int child_setup_fds(struct restore *rs)
{
	int hi = rs->plan.aux_base + (int)rs->plan.nr_files + 1;
	int log = fcntl(rs->status_pipe[1], F_DUPFD_CLOEXEC, hi);
	int tty = rs->tty_fd >= 0 ? fcntl(rs->tty_fd, F_DUPFD_CLOEXEC, hi + 1) : -1;
	int r;

	if (log < 0 || (rs->tty_fd >= 0 && tty < 0))
		return pr_errno(-errno, "cannot set up the new process");
	log_fd = log;
	(void)syscall(SYS_close_range, 0, hi - 1, 0);
	(void)syscall(SYS_close_range, MAX(log, tty) + 1, ~0U, 0);
	if (tty >= 0 && tty < log)
		(void)syscall(SYS_close_range, tty + 1, log - 1, 0);
	else if (tty > log)
		(void)syscall(SYS_close_range, log + 1, tty - 1, 0);
	r = fds_restore_early(rs->fdinfo, tty);
	if (tty >= 0)
		close(tty);
	return r;
}

static int child_restore(struct restore *rs)
{
	sigset_t all;
	int r;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	r = child_setup_fds(rs);
	if (r >= 0)
		r = task_restore_early(rs->core);
	if (r >= 0)
		r = mm_restore_early(&rs->plan);
	if (r >= 0)
		r = sigactions_restore_early(rs->core);
	if (r >= 0)
		r = rlimits_restore_early(rs->core);
	if (r < 0)
		return r;
	close(log_fd);
	log_fd = -1;
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
		return -errno;
	raise(SIGSTOP);
	/* Not reached: the parent replaces everything while we are stopped. */
	return -EFAULT;
}

/* ---- in ckpt, the new process stopped ---- */

static int wait_child_setup(struct restore *rs)
{
	char msg[1024];
	ssize_t n, got = 0;
	int status;

	while ((n = read(rs->status_pipe[0], msg + got, sizeof(msg) - 1 - got)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			got += n;
	if (got) {
		msg[got] = 0;
		fputs(msg, stderr);
		(void)waitpid(rs->pid, &status, __WALL);
		return -ECANCELED;
	}
	if (waitpid(rs->pid, &status, __WALL) < 0)
		return pr_errno(-errno, "cannot restore %d", rs->pid);
	if (!WIFSTOPPED(status))
		return pr_fail(
			-ECHILD,
			"cannot restore %d: the new process died while being set up (status %#x)",
			rs->pid, status);
	if (ptrace(PTRACE_SETOPTIONS, rs->pid, NULL, (void *)(long)PTRACE_O_EXITKILL) < 0)
		return pr_errno(-errno, "cannot restore %d", rs->pid);
	return 0;
}

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

static int restore_remote(struct restore *rs)
{
	struct user_regs_struct base;
	const ThreadCoreEntry *th = rs->core->threads[0];
	struct infect inf;
	long ret;
	int r;

	if (ptrace(PTRACE_GETREGS, rs->pid, NULL, &base) < 0)
		return pr_errno(-errno, "cannot restore %d", rs->pid);
	infect_init_at(&inf, rs->pid, rs->plan.tramp, &base);
	inf.scratch = rs->plan.tramp + TRAMP_SCRATCH_OFF;
	inf.scratch_len = TRAMP_LEN - TRAMP_SCRATCH_OFF;
	r = drop_own_rseq(&inf);
	if (r < 0)
		return pr_errno(r, "cannot restore %d: cannot drop the restorer's rseq", rs->pid);
	r = mm_restore_late(&rs->plan, &inf, rs->dirfd);
	if (r >= 0)
		r = threads_restore(&inf, rs->core);
	if (r >= 0)
		r = main_thread_restore(&inf, rs->core);
	if (r >= 0)
		r = task_restore_late(&inf, rs->core);
	if (r >= 0)
		r = itimers_restore_late(&inf, rs->core);
	if (r < 0)
		return r;
	/* The last remote call removes the code it runs from; the step trap
	 * stops the task before it executes anything there. */
	r = infect_syscall3(&inf, SYS_munmap, &ret, rs->plan.tramp, TRAMP_LEN, 0);
	if (r < 0 || ret < 0)
		return pr_errno(r < 0 ? r : (int)ret, "cannot remove the restorer");
	return regs_restore(rs->pid, th);
}

static int write_pidfile(const char *path, int pid)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
	_cleanup_free_ char *text = xasprintf("%d\n", pid);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r;

	if (fd < 0)
		return pr_errno(-errno, "cannot write pidfile '%s'", path);
	r = write_full(fd, text, strlen(text));
	close(fd);
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	return r < 0 ? pr_errno(r, "cannot write pidfile '%s'", path) : 0;
}

static int spawn(struct restore *rs)
{
	pid_t tid = rs->pid;
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uint64_t)&tid,
		.set_tid_size = 1,
	};
	long pid;

	if (pipe2(rs->status_pipe, O_CLOEXEC) < 0)
		return pr_errno(-errno, "cannot restore: pipe");
	fflush(NULL);
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		int r = -errno;

		close(rs->status_pipe[0]);
		close(rs->status_pipe[1]);
		if (r == -EEXIST)
			return pr_fail(r, "cannot restore: pid %d is in use", rs->pid);
		return pr_errno(r, "cannot restore: cannot create process %d", rs->pid);
	}
	if (pid == 0) {
		close(rs->status_pipe[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(child_restore(rs) < 0 ? 1 : 0);
	}
	close(rs->status_pipe[1]);
	return 0;
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

int cmd_restore(const struct options *o)
{
	struct restore rs = { .dirfd = -1, .tty_fd = -1 };
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	int r, status;

	r = restore_load(&rs, o->images);
	if (r >= 0)
		r = restore_check(&rs);
	if (r >= 0)
		r = spawn(&rs);
	if (r < 0)
		return r;
	r = wait_child_setup(&rs);
	close(rs.status_pipe[0]);
	if (r >= 0)
		r = restore_remote(&rs);
	if (r >= 0 && o->pidfile)
		r = write_pidfile(o->pidfile, rs.pid);
	if (r < 0) {
		kill(rs.pid, SIGKILL);
		(void)waitpid(rs.pid, &status, __WALL);
		return r == -ECANCELED ? -EINVAL : r;
	}
	threads_detach(rs.core);
	if (ptrace(PTRACE_DETACH, rs.pid, NULL, NULL) < 0) {
		r = pr_errno(-errno, "cannot restore %d: cannot let it go", rs.pid);
		kill(rs.pid, SIGKILL);
		return r;
	}
	pr_debug("restored %d in %.3f s", rs.pid, (now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	if (o->detach)
		return 0;
	return wait_restored(rs.pid);
}
