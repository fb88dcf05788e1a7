/* SPDX-License-Identifier: GPL-2.0 */
/*
 * workers.h - many threads that answer the main thread's check requests
 * (57-many-threads, 190-thread-state).
 *
 * The main thread bumps a request generation and wakes every thread; each
 * thread does its part and stores the generation in its ack. A thread
 * waits in FUTEX_WAIT on the generation, or, if it polls, in nanosleep(20 ms).
 */
#ifndef E2E_WORKERS_H
#define E2E_WORKERS_H

#include "target.h"

#include <pthread.h>
#include <stdbool.h>

/* The part of a worker the requests need: first in a target's own struct. */
struct t_worker {
	pthread_t th;
	int idx;
	_Atomic pid_t tid0; /* gettid() at start */
	_Atomic uint32_t ack; /* the last generation answered */
};

static _Atomic uint32_t w_gen, w_acks;
static void *w_array; /* nr elements of w_size bytes, each a t_worker first */
static size_t w_size;
static int w_nr;

T_FN struct t_worker *w_at(int i)
{
	return (struct t_worker *)((char *)w_array + (size_t)i * w_size);
}

/* In worker @w: wait until a request comes, polling if @poll; its generation. */
T_FN uint32_t w_next(struct t_worker *w, bool poll)
{
	for (;;) {
		uint32_t g = atomic_load(&w_gen);

		if (g != atomic_load(&w->ack))
			return g;
		if (poll) {
			struct timespec pause = { 0, 20 * 1000 * 1000 };

			nanosleep(&pause, NULL);
		} else {
			t_futex_wait(&w_gen, g, -1);
		}
	}
}

/* In worker @w: request @g answered. */
T_FN void w_answered(struct t_worker *w, uint32_t g)
{
	atomic_store(&w->ack, g);
	atomic_fetch_add(&w_acks, 1);
	t_futex_wake(&w_acks);
}

/* Room for the threads, zeroed, @size bytes each: argv[2] of them, or
 * @dflt (at least one); their number in *@nr. */
T_FN void *w_alloc(int argc, char **argv, int dflt, size_t size, int *nr)
{
	void *array;

	*nr = argc > 2 ? atoi(argv[2]) : dflt;
	if (*nr < 1)
		*nr = 1;
	array = calloc((size_t)*nr, size);
	if (!array)
		t_fatal("calloc");
	return array;
}

/* Start a thread for each of the @nr elements of @array (@size bytes each, a
 * t_worker first), running @fn with the element, named "<prefix><i>", with
 * 64 KiB stacks and every signal blocked. */
T_FN void w_start(void *array, size_t size, int nr, const char *prefix, void *(*fn)(void *))
{
	pthread_attr_t attr;
	sigset_t all, old;

	w_array = array;
	w_size = size;
	w_nr = nr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < nr; i++) {
		struct t_worker *w = w_at(i);
		char name[16];

		w->idx = i;
		if (pthread_create(&w->th, &attr, fn, w))
			t_fatal("pthread_create %d", i);
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		pthread_setname_np(w->th, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Threads that have not answered request @g. */
T_FN int w_missing(uint32_t g)
{
	int n = 0;

	for (int i = 0; i < w_nr; i++)
		if (atomic_load(&w_at(i)->ack) != g)
			n++;
	return n;
}

/* A new request to every thread, waited for up to 10 s; its generation. */
T_FN uint32_t w_ask(void)
{
	uint32_t g = atomic_fetch_add(&w_gen, 1) + 1;
	int64_t end = t_now_ns() + 10000000000LL;

	t_futex_wake(&w_gen);
	for (;;) {
		uint32_t a = atomic_load(&w_acks);
		int64_t left = end - t_now_ns();

		if (!w_missing(g) || left <= 0)
			return g;
		t_futex_wait(&w_acks, a, left);
	}
}

/* Into @c: the threads (the first three, then how many more) that did
 * not answer request @g or whose answer @wrong(i, why, size) finds wrong
 * (true, what in why), named "<prefix><i>"; whether /proc/self/task lists
 * them all and the main thread; threads=N. */
T_FN void w_report(struct t_check *c, uint32_t g, const char *prefix,
		   bool (*wrong)(int i, char *why, size_t size))
{
	int bad = 0, tasks;
	char why[200];

	for (int i = 0; i < w_nr; i++) {
		struct t_worker *w = w_at(i);

		if (atomic_load(&w->ack) != g) {
			if (bad++ < 3)
				t_check_fail(c, "thread %s%d (tid %d) did not answer", prefix, i,
					     (int)w->tid0);
		} else if (wrong(i, why, sizeof(why))) {
			if (bad++ < 3)
				t_check_fail(c, "thread %s%d: %s", prefix, i, why);
		}
	}
	if (bad > 3)
		t_check_fail(c, "and %d more threads", bad - 3);
	tasks = t_count_tasks();
	if (tasks != w_nr + 1)
		t_check_fail(c, "%d threads in /proc/self/task, want %d", tasks, w_nr + 1);
	t_check_info(c, "threads=%d", tasks);
}

/* The threads started: a first check (@check, which asks them all; a
 * failure ends the program), then the target's loop with @check. */
T_FN __attribute__((noreturn)) void w_run(void (*check)(struct t_check *))
{
	static struct t_ops ops;
	struct t_check c;

	ops.check = check;
	memset(&c, 0, sizeof(c));
	check(&c);
	if (c.failed) {
		errno = 0;
		t_fatal("set-up: %s", c.fail);
	}
	t_run(&ops);
	exit(0);
}

#endif /* E2E_WORKERS_H */
