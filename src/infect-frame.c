// SPDX-License-Identifier: GPL-2.0
/*
 * A way home for a thread whose tracer dies during a remote call (infect.c).
 *
 * A dump runs remote calls with the tree's own registers replaced by the
 * call's. If ckpt died then, the thread would go on from those registers.
 * So before a call ckpt writes on the thread's stack, below its red zone,
 * the frame the kernel itself writes to deliver a signal (struct
 * rt_sigframe: a ucontext with the thread's registers, its signal mask and
 * a pointer to its XSAVE area), and makes the call at a `syscall; ret`
 * found in the process's text, with rsp pointing at the frame's return
 * address: a `mov $15,%rax; syscall` (rt_sigreturn, the C library's signal
 * restorer) also found in its text. ckpt stops the thread after the call
 * as before and puts its registers back itself; only a thread whose
 * tracer is gone runs on, into rt_sigreturn, which puts back every
 * register, the mask and the FPU state, exactly as after a signal handler.
 *
 * Nothing is mapped in the process. A process without both pieces of code
 * (a static program that installs no signal handler) has no way home: its
 * calls keep PTRACE_O_EXITKILL (infect_start).
 */
#include "infect.h"

#include "proc.h"
#include "util.h"

#include <cpuid.h>
#include <elf.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

/* `syscall; ret` */
static const unsigned char ret_code[] = { 0x0f, 0x05, 0xc3 };
/* `mov $15,%rax; syscall` (glibc, musl, Go) and `mov $15,%eax; syscall` */
static const unsigned char restorer_code[] = {
	0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05
};
static const unsigned char restorer_code32[] = { 0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };

#define SCAN_CHUNK (1UL << 20)
#define SCAN_MAX (64UL << 20) /* per mapping */

static void scan(const unsigned char *p, size_t len, uint64_t base, uint64_t *ret_gadget,
		 uint64_t *ret_restorer)
{
	const unsigned char *hit;

	if (!p || !len) /* never: tells the compiler memmem gets a buffer */
		return;
	if (!*ret_gadget) {
		hit = memmem(p, len, ret_code, sizeof(ret_code));
		if (hit)
			*ret_gadget = base + (uint64_t)(hit - p);
	}
	if (!*ret_restorer) {
		hit = memmem(p, len, restorer_code, sizeof(restorer_code));
		if (!hit)
			hit = memmem(p, len, restorer_code32, sizeof(restorer_code32));
		if (hit)
			*ret_restorer = base + (uint64_t)(hit - p);
	}
}

int infect_find_way_home(struct infect *inf)
{
	_cleanup_free_ unsigned char *buf = xmalloc(SCAN_CHUNK + 16);
	uint64_t gadget = 0, restorer = 0;
	struct proc_vma *vmas;
	size_t nr;
	int r;

	r = proc_read_maps(inf->tgid ? inf->tgid : inf->pid, &vmas, &nr);
	if (r < 0)
		return r;
	/* File-backed code only: the process cannot be rewriting it (it is
	 * stopped), and anonymous executable memory may be a JIT's. */
	for (size_t i = 0; i < nr && !(gadget && restorer); i++) {
		const struct proc_vma *v = &vmas[i];
		uint64_t end = MIN(v->end, v->start + SCAN_MAX);

		if (!v->x || !v->r || !v->path || v->path[0] != '/')
			continue;
		/* Chunks overlap by a few bytes: a sequence may straddle two. */
		for (uint64_t a = v->start; a < end && !(gadget && restorer); a += SCAN_CHUNK) {
			size_t len = MIN(end - a, SCAN_CHUNK + 16);

			if (remote_read(inf->pid, a, buf, len) < 0)
				break;
			scan(buf, len, a, &gadget, &restorer);
		}
	}
	proc_vmas_free(vmas, nr);
	if (!gadget || !restorer)
		return -ENOENT;
	inf->ret_gadget = gadget;
	inf->restorer = restorer;
	return 0;
}

/* The x86-64 signal frame, as the kernel reads it back in rt_sigreturn
 * (arch/x86/include/asm/sigframe.h and uapi sigcontext.h, ucontext.h). */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
	uint64_t eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct k_rt_sigframe {
	uint64_t pretcode;
	uint64_t uc_flags;
	uint64_t uc_link;
	struct {
		uint64_t ss_sp;
		int32_t ss_flags;
		int32_t pad;
		uint64_t ss_size;
	} uc_stack;
	struct k_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
	unsigned char info[128];
};

