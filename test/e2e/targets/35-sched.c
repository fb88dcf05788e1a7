/*
 * 35-sched.c - scheduling and resource state of a process of three
 * threads, each thread its own.
 *
 * Usage: 35-sched WORKDIR
 *
 * Before READY it sets:
 *  - main thread: nice 5, I/O priority best-effort level 6;
 *  - thread B: SCHED_BATCH with nice 7 and SCHED_RESET_ON_FORK, CPU
 *    affinity to the last CPU it may use, I/O class idle;
 *  - thread F: SCHED_FIFO priority 3 (it only sleeps), I/O class
 *    real-time level 2, the time-stamp counter disabled (PR_SET_TSC:
 *    it reads no clock), machine-check kill policy "early";
 *  - the process: oom_score_adj 345, THP disabled (PR_SET_THP_DISABLE),
 *    timer slack 123457 ns on the main thread, memory-deny-write-execute
 *    (PR_SET_MDWE), KSM for the whole process (PR_SET_MEMORY_MERGE).
 *
 * Self-check (SIGUSR2): each thread reads its own settings back
 * (sched_getattr, sched_getaffinity, ioprio_get, and F PR_GET_TSC and
 * PR_MCE_KILL_GET) and the main thread the process's
 * (/proc/self/oom_score_adj, PR_GET_THP_DISABLE, PR_GET_TIMERSLACK,
 * PR_GET_MDWE, PR_GET_MEMORY_MERGE): all as set.
 */
#include "target.h"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_GET_MDWE 66
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif
#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#define PR_GET_MEMORY_MERGE 68
#endif
#define IOPRIO(class, level) ((class) << 13 | (level))

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

struct want {
	uint32_t policy, prio;
	uint64_t flags;
	int32_t nice;
	int ioprio, cpu; /* cpu: -1 for any */
};

static const struct want w_main = { SCHED_OTHER, 0, 0, 5, IOPRIO(2, 6), -1 };
static struct want w_b = { SCHED_BATCH, 0, 1 /* reset on fork */, 7, IOPRIO(3, 0), 0 };
static const struct want w_f = { SCHED_FIFO, 3, 0, 0, IOPRIO(1, 2), -1 };
static cpu_set_t all_cpus;

/* Answers of the threads: generation asked, generation answered, text. */
static _Atomic uint32_t asked, answered_b, answered_f;
static char why_b[256], why_f[256];

static int set_self(const struct want *w)
{
	struct attr a = { .size = sizeof(a), .policy = SCHED_OTHER, .nice = w->nice };

	if (syscall(SYS_sched_setattr, 0, &a, 0))
		return -1;
	a.policy = w->policy;
	a.prio = w->prio;
	a.flags = w->flags;
	if ((w->policy != SCHED_OTHER || w->flags) && syscall(SYS_sched_setattr, 0, &a, 0))
		return -1;
	if (syscall(SYS_ioprio_set, 1, 0, w->ioprio))
		return -1;
	if (w == &w_f && (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) ||
			  prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0)))
		return -1;
	if (w->cpu >= 0) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(w->cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			return -1;
	}
	return 0;
}

static void check_self(const struct want *w, char *why, size_t len)
{
	struct attr a;
	cpu_set_t now;
	long io;

	why[0] = 0;
	memset(&a, 0, sizeof(a));
	if (syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0)) {
		snprintf(why, len, "sched_getattr: %s", strerror(errno));
		return;
	}
	if (a.policy != w->policy || a.prio != w->prio || (w->policy != SCHED_FIFO && a.nice != w->nice) ||
	    (a.flags & 1) != w->flags)
		snprintf(why, len, "policy %u prio %u nice %d flags %llu, want %u %u %d %llu",
			 a.policy, a.prio, a.nice, (unsigned long long)a.flags, w->policy, w->prio,
			 w->nice, (unsigned long long)w->flags);
	io = syscall(SYS_ioprio_get, 1, 0);
	if (io != w->ioprio)
		snprintf(why + strlen(why), len - strlen(why), " ioprio %#lx, want %#x", io,
			 w->ioprio);
	if (w == &w_f) {
		int tsc = 0;

		if (prctl(PR_GET_TSC, &tsc, 0, 0, 0) || tsc != PR_TSC_SIGSEGV)
			snprintf(why + strlen(why), len - strlen(why), " TSC mode %d", tsc);
		if (prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) != PR_MCE_KILL_EARLY)
			snprintf(why + strlen(why), len - strlen(why), " MCE kill policy %d",
				 prctl(PR_MCE_KILL_GET, 0, 0, 0, 0));
	}
	if (sched_getaffinity(0, sizeof(now), &now))
		snprintf(why + strlen(why), len - strlen(why), " sched_getaffinity failed");
	else if (w->cpu >= 0 ? CPU_COUNT(&now) != 1 || !CPU_ISSET(w->cpu, &now)
			     : !CPU_EQUAL(&now, &all_cpus))
		snprintf(why + strlen(why), len - strlen(why), " affinity of %d CPUs, want %s",
			 CPU_COUNT(&now), w->cpu >= 0 ? "one" : "all it had");
}

