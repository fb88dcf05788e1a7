// SPDX-License-Identifier: GPL-2.0
/*
 * Letting a restored tree go, all or nothing.
 *
 * Until the let-go every process is traced with PTRACE_O_EXITKILL: a ckpt
 * that dies kills them all. But each process (and thread) is detached by
 * a call of its own, so a ckpt that died between two detaches would leave
 * the ones already detached running and the others killed: half a job.
 *
 * So, before the first detach, ckpt forks a guardian that holds a pidfd of
 * every live process of the tree and the read end of a pipe whose only
 * write end is ckpt's. ckpt writes one byte to it after the last detach:
 * that single write is the step that lets the tree go for good, and the
 * guardian exits. If the pipe closes without it, ckpt died (or failed)
 * during the let-go, and the guardian kills every process of the tree
 * (through the pidfds: never a process that reused a pid). Either every
 * process runs, or none remains.
 *
 * The guardian keeps nothing else of ckpt's open (the tree's files must
 * not have one more holder), takes no terminal signal, and is reaped by
 * ckpt once the byte is written.
 */
#include "fault.h"
#include "kinds.h"
#include "restore.h"

#include "threads.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct guardian {
	int pid;
	int wfd; /* ckpt's end of the pipe, -1 once written */
};

static bool fd_kept(int fd, const int *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/* In the guardian: every fd but @keep closed. */
static void close_others(const int *keep, size_t n)
{
	DIR *d = opendir("/proc/self/fd");
	int dfd = d ? dirfd(d) : -1;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd != dfd && !fd_kept(fd, keep, n))
			close(fd);
	}
	if (d)
		closedir(d);
}

/* @keep: the read end of the pipe, then the pidfds (made before the fork:
 * nothing is allocated here). */
static _Noreturn void guardian_main(const int *keep, size_t n)
{
	const int rfd = keep[0], *pidfds = keep + 1;
	char c;
	ssize_t got;

	close_others(keep, n + 1);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	do
		got = read(rfd, &c, 1);
	while (got < 0 && errno == EINTR);
	if (got == 1)
		_exit(0);
	/* ckpt is gone before the tree was let go: none of it remains. */
	for (size_t i = 0; i < n; i++)
		(void)syscall(SYS_pidfd_send_signal, pidfds[i], SIGKILL, NULL, 0);
	_exit(1);
}

static int guardian_start(struct restore *rs, struct guardian *g)
{
	_cleanup_free_ int *keep = xmalloc((rs->nr + 1) * sizeof(*keep));
	int *pidfds = keep + 1;
	size_t n = 0;
	int p[2], r = 0;

	g->pid = -1;
	g->wfd = -1;
	for (size_t i = 0; i < rs->nr && r >= 0; i++) {
		if (rs->procs[i].pp->role != PLAN_LIVE)
			continue;
		pidfds[n] = (int)syscall(SYS_pidfd_open, proc_host(&rs->procs[i]), 0);
		if (pidfds[n] < 0)
			r = -errno;
		else
			n++;
	}
	if (r >= 0 && pipe2(p, O_CLOEXEC) < 0)
		r = -errno;
	if (r >= 0) {
		keep[0] = p[0];
		g->pid = fork();
		if (g->pid == 0)
			guardian_main(keep, n);
		if (g->pid < 0)
			r = -errno;
		close(p[0]);
		if (r >= 0)
			g->wfd = p[1];
		else
			close(p[1]);
	}
	for (size_t i = 0; i < n; i++)
		close(pidfds[i]);
	return r;
}

/* @ok: the tree is let go for good; otherwise the guardian kills it. */
static void guardian_end(struct guardian *g, bool ok)
{
	int status;

	if (g->wfd >= 0) {
		if (ok && write(g->wfd, "1", 1) != 1)
			ok = false;
		close(g->wfd);
		g->wfd = -1;
	}
	while (g->pid > 0 && waitpid(g->pid, &status, 0) < 0 && errno == EINTR)
		;
	g->pid = -1;
}

int let_go(struct restore *rs)
{
	struct guardian g;
	int r;

	r = guardian_start(rs, &g);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot start the guardian of the let-go");
	for (size_t i = 0; i < rs->nr; i++) {
		const struct restore_proc *rp = &rs->procs[i];

		if (rp->pp->role != PLAN_LIVE)
			continue;
		if (rp->pe->stop_signal)
			(void)stop_signal_restore(rp->core, rp->pe->stop_signal);
		threads_detach(rp->core);
		if (FAULT_OR(restore_let_go, (errno = ESRCH, -1),
			     ptrace(PTRACE_DETACH, proc_host(rp), NULL, NULL)) < 0 &&
		    r >= 0)
			r = pr_errno(-errno, "cannot restore %d: cannot let it go", rp->pp->pid);
	}
	guardian_end(&g, r >= 0);
	return r;
}
