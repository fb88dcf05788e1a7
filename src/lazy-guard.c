// SPDX-License-Identifier: GPL-2.0
/*
 * The guard of the lazy page daemon. If the daemon dies before every
 * page is in (killed, OOM), its userfaultfds close, the kernel drops the
 * registrations, and every page not copied yet would silently read as
 * zeros: a process running on wrong memory. So the daemon forks a guard
 * at its start, which holds a copy of each userfaultfd (the registrations
 * stay while it does: a thread that touches a missing page waits) and the
 * pidfd of each process. When the daemon's socket closes without its
 * "done", the guard stops and kills the processes it was given, with their
 * descendants (a child forked after the restore shares their missing
 * pages), then exits. A userfaultfd the daemon is finished with is closed
 * in the guard too (else its registration would outlive the daemon and
 * a fault there would wait forever).
 *
 * If both are killed, the pages are lost: README says so.
 */
#include "lazy.h"

#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

enum { GUARD_ADD = 1, GUARD_DONE, GUARD_EXIT };

struct guard_msg {
	uint32_t op, id;
	int32_t pid; /* GUARD_ADD: the process, 0 for a child forked since */
	uint32_t nfds; /* GUARD_ADD: the userfaultfd, and its pidfd if pid */
};

struct held {
	uint32_t id;
	int uffd, pidfd, pid;
};

static int guard_sk = -1;

static void send_guard(const struct guard_msg *m, const int *fds)
{
	int r;

	if (guard_sk < 0)
		return;
	r = sendmsg_fds(guard_sk, m, sizeof(*m), fds, m->nfds);
	/* A guard gone (killed) leaves the daemon alone, no worse. */
	if (r < 0 && r != -EPROTO) {
		close(guard_sk);
		guard_sk = -1;
	}
}

void lazy_guard_add(uint32_t id, int uffd, int pidfd, int pid)
{
	int fds[2] = { uffd, pidfd };
	struct guard_msg m = { GUARD_ADD, id, pid, pidfd >= 0 ? 2 : 1 };

	send_guard(&m, fds);
}

void lazy_guard_done(uint32_t id)
{
	struct guard_msg m = { GUARD_DONE, id, 0, 0 };

	send_guard(&m, NULL);
}

void lazy_guard_exit(void)
{
	struct guard_msg m = { GUARD_EXIT, 0, 0, 0 };

	send_guard(&m, NULL);
}

/* Stop @pid and its descendants (children of every thread), then kill
 * them: stopped first, none forks meanwhile. */
static void kill_tree(int pid, int depth)
{
	char path[64];
	DIR *d;
	struct dirent *e;

	(void)kill(pid, SIGSTOP);
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = depth < 64 ? opendir(path) : NULL;
	while (d && (e = readdir(d))) {
		char cpath[128];
		FILE *f;
		int child;

		if (e->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%.16s/children", pid, e->d_name);
		f = fopen(cpath, "re");
		while (f && fscanf(f, "%d", &child) == 1)
			kill_tree(child, depth + 1);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	(void)kill(pid, SIGKILL);
}

__attribute__((noreturn)) static void guard_main(int sk)
{
	struct held *h = NULL;
	size_t n = 0;
	bool done = false;

	(void)prctl(PR_SET_NAME, "ckpt-lazy-guard", 0, 0, 0);
	for (;;) {
		char cbuf[CMSG_SPACE(2 * sizeof(int))];
		struct guard_msg m;
		struct iovec iov = { &m, sizeof(m) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct cmsghdr *c;
		int fds[2] = { -1, -1 };
		ssize_t got;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		got = recvmsg(sk, &mh, MSG_CMSG_CLOEXEC);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		c = CMSG_FIRSTHDR(&mh);
		if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fds, CMSG_DATA(c),
			       MIN(c->cmsg_len - CMSG_LEN(0), sizeof(fds)) / sizeof(int) *
				       sizeof(int));
		if (got != sizeof(m))
			continue;
		if (m.op == GUARD_ADD && fds[0] >= 0) {
			h = xrealloc(h, (n + 1) * sizeof(*h));
			h[n++] = (struct held){ m.id, fds[0], m.pid ? fds[1] : -1, m.pid };
		} else if (m.op == GUARD_DONE) {
			for (size_t i = 0; i < n; i++)
				if (h[i].id == m.id && h[i].uffd >= 0) {
					close(h[i].uffd);
					h[i].uffd = -1;
				}
		} else if (m.op == GUARD_EXIT) {
			done = true;
		}
	}
	if (done)
		_exit(0);
	/* The daemon died with pages missing. */
	for (size_t i = 0; i < n; i++)
		if (h[i].uffd >= 0 && h[i].pidfd >= 0 &&
		    syscall(SYS_pidfd_send_signal, h[i].pidfd, 0, NULL, 0) == 0)
			kill_tree(h[i].pid, 0);
	syslog(LOG_ERR, "ckpt: lazy restore: the page daemon died before every page was in; "
			"its processes were killed");
	_exit(1);
}

int lazy_guard_start(void)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		/* Nothing of the daemon's but the socket. */
		if (dup3(sv[1], 3, O_CLOEXEC) < 0)
			_exit(1);
		(void)syscall(SYS_close_range, 4, ~0U, 0);
		guard_main(3);
	}
	close(sv[1]);
	guard_sk = sv[0];
	return 0;
}
