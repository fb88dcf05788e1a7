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
#include "target.h"

#include <pthread.h>

struct worker {
	pthread_t th;
	int idx;
	_Atomic pid_t tid0, tid_now;
	_Atomic uint32_t ack;
};

static int nr;
static struct worker *workers;
static _Atomic uint32_t gen, acks;

static void answer(struct worker *w, uint32_t g)
{
	atomic_store(&w->tid_now, gettid());
	atomic_store(&w->ack, g);
	atomic_fetch_add(&acks, 1);
	t_futex_wake(&acks);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	atomic_store(&w->tid0, gettid());
	for (;;) {
		uint32_t g = atomic_load(&gen);

		if (g != atomic_load(&w->ack)) {
			answer(w, g);
		} else if (w->idx % 10 == 0) {
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
				t_check_fail(c, "thread w%d (tid %d) did not answer", i,
					     (int)w->tid0);
		} else if (atomic_load(&w->tid_now) != atomic_load(&w->tid0)) {
			if (bad++ < 3)
				t_check_fail(c, "thread w%d: gettid() %d, was %d", i,
					     (int)w->tid_now, (int)w->tid0);
		}
	}
	if (bad > 3)
		t_check_fail(c, "and %d more threads", bad - 3);
	tasks = t_count_tasks();
	if (tasks != nr + 1)
		t_check_fail(c, "%d threads in /proc/self/task, want %d", tasks, nr + 1);
	t_check_info(c, "threads=%d", tasks);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = ask_all };
	pthread_attr_t attr;
	sigset_t all, old;
	struct t_check c;

	t_init(argc, argv);
	nr = argc > 2 ? atoi(argv[2]) : 500;
	if (nr < 1)
		nr = 1;
	workers = calloc((size_t)nr, sizeof(*workers));
	if (!workers)
		t_fatal("calloc");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < nr; i++) {
		char name[16];

		workers[i].idx = i;
		if (pthread_create(&workers[i].th, &attr, worker_main, &workers[i]))
			t_fatal("pthread_create %d", i);
		snprintf(name, sizeof(name), "w%d", i);
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
