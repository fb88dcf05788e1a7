/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_SEIZE_H
#define CKPT_SEIZE_H
/*
 * Freezing and thawing a task with PTRACE_SEIZE + PTRACE_INTERRUPT.
 *
 * A signal that arrives while we wait for the interrupt stop is reported to
 * us first (signal-delivery-stop) and taken off the task's queue. We keep
 * its siginfo in @stolen and put it back on resume (or store it in the
 * images), so nothing the task was sent is lost.
 */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/user.h>

#define MAX_STOLEN_SIGNALS 32

struct seized_task {
	int pid;
	bool seized;
	int stop_sig; /* the process was group-stopped (by SIGSTOP, SIGTSTP...) */
	struct user_regs_struct regs; /* at the interrupt stop */
	siginfo_t stolen[MAX_STOLEN_SIGNALS];
	int nr_stolen;
};

/* Seize @pid and wait for it to stop. -ESRCH if gone, -EPERM if not ours. */
int seize_task(struct seized_task *t, int pid);
/* Seize @tid and ask for its interrupt stop, without waiting for it: a
 * later seize_task() of it waits (a tree frozen by the v1 freezer, see
 * cgroup-freeze.c). seize_ahead_release() lets go those it did not take. */
int seize_ahead(int tid);
void seize_ahead_release(void);
/* Put the saved registers back and detach; the task runs on untouched. */
int thaw_task(struct seized_task *t);

/* Seize every thread of a process, leader first; on failure the ones
 * seized are in *ret_tasks (thaw them). A group-stopped process is taken
 * out of its stop so that it can run remote syscalls; thaw_threads() stops
 * it again. */
int seize_threads(int pid, struct seized_task **ret_tasks, size_t *ret_nr);
void thaw_threads(struct seized_task *ts, size_t nr);

/* Whether a tracee dies with ckpt all along (the default, and a restore's
 * choice), or only during a remote call (a dump: see seize.c). */
void seize_exitkill_always(bool on);
/* Set the ptrace options of seized thread @tid (PTRACE_O_EXITKILL is
 * added as seize_exitkill_always() says). */
int seize_set_options(int tid, long opts);
/* A dump: kill @tid if ckpt dies from now (@on) or no longer. */
int seize_guard(int tid, bool on);
/* The guard is in use: remote calls give the registers back at once. */
bool seize_guarded(void);

/* Wait for the next ptrace stop of @pid; returns the wait status or -errno. */
int ptrace_wait_stop(int pid, int *ret_status);

#endif
