/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_DUMP_GUARD_H
#define CKPT_DUMP_GUARD_H
/*
 * The dump guardian: what a dump changed in the tree and must undo, undone
 * even if ckpt dies (see dump-guard.c). Every call is a no-op when no
 * guardian runs (a restore, or before dguard_start()).
 */
#include <signal.h>
#include <stdbool.h>

/* What to undo on a socket. */
#define DG_SK_REPAIR 1 /* TCP_REPAIR off, SO_REUSEADDR back to @reuse */
#define DG_SK_FILTER 2 /* SO_DETACH_FILTER */
#define DG_SK_PEEK_OFF 4 /* SO_PEEK_OFF back to @peek_off */

/* Fork the guardian; -errno if it cannot run (the dump is refused). */
int dguard_start(void);
/* All undone by ckpt: the guardian exits (and is reaped). */
void dguard_done(void);

/* Before ckpt changes socket @sk (its own fd of it) in a way @what says. */
int dguard_sock(int sk, int what, int reuse, int peek_off);
/* ckpt undid it itself (or the socket is about to be closed for good). */
void dguard_sock_forget(int sk);
/* Before ckpt takes signal @si of thread @tid off its queue. */
int dguard_signal(int tid, const siginfo_t *si);
/* The signals of @tid are back on its queue (or in the images of a dead
 * tree). */
void dguard_signals_forget(int tid);
/* Whether the guardian can give @si back itself, exactly (it may forge
 * only a siginfo with si_code < 0 but SI_TKILL). */
bool dguard_can_requeue(const siginfo_t *si);
/* The guardian queues signal @si of @tid back now and forgets it, in one
 * step of its own: 0 once it is queued; -errno if it was not (no guardian,
 * not told of it, or the kernel refused): then ckpt gives it back itself. */
int dguard_requeue(int tid, const siginfo_t *si);
/* The same for the signal of a message queue notification ckpt fired in
 * process @pid, registered on its fd @fd: given back only if the process
 * is not registered on that queue again. */
int dguard_signal_mq(int tid, const siginfo_t *si, int pid, int fd);
/* ckpt starts the remote mq_notify that registers it again. */
void dguard_signal_mq_arm(int tid, const siginfo_t *si);
/* ckpt gave signal @si of @tid back itself, or it is never to be given
 * back: forget it (the first told with the same number, code, sender and
 * value, a plain one before a message queue's). */
void dguard_signal_forget(int tid, const siginfo_t *si);
/* Before ckpt takes thread @tid of a process out of its group stop. */
int dguard_stop(int tid);
/* Its process is stopped again. */
void dguard_stop_forget(int tid);
/* Before ckpt freezes a cgroup through @ctl, its cgroup.freeze (@v2) or
 * v1 freezer.state, open for writing: thawed if ckpt dies. */
int dguard_thaw(int ctl, bool v2);
/* ckpt thawed it. */
void dguard_thaw_forget(void);

#endif
