/* SPDX-License-Identifier: GPL-2.0 */
/*
 * outside.h - what 140-pipe-outside and 144-unix-outside share: programs
 * whose stdout is held by a process outside the tree, so that they cannot
 * speak target.h's protocol on it and write to files of WORKDIR instead:
 * "READY pid=N" and "CHECK OK n=N" or "CHECK FAIL what" in WORKDIR/state,
 * what they read in WORKDIR/got. Every write is one write(2); a write
 * whose reader is gone (EPIPE) ends the program with status 3.
 */
#ifndef E2E_OUTSIDE_H
#define E2E_OUTSIDE_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t check_requested;
static int state_fd, got_fd;
static pid_t pid0;

static void put(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		_exit(4);
	while (write(fd, buf, (size_t)n) != n)
		if (errno != EINTR && errno != EAGAIN)
			_exit(3);
}

/* One more thing wrong, at the end of @fail (@size bytes). */
static void fail_add(char *fail, size_t size, const char *fmt, ...)
{
	size_t len = strlen(fail);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail + len, size - len, fmt, ap);
	va_end(ap);
}

static void on_usr2(int sig)
{
	(void)sig;
	check_requested = 1;
}

/* In WORKDIR (argv[1]), SIGPIPE ignored, SIGUSR2 asking for a check,
 * WORKDIR/state and WORKDIR/got open; exits with status 2 if not. */
static void outside_init(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr2 };

	if (argc < 2 || chdir(argv[1]))
		exit(2);
	pid0 = getpid();
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGUSR2, &sa, NULL);
	state_fd = open("state", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	got_fd = open("got", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (state_fd < 0 || got_fd < 0)
		exit(2);
}

/* The end of a self-check at iteration @n: getpid() unchanged, then
 * CHECK OK or CHECK FAIL with @fail (@size bytes) and that. */
static void outside_report(char *fail, size_t size, unsigned long n)
{
	if (getpid() != pid0)
		fail_add(fail, size, "pid %d, was %d; ", (int)getpid(), (int)pid0);
	if (*fail)
		put(state_fd, "CHECK FAIL %s\n", fail);
	else
		put(state_fd, "CHECK OK n=%lu\n", n);
}

/* READY, then forever: @step(n) for n = 1, 2, 3..., @check(n) when asked,
 * a 2 ms pause. */
static void __attribute__((noreturn))
outside_run(void (*step)(unsigned long), void (*check)(unsigned long))
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	unsigned long n = 0;

	put(state_fd, "READY pid=%d\n", (int)pid0);
	for (;;) {
		n++;
		step(n);
		if (check_requested) {
			check_requested = 0;
			check(n);
		}
		nanosleep(&pause, NULL);
	}
}

#endif /* E2E_OUTSIDE_H */
