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
#include "image.h"
#include "infect.h"
#include "ipc.pb-c.h"
#include "mm.pb-c.h"
#include "pagemap.pb-c.h"
#include "seize.h"

struct trust;

/* mq-notify.c: the message queue notifications the process registered
 * (learned by firing each once, then registered again); logs. */
int mq_notify_dump(struct infect *inf, struct seized_task *leader, const int *pids, size_t nr_pids,
		   TaskCoreEntry *core);
int mq_notify_check(const TaskCoreEntry *core);
/* Once its fds are open and the restorer's closed. */
int mq_notify_restore_late(struct infect *inf, int pid, const TaskCoreEntry *core);

/* sem-undo.c: the SEM_UNDO adjustments of the process on the semaphore
 * sets of @ie, by remote calls that change nothing (scratch mapped); the
 * check against the sets of ipc.img; re-made in the new process. Log. */
int sem_undo_dump(struct infect *inf, int pid, const IpcEntry *ie, TaskCoreEntry *core);
/* Once every process was asked: the process operates again (value-
 * neutral) on the semaphores it was the last to operate on. */
int sem_undo_dump_done(struct infect *inf, int pid, const IpcEntry *ie);
int sem_undo_check(const TaskCoreEntry *core, const IpcEntry *ie);
int sem_undo_restore_early(const TaskCoreEntry *core);

/* core-check.c: core-PID.img as read is sane (counts, signal numbers,
 * flags, sizes, strings); logs why not. */
int core_check(const TaskCoreEntry *core, int pid);

/* task.c: ids, comm, personality, umask, cwd, root, rlimits, misc */
int task_dump(struct seized_task *t, struct infect *inf, TaskCoreEntry *core);
/* The resource limits of @n processes at once: infs[i]'s in cores[i]
 * (task_dump() reads them itself when they are not there yet). Logs. */
int rlimits_dump_each(struct infect **infs, TaskCoreEntry **cores, size_t n);
int task_restore_early(const TaskCoreEntry *core, const struct trust *t);
/* The fields of the image that task.c restores, checked; logs. */
int task_check(const TaskCoreEntry *core);
/* What a set that is not root's may not claim (a chroot); logs. */
int task_check_trust(const TaskCoreEntry *core, bool trusted);
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
/* No thread has capabilities ckpt itself lacks (a process in a user
 * namespace the restore makes gets its own there): after ns_load. Logs. */
int creds_check_restorer(const TaskCoreEntry *core);
/* In the new process itself, before its memory is replaced. */
/* In a new process, before its namespaces: its loginuid, for
 * loginuid_restore_early when /proc may not show it then. */
void loginuid_remember_own(void);
int loginuid_restore_early(const TaskCoreEntry *core);
/* In thread @i, once its memory and threads exist: drop to its creds, but
 * for the capabilities borrowed until creds_restore_last. */
int creds_restore_thread(struct infect *inf, const TaskCoreEntry *core, size_t i);
/* Every thread's seccomp and exact capabilities, then all of it checked
 * against the image; the threads end with registers to be set again. */
int creds_restore_last(struct infect *main_inf, const TaskCoreEntry *core);

/* signals.c: sigactions, blocked mask, pending signals, sigaltstack */
int sigactions_dump(struct infect *inf, TaskCoreEntry *core);
/* The same for @n processes at once (their calls overlap): infs[i]'s
 * actions in cores[i]. Logs. */
int sigactions_dump_each(struct infect **infs, TaskCoreEntry **cores, size_t n);
int sigactions_restore_early(const TaskCoreEntry *core);
int signals_dump_thread(struct seized_task *t, struct infect *inf, ThreadCoreEntry *th);
/* Calls @fn for each signal queued to @tid (@shared: to its process), in
 * order, by PTRACE_PEEKSIGINFO (@tid stopped and traced); stops at the first
 * non-zero value @fn returns and returns it; 0 at the end of the queue, -errno. */
int signals_peek(int tid, bool shared, int (*fn)(const siginfo_t *si, void *arg), void *arg);
int signals_restore_thread_late(struct infect *inf, const ThreadCoreEntry *th);
int sigmask_restore(int tid, const ThreadCoreEntry *th);
/* sigtrap.c: SIGTRAP's action and the masks, after the last trap. */
struct restore;
int sigtrap_restore_last(struct restore *rs);
int shared_pending_restore_late(struct infect *inf, const TaskCoreEntry *core);
int shared_pending_dump(int pid, TaskCoreEntry *core);
int signals_requeue_stolen(struct infect *inf, struct seized_task *t);
/* Stop restored process @core again, by @sig (its stop signal at the
 * dump) where that still stops it, else by SIGSTOP; no logging. */
int stop_signal_restore(const TaskCoreEntry *core, uint32_t sig);

/* timers.c: interval timers (setitimer/alarm) */
int itimers_dump(struct infect *inf, TaskCoreEntry *core);
int itimers_restore_late(struct infect *inf, const TaskCoreEntry *core);

/* prctl.c: speculation controls, TSC mode, machine-check kill policy (per
 * thread), MDWE and KSM for the whole process; by remote calls. */
int prctl_dump_thread(struct infect *inf, ThreadCoreEntry *th);
int prctl_dump_task(struct infect *inf, TaskCoreEntry *core);
/* Every field sane, and KSM only if @trusted; logs. */
int prctl_check(const TaskCoreEntry *core, bool trusted);
/* In each thread, before its creds are dropped. */
int prctl_restore_thread_late(struct infect *inf, const ThreadCoreEntry *th);
/* Once the memory is rebuilt, before the creds. */
int prctl_restore_late(struct infect *inf, const TaskCoreEntry *core);

