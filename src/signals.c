// SPDX-License-Identifier: GPL-2.0
/*
 * Signals: every sigaction, the blocked mask, pending signals of the thread
 * and of the process, and the alternate signal stack.
 */
#include "dump-guard.h"
#include "ns.h"
#include "fault.h"
#include "kinds.h"
#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <stdlib.h>

#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#define NSIG_KERNEL 64
#define SIGSET_SIZE 8
#define SIGINFO_SIZE 128

/* The kernel's struct sigaction on x86-64 (not glibc's). */
struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* Only actions other than the default go in the images. */
static void sigaction_keep(TaskCoreEntry *core, int sig, const struct ksigaction *ka)
{
	SigactionEntry *e;

	if (ka->handler == (uint64_t)SIG_DFL && !ka->flags && !ka->mask)
		return;
	e = xmalloc(sizeof(*e));
	sigaction_entry__init(e);
	e->sig = sig;
	e->handler = ka->handler;
	e->flags = ka->flags;
	e->restorer = ka->restorer;
	e->mask = ka->mask;
	core->sigactions[core->n_sigactions++] = e;
}

/*
 * Every action is asked for (rt_sigaction), the default ones too: /proc
 * shows which signals are caught or ignored, not the flags and mask a
 * default action may have (glibc's signal(SIG, SIG_DFL) sets SA_RESTART).
 */
int sigactions_dump(struct infect *inf, TaskCoreEntry *core)
{
	return sigactions_dump_each(&inf, &core, 1);
}

