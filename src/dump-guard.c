// SPDX-License-Identifier: GPL-2.0
/*
 * The dump guardian: a tree survives ckpt's death whole.
 *
 * A dump seizes without PTRACE_O_EXITKILL (seize.c), so a ckpt that dies
 * (SIGKILL, the OOM killer, a crash) leaves the tree detached by the
 * kernel, running on. But a few things ckpt did to it are given back only
 * by ckpt itself, at the end of the dump:
 *  - signals dequeued while seizing or stepping a thread (a tracer sees
 *    them in signal-delivery-stop, and they are gone from the queue once
 *    it lets the thread on);
 *  - a process in a group stop, taken out of it to run remote calls (the
 *    kernel itself puts a tracee back in its group stop when its tracer
 *    goes, if the group still counts as stopped, which it does while ckpt
 *    holds it: seen on 6.18; the guardian's SIGSTOP is the same as
 *    thaw_threads() sends, and covers a kernel that would not);
 *  - sockets: TCP connections in repair mode, the filter that drops the
 *    packets coming in while a connection or a listening socket is read,
 *    SO_PEEK_OFF moved by the read of a unix socket's queue;
 *  - the tree's cgroup, frozen while it is seized (cgroup-freeze.c).
 *
 * So before it seizes anything, a dump forks a guardian, connected by a
 * SOCK_SEQPACKET socketpair. Before each of these changes ckpt tells it
 * what to undo (with a dup of the socket, or a pidfd of the thread or
 * process, by SCM_RIGHTS); once ckpt has undone it itself it tells it to
 * forget. A message is in the guardian's queue as soon as send returns,
 * so a ckpt that dies right after still has it read. At the end ckpt
 * sends "done" and reaps it. If the socketpair reaches its end without
 * "done", ckpt is gone: the guardian undoes everything it still knows,
 * then exits.
 *
 * It runs as root in a session of its own and ignores the terminal
 * signals, so the tree's owner cannot kill it; it keeps none of ckpt's
 * fds but its end of the socketpair and what it is sent, and holds those
 * only until it exits. A process or thread is reached only through its
 * pidfd: never one that reused its pid.
 *
 * Requeuing a signal: the kernel lets a sender forge a siginfo for another
 * process only with si_code < 0 (and not SI_TKILL), root or not, so a
 * signal sent by sigqueue() goes back whole. Any other (sent by kill(),
 * or by the kernel: SIGCHLD, SIGALRM, ...) is sent again as a plain
 * signal: it is pending again, with the guardian as its sender. (ckpt
 * itself puts the exact siginfo back, by making the thread send it to
 * itself; the guardian cannot inject calls into a tree it does not trace.)
 *
 * Given back exactly once: a signal the guardian can forge, ckpt has the
 * guardian queue back even when it lives (DG_SIG_REQUEUE: queued and
 * forgotten in one step of the guardian, then answered), so that only one
 * process ever gives it back, whenever ckpt dies. Only a signal it cannot
 * forge is given back by ckpt's remote call, then forgotten
 * (DG_SIG_FORGET_ONE): a ckpt killed between the two has it queued twice
 * (nothing the guardian can read tells whether the call ran: the thread
 * may have taken the signal already).
 */
#include "dump-guard.h"

#include "util.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif
#ifndef TCP_REPAIR_OFF_NO_WP
#define TCP_REPAIR_OFF_NO_WP -1
#endif

enum dg_op {
	DG_SOCK = 1,
	DG_SOCK_FORGET,
	DG_SIG,
	DG_SIG_FORGET,
	DG_STOP,
	DG_STOP_FORGET,
	DG_DONE,
	DG_SIG_REQUEUE, /* queue @si of @key back now, forget it, answer */
	DG_SIG_FORGET_ONE, /* forget @si of @key */
	DG_SIG_MQ_ARM, /* that signal's registration call is starting */
	DG_THAW, /* a frozen cgroup: @what 1 for cgroup2, 0 for the v1 freezer */
	DG_THAW_FORGET,
};