/* membarrier.c: the process's membarrier registrations (private
 * expedited kinds), told by a remote barrier of each; registered again
 * once the memory is rebuilt. */
int membarrier_dump(struct infect *inf, TaskCoreEntry *core);
int membarrier_check(const TaskCoreEntry *core);
int membarrier_restore_late(struct infect *inf, const TaskCoreEntry *core);

/* sched.c: policy, nice, CPU affinity, I/O priority (per thread),
 * oom_score_adj; from ckpt, by tid. @ths: the threads' entries. */
int sched_dump(int pid, const struct seized_task *threads, size_t nr, TaskCoreEntry *core,
	       ThreadCoreEntry **ths);
/* Every field sane, and nothing more than a user may set unless @trusted. */
int sched_check(const TaskCoreEntry *core, bool trusted);
/* Once the threads exist, before the creds; each read back. */
int sched_restore_late(const TaskCoreEntry *core);

/* mempolicy.c: NUMA policies, each thread's (set_mempolicy) and each
 * mapping's (mbind); a protection key on a mapping is refused; logs. */
struct numa_read;
/* A process with many mappings has their policies read from numa_maps in
 * a thread meanwhile (*@ret_numa): mempolicy_maps_finish() judges it
 * (logs once) if @judge, or only waits for it. */
int mempolicy_dump(struct infect *inf, int pid, struct numa_read **ret_numa);
int mempolicy_maps_finish(struct numa_read *nr, bool judge, MmEntry *mm);
/* Before the scratch memory goes: the policies numa_maps shows, asked. */
int mempolicy_maps_collect(struct infect *inf, struct numa_read *nr);
/* Each thread's own policy (set_mempolicy): saved, checked, set again. */
int mempolicy_dump_thread(struct infect *inf, ThreadCoreEntry *th);
int mempolicy_check(const TaskCoreEntry *core);
int mempolicy_restore_thread_late(struct infect *inf, const ThreadCoreEntry *th);

/* posix-timers.c: timer_create timers, with their ids */
int posix_timers_dump(struct infect *inf, const struct seized_task *threads, size_t nr_threads,
		      TaskCoreEntry *core);
int posix_timers_check(const TaskCoreEntry *core);
/* Once the threads exist: every timer with its id, disarmed. */
int posix_timers_create_late(struct infect *inf, const TaskCoreEntry *core);
/* Last: armed with the time left (REALTIME: the moment). */
int posix_timers_arm_late(struct infect *inf, const TaskCoreEntry *core);

/* regs.c: general registers, xstate, rseq registration */
int regs_dump(struct seized_task *t, ThreadCoreEntry *th);
/* Registers to resume with: dumped ones, adjusted for an interrupted syscall. */
void regs_for_resume(const ThreadCoreEntry *th, struct user_regs_struct *ret);
/* Registers, xstate and blocked mask: the last thing before letting go. */
int regs_restore(int tid, const ThreadCoreEntry *th);
int rseq_restore_late(struct infect *inf, const ThreadCoreEntry *th);
int thread_ptrs_dump(struct infect *inf, ThreadCoreEntry *th);
int thread_ptrs_restore_late(struct infect *inf, const ThreadCoreEntry *th);

/* sysv-ipc.c: System V IPC objects of the tree (shared memory segments;
 * semaphore sets and message queues it used are refused) */
struct ipc_table {
	IpcEntry img;
	uint32_t *attaches; /* per segment: VMAs of the tree on it */
	bool swapped; /* something of the namespace is in swap */
};

void ipc_table_init(struct ipc_table *it);
void ipc_table_release(struct ipc_table *it);
/* The segments process @pid has attached (its VMA_SYSV_SHM VMAs). */
int ipc_dump_vmas(struct ipc_table *it, int pid, const MmEntry *mm);
/* Every process seen: the segments the tree made and left unattached;
 * refuses segments attached outside the tree, and semaphore sets and
 * message queues used by the tree. @nr 0: a namespace of the tree's,
 * every object in it (@pids[0] names the tree in messages). */
int ipc_dump_finish(struct ipc_table *it, const int *pids, size_t nr);
/* The contents of every segment, and ipc.img. */
int ipc_dump_write(struct ipc_table *it, int dirfd);
/* The same as image @kind for @id, the contents as @pages_kind (an IPC
 * namespace of the tree's: ns-ipc.c). */
int ipc_dump_write_as(struct ipc_table *it, int dirfd, enum img_kind kind, enum img_kind pages_kind,
		      uint32_t id);
/* ipc.img is sane, the owner's when the set is not trusted, and every
 * attach in @mms is of a saved segment. Logs why not. */
int ipc_check(const IpcEntry *ie, const MmEntry *const *mms, size_t nr_mms, const struct trust *t);

struct ipc_restored {
	bool *created; /* per segment: made by this restore */
};

/* Every segment reused or made again, with its contents (before the tree). */
int ipc_restore(const IpcEntry *ie, int dirfd, const struct trust *t, struct ipc_restored *st);
/* The same, in the caller's IPC namespace, contents from @pages_kind. */
int ipc_restore_as(const IpcEntry *ie, int dirfd, const struct trust *t, struct ipc_restored *st,
		   enum img_kind pages_kind);
/* A failed restore removes the segments it made. */
void ipc_restore_undo(const IpcEntry *ie, struct ipc_restored *st);
/* Every process attached: segments removed while attached are removed again. */
int ipc_restore_finish(const IpcEntry *ie, struct ipc_restored *st);
/* In restored process @inf: the semaphores it last operated on (sysv-sem.c). */
int ipc_restore_late(struct infect *inf, const IpcEntry *ie);
void ipc_show(const IpcEntry *ie);

#endif
