// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt dump, per process: what is read from each process of the frozen
 * tree, its threads, credentials, memory, files and SEM_UNDO adjustments,
 * through the parasite (infect.c). cmd-dump.c orders the steps.
 */
#include "dump-guard.h"
#include "dump.h"
#include "ns.h"
#include "commands.h"
#include "fault.h"
#include "files.h"
#include "imgdir.h"
#include "incremental.h"
#include "infect.h"
#include "keeper.h"
#include "kinds.h"
#include "mm.h"
#include "pages.h"
#include "proc.h"
#include "pstree.pb-c.h"
#include "seize.h"
#include "track.h"
#include "tree.h"
#include "trust.h"
#include "util.h"

#include <signal.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

static int thread_comm(int pid, int tid, char **ret)
{
	char path[96];
	char *text;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	r = read_file(path, &text, NULL);
	if (r < 0)
		return pr_errno(r, "cannot read '%s'", path);
	text[strcspn(text, "\n")] = 0;
	*ret = text;
	return 0;
}

/* One thread, through remote syscalls in that thread. */
static int dump_thread(struct dump_proc *p, size_t i)
{
	struct seized_task *t = &p->tp->threads[i];
	ThreadCoreEntry *th = xmalloc(sizeof(*th));
	struct infect inf;
	int r;

	thread_core_entry__init(th);
	p->threads[i] = th;
	infect_for_thread(&inf, &p->inf, t->pid, &t->regs);
	inf.task = t;
	infect_chain_begin(&inf);
	r = FAULT_OR(dump_thread_comm,
		     pr_errno(-ENOENT, "cannot read the name of thread %d", t->pid),
		     thread_comm(p->tp->node.pid, t->pid, &th->comm));
	if (r >= 0)
		r = FAULT_OR(dump_thread_creds,
			     pr_errno(-EIO, "cannot read the securebits of thread %d", t->pid),
			     creds_dump_thread(&inf, p->creds[i], th));
	if (r >= 0)
		r = FAULT_OR(dump_thread_ptrs,
			     pr_errno(-EIO, "cannot read the tid address of %d", t->pid),
			     thread_ptrs_dump(&inf, th));
	if (r >= 0)
		r = prctl_dump_thread(&inf, th);
	if (r >= 0)
		r = mempolicy_dump_thread(&inf, th);
	/* Last: signals that arrived during the calls above are in it (it
	 * ends the chain, home and parked, before it reads them). */
	if (r >= 0)
		r = FAULT_OR(dump_thread_signals,
			     pr_errno(-EIO, "cannot read the signal mask of %d", t->pid),
			     signals_dump_thread(t, &inf, th));
	/* On failure, the thread home all the same. */
	(void)infect_chain_end(&inf);
	if (r >= 0)
		r = FAULT_OR(dump_thread_regs,
			     pr_errno(-ESRCH, "cannot read the xstate of %d", t->pid),
			     regs_dump(t, th));
	/* The stolen signals are in the images as pending now, and still
	 * kept in @t: a task that goes on running gets them back. */
	return r;
}

int infect_proc(struct dump_proc *p)
{
	struct seized_task *leader = &p->tp->threads[0];
	int r;

	if (p->inf.syscall_ip)
		return 0;
	r = FAULT_OR(dump_infect, -EFAULT,
		     infect_init(&p->inf, leader->pid, &leader->regs, leader));
	if (r < 0)
		return pr_errno(r, "cannot find a syscall instruction in %d", leader->pid);
	if (seize_guarded() && !p->inf.ret_gadget)
		pr_debug(
			"%d: no `syscall; ret` and rt_sigreturn restorer in its text: its remote calls keep PTRACE_O_EXITKILL",
			leader->pid);
	return 0;
}

/*
 * The scratch memory of a process's remote calls: on its first thread's
 * stack if it has room there (nothing to map, nothing left behind by a
 * ckpt killed before the unmap), else a page mapped in it.
 */
