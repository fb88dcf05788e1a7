// SPDX-License-Identifier: GPL-2.0
/*
 * Flags a task sets on itself with prctl(2), that only it can read: per
 * thread the speculation controls (store bypass, indirect branches, L1D
 * flush), the time-stamp counter (PR_SET_TSC) and the machine-check kill
 * policy; per process memory-deny-write-execute (PR_SET_MDWE) and KSM for
 * the whole process (PR_SET_MEMORY_MERGE). Both sides by remote calls in
 * the thread; restored before the credentials (MEMORY_MERGE needs
 * CAP_SYS_RESOURCE, which a user's image set may not claim: refused at
 * load), MDWE after the memory is rebuilt (it forbids what rebuilding
 * does).
 */
#include "kinds.h"
#include "util.h"

#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_GET_MDWE 66
#endif
#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#define PR_GET_MEMORY_MERGE 68
#endif
#ifndef PR_SPEC_L1D_FLUSH
#define PR_SPEC_L1D_FLUSH 2
#endif
#define MDWE_KNOWN 3 /* PR_MDWE_REFUSE_EXEC_GAIN | PR_MDWE_NO_INHERIT */
#define SPEC_STATES \
	(PR_SPEC_ENABLE | PR_SPEC_DISABLE | PR_SPEC_FORCE_DISABLE | PR_SPEC_DISABLE_NOEXEC)

static const int spec_which[] = { PR_SPEC_STORE_BYPASS, PR_SPEC_INDIRECT_BRANCH,
				  PR_SPEC_L1D_FLUSH };

/* prctl @op in the task; *ret its result (EINVAL: this kernel lacks it,
 * taken as the default @dfl). */
static int get(struct infect *inf, int op, long arg, long dfl, long *ret)
{
	int r = infect_syscall6(inf, SYS_prctl, ret, op, arg, 0, 0, 0, 0);

	if (r == 0 && *ret == -EINVAL)
		*ret = dfl;
	else if (r == 0 && *ret < 0)
		r = (int)*ret;
	return r;
}

int prctl_dump_thread(struct infect *inf, ThreadCoreEntry *th)
{
	long ret;
	int tsc = 0, r;

	for (size_t i = 0; i < ARRAY_SIZE(spec_which); i++) {
		r = get(inf, PR_GET_SPECULATION_CTRL, spec_which[i], 0, &ret);
		if (r < 0)
			return pr_errno(r, "cannot read the speculation controls of %d", inf->pid);
		th->spec_ctrl = xrealloc(th->spec_ctrl, (i + 1) * sizeof(*th->spec_ctrl));
		th->spec_ctrl[th->n_spec_ctrl++] = (uint32_t)ret;
	}
	r = infect_syscall6(inf, SYS_prctl, &ret, PR_GET_TSC, inf->scratch, 0, 0, 0, 0);
	if (r == 0 && ret == 0)
		r = remote_read(inf->pid, inf->scratch, &tsc, sizeof(tsc));
	else if (r == 0 && ret != -EINVAL)
		r = (int)ret;
	if (r < 0)
		return pr_errno(r, "cannot read the TSC mode of %d", inf->pid);
	th->has_tsc = true;
	th->tsc = (uint32_t)tsc;
	r = get(inf, PR_MCE_KILL_GET, 0, PR_MCE_KILL_DEFAULT, &ret);
	if (r < 0)
		return pr_errno(r, "cannot read the machine-check kill policy of %d", inf->pid);
	th->has_mce_kill = true;
	th->mce_kill = (uint32_t)ret;
	return 0;
}

int prctl_dump_task(struct infect *inf, TaskCoreEntry *core)
{
	long ret;
	int r;

	r = get(inf, PR_GET_MDWE, 0, 0, &ret);
	if (r < 0)
		return pr_errno(r, "cannot read the MDWE flags of %d", inf->pid);
	core->has_mdwe = true;
	core->mdwe = (uint32_t)ret;
	r = get(inf, PR_GET_MEMORY_MERGE, 0, 0, &ret);
	if (r < 0)
		return pr_errno(r, "cannot read the KSM flag of %d", inf->pid);
	core->has_memory_merge = true;
	core->memory_merge = ret != 0;
	return 0;
}

