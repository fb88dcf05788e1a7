// SPDX-License-Identifier: GPL-2.0
/*
 * Time namespaces: the offsets of CLOCK_MONOTONIC and CLOCK_BOOTTIME, in
 * time-ID.img with the clocks as read inside at the dump.
 *
 * The kernel takes offsets only before any process is in the namespace,
 * so clone3(CLONE_NEWTIME) cannot make it: the owner, right after it was
 * created, unshares a time namespace for its children, writes the offsets
 * into /proc/self/timens_offsets and enters it (setns, which a process
 * with one thread may do).
 *
 * The offsets given are those that make both clocks inside go on from
 * where they were at the dump: they do not jump by the time the tree was
 * away, nor go back on another machine or after a reboot (README).
 */
#include "ns.h"

#include "fault.h"
#include "imgdir.h"
#include "restore.h"
#include "util.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define NSEC 1000000000LL
#define CLOCK_MAX_NS (1LL << 62) /* far beyond any uptime */

static int64_t clock_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* "monotonic S NS\nboottime S NS\n" */
static int parse_offsets(const char *text, int64_t *mono, int64_t *boot)
{
	const char *p = text;
	int found = 0;

	while (*p) {
		char name[32];
		long long s;
		long ns;
		int n = 0;

		if (sscanf(p, "%31s %lld %ld%n", name, &s, &ns, &n) != 3 || ns < 0 || ns >= NSEC ||
		    s > CLOCK_MAX_NS / NSEC || s < -CLOCK_MAX_NS / NSEC)
			return -EINVAL;
		if (!strcmp(name, "monotonic"))
			*mono = s * NSEC + ns, found |= 1;
		else if (!strcmp(name, "boottime"))
			*boot = s * NSEC + ns, found |= 2;
		p += n;
		p += strspn(p, "\n");
	}
	return found == 3 ? 0 : -EINVAL;
}

/*
 * The offsets of the namespace @nsfd: a child of ckpt enters it (setns
 * wants a process of one thread) and reads them from /proc/self, which
 * shows those of the namespace it is in once it entered.
 */
static int read_offsets(int nsfd, int64_t *mono, int64_t *boot)
{
	char text[256] = "";
	int pipefd[2], status, pid;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (pid == 0) {
		int fd;

		close(pipefd[0]);
		if (setns(nsfd, CLONE_NEWTIME) < 0)
			_exit(1);
		fd = open("/proc/self/timens_offsets", O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
		_exit(n > 0 && write(pipefd[1], text, (size_t)n) == n ? 0 : 1);
	}
	close(pipefd[1]);
	/* One write of less than PIPE_BUF: one read. */
	while ((n = read(pipefd[0], text, sizeof(text) - 1)) < 0 && errno == EINTR)
		;
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO;
	text[n] = 0;
	return parse_offsets(text, mono, boot);
}

static int time_dump(const struct ns_dump *d)
{
	TimeNsEntry e = TIME_NS_ENTRY__INIT;
	int64_t mono = 0, boot = 0;
	int r = read_offsets(d->nsfd, &mono, &boot);

	if (r < 0)
		return pr_errno(
			r, "cannot dump: cannot read the clock offsets of the time namespace of %d",
			d->pid);
	e.monotonic_off_ns = mono;
	e.boottime_off_ns = boot;
	e.monotonic_ns = (uint64_t)(clock_now(CLOCK_MONOTONIC) + mono);
	e.boottime_ns = (uint64_t)(clock_now(CLOCK_BOOTTIME) + boot);
	r = FAULT_OR(dump_write_ns, -ENOSPC,
		     img_write_msg(d->dir->dirfd, IMG_NS_TIME, (int)d->id, &e.base));
	return r < 0 ? pr_errno(r, "cannot write images in '%s'", d->dir->tmp) : 0;
}

struct time_state {
	int64_t mono_off, boot_off; /* to write */
};

static int time_prepare(struct restore *rs, struct ns_restore *n)
{
	TimeNsEntry *e = NULL;
	struct time_state *st;
	int r = img_read_msg(rs->dirfd, IMG_NS_TIME, (int)n->id, &time_ns_entry__descriptor,
			     (ProtobufCMessage **)&e);

	if (r < 0) {
		_cleanup_free_ char *name = img_name(IMG_NS_TIME, (int)n->id);

		return pr_fail(r, "cannot restore: cannot read image '%s': %s", name,
			       img_strerror(r));
	}
	if (e->monotonic_ns > CLOCK_MAX_NS || e->boottime_ns > CLOCK_MAX_NS ||
	    e->monotonic_ns > e->boottime_ns) {
		protobuf_c_message_free_unpacked(&e->base, NULL);
		return img_inconsistent(IMG_NS_TIME, (int)n->id, "clocks");
	}
	st = xzalloc(sizeof(*st));
	/* From here on, the clocks inside read what they did at the dump. */
	st->mono_off = (int64_t)e->monotonic_ns - clock_now(CLOCK_MONOTONIC);
	st->boot_off = (int64_t)e->boottime_ns - clock_now(CLOCK_BOOTTIME);
	n->state = st;
	protobuf_c_message_free_unpacked(&e->base, NULL);
	return 0;
}

static void split(int64_t v, long long *s, long *ns)
{
	*s = v / NSEC;
	*ns = (long)(v % NSEC);
	if (*ns < 0) {
		*ns += NSEC;
		(*s)--;
	}
}

static int time_restore(struct restore *rs, struct ns_restore *n)
{
	const struct time_state *st = n->state;
	char text[128];
	long long ms, bs;
	long mns, bns;
	int fd, r = 0, len;

	split(st->mono_off, &ms, &mns);
	split(st->boot_off, &bs, &bns);
	len = snprintf(text, sizeof(text), "monotonic %lld %ld\nboottime %lld %ld\n", ms, mns, bs,
		       bns);
	if (FAULT_OR(restore_ns_time, (errno = EPERM, -1), unshare(CLONE_NEWTIME)) < 0)
		return pr_errno(-errno, "cannot restore: cannot make time namespace %u", n->id);
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, (size_t)len) != len)
		r = pr_errno(-errno,
			     "cannot restore: cannot set the clock offsets of time namespace %u",
			     n->id);
	if (fd >= 0)
		close(fd);
	if (r < 0)
		return r;
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
		r = pr_errno(-errno, "cannot restore: cannot enter time namespace %u", n->id);
	if (fd >= 0)
		close(fd);
	return r;
}

static void time_release(struct ns_restore *n)
{
	free(n->state);
	n->state = NULL;
}

static void time_show(int dirfd, uint32_t id)
{
	TimeNsEntry *e = NULL;

	if (img_read_msg(dirfd, IMG_NS_TIME, (int)id, &time_ns_entry__descriptor,
			 (ProtobufCMessage **)&e) < 0)
		return;
	printf("  offsets: monotonic %.9f s, boottime %.9f s; clocks inside at the dump: monotonic %.3f s, boottime %.3f s\n",
	       (double)e->monotonic_off_ns / NSEC, (double)e->boottime_off_ns / NSEC,
	       (double)e->monotonic_ns / NSEC, (double)e->boottime_ns / NSEC);
	protobuf_c_message_free_unpacked(&e->base, NULL);
}

const struct ns_ops ns_time_ops = {
	.name = "time",
	.clone_flag = 0, /* made in time_restore: see above */
	.dump = time_dump,
	.prepare = time_prepare,
	.restore = time_restore,
	.release = time_release,
	.show = time_show,
};