struct dg_msg {
	int op;
	int key; /* ckpt's fd of the socket, or the tid / pid */
	int what, reuse, peek_off; /* DG_SOCK */
	siginfo_t si; /* DG_SIG, DG_SIG_REQUEUE, DG_SIG_FORGET_ONE, DG_SIG_MQ_ARM */
	int mq_pid, mq_fd; /* DG_SIG of a queue's notification, or 0, -1 */
};

/* One thing to undo, in the guardian. */
struct dg_item {
	int op; /* DG_SOCK, DG_SIG, DG_STOP or DG_THAW; 0 once forgotten */
	int key;
	int fd; /* the socket, or the pidfd */
	int what, reuse, peek_off;
	siginfo_t si;
	int mq_pid, mq_fd;
	bool mq_armed; /* the remote mq_notify was started */
};

static int guard_fd = -1;
static int guard_pid;

static int pidfd_open(int pid, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_signal(int pidfd, int sig, siginfo_t *si)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, si, 0);
}

/* ---- in the guardian ---- */

static void undo_sock(const struct dg_item *it)
{
	int zero = 0;

	if (it->what & DG_SK_REPAIR) {
		int off = TCP_REPAIR_OFF_NO_WP;

		/* As the normal resume does (sk-inet.c): out of repair
		 * mode, which clears SO_REUSEADDR. */
		(void)setsockopt(it->fd, SOL_TCP, TCP_REPAIR, &off, sizeof(off));
		if (it->reuse)
			(void)setsockopt(it->fd, SOL_SOCKET, SO_REUSEADDR, &it->reuse,
					 sizeof(it->reuse));
	}
	if (it->what & DG_SK_FILTER)
		(void)setsockopt(it->fd, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero));
	if (it->what & DG_SK_PEEK_OFF)
		(void)setsockopt(it->fd, SOL_SOCKET, SO_PEEK_OFF, &it->peek_off,
				 sizeof(it->peek_off));
}

static bool forgeable(const siginfo_t *si)
{
	return si->si_code < 0 && si->si_code != SI_TKILL;
}

/* The exact siginfo, to the thread (its pidfd is a thread's). */
static int requeue_exact(const struct dg_item *it)
{
	siginfo_t si = it->si;

	return pidfd_signal(it->fd, si.si_signo, &si) < 0 ? -errno : 0;
}

/* Is process @pid registered on the queue at its fd @fd? */
static bool mq_registered(int pid, int fd)
{
	char path[64], buf[256];
	struct statfs sfs;
	const char *p;
	ssize_t n;
	int qfd;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	if (statfs(path, &sfs) < 0 || sfs.f_type != MQUEUE_MAGIC)
		return false;
	qfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (qfd < 0)
		return false;
	n = pread(qfd, buf, sizeof(buf) - 1, 0);
	close(qfd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	p = strstr(buf, "NOTIFY_PID:");
	return p && atoi(p + strlen("NOTIFY_PID:")) == pid;
}

/*
 * The signal of a message queue notification that ckpt fired to learn it
 * (mq-notify.c) is given back only if the process is not registered on
 * the queue again: given back as well, it would be a notification while
 * registered, and the process's own mq_notify would then fail (EBUSY).
 * Once ckpt started the remote mq_notify (armed), that call runs to its
 * end without ckpt, but maybe only after the guardian looks (the kernel
 * lets the thread go after it closed ckpt's files): the guardian waits
 * for the registration, up to 2 s, before it gives the signal back. The
 * process is alive (its pidfd says so), so its pid is still its own.
 */
static bool mq_registered_again(const struct dg_item *it)
{
	if (it->mq_pid <= 0 || pidfd_signal(it->fd, 0, NULL) < 0)
		return false;
	for (int i = 0; it->mq_armed && i < 2000; i++) {
		struct timespec ms = { 0, 1000000 };

		if (mq_registered(it->mq_pid, it->mq_fd))
			return true;
		nanosleep(&ms, NULL);
	}
	return mq_registered(it->mq_pid, it->mq_fd);
}

static void undo_signal(const struct dg_item *it)
{
	if (mq_registered_again(it))
		return;
	/* Only si_code < 0 but SI_TKILL may be forged for another task
	 * (rt_sigqueueinfo); the others are sent again as plain signals. */
	if (forgeable(&it->si) && requeue_exact(it) == 0)
		return;
	(void)pidfd_signal(it->fd, it->si.si_signo, NULL);
}

static void undo(const struct dg_item *it)
{
	switch (it->op) {
	case DG_SOCK:
		undo_sock(it);
		break;
	case DG_SIG:
		undo_signal(it);
		break;
	case DG_STOP:
		/* Stopped again as thaw_threads() does: a SIGSTOP the
		 * process takes whether it is still traced or not (sent
		 * to one of its threads, it stops the whole group). */
		(void)pidfd_signal(it->fd, SIGSTOP, NULL);
		break;
	case DG_THAW:
		/* The fd is the cgroup's control file, open for writing. */
		(void)!pwrite(it->fd, it->what ? "0" : "THAWED", it->what ? 1 : 6, 0);
		break;
	}
}

static void forget(struct dg_item *items, size_t n, int op, int key)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].op == op && items[i].key == key) {
			close(items[i].fd);
			items[i].op = 0;
		}
}

