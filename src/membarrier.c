// SPDX-License-Identifier: GPL-2.0
/*
 * membarrier(2) registrations: a process that registered for the private
 * expedited barriers (liburcu, the JVM, .NET) gets EPERM from them
 * without it. The kernel shows no registration anywhere, but a private
 * expedited barrier fails with EPERM exactly when its registration is
 * missing: the dump asks one of each kind the kernel has, as a remote
 * call (every thread of the process is stopped, so it interrupts none).
 * Restore registers again. The global expedited registration cannot be
 * told this way (its barrier never fails): it stays unknown (README).
 */
#include "kinds.h"

#include "util.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>

static const struct {
	int cmd, reg;
} kinds[] = {
	{ MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED },
	{ MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE,
	  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE },
	{ MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ },
};

static long membarrier(struct infect *inf, int cmd)
{
	long ret;
	int r = infect_syscall3(inf, SYS_membarrier, &ret, cmd, 0, 0);

	return r < 0 ? r : ret;
}

int membarrier_dump(struct infect *inf, TaskCoreEntry *core)
{
	long query = membarrier(inf, MEMBARRIER_CMD_QUERY);

	core->has_membarrier = true;
	core->membarrier = 0;
	if (query == -ENOSYS || query == -EINVAL)
		return 0;
	if (query < 0)
		return pr_errno((int)query, "cannot read the membarrier registrations of %d",
				inf->pid);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		long ret;

		if (!(query & kinds[i].cmd))
			continue;
		ret = membarrier(inf, kinds[i].cmd);
		if (ret == 0)
			core->membarrier |= (uint32_t)kinds[i].reg;
		else if (ret != -EPERM)
			return pr_errno((int)ret, "cannot read the membarrier registrations of %d",
					inf->pid);
	}
	return 0;
}

int membarrier_check(const TaskCoreEntry *core)
{
	uint32_t known = 0;

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		known |= (uint32_t)kinds[i].reg;
	if (core->membarrier & ~known)
		return pr_fail(-EBADMSG, "cannot restore %u: membarrier %#x in the image",
			       core->pid, core->membarrier);
	return 0;
}

int membarrier_restore_late(struct infect *inf, const TaskCoreEntry *core)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		long ret;

		if (!(core->membarrier & (uint32_t)kinds[i].reg))
			continue;
		ret = membarrier(inf, kinds[i].reg);
		if (ret < 0)
			return pr_errno((int)ret,
					"cannot restore the membarrier registration of %u",
					core->pid);
	}
	return 0;
}
