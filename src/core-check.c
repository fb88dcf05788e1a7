// SPDX-License-Identifier: GPL-2.0
/*
 * core-PID.img as read: every count, number, flag and string of a task and
 * its threads checked before restore uses any of it (task.c, signals.c,
 * timers.c, regs.c, threads.c restore from it). Images are untrusted input.
 */
#include "imgdir.h"
#include "kinds.h"
#include "util.h"

#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

#define THREADS_MAX 65536 /* per process; far above what ckpt can restore in time */
#define PID_NR_MAX 4194304 /* PID_MAX_LIMIT on 64-bit */
#define SIG_MAX 64
#define SIGINFO_SIZE 128
#define PENDING_MAX 65536 /* queued signals per queue */
#define XSTATE_MIN 576 /* legacy area and xsave header */
#define XSTATE_MAX 16384 /* what regs.c reads at most */
#define COMM_MAX 15 /* TASK_COMM_LEN - 1 */
#define RSEQ_LEN_MIN 32
#define RSEQ_LEN_MAX 4096
/* SA_NOCLDSTOP..SA_RESETHAND, SA_RESTORER, SA_UNSUPPORTED, SA_EXPOSE_TAGBITS */
#define SA_KNOWN                                                                           \
	(SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | \
	 SA_RESETHAND | 0x04000000ULL | 0x00000400ULL | 0x00000800ULL)
#define SS_KNOWN (1U << 31) /* SS_AUTODISARM; SS_ONSTACK is dropped at dump */
#define USEC_MAX (365ULL * 24 * 3600 * 1000000 * 1000) /* a thousand years */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool sig_ok(uint64_t sig)
{
	return sig >= 1 && sig <= SIG_MAX;
}

static int siginfo_check(const ProtobufCBinaryData *si, int pid, const char *queue)
{
	int signo;

	if (si->len != SIGINFO_SIZE)
		return img_inconsistent(IMG_CORE, pid, "%s: siginfo of %zu bytes", queue, si->len);
	memcpy(&signo, si->data, sizeof(signo));
	if (!sig_ok((uint64_t)signo))
		return img_inconsistent(IMG_CORE, pid, "%s: signal %d", queue, signo);
	return 0;
}

static int thread_check(const ThreadCoreEntry *th, size_t i, int pid)
{
	uint64_t end;

	if (!th->tid || th->tid >= PID_NR_MAX || !th->regs)
		return img_inconsistent(IMG_CORE, pid, "thread %zu: tid %u", i, th->tid);
	if (th->xstate.len < XSTATE_MIN || th->xstate.len > XSTATE_MAX)
		return img_inconsistent(IMG_CORE, pid, "thread %u: xstate of %zu bytes", th->tid,
					th->xstate.len);
	if (th->n_pending > PENDING_MAX)
		return img_inconsistent(IMG_CORE, pid, "thread %u: %zu pending signals", th->tid,
					th->n_pending);
	for (size_t k = 0; k < th->n_pending; k++) {
		int r = siginfo_check(&th->pending[k], pid, "pending signals");

		if (r < 0)
			return r;
	}
	if (th->rseq && (th->rseq->len < RSEQ_LEN_MIN || th->rseq->len > RSEQ_LEN_MAX ||
			 !add_ok(th->rseq->addr, th->rseq->len, &end) || end > user_addr_limit()))
		return img_inconsistent(IMG_CORE, pid, "thread %u: rseq", th->tid);
	if (th->has_sas_sp && ((th->sas_flags & ~SS_KNOWN) ||
			       !add_ok(th->sas_sp, th->sas_size, &end) || end > user_addr_limit()))
		return img_inconsistent(IMG_CORE, pid, "thread %u: signal stack", th->tid);
	if (th->has_robust_list_len && th->robust_list_len > 4096)
		return img_inconsistent(IMG_CORE, pid, "thread %u: robust list length", th->tid);
	if (th->comm && !str_fits(th->comm, COMM_MAX))
		return img_inconsistent(IMG_CORE, pid, "thread %u: comm too long", th->tid);
	return 0;
}

