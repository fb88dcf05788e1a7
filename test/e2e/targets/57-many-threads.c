/*
 * 57-many-threads.c - a process with many threads (scale).
 *
 * Usage: 57-many-threads WORKDIR [THREADS=500]
 *
 * THREADS threads named "w0", "w1", ... (64 KiB stacks, every signal
 * blocked): every tenth waits for check requests polling in nanosleep(20 ms),
 * the others in FUTEX_WAIT on the request generation.
 * Self-check (SIGUSR2): the main thread bumps the generation and wakes them
 * all; every thread must answer within 10 s with gettid() equal to its TID
 * at start, and /proc/self/task must list exactly THREADS + 1 threads.
 * Reports threads=N.
 */
#include "workers.h"

struct worker {
	struct t_worker base; /* first */
	_Atomic pid_t tid_now;
};

static int nr;
static struct worker *workers;

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	atomic_store(&w->base.tid0, gettid());
	for (;;) {
		uint32_t g = w_next(&w->base, w->base.idx % 10 == 0);

		atomic_store(&w->tid_now, gettid());
		w_answered(&w->base, g);
	}
	return NULL;
}

/* Thread i answered with a gettid() other than the one it had at start. */
static bool tid_changed(int i, char *why, size_t size)
{
	struct worker *w = &workers[i];

	if (atomic_load(&w->tid_now) == atomic_load(&w->base.tid0))
		return false;
	snprintf(why, size, "gettid() %d, was %d", (int)w->tid_now, (int)w->base.tid0);
	return true;
}

static void ask_all(struct t_check *c)
{
	w_report(c, w_ask(), "w", tid_changed);
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	workers = w_alloc(argc, argv, 500, sizeof(*workers), &nr);
	w_start(workers, sizeof(*workers), nr, "w", worker_main);
	w_run(ask_all);
}
