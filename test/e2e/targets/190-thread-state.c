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
#include "workers.h"

#include <sys/prctl.h>

struct worker {
	struct t_worker base; /* first */
	char *altstack;
	size_t altsize;
	sigset_t mask0; /* its mask as the kernel took it (not SIGKILL...) */
	char why[160]; /* what its last answer found wrong, "" if nothing */
};

static int nr;
static struct worker *workers;
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
	if (gettid() != atomic_load(&w->base.tid0)) {
		snprintf(w->why, sizeof(w->why), "gettid() %d, was %d", (int)gettid(),
			 (int)w->base.tid0);
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
	if (prctl(PR_GET_PDEATHSIG, &sig) || sig != own_pdeath(w->base.idx)) {
		snprintf(w->why, sizeof(w->why), "parent-death signal %d, want %d", sig,
			 own_pdeath(w->base.idx));
		return;
	}
	if (atomic_load(&mce_ok)) {
		mce = prctl(PR_MCE_KILL_GET, 0, 0, 0, 0);
		if (mce != own_mce(w->base.idx))
			snprintf(w->why, sizeof(w->why), "machine-check kill policy %d, want %d",
				 mce, own_mce(w->base.idx));
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	sigset_t set;
	stack_t ss;

	atomic_store(&w->base.tid0, gettid());
	own_mask(w->base.idx, &set);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	pthread_sigmask(SIG_SETMASK, NULL, &w->mask0);
	if (sigismember(&w->mask0, SIGRTMIN + 2 + w->base.idx % 16) ||
	    !sigismember(&w->mask0, SIGRTMIN + 2 + (w->base.idx + 1) % 16))
		t_fatal("thread s%d: its mask did not take", w->base.idx);
	ss = (stack_t){ .ss_sp = w->altstack, .ss_size = w->altsize };
	if (sigaltstack(&ss, NULL))
		t_fatal("sigaltstack");
	if (prctl(PR_SET_PDEATHSIG, own_pdeath(w->base.idx)))
		t_fatal("PR_SET_PDEATHSIG");
	if (prctl(PR_MCE_KILL, PR_MCE_KILL_SET, own_mce(w->base.idx), 0, 0))
		atomic_store(&mce_ok, 0); /* no CONFIG_MEMORY_FAILURE */
	for (;;) {
		uint32_t g = w_next(&w->base, w->base.idx % 7 == 0);

		verify(w);
		w_answered(&w->base, g);
	}
	return NULL;
}

/* Thread i found something wrong in its own state when it answered. */
static bool answer_wrong(int i, char *why, size_t size)
{
	if (!workers[i].why[0])
		return false;
	snprintf(why, size, "%s", workers[i].why);
	return true;
}

static void ask_all(struct t_check *c)
{
	w_report(c, w_ask(), "s", answer_wrong);
	t_check_info(c, "mce=%d", atomic_load(&mce_ok));
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	workers = w_alloc(argc, argv, 64, sizeof(*workers), &nr);
	/* A parent-death signal goes to the whole process when the thread
	 * that made it exits (ckpt's, after a restore): ignored here. */
	for (int i = 0; i < 8; i++)
		signal(SIGRTMIN + i, SIG_IGN);
	for (int i = 0; i < nr; i++) {
		workers[i].altsize = 16384 + 64 * (size_t)i;
		workers[i].altstack = malloc(workers[i].altsize);
		if (!workers[i].altstack)
			t_fatal("malloc");
	}
	w_start(workers, sizeof(*workers), nr, "s", worker_main);
	w_run(ask_all);
}
