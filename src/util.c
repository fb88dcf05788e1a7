// SPDX-License-Identifier: GPL-2.0
#include "util.h"

#include "progress.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

int log_level = 1;
int log_fd = 2;

static volatile sig_atomic_t got_interrupt;
static const char *log_context; /* log_set_context() */
static bool failure_told;

char *str_escape_as(const char *s, bool backslash)
{
	char *out = xmalloc(4 * strlen(s) + 1), *p = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f || (backslash && c == '\\'))
			p += snprintf(p, 5, "\\x%02x", c);
		else
			*p++ = (char)c;
	}
	*p = 0;
	return out;
}

static void vlog(const char *prefix, const char *fmt, va_list ap, int err)
{
	char raw[1024];
	_cleanup_free_ char *msg = NULL;

	/* The failure is told once, as an interruption (pr_interrupted). */
	if (got_interrupt && !strcmp(prefix, "ckpt: "))
		return;
	failure_told |= !strcmp(prefix, "ckpt: ");
	/* The message takes the place of the progress line on a terminal. */
	if (log_fd == STDERR_FILENO)
		progress_clear();
	/*
	 * A message is one line, whatever it quotes: names from images, from
	 * /proc or from the user may hold newlines or terminal escapes (8-bit
	 * C1 controls are controls to some terminals too): at most as long
	 * as what was formatted.
	 */
	vsnprintf(raw, sizeof(raw), fmt, ap);
	msg = str_escape_as(raw, false);
	msg[MIN(strlen(msg), sizeof(raw) - 1)] = 0;
	if (log_context && !strcmp(prefix, "ckpt: ")) {
		/* "cannot restore: why" or "cannot restore 12: why" -> "why",
		 * "12: why", after the context. */
		const char *m = msg;

		if (!strncmp(m, "cannot restore", 14)) {
			m += 14;
			m += strspn(m, ": ");
		}
		dprintf(log_fd, "%s%s: %s%s%s\n", prefix, log_context, m, err ? ": " : "",
			err ? strerror(err) : "");
		return;
	}
	if (err)
		dprintf(log_fd, "%s%s: %s\n", prefix, msg, strerror(err));
	else
		dprintf(log_fd, "%s%s\n", prefix, msg);
}

void log_set_context(const char *context)
{
	log_context = context;
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("ckpt: ", fmt, ap, 0);
	va_end(ap);
}

int pr_errno(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("ckpt: ", fmt, ap, r < 0 ? -r : r);
	va_end(ap);
	return r < 0 ? r : -r;
}

int pr_fail(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("ckpt: ", fmt, ap, 0);
	va_end(ap);
	return r < 0 ? r : -r;
}

static const int interrupt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
static struct sigaction old_actions[ARRAY_SIZE(interrupt_signals)];
static bool catching;

static void on_interrupt(int sig)
{
	(void)sig;
	got_interrupt = 1;
}

void catch_interrupts(void)
{
	struct sigaction sa = { .sa_handler = on_interrupt, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(interrupt_signals); i++)
		(void)sigaction(interrupt_signals[i], &sa, &old_actions[i]);
	catching = true;
}

void release_interrupts(void)
{
	if (!catching)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(interrupt_signals); i++)
		(void)sigaction(interrupt_signals[i], &old_actions[i], NULL);
	catching = false;
}

bool interrupted(void)
{
	return got_interrupt;
}

int pr_interrupted(const char *what)
{
	/* Interrupted after it failed for a reason of its own, told already. */
	if (!failure_told)
		dprintf(log_fd, "ckpt: cannot %s: interrupted\n", what);
	return -EINTR;
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < 1)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap, 0);
	va_end(ap);
}

/* -v lines carry the time since the first of them, to see where a dump or
 * a restore spends it. */
void pr_debug(const char *fmt, ...)
{
	static uint64_t t0;
	char prefix[48];
	uint64_t t;
	va_list ap;

	if (log_level < 2)
		return;
	t = now_ns(CLOCK_MONOTONIC);
	if (!t0)
		t0 = t;
	snprintf(prefix, sizeof(prefix), "ckpt: [%4llu.%03llu] ",
		 (unsigned long long)(t - t0) / 1000000000ULL,
		 (unsigned long long)(t - t0) / 1000000ULL % 1000);
	va_start(ap, fmt);
	vlog(prefix, fmt, ap, 0);
	va_end(ap);
}

static void oom(void)
{
	fputs("ckpt: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xmap_anon(size_t n)
{
	void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		oom();
	return p;
}

void *xzalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return p;
}

int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

int pread_full(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

int pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

int read_file(const char *path, char **ret_buf, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *buf;

	if (fd < 0)
		return -errno;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = 0;
	*ret_buf = buf;
	if (ret_len)
		*ret_len = len;
	return 0;
}

bool str_ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

int parse_pid(const char *s, int *ret_pid)
{
	char *end;
	long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 0x3fffffff)
		return -EINVAL;
	*ret_pid = (int)v;
	return 0;
}

uint64_t now_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#define SENDMSG_FDS_MAX 253 /* SCM_MAX_FD */

int sendmsg_fds(int sk, const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(SENDMSG_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > SENDMSG_FDS_MAX)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(u.buf, 0, CMSG_SPACE(nfds * sizeof(int)));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	n = sendmsg(sk, &mh, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EPROTO;
}
