// SPDX-License-Identifier: GPL-2.0
/*
 * How the kernel schedules a task: policy, real-time priority and nice,
 * CPU affinity, I/O priority (all per thread), and the process's
 * oom_score_adj. ckpt reads them from outside (sched_getattr,
 * sched_getaffinity and ioprio_get take any tid; /proc shows the OOM
 * adjustment) and sets them from outside once the threads exist, each read
 * back: exactly as dumped, or the restore fails.
 *
 * A set that is not root's (trust.h) may claim nothing an unprivileged
 * user could not set for itself: no real-time policy, no negative nice, no
 * real-time I/O class, no negative oom_score_adj. SCHED_DEADLINE and
 * utilization clamps are refused at dump (not saved).
 *
 * The kernel surprises: writing oom_score_adj with CAP_SYS_RESOURCE also
 * makes it the floor the process may not go below without that
 * capability (oom_score_adj_min, not shown anywhere); the restore writes
 * it as root, so that floor becomes the restored value.
 */
#include "kinds.h"
#include "ns.h"
#include "util.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#define SCHED_FLAG_RESET_ON_FORK_ 0x01
#define SCHED_FLAG_UTIL_CLAMP_MIN_ 0x20
#define SCHED_FLAG_UTIL_CLAMP_MAX_ 0x40
#define UCLAMP_MAX_DEFAULT 1024
#define IOPRIO_WHO_PROCESS_ 1
#define IOPRIO_CLASS_RT_ 1
#define IOPRIO_CLASS_IDLE_ 3
#define IOPRIO_CLASS(v) ((v) >> 13)
/* The largest CPU mask taken from an image: 8192 CPUs. */
#define MAX_AFFINITY_BYTES 1024

struct sched_attr_ {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
	uint32_t sched_util_min;
	uint32_t sched_util_max;
};

static int get_attr(int tid, struct sched_attr_ *a)
{
	memset(a, 0, sizeof(*a));
	return syscall(SYS_sched_getattr, tid, a, sizeof(*a), 0) < 0 ? -errno : 0;
}

/* Affinity of @tid; *ret_len bytes at *ret. */
static int get_affinity(int tid, uint8_t **ret, size_t *ret_len)
{
	for (size_t len = 128; len <= MAX_AFFINITY_BYTES; len *= 2) {
		uint8_t *mask = xzalloc(len);
		long n = syscall(SYS_sched_getaffinity, tid, len, mask);

		if (n > 0) {
			*ret = mask;
			*ret_len = (size_t)n;
			return 0;
		}
		free(mask);
		if (errno != EINVAL)
			return -errno;
	}
	return -E2BIG;
}

static int sched_dump_thread(int pid, int tid, const uint8_t *own_mask, size_t own_len,
			     ThreadCoreEntry *th)
{
	_cleanup_free_ uint8_t *mask = NULL;
	struct sched_attr_ a;
	size_t len;
	long io;
	int r;

	r = get_attr(tid, &a);
	if (r < 0)
		return pr_errno(r, "cannot read the scheduling policy of %d", tid);
	if (a.sched_policy == SCHED_DEADLINE)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: thread %d runs under SCHED_DEADLINE, which is not saved",
			pid, tid);
	if (((a.sched_flags & SCHED_FLAG_UTIL_CLAMP_MIN_) && a.sched_util_min) ||
	    ((a.sched_flags & SCHED_FLAG_UTIL_CLAMP_MAX_) &&
	     a.sched_util_max != UCLAMP_MAX_DEFAULT))
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: thread %d has utilization clamps (sched_setattr), which are not saved",
			pid, tid);
	th->has_sched_policy = th->has_sched_priority = th->has_nice = true;
	th->sched_policy = a.sched_policy;
	if (a.sched_flags & SCHED_FLAG_RESET_ON_FORK_)
		th->sched_policy |= SCHED_RESET_ON_FORK;
	th->sched_priority = a.sched_priority;
	th->nice = a.sched_nice;
	r = get_affinity(tid, &mask, &len);
	if (r < 0)
		return pr_errno(r, "cannot read the CPU affinity of %d", tid);
	/* The same as ckpt's own, which new threads inherit: not saved, so
	 * that the images restore on a machine with other CPUs. */
	if (len != own_len || memcmp(mask, own_mask, len)) {
		th->has_cpu_affinity = true;
		th->cpu_affinity.len = len;
		th->cpu_affinity.data = mask;
		mask = NULL;
	}
	io = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS_, tid);
	if (io < 0)
		return pr_errno(-errno, "cannot read the I/O priority of %d", tid);
	th->has_ioprio = true;
	th->ioprio = (uint32_t)io;
	return 0;
}

