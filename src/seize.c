// SPDX-License-Identifier: GPL-2.0
#include "seize.h"

#include "dump-guard.h"
#include "proc.h"
#include "util.h"

#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

/*
 * What ckpt's own death does to the tree it holds.
 *
 * When a tracer dies, the kernel detaches its tracees (exit_ptrace) and
 * each goes on from the registers it has at that instant, with whatever
 * was done to it so far. With PTRACE_O_EXITKILL it is killed instead: the
 * job is lost whenever ckpt is (SIGKILL, the OOM killer, a crash). A dump
 * that leaves the tree running, and a pre-dump, must lose nothing, so a
 * dump seizes without it, and makes sure that at every instant a tracee
 * whose tracer vanishes either runs on exactly as it was, or dies:
 *  - its registers are its own except during a remote call (infect.c),
 *    which puts them back as soon as it returns; if ckpt dies during the
 *    call, the thread runs the call, then an rt_sigreturn through a
 *    signal frame ckpt wrote on its stack that holds its own registers
 *    (infect-frame.c). A process that has no `syscall; ret` or no
 *    rt_sigreturn restorer in its text gets EXITKILL for the duration of
 *    each call instead (seize_guard): a thread left pointing at an
 *    injected syscall is killed, never run;
 *  - nothing is taken out of its memory while the dump runs: freeing the
 *    pages as they are stored (--free-memory) keeps EXITKILL on throughout
 *    (seize_exitkill_always), since a process with holes in its memory
 *    must not go on;
 *  - an image set is complete and durable before anything is done that
 *    cannot be undone (the kill of a default dump, the keeper's new state
 *    for a pre-dump).
 * Signals dequeued while seizing, a group stop left to run remote calls,
 * and sockets in TCP repair mode are given back by the dump guardian if
 * ckpt dies before it gives them back itself (dump-guard.c).
 */
static bool exitkill_always = true;

struct seize_opts {
	int tid;
	long opts;
};

static struct seize_opts *opts_tab;
static size_t opts_nr;

void seize_exitkill_always(bool on)
{
	exitkill_always = on;
}

static struct seize_opts *opts_of(int tid)
{
	for (size_t i = 0; i < opts_nr; i++)
		if (opts_tab[i].tid == tid)
			return &opts_tab[i];
	opts_tab = xrealloc(opts_tab, (opts_nr + 1) * sizeof(*opts_tab));
	opts_tab[opts_nr] = (struct seize_opts){ .tid = tid };
	return &opts_tab[opts_nr++];
}

/* Syscall stops (a dump's remote calls, infect.c) say SIGTRAP|0x80 and
 * are told from a SIGTRAP sent to the task. */
static int set_options(int tid, long opts)
{
	opts |= PTRACE_O_TRACESYSGOOD;
	return ptrace(PTRACE_SETOPTIONS, tid, NULL, (void *)opts) < 0 ? -errno : 0;
}

int seize_set_options(int tid, long opts)
{
	opts_of(tid)->opts = opts;
	return set_options(tid, opts | (exitkill_always ? PTRACE_O_EXITKILL : 0));
}

int seize_guard(int tid, bool on)
{
	if (exitkill_always)
		return 0;
	return set_options(tid, opts_of(tid)->opts | (on ? PTRACE_O_EXITKILL : 0));
}

bool seize_guarded(void)
{
	return !exitkill_always;
}

/* The leader of @pid's thread group has exited (a zombie): SIGKILL. */
static bool leader_exited(int pid)
{
	struct proc_stat st;

	return proc_read_stat(pid, &st) < 0 || st.state == 'Z' || st.state == 'X';
}

/* Collect the exits of the other threads of @pid, which are ours. */
static void reap_other_threads(int pid)
{
	_cleanup_free_ int *tids = NULL;
	size_t nr = 0;

	if (proc_list_threads(pid, &tids, &nr) < 0)
		return;
	for (size_t i = 0; i < nr; i++)
		if (tids[i] != pid)
			(void)waitpid(tids[i], NULL, __WALL | WNOHANG);
}

/*
 * The kernel holds back the exit of a traced thread-group leader until
 * its tracer has collected the exits of all the other threads: a plain
 * waitpid() on a leader whose process was SIGKILLed under us never
 * returns. So wait with SIGCHLD (every change of a tracee sends one to
 * its tracer) blocked and taken with sigtimedwait, look at the leader
 * between two, and reap the other threads when it is a zombie.
 */
