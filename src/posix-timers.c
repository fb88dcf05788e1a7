// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX timers (timer_create). /proc/PID/timers names each timer, its
 * clock and whom it signals; only the task can tell the time left, so the
 * dump asks it by remote calls. The restore creates each timer with its id
 * (prctl PR_TIMER_CREATE_RESTORE_IDS: timer_create then takes the id it is
 * handed in its timer_t) and arms them last, like the interval timers.
 *
 * Clocks: MONOTONIC and BOOTTIME keep the time left at the dump (the tree
 * did not run meanwhile). REALTIME keeps the wall-clock moment: the kernel
 * does not tell a relative REALTIME timer from an absolute one, and the
 * moment is what an absolute one means; a moment already past fires at
 * once, once. The process's CPU clock starts again from zero in the new
 * process, so a CPU-time timer keeps the CPU time left. A thread's CPU
 * clock named by "the caller" (what glibc makes of CLOCK_THREAD_CPUTIME_ID)
 * follows the thread that created the timer, which the kernel does not
 * show: refused unless the process has one thread; the CPU clock of
 * another process is refused.
 */
#include "kinds.h"
#include "ns.h"
#include "proc.h"
#include "util.h"

#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS 77
#define PR_TIMER_CREATE_RESTORE_IDS_OFF 0
#define PR_TIMER_CREATE_RESTORE_IDS_ON 1
#define PR_TIMER_CREATE_RESTORE_IDS_GET 2
#endif
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define NSEC_PER_SEC 1000000000ULL
/* More timers than this in one process is an image to distrust. */
#define MAX_POSIX_TIMERS 65536
/* Longer than any timespec the kernel takes back from us. */
#define MAX_TIMER_NS (1ULL << 62)

static bool clock_is_realtime(int clock)
{
	return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_ALARM;
}

static uint64_t ts_to_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static struct timespec ns_to_ts(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };

	return ts;
}

static uint64_t realtime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts_to_ns(&ts);
}

/*
 * A CPU clock (negative id): ~pid << 3 | per-thread << 2 | type, pid 0 for
 * the caller. Restorable when it names the process itself or one of its
 * threads (ids are kept), or the caller when that can only be the one
 * thread of the process. NULL if so, else why not.
 */
static const char *cpu_clock_unrestorable(int clock, uint32_t pid, const uint32_t *tids,
					  size_t nr_threads)
{
	uint32_t owner = (uint32_t) ~(clock >> 3);

	if ((clock & 3) == 3)
		return "its clock is unknown";
	if (!(clock & 4))
		return owner == 0 || owner == pid ? NULL
						  : "it counts the CPU time of another process";
	if (owner == 0)
		return nr_threads == 1
			       ? NULL
			       : "it counts the CPU time of a thread the kernel does not name";
	for (size_t i = 0; i < nr_threads; i++)
		if (tids[i] == owner)
			return NULL;
	return "it counts the CPU time of a thread of another process";
}

/*
 * Whether a timer of @clock, notifying @notify (tid @tid) could be created
 * again in process @pid of @nr_threads threads @tids (the main one first)
 * with effective capabilities @cap_eff. NULL if so, else why not.
 */
static const char *timer_unrestorable(int clock, uint32_t notify, uint32_t signo, bool has_tid,
				      uint32_t tid, const uint32_t *tids, size_t nr_threads,
				      uint64_t cap_eff)
{
	bool tid_found = false;
	const char *why;

	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_PROCESS_CPUTIME_ID:
		break;
	case CLOCK_THREAD_CPUTIME_ID:
		if (nr_threads != 1)
			return "it counts the CPU time of a thread the kernel does not name";
		break;
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		if (!(cap_eff & (1ULL << CAP_WAKE_ALARM)))
			return "an alarm clock needs CAP_WAKE_ALARM, which the process lacks";
		break;
	default:
		if (clock > 0)
			return "its clock is unknown";
		why = cpu_clock_unrestorable(clock, tids[0], tids, nr_threads);
		if (why)
			return why;
	}
	switch (notify & ~(uint32_t)SIGEV_THREAD_ID) {
	case SIGEV_NONE:
		if (notify & SIGEV_THREAD_ID)
			return "its notification is unknown";
		break;
	case SIGEV_SIGNAL:
	case SIGEV_THREAD:
		if (signo < 1 || signo > 64)
			return "its signal is out of range";
		break;
	default:
		return "its notification is unknown";
	}
	if (!(notify & SIGEV_THREAD_ID))
		return has_tid ? "it names a thread without SIGEV_THREAD_ID" : NULL;
	for (size_t i = 0; i < nr_threads && has_tid; i++)
		tid_found |= tids[i] == tid;
	return tid_found ? NULL : "it signals a thread outside the process";
}

