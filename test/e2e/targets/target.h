/*
 * target.h - shared helpers for the ckpt end-to-end test targets.
 *
 * Every target is started by the harness (test/e2e/lib.sh) as
 *
 *     TARGET WORKDIR [ARGS...] </dev/null >>WORKDIR/out 2>>WORKDIR/err &
 *
 * so it holds no pipe, and talks to the harness only through lines written
 * with one write(2) each to stdout (a regular file):
 *
 *     READY pid=N            set-up done: the harness may start poking
 *     USR1 N                 the target has now counted N SIGUSR1
 *     CHECK OK k=v ...       answer to SIGUSR2: every self-check passed
 *     CHECK FAIL what; ...   answer to SIGUSR2: what went wrong
 *     EXIT N                 about to exit with status N (after SIGTERM)
 *     FATAL what             set-up failed; exits with status 2
 *
 * Signals: SIGUSR1 is counted by its handler; SIGUSR2 asks the main loop for
 * a self-check; SIGTERM makes the main loop exit with TARGET_EXIT_STATUS.
 *
 * The main loop (t_run) also writes the sequence 1, 2, 3, ... one number a
 * line to WORKDIR/seq through a NON-append fd (O_WRONLY|O_CREAT|O_TRUNC), one
 * line per iteration, paced by a 2 ms nanosleep. Whatever the restore does
 * wrong with that fd's offset or with the counter shows up as a gap, a repeat
 * or garbage in that file.
 *
 * Checks common to every target (t_common_check): getpid() is still the PID
 * seen at start, gettid() == getpid() in the main thread, and the blocked
 * signal mask is exactly the one the main loop started with.
 */
#ifndef E2E_TARGET_H
#define E2E_TARGET_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define T_FN static __attribute__((unused))
#define TARGET_EXIT_STATUS 42
#define T_LOOP_PAUSE_NS (2 * 1000 * 1000) /* 2 ms between iterations */

static volatile sig_atomic_t t_usr1_count;
static volatile sig_atomic_t t_check_requested;
static volatile sig_atomic_t t_term_requested;

static pid_t t_pid; /* getpid() at start */
static char t_workdir[PATH_MAX]; /* absolute path of WORKDIR */
static sigset_t t_blocked; /* blocked set when the main loop started */
static int t_seq_fd = -1;
static unsigned long t_seq; /* last number written to WORKDIR/seq */

/* ---- output ------------------------------------------------------------ */

T_FN void t_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(3); /* nowhere left to report anything */
		buf += n;
		len -= (size_t)n;
	}
}

/* One line on stdout, written with a single write(2) so lines never mix. */
T_FN __attribute__((format(printf, 1, 2))) void t_log(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	t_write_all(STDOUT_FILENO, buf, (size_t)n);
}

/* Report a failed set-up as "FATAL what (errno ...)" and exit with status 2. */
T_FN __attribute__((noreturn, format(printf, 1, 2))) void t_fatal(const char *fmt, ...)
{
	int err = errno;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t_log("FATAL %s (errno %d: %s)", msg, err, strerror(err));
	exit(2);
}

/* ---- self-check results ------------------------------------------------ */

struct t_check {
	int failed;
	char fail[1024]; /* "what; what; ..." */
	char info[1024]; /* "k=v k=v ..." */
};

T_FN void t_vappend(char *dst, size_t size, const char *sep, const char *fmt, va_list ap)
{
	size_t len = strlen(dst);

	if (len && len + strlen(sep) < size) {
		strcpy(dst + len, sep);
		len += strlen(sep);
	}
	if (len < size)
		vsnprintf(dst + len, size - len, fmt, ap);
}

/* Record one failed check; the target keeps running either way. */
T_FN __attribute__((format(printf, 2, 3))) void t_check_fail(struct t_check *c, const char *fmt,
							     ...)
{
	va_list ap;

	c->failed = 1;
	va_start(ap, fmt);
	t_vappend(c->fail, sizeof(c->fail), "; ", fmt, ap);
	va_end(ap);
}

/* Record one "key=value" reported in the CHECK line, for the harness. */
T_FN __attribute__((format(printf, 2, 3))) void t_check_info(struct t_check *c, const char *fmt,
							     ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vappend(c->info, sizeof(c->info), " ", fmt, ap);
	va_end(ap);
}

/* ---- signals ------------------------------------------------------------ */

T_FN void t_on_usr1(int sig)
{
	(void)sig;
	t_usr1_count++;
}

