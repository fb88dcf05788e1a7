/*
 * 06-procstate.c - process state beyond memory: an interval timer, a soft
 * rlimit, an alternate signal stack, comm, personality, timer slack, and
 * two queued real-time signals held pending by the blocked mask.
 *
 * Usage: 06-procstate WORKDIR
 *
 * Self-check (meant to run after a restore, once: it consumes the pending
 * signals): the common checks; ITIMER_REAL still has its 10 ms interval
 * and SIGALRM keeps arriving; RLIMIT_NOFILE soft is 200 with the hard
 * limit unchanged; sigaltstack is the same buffer and size; the thread
 * name, ADDR_NO_RANDOMIZE and the timer slack are still set; and the two
 * SIGRTMIN+1 are still pending with their values 11 then 22, in order.
 */
#include "target.h"

#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>

#define ITIMER_US 10000
#define NOFILE_SOFT 200
#define SLACK_NS 123456
#define NAME "ckpt-state"

static volatile sig_atomic_t alarms;
static char altstack[64 * 1024];
static rlim_t nofile_hard;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void timer_check(struct t_check *c)
{
	struct itimerval it;
	int before = alarms;
	int64_t deadline = t_now_ns() + 10000000000LL; /* a loaded machine */

	if (getitimer(ITIMER_REAL, &it) || it.it_interval.tv_sec ||
	    it.it_interval.tv_usec != ITIMER_US)
		t_check_fail(c, "ITIMER_REAL interval is %ld us, want %d",
			     (long)it.it_interval.tv_usec, ITIMER_US);
	while (alarms < before + 3 && t_now_ns() < deadline) {
		struct timespec pause = { 0, 1000000 };

		nanosleep(&pause, NULL);
	}
	if (alarms < before + 3)
		t_check_fail(c, "SIGALRM stopped arriving (%d)", (int)alarms);
	t_check_info(c, "alarms=%d", (int)alarms);
}

static void limits_check(struct t_check *c)
{
	struct rlimit rl;
	stack_t ss;
	char name[17] = "";

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur != NOFILE_SOFT ||
	    rl.rlim_max != nofile_hard)
		t_check_fail(c, "RLIMIT_NOFILE is %llu/%llu, want %d/%llu",
			     (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
			     NOFILE_SOFT, (unsigned long long)nofile_hard);
	if (sigaltstack(NULL, &ss) || ss.ss_sp != altstack || ss.ss_size != sizeof(altstack))
		t_check_fail(c, "sigaltstack is %p/%zu, want %p/%zu", ss.ss_sp, ss.ss_size,
			     (void *)altstack, sizeof(altstack));
	prctl(PR_GET_NAME, name);
	if (strcmp(name, NAME))
		t_check_fail(c, "comm is '%s', want '%s'", name, NAME);
	if (!(personality(0xffffffff) & ADDR_NO_RANDOMIZE))
		t_check_fail(c, "personality lost ADDR_NO_RANDOMIZE");
	if (prctl(PR_GET_TIMERSLACK) != SLACK_NS)
		t_check_fail(c, "timer slack is %d, want %d", prctl(PR_GET_TIMERSLACK), SLACK_NS);
}

static void pending_check(struct t_check *c)
{
	static const int want[] = { 11, 22 };
	struct timespec zero = { 0, 0 };
	sigset_t rt;

	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN + 1);
	for (int i = 0; i < 2; i++) {
		siginfo_t si;

		if (sigtimedwait(&rt, &si, &zero) != SIGRTMIN + 1) {
			t_check_fail(c, "queued signal %d of 2 is no longer pending", i + 1);
			return;
		}
		if (si.si_value.sival_int != want[i])
			t_check_fail(c, "queued signal %d carries %d, want %d", i + 1,
				     si.si_value.sival_int, want[i]);
	}
	t_check_info(c, "rt-pending=ok");
}

static void procstate_check(struct t_check *c)
{
	timer_check(c);
	limits_check(c);
	pending_check(c);
}

static void setup(void)
{
	struct itimerval it = { { 0, ITIMER_US }, { 0, ITIMER_US } };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct rlimit rl;
	sigset_t rt;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		t_fatal("getrlimit");
	nofile_hard = rl.rlim_max;
	rl.rlim_cur = NOFILE_SOFT;
	if (setrlimit(RLIMIT_NOFILE, &rl) || sigaltstack(&ss, NULL) ||
	    prctl(PR_SET_NAME, NAME) || personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE) < 0 ||
	    prctl(PR_SET_TIMERSLACK, SLACK_NS))
		t_fatal("process state set-up");
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &rt, NULL);
	if (sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 11 }) ||
	    sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 22 }))
		t_fatal("sigqueue");
	signal(SIGALRM, on_alarm);
	if (setitimer(ITIMER_REAL, &it, NULL))
		t_fatal("setitimer");
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = procstate_check };

	t_init(argc, argv);
	setup();
	t_run(&ops);
	return 0;
}
