// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX message queue notifications (mq_notify): the process that
 * registered one gets a signal (or nothing, SIGEV_NONE) when a message
 * arrives in the queue while it is empty, and the registration ends then.
 *
 * The kernel shows a registration in the queue's status line (a read of
 * the queue file): NOTIFY (sigev_notify), SIGNO and NOTIFY_PID (the
 * process), but nowhere its sigev_value, which the signal carries. So the
 * dump learns it by firing the notification once, in the frozen tree:
 *
 *  1. with the queue empty and held by no process outside the tree, ckpt
 *     sends it an empty message: the kernel queues the signal on the
 *     owner's process queue (si_code SI_MESGQ, si_value = sigev_value,
 *     si_pid = ckpt) and drops the registration;
 *  2. ckpt reads that signal (PTRACE_PEEKSIGINFO) and takes its message
 *     back out of the queue at once;
 *  3. it tells the dump guardian of the signal, then takes it off the
 *     queue with a remote rt_sigtimedwait (or, when the thread does not
 *     block it, it is taken as it resumes for that call: infect.c keeps
 *     it);
 *  4. a remote mq_notify in the owner registers it again, as it was, and
 *     the guardian forgets the signal.
 *
 * A ckpt killed between 1 and 2 leaves the process a notification and an
 * empty message in its queue. From 3 on the guardian gives the signal
 * back unless the process is registered again (dump-guard.c): a ckpt
 * killed before 4 leaves the process told of a message that is not there,
 * and no longer registered, as after a notification whose message another
 * reader took; one killed in the call of 4 leaves it registered (the call
 * runs to its end, the guardian waits for it). Killed in the call of 3
 * while the thread does not block the signal, the kernel delivers the
 * signal too: the process may be told twice (README).
 *
 * A notification that can be fired only with harm is refused: to a thread
 * (SIGEV_THREAD: glibc's helper thread and netlink socket), by a signal
 * that stops, continues or kills, by a signal already pending in the
 * process (a second one would merge into it, or be dequeued in its
 * place), or on a queue holding messages (the notification cannot fire).
 *
 * Restore registers it again from the restored process, once its fds
 * exist and the restorer's are closed (closing any fd of the queue in
 * the owner ends a registration).
 */
#include "dump-guard.h"
#include "ns.h"
#include "fault.h"
#include "files.h"
#include "kinds.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define NSIG_KERNEL 64
#define SIGSET_SIZE 8
#define MAX_NOTIFY 4096 /* at most one per queue: bounded by the fds */

int mq_status_read(int fd, struct mq_status *out)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	const char *no, *sig, *pid;

	if (n < 0)
		return -errno;
	buf[n] = 0;
	no = strstr(buf, "NOTIFY:");
	sig = strstr(buf, "SIGNO:");
	pid = strstr(buf, "NOTIFY_PID:");
	if (!no || !sig || !pid)
		return -EINVAL;
	out->notify = atoi(no + strlen("NOTIFY:"));
	out->signo = atoi(sig + strlen("SIGNO:"));
	out->pid = atoi(pid + strlen("NOTIFY_PID:"));
	return 0;
}

/* What firing would do besides notifying: stop, continue or kill. */
static bool signal_unsafe(int sig)
{
	return sig == SIGKILL || sig == SIGSTOP || sig == SIGCONT || sig == SIGTSTP ||
	       sig == SIGTTIN || sig == SIGTTOU;
}

struct wanted {
	int sig;
	int from;
	siginfo_t *ret;
};

static int is_wanted(const siginfo_t *si, void *arg)
{
	struct wanted *w = arg;

	if (si->si_signo != w->sig)
		return 0;
	if (!w->ret)
		return 1;
	if (si->si_code == SI_MESGQ && si->si_pid == w->from) {
		*w->ret = *si;
		return 1;
	}
	return 0;
}

/* Is signal @sig in the queue of @tid (@shared: of its process)? Its
 * siginfo in *@ret when @from (the sender) and SI_MESGQ match, if @ret. */
static int find_pending(int tid, bool shared, int sig, int from, siginfo_t *ret)
{
	struct wanted w = { sig, from, ret };

	return signals_peek(tid, shared, is_wanted, &w);
}