_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext layout");
_Static_assert(offsetof(struct k_rt_sigframe, uc_sigmask) == 304, "ucontext layout");

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define XSTATE_MAX 16384
#define XSAVE_SW_OFF 464 /* sw_reserved in the legacy area */
#define XSAVE_HDR_OFF 512
#define XSAVE_MIN 576 /* legacy area and header */
#define XFEATURE_XTILE_DATA (1ULL << 18)
#define RED_ZONE 128

/*
 * The size of a standard-format XSAVE area holding @features (CPUID leaf
 * 0xd gives each feature's offset and size). The kernel takes a frame's
 * XSAVE area only if its size is at most the task's own user size, which
 * leaves out AMX tile data (a dynamic feature) until the task uses it.
 */
static uint32_t xsave_size(uint64_t features)
{
	/* Each feature's end, asked once: in a VM every cpuid traps to the
	 * hypervisor, and a dump builds a frame for every thread. */
	static uint32_t feature_end[64];
	static bool known;
	uint32_t size = XSAVE_MIN;

	if (!known) {
		for (unsigned int i = 2; i < 64; i++) {
			unsigned int eax, ebx, ecx, edx;

			if (__get_cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx))
				feature_end[i] = ebx + eax;
		}
		known = true;
	}
	for (unsigned int i = 2; i < 64; i++)
		if (features & (1ULL << i))
			size = MAX(size, feature_end[i]);
	return size;
}

/* The thread's XSAVE area as a signal frame holds it: with the software
 * bytes (magic, size, features) and the second magic after it. */
static int read_xsave(int tid, unsigned char *x, uint32_t *ret_size)
{
	struct iovec iov = { x, XSTATE_MAX };
	uint64_t features, bv;
	uint32_t magic1, size;

	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) < 0)
		return -errno;
	if (iov.iov_len < XSAVE_MIN || iov.iov_len > XSTATE_MAX - 4)
		return -ENOTSUP;
	/* ptrace puts XCR0 in the first word of the software bytes (where
	 * debuggers read it); some kernels put the signal frame's layout. */
	memcpy(&magic1, x + XSAVE_SW_OFF, 4);
	memcpy(&features, x + XSAVE_SW_OFF + (magic1 == FP_XSTATE_MAGIC1 ? 8 : 0), 8);
	memcpy(&bv, x + XSAVE_HDR_OFF, 8);
	if ((features & 3) != 3)
		return -ENOTSUP;
	if (!(bv & XFEATURE_XTILE_DATA))
		features &= ~XFEATURE_XTILE_DATA;
	size = MIN(xsave_size(features), (uint32_t)iov.iov_len);
	magic1 = FP_XSTATE_MAGIC1;
	memset(x + XSAVE_SW_OFF, 0, XSAVE_HDR_OFF - XSAVE_SW_OFF);
	memcpy(x + XSAVE_SW_OFF, &magic1, 4);
	memcpy(x + XSAVE_SW_OFF + 4, &(uint32_t){ size + 4 }, 4); /* extended_size */
	memcpy(x + XSAVE_SW_OFF + 8, &features, 8);
	memcpy(x + XSAVE_SW_OFF + 16, &size, 4); /* xstate_size */
	memcpy(x + size, &(uint32_t){ FP_XSTATE_MAGIC2 }, 4);
	*ret_size = size;
	return 0;
}

/* A user shadow stack (CET) would refuse both the `ret` and the frame. */
static bool has_shadow_stack(int pid, int tid)
{
	_cleanup_free_ char *text = NULL;
	char path[96];
	const char *line;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	if (read_file(path, &text, NULL) < 0)
		return true; /* cannot tell: no frame */
	line = strstr(text, "\nx86_Thread_features:");
	if (!line)
		return false;
	line += strlen("\nx86_Thread_features:");
	return strstr(line, "shstk") && strstr(line, "shstk") < strchrnul(line, '\n');
}

/*
 * The registers the thread would go on with if ckpt let it go now. A
 * thread stopped on its way out of an interrupted syscall has the
 * kernel's restart code in rax: the kernel turns it into a restart when
 * it leaves the stop (no handler runs), which rt_sigreturn would not (it
 * clears orig_rax), so the frame holds the restart already made: the
 * syscall instruction again, with the syscall's number.
 */