static int oom_path(int pid, char *buf, size_t len)
{
	return snprintf(buf, len, "/proc/%d/oom_score_adj", pid);
}

int sched_dump(int pid, const struct seized_task *threads, size_t nr, TaskCoreEntry *core,
	       ThreadCoreEntry **ths)
{
	_cleanup_free_ uint8_t *own = NULL;
	_cleanup_free_ char *text = NULL;
	char path[64];
	size_t own_len;
	int r;

	r = get_affinity(0, &own, &own_len);
	if (r < 0)
		return pr_errno(r, "cannot read ckpt's own CPU affinity");
	for (size_t i = 0; i < nr; i++) {
		r = sched_dump_thread(pid, threads[i].pid, own, own_len, ths[i]);
		if (r < 0)
			return r;
	}
	oom_path(pid, path, sizeof(path));
	r = read_file(path, &text, NULL);
	if (r < 0)
		return pr_errno(r, "cannot read '%s'", path);
	core->has_oom_score_adj = true;
	core->oom_score_adj = (int32_t)strtol(text, NULL, 10);
	return 0;
}

static int check_thread(const TaskCoreEntry *core, const ThreadCoreEntry *th, bool trusted)
{
	uint32_t policy = th->sched_policy & ~(uint32_t)SCHED_RESET_ON_FORK;
	bool rt = policy == SCHED_FIFO || policy == SCHED_RR;
	const char *why = NULL;

	if (!th->has_sched_policy)
		return 0;
	if (policy != SCHED_OTHER && policy != SCHED_BATCH && policy != SCHED_IDLE && !rt)
		why = "an unknown scheduling policy";
	else if (rt ? th->sched_priority < 1 || th->sched_priority > 99 : th->sched_priority)
		why = "a real-time priority out of range";
	else if (!th->has_nice || th->nice < -20 || th->nice > 19)
		why = "a nice value out of range";
	else if (th->has_cpu_affinity &&
		 (th->cpu_affinity.len < 1 || th->cpu_affinity.len > MAX_AFFINITY_BYTES ||
		  th->cpu_affinity.len % sizeof(long)))
		why = "a CPU mask of a bad size";
	else if (th->has_ioprio &&
		 (IOPRIO_CLASS(th->ioprio) > IOPRIO_CLASS_IDLE_ || (th->ioprio & 0x1fff) > 7))
		why = "an unknown I/O priority";
	if (why)
		return pr_fail(-EBADMSG, "cannot restore %u: thread %u has %s in the image",
			       core->pid, th->tid, why);
	if (trusted)
		return 0;
	if (rt)
		why = "a real-time scheduling policy";
	else if (th->nice < 0)
		why = "a negative nice value";
	else if (th->has_ioprio && IOPRIO_CLASS(th->ioprio) == IOPRIO_CLASS_RT_)
		why = "the real-time I/O class";
	if (why)
		return pr_fail(
			-EPERM,
			"cannot restore %u: thread %u has %s, which only root's image set may restore",
			core->pid, th->tid, why);
	return 0;
}

int sched_check(const TaskCoreEntry *core, bool trusted)
{
	int r;

	for (size_t i = 0; i < core->n_threads; i++) {
		r = check_thread(core, core->threads[i], trusted);
		if (r < 0)
			return r;
	}
	if (core->has_oom_score_adj && (core->oom_score_adj < -1000 || core->oom_score_adj > 1000))
		return pr_fail(-EBADMSG, "cannot restore %u: oom_score_adj %d in the image",
			       core->pid, core->oom_score_adj);
	if (!trusted && core->has_oom_score_adj && core->oom_score_adj < 0)
		return pr_fail(
			-EPERM,
			"cannot restore %u: a negative oom_score_adj (%d) only root's image set may restore",
			core->pid, core->oom_score_adj);
	return 0;
}

