// SPDX-License-Identifier: GPL-2.0
#include "infect.h"
#include "dump-guard.h"

#include "fault.h"

#include "proc.h"
#include "seize.h"
#include "util.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

static const unsigned char syscall_insn[2] = { 0x0f, 0x05 };

static int scan_for_syscall(const unsigned char *p, size_t len, uint64_t *ret_off)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (p[i] == syscall_insn[0] && p[i + 1] == syscall_insn[1]) {
			*ret_off = i;
			return 0;
		}
	return -ENOENT;
}

int elf_find_syscall(const void *image, size_t len, uint64_t *ret_off)
{
	Elf_Scn *scn = NULL;
	Elf *elf;
	int r = -ENOENT;
	size_t shstrndx;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	elf = elf_memory((char *)image, len);
	if (!elf)
		return -EINVAL;
	if (elf_getshdrstrndx(elf, &shstrndx) < 0)
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		uint64_t off;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".text") || sh.sh_offset + sh.sh_size > len)
			continue;
		if (scan_for_syscall((const unsigned char *)image + sh.sh_offset, sh.sh_size,
				     &off) == 0) {
			*ret_off = sh.sh_offset + off;
			r = 0;
		}
		break;
	}
out:
	elf_end(elf);
	return r;
}

int remote_read(int pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

static int proc_mem_write(int pid, uint64_t addr, const void *buf, size_t len)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pwrite(fd, buf, len, (off_t)addr);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int remote_write(int pid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };
	ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	return proc_mem_write(pid, addr, buf, len);
}

/* The syscall offset inside our own vDSO; every process on this kernel
 * has the same vDSO image. */
static int own_vdso_syscall_offset(uint64_t *ret_off)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
	struct proc_vma *vmas;
	size_t nr;
	int r = -ENOENT;

	if (!f)
		return -errno;
	if (proc_parse_maps(f, &vmas, &nr) < 0)
		return -EINVAL;
	for (size_t i = 0; i < nr; i++)
		if (vmas[i].path && !strcmp(vmas[i].path, "[vdso]")) {
			r = elf_find_syscall((void *)vmas[i].start, vmas[i].end - vmas[i].start,
					     ret_off);
			break;
		}
	proc_vmas_free(vmas, nr);
	return r;
}

static bool remote_is_syscall(int pid, uint64_t addr)
{
	unsigned char b[2];

	return remote_read(pid, addr, b, 2) == 0 && !memcmp(b, syscall_insn, 2);
}

static int find_remote_syscall(int pid, uint64_t *ret_ip)
{
	struct proc_vma *vmas;
	uint64_t off;
	size_t nr;
	int r;

	r = proc_read_maps(pid, &vmas, &nr);
	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < nr && r < 0; i++)
		if (vmas[i].path && !strcmp(vmas[i].path, "[vdso]") &&
		    own_vdso_syscall_offset(&off) == 0 &&
		    remote_is_syscall(pid, vmas[i].start + off)) {
			*ret_ip = vmas[i].start + off;
			r = 0;
		}
	/* No vDSO (or another kernel's): any executable mapping will do. */
	for (size_t i = 0; i < nr && r < 0; i++) {
		size_t len = MIN(vmas[i].end - vmas[i].start, 1UL << 20);
		_cleanup_free_ unsigned char *buf = NULL;

		if (!vmas[i].x || !vmas[i].r || (vmas[i].path && vmas[i].path[0] == '['))
			continue;
		buf = xmalloc(len);
		if (remote_read(pid, vmas[i].start, buf, len) == 0 &&
		    scan_for_syscall(buf, len, &off) == 0) {
			*ret_ip = vmas[i].start + off;
			r = 0;
		}
	}
	proc_vmas_free(vmas, nr);
	return r;
}

int infect_init(struct infect *inf, int pid, const struct user_regs_struct *base,
		struct seized_task *task)
{
	int r;

	memset(inf, 0, sizeof(*inf));
	inf->pid = pid;
	inf->base = *base;
	inf->task = task;
	r = find_remote_syscall(pid, &inf->syscall_ip);
	/* A dump's calls return home by themselves if they can (if not,
	 * ret_gadget stays 0 and they keep EXITKILL). */
	if (r >= 0 && seize_guarded())
		(void)infect_find_way_home(inf);
	return r;
}