static void resume_regs(const struct user_regs_struct *b, struct k_sigcontext *sc)
{
	*sc = (struct k_sigcontext){
		.r8 = b->r8,
		.r9 = b->r9,
		.r10 = b->r10,
		.r11 = b->r11,
		.r12 = b->r12,
		.r13 = b->r13,
		.r14 = b->r14,
		.r15 = b->r15,
		.rdi = b->rdi,
		.rsi = b->rsi,
		.rbp = b->rbp,
		.rbx = b->rbx,
		.rdx = b->rdx,
		.rax = b->rax,
		.rcx = b->rcx,
		.rsp = b->rsp,
		.rip = b->rip,
		.eflags = b->eflags,
		.cs = (uint16_t)b->cs,
		.ss = (uint16_t)b->ss,
	};
	if ((long)b->orig_rax < 0 || !is_restart_errno((long)b->rax))
		return;
	sc->rip -= 2;
	/*
	 * The kernel: -ERESTART_RESTARTBLOCK (a relative sleep: nanosleep,
	 * clock_nanosleep, poll or a futex wait with a timeout) goes on
	 * through restart_syscall and the time left kept in the thread's
	 * restart block, but rt_sigreturn resets that block (any restart then
	 * returns EINTR, as after a signal handler). So the syscall is made
	 * again with its own arguments (still in its registers): the sleep
	 * goes on, never shorter, and no EINTR reaches a thread that has no
	 * handler; a relative one starts its full time again, unless its
	 * remaining-time argument is its request (glibc's sleep()), where the
	 * kernel wrote the time left when it was interrupted. A thread
	 * already in restart_syscall (its sleep was interrupted before: a
	 * stop, an earlier dump) has lost its own number: it gets EINTR.
	 */
	sc->rax = b->orig_rax;
}

/* Only into memory the thread may write itself: not remote_write(),
 * whose /proc/PID/mem fallback would force a write into a read-only
 * mapping under an odd stack pointer. A stack not yet grown that far (the
 * kernel does not grow one for another process) fails too. */
static int stack_write(int pid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };
	ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

/*
 * Where the mapping under the thread's stack pointer begins, if it is
 * private and writable: the frame must not spill out of it into other
 * memory (below a small alternate signal stack in the heap), which ckpt
 * would overwrite even when it lives.
 */
static int stack_vma(struct infect *inf, uint64_t at, uint64_t *ret_end, bool *ret_stack)
{
	struct proc_vma *vmas = inf->vmas;
	size_t nr = inf->nr_vmas, i;
	int r;

	if (!vmas) {
		r = proc_read_maps(inf->tgid ? inf->tgid : inf->pid, &vmas, &nr);
		if (r < 0)
			return r;
	}
	for (i = 0; i < nr && !(vmas[i].start <= at && at < vmas[i].end); i++)
		;
	r = -EFAULT;
	if (i < nr && vmas[i].w && !vmas[i].shared) {
		inf->stack_lo = vmas[i].start;
		if (ret_end)
			*ret_end = vmas[i].end;
		/* The main stack or an anonymous mapping (a thread's), not
		 * the heap or a file, where a small alternate signal stack
		 * may sit on other data. */
		if (ret_stack)
			*ret_stack = !vmas[i].path || !strcmp(vmas[i].path, "[stack]");
		r = 0;
	}
	if (vmas != inf->vmas)
		proc_vmas_free(vmas, nr);
	return r;
}

static int stack_low(struct infect *inf, uint64_t at)
{
	return stack_vma(inf, at, NULL, NULL);
}

/*
 * A chain's mappings are read once per process: the threads of a process
 * are all stopped, and a dump's calls between infect_maps_cache() and
 * infect_maps_drop() map and unmap nothing (the scratch area is mapped
 * before, unmapped after).
 */
int infect_maps_cache(struct infect *inf)
{
	infect_maps_drop(inf);
	return proc_read_maps(inf->tgid ? inf->tgid : inf->pid, &inf->vmas, &inf->nr_vmas);
}

void infect_maps_drop(struct infect *inf)
{
	if (inf->vmas)
		proc_vmas_free(inf->vmas, inf->nr_vmas);
	inf->vmas = NULL;
	inf->nr_vmas = 0;
}