static int stack_scratch(struct dump_proc *p)
{
	struct tree_proc *tp = p->tp;
	_cleanup_free_ uint64_t *sps = xmalloc(tp->nr_threads * sizeof(*sps));

	for (size_t i = 1; i < tp->nr_threads; i++)
		sps[i - 1] = tp->threads[i].regs.rsp;
	if (!seize_guarded())
		return -ENOTSUP;
	return infect_stack_scratch(&p->inf, SCRATCH_LEN, sps, tp->nr_threads - 1);
}

int map_scratch(struct dump_proc *p)
{
	if (stack_scratch(p) == 0)
		return 0;
	return infect_map_scratch(&p->inf, SCRATCH_LEN);
}

/* Everything the process must answer itself, while the scratch memory exists. */
static int dump_infected(struct dump *d, struct dump_proc *p)
{
	int pid = p->tp->node.pid;
	int r;

	r = infect_proc(p);
	if (r < 0)
		return r;
	r = FAULT_OR(dump_scratch_map, -ENOMEM, map_scratch(p));
	if (r < 0)
		return pr_errno(r, "cannot map scratch memory in %d", pid);
	infect_chain_begin(&p->inf);
	r = FAULT_OR(dump_task, pr_errno(-EIO, "cannot read the personality of %d", pid),
		     task_dump(&p->tp->threads[0], &p->inf, &p->core));
	if (r >= 0)
		r = prctl_dump_task(&p->inf, &p->core);
	if (r >= 0)
		r = membarrier_dump(&p->inf, &p->core);
	if (r >= 0)
		r = p->sigactions_read
			    ? 0
			    : FAULT_OR(dump_sigactions,
				       pr_errno(-EIO, "cannot read the signal actions of %d", pid),
				       sigactions_dump(&p->inf, &p->core));
	if (r >= 0)
		r = FAULT_OR(dump_itimers,
			     pr_errno(-EIO, "cannot read the interval timers of %d", pid),
			     itimers_dump(&p->inf, &p->core));
	if (r >= 0)
		r = posix_timers_dump(&p->inf, p->tp->threads, p->tp->nr_threads, &p->core);
	if (r >= 0)
		r = mempolicy_dump(&p->inf, pid, &p->numa);
	if (r >= 0)
		r = FAULT_OR(dump_brk, pr_errno(-EIO, "cannot read the brk of %d", pid),
			     mm_dump_brk(&p->inf, &p->mm));
	/* Before the process queue is read: the notification signal it
	 * fires is taken off it again. */
	if (r >= 0)
		r = mq_notify_dump(&p->inf, &p->tp->threads[0], d->files.pids, d->files.nr_pids,
				   &p->core);
	/* Home and parked before its pending signals are read. */
	if (infect_chain_end(&p->inf) < 0 && r >= 0)
		r = pr_errno(-ESRCH, "cannot dump %d: it left its stop", pid);
	if (r >= 0)
		r = FAULT_OR(dump_shared_pending,
			     pr_errno(-ENOENT, "cannot read the pending signals of %d", pid),
			     shared_pending_dump(pid, &p->core));
	p->threads = xzalloc(p->tp->nr_threads * sizeof(*p->threads));
	/* The mappings, for the frames of every thread's calls: read once. */
	if (r >= 0 && p->inf.ret_gadget && infect_maps_cache(&p->inf) < 0)
		r = pr_errno(-ESRCH, "cannot read the mappings of %d", pid);
	for (size_t i = 0; i < p->tp->nr_threads && r >= 0; i++)
		r = dump_thread(p, i);
	infect_maps_drop(&p->inf);
	if (r >= 0)
		r = sched_dump(pid, p->tp->threads, p->tp->nr_threads, &p->core, p->threads);
	if (r >= 0)
		creds_dump_attach(&p->core, p->threads, p->creds, p->tp->nr_threads);
	return r;
}