/* The kernel can create a timer with a given id (Linux 6.13 and later). */
static bool restore_ids_supported(void)
{
	return prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_GET, 0, 0, 0) >= 0;
}

static int timer_read(struct infect *inf, PosixTimerEntry *e)
{
	struct itimerspec its;
	uint64_t before = realtime_now(), after;
	long ret;
	int r;

	r = infect_syscall3(inf, SYS_timer_gettime, &ret, e->id, inf->scratch, 0);
	after = realtime_now();
	if (r == 0 && ret < 0)
		r = (int)ret;
	if (r == 0)
		r = remote_read(inf->pid, inf->scratch, &its, sizeof(its));
	if (r < 0)
		return r;
	e->value_ns = ts_to_ns(&its.it_value);
	e->interval_ns = ts_to_ns(&its.it_interval);
	if (e->value_ns && clock_is_realtime(e->clock)) {
		e->has_expires_ns = true;
		/* The call ran between the two reads of the clock. */
		e->expires_ns = before + (after - before) / 2 + e->value_ns;
	}
	r = infect_syscall3(inf, SYS_timer_getoverrun, &ret, e->id, 0, 0);
	if (r == 0 && ret < 0)
		r = (int)ret;
	if (r < 0)
		return r;
	e->has_overrun = true;
	e->overrun = (uint32_t)ret;
	return 0;
}

int posix_timers_dump(struct infect *inf, const struct seized_task *threads, size_t nr_threads,
		      TaskCoreEntry *core)
{
	_cleanup_free_ struct proc_posix_timer *timers = NULL;
	_cleanup_free_ uint32_t *tids = xmalloc(nr_threads * sizeof(*tids));
	_cleanup_free_ char *text = NULL;
	int pid = inf->tgid ? inf->tgid : inf->pid;
	char path[64];
	size_t nr;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/timers", pid);
	r = read_file(path, &text, NULL);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read its POSIX timers", pid);
	r = proc_parse_posix_timers(text, &timers, &nr);
	if (r < 0)
		return pr_fail(r,
			       "cannot dump %d: cannot read its POSIX timers: '%s' not understood",
			       pid, path);
	if (!nr)
		return 0;
	if (nr > MAX_POSIX_TIMERS)
		return pr_fail(-E2BIG, "cannot dump %d: it has %zu POSIX timers, more than %d", pid,
			       nr, MAX_POSIX_TIMERS);
	if (!restore_ids_supported())
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: it has POSIX timers and this kernel cannot create a timer with a given id (PR_TIMER_CREATE_RESTORE_IDS, Linux 6.13)",
			pid);
	for (size_t i = 0; i < nr_threads; i++)
		tids[i] = (uint32_t)threads[i].pid;
	core->posix_timers = xzalloc(nr * sizeof(*core->posix_timers));
	for (size_t i = 0; i < nr; i++) {
		const struct proc_posix_timer *t = &timers[i];
		PosixTimerEntry *e = xmalloc(sizeof(*e));
		const char *why;

		posix_timer_entry__init(e);
		core->posix_timers[core->n_posix_timers++] = e;
		e->id = (uint32_t)t->id;
		e->clock = t->clockid;
		e->notify = (uint32_t)t->notify;
		e->signo = (uint32_t)t->signo;
		e->sigval = t->sigval;
		if (t->notify & SIGEV_THREAD_ID) {
			e->has_tid = true;
			e->tid = (uint32_t)t->target;
		}
		why = timer_unrestorable(e->clock, e->notify, e->signo, e->has_tid, e->tid, tids,
					 nr_threads, core->creds ? core->creds->cap_eff : 0);
		if (why)
			return pr_fail(-EOPNOTSUPP,
				       "cannot dump %d: POSIX timer %d cannot be restored: %s", pid,
				       t->id, why);
		r = timer_read(inf, e);
		if (r < 0)
			return pr_errno(r, "cannot read POSIX timer %d of %d", t->id, pid);
	}
	return 0;
}

int posix_timers_check(const TaskCoreEntry *core)
{
	_cleanup_free_ uint32_t *tids = NULL;
	uint64_t cap_eff = core->creds->has_cap_eff ? core->creds->cap_eff : 0;

	if (!core->n_posix_timers)
		return 0;
	if (core->n_posix_timers > MAX_POSIX_TIMERS)
		return pr_fail(-EBADMSG, "cannot restore %u: %zu POSIX timers in the image",
			       core->pid, core->n_posix_timers);
	tids = xmalloc(core->n_threads * sizeof(*tids));
	for (size_t i = 0; i < core->n_threads; i++)
		tids[i] = core->threads[i]->tid;
	for (size_t i = 0; i < core->n_posix_timers; i++) {
		const PosixTimerEntry *e = core->posix_timers[i];
		const char *why = timer_unrestorable(e->clock, e->notify, e->signo, e->has_tid,
						     e->tid, tids, core->n_threads, cap_eff);

		if (!why && e->id > INT32_MAX)
			why = "its id is out of range";
		if (!why && (e->value_ns >= MAX_TIMER_NS || e->interval_ns >= MAX_TIMER_NS ||
			     (e->has_expires_ns && e->expires_ns >= MAX_TIMER_NS)))
			why = "its time is out of range";
		if (!why && e->has_expires_ns != (e->value_ns && clock_is_realtime(e->clock)))
			why = "its expiry moment does not match its clock";
		for (size_t j = 0; j < i && !why; j++)
			if (core->posix_timers[j]->id == e->id)
				why = "its id is there twice";
		if (why)
			return pr_fail(-EBADMSG,
				       "cannot restore %u: POSIX timer %u in the image: %s",
				       core->pid, e->id, why);
	}
	return 0;
}