T_FN void t_on_usr2(int sig)
{
	(void)sig;
	t_check_requested = 1;
}

T_FN void t_on_term(int sig)
{
	(void)sig;
	t_term_requested = 1;
}

T_FN void t_handle(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		t_fatal("sigaction(%d)", sig);
}

/* ---- set-up ------------------------------------------------------------- */

/*
 * Common set-up: remember our PID, make WORKDIR (argv[1]) the cwd, install the
 * SIGUSR1/SIGUSR2/SIGTERM handlers. Does not open the seq file (t_run does).
 */
T_FN void t_init(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s WORKDIR [ARGS...]\n", argv[0]);
		exit(2);
	}
	t_pid = getpid();
	if (!realpath(argv[1], t_workdir))
		t_fatal("realpath %s", argv[1]);
	if (chdir(t_workdir))
		t_fatal("chdir %s", t_workdir);
	t_handle(SIGUSR1, t_on_usr1);
	t_handle(SIGUSR2, t_on_usr2);
	t_handle(SIGTERM, t_on_term);
}

/* Monotonic time in nanoseconds. */
T_FN int64_t t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the sequence file -------------------------------------------------- */

T_FN void t_seq_open(void)
{
	t_seq_fd = open("seq", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (t_seq_fd < 0)
		t_fatal("open seq");
}

/* Append the next number with a plain write(2) at the fd's own offset. */
T_FN void t_seq_step(void)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lu\n", t_seq + 1);

	t_write_all(t_seq_fd, buf, (size_t)n);
	t_seq++;
}

/* ---- checks common to every target -------------------------------------- */

T_FN void t_common_check(struct t_check *c)
{
	sigset_t cur;
	int sig;

	if (getpid() != t_pid)
		t_check_fail(c, "getpid() is %d, was %d at start", (int)getpid(), (int)t_pid);
	if (gettid() != getpid())
		t_check_fail(c, "gettid() %d != getpid() %d in the main thread", (int)gettid(),
			     (int)getpid());
	if (sigprocmask(SIG_BLOCK, NULL, &cur))
		t_check_fail(c, "sigprocmask: %s", strerror(errno));
	else
		for (sig = 1; sig < SIGRTMAX + 1; sig++)
			if (sigismember(&cur, sig) != sigismember(&t_blocked, sig))
				t_check_fail(c, "signal %d is %sblocked, was %sblocked at start",
					     sig, sigismember(&cur, sig) ? "" : "not ",
					     sigismember(&t_blocked, sig) ? "" : "not ");
	t_check_info(c, "pid=%d", (int)getpid());
	t_check_info(c, "seq=%lu", t_seq);
	t_check_info(c, "usr1=%d", (int)t_usr1_count);
}

/* ---- the main loop ------------------------------------------------------ */

struct t_ops {
	void (*iterate)(void); /* once per iteration; may be NULL */
	void (*check)(struct t_check *); /* target's own self-check; may be NULL */
};

T_FN void t_self_check(const struct t_ops *ops)
{
	struct t_check c;

	memset(&c, 0, sizeof(c));
	t_common_check(&c);
	if (ops->check)
		ops->check(&c);
	if (c.failed)
		t_log("CHECK FAIL %s | %s", c.fail, c.info);
	else
		t_log("CHECK OK %s", c.info);
}

/*
 * Open the seq file, say READY and loop forever: one seq line per iteration,
 * acknowledge SIGUSR1s, answer SIGUSR2 with a self-check, exit on SIGTERM.
 */
T_FN void t_run(const struct t_ops *ops)
{
	int logged_usr1 = 0;

	t_seq_open();
	if (sigprocmask(SIG_BLOCK, NULL, &t_blocked))
		t_fatal("sigprocmask");
	t_log("READY pid=%d", (int)t_pid);
	for (;;) {
		struct timespec pause = { 0, T_LOOP_PAUSE_NS };

		t_seq_step();
		if (ops->iterate)
			ops->iterate();
		if (t_usr1_count != logged_usr1) {
			logged_usr1 = t_usr1_count;
			t_log("USR1 %d", logged_usr1);
		}
		if (t_check_requested) {
			t_check_requested = 0;
			t_self_check(ops);
		}
		if (t_term_requested) {
			t_log("EXIT %d", TARGET_EXIT_STATUS);
			exit(TARGET_EXIT_STATUS);
		}
		nanosleep(&pause, NULL); /* EINTR from our handlers is fine */
	}
}

#endif /* E2E_TARGET_H */
