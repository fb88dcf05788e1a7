/*
 * 98-rcall.c - a process whose threads must come back exactly as they
 * were when ckpt dies in the middle of a remote call into them.
 *
 * Usage: 98-rcall WORKDIR
 *
 * Before READY it starts ("CHILD pid=N" first):
 *   - a spinner thread that runs a loop of its own in assembly holding
 *     known values in rbx, r12-r15, xmm6, xmm7 (and, with AVX2, the upper
 *     halves of ymm6 and ymm7), checking them and the flags of each
 *     compare on every round, and counting rounds: a register not put
 *     back exactly stops the count and counts as bad;
 *   - a sleeper thread in clock_nanosleep() (relative, 40 ms), which it
 *     goes back into with the remaining time on EINTR (eintr= counts
 *     them): each sleep must last at least 40 ms by its own monotonic
 *     clock (early counts those that did not);
 *   - a reader thread blocked in read() on a pipe that the main loop
 *     writes the numbers 1, 2, 3 ... into now and then: each read must
 *     return the next number (read_bad counts those that did not; an
 *     EINTR counts as bad too: no handler runs in that thread);
 *   - a child process that counts in shared memory between 2 ms sleeps;
 *   - 4 MiB of memory with a pattern, checked at each self-check.
 * The helper threads block every signal (the main thread takes them).
 * The self-check (SIGUSR2) says spin= sleeps= reads= child= (the test
 * wants them to go on growing) and fails on any bad count, a dead child,
 * or memory that changed.
 */
#include "target.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define SLEEP_NS (40 * 1000 * 1000)
#define MEM_LEN (4UL << 20)

struct shared {
	_Atomic unsigned long child_count;
};

static _Atomic unsigned long spin_rounds, spin_bad;
static _Atomic unsigned long sleeps, early, eintrs;
static _Atomic unsigned long reads, read_bad;
static struct shared *sh;
static unsigned char *mem;
static int pipe_fds[2];
static unsigned long written, iterations;
static pid_t child;

static void block_all(void)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

/* 100000 rounds; returns 0, or 1 when a register or the flags changed. */
static unsigned long spin_sse(void)
{
	unsigned long bad = 0;

	__asm__ volatile("movabs $0x1111222233334444, %%rbx\n\t"
			 "movabs $0x5555666677778888, %%r12\n\t"
			 "movabs $0x99990000aaaabbbb, %%r13\n\t"
			 "movabs $0xccccddddeeeeffff, %%r14\n\t"
			 "movabs $0x0123456789abcdef, %%r15\n\t"
			 "movq %%r12, %%xmm6\n\t"
			 "movq %%r13, %%xmm7\n\t"
			 "mov $100000, %%ecx\n"
			 "1:\n\t"
			 "lock incq %[rounds]\n\t"
			 "movabs $0x1111222233334444, %%rax\n\t"
			 "cmp %%rax, %%rbx\n\t"
			 "jne 2f\n\t"
			 "movabs $0x5555666677778888, %%rax\n\t"
			 "cmp %%rax, %%r12\n\t"
			 "jne 2f\n\t"
			 "movabs $0x99990000aaaabbbb, %%rax\n\t"
			 "cmp %%rax, %%r13\n\t"
			 "jne 2f\n\t"
			 "movabs $0xccccddddeeeeffff, %%rax\n\t"
			 "cmp %%rax, %%r14\n\t"
			 "jne 2f\n\t"
			 "movabs $0x0123456789abcdef, %%rax\n\t"
			 "cmp %%rax, %%r15\n\t"
			 "jne 2f\n\t"
			 "movq %%xmm6, %%rax\n\t"
			 "cmp %%rax, %%r12\n\t"
			 "jne 2f\n\t"
			 "movq %%xmm7, %%rax\n\t"
			 "cmp %%rax, %%r13\n\t"
			 "jne 2f\n\t"
			 "dec %%ecx\n\t"
			 "jnz 1b\n\t"
			 "jmp 3f\n"
			 "2:\n\t"
			 "mov $1, %[bad]\n"
			 "3:\n"
			 : [bad] "+r"(bad), [rounds] "+m"(spin_rounds)
			 :
			 : "rax", "rbx", "rcx", "r12", "r13", "r14", "r15", "xmm6", "xmm7", "cc");
	return bad;
}