void infect_init_at(struct infect *inf, int pid, uint64_t ip, const struct user_regs_struct *base)
{
	memset(inf, 0, sizeof(*inf));
	inf->pid = pid;
	inf->syscall_ip = ip;
	inf->base = *base;
}

void infect_for_thread(struct infect *ret, const struct infect *main_inf, int tid,
		       const struct user_regs_struct *base)
{
	*ret = *main_inf;
	ret->pid = tid;
	ret->tgid = main_inf->tgid ? main_inf->tgid : main_inf->pid;
	ret->base = *base;
	ret->task = NULL;
	ret->stack_lo = 0;
	ret->chain = ret->away = false;
	ret->frame = NULL;
	ret->frame_len = 0;
	ret->frame_sp = 0;
}

/* A signal that arrives while we step is reported before the step trap.
 * Keep it (it was dequeued) and step again. */
static void keep_signal(struct infect *inf)
{
	struct seized_task *t = inf->task;

	/* The guardian is told too (best effort: ckpt itself still gives
	 * it back if it lives). */
	if (t && t->nr_stolen < MAX_STOLEN_SIGNALS &&
	    ptrace(PTRACE_GETSIGINFO, inf->pid, NULL, &t->stolen[t->nr_stolen]) == 0) {
		(void)dguard_signal(inf->pid, &t->stolen[t->nr_stolen]);
		t->nr_stolen++;
	}
}

/* -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK */
bool is_restart_errno(long rax)
{
	return rax == -512 || rax == -513 || rax == -514 || rax == -516;
}

static int go_home(struct infect *inf);

int infect_start(struct infect *inf, long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct user_regs_struct regs = inf->base;
	uint64_t sp;
	int r;

	regs.rax = nr;
	regs.rdi = a1;
	regs.rsi = a2;
	regs.rdx = a3;
	regs.r10 = a4;
	regs.r8 = a5;
	regs.r9 = a6;
	regs.rip = inf->syscall_ip;
	/* Not in a syscall: keeps the kernel's restart logic away. */
	regs.orig_rax = (unsigned long)-1;
	/* A dump: a thread whose tracer dies during the call returns to its
	 * own registers by itself (infect-frame.c). */
	inf->framed = seize_guarded() && infect_frame_write(inf, &sp) == 0;
	if (!inf->framed && inf->away) {
		r = go_home(inf);
		if (r < 0)
			return r;
	}
	if (inf->framed) {
		regs.rip = inf->ret_gadget;
		regs.rsp = sp;
	}
	inf->call = regs;
	/* Without a way home, from here until its own registers are back,
	 * the thread must not outlive ckpt (seize.c). */
	if (!inf->framed) {
		r = seize_guard(inf->pid, true);
		if (r < 0)
			return r;
	}
	if (ptrace(PTRACE_SETREGS, inf->pid, NULL, &regs) < 0)
		return -errno;
	/*
	 * A framed call is stopped at the syscall's exit rather than by a
	 * single step. The kernel: a tracer's death clears syscall tracing
	 * (__ptrace_unlink) but not the trap flag of a step, which would
	 * have the thread killed by its SIGTRAP after the call.
	 */
	if (ptrace(inf->framed ? PTRACE_SYSCALL : PTRACE_SINGLESTEP, inf->pid, NULL, NULL) < 0)
		return -errno;
	fault_remote_call_started();
	return 0;
}

/*
 * The step trap leaves the thread in a signal-delivery-stop of SIGTRAP.
 * A tracer that dies then has the SIGTRAP delivered (measured: the
 * process dies of it), so the thread is moved to an interrupt stop
 * (PTRACE_EVENT_STOP), from which it only goes on. Signals that arrive
 * meanwhile are kept, as during the call.
 */
static int park(struct infect *inf)
{
	int status, r;

	if (ptrace(PTRACE_INTERRUPT, inf->pid, NULL, NULL) < 0 ||
	    ptrace(PTRACE_CONT, inf->pid, NULL, NULL) < 0)
		return -errno;
	for (;;) {
		r = ptrace_wait_stop(inf->pid, &status);
		if (r < 0)
			return r;
		if (WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP)
			return 0;
		if ((status >> 16) == 0)
			keep_signal(inf);
		if (ptrace(PTRACE_CONT, inf->pid, NULL, NULL) < 0)
			return -errno;
	}
}

/* The syscall stop @pid is in: entry, exit, or none (a signal). */
static int syscall_stop_of(int pid)
{
	unsigned char info[128];

	/* struct ptrace_syscall_info: op is its first byte. */
	if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(info), info) < 0)
		return -errno;
	return info[0];
}