int ptrace_wait_stop(int pid, int *ret_status)
{
	const struct timespec tick = { 0, 100 * 1000 * 1000 };
	sigset_t chld, old;
	int status, r = 0, ticks = 0, wakes = 0;
	bool timed_out = false;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	for (;;) {
		pid_t w = waitpid(pid, &status, __WALL | WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		/* Every stop sends a SIGCHLD: /proc is only looked at when a
		 * whole tick passed without one (or after many of others'). */
		if (w == 0 && (timed_out || ++wakes % 16 == 0) && leader_exited(pid)) {
			reap_other_threads(pid);
			if (++ticks > 50) { /* 5 s: the exit will not come */
				r = -ESRCH;
				break;
			}
		}
		timed_out = sigtimedwait(&chld, NULL, &tick) < 0 && errno == EAGAIN;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return r;
	*ret_status = status;
	if (WIFEXITED(status) || WIFSIGNALED(status))
		return -ESRCH;
	return 0;
}

static bool is_interrupt_stop(int status)
{
	return WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP;
}

/*
 * Seizing a group-stopped task reports the group stop (WSTOPSIG is the stop
 * signal, not SIGTRAP), and a task in group stop cannot run a remote
 * syscall: a step only reports the stop again. One PTRACE_CONT lets it
 * leave the stop; our pending PTRACE_INTERRUPT traps it at once. Its
 * traps still say SIGSTOP while its group counts as stopped.
 */
static int leave_group_stop(struct seized_task *t)
{
	int status, r;

	if (ptrace(PTRACE_CONT, t->pid, NULL, NULL) < 0)
		return -errno;
	r = ptrace_wait_stop(t->pid, &status);
	if (r < 0)
		return r;
	return is_interrupt_stop(status) ? 0 : -EAGAIN;
}

/* Tasks seized and interrupted ahead of seize_task() (seize_ahead). */
static int *ahead;
static size_t ahead_nr;

static bool take_ahead(int tid)
{
	for (size_t i = 0; i < ahead_nr; i++)
		if (ahead[i] == tid) {
			ahead[i] = ahead[--ahead_nr];
			return true;
		}
	return false;
}

static int seize_interrupt(int pid)
{
	if (ptrace(PTRACE_SEIZE, pid, NULL,
		   (void *)(PTRACE_O_TRACESYSGOOD | (exitkill_always ? PTRACE_O_EXITKILL : 0L))) <
	    0)
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0) {
		int r = -errno;

		(void)ptrace(PTRACE_DETACH, pid, NULL, NULL);
		return r;
	}
	return 0;
}

int seize_ahead(int tid)
{
	int r = seize_interrupt(tid);

	if (r < 0)
		return r;
	ahead = xrealloc(ahead, (ahead_nr + 1) * sizeof(*ahead));
	ahead[ahead_nr++] = tid;
	return 0;
}

/* A task seized ahead that the tree did not take: it is let go once its
 * interrupt stop comes (it exited, or it was not the tree's after all). */
void seize_ahead_release(void)
{
	for (size_t i = 0; i < ahead_nr; i++) {
		int status;

		if (ptrace_wait_stop(ahead[i], &status) >= 0)
			(void)ptrace(PTRACE_DETACH, ahead[i], NULL, NULL);
	}
	free(ahead);
	ahead = NULL;
	ahead_nr = 0;
}

int seize_task(struct seized_task *t, int pid)
{
	int status, r;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	opts_of(pid)->opts = 0;
	if (!take_ahead(pid)) {
		r = seize_interrupt(pid);
		if (r < 0)
			return r;
	}
	t->seized = true;
	for (;;) {
		r = ptrace_wait_stop(pid, &status);
		if (r < 0)
			return r;
		if (is_interrupt_stop(status))
			break;
		/* A signal-delivery-stop: the signal has been dequeued. Keep
		 * it and let the task go on to the pending interrupt stop. */
		if (WIFSTOPPED(status) && t->nr_stolen < MAX_STOLEN_SIGNALS &&
		    ptrace(PTRACE_GETSIGINFO, pid, NULL, &t->stolen[t->nr_stolen]) == 0) {
			/* The guardian is told before the signal leaves the
			 * queue for good (best effort: kept here whatever
			 * happens, for a ckpt that lives to give it back). */
			(void)dguard_signal(pid, &t->stolen[t->nr_stolen]);
			t->nr_stolen++;
		}
		if (ptrace(PTRACE_CONT, pid, NULL, NULL) < 0)
			return -errno;
	}
	if (WSTOPSIG(status) != SIGTRAP) {
		t->stop_sig = WSTOPSIG(status);
		r = dguard_stop(pid);
		if (r >= 0)
			r = leave_group_stop(t);
		if (r < 0)
			return r;
	}
	if (ptrace(PTRACE_GETREGS, pid, NULL, &t->regs) < 0)
		return -errno;
	return 0;
}

/*
 * Queue the stolen signals back. A tracer may not forge a siginfo for
 * another process (rt_sigqueueinfo refuses si_code >= 0 unless sent to
 * oneself), so the task sends them to itself by an injected syscall; see
 * infect_requeue_signals(). Here we only detach.
 */
int thaw_task(struct seized_task *t)
{
	int r = 0;

	if (!t->seized)
		return 0;
	if (ptrace(PTRACE_SETREGS, t->pid, NULL, &t->regs) < 0)
		r = -errno;
	if (ptrace(PTRACE_DETACH, t->pid, NULL, NULL) < 0 && !r)
		r = -errno;
	t->seized = false;
	return r;
}

static bool tid_known(const struct seized_task *ts, size_t nr, int tid)
{
	for (size_t i = 0; i < nr; i++)
		if (ts[i].pid == tid)
			return true;
	return false;
}

#define PF_IO_WORKER 0x00000010

/* An io_uring thread of the kernel's (an io-wq worker, "iou-wrk-N", or a
 * polling thread, "iou-sqp-N"): listed among the threads of the process
 * it works for, but never stopped by ptrace. It is not the process's
 * state: a worker is made again when a request needs one, and a ring
 * with a polling thread is refused (fd-io-uring.c). */
static bool io_thread(int tid)
{
	struct proc_stat st;

	return proc_read_stat(tid, &st) >= 0 && (st.flags & PF_IO_WORKER);
}

/*
 * Seize every thread of @pid. A thread may spawn another while we go, so
 * list again until a pass finds nothing new; a stopped thread cannot
 * create more. The leader comes first; io_uring's threads are left out.
 */
int seize_threads(int pid, struct seized_task **ret_tasks, size_t *ret_nr)
{
	struct seized_task *ts = NULL;
	size_t nr = 0;
	bool found_new = true;
	int r = 0;

	while (found_new && r >= 0) {
		_cleanup_free_ int *tids = NULL;
		size_t nr_tids;

		found_new = false;
		r = proc_list_threads(pid, &tids, &nr_tids);
		if (r < 0)
			break;
		/* The leader first, then the others in /proc order. */
		for (size_t pass = 0; pass < 2 && r >= 0; pass++)
			for (size_t i = 0; i < nr_tids && r >= 0; i++) {
				if ((pass == 0) != (tids[i] == pid) || tid_known(ts, nr, tids[i]) ||
				    (tids[i] != pid && io_thread(tids[i])))
					continue;
				ts = xrealloc(ts, (nr + 1) * sizeof(*ts));
				r = seize_task(&ts[nr], tids[i]);
				if (ts[nr].seized)
					nr++; /* thawed by the caller, even on failure */
				if (r == -ESRCH && tids[i] != pid)
					r = 0; /* exited meanwhile */
				else
					found_new = true;
			}
	}
	*ret_tasks = ts;
	*ret_nr = nr;
	return r;
}

void thaw_threads(struct seized_task *ts, size_t nr)
{
	bool stopped = false;

	for (size_t i = 0; i < nr; i++)
		stopped |= ts[i].stop_sig != 0;
	/* Queued before the threads go: they take it as they leave us. */
	if (stopped)
		(void)kill(ts[0].pid, SIGSTOP);
	for (size_t i = 0; i < nr; i++) {
		if (ts[i].stop_sig)
			dguard_stop_forget(ts[i].pid);
		(void)thaw_task(&ts[i]);
	}
}
