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

#include <dirent.h>
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

/* Threads of this process, from /proc/self/task; -1 if it cannot be read. */
T_FN int t_count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Move the new fd @fd to number @at, keeping its close-on-exec flag: a
 * target puts its files at numbers its test knows. */
T_FN void t_fd_at(int fd, int at)
{
	if (fd < 0 || (fd != at && (dup3(fd, at, fcntl(fd, F_GETFD) & FD_CLOEXEC ? O_CLOEXEC : 0) < 0 ||
				     close(fd) < 0)))
		t_fatal("cannot place fd %d at %d", fd, at);
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

/* ---- process trees ------------------------------------------------------ */

/*
 * Helpers for targets made of several threads or processes: futexes, the
 * ids of a process from /proc, and a "board" in a MAP_SHARED|MAP_ANONYMOUS
 * mapping (made before fork) through which the root asks every other
 * process of its tree to check itself and collects the answers.
 */
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* FUTEX_WAIT (shared: works across processes) until *word != val or timeout. */
T_FN void t_futex_wait(_Atomic uint32_t *word, uint32_t val, int64_t timeout_ns)
{
	struct timespec ts = { timeout_ns / 1000000000, timeout_ns % 1000000000 };

	syscall(SYS_futex, word, FUTEX_WAIT, val, timeout_ns >= 0 ? &ts : NULL, NULL, 0);
}

T_FN void t_futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

struct t_ids {
	int pid, ppid, pgid, sid;
	char state;
};

/* PPID, PGID, SID and state of PID from /proc/PID/stat; -1 if it is gone. */
T_FN int t_proc_ids(pid_t pid, struct t_ids *ids)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	memset(ids, 0, sizeof(*ids));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c %d %d %d", &ids->state, &ids->ppid, &ids->pgid, &ids->sid) != 4)
		return -1;
	ids->pid = pid;
	return 0;
}

/* One process of the tree, as seen by itself (or set up by the root). */
struct t_slot {
	int32_t pid0, ppid0, pgid0, sid0; /* what the checks expect */
	_Atomic uint32_t ack; /* last check generation answered */
	int32_t failed;
	char msg[232]; /* "CHECK FAIL" reasons of this process */
};

struct t_board {
	_Atomic uint32_t gen; /* bumped by the root to ask for a check */
	_Atomic uint32_t acks; /* bumped by every answer (futex) */
	int32_t nr; /* slots in use */
	struct t_slot slot[];
};

/* A board with NR slots in a shared anonymous mapping (call before forking). */
T_FN struct t_board *t_board_new(int nr)
{
	size_t len = sizeof(struct t_board) + (size_t)nr * sizeof(struct t_slot);
	struct t_board *b =
		mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (b == MAP_FAILED)
		t_fatal("mmap %zu bytes MAP_SHARED|MAP_ANONYMOUS", len);
	b->nr = nr;
	return b;
}

/* Slot I records the calling process as it is now (its expected ids). */
T_FN void t_slot_record(struct t_board *b, int i)
{
	struct t_slot *s = &b->slot[i];

	s->pid0 = getpid();
	s->ppid0 = getppid();
	s->pgid0 = getpgrp();
	s->sid0 = getsid(0);
}

/*
 * Answer the current check generation in slot I: the common checks (PID,
 * PPID, PGID and SID are the recorded ones) and CHECK(c, I) if given.
 */
T_FN void t_slot_answer(struct t_board *b, int i, void (*check)(struct t_check *, int))
{
	struct t_slot *s = &b->slot[i];
	uint32_t gen = atomic_load(&b->gen);
	struct t_check c;
	size_t len;

	memset(&c, 0, sizeof(c));
	if (getpid() != s->pid0)
		t_check_fail(&c, "getpid() %d, want %d", (int)getpid(), s->pid0);
	if (getppid() != s->ppid0)
		t_check_fail(&c, "getppid() %d, want %d", (int)getppid(), s->ppid0);
	if (getpgrp() != s->pgid0)
		t_check_fail(&c, "getpgrp() %d, want %d", (int)getpgrp(), s->pgid0);
	if (getsid(0) != s->sid0)
		t_check_fail(&c, "getsid() %d, want %d", (int)getsid(0), s->sid0);
	if (check)
		check(&c, i);
	len = strnlen(c.fail, sizeof(s->msg) - 1);
	memcpy(s->msg, c.fail, len);
	s->msg[len] = '\0';
	s->failed = c.failed;
	atomic_store(&s->ack, gen);
	atomic_fetch_add(&b->acks, 1);
	t_futex_wake(&b->acks);
}

/* Bump the generation and wake every process waiting on it (t_board_wait). */
T_FN uint32_t t_board_ask(struct t_board *b)
{
	uint32_t gen = atomic_fetch_add(&b->gen, 1) + 1;

	t_futex_wake(&b->gen);
	return gen;
}

/* Number of slots FIRST..nr-1 that have not answered generation GEN. */
T_FN int t_board_missing(struct t_board *b, int first, uint32_t gen)
{
	int missing = 0;

	for (int i = first; i < b->nr; i++)
		if (atomic_load(&b->slot[i].ack) != gen)
			missing++;
	return missing;
}

/* Wait up to TIMEOUT_NS until slots FIRST..nr-1 have all answered GEN. */
T_FN void t_board_wait(struct t_board *b, int first, uint32_t gen, int64_t timeout_ns)
{
	int64_t end = t_now_ns() + timeout_ns;

	for (;;) {
		uint32_t acks = atomic_load(&b->acks);
		int64_t left = end - t_now_ns();

		if (!t_board_missing(b, first, gen) || left <= 0)
			return;
		t_futex_wait(&b->acks, acks, left);
	}
}

/* Report into C every slot FIRST..nr-1 that failed or did not answer GEN. */
T_FN void t_board_report(struct t_board *b, int first, uint32_t gen, struct t_check *c,
			 const char *(*name)(int))
{
	int bad = 0;

	for (int i = first; i < b->nr; i++) {
		struct t_slot *s = &b->slot[i];

		if (atomic_load(&s->ack) != gen) {
			if (bad++ < 4)
				t_check_fail(c, "%s (pid %d) did not answer", name ? name(i) : "?",
					     s->pid0);
		} else if (s->failed) {
			if (bad++ < 4)
				t_check_fail(c, "%s (pid %d): %s", name ? name(i) : "?", s->pid0,
					     s->msg);
		}
	}
	if (bad > 4)
		t_check_fail(c, "and %d more processes", bad - 4);
}

/* A child process: answer every check request on the board, forever. */
T_FN __attribute__((noreturn)) void t_board_serve(struct t_board *b, int i,
						  void (*check)(struct t_check *, int))
{
	for (;;) {
		uint32_t gen = atomic_load(&b->gen);

		if (gen != atomic_load(&b->slot[i].ack))
			t_slot_answer(b, i, check);
		else
			t_futex_wait(&b->gen, gen, -1);
	}
}

#endif /* E2E_TARGET_H */