/* The same signal: number, origin, sender and value. */
static bool same_signal(const siginfo_t *a, const siginfo_t *b)
{
	return a->si_signo == b->si_signo && a->si_code == b->si_code && a->si_pid == b->si_pid &&
	       a->si_value.sival_ptr == b->si_value.sival_ptr;
}

/* The first signal of thread @key still kept as @si, a plain one before
 * a message queue's (which keeps its condition, mq_registered_again), or
 * NULL. Two the same are as good as each other. */
static struct dg_item *find_signal(struct dg_item *items, size_t n, int key, const siginfo_t *si)
{
	size_t found = n;

	for (size_t i = 0; i < n; i++)
		if (items[i].op == DG_SIG && items[i].key == key && same_signal(&items[i].si, si) &&
		    (found == n || (items[found].mq_pid > 0 && items[i].mq_pid <= 0)))
			found = i;
	return found < n ? &items[found] : NULL;
}

/* DG_SIG_REQUEUE: queued and forgotten before ckpt hears of it, so that
 * it is never queued again, whenever ckpt dies. */
static void requeue_now(int gfd, struct dg_item *items, size_t n, const struct dg_msg *m)
{
	struct dg_item *it = find_signal(items, n, m->key, &m->si);
	int r = -ENOENT;

	if (it && forgeable(&it->si)) {
		r = requeue_exact(it);
		if (r == 0) {
			close(it->fd);
			it->op = 0;
		}
	}
	/* A ckpt gone meanwhile reads no answer: nothing lost. */
	(void)send(gfd, &r, sizeof(r), MSG_NOSIGNAL);
}

