// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA memory policy and protection keys. Each thread's own policy
 * (set_mempolicy) and each mapping's (mbind) are saved and set again,
 * read back exactly (below). Refused at dump, as the restore does not
 * rebuild them: memory protection keys (a mapping tagged with a key by
 * pkey_mprotect): a restored process would come back with every page
 * under key 0, and its own view (pkey faults) would differ.
 */
#include "kinds.h"
#include "mm.h"
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
 * Each thread's own policy (set_mempolicy is per thread; a new thread
 * starts with its creator's): read in the thread by get_mempolicy
 * without flags, which gives the mode with the MPOL_F_* mode flags ORed
 * in, and the nodes as set (as the caller gave them, with the static and
 * relative flags). Set again in the restored thread and read back: the
 * same mode word and nodes, or the restore fails (a node this machine
 * lacks is refused by the kernel or dropped from the mask: either way it
 * does not hold). MPOL_WEIGHTED_INTERLEAVE's weights are the machine's
 * (sysfs), not the thread's: not saved.
 */
#define MPOL_DEFAULT_ 0
#define MPOL_LOCAL_ 4
#define MPOL_MODE_LAST_ 6 /* MPOL_WEIGHTED_INTERLEAVE */
#define MPOL_F_NUMA_BALANCING_ (1U << 13)
#define MPOL_F_RELATIVE_NODES_ (1U << 14)
#define MPOL_F_STATIC_NODES_ (1U << 15)
#define MPOL_FLAGS_ (MPOL_F_NUMA_BALANCING_ | MPOL_F_RELATIVE_NODES_ | MPOL_F_STATIC_NODES_)
/* MAX_NUMNODES is at most 1 << NODES_SHIFT, NODES_SHIFT at most 10. */
#define NODE_BITS 1024
#define NODE_BYTES (NODE_BITS / 8)

/* The calling thread's policy (@addr 0, @flags 0) or the mapping's at
 * @addr (MPOL_F_ADDR): *@mode and @nodes (NODE_BYTES). */
static int policy_get(struct infect *inf, uint64_t addr, long flags, int *mode, uint8_t *nodes)
{
	long ret;
	int r;

	if (inf->scratch_len < sizeof(long) + NODE_BYTES)
		return -ENOSPC;
	r = infect_syscall6(inf, SYS_get_mempolicy, &ret, inf->scratch, inf->scratch + sizeof(long),
			    NODE_BITS + 1, addr, flags, 0);
	if (r == 0 && ret < 0)
		r = (int)ret;
	if (r == 0)
		r = remote_read(inf->pid, inf->scratch, mode, sizeof(*mode));
	if (r == 0)
		r = remote_read(inf->pid, inf->scratch + sizeof(long), nodes, NODE_BYTES);
	return r;
}

/* The length of @nodes without its trailing zero words. */
static size_t nodes_len(const uint8_t *nodes)
{
	size_t len = NODE_BYTES;

	while (len >= sizeof(uint64_t) &&
	       !memcmp(nodes + len - sizeof(uint64_t), "\0\0\0\0\0\0\0\0", sizeof(uint64_t)))
		len -= sizeof(uint64_t);
	return len;
}

const char *mempolicy_invalid(uint32_t word, bool has_nodes, size_t len)
{
	uint32_t mode = word & ~MPOL_FLAGS_, flags = word & MPOL_FLAGS_;

	if (!has_nodes)
		len = 0;
	if (mode > MPOL_MODE_LAST_)
		return "an unknown memory policy mode";
	if ((flags & MPOL_F_STATIC_NODES_) && (flags & MPOL_F_RELATIVE_NODES_))
		return "both static and relative memory policy nodes";
	if (len > NODE_BYTES || len % sizeof(uint64_t))
		return "a memory policy node mask of a bad size";
	if (mode == MPOL_DEFAULT_ && (flags || len))
		return "a default memory policy with nodes or flags";
	if (mode == MPOL_LOCAL_ && len)
		return "a local memory policy with nodes";
	if (mode != MPOL_DEFAULT_ && mode != MPOL_LOCAL_ && !len)
		return "a memory policy without nodes";
	return NULL;
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
	int pid, r; /* 0, -ENOENT (no NUMA), -EINVAL (not understood), or
		     * the read's error */
	uint64_t *found; /* mappings numa_maps shows a policy at */
	size_t nr_found;
	/* The remote calls' answer: the mappings with a policy of their own. */
	struct vma_policy {
		uint64_t start;
		uint32_t mode;
		size_t len;
		uint8_t nodes[NODE_BYTES];
	} * pols;
	size_t nr_pols;
};