#define SYSCALL_STOP_ENTRY 1
#define SYSCALL_STOP_EXIT 2

/*
 * A framed call, one stop further: waits for the thread's next stop and
 * handles it; *done once it is at the call's syscall-exit stop (@regs
 * read there), else it is sent on to its next stop.
 */
static int framed_step(struct infect *inf, struct user_regs_struct *regs, bool *done)
{
	int status, r;

	*done = false;
	r = ptrace_wait_stop(inf->pid, &status);
	if (r < 0)
		return r;
	if ((status >> 16) != 0)
		goto next; /* a ptrace event (clone) on the way */
	r = WSTOPSIG(status) == (SIGTRAP | 0x80) ? syscall_stop_of(inf->pid) : 0;
	if (r < 0)
		return r;
	if (r == SYSCALL_STOP_ENTRY)
		goto next;
	if (r != SYSCALL_STOP_EXIT) {
		keep_signal(inf);
		goto next;
	}
	if (ptrace(PTRACE_GETREGS, inf->pid, NULL, regs) < 0)
		return -errno;
	if (regs->rip != inf->ret_gadget + 2)
		return -EFAULT; /* it went somewhere we did not send it */
	if (!is_restart_errno((long)regs->rax)) {
		*done = true;
		return 0;
	}
	/* Interrupted by a signal before it did anything: its delivery
	 * stop comes next (kept there), then the call again. */
	if (ptrace(PTRACE_SETREGS, inf->pid, NULL, &inf->call) < 0)
		return -errno;
next:
	return ptrace(PTRACE_SYSCALL, inf->pid, NULL, NULL) < 0 ? -errno : 0;
}

/* A framed call: run it to its syscall-exit stop. */
static int finish_framed(struct infect *inf, struct user_regs_struct *regs)
{
	bool done = false;
	int r = 0;

	while (r >= 0 && !done)
		r = framed_step(inf, regs, &done);
	return r;
}

static int finish_stepped(struct infect *inf, struct user_regs_struct *regs)
{
	int status, r;

	for (;;) {
		r = ptrace_wait_stop(inf->pid, &status);
		if (r < 0)
			return r;
		if (ptrace(PTRACE_GETREGS, inf->pid, NULL, regs) < 0)
			return -errno;
		if ((status >> 16) != 0)
			goto step; /* a ptrace event (clone) on the way: step on */
		if (WIFSTOPPED(status) && WSTOPSIG(status) != SIGTRAP) {
			keep_signal(inf);
			if (regs->rip == inf->syscall_ip + 2 && is_restart_errno((long)regs->rax)) {
				/* Interrupted before it did anything: run it again. */
				*regs = inf->call;
				if (ptrace(PTRACE_SETREGS, inf->pid, NULL, regs) < 0)
					return -errno;
			}
			goto step;
		}
		if (regs->rip == inf->syscall_ip + 2)
			return 0;
		if (regs->rip != inf->syscall_ip)
			return -EFAULT; /* it went somewhere we did not send it */
	step:
		if (ptrace(PTRACE_SINGLESTEP, inf->pid, NULL, NULL) < 0)
			return -errno;
	}
}

/* A dump: the thread has its registers back before it may outlive ckpt
 * again, and waits in a stop of its own. */
static int go_home(struct infect *inf)
{
	inf->away = false;
	if (ptrace(PTRACE_SETREGS, inf->pid, NULL, &inf->base) < 0)
		return -errno;
	return park(inf);
}

/* After the call's last stop (@regs): where the thread waits next. */
static int finish_tail(struct infect *inf, const struct user_regs_struct *regs, long *ret)
{
	int r;

	*ret = (long)regs->rax;
	if (!seize_guarded())
		return 0;
	/* In a chain the thread waits here, rsp at its frame, for the next
	 * call: the `ret` after the syscall takes it home if ckpt dies. */
	if (inf->framed && inf->chain) {
		inf->away = true;
		fault_remote_call_away();
		return 0;
	}
	r = go_home(inf);
	if (r < 0 || inf->framed)
		return r;
	return seize_guard(inf->pid, false);
}

int infect_finish(struct infect *inf, long *ret)
{
	struct user_regs_struct regs;
	int r;

	r = inf->framed ? finish_framed(inf, &regs) : finish_stepped(inf, &regs);
	return r < 0 ? r : finish_tail(inf, &regs, ret);
}