struct learn {
	struct infect *inf;
	struct seized_task *leader;
	const int *pids;
	size_t nr_pids;
	int pid, fd, own; /* the owner, its fd of the queue, ckpt's */
	const char *link;
	struct mq_status st;
};

static int refuse(const struct learn *l, const char *why)
{
	_cleanup_free_ char *name = str_escape(l->link);

	return pr_fail(
		-EOPNOTSUPP,
		"cannot dump %d: fd %d is a message queue '%s' with a notification registered (mq_notify) %s",
		l->pid, l->fd, name, why);
}

/* Take @si off the process's queue: a remote rt_sigtimedwait, or the
 * resume for it when the thread does not block it (kept by infect.c in a
 * task of ours: the others it keeps go to the leader as usual). */
static int dequeue(const struct learn *l, const siginfo_t *si)
{
	struct seized_task *tmp = xzalloc(sizeof(*tmp));
	struct infect inf = *l->inf;
	struct timespec zero = { 0, 0 };
	uint64_t set = 1ULL << (si->si_signo - 1);
	bool got = false;
	long ret = 0;
	int r;

	inf.task = tmp;
	r = remote_write(inf.pid, inf.scratch, &set, sizeof(set));
	if (r == 0)
		r = remote_write(inf.pid, inf.scratch + 256, &zero, sizeof(zero));
	if (r == 0)
		r = infect_syscall6(&inf, SYS_rt_sigtimedwait, &ret, inf.scratch, inf.scratch + 128,
				    inf.scratch + 256, SIGSET_SIZE, 0, 0);
	l->inf->stack_lo = inf.stack_lo;
	got = r == 0 && ret == si->si_signo;
	for (int i = 0; i < tmp->nr_stolen; i++) {
		struct seized_task *t = l->leader;

		if (!got && tmp->stolen[i].si_signo == si->si_signo &&
		    tmp->stolen[i].si_code == SI_MESGQ && tmp->stolen[i].si_pid == si->si_pid) {
			/* Told to the guardian twice now: once is enough. */
			dguard_signal_forget(inf.pid, si);
			got = true;
		} else if (t->nr_stolen < MAX_STOLEN_SIGNALS) {
			t->stolen[t->nr_stolen++] = tmp->stolen[i];
		}
	}
	free(tmp);
	pr_debug("%d: notification signal %s", inf.pid,
		 r < 0		       ? "not taken"
		 : ret == si->si_signo ? "taken by sigtimedwait"
				       : "kept on resume");
	if (r < 0)
		return r;
	return got ? 0 : -EAGAIN;
}

/* The process sends @si to itself again (the kernel keeps its siginfo). */
static void requeue(const struct learn *l, const siginfo_t *si)
{
	long ret;

	if (remote_write(l->inf->pid, l->inf->scratch, si, sizeof(*si)) == 0)
		(void)infect_syscall3(l->inf, SYS_rt_sigqueueinfo, &ret, ns_own_pid(l->pid),
				      si->si_signo, l->inf->scratch);
}

static int reregister(const struct learn *l, const struct sigevent *sev)
{
	long ret;
	int r = remote_write(l->inf->pid, l->inf->scratch, sev, sizeof(*sev));

	if (r == 0)
		r = infect_syscall3(l->inf, SYS_mq_notify, &ret, l->fd, l->inf->scratch, 0);
	return r < 0 ? r : (int)ret;
}

