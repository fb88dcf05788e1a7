/*
 * 50-pthreads.c - a process with many threads blocked in different places.
 *
 * Usage: 50-pthreads WORKDIR [fds]
 *
 * Threads (names as in /proc/PID/task/TID/comm), all started with every
 * signal blocked, so that the main thread gets the harness's signals:
 *  - t-count0..2: take the mutex, bump the shared counter `total` and their
 *    own __thread counter, broadcast the condvar, then pause: t-count0 in
 *    nanosleep, t-count1 in poll() with a timeout and no fds, t-count2 in
 *    clock_nanosleep(TIMER_ABSTIME) (three different restart paths);
 *  - t-spin: never enters the kernel: an LCG chain and a double kept in
 *    registers, checked every 65536 steps against a closed form;
 *  - t-condwait: waits on the condvar (futex) for total to grow by 25;
 *  - t-join: pthread_join() of t-waitee (futex on its clear_child_tid),
 *    then starts a new t-waitee, and so on;
 *  - t-waitee: waits until the self-check releases it: sigwaitinfo() for a
 *    real-time signal sent with tgkill(), or with "fds" read() of a pipe
 *    written by the main thread; then returns a magic value to t-join;
 *  - with "fds" only, t-poll: poll() with a 3 ms timeout on the read end of
 *    a second pipe, which the self-check pings.
 *
 * Self-check (SIGUSR2), besides the common ones: every thread still makes
 * progress and answers (each re-reads gettid(), which must be the TID it had
 * at start, and checks that its __thread variable is where it was); the
 * waitee is released and joined, with its return value; the shared counter
 * equals the sum of the three TLS counters (under the mutex); every TID is
 * listed in /proc/self/task. Reports total=, joins=, spin=, threads=.
 */
#include "target.h"

#include <poll.h>
#include <pthread.h>

enum { T_COUNT0, T_COUNT1, T_COUNT2, T_SPIN, T_CONDWAIT, T_JOIN, T_POLL, T_MAX };

static const char *const thread_names[T_MAX] = {
	"t-count0", "t-count1", "t-count2", "t-spin", "t-condwait", "t-join", "t-poll",
};

struct thr {
	pthread_t th;
	pid_t tid0; /* gettid() at start */
	_Atomic pid_t tid_now; /* gettid() when it answered the last check */
	void *tls0; /* &tls_count at start */
	_Atomic unsigned gen_seen; /* last check generation answered */
	_Atomic unsigned long progress;
	_Atomic int failed;
	char fail[160];
};

#define WAITEE_MAGIC ((void *)0x5eed0f0a11ull)
#define SPIN_SEED 0x1234567887654321ull
#define LCG_MUL 6364136223846793005ull
#define LCG_ADD 1442695040888963407ull

static int nr_threads; /* T_MAX with "fds", else T_POLL */
static int fd_mode;
static struct thr thr[T_MAX];
static _Atomic unsigned check_gen;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static unsigned long total; /* under lock */
static unsigned long *tls_of[3]; /* each counter thread's tls_count */
static __thread unsigned long tls_count;

static _Atomic pid_t waitee_tid; /* 0 while there is no waitee yet */
static _Atomic unsigned long joins;
static int waitee_pipe[2] = { -1, -1 }, ping_pipe[2] = { -1, -1 };
static _Atomic unsigned long pings;
#define SIG_WAITEE (SIGRTMIN + 2)

static void thr_fail(struct thr *t, const char *what)
{
	if (!atomic_exchange(&t->failed, 1))
		snprintf(t->fail, sizeof(t->fail), "%s", what);
}

static void thr_start(struct thr *t)
{
	t->tid0 = gettid();
	t->tid_now = t->tid0;
	t->tls0 = &tls_count;
}

/* Answer a pending check request: where we are, with our own eyes. */
static void thr_notice(struct thr *t)
{
	unsigned gen = atomic_load(&check_gen);

	if (gen == atomic_load(&t->gen_seen))
		return;
	atomic_store(&t->tid_now, gettid());
	if ((void *)&tls_count != t->tls0)
		thr_fail(t, "__thread variable moved");
	atomic_store(&t->gen_seen, gen);
}

static void pause_ns(long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
}

static void *counter_main(void *arg)
{
	struct thr *t = arg;
	int k = (int)(t - thr);
	struct timespec next;

	thr_start(t);
	tls_of[k] = &tls_count;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		pthread_mutex_lock(&lock);
		total++;
		tls_count++;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
		atomic_fetch_add(&t->progress, 1);
		thr_notice(t);
		switch (k) {
		case T_COUNT0:
			pause_ns(1000000);
			break;
		case T_COUNT1:
			poll(NULL, 0, 1);
			break;
		default:
			next.tv_nsec += 1000000;
			if (next.tv_nsec >= 1000000000) {
				next.tv_nsec -= 1000000000;
				next.tv_sec++;
			}
			/* after a long stop, catch up rather than burst */
			if (t_now_ns() >
			    (int64_t)next.tv_sec * 1000000000 + next.tv_nsec + 100000000)
				clock_gettime(CLOCK_MONOTONIC, &next);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) ==
			       EINTR)
				;
			break;
		}
	}
	return NULL;
}

