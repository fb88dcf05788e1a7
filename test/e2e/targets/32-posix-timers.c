/*
 * 32-posix-timers.c - POSIX timers (timer_create) on several clocks and
 * notifications, in a process of two threads.
 *
 * Usage: 32-posix-timers WORKDIR
 *
 * Before READY it creates, and records the kernel's id of each:
 *  - P: CLOCK_MONOTONIC, SIGEV_SIGNAL SIGRTMIN+1 with si_value 1001, every
 *    20 ms;
 *  - T: CLOCK_BOOTTIME, SIGEV_THREAD_ID to the second thread, SIGRTMIN+2
 *    with si_value 2002, every 30 ms;
 *  - A: CLOCK_REALTIME, TIMER_ABSTIME at start + 1 hour, SIGRTMIN+3 with
 *    si_value 3003, one-shot;
 *  - N: CLOCK_MONOTONIC, SIGEV_NONE, 1 hour then every 7 s;
 *  - C: CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE, 1000 s of CPU time;
 *  - D: CLOCK_MONOTONIC, SIGEV_SIGNAL SIGRTMIN+4, disarmed.
 * The handlers count P's and T's signals and count as bad any whose
 * si_code is not SI_TIMER, whose si_timerid or si_value is not its
 * timer's, or (T) that arrives in another thread.
 *
 * Self-check (SIGUSR2):
 *  - /proc/self/timers reads exactly as it did at start (ids, signals,
 *    values, notify targets, clocks);
 *  - timer_gettime works for every id: P and T have their intervals; A's
 *    time left is its moment less CLOCK_REALTIME read around the call
 *    (within 250 ms: what ckpt measures at the dump, far less than the
 *    second the test lets pass between dump and restore); N's is at most what it was at the previous check and no less
 *    than that less the CLOCK_MONOTONIC time since, its interval 7 s; C
 *    has at most 1000 s left and at least 990 s; D is disarmed;
 *  - no bad signal arrived.
 * Reported: p=N t=N (signals so far).
 */
#include "target.h"

#include <pthread.h>
#include <sys/syscall.h>

#define MS 1000000LL
#define SEC 1000000000LL
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

enum { P, T, A, N, C, D, NR };
static timer_t ids[NR];
static char timers_at_start[4096];
static volatile sig_atomic_t p_count, t_count, bad;
static volatile pid_t thread_tid;
static int64_t a_moment, n_left_prev, n_mono_prev;

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static struct timespec ts_of(int64_t ns)
{
	struct timespec ts = { ns / SEC, ns % SEC };

	return ts;
}

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * SEC + ts->tv_nsec;
}

static int id_of(timer_t t)
{
	return (int)(intptr_t)t;
}

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si->si_code != SI_TIMER) {
		bad++;
		return;
	}
	if (sig == SIGRTMIN + 1) {
		if (si->si_timerid != id_of(ids[P]) || si->si_value.sival_int != 1001)
			bad++;
		else
			p_count++;
	} else if (sig == SIGRTMIN + 2) {
		if (si->si_timerid != id_of(ids[T]) || si->si_value.sival_int != 2002 ||
		    gettid() != thread_tid)
			bad++;
		else
			t_count++;
	} else {
		bad++;
	}
}

static void *thread_main(void *arg)
{
	sigset_t set;

	(void)arg;
	thread_tid = gettid();
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 2);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (;;)
		pause();
	return NULL;
}

