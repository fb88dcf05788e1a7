/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_FAULT_H
#define CKPT_FAULT_H

#include <stdbool.h>

/*
 * Fault injection, for tests only: every step of a dump or a restore that
 * can fail has a named site, and CKPT_FAULT=SITE makes that step fail as
 * if the call there had failed, with a plausible errno. CKPT_FAULT=SITE@N
 * fails the Nth time the site is reached (a step done once per process or
 * per thread); CKPT_FAULT=list prints every site and the commands that
 * reach it ("dump", "pre-dump", "restore"), and exits.
 *
 * The sites exist only in a binary built with `make FAULT=1` (which
 * defines CKPT_FAULT_INJECTION). In any other build FAULT_OR(site, err,
 * expr) is just (expr) and the environment is never read: ckpt runs as
 * root from scripts and sudo, and a variable set by whoever calls it must
 * not be able to make it fail half way.
 *
 * A site sits where the call is made, in front of it:
 *	r = FAULT_OR(dump_seize, -EPERM, tree_seize(pid, &tree));
 * so that a fault skips the call and takes the path its failure takes.
 * remote_call is every system call ckpt makes a stopped task run: with @N
 * it fails the Nth of a command.
 */

/* name, commands that reach it (D dump, P pre-dump, R restore; r: a
 * restore of System V IPC objects, which the tree of test 96 has none of:
 * not listed, tests 101 and 103 walk them; n: of a namespace of the
 * tree's, test 203 walks them; r and d also: cgroups of the tree's own,
 * tests 260 and 262 walk them; s: of a stream, --images - or receive,
 * test 307 walks them; l: a restore --lazy, test 310 walks them) */
#define FAULT_SITES(X)                     \
	X(remote_call, "DPR")              \
	X(dump_imgdir, "DP")               \
	X(dump_seize, "DP")                \
	X(dump_creds, "DP")                \
	X(dump_infect, "DP")               \
	X(dump_scratch_map, "D")           \
	X(dump_task, "D")                  \
	X(dump_sigactions, "D")            \
	X(dump_itimers, "D")               \
	X(dump_brk, "DP")                  \
	X(dump_shared_pending, "D")        \
	X(dump_thread_comm, "D")           \
	X(dump_thread_creds, "D")          \
	X(dump_thread_ptrs, "D")           \
	X(dump_thread_signals, "D")        \
	X(dump_thread_regs, "D")           \
	X(dump_scratch_unmap, "D")         \
	X(dump_mm, "DP")                   \
	X(dump_shmem_vmas, "D")            \
	X(dump_files, "D")                 \
	X(dump_files_finish, "D")          \
	X(dump_pages_scan, "DP")           \
	X(dump_cow_mark, "D")              \
	X(dump_guards, "D")                \
	X(dump_aio_recheck, "D")           \
	X(dump_track_arm, "P")             \
	X(dump_pages_write, "DP")          \
	X(dump_mm_flags, "D")              \
	X(dump_write_mm, "DP")             \
	X(dump_write_core, "D")            \
	X(dump_write_fdinfo, "D")          \
	X(dump_write_pstree, "DP")         \
	X(dump_write_files, "D")           \
	X(dump_write_shmem, "D")           \
	X(dump_sysv_ipc, "D")              \
	X(dump_write_ipc, "D")             \
	X(dump_ns_open, "n")               \
	X(dump_write_ns, "n")              \
	X(dump_mnt_ns, "n")                \
	X(dump_read_cgroups, "D")          \
	X(dump_write_cgroup, "D")          \
	X(dump_cgroup_freeze, "d")         \
	X(dump_userns, "n")                \
	X(dump_keeper_put, "P")            \
	X(dump_list_images, "DP")          \
	X(dump_write_inventory, "DP")      \
	X(dump_read_vdso, "D")             \
	X(dump_sync, "DP")                 \
	X(dump_mq_notify, "d")             \
	X(dump_sem_undo, "d")              \
	X(dump_rename, "DP")               \
	X(restore_imgdir_open, "R")        \
	X(restore_trust_chain, "R")        \
	X(restore_read_pstree, "R")        \
	X(restore_read_files, "R")         \
	X(restore_read_shmem, "R")         \
	X(restore_read_ipc, "R")           \
	X(restore_read_cgroup, "R")        \
	X(restore_cgroup_make, "r")        \
	X(restore_cgroup_mount, "r")       \
	X(restore_cgroup_join, "R")        \
	X(restore_cgroup_threads, "r")     \
	X(restore_read_core, "R")          \
	X(restore_read_mm, "R")            \
	X(restore_read_fdinfo, "R")        \
	X(restore_read_pages, "R")         \
	X(restore_check_creds, "R")        \
	X(restore_check_trust, "R")        \
	X(restore_check_files, "R")        \
	X(restore_check_shmem, "R")        \
	X(restore_check_mapped_files, "R") \
	X(restore_check_cpu, "R")          \
	X(restore_check_pids, "R")         \
	X(restore_plan_mm, "R")            \
	X(restore_cow_plan, "R")           \
	X(restore_open_shmem, "R")         \
	X(restore_sysv_create, "r")        \
	X(restore_sysv_shm_pages, "r")     \
	X(restore_sysv_shm_rmid, "r")      \
	X(restore_sysv_sem_values, "r")    \
	X(restore_sysv_msg_send, "r")      \
	X(restore_open_files, "R")         \
	X(restore_log_pipe, "R")           \
	X(restore_pass_fd, "n")            \
	X(restore_clone_root, "R")         \
	X(restore_seize_root, "R")         \
	X(restore_clone_child, "R")        \
	X(restore_ns_uts, "n")             \
	X(restore_ns_ipc, "n")             \
	X(restore_ns_time, "n")            \
	X(restore_ns_cgroup, "n")          \
	X(restore_ns_net, "n")             \
	X(restore_ns_net_ready, "n")       \
	X(restore_userns_maps, "n")        \
	X(restore_ns_finish, "n")          \
	X(restore_mnt_mount, "n")          \
	X(restore_mnt_premade, "n")        \
	X(restore_mnt_userns, "n")         \
	X(restore_mnt_userns_fork, "n")    \
	X(restore_last_pid, "n")           \
	X(restore_pidns_clone, "n")        \
	X(restore_pidns_proc, "n")         \
	X(restore_join_group, "R")         \
	X(restore_ctty, "R")               \
	X(restore_fds_early, "R")          \
	X(restore_cow_premap, "R")         \
	X(restore_cow_fill, "R")           \
	X(restore_mm_early, "R")           \
	X(restore_task_early, "R")         \
	X(restore_sigactions_early, "R")   \
	X(restore_rlimits_early, "R")      \
	X(restore_getregs, "R")            \
	X(restore_drop_rseq, "R")          \
	X(restore_flush_pending, "R")      \
	X(restore_mm_late, "R")            \
	X(restore_locks_late, "R")         \
	X(restore_io_uring_late, "R")      \
	X(restore_threads, "R")            \
	X(restore_main_thread, "R")        \
	X(restore_task_late, "R")          \
	X(restore_itimers_late, "R")       \
	X(restore_creds_last, "R")         \
	X(restore_unmap_restorer, "R")     \
	X(restore_threads_finish, "R")     \
	X(restore_regs, "R")               \
	X(restore_files_last, "R")         \
	X(restore_pidfds, "R")             \
	X(restore_procfiles, "R")          \
	X(restore_sigtrap_last, "R")       \
	X(restore_pidfile, "R")            \
	X(restore_let_go, "R")             \
	X(restore_mq_notify, "r")          \
	X(restore_sem_undo, "r")           \
	X(stream_stage, "s")               \
	X(stream_send, "s")                \
	X(stream_recv_write, "s")          \
	X(stream_ready, "s")               \
	X(stream_go, "s")                  \
	X(lazy_daemon, "l")                \
	X(lazy_uffd, "l")                  \
	X(lazy_register, "l")              \
	X(lazy_hand_over, "l")             \
	X(lazy_background, "l")