/*
 * Each call waits for its thread to be scheduled twice (the entry and the
 * exit stops), which on a loaded machine is most of its cost: the threads
 * of several processes run theirs at the same time, and the stops are
 * taken in turns, each thread sent on as soon as its stop is seen.
 */
int infect_syscall_each(struct infect **infs, struct remote_call *calls, size_t n)
{
	_cleanup_free_ struct user_regs_struct *regs = xmalloc(n * sizeof(*regs));
	_cleanup_free_ bool *done = xzalloc(n * sizeof(*done));
	_cleanup_free_ bool *failed = xzalloc(n * sizeof(*failed));
	size_t started = 0, left;
	int r = 0;

	for (; started < n; started++) {
		struct remote_call *c = &calls[started];

		r = FAULT_OR(remote_call, -ESRCH,
			     infect_start(infs[started], c->nr, c->a[0], c->a[1], c->a[2], c->a[3],
					  c->a[4], c->a[5]));
		if (r < 0)
			break;
		/* Not framed (no way home): one at a time, as ever. */
		if (!infs[started]->framed) {
			r = finish_stepped(infs[started], &regs[started]);
			if (r >= 0)
				r = finish_tail(infs[started], &regs[started], &c->ret);
			done[started] = true;
			if (r < 0)
				break;
		}
	}
	/* Every call started runs to its end, even after a failure. */
	for (left = started; left;) {
		left = 0;
		for (size_t i = 0; i < started; i++) {
			int e;

			if (done[i])
				continue;
			e = framed_step(infs[i], &regs[i], &done[i]);
			if (e < 0) {
				/* Lost: not sent home (as infect_finish()). */
				done[i] = true;
				failed[i] = true;
				r = r < 0 ? r : e;
				continue;
			}
			left += !done[i];
		}
	}
	for (size_t i = 0; i < started; i++) {
		int e;

		if (!infs[i]->framed || failed[i])
			continue;
		e = finish_tail(infs[i], &regs[i], &calls[i].ret);
		r = r < 0 ? r : e;
	}
	return r;
}

void infect_chain_begin(struct infect *inf)
{
	inf->chain = seize_guarded();
}

int infect_chain_end(struct infect *inf)
{
	int r = inf->away ? go_home(inf) : 0;

	inf->chain = false;
	free(inf->frame);
	inf->frame = NULL;
	inf->frame_len = 0;
	return r;
}

int infect_syscall(struct infect *inf, long nr, long *ret, long a1, long a2, long a3, long a4,
		   long a5, long a6)
{
	int r = FAULT_OR(remote_call, -ESRCH, infect_start(inf, nr, a1, a2, a3, a4, a5, a6));

	return r < 0 ? r : infect_finish(inf, ret);
}

/*
 * The batch loop. Its table (r12) holds one 64-byte entry a call: nr and
 * six arguments, then the result it writes; r13 counts the calls left.
 *
 *	1: test r13, r13; jz 2f
 *	   mov rax, [r12]; mov rdi, [r12+8]; mov rsi, [r12+16]
 *	   mov rdx, [r12+24]; mov r10, [r12+32]; mov r8, [r12+40]
 *	   mov r9, [r12+48]; syscall; mov [r12+56], rax
 *	   cmp rax, -4095; jae 2f        (an error: stop there)
 *	   add r12, 64; dec r13; jmp 1b
 *	2: int3
 */
const unsigned char infect_batch_code[] = {
	0x4d, 0x85, 0xed, 0x74, 0x3a, 0x49, 0x8b, 0x04, 0x24, 0x49, 0x8b, 0x7c, 0x24,
	0x08, 0x49, 0x8b, 0x74, 0x24, 0x10, 0x49, 0x8b, 0x54, 0x24, 0x18, 0x4d, 0x8b,
	0x54, 0x24, 0x20, 0x4d, 0x8b, 0x44, 0x24, 0x28, 0x4d, 0x8b, 0x4c, 0x24, 0x30,
	0x0f, 0x05, 0x49, 0x89, 0x44, 0x24, 0x38, 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff,
	0x73, 0x09, 0x49, 0x83, 0xc4, 0x40, 0x49, 0xff, 0xcd, 0xeb, 0xc1, 0xcc,
};
const size_t infect_batch_code_len = sizeof(infect_batch_code);

