/*
 * 03-nanosleep.c - one long nanosleep must not return early across a
 * dump and restore.
 *
 * Usage: 03-nanosleep WORKDIR [SECONDS=3]
 *
 * Writes "READY pid=N", then makes ONE nanosleep() call of SECONDS (no retry
 * loop) and, when it returns, writes one line and exits 0:
 *   DONE OK elapsed_ms=E
 *   DONE FAIL ret=R errno=E elapsed_ms=E remaining_ms=M
 * It fails if nanosleep returned -1 (EINTR: the restore turned the interrupted
 * sleep into an error) or if less than SECONDS elapsed on CLOCK_MONOTONIC.
 * CLOCK_MONOTONIC keeps running while the process is dumped, so elapsed is
 * normally larger than requested; that is fine.
 */
#include "target.h"

int main(int argc, char **argv)
{
	long secs = argc > 2 ? strtol(argv[2], NULL, 10) : 3;
	struct timespec req = { secs, 0 }, rem = { 0, 0 };
	int64_t start, elapsed;
	int ret, err;

	t_init(argc, argv);
	t_log("READY pid=%d", (int)t_pid);
	start = t_now_ns();
	ret = nanosleep(&req, &rem);
	err = errno;
	elapsed = t_now_ns() - start;
	if (ret == 0 && elapsed >= (int64_t)secs * 1000000000)
		t_log("DONE OK elapsed_ms=%lld", (long long)(elapsed / 1000000));
	else
		t_log("DONE FAIL ret=%d errno=%d elapsed_ms=%lld remaining_ms=%lld", ret,
		      ret ? err : 0, (long long)(elapsed / 1000000),
		      (long long)rem.tv_sec * 1000 + rem.tv_nsec / 1000000);
	return 0;
}