static void *numa_read_main(void *arg)
{
	struct numa_read *nr = arg;
	_cleanup_free_ char *text = NULL;
	unsigned long long start;
	char path[64], policy[64];

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", nr->pid);
	nr->r = read_file(path, &text, NULL);
	for (char *line = text, *next; nr->r >= 0 && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "%llx %63s", &start, policy) != 2) {
			nr->r = -EINVAL;
		} else if (strcmp(policy, "default")) {
			nr->found = xrealloc(nr->found, (nr->nr_found + 1) * sizeof(*nr->found));
			nr->found[nr->nr_found++] = start;
		}
	}
	return NULL;
}

static void pol_add(struct numa_read *numa, uint64_t start, int mode, const uint8_t *nodes)
{
	struct vma_policy *vp;

	numa->pols = xrealloc(numa->pols, (numa->nr_pols + 1) * sizeof(*numa->pols));
	vp = &numa->pols[numa->nr_pols++];
	vp->start = start;
	vp->mode = (uint32_t)mode;
	vp->len = nodes_len(nodes);
	memcpy(vp->nodes, nodes, NODE_BYTES);
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

/* The policies read by remote calls, onto the mappings of @mm. */
static int vma_policies_attach(const struct numa_read *nr, MmEntry *mm)
{
	size_t j = 0;

	for (size_t i = 0; i < nr->nr_pols; i++) {
		const struct vma_policy *vp = &nr->pols[i];

		while (j < mm->n_vmas && mm->vmas[j]->start < vp->start)
			j++;
		if (j == mm->n_vmas || mm->vmas[j]->start != vp->start)
			return pr_fail(
				-ESTALE,
				"cannot dump %d: the mapping at %llx with a memory policy (mbind) is not in its memory map",
				nr->pid, (unsigned long long)vp->start);
		mm->vmas[j]->has_mempolicy = true;
		mm->vmas[j]->mempolicy = vp->mode;
		if (vp->len) {
			mm->vmas[j]->has_mempolicy_nodes = true;
			mm->vmas[j]->mempolicy_nodes.len = vp->len;
			mm->vmas[j]->mempolicy_nodes.data = xmalloc(vp->len);
			memcpy(mm->vmas[j]->mempolicy_nodes.data, vp->nodes, vp->len);
		}
	}
	return 0;
}

int mempolicy_maps_finish(struct numa_read *nr, bool judge, MmEntry *mm)
{
	int pid = nr->pid, r;

	if (nr->started)
		pthread_join(nr->thread, NULL);
	r = nr->r;
	if (judge && r >= 0)
		r = vma_policies_attach(nr, mm);
	if (r == -ESTALE)
		; /* said by vma_policies_attach */
	else if (!judge || r >= 0 || r == -ENOENT) /* no NUMA in this kernel: no policy either */
		r = 0;
	else if (r == -EINVAL)
		r = pr_fail(r, "cannot dump %d: '/proc/%d/numa_maps' not understood", pid, pid);
	else if (r != -ESTALE)
		r = pr_errno(r, "cannot read '/proc/%d/numa_maps'", pid);
	free(nr->found);
	free(nr->pols);
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
 * thread's there). The same as numa_maps shows at the start of each
 * mapping, without its page walk. Kept in @numa (non-default ones) for
 * mempolicy_maps_finish.
 */
static int vma_policies_read(struct infect *inf, int pid, const struct proc_vma *vmas, size_t nr,
			     struct numa_read *numa)
{
	for (size_t i = 0; i < nr; i++) {
		uint8_t nodes[NODE_BYTES];
		int mode = 0, r;

		if (vmas[i].start >= USER_TOP) /* [vsyscall]: no mapping of the process */
			continue;
		r = policy_get(inf, vmas[i].start, MPOL_F_ADDR, &mode, nodes);
		if (r == -ENOSYS)
			return 0; /* no NUMA in this kernel: no policy either */
		if (r < 0)
			return pr_errno(r, "cannot read the memory policy of %d at %llx", pid,
					(unsigned long long)vmas[i].start);
		if (mode)
			pol_add(numa, vmas[i].start, mode, nodes);
	}
	return 0;
}

int mempolicy_dump(struct infect *inf, int pid, struct numa_read **ret_numa)
{
	struct proc_vma *vmas;
	uint64_t pages = 0;
	size_t nr;
	int mode = 0, r;
	long ret;

	/* The process's policy is each thread's own (mempolicy_dump_thread).
	 * The kernel surprises: numa_maps shows the main thread's policy
	 * for a mapping without one of its own, so with a policy there only
	 * the remote calls tell a mapping's own policy from it. */
	r = infect_syscall6(inf, SYS_get_mempolicy, &ret, inf->scratch, 0, 0, 0, 0, 0);
	if (r == 0 && ret == 0)
		r = remote_read(inf->pid, inf->scratch, &mode, sizeof(mode));
	if (r == 0 && ret < 0 && ret != -ENOSYS)
		r = (int)ret;
	if (r < 0)
		return pr_errno(r, "cannot read the memory policy of %d", pid);
	r = pkeys_check(pid);
	if (r < 0)
		return r;
	r = proc_read_maps(pid, &vmas, &nr);
	if (r < 0)
		return pr_errno(r, "cannot read the mappings of %d", pid);
	for (size_t i = 0; i < nr; i++)
		if (vmas[i].start < USER_TOP)
			pages += (vmas[i].end - vmas[i].start) / 4096;
	if (mode || (nr <= POLICY_CALLS_MAX && pages >= nr * POLICY_CALLS_PAGES)) {
		*ret_numa = xzalloc(sizeof(**ret_numa)); /* attached later */
		(*ret_numa)->pid = pid;
		r = vma_policies_read(inf, pid, vmas, nr, *ret_numa);
	} else
		*ret_numa = mempolicy_maps_start(pid); /* judged later */
	proc_vmas_free(vmas, nr);
	return r;
}

/*
 * The numa_maps read waited for while the process still has its scratch
 * memory: each mapping it shows a policy at is asked its own by a remote
 * call (numa_maps gives the nodes the policy has now, not those set with
 * relative nodes).
 */
int mempolicy_maps_collect(struct infect *inf, struct numa_read *nr)
{
	if (nr->started)
		pthread_join(nr->thread, NULL);
	nr->started = false;
	for (size_t i = 0; nr->r >= 0 && i < nr->nr_found; i++) {
		uint8_t nodes[NODE_BYTES];
		int mode = 0, r;

		r = policy_get(inf, nr->found[i], MPOL_F_ADDR, &mode, nodes);
		if (r < 0)
			return pr_errno(r, "cannot read the memory policy of %d at %llx", nr->pid,
					(unsigned long long)nr->found[i]);
		if (mode)
			pol_add(nr, nr->found[i], mode, nodes);
	}
	return 0;
}

int mempolicy_dump_thread(struct infect *inf, ThreadCoreEntry *th)
{
	uint8_t nodes[NODE_BYTES];
	size_t len;
	int mode = 0, r;

	r = policy_get(inf, 0, 0, &mode, nodes);
	if (r == -ENOSYS) /* a kernel without NUMA has no policy to lose */
		return 0;
	if (r < 0)
		return pr_errno(r, "cannot read the memory policy of thread %d", inf->pid);
	len = nodes_len(nodes);
	th->has_mempolicy = true;
	th->mempolicy = (uint32_t)mode;
	if (len) {
		th->has_mempolicy_nodes = true;
		th->mempolicy_nodes.len = len;
		th->mempolicy_nodes.data = xmalloc(len);
		memcpy(th->mempolicy_nodes.data, nodes, len);
	}
	return 0;
}

int mempolicy_check(const TaskCoreEntry *core)
{
	for (size_t i = 0; i < core->n_threads; i++) {
		const ThreadCoreEntry *th = core->threads[i];
		const char *why = NULL;

		if (!th->has_mempolicy && th->has_mempolicy_nodes)
			why = "memory policy nodes without a policy";
		else if (th->has_mempolicy)
			why = mempolicy_invalid(th->mempolicy, th->has_mempolicy_nodes,
						th->mempolicy_nodes.len);
		if (why)
			return pr_fail(-EBADMSG, "cannot restore %u: thread %u has %s in the image",
				       core->pid, th->tid, why);
	}
	return 0;
}

int mempolicy_restore_thread_late(struct infect *inf, const ThreadCoreEntry *th)
{
	uint8_t want[NODE_BYTES] = { 0 }, nodes[NODE_BYTES];
	size_t len = th->has_mempolicy_nodes ? th->mempolicy_nodes.len : 0;
	int mode = 0, r;
	long ret;

	if (!th->has_mempolicy)
		return 0;
	if (len) /* checked: at most NODE_BYTES */
		memcpy(want, th->mempolicy_nodes.data, len);
	/* Always set: the thread came with ckpt's policy (or its creator's). */
	r = remote_write(inf->pid, inf->scratch + sizeof(long), want, NODE_BYTES);
	if (r == 0)
		r = infect_syscall6(inf, SYS_set_mempolicy, &ret, th->mempolicy,
				    len ? inf->scratch + sizeof(long) : 0, len ? NODE_BITS + 1 : 0,
				    0, 0, 0);
	if (r == 0 && ret == -ENOSYS && th->mempolicy == MPOL_DEFAULT_)
		return 0; /* no NUMA here: the default is all there is */
	if (r == 0 && ret < 0 && ret != -EINVAL)
		r = (int)ret;
	if (r < 0)
		return pr_errno(r, "cannot restore the memory policy of thread %d", inf->pid);
	/* EINVAL: nodes this machine lacks (the images may come from a
	 * bigger one); a mask the kernel cut to the nodes it has fails the
	 * comparison. */
	if (ret == 0)
		r = policy_get(inf, 0, 0, &mode, nodes);
	if (r < 0)
		return pr_errno(r, "cannot read back the memory policy of thread %d", inf->pid);
	if (ret < 0 || (uint32_t)mode != th->mempolicy || memcmp(nodes, want, NODE_BYTES))
		return pr_fail(
			-EINVAL,
			"cannot restore the memory policy of thread %d: it did not hold (mode %#x; this machine may lack some of its NUMA nodes)",
			inf->pid, th->mempolicy);
	return 0;
}

/*
 * Each mapping's own policy, by mbind in the process once it is mapped
 * and before its pages are written (they land by it), read back by
 * get_mempolicy(MPOL_F_ADDR): the same, or the restore fails.
 */
int mempolicy_restore_vmas(struct infect *inf, const MmEntry *mm)
{
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		uint8_t want[NODE_BYTES] = { 0 }, nodes[NODE_BYTES];
		size_t len = v->has_mempolicy_nodes ? v->mempolicy_nodes.len : 0;
		int mode = 0, r;
		long ret;

		if (!v->has_mempolicy || v->mempolicy == MPOL_DEFAULT_)
			continue;
		if (len) /* checked: at most NODE_BYTES */
			memcpy(want, v->mempolicy_nodes.data, len);
		r = remote_write(inf->pid, inf->scratch + sizeof(long), want, NODE_BYTES);
		if (r == 0)
			r = infect_syscall6(inf, SYS_mbind, &ret, v->start, v->end - v->start,
					    v->mempolicy, len ? inf->scratch + sizeof(long) : 0,
					    len ? NODE_BITS + 1 : 0, 0);
		if (r == 0 && ret < 0 && ret != -EINVAL)
			r = (int)ret;
		if (r == 0 && ret == 0)
			r = policy_get(inf, v->start, MPOL_F_ADDR, &mode, nodes);
		if (r < 0)
			return pr_errno(r,
					"cannot restore the memory policy of the mapping at %llx",
					(unsigned long long)v->start);
		if (ret < 0 || (uint32_t)mode != v->mempolicy || memcmp(nodes, want, NODE_BYTES))
			return pr_fail(
				-EINVAL,
				"cannot restore the memory policy of the mapping at %llx: it did not hold (mode %#x; this machine may lack some of its NUMA nodes)",
				(unsigned long long)v->start, v->mempolicy);
	}
	return 0;
}
