// SPDX-License-Identifier: GPL-2.0
/*
 * Memory state the restore does not rebuild, refused at dump: a NUMA
 * memory policy other than the default (the process's, set_mempolicy, or
 * a mapping's, mbind) and memory protection keys (a mapping tagged with
 * a key by pkey_mprotect). A restored process would come back with the
 * default policy and every page under key 0, and its own view
 * (get_mempolicy, pkey faults) would differ.
 */
#include "kinds.h"
#include "proc.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Whether this machine runs protection keys (the CPU has them and the
 * kernel uses them): otherwise no mapping can have one. */
static bool pkeys_enabled(void)
{
	static int enabled = -1;
	long key;

	if (enabled < 0) {
		key = syscall(SYS_pkey_alloc, 0, 0);
		enabled = key >= 0;
		if (key >= 0)
			(void)syscall(SYS_pkey_free, key);
	}
	return enabled;
}

/*
 * Every mapping's policy, from /proc/PID/numa_maps: "default" only. The
 * kernel walks every page of every mapping to count them per node (tens
 * of ms for a few GiB), so it is read in a thread of its own while the
 * remote calls go on (mempolicy_maps_start), and judged after. The thread
 * does not log: the main thread says what it found, once.
 */
struct numa_read {
	pthread_t thread;
	bool started;
	int pid, r; /* 0, -ENOENT (no NUMA), -EINVAL (not understood),
		     * -EOPNOTSUPP (a policy at @start), or the read's error */
	unsigned long long start;
	char policy[64];
};

static void *numa_read_main(void *arg)
{
	struct numa_read *nr = arg;
	_cleanup_free_ char *text = NULL;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", nr->pid);
	nr->r = read_file(path, &text, NULL);
	for (char *line = text, *next; nr->r >= 0 && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "%llx %63s", &nr->start, nr->policy) != 2)
			nr->r = -EINVAL;
		else if (strcmp(nr->policy, "default"))
			nr->r = -EOPNOTSUPP;
	}
	return NULL;
}

static struct numa_read *mempolicy_maps_start(int pid)
{
	struct numa_read *nr = xzalloc(sizeof(*nr));

	nr->pid = pid;
	nr->started = pthread_create(&nr->thread, NULL, numa_read_main, nr) == 0;
	if (!nr->started)
		numa_read_main(nr);
	return nr;
}

int mempolicy_maps_finish(struct numa_read *nr, bool judge)
{
	int pid = nr->pid, r;

	if (nr->started)
		pthread_join(nr->thread, NULL);
	r = nr->r;
	if (!judge || r >= 0 || r == -ENOENT) /* no NUMA in this kernel: no policy either */
		r = 0;
	else if (r == -EINVAL)
		r = pr_fail(r, "cannot dump %d: '/proc/%d/numa_maps' not understood", pid, pid);
	else if (r == -EOPNOTSUPP)
		r = pr_fail(
			r,
			"cannot dump %d: the mapping at %llx has the memory policy '%s' (mbind), which is not saved",
			pid, nr->start, nr->policy);
	else
		r = pr_errno(r, "cannot read '/proc/%d/numa_maps'", pid);
	free(nr);
	return r;
}

/* Every mapping's key, from /proc/PID/smaps: 0 only. */
static int pkeys_check(int pid)
{
	_cleanup_free_ char *text = NULL;
	unsigned long long start = 0, end;
	char path[64];
	int r;

	if (!pkeys_enabled())
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	r = read_file(path, &text, NULL);
	if (r < 0)
		return pr_errno(r, "cannot read '%s'", path);
	for (char *line = text, *next; line && *line; line = next) {
		unsigned int key;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "%llx-%llx ", &start, &end) == 2)
			continue;
		if (sscanf(line, "ProtectionKey: %u", &key) == 1 && key)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: the mapping at %llx has protection key %u (pkey_mprotect), which is not saved",
				pid, start, key);
	}
	return 0;
}

#ifndef MPOL_F_ADDR
#define MPOL_F_ADDR (1 << 1)
#endif
/* Each mapping's policy is asked by a remote call (tens of us each)
 * rather than read from numa_maps (whose page walk costs some 50 ns a
 * mapped page) when there are at most this many mappings, and they map
 * at least POLICY_CALLS_PAGES pages each on average: a few large ones. */
#define POLICY_CALLS_MAX 64
#define POLICY_CALLS_PAGES 1024
#define USER_TOP (1ULL << 47)

/*
 * Each mapping's own policy, by get_mempolicy(MPOL_F_ADDR) in the
 * process: the mapping's policy (a shared memory object's, for shmem),
 * or MPOL_DEFAULT if it has none (the kernel does not fall back to the
 * process's there, which is checked apart). The same as numa_maps shows
 * at the start of each mapping, without its page walk.
 */
static int vma_policies_check(struct infect *inf, int pid, const struct proc_vma *vmas, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		int mode = 0, r;
		long ret;

		if (vmas[i].start >= USER_TOP) /* [vsyscall]: no mapping of the process */
			continue;
		r = infect_syscall6(inf, SYS_get_mempolicy, &ret, inf->scratch, 0, 0, vmas[i].start,
				    MPOL_F_ADDR, 0);
		if (r == 0 && ret == -ENOSYS)
			return 0; /* no NUMA in this kernel: no policy either */
		if (r == 0 && ret == 0)
			r = remote_read(inf->pid, inf->scratch, &mode, sizeof(mode));
		if (r == 0 && ret < 0)
			r = (int)ret;
		if (r < 0)
			return pr_errno(r, "cannot read the memory policy of %d at %llx", pid,
					(unsigned long long)vmas[i].start);
		if (mode)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: the mapping at %llx has the memory policy mode %#x (mbind), which is not saved",
				pid, (unsigned long long)vmas[i].start, mode);
	}
	return 0;
}

int mempolicy_dump(struct infect *inf, int pid, struct numa_read **ret_numa)
{
	struct proc_vma *vmas;
	uint64_t pages = 0;
	size_t nr;
	long ret;
	int mode = 0, r;

	r = infect_syscall6(inf, SYS_get_mempolicy, &ret, inf->scratch, 0, 0, 0, 0, 0);
	if (r == 0 && ret == 0)
		r = remote_read(inf->pid, inf->scratch, &mode, sizeof(mode));
	/* ENOSYS: a kernel without NUMA has no policy to lose. */
	if (r == 0 && ret < 0 && ret != -ENOSYS)
		r = (int)ret;
	if (r < 0)
		return pr_errno(r, "cannot read the memory policy of %d", pid);
	if (mode)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: it has a memory policy other than the default (set_mempolicy mode %#x), which is not saved",
			pid, mode);
	r = pkeys_check(pid);
	if (r < 0)
		return r;
	r = proc_read_maps(pid, &vmas, &nr);
	if (r < 0)
		return pr_errno(r, "cannot read the mappings of %d", pid);
	for (size_t i = 0; i < nr; i++)
		if (vmas[i].start < USER_TOP)
			pages += (vmas[i].end - vmas[i].start) / 4096;
	if (nr <= POLICY_CALLS_MAX && pages >= nr * POLICY_CALLS_PAGES)
		r = vma_policies_check(inf, pid, vmas, nr);
	else
		*ret_numa = mempolicy_maps_start(pid); /* judged later */
	proc_vmas_free(vmas, nr);
	return r;
}