int sigactions_dump_each(struct infect **infs, TaskCoreEntry **cores, size_t n)
{
	_cleanup_free_ struct remote_call *calls = xmalloc(n * sizeof(*calls));

	for (size_t i = 0; i < n; i++) {
		cores[i]->sigactions = xmalloc(NSIG_KERNEL * sizeof(*cores[i]->sigactions));
		cores[i]->n_sigactions = 0;
	}
	for (int sig = 1; sig <= NSIG_KERNEL; sig++) {
		int r;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		for (size_t i = 0; i < n; i++)
			calls[i] = (struct remote_call){
				SYS_rt_sigaction, { sig, 0, (long)infs[i]->scratch, SIGSET_SIZE }
			};
		r = infect_syscall_each(infs, calls, n);
		if (r < 0 && n == 1)
			return pr_errno(r, "cannot read the action of signal %d of %d", sig,
					infs[0]->pid);
		if (r < 0)
			return pr_errno(
				r, "cannot read the action of signal %d of the tree's processes",
				sig);
		for (size_t i = 0; i < n && r >= 0; i++) {
			struct ksigaction ka;

			r = calls[i].ret < 0 ? (int)calls[i].ret : 0;
			if (r == 0)
				r = remote_read(infs[i]->pid, infs[i]->scratch, &ka, sizeof(ka));
			if (r == 0)
				sigaction_keep(cores[i], sig, &ka);
			else
				pr_errno(r, "cannot read the action of signal %d of %d", sig,
					 infs[i]->pid);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Runs in the new process with every signal blocked, so handlers whose
 * code is not mapped yet cannot run. Only actions other than the default
 * are in the images: the rest are reset, not left as ckpt had them. */
int sigactions_restore_early(const TaskCoreEntry *core)
{
	for (int sig = 1; sig <= NSIG_KERNEL; sig++) {
		struct ksigaction dfl = { (uint64_t)SIG_DFL, 0, 0, 0 };

		if (sig != SIGKILL && sig != SIGSTOP)
			(void)syscall(SYS_rt_sigaction, sig, &dfl, NULL, SIGSET_SIZE);
	}
	for (size_t i = 0; i < core->n_sigactions; i++) {
		const SigactionEntry *e = core->sigactions[i];
		struct ksigaction ka = { e->handler, e->flags, e->restorer, e->mask };

		/* Set last, once ckpt's traps are over (sigtrap.c). */
		if (e->sig == SIGTRAP)
			continue;
		if (syscall(SYS_rt_sigaction, e->sig, &ka, NULL, SIGSET_SIZE) < 0)
			return pr_errno(-errno, "cannot set the action of signal %u", e->sig);
	}
	return 0;
}

int signals_peek(int tid, bool shared, int (*fn)(const siginfo_t *si, void *arg), void *arg)
{
	for (uint64_t off = 0;; off++) {
		struct __ptrace_peeksiginfo_args a = {
			.off = off,
			.flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0,
			.nr = 1,
		};
		siginfo_t si;
		long got = ptrace(PTRACE_PEEKSIGINFO, tid, &a, &si);
		int r;

		if (got < 0)
			return -errno;
		if (got == 0)
			return 0;
		r = fn(&si, arg);
		if (r)
			return r;
	}
}

struct pending_list {
	ProtobufCBinaryData **list;
	size_t *n;
};

static int add_pending(const siginfo_t *si, void *arg)
{
	struct pending_list *p = arg;

	*p->list = xrealloc(*p->list, (*p->n + 1) * sizeof(**p->list));
	(*p->list)[*p->n].len = SIGINFO_SIZE;
	(*p->list)[*p->n].data = xmalloc(SIGINFO_SIZE);
	memcpy((*p->list)[*p->n].data, si, SIGINFO_SIZE);
	(*p->n)++;
	return 0;
}

static int peek_pending(int tid, bool shared, ProtobufCBinaryData **list, size_t *n)
{
	struct pending_list p = { list, n };

	return signals_peek(tid, shared, add_pending, &p);
}

static void add_stolen(struct seized_task *t, ThreadCoreEntry *th)
{
	for (int i = 0; i < t->nr_stolen; i++) {
		th->pending = xrealloc(th->pending, (th->n_pending + 1) * sizeof(*th->pending));
		th->pending[th->n_pending].len = SIGINFO_SIZE;
		th->pending[th->n_pending].data = xmalloc(SIGINFO_SIZE);
		memcpy(th->pending[th->n_pending].data, &t->stolen[i], SIGINFO_SIZE);
		th->n_pending++;
	}
}

int signals_dump_thread(struct seized_task *t, struct infect *inf, ThreadCoreEntry *th)
{
	uint64_t mask;
	stack_t ss;
	long ret;
	int r;

	r = infect_syscall3(inf, SYS_sigaltstack, &ret, 0, inf->scratch, 0);
	if (r == 0 && ret < 0)
		r = (int)ret;
	if (r == 0)
		r = remote_read(t->pid, inf->scratch, &ss, sizeof(ss));
	if (r < 0)
		return pr_errno(r, "cannot read the signal stack of %d", t->pid);
	if (!(ss.ss_flags & SS_DISABLE)) {
		th->has_sas_sp = th->has_sas_size = th->has_sas_flags = true;
		th->sas_sp = (uint64_t)ss.ss_sp;
		th->sas_size = ss.ss_size;
		th->sas_flags = ss.ss_flags & ~SS_ONSTACK;
	}
	/* The last call: the thread home and parked, every signal that came
	 * during the calls is pending or kept (stolen), and read now. */
	r = infect_chain_end(inf);
	if (r < 0)
		return pr_errno(r, "cannot read the signal mask of %d", t->pid);
	if (ptrace(PTRACE_GETSIGMASK, t->pid, (void *)SIGSET_SIZE, &mask) < 0)
		return pr_errno(-errno, "cannot read the signal mask of %d", t->pid);
	th->blocked = mask;
	r = peek_pending(t->pid, false, &th->pending, &th->n_pending);
	if (r < 0)
		return pr_errno(r, "cannot read the pending signals of %d", t->pid);
	add_stolen(t, th);
	return 0;
}

/* The process queue is dumped with the core, the thread queue per thread. */
int shared_pending_dump(int pid, TaskCoreEntry *core)
{
	int r = peek_pending(pid, true, &core->shared_pending, &core->n_shared_pending);

	return r < 0 ? pr_errno(r, "cannot read the pending signals of %d", pid) : 0;
}

static int queue_signal(struct infect *inf, const ProtobufCBinaryData *info, bool shared)
{
	siginfo_t si;
	long ret;
	int r;

	if (info->len != SIGINFO_SIZE)
		return pr_errno(-EBADMSG, "pending signal record of %zu bytes", info->len);
	memcpy(&si, info->data, SIGINFO_SIZE);
	r = remote_write(inf->pid, inf->scratch, &si, SIGINFO_SIZE);
	if (r < 0)
		return pr_errno(r, "cannot queue signal %d", si.si_signo);
	/* Sent by the task to itself: the kernel then takes any si_code.
	 * By the pids it has in its own pid namespace. */
	if (shared)
		r = infect_syscall3(inf, SYS_rt_sigqueueinfo, &ret,
				    ns_own_pid(inf->tgid ? inf->tgid : inf->pid), si.si_signo,
				    inf->scratch);
	else
		r = infect_syscall6(inf, SYS_rt_tgsigqueueinfo, &ret,
				    ns_own_pid(inf->tgid ? inf->tgid : inf->pid),
				    ns_own_pid(inf->pid), si.si_signo, inf->scratch, 0, 0);
	if (r < 0 || ret < 0)
		return pr_errno(r < 0 ? r : (int)ret, "cannot queue signal %d", si.si_signo);
	return 0;
}

/* The process queue, once, from any thread. */
int shared_pending_restore_late(struct infect *inf, const TaskCoreEntry *core)
{
	for (size_t i = 0; i < core->n_shared_pending; i++) {
		int r = queue_signal(inf, &core->shared_pending[i], true);

		if (r < 0)
			return r;
	}
	return 0;
}

int signals_restore_thread_late(struct infect *inf, const ThreadCoreEntry *th)
{
	int r;

	if (th->has_sas_sp) {
		stack_t ss = { .ss_sp = (void *)th->sas_sp,
			       .ss_size = th->sas_size,
			       .ss_flags = (int)th->sas_flags };
		long ret;

		r = remote_write(inf->pid, inf->scratch, &ss, sizeof(ss));
		if (r == 0)
			r = infect_syscall3(inf, SYS_sigaltstack, &ret, inf->scratch, 0, 0);
		if (r < 0 || ret < 0)
			return pr_errno(r < 0 ? r : (int)ret, "cannot set the signal stack");
	}
	for (size_t i = 0; i < th->n_pending; i++) {
		r = queue_signal(inf, &th->pending[i], false);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * The dumped mask goes on last, with the registers: until then every
 * signal stays blocked, so one sent to the process while we restore it
 * waits in its queue instead of stopping a remote call (where it would
 * be lost).
 */
int sigmask_restore(int tid, const ThreadCoreEntry *th)
{
	uint64_t mask = th->blocked;

	if (ptrace(PTRACE_SETSIGMASK, tid, (void *)SIGSET_SIZE, &mask) < 0)
		return pr_errno(-errno, "cannot set the signal mask of %d", tid);
	return 0;
}

/* Put back the signals seize and infect took off the queue (dump with
 * --leave-running, or a failed dump). */
int signals_requeue_stolen(struct infect *inf, struct seized_task *t)
{
	for (int i = 0; i < t->nr_stolen; i++) {
		ProtobufCBinaryData info = { SIGINFO_SIZE, (uint8_t *)&t->stolen[i] };
		int r;

		/* Once, whenever ckpt dies: by the guardian if it can give
		 * the exact siginfo back (dump-guard.c), else by the thread
		 * itself, and then forgotten by the guardian. */
		if (!dguard_can_requeue(&t->stolen[i]) ||
		    dguard_requeue(inf->pid, &t->stolen[i]) < 0) {
			r = queue_signal(inf, &info, false);
			if (r < 0)
				return r;
			dguard_signal_forget(inf->pid, &t->stolen[i]);
		}
		fault_signal_requeued();
	}
	t->nr_stolen = 0;
	dguard_signals_forget(t->pid);
	return 0;
}

/* ---- the stop signal of a stopped process ---- */

/*
 * Whether process group @pgid of session @sid is orphaned as the kernel
 * sees it: no member has a parent outside the group but in the session
 * (init as a parent does not count). Then SIGTSTP, SIGTTIN and SIGTTOU
 * with their default action are dropped instead of stopping.
 */
static bool pgrp_orphaned(int pgid, int sid)
{
	DIR *d = opendir("/proc");
	bool orphaned = true;
	struct dirent *e;

	if (!d)
		return true;
	while (orphaned && (e = readdir(d))) {
		struct proc_stat st, parent;
		int pid = atoi(e->d_name);

		if (pid <= 0 || proc_read_stat(pid, &st) < 0 || st.pgid != pgid || st.ppid <= 1)
			continue;
		orphaned = !(proc_read_stat(st.ppid, &parent) == 0 && parent.pgid != pgid &&
			     parent.sid == sid);
	}
	closedir(d);
	return orphaned;
}

int stop_signal_restore(const TaskCoreEntry *core, uint32_t sig)
{
	bool blocked_everywhere = core->n_threads > 0;
	int pid = (int)core->pid;

	if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
		return kill(pid, SIGSTOP) < 0 ? -errno : 0;
	for (size_t i = 0; i < core->n_sigactions; i++)
		if (core->sigactions[i]->sig == sig &&
		    core->sigactions[i]->handler != (uint64_t)SIG_DFL)
			return kill(pid, SIGSTOP) < 0 ? -errno : 0;
	for (size_t i = 0; i < core->n_threads; i++)
		blocked_everywhere &= (core->threads[i]->blocked >> (sig - 1)) & 1;
	if (blocked_everywhere || pgrp_orphaned((int)core->pgid, (int)core->sid)) {
		pr_debug("%d: stopped by SIGSTOP, signal %u would not stop it now", pid, sig);
		return kill(pid, SIGSTOP) < 0 ? -errno : 0;
	}
	return kill(pid, (int)sig) < 0 ? -errno : 0;
}
