/*
 * 153-membarrier.c - a process registered for membarrier(2)'s private
 * expedited barriers (as liburcu, the JVM and .NET register), with a
 * second thread, one that registered nothing, and one registered only
 * for the plain private expedited barrier.
 *
 * Usage: 153-membarrier WORKDIR [none|plain]
 *
 * Default: registers MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED and
 * _SYNC_CORE, where the kernel has them. "plain": only the first. "none":
 * nothing. A thread waits in a futex meanwhile.
 *
 * Self-check (SIGUSR2): each barrier it registered for succeeds, each it
 * did not fails with EPERM. Reported: private=0|1 sync_core=0|1|-
 * ("-": the kernel has no such barrier).
 */
#include "target.h"

#include <linux/membarrier.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/syscall.h>

static bool want_private, want_sync_core, has_sync_core;
static _Atomic uint32_t park;

static long membarrier(int cmd)
{
	return syscall(SYS_membarrier, cmd, 0, 0);
}

static void *thread_main(void *arg)
{
	(void)arg;
	for (;;)
		t_futex_wait(&park, 0, -1);
	return NULL;
}

/* 1 if the barrier worked, 0 if EPERM (not registered), -1 otherwise. */
static int try_barrier(int cmd)
{
	if (membarrier(cmd) == 0)
		return 1;
	return errno == EPERM ? 0 : -1;
}

static void mb_check(struct t_check *c)
{
	int p = try_barrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);

	if (p != (int)want_private)
		t_check_fail(c, "private expedited barrier: %d, want %d (%s)", p, want_private,
			     strerror(errno));
	t_check_info(c, "private=%d", p);
	if (has_sync_core) {
		int s = try_barrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE);

		if (s != (int)want_sync_core)
			t_check_fail(c, "sync-core barrier: %d, want %d", s, want_sync_core);
		t_check_info(c, "sync_core=%d", s);
	} else {
		t_check_info(c, "sync_core=-");
	}
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = mb_check };
	const char *mode = argc > 2 ? argv[2] : "all";
	long query;
	pthread_t th;

	t_init(argc, argv);
	query = membarrier(MEMBARRIER_CMD_QUERY);
	if (query < 0 || !(query & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		t_fatal("no private expedited membarrier");
	has_sync_core = query & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE;
	want_private = strcmp(mode, "none") != 0;
	want_sync_core = has_sync_core && !strcmp(mode, "all");
	if (pthread_create(&th, NULL, thread_main, NULL))
		t_fatal("pthread_create");
	if (want_private && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
		t_fatal("register private expedited");
	if (want_sync_core && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE))
		t_fatal("register sync core");
	t_run(&ops);
	return 0;
}
