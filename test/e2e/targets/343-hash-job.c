/*
 * 343-hash-job.c - a batch job whose output depends on its memory: every
 * INTERVAL_MS it stirs a 1 MiB buffer on the heap with the step number and
 * prints "STEP HASH" (FNV-1a of the whole buffer, carried from step to
 * step), then "DONE HASH" after STEPS steps and exits 0. A job restored
 * from a checkpoint prints the same lines as one that never stopped only
 * if its buffer, its hash and its step came back exactly.
 *
 * Usage: 343-hash-job STEPS INTERVAL_MS
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BUF_WORDS (1 << 17) /* 1 MiB of 64-bit words */

int main(int argc, char **argv)
{
	uint64_t *buf, hash = 1469598103934665603ULL;
	struct timespec ts;
	long steps, ms, i;
	size_t w;

	if (argc != 3)
		return 2;
	steps = strtol(argv[1], NULL, 10);
	ms = strtol(argv[2], NULL, 10);
	buf = calloc(BUF_WORDS, sizeof(*buf));
	if (!buf || steps <= 0 || ms < 0 || ms > 10000)
		return 2;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	for (i = 1; i <= steps; i++) {
		for (w = (size_t)i % 97; w < BUF_WORDS; w += 97)
			buf[w] = buf[w] * 6364136223846793005ULL + (uint64_t)i + hash;
		for (w = 0; w < BUF_WORDS; w += 8) {
			hash ^= buf[w];
			hash *= 1099511628211ULL;
		}
		printf("%ld %016llx\n", i, (unsigned long long)hash);
		fflush(stdout);
		while (nanosleep(&ts, &ts))
			;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
	}
	printf("DONE %016llx\n", (unsigned long long)hash);
	return 0;
}