/* The same with the upper halves of ymm6 and ymm7 (AVX2). */
static unsigned long spin_avx2(void)
{
	unsigned long bad = 0;

	__asm__ volatile("movabs $0x0f0e0d0c0b0a0908, %%r12\n\t"
			 "movabs $0x7766554433221100, %%r13\n\t"
			 "movq %%r12, %%xmm6\n\t"
			 "vpbroadcastq %%xmm6, %%ymm6\n\t"
			 "movq %%r13, %%xmm7\n\t"
			 "vpbroadcastq %%xmm7, %%ymm7\n\t"
			 "mov $100000, %%ecx\n"
			 "1:\n\t"
			 "lock incq %[rounds]\n\t"
			 "vextracti128 $1, %%ymm6, %%xmm0\n\t"
			 "movq %%xmm0, %%rax\n\t"
			 "cmp %%rax, %%r12\n\t"
			 "jne 2f\n\t"
			 "vextracti128 $1, %%ymm7, %%xmm0\n\t"
			 "movq %%xmm0, %%rax\n\t"
			 "cmp %%rax, %%r13\n\t"
			 "jne 2f\n\t"
			 "dec %%ecx\n\t"
			 "jnz 1b\n\t"
			 "jmp 3f\n"
			 "2:\n\t"
			 "mov $1, %[bad]\n"
			 "3:\n\t"
			 "vzeroupper\n"
			 : [bad] "+r"(bad), [rounds] "+m"(spin_rounds)
			 :
			 : "rax", "rcx", "r12", "r13", "xmm0", "xmm6", "xmm7", "cc");
	return bad;
}

static void *spinner(void *arg)
{
	bool avx2 = __builtin_cpu_supports("avx2");

	(void)arg;
	block_all();
	for (;;) {
		if (spin_sse() || (avx2 && spin_avx2())) {
			spin_bad++;
			return NULL; /* the count stops: the test sees it */
		}
	}
}

static void *sleeper(void *arg)
{
	(void)arg;
	block_all();
	for (;;) {
		struct timespec req = { 0, SLEEP_NS }, rem;
		int64_t t0 = t_now_ns(), t1;
		int r;

		while ((r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem)) == EINTR) {
			eintrs++;
			req = rem;
		}
		t1 = t_now_ns();
		if (r || t1 - t0 < SLEEP_NS)
			early++;
		sleeps++;
	}
	return NULL;
}

static void *reader(void *arg)
{
	(void)arg;
	block_all();
	for (unsigned long want = 1;; want++) {
		unsigned long got;
		ssize_t n = read(pipe_fds[0], &got, sizeof(got));

		if (n != (ssize_t)sizeof(got) || got != want)
			read_bad++;
		else
			reads++;
	}
	return NULL;
}

static void iterate(void)
{
	/* The next number for the reader every 20 rounds (some 40 ms): it
	 * spends its time blocked in read(). */
	if (++iterations % 20)
		return;
	written++;
	t_write_all(pipe_fds[1], (const char *)&written, sizeof(written));
}

static void check(struct t_check *c)
{
	int status;

	if (spin_bad)
		t_check_fail(c, "a register of the spinner changed under it");
	if (early)
		t_check_fail(c, "%lu sleeps ended early", (unsigned long)early);
	if (read_bad)
		t_check_fail(c, "%lu reads returned something else", (unsigned long)read_bad);
	for (size_t i = 0; i < MEM_LEN; i += 512)
		if (mem[i] != (unsigned char)(i * 7 >> 9)) {
			t_check_fail(c, "memory at %zu changed", i);
			break;
		}
	if (waitpid(child, &status, WNOHANG) != 0)
		t_check_fail(c, "the child is gone");
	t_check_info(c, "spin=%lu", (unsigned long)spin_rounds);
	t_check_info(c, "sleeps=%lu", (unsigned long)sleeps);
	t_check_info(c, "eintr=%lu", (unsigned long)eintrs);
	t_check_info(c, "reads=%lu", (unsigned long)reads);
	t_check_info(c, "child=%lu", (unsigned long)sh->child_count);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = iterate, .check = check };
	pthread_t th;
	pid_t parent;

	t_init(argc, argv);
	mem = malloc(MEM_LEN);
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!mem || sh == MAP_FAILED || pipe2(pipe_fds, O_CLOEXEC))
		t_fatal("set-up");
	for (size_t i = 0; i < MEM_LEN; i += 512)
		mem[i] = (unsigned char)(i * 7 >> 9);
	parent = getpid();
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0) {
		struct timespec tick = { 0, 2 * 1000 * 1000 };

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(1);
		for (;;) {
			sh->child_count++;
			nanosleep(&tick, NULL);
		}
	}
	if (pthread_create(&th, NULL, spinner, NULL) || pthread_create(&th, NULL, sleeper, NULL) ||
	    pthread_create(&th, NULL, reader, NULL))
		t_fatal("pthread_create");
	t_log("CHILD pid=%d", (int)child);
	t_run(&ops);
	return 0;
}