static bool spec_valid(uint32_t v)
{
	uint32_t state = v & SPEC_STATES;

	return !(v & ~(PR_SPEC_PRCTL | SPEC_STATES)) && (state & (state - 1)) == 0;
}

int prctl_check(const TaskCoreEntry *core, bool trusted)
{
	const char *why = NULL;

	for (size_t i = 0; i < core->n_threads && !why; i++) {
		const ThreadCoreEntry *th = core->threads[i];

		if (th->n_spec_ctrl > ARRAY_SIZE(spec_which))
			why = "too many speculation controls";
		for (size_t k = 0; k < th->n_spec_ctrl && !why; k++)
			if (!spec_valid(th->spec_ctrl[k]))
				why = "an unknown speculation control";
		if (!why && th->has_tsc && th->tsc != 0 && th->tsc != PR_TSC_ENABLE &&
		    th->tsc != PR_TSC_SIGSEGV)
			why = "an unknown TSC mode";
		if (!why && th->has_mce_kill && th->mce_kill > PR_MCE_KILL_DEFAULT)
			why = "an unknown machine-check kill policy";
	}
	if (!why && core->has_mdwe && core->mdwe & ~(uint32_t)MDWE_KNOWN)
		why = "unknown MDWE flags";
	if (why)
		return pr_fail(-EBADMSG, "cannot restore %u: %s in the image", core->pid, why);
	if (!trusted && core->memory_merge)
		return pr_fail(
			-EPERM,
			"cannot restore %u: KSM for the whole process (PR_SET_MEMORY_MERGE needs CAP_SYS_RESOURCE) only root's image set may restore",
			core->pid);
	return 0;
}

static int set(struct infect *inf, int op, long a2, long a3)
{
	long ret;
	int r = infect_syscall6(inf, SYS_prctl, &ret, op, a2, a3, 0, 0, 0);

	return r < 0 ? r : ret < 0 ? (int)ret : 0;
}

int prctl_restore_thread_late(struct infect *inf, const ThreadCoreEntry *th)
{
	int r;

	for (size_t i = 0; i < th->n_spec_ctrl; i++) {
		uint32_t v = th->spec_ctrl[i];
		long now;

		/* Without PR_SPEC_PRCTL the kernel decides, not the task. */
		if (!(v & PR_SPEC_PRCTL))
			continue;
		r = get(inf, PR_GET_SPECULATION_CTRL, spec_which[i], 0, &now);
		if (r >= 0 && now != v)
			r = set(inf, PR_SET_SPECULATION_CTRL, spec_which[i], v & SPEC_STATES);
		if (r < 0)
			return pr_errno(r, "cannot restore speculation control %d of thread %d",
					spec_which[i], inf->pid);
	}
	if (th->has_tsc && th->tsc == PR_TSC_SIGSEGV) {
		r = set(inf, PR_SET_TSC, PR_TSC_SIGSEGV, 0);
		if (r < 0)
			return pr_errno(r, "cannot restore the TSC mode of thread %d", inf->pid);
	}
	if (th->has_mce_kill && th->mce_kill != PR_MCE_KILL_DEFAULT) {
		r = set(inf, PR_MCE_KILL, PR_MCE_KILL_SET, th->mce_kill);
		if (r < 0)
			return pr_errno(r,
					"cannot restore the machine-check kill policy of thread %d",
					inf->pid);
	}
	return 0;
}

int prctl_restore_late(struct infect *inf, const TaskCoreEntry *core)
{
	int r;

	if (core->memory_merge) {
		r = set(inf, PR_SET_MEMORY_MERGE, 1, 0);
		if (r < 0)
			return pr_errno(r, "cannot restore KSM for the whole of %u", core->pid);
	}
	if (core->has_mdwe && core->mdwe) {
		r = set(inf, PR_SET_MDWE, core->mdwe, 0);
		if (r < 0)
			return pr_errno(r, "cannot restore the MDWE flags of %u", core->pid);
	}
	return 0;
}
