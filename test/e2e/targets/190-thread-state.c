/*
 * 190-thread-state.c - many threads, each with state of its own that a
 * dump reads by remote calls in that very thread.
 *
 * Usage: 190-thread-state WORKDIR [THREADS=64]
 *
 * Thread i ("s<i>") sets, for itself only: a signal mask (every signal
 * blocked but one real-time signal, SIGRTMIN + 2 + i % 16), an alternate
 * signal stack of its own (16 KiB + 64 i bytes), a parent-death signal
 * (SIGRTMIN + i % 8, ignored by the process) and, where the kernel has it, a
 * machine-check kill policy (early for odd i, late for even i). Then it
 * waits in FUTEX_WAIT (every seventh polls in nanosleep).
 * Self-check (SIGUSR2): every thread reads its own state again and
 * answers within 10 s; each must hold exactly what it set (and gettid()
 * its TID at start). Reports threads=N and mce=0|1 (the policy was set).
 */
#include "target.h"

#include <pthread.h>
#include <sys/prctl.h>

struct worker {
	pthread_t th;
	int idx;
	_Atomic pid_t tid0;
	_Atomic uint32_t ack;
	char *altstack;
	size_t altsize;
	sigset_t mask0; /* its mask as the kernel took it (not SIGKILL...) */
	char why[160]; /* what its last answer found wrong, "" if nothing */
};

static int nr;
static struct worker *workers;
static _Atomic uint32_t gen, acks;
static _Atomic int mce_ok = 1;

static void own_mask(int i, sigset_t *set)
{
	sigfillset(set);
	sigdelset(set, SIGRTMIN + 2 + i % 16);
}

static int own_pdeath(int i)
{
	return SIGRTMIN + i % 8;
}

static int own_mce(int i)
{
	return i % 2 ? PR_MCE_KILL_EARLY : PR_MCE_KILL_LATE;
}

static void verify(struct worker *w)
{
	sigset_t want, now;
	stack_t ss;
	int sig = 0;
	int mce;

	w->why[0] = 0;
	if (gettid() != atomic_load(&w->tid0)) {
		snprintf(w->why, sizeof(w->why), "gettid() %d, was %d", (int)gettid(),
			 (int)w->tid0);
		return;
	}
	want = w->mask0;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&want, s) != sigismember(&now, s)) {
			snprintf(w->why, sizeof(w->why), "signal %d is %sblocked", s,
				 sigismember(&now, s) ? "" : "not ");
			return;
		}
	if (sigaltstack(NULL, &ss) || ss.ss_sp != w->altstack || ss.ss_size != w->altsize ||
	    (ss.ss_flags & SS_DISABLE)) {
		snprintf(w->why, sizeof(w->why), "alternate stack %p+%zu flags %d, want %p+%zu",
			 ss.ss_sp, ss.ss_size, ss.ss_flags, (void *)w->altstack, w->altsize);
		return;
	}
	if (prctl(PR_GET_PDEATHSIG, &sig) || sig != own_pdeath(w->idx)) {
		snprintf(w->why, sizeof(w->why), "parent-death signal %d, want %d", sig,
			 own_pdeath(w->idx));
		return;
	}
	if (atomic_load(&mce_ok)) {
		mce = prctl(PR_MCE_KILL_GET, 0, 0, 0, 0);
		if (mce != own_mce(w->idx))
			snprintf(w->why, sizeof(w->why), "machine-check kill policy %d, want %d",
				 mce, own_mce(w->idx));
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	sigset_t set;
	stack_t ss;

	atomic_store(&w->tid0, gettid());
	own_mask(w->idx, &set);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	pthread_sigmask(SIG_SETMASK, NULL, &w->mask0);
	if (sigismember(&w->mask0, SIGRTMIN + 2 + w->idx % 16) ||
	    !sigismember(&w->mask0, SIGRTMIN + 2 + (w->idx + 1) % 16))
		t_fatal("thread s%d: its mask did not take", w->idx);
	ss = (stack_t){ .ss_sp = w->altstack, .ss_size = w->altsize };
	if (sigaltstack(&ss, NULL))
		t_fatal("sigaltstack");
	if (prctl(PR_SET_PDEATHSIG, own_pdeath(w->idx)))
		t_fatal("PR_SET_PDEATHSIG");
	if (prctl(PR_MCE_KILL, PR_MCE_KILL_SET, own_mce(w->idx), 0, 0))
		atomic_store(&mce_ok, 0); /* no CONFIG_MEMORY_FAILURE */
	for (;;) {
		uint32_t g = atomic_load(&gen);

		if (g != atomic_load(&w->ack)) {
			verify(w);
			atomic_store(&w->ack, g);
			atomic_fetch_add(&acks, 1);
			t_futex_wake(&acks);
		} else if (w->idx % 7 == 0) {
			struct timespec pause = { 0, 20 * 1000 * 1000 };

			nanosleep(&pause, NULL);
		} else {
			t_futex_wait(&gen, g, -1);
		}
	}
	return NULL;
}

