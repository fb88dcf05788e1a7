/*
 * 73-timerfd.c - timerfds on several clocks, relative and absolute,
 * periodic, expired and not read, disarmed.
 *
 * Usage: 73-timerfd WORKDIR
 *
 * Before READY it sets up, at fixed fd numbers:
 *  - fd 10 A: CLOCK_MONOTONIC, relative, 6 s then every 250 ms, O_NONBLOCK;
 *  - fd 11 B: CLOCK_REALTIME, TFD_TIMER_ABSTIME at start + 7 s, then every
 *    200 ms, O_NONBLOCK, close-on-exec;
 *  - fd 12 G: CLOCK_REALTIME, TFD_TIMER_ABSTIME at start + 2500 ms (meant to
 *    fall while the process is dumped), then every 100 ms, O_NONBLOCK;
 *  - fd 13 C: CLOCK_BOOTTIME, relative, 10 ms, one-shot: it has expired
 *    (waited for with poll) and is not read: one tick pending;
 *  - fd 14 D: CLOCK_MONOTONIC, every 10 ms from the start, never read
 *    before the first check after the restore: its ticks pile up;
 *  - fd 15 E: disarmed, with a 1 s interval;
 *  - fd 16 H: CLOCK_REALTIME, TFD_TIMER_ABSTIME at start + 20 ms, then every
 *    300 ms, O_NONBLOCK, not read before the dump: ticks pending at the
 *    dump, and more missed while dumped.
 *
 * The main loop (every ~2 ms) reads A, B and G, and H once resumed
 * (non-blocking), and writes "FIRE X n ticks=T" for each of their first 3
 * expiries. It takes the
 * longest pause between two iterations (over 900 ms) as the dump: "before"
 * is the last iteration before it, "resume" the first after.
 *
 * Self-check (SIGUSR2):
 *  - always: C holds exactly 1 tick and is disarmed (it is read, then made
 *    to expire again to stay so), E is disarmed with a 1 s interval, the
 *    flags are as set up;
 *  - once resumed, on its own clock: A had, at resume, the time it had left
 *    before the dump, less at most the part of the pause that was not the
 *    second the images were kept; it expired when it said it would and
 *    then every 250 ms; B expired at its CLOCK_REALTIME moment (1 tick) or, if
 *    that passed while dumped, at resume with the ticks missed; G expired
 *    at resume with 1 tick per 100 ms since its moment (+-1), H likewise
 *    with 1 per 300 ms since its first (+-1); D, read the
 *    first time, holds every 10 ms tick since the start, the dumped time
 *    not counted (+-2).
 * Never early (2 ms), at most LATE (1 s) late: the loop may not run for
 * a while on a loaded machine; the ticks read are checked against the
 * moments the loop saw, so lateness does not make them wrong.
 * Reported: resumed=0|1 gap_ms= a_lost_ms= and the measures.
 */
#include "target.h"

#include <poll.h>
#include <sys/timerfd.h>

#define MS 1000000LL
/* How late the main loop may see an expiry: it may not run for a while
 * on a loaded machine. Early is never allowed. */
#define LATE (1000 * MS)
#define FD_A 10
#define FD_B 11
#define FD_G 12
#define FD_C 13
#define FD_D 14
#define FD_E 15
#define FD_H 16

struct fires {
	int n;
	int64_t mono[3], real[3];
	uint64_t ticks[3];
};

static struct fires fa, fb, fg, fh;
static int64_t last_iter, gap, before, resume, resume_real;
static int64_t a_left_last, a_left_before, a_left_resume;
static int64_t start_real, d_armed;
static int d_checked;

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec ts_of(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	return ts;
}

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void arm(int at, int clock, int flags, int tflags, int64_t value, int64_t interval)
{
	struct itimerspec its = { ts_of(interval), ts_of(value) };

	t_fd_at(timerfd_create(clock, flags), at);
	if (timerfd_settime(at, tflags, &its, NULL))
		t_fatal("timerfd_settime %d", at);
}

static int64_t left(int fd)
{
	struct itimerspec its;

	return timerfd_gettime(fd, &its) ? -1 : ns_of(&its.it_value);
}