static int threads_check(const TaskCoreEntry *core, int pid)
{
	if (core->n_threads < 1 || core->n_threads > THREADS_MAX)
		return img_inconsistent(IMG_CORE, pid, "%zu threads", core->n_threads);
	if (!core->threads[0] || core->threads[0]->tid != core->pid)
		return img_inconsistent(IMG_CORE, pid, "the first thread is not the process");
	for (size_t i = 0; i < core->n_threads; i++) {
		int r = thread_check(core->threads[i], i, pid);

		if (r < 0)
			return r;
	}
	/* Unique tids: sorted copy. */
	{
		_cleanup_free_ uint32_t *tids = xmalloc(core->n_threads * sizeof(*tids));

		for (size_t i = 0; i < core->n_threads; i++)
			tids[i] = core->threads[i]->tid;
		qsort(tids, core->n_threads, sizeof(*tids), cmp_u32);
		for (size_t i = 1; i < core->n_threads; i++)
			if (tids[i] == tids[i - 1])
				return img_inconsistent(IMG_CORE, pid, "thread %u twice", tids[i]);
	}
	return 0;
}

static int signals_check(const TaskCoreEntry *core, int pid)
{
	uint64_t seen = 0;

	for (size_t i = 0; i < core->n_sigactions; i++) {
		const SigactionEntry *e = core->sigactions[i];

		if (!sig_ok(e->sig) || e->sig == SIGKILL || e->sig == SIGSTOP ||
		    (seen & (1ULL << (e->sig - 1))))
			return img_inconsistent(IMG_CORE, pid, "sigaction of signal %u", e->sig);
		seen |= 1ULL << (e->sig - 1);
		if (e->flags & ~(uint64_t)SA_KNOWN)
			return img_inconsistent(IMG_CORE, pid, "sigaction flags %#llx",
						(unsigned long long)e->flags);
	}
	if (core->n_shared_pending > PENDING_MAX)
		return img_inconsistent(IMG_CORE, pid, "%zu pending signals",
					core->n_shared_pending);
	for (size_t i = 0; i < core->n_shared_pending; i++) {
		int r = siginfo_check(&core->shared_pending[i], pid, "shared pending signals");

		if (r < 0)
			return r;
	}
	if (core->has_pdeath_sig && core->pdeath_sig && !sig_ok(core->pdeath_sig))
		return img_inconsistent(IMG_CORE, pid, "parent-death signal %u", core->pdeath_sig);
	return 0;
}

static int limits_check(const TaskCoreEntry *core, int pid)
{
	unsigned int seen = 0, itimers = 0;

	for (size_t i = 0; i < core->n_rlimits; i++) {
		const RlimitEntry *e = core->rlimits[i];

		if (e->resource >= RLIM_NLIMITS || (seen & (1U << e->resource)) || e->cur > e->max)
			return img_inconsistent(IMG_CORE, pid, "rlimit %u", e->resource);
		seen |= 1U << e->resource;
	}
	for (size_t i = 0; i < core->n_itimers; i++) {
		const ItimerEntry *e = core->itimers[i];

		if (e->which > ITIMER_PROF || (itimers & (1U << e->which)) ||
		    e->interval_us > USEC_MAX || e->value_us > USEC_MAX)
			return img_inconsistent(IMG_CORE, pid, "interval timer %u", e->which);
		itimers |= 1U << e->which;
	}
	return 0;
}

static int creds_bounds_check(const CredsEntry *c, int pid)
{
	if (!c)
		return img_inconsistent(IMG_CORE, pid, "no credentials");
	if (c->n_groups > NGROUPS_MAX)
		return img_inconsistent(IMG_CORE, pid, "%zu supplementary groups (at most %d)",
					c->n_groups, NGROUPS_MAX);
	return 0;
}

int core_check(const TaskCoreEntry *core, int pid)
{
	int r;

	if (core->pid != (uint32_t)pid)
		return img_inconsistent(IMG_CORE, pid, "pid %u", core->pid);
	if (!str_fits(core->comm, COMM_MAX))
		return img_inconsistent(IMG_CORE, pid, "comm too long");
	if (!str_fits(core->cwd, PATH_MAX_LEN - 1) || core->cwd[0] != '/' ||
	    !str_fits(core->root, PATH_MAX_LEN - 1) || core->root[0] != '/')
		return img_inconsistent(IMG_CORE, pid, "cwd or root");
	if (core->umask & ~0777U)
		return img_inconsistent(IMG_CORE, pid, "umask %#o", core->umask);
	r = creds_bounds_check(core->creds, pid);
	if (r >= 0)
		r = limits_check(core, pid);
	if (r >= 0)
		r = signals_check(core, pid);
	if (r >= 0)
		r = threads_check(core, pid);
	return r;
}
