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

/* task.c: ids, comm, personality, umask, cwd, root, rlimits, misc */
int task_dump(struct seized_task *t, struct infect *inf, TaskCoreEntry *core);
int task_restore_early(const TaskCoreEntry *core, const struct trust *t);
/* After the fds are open: a low RLIMIT_NOFILE must not stop us opening them.
 * A set not trusted raises no hard limit above ckpt's own. */
int rlimits_restore_early(const TaskCoreEntry *core, const struct trust *t);
int task_restore_late(struct infect *inf, const TaskCoreEntry *core);
int thread_comm_restore_late(struct infect *inf, const ThreadCoreEntry *th);

/* creds.c: uids, gids, groups, capabilities, securebits, no_new_privs,
 * seccomp (seccomp.c), parent-death signal, loginuid; per thread. */
/* The tree is frozen, nothing injected yet: every thread's creds from
 * /proc (*ret: one per thread, main first) and seccomp filters; seccomp
 * kept off our remote calls from here. */
int creds_dump_frozen(int pid, const struct seized_task *threads, size_t nr, TaskCoreEntry *core,
		      CredsEntry ***ret);
/* In the thread, by remote calls: securebits, parent-death signal. */
int creds_dump_thread(struct infect *inf, CredsEntry *c, ThreadCoreEntry *th);
/* core->creds is the main thread's; a thread whose creds differ has its own. */
void creds_dump_attach(TaskCoreEntry *core, ThreadCoreEntry **threads, CredsEntry **creds,
		       size_t nr);
/* The creds of thread @i of @core. */
const CredsEntry *creds_of_thread(const TaskCoreEntry *core, size_t i);
/* Every creds field of the images is sane; logs and -EBADMSG if not. */
int creds_check(const TaskCoreEntry *core);
/* In the new process itself, before its memory is replaced. */
int loginuid_restore_early(const TaskCoreEntry *core);
/* In thread @i, once its memory and threads exist: drop to its creds, but
 * for the capabilities borrowed until creds_restore_last. */
int creds_restore_thread(struct infect *inf, const TaskCoreEntry *core, size_t i);
/* Every thread's seccomp and exact capabilities, then all of it checked
 * against the image; the threads end with registers to be set again. */
int creds_restore_last(struct infect *main_inf, const TaskCoreEntry *core);

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