static int set_affinity(int tid, const ProtobufCBinaryData *want)
{
	_cleanup_free_ uint8_t *now = NULL;
	size_t len;
	int r;

	if (syscall(SYS_sched_setaffinity, tid, want->len, want->data) < 0)
		return -errno;
	/* The kernel keeps only the CPUs this machine has. */
	r = get_affinity(tid, &now, &len);
	if (r < 0)
		return r;
	for (size_t i = 0; i < MAX(len, want->len); i++)
		if ((i < len ? now[i] : 0) != (i < want->len ? want->data[i] : 0))
			return -EINVAL;
	return 0;
}

static int sched_restore_thread(const ThreadCoreEntry *th)
{
	int tid = ns_host_pid((int)th->tid);
	uint32_t policy = th->sched_policy & ~(uint32_t)SCHED_RESET_ON_FORK;
	struct sched_attr_ a = { .size = sizeof(a), .sched_policy = SCHED_OTHER };
	struct sched_attr_ now;
	long io;
	int r;

	if (!th->has_sched_policy)
		return 0;
	/* Nice first: a real-time policy does not take it. */
	a.sched_nice = th->nice;
	if (syscall(SYS_sched_setattr, tid, &a, 0) < 0)
		return pr_errno(-errno, "cannot restore the nice value of thread %d", tid);
	a.sched_policy = policy;
	a.sched_priority = th->sched_priority;
	a.sched_flags = th->sched_policy & SCHED_RESET_ON_FORK ? SCHED_FLAG_RESET_ON_FORK_ : 0;
	if ((policy != SCHED_OTHER || a.sched_flags) && syscall(SYS_sched_setattr, tid, &a, 0) < 0)
		return pr_errno(-errno, "cannot restore the scheduling policy of thread %d", tid);
	r = get_attr(tid, &now);
	if (r == 0 && (now.sched_policy != policy || now.sched_priority != th->sched_priority ||
		       now.sched_nice != th->nice))
		r = -EINVAL;
	if (r < 0)
		return pr_fail(r,
			       "cannot restore the scheduling policy of thread %d: it did not hold",
			       tid);
	if (th->has_cpu_affinity) {
		r = set_affinity(tid, &th->cpu_affinity);
		if (r == -EINVAL)
			return pr_fail(
				r,
				"cannot restore the CPU affinity of thread %d: this machine lacks some of its CPUs",
				tid);
		if (r < 0)
			return pr_errno(r, "cannot restore the CPU affinity of thread %d", tid);
	}
	if (!th->has_ioprio)
		return 0;
	io = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS_, tid);
	if (io != (long)th->ioprio &&
	    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS_, tid, th->ioprio) < 0)
		return pr_errno(-errno, "cannot restore the I/O priority of thread %d", tid);
	return 0;
}

static int write_text(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	return n < 0 ? -errno : (size_t)n == strlen(text) ? 0 : -EIO;
}

int sched_restore_late(const TaskCoreEntry *core)
{
	_cleanup_free_ char *text = NULL;
	char path[64], buf[16];
	int r;

	for (size_t i = 0; i < core->n_threads; i++) {
		r = sched_restore_thread(core->threads[i]);
		if (r < 0)
			return r;
	}
	if (!core->has_oom_score_adj)
		return 0;
	oom_path(ns_host_pid((int)core->pid), path, sizeof(path));
	snprintf(buf, sizeof(buf), "%d", core->oom_score_adj);
	r = write_text(path, buf);
	if (r >= 0)
		r = read_file(path, &text, NULL);
	if (r >= 0 && strtol(text, NULL, 10) != core->oom_score_adj)
		r = -EINVAL;
	return r < 0 ? pr_errno(r, "cannot restore the oom_score_adj of %u", core->pid) : 0;
}