/* A pre-dump: the address space only. */
static int dump_collect_memory(struct dump_proc *p)
{
	int r = infect_proc(p);

	if (r >= 0)
		r = FAULT_OR(dump_brk, pr_errno(-EIO, "cannot read the brk of %d", p->tp->node.pid),
			     mm_dump_brk(&p->inf, &p->mm));
	if (r >= 0)
		r = FAULT_OR(dump_mm,
			     pr_errno(-ENOENT, "cannot read /proc/%d/stat", p->tp->node.pid),
			     mm_dump(p->tp->node.pid, &p->mm));
	pr_debug("%d: memory map read", p->tp->node.pid);
	return r;
}

static int dump_collect(struct dump *d, struct dump_proc *p)
{
	int pid = p->tp->node.pid;
	int r, numa_r;

	if (d->predump)
		return dump_collect_memory(p);
	r = dump_infected(d, p);
	if (r >= 0 && p->numa)
		r = mempolicy_maps_collect(&p->inf, p->numa);
	/* The scratch mapping must be gone before the mappings are read. */
	if (FAULT_OR(dump_scratch_unmap, -EFAULT, infect_unmap_scratch(&p->inf)) < 0 && r >= 0)
		r = pr_errno(-EFAULT, "cannot remove scratch memory from %d", pid);
	if (r < 0) {
		if (p->numa)
			(void)mempolicy_maps_finish(p->numa, false, NULL);
		p->numa = NULL;
		return r;
	}
	pr_debug("%d: state read by remote calls", pid);
	r = FAULT_OR(dump_mm, pr_errno(-ENOENT, "cannot read /proc/%d/stat", pid),
		     mm_dump(pid, &p->mm));
	if (r >= 0)
		r = FAULT_OR(dump_guards, pr_errno(-EIO, "cannot read the guard pages of %d", pid),
			     mm_guards_dump(pid, &p->mm));
	pr_debug("%d: memory map read", pid);
	if (r >= 0)
		r = FAULT_OR(
			dump_shmem_vmas,
			pr_errno(-ENOENT, "cannot dump %d: cannot read its shared memory", pid),
			shmem_dump_vmas(&d->shmem, pid, &p->mm));
	/* One in an IPC namespace of the tree's: with it (ns-ipc.c). */
	if (r >= 0 && !ns_lives_in_own(p->tp, NS_IPC))
		r = FAULT_OR(dump_sysv_ipc,
			     pr_errno(-EINVAL, "cannot dump %d: cannot read System V shm", pid),
			     ipc_dump_vmas(&d->ipc, pid, &p->mm));
	if (r >= 0)
		r = FAULT_OR(dump_files, pr_errno(-ENOENT, "cannot read '/proc/%d/fd'", pid),
			     files_dump_proc(&d->files, pid, &p->fdinfo));
	numa_r = p->numa ? mempolicy_maps_finish(p->numa, r >= 0, &p->mm) : 0;
	p->numa = NULL;
	return r < 0 ? r : numa_r;
}

/* The SEM_UNDO adjustments of a process on the sets of the images. */
int dump_sem_undo(struct dump_proc *p, const IpcEntry *ie, int pass)
{
	int pid = p->tp->node.pid;
	int r = infect_proc(p);

	if (r < 0)
		return r;
	r = FAULT_OR(dump_sem_undo, -ENOMEM, map_scratch(p));
	if (r < 0)
		return pr_errno(r, "cannot map scratch memory in %d", pid);
	r = pass ? sem_undo_dump_done(&p->inf, pid, ie) : sem_undo_dump(&p->inf, pid, ie, &p->core);
	if (infect_unmap_scratch(&p->inf) < 0 && r >= 0)
		r = pr_errno(-EFAULT, "cannot remove scratch memory from %d", pid);
	return r;
}

/*
 * The signal actions of the processes whose calls are framed, with their
 * scratch on their stacks (nothing mapped), read for all of them at once
 * (infect_syscall_each): 62 calls a process, the bulk of its remote calls,
 * whose waits for the processes to be scheduled then overlap. The others
 * have theirs read in dump_infected(), one call after the other.
 */