static int set_restore_ids(struct infect *inf, long on)
{
	long ret;
	int r = infect_syscall3(inf, SYS_prctl, &ret, PR_TIMER_CREATE_RESTORE_IDS, on, 0);

	return r < 0 ? r : ret < 0 ? (int)ret : 0;
}

static int timer_create_remote(struct infect *inf, const PosixTimerEntry *e)
{
	struct sigevent sev;
	int id = (int)e->id;
	long ret;
	int r;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = (int)e->notify;
	sev.sigev_signo = (int)e->signo;
	sev.sigev_value.sival_ptr = (void *)(uintptr_t)e->sigval;
	if (e->has_tid)
		sev.sigev_notify_thread_id = ns_pid_seen_by(inf->pid, (int)e->tid);
	r = remote_write(inf->pid, inf->scratch, &sev, sizeof(sev));
	if (r == 0)
		r = remote_write(inf->pid, inf->scratch + sizeof(sev), &id, sizeof(id));
	if (r == 0)
		r = infect_syscall3(inf, SYS_timer_create, &ret, e->clock, inf->scratch,
				    inf->scratch + sizeof(sev));
	if (r == 0 && ret < 0)
		r = (int)ret;
	if (r == 0)
		r = remote_read(inf->pid, inf->scratch + sizeof(sev), &id, sizeof(id));
	/* An older kernel would have ignored the id it was given. */
	if (r == 0 && id != (int)e->id)
		r = -EBUSY;
	return r;
}

/* Before the threads go on: each timer with its id, disarmed. */
int posix_timers_create_late(struct infect *inf, const TaskCoreEntry *core)
{
	int r, r2;

	if (!core->n_posix_timers)
		return 0;
	r = set_restore_ids(inf, PR_TIMER_CREATE_RESTORE_IDS_ON);
	if (r < 0)
		return pr_errno(r,
				"cannot restore the POSIX timers of %u: cannot ask for their ids",
				core->pid);
	/* /proc lists the newest first: the oldest is created first, and
	 * the list reads as it did. */
	for (size_t i = core->n_posix_timers; i-- > 0 && r >= 0;) {
		r = timer_create_remote(inf, core->posix_timers[i]);
		if (r < 0)
			(void)pr_errno(r, "cannot restore POSIX timer %u of %u",
				       core->posix_timers[i]->id, core->pid);
	}
	r2 = set_restore_ids(inf, PR_TIMER_CREATE_RESTORE_IDS_OFF);
	if (r >= 0 && r2 < 0)
		return pr_errno(r2, "cannot restore the POSIX timers of %u", core->pid);
	return r;
}

/* Last, like the interval timers: rebuilding the tree does not eat into
 * the time left. */
int posix_timers_arm_late(struct infect *inf, const TaskCoreEntry *core)
{
	for (size_t i = 0; i < core->n_posix_timers; i++) {
		const PosixTimerEntry *e = core->posix_timers[i];
		struct itimerspec its = { ns_to_ts(e->interval_ns), ns_to_ts(e->value_ns) };
		int flags = 0;
		long ret;
		int r;

		if (!e->value_ns)
			continue;
		if (e->has_expires_ns) {
			/* Past moments fire at once, and once: armed
			 * absolute in the past, the kernel would count every
			 * interval missed as overruns. */
			if (e->expires_ns > realtime_now()) {
				its.it_value = ns_to_ts(e->expires_ns);
				flags = TIMER_ABSTIME;
			} else {
				its.it_value = ns_to_ts(1);
			}
		}
		r = remote_write(inf->pid, inf->scratch, &its, sizeof(its));
		if (r == 0)
			r = infect_syscall6(inf, SYS_timer_settime, &ret, e->id, flags,
					    inf->scratch, 0, 0, 0);
		if (r == 0 && ret < 0)
			r = (int)ret;
		if (r < 0)
			return pr_errno(r, "cannot arm POSIX timer %u of %u", e->id, core->pid);
	}
	return 0;
}