/* Steps 1 to 4 above; the sigev_value in *@ret. */
static int fire(const struct learn *l, uint64_t *ret)
{
	_cleanup_free_ char *name = str_escape(l->link);
	struct sigevent sev;
	struct mq_attr a;
	siginfo_t si;
	unsigned int prio;
	char *buf;
	ssize_t len;
	int r;

	if (syscall(SYS_mq_getsetattr, l->own, NULL, &a) < 0)
		return pr_errno(-errno, "cannot dump %d: cannot read the message queue '%s'",
				l->pid, name);
	r = FAULT_OR(dump_mq_notify, -EAGAIN,
		     syscall(SYS_mq_timedsend, l->own, "", 0, 0, NULL) < 0 ? -errno : 0);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot fire the notification of '%s' at fd %d",
				l->pid, name, l->fd);
	r = find_pending(l->pid, true, l->st.signo, getpid(), &si);
	/* Our message out again at once, whatever the signal. */
	buf = xmalloc((size_t)a.mq_msgsize + 1);
	len = syscall(SYS_mq_timedreceive, l->own, buf, (size_t)a.mq_msgsize, &prio, NULL);
	free(buf);
	if (r <= 0 || len != 0)
		return pr_errno(
			r < 0 ? r : -EIO,
			"cannot dump %d: the notification of '%s' at fd %d sent no signal: it is lost",
			l->pid, name, l->fd);
	r = dguard_signal_mq(l->pid, &si, l->pid, l->fd);
	if (r >= 0)
		r = dequeue(l, &si);
	if (r < 0) {
		dguard_signal_forget(l->pid, &si);
		return pr_errno(
			r,
			"cannot dump %d: cannot take the notification signal of '%s' at fd %d off its queue",
			l->pid, name, l->fd);
	}
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = l->st.signo;
	sev.sigev_value = si.si_value;
	dguard_signal_mq_arm(l->pid, &si);
	r = reregister(l, &sev);
	if (r < 0) {
		/* It is told of a message it will not find: better than no
		 * word ever again. */
		requeue(l, &si);
		dguard_signal_forget(l->pid, &si);
		return pr_errno(r, "cannot dump %d: cannot register the notification of '%s' again",
				l->pid, name);
	}
	dguard_signal_forget(l->pid, &si);
	*ret = (uint64_t)si.si_value.sival_ptr;
	return 0;
}

static int learn(const struct learn *l, TaskCoreEntry *core)
{
	MqNotifyEntry *n;
	struct mq_attr a;
	uint64_t value = 0;
	int r;

	if (l->st.notify == SIGEV_THREAD)
		return refuse(
			l,
			"to a thread (SIGEV_THREAD, through a netlink socket), which is not restored");
	if (l->st.notify != SIGEV_SIGNAL && l->st.notify != SIGEV_NONE)
		return refuse(l, "of a kind ckpt does not know");
	if (l->st.notify == SIGEV_SIGNAL && l->st.signo) {
		if (l->st.signo < 0 || l->st.signo > NSIG_KERNEL || signal_unsafe(l->st.signo))
			return refuse(l, "by a signal that ckpt does not send to learn its value");
		if (syscall(SYS_mq_getsetattr, l->own, NULL, &a) < 0)
			return pr_errno(-errno,
					"cannot dump %d: cannot read the message queue at fd %d",
					l->pid, l->fd);
		if (a.mq_curmsgs)
			return refuse(l, "while it holds messages: its value cannot be learned");
		int out = fd_link_holder_outside(l->pids, l->nr_pids, l->link);

		if (out) {
			_cleanup_free_ char *name = str_escape(l->link);

			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: fd %d is a message queue '%s' with a notification registered (mq_notify), which process %d, outside the tree, holds too",
				l->pid, l->fd, name, out);
		}
		r = find_pending(l->pid, true, l->st.signo, 0, NULL);
		if (r == 0)
			r = find_pending(l->pid, false, l->st.signo, 0, NULL);
		if (r < 0)
			return pr_errno(r, "cannot read the pending signals of %d", l->pid);
		if (r > 0)
			return refuse(l,
				      "by a signal already pending: its value cannot be learned");
		r = fire(l, &value);
		if (r < 0)
			return r;
	}
	n = xmalloc(sizeof(*n));
	mq_notify_entry__init(n);
	n->fd = (uint32_t)l->fd;
	n->notify = (uint32_t)l->st.notify;
	n->signo = (uint32_t)l->st.signo;
	n->sigval = value;
	core->mq_notify = xrealloc(core->mq_notify, (core->n_mq_notify + 1) * sizeof(n));
	core->mq_notify[core->n_mq_notify++] = n;
	pr_debug("%d: mq_notify on fd %d: notify %d signal %d value %#llx", l->pid, l->fd,
		 l->st.notify, l->st.signo, (unsigned long long)value);
	return 0;
}

struct seen {
	dev_t dev;
	ino_t ino;
};

