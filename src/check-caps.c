// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt check's list of capabilities: each one ckpt uses, whether this
 * process has it (effective set), and what a dump or restore loses
 * without it. Nothing ckpt can ask the task itself needs one: limits,
 * timers, scheduling state are read by remote calls in the task or from
 * /proc, so CAP_SYS_RESOURCE is no longer needed at dump (prlimit(2) on
 * another uid's process would want it).
 */
#include "commands.h"
#include "util.h"

#include <linux/capability.h>
#include <stdio.h>
#include <sys/capability.h>

struct cap_use {
	int cap;
	const char *name;
	const char *without; /* what is lost when it is missing */
};

#define CAP(c) c, #c

static const struct cap_use cap_uses[] = {
	{ CAP(CAP_SYS_PTRACE),
	  "required: seizing processes of other users, reading their memory and fds; without it, no dump" },
	{ CAP(CAP_SYS_ADMIN),
	  "required: seccomp filters read (PTRACE_SECCOMP_GET_FILTER) and suspended during remote calls, /proc/PID/map_files, PR_SET_MM_MAP exe; without it, processes under seccomp are refused" },
	{ CAP(CAP_CHECKPOINT_RESTORE),
	  "clone3 set_tid (the same PIDs), /proc/PID/map_files; CAP_SYS_ADMIN grants the same: without both, no restore" },
	{ CAP(CAP_SETUID),
	  "restored processes get their uids back; without it, only a tree of ckpt's own uid restores" },
	{ CAP(CAP_SETGID),
	  "restored processes get their gids and supplementary groups back; without it, only ckpt's own gids" },
	{ CAP(CAP_SETPCAP),
	  "restored processes get a narrower bounding set and their securebits; without it, such processes do not restore" },
	{ CAP(CAP_KILL),
	  "the tree is killed after a dump and signalled at restore whatever its uid" },
	{ CAP(CAP_DAC_OVERRIDE),
	  "a root image set's files reopened whatever their mode (a user's set opens them with its owner's access)" },
	{ CAP(CAP_DAC_READ_SEARCH),
	  "directories of a root image set searched whatever their mode" },
	{ CAP(CAP_CHOWN),
	  "files ckpt makes anew (FIFOs, socket files) get their owner back; without it, restore fails" },
	{ CAP(CAP_FOWNER),
	  "files ckpt makes anew get their mode and times back; without it, restore fails" },
	{ CAP(CAP_SYS_RESOURCE),
	  "not needed at dump (each task tells its own limits); at restore: hard limits above ckpt's own are lowered to ckpt's, a pipe made larger than pipe-max-size comes back smaller, and does not restore if it held more than 64 KiB; KSM for a whole process does not restore" },
	{ CAP(CAP_SYS_NICE),
	  "real-time policies, negative nice and the real-time I/O class restored; without it, such threads do not restore" },
	{ CAP(CAP_SYS_CHROOT), "a process in a chroot restored; without it, it does not restore" },
	{ CAP(CAP_NET_ADMIN),
	  "TCP_REPAIR (established TCP connections) and socket buffers set forced; without it, such sockets are refused at dump" },
	{ CAP(CAP_NET_RAW),
	  "raw and packet sockets made again at restore; without it, such sockets do not restore" },
	{ CAP(CAP_NET_BIND_SERVICE),
	  "sockets bound to ports below 1024 restored; without it, they do not restore" },
	{ CAP(CAP_IPC_LOCK),
	  "locked memory (mlock) beyond RLIMIT_MEMLOCK restored; without it, it does not restore" },
	{ CAP(CAP_WAKE_ALARM),
	  "alarm-clock timers and timerfds restored; without it, they do not restore" },
};

static void cap_freep(cap_t *c)
{
	if (*c)
		cap_free(*c);
}

/* Prints the table (the required ones are also probed as features). */
void check_caps_print(void)
{
	_cleanup_(cap_freep) cap_t caps = cap_get_proc();

	printf("capabilities (present or missing in this process, and what each is for):\n");
	for (size_t i = 0; i < ARRAY_SIZE(cap_uses); i++) {
		const struct cap_use *u = &cap_uses[i];
		cap_flag_value_t v = CAP_CLEAR;

		if (caps)
			(void)cap_get_flag(caps, u->cap, CAP_EFFECTIVE, &v);
		printf("%-24s %-8s %s\n", u->name, v == CAP_SET ? "present" : "missing",
		       u->without);
	}
}