static int sigactions_ahead(struct dump *d)
{
	_cleanup_free_ struct infect **infs = xmalloc(d->tree.nr * sizeof(*infs));
	_cleanup_free_ TaskCoreEntry **cores = xmalloc(d->tree.nr * sizeof(*cores));
	_cleanup_free_ struct dump_proc **procs = xmalloc(d->tree.nr * sizeof(*procs));
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < d->tree.nr && r >= 0; i++) {
		struct dump_proc *p = &d->procs[i];

		if (d->tree.procs[i].node.zombie)
			continue;
		r = infect_proc(p);
		if (r < 0 || !seize_guarded() || !p->inf.ret_gadget)
			continue;
		/* No room on its stack: one call after the other, later. */
		if (stack_scratch(p) < 0)
			continue;
		infect_chain_begin(&p->inf);
		procs[n] = p;
		infs[n] = &p->inf;
		cores[n++] = &p->core;
	}
	if (r >= 0 && n)
		r = FAULT_OR(dump_sigactions,
			     pr_errno(-EIO, "cannot read the signal actions of %d",
				      procs[0]->tp->node.pid),
			     sigactions_dump_each(infs, cores, n));
	if (r >= 0 && n)
		r = rlimits_dump_each(infs, cores, n);
	for (size_t i = 0; i < n; i++) {
		struct dump_proc *p = procs[i];

		/* Home and parked, as between two steps of dump_infected(). */
		if (infect_chain_end(&p->inf) < 0 && r >= 0)
			r = pr_errno(-ESRCH, "cannot dump %d: it left its stop", p->tp->node.pid);
		(void)infect_unmap_scratch(&p->inf); /* on its stack: nothing to undo */
		p->sigactions_read = r >= 0;
	}
	if (r >= 0)
		pr_debug("read the signal actions and limits of %zu processes at once", n);
	return r;
}

int collect_all(struct dump *d)
{
	_cleanup_free_ int *pids = xmalloc(d->tree.nr * sizeof(int));
	int r = 0;

	/* Before anything is injected anywhere: what cannot be read exactly
	 * is refused with the tree untouched, and seccomp is kept off our
	 * remote calls (a filter could kill the process for them). */
	for (size_t i = 0; i < d->tree.nr && r >= 0; i++) {
		struct dump_proc *p = &d->procs[i];

		if (!d->tree.procs[i].node.zombie)
			r = FAULT_OR(dump_creds,
				     pr_errno(-EIO, "cannot read the credentials of %d",
					      p->tp->node.pid),
				     creds_dump_frozen(p->tp->node.pid, p->tp->threads,
						       p->tp->nr_threads, &p->core, &p->creds));
	}
	for (size_t i = 0; i < d->tree.nr; i++)
		pids[i] = d->tree.procs[i].node.pid;
	d->files.pids = pids;
	d->files.nr_pids = d->tree.nr;
	if (r >= 0 && !d->predump)
		r = sigactions_ahead(d);
	for (size_t i = 0; i < d->tree.nr && r >= 0; i++) {
		if (interrupted())
			r = -EINTR;
		else if (!d->tree.procs[i].node.zombie)
			r = dump_collect(d, &d->procs[i]);
	}
	if (r >= 0 && !d->predump)
		r = ipc_dump_finish(&d->ipc, pids, d->tree.nr);
	/* After the sets are read: the probes move their sempid, which the
	 * second pass gives back to the processes of the tree that had it. */
	for (int pass = 0; pass < 2 && !d->predump && d->ipc.img.n_sem; pass++)
		for (size_t i = 0; i < d->tree.nr && r >= 0; i++)
			if (!d->tree.procs[i].node.zombie &&
			    !ns_lives_in_own(&d->tree.procs[i], NS_IPC))
				r = dump_sem_undo(&d->procs[i], &d->ipc.img, pass);
	if (r >= 0 && !d->predump)
		r = FAULT_OR(dump_files_finish,
			     pr_errno(-EIO, "cannot dump %d: cannot read its files", d->root),
			     files_dump_finish(&d->files, pids, d->tree.nr));
	d->files.pids = NULL;
	return r;
}
