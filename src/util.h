/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_UTIL_H
#define CKPT_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#undef PAGE_SIZE
#undef PAGE_MASK
#define PAGE_SIZE 4096UL
#define PATH_MAX_LEN 4096
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/*
 * Logging. Library layers (proc, image, infect) return negative errno and
 * do not log; the layer that decides logs once. Messages are lowercase,
 * without a final period; paths in quotes.
 *
 * pr_err() prints "ckpt: <msg>" on stderr; pr_errno(r, ...) appends
 * ": strerror(-r)" and returns r, so that a caller can write
 *	return pr_errno(r, "cannot open '%s'", path);
 */
extern int log_level; /* 0 quiet, 1 normal, 2 verbose (-v) */
extern int log_fd; /* 2; the restore child logs into a pipe to its parent */

void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int pr_errno(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like pr_errno() for messages that already say why: no strerror suffix. */
int pr_fail(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Failures told from here on are about @context ("cannot dump 12: its
 * images would not restore"): a leading "cannot restore" of theirs gives
 * way to it. NULL ends it. */
void log_set_context(const char *context);
/* @s with control characters and bytes that are not ASCII as \xNN, and
 * with @backslash a backslash too (so that the result reads back
 * unambiguously); caller frees. Every message goes through it without
 * @backslash (vlog), so a name escaped already is shown as it is. */
char *str_escape_as(const char *s, bool backslash);
static inline char *str_escape(const char *s)
{
	return str_escape_as(s, true);
}
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Interruptions (SIGINT, SIGTERM, SIGHUP, SIGPIPE) while a dump runs:
 * catch_interrupts() makes them set a flag instead of killing ckpt (calls
 * are restarted). Every long step asks interrupted() and fails with
 * -EINTR; from the first interruption on, pr_err(), pr_errno() and
 * pr_fail() print nothing, since whatever fails then fails because of
 * it: the command tells it once, with pr_interrupted().
 * release_interrupts() puts the old dispositions back.
 */
void catch_interrupts(void);
void release_interrupts(void);
bool interrupted(void);
int pr_interrupted(const char *what);

/* Cleanup helpers, in the style of systemd. */
static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/*
 * Arithmetic on values from images: false when the result does not fit,
 * and then *ret is not to be used.
 */
static inline bool mul_ok(uint64_t a, uint64_t b, uint64_t *ret)
{
	return !__builtin_mul_overflow(a, b, ret);
}
static inline bool add_ok(uint64_t a, uint64_t b, uint64_t *ret)
{
	return !__builtin_add_overflow(a, b, ret);
}
/* [start, start + nr_pages pages) fits in 64 bits: its end in *ret_end. */
static inline bool pages_end_ok(uint64_t start, uint64_t nr_pages, uint64_t *ret_end)
{
	uint64_t len;

	return mul_ok(nr_pages, PAGE_SIZE, &len) && add_ok(start, len, ret_end);
}

/* Allocation that cannot fail quietly: aborts with a message on ENOMEM. */
void *xmalloc(size_t n);
/* Private anonymous memory of its own mapping (munmap it); aborts as
 * xmalloc does if there is none. */
void *xmap_anon(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Full reads and writes: 0 on success, -errno on failure (-EIO on short). */
int read_full(int fd, void *buf, size_t len);
/* One sendmsg() on @sk (MSG_NOSIGNAL): @len bytes of @buf with @nfds fds
 * (0 to SCM_MAX_FD, 253) as SCM_RIGHTS. 0, -EPROTO if it went short, or
 * -errno (EINTR included: the caller decides whether to send again). */
int sendmsg_fds(int sk, const void *buf, size_t len, const int *fds, size_t nfds);
int write_full(int fd, const void *buf, size_t len);
int pread_full(int fd, void *buf, size_t len, off_t off);
int pwrite_full(int fd, const void *buf, size_t len, off_t off);

/* Read a whole small file (e.g. under /proc) into a NUL-terminated buffer. */
int read_file(const char *path, char **ret_buf, size_t *ret_len);

/* @s ends with @suffix. */
bool str_ends(const char *s, const char *suffix);

/* Parse a non-negative decimal number that must fill the whole string. */
int parse_pid(const char *s, int *ret_pid);

uint64_t now_ns(int clock);

#endif