static void read_timers(char *buf, size_t size)
{
	int fd = open("/proc/self/timers", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
}

static void make(int which, clockid_t clk, int notify, int sig, int val, int flags, int64_t value,
		 int64_t interval)
{
	struct sigevent sev;
	struct itimerspec its = { ts_of(interval), ts_of(value) };

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = notify;
	sev.sigev_signo = sig;
	sev.sigev_value.sival_int = val;
	if (notify & SIGEV_THREAD_ID)
		sev.sigev_notify_thread_id = thread_tid;
	if (timer_create(clk, &sev, &ids[which]))
		t_fatal("timer_create %d: %s", which, strerror(errno));
	if (value && timer_settime(ids[which], flags, &its, NULL))
		t_fatal("timer_settime %d: %s", which, strerror(errno));
}

static void setup(void)
{
	struct sigaction sa;
	pthread_t th;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_timer;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	for (int s = 1; s <= 4; s++)
		if (sigaction(SIGRTMIN + s, &sa, NULL))
			t_fatal("sigaction");
	/* T's signal goes to the thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&th, NULL, thread_main, NULL))
		t_fatal("pthread_create");
	while (!thread_tid)
		sched_yield();
	a_moment = clock_ns(CLOCK_REALTIME) + 3600 * SEC;
	make(P, CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN + 1, 1001, 0, 20 * MS, 20 * MS);
	make(T, CLOCK_BOOTTIME, SIGEV_SIGNAL | SIGEV_THREAD_ID, SIGRTMIN + 2, 2002, 0, 30 * MS,
	     30 * MS);
	make(A, CLOCK_REALTIME, SIGEV_SIGNAL, SIGRTMIN + 3, 3003, TIMER_ABSTIME, a_moment, 0);
	n_mono_prev = clock_ns(CLOCK_MONOTONIC);
	make(N, CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0, 3600 * SEC, 7 * SEC);
	make(C, CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE, 0, 0, 0, 1000 * SEC, 0);
	make(D, CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN + 4, 4004, 0, 0, 0);
	n_left_prev = 3600 * SEC;
	read_timers(timers_at_start, sizeof(timers_at_start));
}

static int get(struct t_check *c, int which, const char *name, struct itimerspec *its)
{
	if (timer_gettime(ids[which], its) == 0)
		return 0;
	t_check_fail(c, "timer %s (id %d): timer_gettime: %s", name, id_of(ids[which]),
		     strerror(errno));
	return -1;
}

static void check(struct t_check *c)
{
	char now[4096];
	struct itimerspec its;
	int64_t before, after, left, mono;

	read_timers(now, sizeof(now));
	if (strcmp(now, timers_at_start))
		t_check_fail(c, "/proc/self/timers changed: now '%.300s', was '%.300s'", now,
			     timers_at_start);
	if (!get(c, P, "P", &its) && ns_of(&its.it_interval) != 20 * MS)
		t_check_fail(c, "P: interval %lld", (long long)ns_of(&its.it_interval));
	if (!get(c, T, "T", &its) && ns_of(&its.it_interval) != 30 * MS)
		t_check_fail(c, "T: interval %lld", (long long)ns_of(&its.it_interval));
	before = clock_ns(CLOCK_REALTIME);
	if (!get(c, A, "A", &its)) {
		after = clock_ns(CLOCK_REALTIME);
		left = ns_of(&its.it_value);
		if (left > a_moment - before + 250 * MS || left < a_moment - after - 250 * MS)
			t_check_fail(c, "A: %lld ns left, want %lld to %lld (its moment)",
				     (long long)left, (long long)(a_moment - after),
				     (long long)(a_moment - before));
	}
	mono = clock_ns(CLOCK_MONOTONIC);
	if (!get(c, N, "N", &its)) {
		left = ns_of(&its.it_value);
		if (left > n_left_prev || left < n_left_prev - (clock_ns(CLOCK_MONOTONIC) - n_mono_prev))
			t_check_fail(c, "N: %lld ns left, was %lld %lld ns before", (long long)left,
				     (long long)n_left_prev, (long long)(mono - n_mono_prev));
		if (ns_of(&its.it_interval) != 7 * SEC)
			t_check_fail(c, "N: interval %lld", (long long)ns_of(&its.it_interval));
		n_left_prev = left;
		n_mono_prev = mono;
	}
	if (!get(c, C, "C", &its) &&
	    (ns_of(&its.it_value) > 1000 * SEC || ns_of(&its.it_value) < 990 * SEC))
		t_check_fail(c, "C: %lld ns of CPU time left", (long long)ns_of(&its.it_value));
	if (!get(c, D, "D", &its) && (its.it_value.tv_sec || its.it_value.tv_nsec))
		t_check_fail(c, "D is armed");
	if (bad)
		t_check_fail(c, "%d timer signals with the wrong timer, value or thread", (int)bad);
	t_check_info(c, "p=%d t=%d", (int)p_count, (int)t_count);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = check };

	t_init(argc, argv);
	setup();
	t_run(&ops);
}
