/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_THREADS_H
#define CKPT_THREADS_H
#include "kinds.h"

/* Create and set up every thread but the main one; each ends stopped, to
 * get its dumped registers from threads_finish() and be let go by
 * threads_detach(). */
int threads_restore(struct infect *main_inf, const TaskCoreEntry *core);
int threads_finish(const TaskCoreEntry *core);
/* Per-thread state of the main thread, and the process signal queue. */
int main_thread_restore(struct infect *inf, const TaskCoreEntry *core);
void threads_detach(const TaskCoreEntry *core);

#endif
