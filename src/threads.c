// SPDX-License-Identifier: GPL-2.0
/*
 * Threads on restore. Once the address space is the dumped one, the main
 * thread creates each other thread by a remote clone3 with set_tid (its
 * TID) and no stack of its own: with PTRACE_O_TRACECLONE the new thread
 * stops before it runs a single instruction, and gets its real registers,
 * stack and TLS from us. Then each thread registers its rseq area, robust
 * list and tid address, takes its name, signals and credentials itself;
 * its registers are set last (threads_finish), after creds_restore_last.
 */
#include "threads.h"

#include "ns.h"
#include "restore.h"
#include "seize.h"
#include "util.h"

#include <dirent.h>
#include <linux/sched.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define THREAD_CLONE_FLAGS \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

/* The thread of process @pid (as ckpt sees both) whose tid in its own pid
 * namespace is @inner: how ckpt sees it. */
static int host_tid(int pid, int inner)
{
	char path[64];
	struct dirent *de;
	DIR *dir;
	int found = -ESRCH;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while (found < 0 && (de = readdir(dir))) {
		int nspid[NS_LEVELS_MAX], nr = 0, tid = atoi(de->d_name);

		if (tid > 0 && ns_read_thread_nspid(pid, tid, nspid, &nr) == 0 && nr &&
		    nspid[nr - 1] == inner)
			found = tid;
	}
	closedir(dir);
	return found;
}

/* Thread @tid, with its tid in every pid namespace the process is in
 * (@tids, innermost first: the clone3 returns that one), or only in those
 * it may give (ns_thread_host_given: the host gives the others). Returns
 * its tid as ckpt sees it. */
static int clone_thread(struct infect *main_inf, int tid, const int32_t *tids, int nr, bool given)
{
	struct clone_args args = {
		.flags = THREAD_CLONE_FLAGS,
		.set_tid = nr > 0 ? main_inf->scratch + sizeof(struct clone_args) : 0,
		.set_tid_size = nr > 0 ? (uint64_t)nr : 0,
	};
	long ret;
	int status, r, host = tid;

	if (nr < 0)
		return pr_errno(nr, "cannot restore thread %d", tid);
	r = remote_write(main_inf->pid, main_inf->scratch, &args, sizeof(args));
	if (r == 0 && nr > 0)
		r = remote_write(main_inf->pid, args.set_tid, tids, (size_t)nr * sizeof(*tids));
	if (r == 0)
		r = infect_syscall3(main_inf, SYS_clone3, &ret, main_inf->scratch, sizeof(args), 0);
	if (r == 0 && ret < 0)
		r = (int)ret;
	if (r == 0 && nr > 0 && ret != tids[0])
		r = -EEXIST;
	if (r == 0 && given)
		r = host = host_tid(main_inf->pid, (int)ret);
	if (r < 0)
		return r == -EEXIST ? pr_fail(r, "cannot restore thread %d: the tid is in use", tid)
				    : pr_errno(r, "cannot restore thread %d", tid);
	/* Auto-attached: it stops before running anything. */
	r = ptrace_wait_stop(host, &status);
	return r < 0 ? pr_errno(r, "cannot restore thread %d", tid) : host;
}

static int thread_setup(struct infect *inf, const TaskCoreEntry *core, size_t i)
{
	const ThreadCoreEntry *th = core->threads[i];
	int r;

	r = rseq_restore_late(inf, th);
	if (r >= 0)
		r = thread_ptrs_restore_late(inf, th);
	if (r >= 0)
		r = thread_comm_restore_late(inf, th);
	if (r >= 0)
		r = signals_restore_thread_late(inf, th);
	if (r >= 0)
		r = prctl_restore_thread_late(inf, th);
	if (r >= 0)
		r = mempolicy_restore_thread_late(inf, th);
	if (r >= 0)
		r = creds_restore_thread(inf, core, i);
	return r;
}

int threads_restore(struct infect *main_inf, const TaskCoreEntry *core, const struct restore *rs,
		    size_t proc)
{
	long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE;
	struct restore_proc *rp = &rs->procs[proc];

	if (core->n_threads < 2)
		return 0;
	/* The host's tids of its threads (ns_host_pid), once known. */
	if (rp->host_given || ns_thread_host_given(rs, proc)) {
		rp->host_given = true;
		if (!rp->host)
			rp->host = rp->pp->pid;
		free(rp->thread_host);
		rp->thread_host = xzalloc(core->n_threads * sizeof(*rp->thread_host));
		for (size_t t = 1; t < core->n_threads; t++)
			rp->thread_host[t] = (int)core->threads[t]->tid;
	}
	if (ptrace(PTRACE_SETOPTIONS, main_inf->pid, NULL, (void *)opts) < 0)
		return pr_errno(-errno, "cannot restore the threads of %d", main_inf->pid);
	for (size_t i = 1; i < core->n_threads; i++) {
		const ThreadCoreEntry *th = core->threads[i];
		struct user_regs_struct base;
		struct infect inf;
		int32_t tids[NS_LEVELS_MAX];
		int r;

		int host;

		r = clone_thread(main_inf, (int)th->tid, tids,
				 ns_thread_set_tid(rs, proc, i, tids, ARRAY_SIZE(tids)),
				 rp->thread_host != NULL);
		if (r < 0)
			return r;
		host = r;
		if (rp->thread_host)
			rp->thread_host[i] = host;
		if (ptrace(PTRACE_GETREGS, host, NULL, &base) < 0)
			return pr_errno(-errno, "cannot restore thread %u", th->tid);
		infect_for_thread(&inf, main_inf, host, &base);
		r = thread_setup(&inf, core, i);
		if (r < 0)
			return r;
	}
	return 0;
}

int threads_finish(const TaskCoreEntry *core)
{
	for (size_t i = 1; i < core->n_threads; i++) {
		int r = regs_restore(ns_host_pid((int)core->threads[i]->tid), core->threads[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

int main_thread_restore(struct infect *inf, const TaskCoreEntry *core)
{
	int r = thread_setup(inf, core, 0);

	if (r >= 0)
		r = shared_pending_restore_late(inf, core);
	return r;
}

void threads_detach(const TaskCoreEntry *core)
{
	for (size_t i = 1; i < core->n_threads; i++)
		(void)ptrace(PTRACE_DETACH, ns_host_pid((int)core->threads[i]->tid), NULL, NULL);
}