static int missing(uint32_t g)
{
	int n = 0;

	for (int i = 0; i < nr; i++)
		if (atomic_load(&workers[i].ack) != g)
			n++;
	return n;
}

static void ask_all(struct t_check *c)
{
	uint32_t g = atomic_fetch_add(&gen, 1) + 1;
	int64_t end = t_now_ns() + 10000000000LL;
	int bad = 0, tasks;

	t_futex_wake(&gen);
	for (;;) {
		uint32_t a = atomic_load(&acks);
		int64_t left = end - t_now_ns();

		if (!missing(g) || left <= 0)
			break;
		t_futex_wait(&acks, a, left);
	}
	for (int i = 0; i < nr; i++) {
		struct worker *w = &workers[i];

		if (atomic_load(&w->ack) != g) {
			if (bad++ < 3)
				t_check_fail(c, "thread s%d (tid %d) did not answer", i,
					     (int)w->tid0);
		} else if (w->why[0]) {
			if (bad++ < 3)
				t_check_fail(c, "thread s%d: %s", i, w->why);
		}
	}
	if (bad > 3)
		t_check_fail(c, "and %d more threads", bad - 3);
	tasks = t_count_tasks();
	if (tasks != nr + 1)
		t_check_fail(c, "%d threads in /proc/self/task, want %d", tasks, nr + 1);
	t_check_info(c, "threads=%d", tasks);
	t_check_info(c, "mce=%d", atomic_load(&mce_ok));
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = ask_all };
	pthread_attr_t attr;
	sigset_t all, old;
	struct t_check c;

	t_init(argc, argv);
	nr = argc > 2 ? atoi(argv[2]) : 64;
	if (nr < 1)
		nr = 1;
	workers = calloc((size_t)nr, sizeof(*workers));
	if (!workers)
		t_fatal("calloc");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* A parent-death signal goes to the whole process when the thread
	 * that made it exits (ckpt's, after a restore): ignored here. */
	for (int i = 0; i < 8; i++)
		signal(SIGRTMIN + i, SIG_IGN);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < nr; i++) {
		char name[16];

		workers[i].idx = i;
		workers[i].altsize = 16384 + 64 * (size_t)i;
		workers[i].altstack = malloc(workers[i].altsize);
		if (!workers[i].altstack)
			t_fatal("malloc");
		if (pthread_create(&workers[i].th, &attr, worker_main, &workers[i]))
			t_fatal("pthread_create %d", i);
		snprintf(name, sizeof(name), "s%d", i);
		pthread_setname_np(workers[i].th, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	memset(&c, 0, sizeof(c));
	ask_all(&c);
	if (c.failed) {
		errno = 0;
		t_fatal("set-up: %s", c.fail);
	}
	t_run(&ops);
	return 0;
}
