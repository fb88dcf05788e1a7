// SPDX-License-Identifier: GPL-2.0
/* Fault injection for tests (see fault.h); empty unless built with FAULT=1. */
#include "util.h"

#include "fault.h"

#ifdef CKPT_FAULT_INJECTION

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_NAME(name, cmds) { #name, cmds },
static const struct {
	const char *name, *cmds;
} sites[] = { FAULT_SITES(FAULT_NAME) };
#undef FAULT_NAME

static int armed = -1; /* the site asked for, or -1 */
static unsigned long at_hit = 1, hits;
static bool rcall_kill; /* rcall-kill@N: at_hit is N */
static bool rcall_kill_away; /* rcall-kill-away@N */
static bool requeue_kill; /* requeue-kill@N: at_hit is N */
static bool freeze_kill; /* freeze-kill@N */

static void list_sites(void)
{
	static const struct {
		char c;
		const char *cmd;
	} cmds[] = { { 'D', "dump" }, { 'P', "pre-dump" }, { 'R', "restore" } };

	for (size_t i = 0; i < ARRAY_SIZE(sites); i++)
		for (size_t k = 0; k < ARRAY_SIZE(cmds); k++)
			if (strchr(sites[i].cmds, cmds[k].c))
				printf("%s %s\n", cmds[k].cmd, sites[i].name);
}

int fault_setup(void)
{
	const char *v = getenv("CKPT_FAULT");
	const char *at;
	size_t len;

	if (!v || !*v)
		return 0;
	if (!strcmp(v, "list")) {
		list_sites();
		return 1;
	}
	at = strchr(v, '@');
	len = at ? (size_t)(at - v) : strlen(v);
	if (at) {
		char *end;

		errno = 0;
		at_hit = strtoul(at + 1, &end, 10);
		if (errno || *end || !at_hit)
			return pr_fail(-EINVAL, "cannot inject a fault: bad count in CKPT_FAULT");
	}
	for (size_t i = 0; i < ARRAY_SIZE(sites); i++)
		if (strlen(sites[i].name) == len && !strncmp(sites[i].name, v, len))
			armed = (int)i;
	rcall_kill = len == strlen("rcall-kill") && !strncmp(v, "rcall-kill", len);
	rcall_kill_away = len == strlen("rcall-kill-away") && !strncmp(v, "rcall-kill-away", len);
	requeue_kill = len == strlen("requeue-kill") && !strncmp(v, "requeue-kill", len);
	freeze_kill = len == strlen("freeze-kill") && !strncmp(v, "freeze-kill", len);
	if (armed < 0 && !rcall_kill && !rcall_kill_away && !requeue_kill && !freeze_kill)
		return pr_fail(-EINVAL, "cannot inject a fault: no site '%.*s'", (int)MIN(len, 64),
			       v);
	return 0;
}

void fault_remote_call_started(void)
{
	if (rcall_kill && ++hits == at_hit)
		raise(SIGKILL);
}

void fault_remote_call_away(void)
{
	if (rcall_kill_away && ++hits == at_hit)
		raise(SIGKILL);
}

void fault_frozen(void)
{
	if (freeze_kill && ++hits == at_hit)
		raise(SIGKILL);
}

void fault_signal_requeued(void)
{
	if (requeue_kill && ++hits == at_hit)
		raise(SIGKILL);
}

bool fault_hit(enum fault_site site)
{
	if ((int)site != armed)
		return false;
	if (++hits != at_hit)
		return false;
	pr_debug("fault injected at %s", sites[site].name);
	return true;
}

#endif