/* The LCG x -> LCG_MUL * x + LCG_ADD applied n times, in O(log n). */
static uint64_t lcg_jump(uint64_t x, uint64_t n)
{
	uint64_t mul = LCG_MUL, add = LCG_ADD, acc_mul = 1, acc_add = 0;

	while (n) {
		if (n & 1) {
			acc_mul *= mul;
			acc_add = acc_add * mul + add;
		}
		add = (mul + 1) * add;
		mul *= mul;
		n >>= 1;
	}
	return acc_mul * x + acc_add;
}

static void *spin_main(void *arg)
{
	struct thr *t = arg;
	uint64_t x = SPIN_SEED, n = 0;
	double d = 0;

	thr_start(t);
	for (;;) {
		x = x * LCG_MUL + LCG_ADD;
		d += 0.5;
		n++;
		if ((n & 0xffff) == 0) {
			if (x != lcg_jump(SPIN_SEED, n))
				thr_fail(t, "LCG chain broken (integer registers)");
			if (d != (double)n * 0.5)
				thr_fail(t, "double accumulator broken (xmm registers)");
			atomic_store(&t->progress, n);
			thr_notice(t);
		}
	}
	return NULL;
}

static void *condwait_main(void *arg)
{
	struct thr *t = arg;

	thr_start(t);
	pthread_mutex_lock(&lock);
	for (;;) {
		unsigned long want = total + 25;

		while (total < want)
			pthread_cond_wait(&cond, &lock);
		pthread_mutex_unlock(&lock);
		atomic_fetch_add(&t->progress, 1);
		thr_notice(t);
		pthread_mutex_lock(&lock);
	}
	return NULL;
}

static void *waitee_main(void *arg)
{
	atomic_store(&waitee_tid, gettid());
	if (fd_mode) {
		char b = 0;
		ssize_t n;

		do
			n = read(waitee_pipe[0], &b, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1 || b != 'q')
			return NULL;
	} else {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIG_WAITEE);
		do
			sig = sigwaitinfo(&set, NULL);
		while (sig < 0 && errno == EINTR);
		if (sig != SIG_WAITEE)
			return NULL;
	}
	return WAITEE_MAGIC;
}

static void *join_main(void *arg)
{
	struct thr *t = arg;

	thr_start(t);
	for (;;) {
		pthread_t w;
		void *ret = NULL;
		int err;

		/* the waitee inherits our mask: SIG_WAITEE blocked from its birth */
		err = pthread_create(&w, NULL, waitee_main, NULL);
		if (err) {
			thr_fail(t, "cannot create a waitee");
			for (;;)
				pause();
		}
		pthread_setname_np(w, "t-waitee");
		err = pthread_join(w, &ret);
		if (err || ret != WAITEE_MAGIC)
			thr_fail(t, err ? "pthread_join failed" : "waitee returned a wrong value");
		atomic_store(&waitee_tid, 0);
		atomic_fetch_add(&t->progress, 1);
		atomic_fetch_add(&joins, 1);
		thr_notice(t);
	}
	return NULL;
}

static void *poll_main(void *arg)
{
	struct thr *t = arg;
	struct pollfd pfd = { .fd = ping_pipe[0], .events = POLLIN };

	thr_start(t);
	for (;;) {
		int n = poll(&pfd, 1, 3);
		char b;

		if (n == 1 && read(ping_pipe[0], &b, 1) == 1)
			atomic_fetch_add(&pings, 1);
		atomic_fetch_add(&t->progress, 1);
		thr_notice(t);
	}
	return NULL;
}

/* ---- self-check ----------------------------------------------------------- */

static int task_exists(pid_t tid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	return stat(path, &st) == 0;
}

static int all_answered(unsigned gen, const unsigned long *prog0, unsigned long joins0,
			unsigned long pings0)
{
	for (int i = 0; i < nr_threads; i++)
		if (atomic_load(&thr[i].gen_seen) != gen ||
		    atomic_load(&thr[i].progress) <= prog0[i])
			return 0;
	if (atomic_load(&joins) <= joins0 || atomic_load(&waitee_tid) == 0)
		return 0;
	return !fd_mode || atomic_load(&pings) > pings0;
}