static int frame_build(struct infect *inf, unsigned char **ret_buf, size_t *ret_len,
		       uint64_t *ret_sp)
{
	_cleanup_free_ unsigned char *x = NULL;
	unsigned char *buf;
	struct k_rt_sigframe f = { 0 };
	uint64_t mask, top, fp, frame;
	uint32_t xsize = 0;
	size_t len;
	int r;

	/* The 64-bit frame, for 64-bit code only (__USER_CS). */
	if (!inf->ret_gadget || !inf->restorer || inf->base.cs != 0x33)
		return -ENOTSUP;
	if (has_shadow_stack(inf->tgid ? inf->tgid : inf->pid, inf->pid))
		return -ENOTSUP;
	if (ptrace(PTRACE_GETSIGMASK, inf->pid, (void *)sizeof(mask), &mask) < 0)
		return -errno;
	x = xzalloc(XSTATE_MAX);
	r = read_xsave(inf->pid, x, &xsize);
	if (r < 0)
		return r;
	/* Where the kernel would put a signal frame: below the red zone,
	 * the XSAVE area 64-byte aligned, the frame under it so that rsp is
	 * 16-byte aligned once its return address is popped. */
	top = inf->base.rsp - RED_ZONE;
	fp = (top - xsize - 4) & ~63ULL;
	frame = ((fp - sizeof(f)) & ~15ULL) - 8;
	if (top > inf->base.rsp || frame > fp)
		return -EFAULT; /* a wrapped stack pointer */
	if (!inf->stack_lo) {
		r = stack_low(inf, top);
		if (r < 0)
			return r;
	}
	if (frame < inf->stack_lo)
		return -ENOSPC;
	f.pretcode = inf->restorer;
	f.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	/*
	 * The kernel: rt_sigreturn sets the alternate signal stack from
	 * uc_stack, but ignores every error there but EFAULT, and an
	 * unknown mode is refused before anything is changed. So a mode of
	 * both SS_ONSTACK and SS_DISABLE leaves the thread's own as it is
	 * (which ckpt does not know before it asks by a remote call).
	 */
	f.uc_stack.ss_flags = 1 | 2;
	resume_regs(&inf->base, &f.uc_mcontext);
	f.uc_mcontext.fpstate = fp;
	f.uc_sigmask = mask;
	len = fp + xsize + 4 - frame;
	buf = xzalloc(len);
	memcpy(buf, &f, sizeof(f));
	memcpy(buf + (fp - frame), x, xsize + 4);
	*ret_buf = buf;
	*ret_len = len;
	*ret_sp = frame;
	return 0;
}

/*
 * Built once for a chain (infect_chain_begin): nothing a dump's calls do
 * changes the thread's registers, mask or FPU state, so the frame is the
 * same for each. It is still written before every call: the stack under
 * the thread's red zone is the thread's own memory, not ckpt's.
 */
int infect_frame_write(struct infect *inf, uint64_t *ret_sp)
{
	_cleanup_free_ unsigned char *own = NULL;
	unsigned char *buf = inf->frame;
	size_t len = inf->frame_len;
	uint64_t sp = inf->frame_sp;
	int r;

	if (!buf) {
		r = frame_build(inf, &own, &len, &sp);
		if (r < 0)
			return r;
		buf = own;
		if (inf->chain) {
			inf->frame = own;
			own = NULL;
			inf->frame_len = len;
			inf->frame_sp = sp;
		}
	}
	r = stack_write(inf->pid, sp, buf, len);
	if (r < 0)
		return r;
	*ret_sp = sp;
	return 0;
}

/* Room for any frame infect_frame_write() puts below the red zone: the
 * largest XSAVE area, its magic, the frame and their alignments. */
#define FRAME_ROOM (XSTATE_MAX + 4 + 64 + sizeof(struct k_rt_sigframe) + 16 + 8)

/*
 * The thread's stack below its red zone is dead to it (the kernel writes
 * signal frames there), and ckpt's frames go in its top FRAME_ROOM bytes:
 * the scratch memory goes below them. The thread is stopped while ckpt
 * uses it; if ckpt dies, what it wrote there is as dead as the rest.
 */
int infect_stack_scratch(struct infect *inf, size_t len, const uint64_t *sps, size_t n)
{
	uint64_t top, lo, end = 0;
	bool stack = false;
	int r;

	/* Only where the calls are framed: an unframed call (a step over
	 * the vDSO's syscall) would run on the same stack. */
	if (!inf->ret_gadget || !inf->restorer || inf->base.cs != 0x33)
		return -ENOTSUP;
	top = inf->base.rsp - RED_ZONE;
	lo = (top - FRAME_ROOM - len) & ~63ULL;
	if (top > inf->base.rsp || lo > top)
		return -EFAULT; /* a wrapped stack pointer */
	r = stack_vma(inf, top, &end, &stack);
	if (r < 0)
		return r;
	if (!stack)
		return -ENOTSUP;
	if (lo < inf->stack_lo)
		return -ENOSPC;
	/* Another thread's stack in the same mapping (a program that
	 * carves its threads' stacks out of one): its live part could be
	 * anywhere in it. */
	for (size_t i = 0; i < n; i++)
		if (sps[i] >= inf->stack_lo && sps[i] < end)
			return -EBUSY;
	inf->scratch = lo;
	inf->scratch_len = len;
	inf->scratch_on_stack = true;
	return 0;
}
