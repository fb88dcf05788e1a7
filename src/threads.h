/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_THREADS_H
#define CKPT_THREADS_H
#include "kinds.h"

struct restore;
/* Create and set up every thread but the main one of process @proc of
 * @rs (with its tids in nested pid namespaces: ns.h); each ends stopped,
 * to get its dumped registers from threads_finish() and be let go by
 * threads_detach(). */
int threads_restore(struct infect *main_inf, const TaskCoreEntry *core, const struct restore *rs,
		    size_t proc);
int threads_finish(const TaskCoreEntry *core);
/* Per-thread state of the main thread, and the process signal queue. */
int main_thread_restore(struct infect *inf, const TaskCoreEntry *core);
void threads_detach(const TaskCoreEntry *core);

#endif
