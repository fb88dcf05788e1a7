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
#include "util.h"

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

/* Every mapping's policy, from /proc/PID/numa_maps: "default" only. */
static int numa_maps_check(int pid)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
	r = read_file(path, &text, NULL);
	if (r == -ENOENT)
		return 0; /* no NUMA in this kernel: no policy either */
	if (r < 0)
		return pr_errno(r, "cannot read '%s'", path);
	for (char *line = text, *next; line && *line; line = next) {
		unsigned long long start;
		char policy[64];

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "%llx %63s", &start, policy) != 2)
			return pr_fail(-EINVAL, "cannot dump %d: '%s' not understood", pid, path);
		if (strcmp(policy, "default"))
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: the mapping at %llx has the memory policy '%s' (mbind), which is not saved",
				pid, start, policy);
	}
	return 0;
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

int mempolicy_dump(struct infect *inf, int pid)
{
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
	r = numa_maps_check(pid);
	return r < 0 ? r : pkeys_check(pid);
}
