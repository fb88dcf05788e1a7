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

#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define THREAD_CLONE_FLAGS \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

/* Thread @tid, with its tid in every pid namespace the process is in
 * (@tids, innermost first: the clone3 returns that one). */
static int clone_thread(struct infect *main_inf, int tid, const int32_t *tids, int nr)
{
	struct clone_args args = {
		.flags = THREAD_CLONE_FLAGS,
		.set_tid = main_inf->scratch + sizeof(struct clone_args),
		.set_tid_size = (uint64_t)nr,
	};
	long ret;
	int status, r;

	if (nr < 0)
		return pr_errno(nr, "cannot restore thread %d", tid);
	r = remote_write(main_inf->pid, main_inf->scratch, &args, sizeof(args));
	if (r == 0)
		r = remote_write(main_inf->pid, args.set_tid, tids, (size_t)nr * sizeof(*tids));
	if (r == 0)
		r = infect_syscall3(main_inf, SYS_clone3, &ret, main_inf->scratch, sizeof(args), 0);
	if (r == 0 && ret < 0)
		r = (int)ret;
	if (r == 0 && ret != tids[0])
		r = -EEXIST;
	if (r < 0)
		return r == -EEXIST ? pr_fail(r, "cannot restore thread %d: the tid is in use", tid)
				    : pr_errno(r, "cannot restore thread %d", tid);
	/* Auto-attached: it stops before running anything. */
	r = ptrace_wait_stop(tid, &status);
	return r < 0 ? pr_errno(r, "cannot restore thread %d", tid) : 0;
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

	if (core->n_threads < 2)
		return 0;
	if (ptrace(PTRACE_SETOPTIONS, main_inf->pid, NULL, (void *)opts) < 0)
		return pr_errno(-errno, "cannot restore the threads of %d", main_inf->pid);
	for (size_t i = 1; i < core->n_threads; i++) {
		const ThreadCoreEntry *th = core->threads[i];
		struct user_regs_struct base;
		struct infect inf;
		int32_t tids[NS_LEVELS_MAX];
		int r;

		r = clone_thread(main_inf, (int)th->tid, tids,
				 ns_thread_set_tid(rs, proc, i, tids, ARRAY_SIZE(tids)));
		if (r < 0)
			return r;
		if (ptrace(PTRACE_GETREGS, th->tid, NULL, &base) < 0)
			return pr_errno(-errno, "cannot restore thread %u", th->tid);
		infect_for_thread(&inf, main_inf, (int)th->tid, &base);
		r = thread_setup(&inf, core, i);
		if (r < 0)
			return r;
	}
	return 0;
}

int threads_finish(const TaskCoreEntry *core)
{
	for (size_t i = 1; i < core->n_threads; i++) {
		int r = regs_restore((int)core->threads[i]->tid, core->threads[i]);

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
		(void)ptrace(PTRACE_DETACH, core->threads[i]->tid, NULL, NULL);
}
