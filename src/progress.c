// SPDX-License-Identifier: GPL-2.0
/* The progress line on a terminal (progress.h). */
#include "progress.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SHOW_AFTER_NS 1000000000ULL /* a command shorter than this shows nothing */
#define UPDATE_NS 250000000ULL /* at most four updates a second */

static struct {
	bool on; /* stderr is a terminal and the command moves memory */
	const char *what;
	uint64_t start, next; /* CLOCK_MONOTONIC: the start, the next update */
	uint64_t first; /* when the first bytes went by (atomic) */
	uint64_t first_bytes; /* how many: the rate counts from there */
	uint64_t last; /* when the last bytes went by (atomic) */
	uint64_t bytes; /* atomic */
	bool shown; /* the line is on the terminal now */
	pthread_mutex_t lock; /* the drawing (the page writer thread, the logger) */
} pg = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void progress_start(const char *what)
{
	uint64_t after = SHOW_AFTER_NS;

#ifdef CKPT_FAULT_INJECTION
	/* A test build only (test 351): the line of a quick dump. */
	const char *v = getenv("CKPT_PROGRESS_AFTER_MS");

	if (v)
		after = strtoull(v, NULL, 10) * 1000000ULL;
#endif
	pg.on = isatty(STDERR_FILENO);
	pg.what = what;
	pg.start = mono_ns();
	pg.next = pg.start + after;
}

/* "1.2 GiB", "850 MiB", "12 KiB", "0 B" */
static void human(char *buf, size_t len, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u && v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/* Best effort: a terminal that went away loses the line, nothing else. */
static bool put(const char *s, size_t n)
{
	return write(STDERR_FILENO, s, n) == (ssize_t)n;
}

/* With pg.lock held. */
static void draw(uint64_t now)
{
	uint64_t bytes = __atomic_load_n(&pg.bytes, __ATOMIC_RELAXED);
	char line[96], size[32], rate[32];
	int n;

	uint64_t first = __atomic_load_n(&pg.first, __ATOMIC_ACQUIRE);

	human(size, sizeof(size), (double)bytes);
	if (first && now > first && bytes > pg.first_bytes) {
		human(rate, sizeof(rate),
		      (double)(bytes - pg.first_bytes) * 1e9 / (double)(now - first));
		n = snprintf(line, sizeof(line), "\rckpt: %s: %s, %s/s\033[K", pg.what, size, rate);
	} else {
		n = snprintf(line, sizeof(line), "\rckpt: %s: %s\033[K", pg.what, size);
	}
	if (n > 0 && put(line, (size_t)n))
		pg.shown = true;
}

void progress_add(uint64_t bytes)
{
	uint64_t now;

	if (!pg.on)
		return;
	now = mono_ns();
	__atomic_add_fetch(&pg.bytes, bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&pg.last, now, __ATOMIC_RELAXED);
	/* The rate counts from the end of the first batch: the freeze
	 * before it is not the memory's. */
	if (!__atomic_load_n(&pg.first, __ATOMIC_ACQUIRE)) {
		pg.first_bytes = bytes;
		__atomic_store_n(&pg.first, now, __ATOMIC_RELEASE);
	}
	if (now < __atomic_load_n(&pg.next, __ATOMIC_RELAXED) || pthread_mutex_trylock(&pg.lock))
		return;
	if (pg.on && now >= pg.next) {
		pg.next = now + UPDATE_NS;
		draw(now);
	}
	pthread_mutex_unlock(&pg.lock);
}

void progress_clear(void)
{
	static const char erase[] = "\r\033[K";

	if (!pg.on || !pg.shown || pthread_mutex_trylock(&pg.lock))
		return;
	if (pg.shown && put(erase, strlen(erase)))
		pg.shown = false;
	/* Drawn again at the next update. */
	pthread_mutex_unlock(&pg.lock);
}

void progress_end(void)
{
	if (!pg.on)
		return;
	pthread_mutex_lock(&pg.lock);
	/* The last figures, unless a message took the line's place (a
	 * failure's is then the last line); the rate of the memory alone. */
	if (pg.shown) {
		draw(__atomic_load_n(&pg.last, __ATOMIC_RELAXED));
		(void)put("\n", 1);
	}
	pg.on = false;
	pthread_mutex_unlock(&pg.lock);
}
