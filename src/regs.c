// SPDX-License-Identifier: GPL-2.0
/*
 * CPU state of a thread: general registers (fs/gs base included), the whole
 * xstate (FPU, SSE, AVX, AVX-512...), and the rseq registration.
 */
#include "kinds.h"
#include "util.h"

#include <elf.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/uio.h>

#define XSTATE_MAX 16384
#define ERESTART_RESTARTBLOCK 516

/* protobuf field <-> user_regs_struct field, in one table. */
#define R(name)                                                                       \
	{                                                                             \
		offsetof(X86RegsEntry, name), offsetof(struct user_regs_struct, name) \
	}
static const struct {
	size_t pb, user;
} reg_map[] = {
	R(r15),	   R(r14), R(r13), R(r12),     R(rbp),	   R(rbx), R(r11),	R(r10), R(r9),
	R(r8),	   R(rax), R(rcx), R(rdx),     R(rsi),	   R(rdi), R(orig_rax), R(rip), R(cs),
	R(eflags), R(rsp), R(ss),  R(fs_base), R(gs_base), R(ds),  R(es),	R(fs),	R(gs),
};
#undef R

static X86RegsEntry *regs_to_entry(const struct user_regs_struct *u)
{
	X86RegsEntry *e = xmalloc(sizeof(*e));

	x86_regs_entry__init(e);
	for (size_t i = 0; i < ARRAY_SIZE(reg_map); i++)
		memcpy((char *)e + reg_map[i].pb, (const char *)u + reg_map[i].user, 8);
	return e;
}

static void entry_to_regs(const X86RegsEntry *e, struct user_regs_struct *u)
{
	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < ARRAY_SIZE(reg_map); i++)
		memcpy((char *)u + reg_map[i].user, (const char *)e + reg_map[i].pb, 8);
}

int regs_dump(struct seized_task *t, ThreadCoreEntry *th)
{
	struct ptrace_rseq_configuration {
		uint64_t rseq_abi_pointer;
		uint32_t rseq_abi_size;
		uint32_t signature;
		uint32_t flags;
		uint32_t pad;
	} rc;
	struct iovec iov;
	void *xstate = xzalloc(XSTATE_MAX);

	th->tid = t->pid;
	th->regs = regs_to_entry(&t->regs);
	iov.iov_base = xstate;
	iov.iov_len = XSTATE_MAX;
	if (ptrace(PTRACE_GETREGSET, t->pid, (void *)NT_X86_XSTATE, &iov) < 0)
		return pr_errno(-errno, "cannot read the xstate of %d", t->pid);
	th->xstate.data = xstate;
	th->xstate.len = iov.iov_len;
	memset(&rc, 0, sizeof(rc));
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, t->pid, (void *)sizeof(rc), &rc) < 0)
		return pr_errno(-errno, "cannot read the rseq registration of %d", t->pid);
	if (rc.rseq_abi_pointer) {
		th->rseq = xmalloc(sizeof(*th->rseq));
		rseq_entry__init(th->rseq);
		th->rseq->addr = rc.rseq_abi_pointer;
		th->rseq->len = rc.rseq_abi_size;
		th->rseq->sig = rc.signature;
	}
	return 0;
}

/*
 * A task dumped inside a syscall shows rax = -ERESTART* and orig_rax = the
 * syscall. We resume it from a syscall-exit-like stop, so the kernel's own
 * restart logic runs just as it would have for the original: -ERESTARTSYS
 * and friends re-execute (or give -EINTR to a handler, by the usual rules).
 * -ERESTART_RESTARTBLOCK is the exception: it restarts through the task's
 * restart_block (the remaining time of nanosleep, poll...), which lives in
 * the kernel and is gone. We re-execute the original syscall instead, so a
 * relative sleep sleeps its full time again rather than returning early.
 */
void regs_for_resume(const ThreadCoreEntry *th, struct user_regs_struct *ret)
{
	entry_to_regs(th->regs, ret);
	if ((long)ret->orig_rax >= 0 && (long)ret->rax == -ERESTART_RESTARTBLOCK) {
		ret->rax = ret->orig_rax;
		ret->rip -= 2;
	}
}

/*
 * The kernel takes a thread's XSAVE area only whole, at its own size (a
 * longer one is cut to it, a shorter one is EFAULT): a thread dumped on a
 * CPU with fewer features (a smaller area) is given its area padded with
 * zeros. What lies past it is in its init state: XSTATE_BV, in the
 * header, says so. machine.c checked that the components sit where they
 * sat and that the area fits.
 */
int regs_restore(int tid, const ThreadCoreEntry *th)
{
	_cleanup_free_ void *xstate = xzalloc(XSTATE_MAX);
	struct user_regs_struct u;
	struct iovec iov = { xstate, XSTATE_MAX };

	memcpy(xstate, th->xstate.data, MIN(th->xstate.len, (size_t)XSTATE_MAX));
	if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov) < 0)
		return pr_errno(-errno, "cannot set the xstate of %d", tid);
	regs_for_resume(th, &u);
	if (ptrace(PTRACE_SETREGS, tid, NULL, &u) < 0)
		return pr_errno(-errno, "cannot set the registers of %d", tid);
	return sigmask_restore(tid, th);
}

/* rseq registers the calling thread only, so the thread does it itself. */
int rseq_restore_late(struct infect *inf, const ThreadCoreEntry *th)
{
	long ret;
	int r;

	if (!th->rseq)
		return 0;
	r = infect_syscall6(inf, SYS_rseq, &ret, th->rseq->addr, th->rseq->len, 0, th->rseq->sig, 0,
			    0);
	if (r < 0 || ret < 0)
		return pr_errno(r < 0 ? r : (int)ret, "cannot register rseq at %#llx",
				(unsigned long long)th->rseq->addr);
	return 0;
}

/* clear_child_tid and the robust futex list: both point into the thread's
 * TLS and the kernel writes through them when the thread exits. */
int thread_ptrs_dump(struct infect *inf, ThreadCoreEntry *th)
{
	uint64_t tid_addr = 0, head = 0;
	size_t len = 0;
	long ret;
	int r;

	r = infect_syscall3(inf, SYS_prctl, &ret, PR_GET_TID_ADDRESS, inf->scratch, 0);
	if (r == 0 && ret == 0)
		r = remote_read(inf->pid, inf->scratch, &tid_addr, sizeof(tid_addr));
	if (r < 0 || ret < 0)
		return pr_errno(r < 0 ? r : (int)ret, "cannot read the tid address of %d",
				inf->pid);
	if (syscall(SYS_get_robust_list, inf->pid, &head, &len) < 0)
		return pr_errno(-errno, "cannot read the robust futex list of %d", inf->pid);
	th->has_clear_tid_addr = th->has_robust_list = th->has_robust_list_len = true;
	th->clear_tid_addr = tid_addr;
	th->robust_list = head;
	th->robust_list_len = len;
	return 0;
}

int thread_ptrs_restore_late(struct infect *inf, const ThreadCoreEntry *th)
{
	long ret = 0;
	int r;

	r = infect_syscall3(inf, SYS_set_tid_address, &ret, th->clear_tid_addr, 0, 0);
	if (r == 0)
		r = infect_syscall3(inf, SYS_set_robust_list, &ret, th->robust_list,
				    th->robust_list_len ? th->robust_list_len : 24, 0);
	if (r < 0 || ret < 0)
		return pr_errno(r < 0 ? r : (int)ret, "cannot set the robust futex list");
	return 0;
}
