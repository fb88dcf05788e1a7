// SPDX-License-Identifier: GPL-2.0
/*
 * Timerfd: its clock, settime flags, interval, the time left and the
 * expiries not read yet (ticks).
 *
 * A relative timer comes back with the time it had left at the dump,
 * counted from the restore; a TFD_TIMER_ABSTIME one at the same moment of
 * its clock (CLOCK_REALTIME, CLOCK_BOOTTIME: what passed in between counts,
 * as it would have for the process). CLOCK_MONOTONIC restarts at boot:
 * an absolute monotonic timer is only right on the same boot.
 *
 * Ticks come back through TFD_IOC_SET_TICKS (CONFIG_CHECKPOINT_RESTORE),
 * the exact count, with the timer still armed on its own schedule. Arming
 * it to expire at once instead would lose any count above 1 and shift a
 * periodic timer's phase.
 */
#include "files.h"

#include "proc.h"
#include "util.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

#define NSEC_PER_SEC 1000000000ULL
/* An expiry this close is counted by ckpt rather than by the kernel (see
 * timer_plan). */
#define TICKS_MARGIN_NS (10 * 1000 * 1000ULL)

static bool timerfd_claims(const char *link, const struct stat *st)
{
	return !strcmp(link, "anon_inode:[timerfd]");
}

/* The clock to read for a timer on @clockid. */
static int base_clock(int clockid)
{
	if (clockid == CLOCK_REALTIME_ALARM)
		return CLOCK_REALTIME;
	if (clockid == CLOCK_BOOTTIME_ALARM)
		return CLOCK_BOOTTIME;
	return clockid;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static struct timespec ns_ts(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };

	return ts;
}

static int read_own_fdinfo(int fd, struct proc_timerfd *ret)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	r = read_file(path, &text, NULL);
	return r < 0 ? r : proc_parse_timerfd(text, ret);
}

/*
 * The state of the timer at fd @fd of @pid, and the time of its clock then.
 *
 * fdinfo shows 0 left for a periodic timer that expired and was not read:
 * the kernel moves it to its next period only on a read or when
 * timerfd_gettime() asks, which adds the periods missed to the ticks. Asking
 * changes nothing the process can see. It is asked again if the timer
 * expires between the two looks.
 */
static int timer_state(int pid, int fd, struct proc_timerfd *ret, uint64_t *ret_now)
{
	_cleanup_close_ int copy = fd_borrow(pid, fd);

	if (copy < 0)
		return copy;
	for (int tries = 0; tries < 5; tries++) {
		struct proc_timerfd t;
		struct itimerspec cur;
		int r;

		if (timerfd_gettime(copy, &cur) < 0)
			return -errno;
		r = read_own_fdinfo(copy, &t);
		if (r < 0)
			return r;
		if (ts_ns(&cur.it_value) && !t.value_ns)
			continue; /* expired in between */
		*ret_now = now_ns(base_clock(t.clockid));
		t.value_ns = ts_ns(&cur.it_value);
		*ret = t;
		return 0;
	}
	return -EAGAIN;
}

static int timerfd_dump(const struct fd_dump *d, FileEntry *e)
{
	struct proc_timerfd t = { 0 };
	TimerfdEntry *te;
	uint64_t now = 0;
	int r = timer_state(d->pid, d->fd, &t, &now);

	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read the timerfd at fd %d", d->pid,
				d->fd);
	te = e->timerfd = xmalloc(sizeof(*te));
	timerfd_entry__init(te);
	te->clockid = (uint32_t)t.clockid;
	te->settime_flags = t.settime_flags;
	te->ticks = t.ticks;
	te->interval_ns = t.interval_ns;
	te->value_ns = t.value_ns;
	if (t.value_ns && (t.settime_flags & TFD_TIMER_ABSTIME))
		te->value_ns = now + t.value_ns;
	return 0;
}

static int timerfd_check(const FileEntry *e, const struct files_open *fo)
{
	const TimerfdEntry *t = e->timerfd;

	if (!t || t->clockid > INT32_MAX ||
	    (t->settime_flags & ~(uint32_t)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)))
		return anon_inconsistent(e);
	return 0;
}

struct timer_arm {
	struct itimerspec its;
	int flags;
	uint64_t ticks;
};

/*
 * How to arm the timer at @now on its clock. TFD_IOC_SET_TICKS sets the
 * count, it does not add to it: an expiry between timerfd_settime() and it
 * would be lost. So with ticks to put back, an expiry already passed or
 * due within TICKS_MARGIN_NS is counted here, and the timer armed for the
 * next one (a one-shot timer is then spent).
 */
static void timer_plan(const TimerfdEntry *t, uint64_t now, struct timer_arm *ret)
{
	bool abs = t->settime_flags & TFD_TIMER_ABSTIME;
	uint64_t expiry = abs ? t->value_ns : now + t->value_ns;

	ret->flags = (int)t->settime_flags;
	ret->ticks = t->ticks;
	ret->its.it_interval = ns_ts(t->interval_ns);
	ret->its.it_value = ns_ts(0);
	if (!t->value_ns)
		return; /* disarmed */
	if (t->ticks && expiry < now + TICKS_MARGIN_NS) {
		uint64_t missed = 1;

		if (t->interval_ns)
			missed += (now + TICKS_MARGIN_NS - expiry) / t->interval_ns;
		ret->ticks += missed;
		if (!t->interval_ns)
			return;
		expiry += missed * t->interval_ns;
	}
	ret->its.it_value = ns_ts(abs ? expiry : expiry - now);
}

static int timer_arm(int fd, const TimerfdEntry *t)
{
	struct timer_arm a;

	timer_plan(t, now_ns(base_clock((int)t->clockid)), &a);
	if (timerfd_settime(fd, a.flags, &a.its, NULL) < 0)
		return pr_errno(-errno, "cannot restore: cannot arm a timerfd");
	if (!a.ticks || ioctl(fd, TFD_IOC_SET_TICKS, &a.ticks) == 0)
		return 0;
	if (errno == ENOTTY)
		return pr_fail(
			-ENOTTY,
			"cannot restore: this kernel cannot set the expiries of a timerfd (TFD_IOC_SET_TICKS needs CONFIG_CHECKPOINT_RESTORE)");
	return pr_errno(-errno, "cannot restore: cannot put back the %llu expiries of a timerfd",
			(unsigned long long)a.ticks);
}

static int timerfd_open(struct files_open *fo, const FileEntry *e)
{
	int fd = timerfd_create((int)e->timerfd->clockid, TFD_CLOEXEC);
	int r;

	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot create a timerfd on clock %u",
				e->timerfd->clockid);
	r = timer_arm(fd, e->timerfd);
	return anon_open_finish(fd, r, e);
}

const struct file_kind timerfd_kind = {
	.kind = FD_KIND__FD_TIMERFD,
	.name = "timerfd",
	.claims = timerfd_claims,
	.dump = timerfd_dump,
	.check = timerfd_check,
	.open = timerfd_open,
};