#define FAULT_ENUM(name, cmds) FAULT_##name,
enum fault_site { FAULT_SITES(FAULT_ENUM) FAULT_NR };
#undef FAULT_ENUM

#ifdef CKPT_FAULT_INJECTION
/* True when the fault asked for in CKPT_FAULT is at @site, this time. */
bool fault_hit(enum fault_site site);
/* CKPT_FAULT=list: print the sites (1), or a bad CKPT_FAULT (-EINVAL,
 * logged); 0 otherwise. */
int fault_setup(void);
#define FAULT_OR(site, err, expr) (fault_hit(FAULT_##site) ? (err) : (expr))
/* CKPT_FAULT=rcall-kill@N: ckpt SIGKILLs itself once the Nth remote call
 * of the command has been started (the thread is on its way into the
 * injected syscall), to test what the tree does when ckpt dies there. */
void fault_remote_call_started(void);
/* CKPT_FAULT=rcall-kill-away@N: the same once the Nth call of a chain
 * (infect_chain_begin) has returned, the thread left at its exit stop
 * between two calls. */
void fault_remote_call_away(void);
/* CKPT_FAULT=requeue-kill@N: ckpt SIGKILLs itself once it has given back
 * the Nth signal it took off a queue (signals_requeue_stolen), before it
 * goes on with the next. */
void fault_signal_requeued(void);
/* CKPT_FAULT=freeze-kill@N: ckpt SIGKILLs itself at the Nth point where
 * it holds the tree's cgroup frozen (cgroup-freeze.c: 1 once it is
 * frozen, 2 once the tree is seized), for the guardian to thaw it. */
void fault_frozen(void);
#else
static inline void fault_remote_call_started(void)
{
}
static inline void fault_remote_call_away(void)
{
}
static inline void fault_signal_requeued(void)
{
}
static inline void fault_frozen(void)
{
}
static inline int fault_setup(void)
{
	return 0;
}
#define FAULT_OR(site, err, expr) (expr)
#endif

#endif
