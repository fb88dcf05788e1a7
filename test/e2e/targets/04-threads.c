/*
 * 04-threads.c - a process with two threads, dumped and restored whole.
 *
 * Usage: 04-threads WORKDIR
 *
 * The main thread runs the common loop of target.h; a second thread, with
 * SIGUSR1/SIGUSR2/SIGTERM blocked so that the main thread gets them, bumps a
 * counter every 2 ms. Self-check: the common checks, and the second thread
 * is still alive and still counting (reported as worker=N).
 */
#include "target.h"

#include <pthread.h>
#include <stdatomic.h>

static atomic_ulong worker_iters;

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec pause = { 0, T_LOOP_PAUSE_NS };

		atomic_fetch_add(&worker_iters, 1);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void threads_check(struct t_check *c)
{
	unsigned long before = atomic_load(&worker_iters);
	int64_t deadline = t_now_ns() + 2000000000LL;

	while (atomic_load(&worker_iters) == before && t_now_ns() < deadline) {
		struct timespec pause = { 0, 1000000 };

		nanosleep(&pause, NULL);
	}
	if (atomic_load(&worker_iters) == before)
		t_check_fail(c, "the second thread stopped counting (at %lu)", before);
	t_check_info(c, "worker=%lu", (unsigned long)atomic_load(&worker_iters));
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = threads_check };
	sigset_t all, old;
	pthread_t th;

	t_init(argc, argv);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&th, NULL, worker, NULL))
		t_fatal("pthread_create");
	pthread_setname_np(th, "t-worker");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	while (atomic_load(&worker_iters) == 0) {
		struct timespec pause = { 0, 1000000 };

		nanosleep(&pause, NULL);
	}
	t_run(&ops);
	return 0;
}