static void pthreads_check(struct t_check *c)
{
	unsigned long prog0[T_MAX], joins0 = atomic_load(&joins), pings0 = atomic_load(&pings);
	unsigned long sum;
	int64_t deadline = t_now_ns() + 5000000000LL;
	pid_t old_waitee;
	unsigned gen;
	int tasks;

	for (int i = 0; i < nr_threads; i++)
		prog0[i] = atomic_load(&thr[i].progress);
	gen = atomic_fetch_add(&check_gen, 1) + 1;

	/* release the current waitee: t-join must wake up and start another */
	while ((old_waitee = atomic_load(&waitee_tid)) == 0 && t_now_ns() < deadline)
		pause_ns(1000000);
	if (!old_waitee) {
		t_check_fail(c, "no t-waitee thread");
	} else if (fd_mode) {
		if (write(waitee_pipe[1], "q", 1) != 1)
			t_check_fail(c, "write to the waitee pipe: %s", strerror(errno));
	} else if (syscall(SYS_tgkill, (int)getpid(), (int)old_waitee, SIG_WAITEE)) {
		t_check_fail(c, "tgkill t-waitee %d: %s", (int)old_waitee, strerror(errno));
	}
	if (fd_mode && write(ping_pipe[1], "p", 1) != 1)
		t_check_fail(c, "write to the ping pipe: %s", strerror(errno));

	while (!all_answered(gen, prog0, joins0, pings0) && t_now_ns() < deadline)
		pause_ns(1000000);
	for (int i = 0; i < nr_threads; i++) {
		struct thr *t = &thr[i];

		if (atomic_load(&t->gen_seen) != gen || atomic_load(&t->progress) <= prog0[i])
			t_check_fail(c, "%s (tid %d) stuck (progress %lu, answered check %u of %u)",
				     thread_names[i], (int)t->tid0, atomic_load(&t->progress),
				     atomic_load(&t->gen_seen), gen);
		else if (atomic_load(&t->tid_now) != t->tid0)
			t_check_fail(c, "%s: gettid() %d, was %d", thread_names[i],
				     (int)atomic_load(&t->tid_now), (int)t->tid0);
		if (atomic_load(&t->failed))
			t_check_fail(c, "%s: %s", thread_names[i], t->fail);
		if (!task_exists(t->tid0))
			t_check_fail(c, "%s: tid %d not in /proc/self/task", thread_names[i],
				     (int)t->tid0);
	}
	if (atomic_load(&joins) <= joins0)
		t_check_fail(c, "t-waitee %d released but not joined (joins %lu)", (int)old_waitee,
			     atomic_load(&joins));
	if (atomic_load(&waitee_tid) == 0)
		t_check_fail(c, "t-join started no new t-waitee");
	if (fd_mode && atomic_load(&pings) <= pings0)
		t_check_fail(c, "t-poll missed the ping");

	pthread_mutex_lock(&lock);
	sum = *tls_of[0] + *tls_of[1] + *tls_of[2];
	if (sum != total)
		t_check_fail(c, "shared counter %lu != sum of the TLS counters %lu (%lu+%lu+%lu)",
			     total, sum, *tls_of[0], *tls_of[1], *tls_of[2]);
	t_check_info(c, "total=%lu", total);
	pthread_mutex_unlock(&lock);

	/* the released waitee is joined: wait until it has left /proc too */
	while (old_waitee && task_exists(old_waitee) && t_now_ns() < deadline)
		pause_ns(1000000);
	tasks = t_count_tasks();
	if (tasks != nr_threads + 2)
		t_check_fail(c, "%d threads in /proc/self/task, want %d", tasks, nr_threads + 2);
	t_check_info(c, "joins=%lu", atomic_load(&joins));
	t_check_info(c, "spin=%lu", atomic_load(&thr[T_SPIN].progress));
	t_check_info(c, "threads=%d", tasks);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = pthreads_check };
	static void *(*const mains[T_MAX])(void *) = {
		counter_main,  counter_main, counter_main, spin_main,
		condwait_main, join_main,    poll_main,
	};
	sigset_t all, old;

	t_init(argc, argv);
	fd_mode = argc > 2 && !strcmp(argv[2], "fds");
	nr_threads = fd_mode ? T_MAX : T_POLL;
	if (fd_mode && (pipe2(waitee_pipe, O_CLOEXEC) || pipe2(ping_pipe, O_CLOEXEC)))
		t_fatal("pipe");
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < nr_threads; i++) {
		if (pthread_create(&thr[i].th, NULL, mains[i], &thr[i]))
			t_fatal("pthread_create %s", thread_names[i]);
		pthread_setname_np(thr[i].th, thread_names[i]);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	/* READY only once every thread runs and a waitee exists */
	for (int64_t end = t_now_ns() + 10000000000LL;;) {
		int started = atomic_load(&waitee_tid) != 0 && atomic_load(&thr[T_SPIN].progress);

		for (int i = 0; i < nr_threads; i++)
			started = started && thr[i].tid0;
		for (int i = 0; i < 3; i++)
			started = started && tls_of[i];
		if (started)
			break;
		if (t_now_ns() > end)
			t_fatal("threads did not start");
		pause_ns(1000000);
	}
	t_run(&ops);
	return 0;
}