static void poll_fires(int fd, const char *name, struct fires *f, int64_t now)
{
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	if (f->n < 3) {
		f->mono[f->n] = now;
		f->real[f->n] = real_ns();
		f->ticks[f->n] = ticks;
		f->n++;
		t_log("FIRE %s %d ticks=%llu", name, f->n, (unsigned long long)ticks);
	}
}

static void timer_step(void)
{
	int64_t now = t_now_ns();

	if (last_iter && now - last_iter > 900 * MS && now - last_iter > gap) {
		gap = now - last_iter;
		before = last_iter;
		resume = now;
		resume_real = real_ns();
		a_left_before = a_left_last;
		a_left_resume = left(FD_A);
	}
	last_iter = now;
	a_left_last = left(FD_A);
	poll_fires(FD_A, "A", &fa, now);
	poll_fires(FD_B, "B", &fb, now);
	poll_fires(FD_G, "G", &fg, now);
	if (resume)
		poll_fires(FD_H, "H", &fh, now);
}

static void c_check(struct t_check *c)
{
	struct pollfd p = { FD_C, POLLIN, 0 };
	uint64_t ticks = 0;

	if (poll(&p, 1, 0) != 1 || read(FD_C, &ticks, sizeof(ticks)) != sizeof(ticks) || ticks != 1)
		t_check_fail(c, "C: %llu ticks pending, want 1", (unsigned long long)ticks);
	if (left(FD_C) != 0)
		t_check_fail(c, "C: armed, want disarmed");
	/* Expired and not read again, for the next check. */
	arm(FD_C, CLOCK_BOOTTIME, 0, 0, 1, 0);
	p.revents = 0;
	if (poll(&p, 1, 1000) != 1)
		t_check_fail(c, "C: does not expire any more");
}

static void flags_check(struct t_check *c)
{
	struct itimerspec its;

	if (timerfd_gettime(FD_E, &its) || ns_of(&its.it_value) || ns_of(&its.it_interval) != 1000 * MS)
		t_check_fail(c, "E: not disarmed with a 1 s interval");
	if (!(fcntl(FD_A, F_GETFL) & O_NONBLOCK) || !(fcntl(FD_B, F_GETFL) & O_NONBLOCK) ||
	    (fcntl(FD_C, F_GETFL) & O_NONBLOCK))
		t_check_fail(c, "O_NONBLOCK is not as set up");
	if (!(fcntl(FD_B, F_GETFD) & FD_CLOEXEC) || (fcntl(FD_A, F_GETFD) & FD_CLOEXEC))
		t_check_fail(c, "FD_CLOEXEC is not as set up");
}

/* A: its time left survived; it then expires on time, and periodically. */
static void a_check(struct t_check *c)
{
	int64_t lost = a_left_before - a_left_resume;

	t_check_info(c, "a_left_ms=%lld a_lost_ms=%lld", (long long)(a_left_before / MS),
		     (long long)(lost / MS));
	/* It counted only while the process existed: the images were kept
	 * for over a second of the gap. */
	if (lost < -2 * MS || lost > gap - 1000 * MS)
		t_check_fail(c, "A: %lld ms left before the dump, %lld ms at resume (gap %lld ms)",
			     (long long)(a_left_before / MS), (long long)(a_left_resume / MS),
			     (long long)(gap / MS));
	if (fa.n < 2)
		return;
	t_check_info(c, "a_late_ms=%lld a_period_ms=%lld",
		     (long long)((fa.mono[0] - resume - a_left_resume) / MS),
		     (long long)((fa.mono[1] - fa.mono[0]) / MS));
	if (fa.mono[0] - resume - a_left_resume < -2 * MS ||
	    fa.mono[0] - resume - a_left_resume > LATE)
		t_check_fail(c, "A: expired %lld ms after resume, said %lld ms",
			     (long long)((fa.mono[0] - resume) / MS), (long long)(a_left_resume / MS));
	/* Seen at the latest LATE after, never before, its expiries: every
	 * 250 ms from the first. */
	if (fa.mono[1] - resume - a_left_resume <
		    (int64_t)(fa.ticks[0] + fa.ticks[1] - 1) * 250 * MS - 2 * MS ||
	    fa.mono[1] - fa.mono[0] > 250 * MS + LATE || !fa.ticks[0])
		t_check_fail(c, "A: then after %lld ms (want 250), %llu ticks",
			     (long long)((fa.mono[1] - fa.mono[0]) / MS),
			     (unsigned long long)fa.ticks[0]);
}

