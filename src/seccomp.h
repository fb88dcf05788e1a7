/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_SECCOMP_H
#define CKPT_SECCOMP_H
/*
 * Seccomp state of the threads of a process (seccomp.c), for creds.c.
 *
 * A thread is in mode 0 (none), 1 (strict) or 2 (a chain of classic BPF
 * filters). Every distinct filter of a process is stored once, in
 * task_core_entry.seccomp_filters; each thread's creds_entry lists its
 * chain as indexes into that table, oldest first.
 *
 * Our own remote calls must not be filtered: a filter that kills on an
 * unknown syscall would kill the process under our hands. Both sides put
 * every thread of a process under seccomp in PTRACE_O_SUSPEND_SECCOMP
 * (which needs CAP_SYS_ADMIN and ckpt itself free of seccomp); detaching
 * ends it.
 */
#include "core.pb-c.h"
#include "infect.h"

#include <stdbool.h>
#include <stddef.h>

/* Longest chain we read or install (the kernel allows about 6,500). */
#define SECCOMP_MAX_CHAIN 8192
#define SECCOMP_MAX_INSNS 4096 /* BPF_MAXINSNS */

/* Remote calls of tracee @tid bypass its filters until we detach (dump
 * side: the tracee was seized with PTRACE_O_EXITKILL only). */
int seccomp_suspend(int tid, long options);

/* The filter chain of stopped thread @tid into @c, its filters added to
 * @core's table. No logging: -EACCES when we may not read filters, -EIO
 * when the chain does not match what /proc says (@expect filters). */
int seccomp_dump_thread(int tid, int expect, TaskCoreEntry *core, CredsEntry *c);

/* The seccomp fields of creds @c of a process with core @core are sane
 * (modes, chain indexes, filter sizes and flags); -EBADMSG if not. */
int seccomp_check(const TaskCoreEntry *core, const CredsEntry *c);

/*
 * Install the seccomp state of every thread: @infs[i] runs in the thread
 * whose creds are @creds[i] (0 is the main thread), each stopped, with
 * the privilege to install filters (CAP_SYS_ADMIN or no_new_privs), and
 * suspended (seccomp_suspend). Logs its own errors.
 */
int seccomp_restore(struct infect *infs, const CredsEntry *const *creds, size_t nr,
		    const TaskCoreEntry *core);

/* Thread @tid has exactly the chain of @c (read back and compared); logs. */
int seccomp_verify_thread(int pid, int tid, const TaskCoreEntry *core, const CredsEntry *c);

#endif
