// SPDX-License-Identifier: GPL-2.0
/*
 * Interval timers (setitimer, alarm). Only the task can read its own, so
 * both sides go through remote syscalls. Restored last, so that the time
 * spent rebuilding memory does not eat into what was left.
 */
#include "kinds.h"
#include "util.h"

#include <sys/syscall.h>
#include <sys/time.h>

static uint64_t tv_to_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000 + tv->tv_usec;
}

static struct timeval us_to_tv(uint64_t us)
{
	struct timeval tv = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };

	return tv;
}

int itimers_dump(struct infect *inf, TaskCoreEntry *core)
{
	static const int which[] = { ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF };

	core->itimers = xmalloc(ARRAY_SIZE(which) * sizeof(*core->itimers));
	for (size_t i = 0; i < ARRAY_SIZE(which); i++) {
		struct itimerval it;
		ItimerEntry *e;
		long ret;
		int r;

		r = infect_syscall3(inf, SYS_getitimer, &ret, which[i], inf->scratch, 0);
		if (r == 0 && ret < 0)
			r = (int)ret;
		if (r == 0)
			r = remote_read(inf->pid, inf->scratch, &it, sizeof(it));
		if (r < 0)
			return pr_errno(r, "cannot read interval timer %d of %d", which[i],
					inf->pid);
		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			continue;
		e = xmalloc(sizeof(*e));
		itimer_entry__init(e);
		e->which = which[i];
		e->interval_us = tv_to_us(&it.it_interval);
		e->value_us = tv_to_us(&it.it_value);
		core->itimers[core->n_itimers++] = e;
	}
	return 0;
}

int itimers_restore_late(struct infect *inf, const TaskCoreEntry *core)
{
	for (size_t i = 0; i < core->n_itimers; i++) {
		const ItimerEntry *e = core->itimers[i];
		struct itimerval it = { us_to_tv(e->interval_us), us_to_tv(e->value_us) };
		long ret;
		int r;

		r = remote_write(inf->pid, inf->scratch, &it, sizeof(it));
		if (r == 0)
			r = infect_syscall3(inf, SYS_setitimer, &ret, e->which, inf->scratch, 0);
		if (r < 0 || ret < 0)
			return pr_errno(r < 0 ? r : (int)ret, "cannot set interval timer %u",
					e->which);
	}
	return 0;
}
