// SPDX-License-Identifier: GPL-2.0
/*
 * SIGTRAP's action and the threads' masks, set last at restore.
 *
 * The kernel surprises here: the restore's remote calls are single-stepped
 * (and a batch ends in int3), and each trap is a forced SIGTRAP
 * (force_sig_info_to_task). Forced on a thread that blocks SIGTRAP, or on
 * a process that ignores it, the kernel resets the action to SIG_DFL (the
 * flags kept) and unblocks SIGTRAP in that thread. ptrace stops every
 * SIGTRAP before delivery, so no handler ever runs, but the action and the
 * mask the process had would be lost.
 *
 * So SIGTRAP keeps its default action while ckpt steps the process
 * (sigactions_restore_early() leaves it), and once the last trap is behind
 * (the tree's files finished, its fds opened by remote calls), the saved
 * action is set by a call that ends at its syscall-exit stop rather than by
 * a step, so that it causes no trap; then every thread's mask is set again
 * with PTRACE_SETSIGMASK, which causes none either. Nothing ckpt does to
 * the process after this steps it.
 */
#include "kinds.h"
#include "ns.h"
#include "infect.h"
#include "restore.h"
#include "seize.h"
#include "util.h"

#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define SIGSET_SIZE 8
#define SYSCALL_STOP_EXIT 2
#define RED_ZONE 128

struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

static const SigactionEntry *saved_sigtrap(const TaskCoreEntry *core)
{
	for (size_t i = 0; i < core->n_sigactions; i++)
		if (core->sigactions[i]->sig == SIGTRAP)
			return core->sigactions[i];
	return NULL;
}

/* Which syscall stop @pid is in. The restore traces without
 * PTRACE_O_TRACESYSGOOD, where PTRACE_GET_SYSCALL_INFO says "none": the
 * event message tells entry from exit. */
static int syscall_stop_of(int pid)
{
	unsigned long msg = 0;

	if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &msg) < 0)
		return -errno;
	return (int)msg;
}

/* Run the thread to its call's syscall-exit stop. Every signal but SIGKILL
 * is blocked meanwhile, so no other stop is expected but the entry's. */
static int run_to_exit(int pid, struct user_regs_struct *regs)
{
	int status, r;

	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) < 0)
			return -errno;
		r = ptrace_wait_stop(pid, &status);
		if (r < 0)
			return r;
		if ((status >> 16) != 0 || WSTOPSIG(status) != SIGTRAP)
			return -EINTR;
		r = syscall_stop_of(pid);
		if (r < 0)
			return r;
		if (r == SYSCALL_STOP_EXIT)
			break;
	}
	return ptrace(PTRACE_GETREGS, pid, NULL, regs) < 0 ? -errno : 0;
}

/*
 * From a syscall-exit stop the kernel runs its restart logic only if a
 * signal is pending: the thread is moved to an interrupt stop (inside
 * get_signal), from which it resumes as from the step trap it was in, its
 * -ERESTART* registers handled as the dumped ones were.
 */
static int park(int pid)
{
	int status, r;

	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0 ||
	    ptrace(PTRACE_CONT, pid, NULL, NULL) < 0)
		return -errno;
	r = ptrace_wait_stop(pid, &status);
	if (r < 0)
		return r;
	return (status >> 16) == PTRACE_EVENT_STOP ? 0 : -EINTR;
}

static int set_action(int pid, const SigactionEntry *e)
{
	struct ksigaction ka = { e->handler, e->flags, e->restorer, e->mask };
	struct user_regs_struct base, regs;
	uint64_t all = ~0ULL, at;
	struct infect inf;
	int r;

	if (ptrace(PTRACE_GETREGS, pid, NULL, &base) < 0)
		return -errno;
	r = infect_init(&inf, pid, &base, NULL);
	if (r < 0)
		return r;
	/* Where a signal frame would go: below the red zone. */
	at = (base.rsp - RED_ZONE - sizeof(ka)) & ~15ULL;
	r = remote_write(pid, at, &ka, sizeof(ka));
	if (r < 0)
		return r;
	if (ptrace(PTRACE_SETSIGMASK, pid, (void *)SIGSET_SIZE, &all) < 0)
		return -errno;
	regs = base;
	regs.rax = SYS_rt_sigaction;
	regs.rdi = SIGTRAP;
	regs.rsi = at;
	regs.rdx = 0;
	regs.r10 = SIGSET_SIZE;
	regs.rip = inf.syscall_ip;
	regs.orig_rax = (unsigned long)-1;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) < 0)
		return -errno;
	r = run_to_exit(pid, &regs);
	if (r < 0)
		return r;
	if (regs.rip != inf.syscall_ip + 2)
		return -EFAULT;
	if ((long)regs.rax < 0)
		return (int)regs.rax;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &base) < 0)
		return -errno;
	return park(pid);
}

static int thread_host(const struct restore_proc *rp, size_t t)
{
	return t == 0 ? proc_host(rp) : ns_host_pid((int)rp->core->threads[t]->tid);
}

int sigtrap_restore_last(struct restore *rs)
{
	for (size_t i = 0; i < rs->nr; i++) {
		const struct restore_proc *rp = &rs->procs[i];
		const SigactionEntry *e;
		int r = 0;

		if (rp->pp->role != PLAN_LIVE)
			continue;
		e = saved_sigtrap(rp->core);
		if (e)
			r = set_action(proc_host(rp), e);
		if (r < 0)
			return pr_errno(r, "cannot restore %d: cannot set its SIGTRAP action",
					rp->pp->pid);
		for (size_t t = 0; t < rp->core->n_threads; t++) {
			r = sigmask_restore(thread_host(rp, t), rp->core->threads[t]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}
