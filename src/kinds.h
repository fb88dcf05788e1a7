/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_KINDS_H
#define CKPT_KINDS_H
/*
 * The kinds of state, one file each, dump and restore side by side.
 *
 * Dump side: functions take the seized task (and an infect handle where the
 * task must answer itself) and fill protobuf image entries. They log their
 * own errors and return negative errno.
 *
 * Restore side has two halves:
 *   *_restore_early(): runs inside the new process, as plain C, before its
 *                      address space is replaced (fds, cwd, sigactions...);
 *                      errors are logged there and reported to the parent.
 *   *_restore_late():  runs from the parent through remote syscalls once the
 *                      address space is the dumped one (rseq, itimers,
 *                      pending signals, creds...).
 */
#include "core.pb-c.h"
#include "fdinfo.pb-c.h"
#include "infect.h"
#include "mm.pb-c.h"
#include "pagemap.pb-c.h"
#include "seize.h"

struct trust;

/* task.c: ids, comm, personality, umask, cwd, root, rlimits, creds, misc */
int task_dump(struct seized_task *t, struct infect *inf, TaskCoreEntry *core);
int task_restore_early(const TaskCoreEntry *core, const struct trust *t);
/* After the fds are open: a low RLIMIT_NOFILE must not stop us opening them. */
int rlimits_restore_early(const TaskCoreEntry *core);
int task_restore_late(struct infect *inf, const TaskCoreEntry *core);
/* Credentials are per thread in the kernel: every thread sets its own. */
int creds_restore_late(struct infect *inf, const CredsEntry *c);
int thread_comm_restore_late(struct infect *inf, const ThreadCoreEntry *th);

/* signals.c: sigactions, blocked mask, pending signals, sigaltstack */
int sigactions_dump(struct infect *inf, TaskCoreEntry *core);
int sigactions_restore_early(const TaskCoreEntry *core);
int signals_dump_thread(struct seized_task *t, struct infect *inf, ThreadCoreEntry *th);
int signals_restore_thread_late(struct infect *inf, const ThreadCoreEntry *th);
int sigmask_restore(int tid, const ThreadCoreEntry *th);
int shared_pending_restore_late(struct infect *inf, const TaskCoreEntry *core);
int shared_pending_dump(int pid, TaskCoreEntry *core);
int signals_requeue_stolen(struct infect *inf, struct seized_task *t);

/* timers.c: interval timers (setitimer/alarm) */
int itimers_dump(struct infect *inf, TaskCoreEntry *core);
int itimers_restore_late(struct infect *inf, const TaskCoreEntry *core);

/* regs.c: general registers, xstate, rseq registration */
int regs_dump(struct seized_task *t, ThreadCoreEntry *th);
/* Registers to resume with: dumped ones, adjusted for an interrupted syscall. */
void regs_for_resume(const ThreadCoreEntry *th, struct user_regs_struct *ret);
/* Registers, xstate and blocked mask: the last thing before letting go. */
int regs_restore(int tid, const ThreadCoreEntry *th);
int rseq_restore_late(struct infect *inf, const ThreadCoreEntry *th);
int thread_ptrs_dump(struct infect *inf, ThreadCoreEntry *th);
int thread_ptrs_restore_late(struct infect *inf, const ThreadCoreEntry *th);

#endif