/* An absolute timer at @at every @interval: on time, or at resume with
 * the ticks it missed while the process did not exist. */
static void abs_check(struct t_check *c, const char *name, const struct fires *f, int64_t at,
		      int64_t interval)
{
	int64_t late = f->real[0] - at;
	int64_t want = 1;

	if (!f->n) {
		t_check_fail(c, "%s: never expired", name);
		return;
	}
	t_check_info(c, "%s_late_ms=%lld %s_ticks=%llu", name, (long long)(late / MS), name,
		     (unsigned long long)f->ticks[0]);
	if (at < resume_real) {
		/* At least the ticks due at resume, at most those due when
		 * it was seen (+-1 at the edges). */
		int64_t due = 1 + (resume_real - at) / interval;

		want = 1 + (f->real[0] - at) / interval;
		if (f->mono[0] - resume > LATE || (int64_t)f->ticks[0] < due - 1 ||
		    (int64_t)f->ticks[0] > want + 1)
			t_check_fail(c, "%s: at resume +%lld ms, %llu ticks, want %lld", name,
				     (long long)((f->mono[0] - resume) / MS),
				     (unsigned long long)f->ticks[0], (long long)want);
	} else if (late < -2 * MS || late > LATE || !f->ticks[0] ||
		   (int64_t)f->ticks[0] > 1 + late / interval) {
		t_check_fail(c, "%s: expired %lld ms after its time, %llu ticks", name,
			     (long long)(late / MS), (unsigned long long)f->ticks[0]);
	}
}

/* D, read the first time after the restore: every tick of its own time. */
static void d_check(struct t_check *c)
{
	int64_t now = t_now_ns(), ran, want;
	uint64_t ticks = 0;

	if (read(FD_D, &ticks, sizeof(ticks)) != sizeof(ticks)) {
		t_check_fail(c, "D: nothing to read: %s", strerror(errno));
		return;
	}
	ran = (before - d_armed) + (a_left_before - a_left_resume) + (now - resume);
	want = ran / (10 * MS);
	t_check_info(c, "d_ticks=%llu d_want=%lld", (unsigned long long)ticks, (long long)want);
	if (llabs((int64_t)ticks - want) > 2)
		t_check_fail(c, "D: %llu ticks, want %lld (%lld ms before the dump)",
			     (unsigned long long)ticks, (long long)want,
			     (long long)((before - d_armed) / MS));
	d_checked = 1;
}

static void timer_check(struct t_check *c)
{
	c_check(c);
	flags_check(c);
	t_check_info(c, "resumed=%d gap_ms=%lld", resume != 0, (long long)(gap / MS));
	if (!resume)
		return;
	a_check(c);
	abs_check(c, "b", &fb, start_real + 7000 * MS, 200 * MS);
	abs_check(c, "g", &fg, start_real + 2500 * MS, 100 * MS);
	abs_check(c, "h", &fh, start_real + 20 * MS, 300 * MS);
	if (!d_checked)
		d_check(c);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = timer_step, .check = timer_check };
	struct pollfd p = { FD_C, POLLIN, 0 };

	t_init(argc, argv);
	start_real = real_ns();
	arm(FD_A, CLOCK_MONOTONIC, TFD_NONBLOCK, 0, 6000 * MS, 250 * MS);
	arm(FD_B, CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC, TFD_TIMER_ABSTIME,
	    start_real + 7000 * MS, 200 * MS);
	arm(FD_G, CLOCK_REALTIME, TFD_NONBLOCK, TFD_TIMER_ABSTIME, start_real + 2500 * MS,
	    100 * MS);
	arm(FD_C, CLOCK_BOOTTIME, 0, 0, 10 * MS, 0);
	d_armed = t_now_ns();
	arm(FD_D, CLOCK_MONOTONIC, TFD_NONBLOCK, 0, 10 * MS, 10 * MS);
	arm(FD_E, CLOCK_MONOTONIC, 0, 0, 0, 1000 * MS);
	arm(FD_H, CLOCK_REALTIME, TFD_NONBLOCK, TFD_TIMER_ABSTIME, start_real + 20 * MS,
	    300 * MS);
	if (poll(&p, 1, 1000) != 1)
		t_fatal("C never expired");
	t_run(&ops);
	return 0;
}
