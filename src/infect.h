/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_INFECT_H
#define CKPT_INFECT_H
/*
 * Remote syscalls in a ptrace-stopped task: the few things only the task
 * itself can tell (its sigactions, itimers) or do (register rseq, set its
 * own mm fields) on the dump and restore sides.
 *
 * We point rip at a `syscall` instruction that already exists in the task
 * (its vDSO, or a page we mapped there on restore), load the arguments and
 * single-step it: the step trap stops the task right after the syscall
 * returns, before it runs anything else, even when the syscall unmapped
 * the very code it ran from. About 22 us a call on this machine, so bulk
 * work (pages) goes through process_vm_readv/writev instead.
 *
 * A dump (seize_guarded()) instead makes the call at a `syscall; ret` of
 * the task's text and stops it at the syscall's exit, with a signal frame
 * on the thread's stack that takes it back to its own registers if ckpt
 * dies meanwhile (infect-frame.c).
 *
 * No logging: 0 or -errno from the ptrace layer; the syscall's own result
 * is returned in *ret (a negative value is -errno of the remote call).
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

struct seized_task;

struct infect {
	int pid; /* the thread that runs the calls */
	int tgid; /* its process, if not the same (0: same) */
	uint64_t syscall_ip;
	struct user_regs_struct base; /* registers every call starts from */
	uint64_t scratch; /* remote scratch memory, 0 if none */
	size_t scratch_len;
	struct seized_task *task; /* where signals that arrive meanwhile go */
	struct user_regs_struct call; /* the call under way */
	uint64_t batch_ip; /* the batch loop (infect_calls), 0 if none */
	/* A dump's way home (infect-frame.c): `syscall; ret` and an
	 * rt_sigreturn restorer in the process's text, 0 if none. */
	uint64_t ret_gadget;
	uint64_t restorer;
	bool framed; /* the call under way returns through a frame */
	uint64_t stack_lo; /* start of the mapping at rsp - 128, 0: not read yet */
	/* A chain of calls (infect_chain_begin): the thread's signal frame,
	 * built once, and whether the thread waits at its last call's stop
	 * (away from its own registers) rather than parked. */
	bool chain;
	bool away;
	unsigned char *frame;
	size_t frame_len;
	uint64_t frame_sp;
	/* The process's mappings, read once for all its threads' frames
	 * (infect_maps_cache), borrowed by infect_for_thread's copies. */
	struct proc_vma *vmas;
	size_t nr_vmas;
	bool scratch_on_stack; /* scratch is below the thread's frame: not mapped */
};

/* Find a syscall instruction in the task's vDSO (or any executable mapping). */
int infect_init(struct infect *inf, int pid, const struct user_regs_struct *base,
		struct seized_task *task);
/* The same syscall instruction and scratch memory, used by another thread
 * @tid of the process, starting from its registers @base. */
void infect_for_thread(struct infect *ret, const struct infect *main_inf, int tid,
		       const struct user_regs_struct *base);
/* Use the syscall instruction at @ip (restore side). */
void infect_init_at(struct infect *inf, int pid, uint64_t ip, const struct user_regs_struct *base);

int infect_syscall(struct infect *inf, long nr, long *ret, long a1, long a2, long a3, long a4,
		   long a5, long a6);
/* The same in two halves: the task runs the call between them, while we
 * do something else (ptrace itself stays with the calling thread). */
int infect_start(struct infect *inf, long nr, long a1, long a2, long a3, long a4, long a5, long a6);
int infect_finish(struct infect *inf, long *ret);
#define infect_syscall6(inf, nr, ret, a, b, c, d, e, f)                                     \
	infect_syscall(inf, nr, ret, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), \
		       (long)(f))
#define infect_syscall3(inf, nr, ret, a, b, c) infect_syscall6(inf, nr, ret, a, b, c, 0, 0, 0)

/*
 * A chain of calls in one thread of a dump, one after the other: the
 * thread's signal frame (its mask and FPU state, which no call of a dump
 * changes) is read once, and between two calls the thread waits at the
 * syscall-exit stop of the last one, with rsp at that frame: if ckpt dies
 * there, it returns home through it as from inside a call. Only
 * infect_chain_end() gives it its registers back and parks it, which must
 * come before anything reads its pending signals or lets it go.
 */
void infect_chain_begin(struct infect *inf);
int infect_chain_end(struct infect *inf);

/* Read @inf's process mappings once for the frames of all its threads
 * (while no call maps or unmaps anything); drop them after. */
int infect_maps_cache(struct infect *inf);
void infect_maps_drop(struct infect *inf);

/* One call of a batch; @ret is filled in. */
struct remote_call {
	long nr, a[6];
	long ret;
};

/*
 * One call in each of @n tasks (of different processes) at the same time:
 * calls[i] in infs[i]. All started run to their end; 0 or the first
 * -errno of the ptrace layer (the calls' own results in calls[i].ret).
 */
int infect_syscall_each(struct infect **infs, struct remote_call *calls, size_t n);

/*
 * Run @n calls in the task, in order, stopping at the first that fails
 * (ret in [-4095, -1]); *ret_failed is its index, or @n. With a batch loop
 * in the task (batch_ip, the restore trampoline's: infect_batch_code) they
 * run from a table in the scratch memory, hundreds per round trip; without
 * one, one at a time.
 */
int infect_calls(struct infect *inf, struct remote_call *calls, size_t n, size_t *ret_failed);
/* The batch loop, to copy into the task (x86-64, position independent). */
extern const unsigned char infect_batch_code[];
extern const size_t infect_batch_code_len;

/* Find in the task's text what a call needs to return to the thread's
 * own context by itself (infect-frame.c); -ENOENT if it has not both. */
int infect_find_way_home(struct infect *inf);
/* Write on the thread's stack the signal frame that takes it back to its
 * registers @inf->base; *ret_sp is where rsp points for the call. */
int infect_frame_write(struct infect *inf, uint64_t *ret_sp);

/* A dump's scratch memory of @len bytes on the stack of @inf's thread,
 * below where its frames go, when the stack mapping has room and no other
 * thread of the process (stack pointers @sps) has its stack in it:
 * nothing is mapped, so a ckpt killed anywhere leaves nothing behind.
 * -ENOSPC, -EBUSY or -ENOTSUP if not (then infect_map_scratch()). */
int infect_stack_scratch(struct infect *inf, size_t len, const uint64_t *sps, size_t n);

/* rax holds one of the kernel's internal "restart this syscall" codes. */
bool is_restart_errno(long rax);

/* mmap/munmap a private anonymous scratch area in the task. */
int infect_map_scratch(struct infect *inf, size_t len);
int infect_unmap_scratch(struct infect *inf);

/* Copy to and from the task's memory. Writes go through /proc/PID/mem when
 * the pages are not writable (the kernel's FOLL_FORCE path). */
int remote_read(int pid, uint64_t addr, void *buf, size_t len);
int remote_write(int pid, uint64_t addr, const void *buf, size_t len);

/* Offset of a `syscall` instruction in an ELF image in memory (the vDSO);
 * -ENOENT if none. */
int elf_find_syscall(const void *image, size_t len, uint64_t *ret_off);

#endif