int mq_notify_dump(struct infect *inf, struct seized_task *leader, const int *pids, size_t nr_pids,
		   TaskCoreEntry *core)
{
	struct learn l = { .inf = inf, .leader = leader, .pids = pids, .nr_pids = nr_pids };
	_cleanup_free_ struct seen *seen = NULL;
	size_t nr_seen = 0;
	char path[64];
	struct dirent *e;
	DIR *d;
	int r = 0;

	l.pid = leader->pid;
	snprintf(path, sizeof(path), "/proc/%d/fd", l.pid);
	d = opendir(path);
	if (!d)
		return pr_errno(-errno, "cannot read '%s'", path);
	while (r >= 0 && (e = readdir(d))) {
		_cleanup_close_ int own = -1;
		char link[PATH_MAX];
		bool dup = false;
		struct stat st;
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		l.fd = atoi(e->d_name);
		if (!fd_on_mqueue(l.pid, l.fd))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", l.pid, l.fd);
		own = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		n = own < 0 ? -1 : readlink(path, link, sizeof(link) - 1);
		r = own < 0 || n < 0 || fstat(own, &st) < 0 ? -errno : mq_status_read(own, &l.st);
		if (r < 0) {
			r = pr_errno(r, "cannot dump %d: cannot read the message queue at fd %d",
				     l.pid, l.fd);
			break;
		}
		link[n] = 0;
		for (size_t i = 0; i < nr_seen; i++)
			dup |= seen[i].dev == st.st_dev && seen[i].ino == st.st_ino;
		if (dup || l.st.pid != l.pid)
			continue;
		if (nr_seen >= MAX_NOTIFY) {
			r = pr_fail(-E2BIG, "cannot dump %d: too many message queues", l.pid);
			break;
		}
		seen = xrealloc(seen, (nr_seen + 1) * sizeof(*seen));
		seen[nr_seen++] = (struct seen){ st.st_dev, st.st_ino };
		l.own = own;
		l.link = link;
		r = learn(&l, core);
	}
	closedir(d);
	return r;
}

int mq_notify_check(const TaskCoreEntry *core)
{
	if (core->n_mq_notify > MAX_NOTIFY)
		return pr_fail(-EBADMSG, "cannot restore %u: %zu message queue notifications",
			       core->pid, core->n_mq_notify);
	for (size_t i = 0; i < core->n_mq_notify; i++) {
		const MqNotifyEntry *n = core->mq_notify[i];
		bool ok = n->fd <= INT32_MAX;

		if (n->notify == SIGEV_NONE)
			ok &= !n->signo && !n->sigval;
		else if (n->notify == SIGEV_SIGNAL)
			ok &= n->signo <= NSIG_KERNEL && !signal_unsafe((int)n->signo) &&
			      (n->signo || !n->sigval);
		else
			ok = false;
		for (size_t k = 0; k < i; k++)
			ok &= core->mq_notify[k]->fd != n->fd;
		if (!ok)
			return pr_fail(
				-EBADMSG,
				"cannot restore %u: a message queue notification (fd %u, kind %u, signal %u) in the image",
				core->pid, n->fd, n->notify, n->signo);
	}
	return 0;
}

int mq_notify_restore_late(struct infect *inf, int pid, const TaskCoreEntry *core)
{
	for (size_t i = 0; i < core->n_mq_notify; i++) {
		const MqNotifyEntry *n = core->mq_notify[i];
		struct sigevent sev;
		long ret = 0;
		int r;

		if (!fd_on_mqueue(pid, (int)n->fd))
			return pr_fail(
				-EBADMSG,
				"cannot restore %d: fd %u, with a notification, is not a message queue",
				pid, n->fd);
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = (int)n->notify;
		sev.sigev_signo = (int)n->signo;
		sev.sigev_value.sival_ptr = (void *)n->sigval;
		r = remote_write(inf->pid, inf->scratch, &sev, sizeof(sev));
		if (r == 0)
			r = FAULT_OR(
				restore_mq_notify, -EBUSY,
				infect_syscall3(inf, SYS_mq_notify, &ret, n->fd, inf->scratch, 0));
		if (r < 0 || ret < 0)
			return pr_errno(
				r < 0 ? r : (int)ret,
				"cannot restore %d: cannot register the notification of the message queue at fd %u",
				pid, n->fd);
	}
	return 0;
}