/* The fd a message carries, or -1. */
static int msg_fd(struct msghdr *mh)
{
	struct cmsghdr *c = CMSG_FIRSTHDR(mh);
	int fd = -1;

	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

static _Noreturn void guardian_main(int gfd, const sigset_t *mask)
{
	struct dg_item *items = NULL;
	size_t n = 0;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* Nothing of ckpt's but the socketpair: stdio on /dev/null, and no
	 * terminal signal from the tree's session. */
	for (int fd = 0; fd < 3; fd++)
		(void)dup2(null, fd);
	(void)dup2(gfd, 3);
	(void)syscall(SYS_close_range, 4, ~0U, 0);
	gfd = 3;
	(void)setsid();
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGQUIT, SIG_IGN);
	(void)signal(SIGTSTP, SIG_IGN);
	(void)signal(SIGTTIN, SIG_IGN);
	(void)signal(SIGTTOU, SIG_IGN);
	(void)prctl(PR_SET_NAME, "ckpt-guard", 0, 0, 0);
	sigprocmask(SIG_SETMASK, mask, NULL);
	for (;;) {
		struct dg_msg m;
		char ctl[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &m, sizeof(m) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		ssize_t got = recvmsg(gfd, &mh, MSG_CMSG_CLOEXEC);
		int fd;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break; /* ckpt is gone */
		fd = msg_fd(&mh);
		if ((size_t)got != sizeof(m))
			m.op = 0;
		if (m.op == DG_DONE)
			_exit(0);
		if (m.op == DG_SIG_REQUEUE) {
			requeue_now(gfd, items, n, &m);
		} else if (m.op == DG_SIG_FORGET_ONE) {
			struct dg_item *it = find_signal(items, n, m.key, &m.si);

			if (it) {
				close(it->fd);
				it->op = 0;
			}
		} else if (m.op == DG_SIG_MQ_ARM) {
			for (size_t i = 0; i < n; i++)
				if (items[i].op == DG_SIG && items[i].key == m.key &&
				    items[i].mq_pid > 0 && same_signal(&items[i].si, &m.si))
					items[i].mq_armed = true;
		} else if (m.op == DG_SOCK_FORGET || m.op == DG_SIG_FORGET ||
			   m.op == DG_STOP_FORGET || m.op == DG_THAW_FORGET) {
			forget(items, n, m.op - 1, m.key);
		} else if ((m.op == DG_SOCK || m.op == DG_SIG || m.op == DG_STOP ||
			    m.op == DG_THAW) &&
			   fd >= 0) {
			bool merged = false;

			/* A socket told again: more to undo, its first
			 * state kept. */
			for (size_t i = 0; m.op == DG_SOCK && i < n && !merged; i++)
				if (items[i].op == DG_SOCK && items[i].key == m.key) {
					if (!(items[i].what & DG_SK_REPAIR))
						items[i].reuse = m.reuse;
					if (!(items[i].what & DG_SK_PEEK_OFF))
						items[i].peek_off = m.peek_off;
					items[i].what |= m.what;
					merged = true;
				}
			if (merged) {
				close(fd);
				continue;
			}
			/* Out of memory it dies without undoing anything
			 * (ckpt lives): ckpt's next message then fails, and
			 * the dump with it. */
			items = xrealloc(items, (n + 1) * sizeof(*items));
			items[n++] = (struct dg_item){ .op = m.op,
						       .key = m.key,
						       .fd = fd,
						       .what = m.what,
						       .reuse = m.reuse,
						       .peek_off = m.peek_off,
						       .si = m.si,
						       .mq_pid = m.mq_pid,
						       .mq_fd = m.mq_fd };
			continue;
		}
		if (fd >= 0)
			close(fd);
	}
	/* ckpt died: sockets first (the tree may run already), signals,
	 * then the stops, which the requeued signals wait behind. */
	for (int op = DG_SOCK; op <= DG_STOP; op += 2)
		for (size_t i = 0; i < n; i++)
			if (items[i].op == op)
				undo(&items[i]);
	/* A frozen cgroup last: what was given back waits for it. */
	for (size_t i = 0; i < n; i++)
		if (items[i].op == DG_THAW)
			undo(&items[i]);
	_exit(0);
}

/* ---- in ckpt ---- */

int dguard_start(void)
{
	int sp[2];
	pid_t pid;

	sigset_t all, old;
	int r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	/* No signal for the guardian before it ignores them: a ^C to
	 * ckpt's group must not kill it on its way out of the group. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		guardian_main(sp[1], &old);
	}
	r = pid < 0 ? -errno : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sp[1]);
	if (r < 0) {
		close(sp[0]);
		return r;
	}
	guard_fd = sp[0];
	guard_pid = pid;
	return 0;
}

static int send_msg(const struct dg_msg *m, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (guard_fd < 0)
		return 0;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	}
	for (;;) {
		if (sendmsg(guard_fd, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(*m))
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* A message @op about @key, every other field 0. */
static void msg_init(struct dg_msg *m, int op, int key)
{
	memset(m, 0, sizeof(*m));
	m->op = op;
	m->key = key;
}

/* The same about signal @si of thread @tid. */
static void sig_msg_init(struct dg_msg *m, int op, int tid, const siginfo_t *si)
{
	msg_init(m, op, tid);
	m->si = *si;
}

static void send_op(int op, int key)
{
	struct dg_msg m;

	msg_init(&m, op, key);
	(void)send_msg(&m, -1);
}

static void send_sig_op(int op, int tid, const siginfo_t *si)
{
	struct dg_msg m;

	sig_msg_init(&m, op, tid, si);
	(void)send_msg(&m, -1);
}

void dguard_done(void)
{
	int status;

	if (guard_fd < 0)
		return;
	send_op(DG_DONE, 0);
	close(guard_fd);
	guard_fd = -1;
	while (waitpid(guard_pid, &status, 0) < 0 && errno == EINTR)
		;
}

int dguard_sock(int sk, int what, int reuse, int peek_off)
{
	struct dg_msg m;

	msg_init(&m, DG_SOCK, sk);
	m.what = what;
	m.reuse = reuse;
	m.peek_off = peek_off;
	return send_msg(&m, sk);
}

void dguard_sock_forget(int sk)
{
	send_op(DG_SOCK_FORGET, sk);
}

/* @m with a pidfd of thread @tid. */
static int send_with_pidfd(struct dg_msg *m, int tid)
{
	int pidfd, r;

	if (guard_fd < 0)
		return 0;
	pidfd = pidfd_open(tid, PIDFD_THREAD);
	if (pidfd < 0)
		return -errno;
	r = send_msg(m, pidfd);
	close(pidfd);
	return r;
}

int dguard_signal(int tid, const siginfo_t *si)
{
	struct dg_msg m;

	sig_msg_init(&m, DG_SIG, tid, si);
	return send_with_pidfd(&m, tid);
}

void dguard_signals_forget(int tid)
{
	send_op(DG_SIG_FORGET, tid);
}

bool dguard_can_requeue(const siginfo_t *si)
{
	return guard_fd >= 0 && forgeable(si);
}

int dguard_requeue(int tid, const siginfo_t *si)
{
	struct dg_msg m;
	ssize_t got;
	int r, answer;

	if (guard_fd < 0)
		return -ENOTCONN;
	sig_msg_init(&m, DG_SIG_REQUEUE, tid, si);
	r = send_msg(&m, -1);
	if (r < 0)
		return r;
	do
		got = recv(guard_fd, &answer, sizeof(answer), 0);
	while (got < 0 && errno == EINTR);
	/* No answer: the guardian died (out of memory) before or after it
	 * queued it: ckpt gives it back, queued twice at worst. */
	if (got != (ssize_t)sizeof(answer))
		return -EPIPE;
	return answer > 0 ? -EINVAL : answer;
}

int dguard_signal_mq(int tid, const siginfo_t *si, int pid, int fd)
{
	struct dg_msg m;

	sig_msg_init(&m, DG_SIG, tid, si);
	m.mq_pid = pid;
	m.mq_fd = fd;
	return send_with_pidfd(&m, tid);
}

void dguard_signal_mq_arm(int tid, const siginfo_t *si)
{
	send_sig_op(DG_SIG_MQ_ARM, tid, si);
}

void dguard_signal_forget(int tid, const siginfo_t *si)
{
	send_sig_op(DG_SIG_FORGET_ONE, tid, si);
}

int dguard_stop(int pid)
{
	struct dg_msg m;

	msg_init(&m, DG_STOP, pid);
	return send_with_pidfd(&m, pid);
}

void dguard_stop_forget(int pid)
{
	send_op(DG_STOP_FORGET, pid);
}

int dguard_thaw(int ctl, bool v2)
{
	struct dg_msg m;

	msg_init(&m, DG_THAW, 0);
	m.what = v2;
	return send_msg(&m, ctl);
}

void dguard_thaw_forget(void)
{
	send_op(DG_THAW_FORGET, 0);
}