static _Atomic uint32_t ready;

/* Each thread answers every generation asked with its own check. */
static void *thread_main(void *arg)
{
	const struct want *w = arg;
	char *why = w == &w_b ? why_b : why_f;
	_Atomic uint32_t *answered = w == &w_b ? &answered_b : &answered_f;

	if (set_self(w))
		t_fatal("thread settings: %s", strerror(errno));
	atomic_fetch_add(&ready, 1);
	t_futex_wake(&ready);
	for (;;) {
		uint32_t g = atomic_load(&asked);

		if (g != atomic_load(answered)) {
			check_self(w, why, 256);
			atomic_store(answered, g);
			t_futex_wake(answered);
		}
		t_futex_wait(&asked, g, -1);
	}
	return NULL;
}

static void start(const struct want *w)
{
	uint32_t n = atomic_load(&ready);
	pthread_t th;

	if (pthread_create(&th, NULL, thread_main, (void *)w))
		t_fatal("pthread_create");
	while (atomic_load(&ready) == n)
		t_futex_wait(&ready, n, -1);
}

static void check(struct t_check *c)
{
	char why[256];
	uint32_t g = atomic_fetch_add(&asked, 1) + 1;
	int fd, thp;
	long slack;

	t_futex_wake(&asked);
	while (atomic_load(&answered_b) != g || atomic_load(&answered_f) != g) {
		t_futex_wait(&answered_b, atomic_load(&answered_b), 100 * 1000000);
		t_futex_wait(&answered_f, atomic_load(&answered_f), 100 * 1000000);
	}
	check_self(&w_main, why, sizeof(why));
	if (prctl(PR_GET_MDWE, 0, 0, 0, 0) != PR_MDWE_REFUSE_EXEC_GAIN)
		t_check_fail(c, "MDWE %d", prctl(PR_GET_MDWE, 0, 0, 0, 0));
	if (prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) != 1)
		t_check_fail(c, "KSM %d", prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0));
	if (why[0])
		t_check_fail(c, "main:%s", why);
	if (why_b[0])
		t_check_fail(c, "B:%s", why_b);
	if (why_f[0])
		t_check_fail(c, "F:%s", why_f);
	fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[16] = "";

		if (read(fd, buf, sizeof(buf) - 1) <= 0 || atoi(buf) != 345)
			t_check_fail(c, "oom_score_adj %s", buf);
		close(fd);
	}
	thp = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	if (thp != 1)
		t_check_fail(c, "THP disable %d, want 1", thp);
	slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (slack != 123457)
		t_check_fail(c, "timer slack %ld", slack);
	t_check_info(c, "cpu_b=%d", w_b.cpu);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = check };
	int fd;

	t_init(argc, argv);
	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus))
		t_fatal("sched_getaffinity");
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &all_cpus))
			w_b.cpu = cpu;
	start(&w_b);
	start(&w_f);
	if (set_self(&w_main))
		t_fatal("main settings: %s", strerror(errno));
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "345", 3) != 3)
		t_fatal("oom_score_adj: %s", strerror(errno));
	close(fd);
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) || prctl(PR_SET_TIMERSLACK, 123457, 0, 0, 0) ||
	    prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) ||
	    prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0))
		t_fatal("prctl: %s", strerror(errno));
	t_run(&ops);
}