#define BATCH_ENTRY 64

/* Let the task run the loop until its int3; signals on the way are kept
 * (as for a single call) and not delivered. */
static int batch_run(struct infect *inf, uint64_t table, size_t n, struct user_regs_struct *out)
{
	struct user_regs_struct regs = inf->base;
	int status, r;

	regs.rip = inf->batch_ip;
	regs.r12 = table;
	regs.r13 = n;
	regs.orig_rax = (unsigned long)-1;
	if (ptrace(PTRACE_SETREGS, inf->pid, NULL, &regs) < 0 ||
	    ptrace(PTRACE_CONT, inf->pid, NULL, NULL) < 0)
		return -errno;
	for (;;) {
		r = ptrace_wait_stop(inf->pid, &status);
		if (r < 0)
			return r;
		if (ptrace(PTRACE_GETREGS, inf->pid, NULL, out) < 0)
			return -errno;
		if ((status >> 16) == 0 && WSTOPSIG(status) == SIGTRAP)
			break;
		if ((status >> 16) == 0)
			keep_signal(inf);
		if (ptrace(PTRACE_CONT, inf->pid, NULL, NULL) < 0)
			return -errno;
	}
	return out->rip == inf->batch_ip + infect_batch_code_len ? 0 : -EFAULT;
}

static int calls_one_by_one(struct infect *inf, struct remote_call *calls, size_t n,
			    size_t *ret_failed)
{
	for (size_t i = 0; i < n; i++) {
		struct remote_call *c = &calls[i];
		int r = infect_syscall(inf, c->nr, &c->ret, c->a[0], c->a[1], c->a[2], c->a[3],
				       c->a[4], c->a[5]);

		if (r < 0)
			return r;
		if (c->ret < 0 && c->ret >= -4095) {
			*ret_failed = i;
			return 0;
		}
	}
	*ret_failed = n;
	return 0;
}

int infect_calls(struct infect *inf, struct remote_call *calls, size_t n, size_t *ret_failed)
{
	size_t per_trip = inf->scratch_len / BATCH_ENTRY;
	_cleanup_free_ long *table = NULL;

	if (!inf->batch_ip || !per_trip)
		return calls_one_by_one(inf, calls, n, ret_failed);
	table = xmalloc(MIN(n, per_trip) * BATCH_ENTRY);
	for (size_t done = 0; done < n;) {
		size_t k = MIN(n - done, per_trip), ran;
		struct user_regs_struct out;
		int r;

		for (size_t i = 0; i < k; i++) {
			long *e = table + i * (BATCH_ENTRY / sizeof(long));

			e[0] = calls[done + i].nr;
			memcpy(e + 1, calls[done + i].a, sizeof(calls[0].a));
			e[7] = 0;
		}
		r = remote_write(inf->pid, inf->scratch, table, k * BATCH_ENTRY);
		if (r >= 0)
			r = batch_run(inf, inf->scratch, k, &out);
		if (r >= 0)
			r = remote_read(inf->pid, inf->scratch, table, k * BATCH_ENTRY);
		if (r < 0)
			return r;
		/* r13 counts down, and stays where a call failed. */
		ran = k - (size_t)out.r13 + (out.r13 ? 1 : 0);
		for (size_t i = 0; i < ran; i++)
			calls[done + i].ret = table[i * (BATCH_ENTRY / sizeof(long)) + 7];
		if (out.r13) {
			*ret_failed = done + ran - 1;
			return 0;
		}
		done += k;
	}
	*ret_failed = n;
	return 0;
}

int infect_map_scratch(struct infect *inf, size_t len)
{
	long addr;
	int r;

	r = infect_syscall6(inf, SYS_mmap, &addr, 0, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r < 0)
		return r;
	if (addr < 0 && addr > -4096)
		return (int)addr;
	inf->scratch = (uint64_t)addr;
	inf->scratch_len = len;
	return 0;
}

int infect_unmap_scratch(struct infect *inf)
{
	long ret;
	int r;

	if (!inf->scratch)
		return 0;
	if (inf->scratch_on_stack) {
		inf->scratch = 0;
		inf->scratch_on_stack = false;
		return 0;
	}
	r = infect_syscall3(inf, SYS_munmap, &ret, inf->scratch, inf->scratch_len, 0);
	if (r < 0)
		return r;
	inf->scratch = 0;
	return ret < 0 ? (int)ret : 0;
}
