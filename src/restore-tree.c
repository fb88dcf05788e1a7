// SPDX-License-Identifier: GPL-2.0
/*
 * Creating the processes of a tree (see restore.h and tree.h).
 *
 * ckpt clones the root with its pid and seizes it before it does anything,
 * with PTRACE_O_TRACEFORK/CLONE: every process it and its descendants
 * create is traced by ckpt from its first instruction, so ckpt sees each of
 * them stop, fail or die. Each new process runs, as plain C in its copy of
 * ckpt:
 *
 *	map the memory its children share with it and stop, for ckpt to
 *	fill it (pages-cow.c), if there is any
 *	clone the children it must create before setsid()
 *	setsid() or setpgid(0, 0) if it leads its session or group; a
 *	session leader takes its pty of the tree back (tty.c)
 *	clone its other children
 *	stop (SIGSTOP)		until every process of the tree exists
 *	join its process group (every group exists now)
 *	a helper exits, a zombie dies with its dumped status; a live
 *	process rebuilds its fds, cwd, signal actions and limits, maps the
 *	restorer and stops again, for ckpt to rebuild the rest by ptrace.
 *
 * Every signal stays blocked throughout, so that none is taken before the
 * process is what it was.
 */
#include "restore.h"

#include "cgroup.h"
#include "fault.h"
#include "files.h"
#include "ns-user.h"
#include "ns.h"
#include "proc.h"
#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define TRACE_OPTIONS \
	(PTRACE_O_EXITKILL | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE)

/* ---- inside the new processes ---- */

static void proc_main(struct restore *rs, size_t i) __attribute__((noreturn));

/*
 * Process @i of the plan, with its pid in every pid namespace it is in
 * (set_tid: innermost first) and the namespaces it makes. Returns its pid
 * as its creator sees it, 0 in the child.
 */
static long clone_proc(struct restore *rs, size_t i, int *pidfd)
{
	bool clone_parent = rs->procs[i].pp->clone_parent;
	int32_t tids[NS_LEVELS_MAX];
	int nr = ns_set_tid(rs, i, tids, ARRAY_SIZE(tids));
	struct clone_args args = {
		/* With CLONE_PARENT the exit signal is the creator's. */
		.flags = (clone_parent ? CLONE_PARENT : 0) | (uint64_t)ns_clone_flags(rs, i) |
			 (pidfd ? CLONE_PIDFD : 0),
		.pidfd = (uint64_t)pidfd,
		.exit_signal = clone_parent ? 0 : SIGCHLD,
		/* None at all: the host gives every level (ns_host_given). */
		.set_tid = nr > 0 ? (uint64_t)tids : 0,
		.set_tid_size = nr > 0 ? (uint64_t)nr : 0,
	};

	if (nr < 0) {
		errno = -nr;
		return -1;
	}
	return syscall(SYS_clone3, &args, sizeof(args));
}

/* A child that made the pid namespace its creator had for its children
 * (unshare(CLONE_NEWPID), then fork): the creator enters it at the end. */
static int pfc_pidfd = -1;
/* The read end a new process waits on while its creator runs the
 * namespaces' creator hooks (ns_wants_creator); -1 if it need not. */
static int creator_sync = -1;

/* In the creator, child @pid (plan entry @j) just made: its namespaces'
 * creator hooks, then it may go on (or, with nothing written, it ends). */
static int creator_hooks(struct restore *rs, size_t j, long pid, int sync[2])
{
	int r = 0;

	close(sync[0]);
	if (pid > 0)
		r = ns_creator_hooks(rs, j, (int)pid);
	if (pid > 0 && r >= 0 && write(sync[1], "g", 1) != 1)
		r = pr_errno(-errno, "cannot restore: cannot start process %d",
			     rs->procs[j].pp->pid);
	close(sync[1]);
	creator_sync = -1;
	return r;
}

/* Whether the process that took @pid ends (a bounded wait: most on a busy
 * host are short-lived). */
static bool pid_freed(int pid)
{
	struct pollfd pf = { .events = POLLIN };
	int r;

	pf.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pf.fd < 0)
		return errno == ESRCH;
	while ((r = poll(&pf, 1, 2000)) < 0 && errno == EINTR)
		;
	close(pf.fd);
	return r == 1;
}

static int clone_children(struct restore *rs, size_t i, bool before_setsid)
{
	for (size_t j = 0; j < rs->nr; j++) {
		const struct plan_proc *c = &rs->plan.procs[j];
		struct userns_clone uc;
		int r, err;
		long pid;

		if (c->creator != (int)i || c->before_setsid != before_setsid)
			continue;
		int sync[2] = { -1, -1 };

		if (ns_wants_creator(rs, j)) {
			if (pipe2(sync, O_CLOEXEC) < 0)
				return pr_errno(-errno, "cannot restore: pipe");
			creator_sync = sync[0];
		}
		r = userns_clone_begin(rs, j, &uc);
		if (r < 0) {
			if (sync[0] >= 0)
				creator_hooks(rs, j, -1, sync);
			return r;
		}
		for (int tries = 0;; tries++) {
			/* ckpt sets ns_last_pid for it (on_signal_stop). */
			if (ns_host_exact(rs, j))
				raise(SIGSTOP);
			pid = FAULT_OR(
				restore_clone_child, (errno = EAGAIN, -1),
				clone_proc(rs, j, ns_pid_for_children(rs, j) ? &pfc_pidfd : NULL));
			if (pid == 0)
				proc_main(rs, j);
			err = errno;
			/* Another process forked first and took it: again (ckpt
			 * kills and forgets that one too). */
			if (pid <= 0 || !ns_host_exact(rs, j) || pid == c->pid || tries == 20)
				break;
			(void)kill((pid_t)pid, SIGKILL);
			while (waitpid((pid_t)pid, NULL, __WALL) < 0 && errno == EINTR)
				;
			if (pfc_pidfd >= 0)
				close(pfc_pidfd);
			pfc_pidfd = -1;
			if (!pid_freed(c->pid)) {
				pid = -1;
				err = EEXIST;
				break;
			}
		}
		/* The maps first: the creator's hooks may need the new user
		 * namespace working. */
		r = userns_clone_end(rs, j, &uc, pid);
		if (sync[0] >= 0) {
			int r2 = creator_hooks(rs, j, r < 0 ? -1 : pid, sync);

			r = r < 0 ? r : r2;
		}
		if (r < 0)
			return r;
		errno = err;
		if (pid < 0 && errno == EEXIST)
			return pr_fail(-EEXIST, "cannot restore: pid %d is in use", c->pid);
		if (pid < 0)
			return pr_errno(-errno, "cannot restore: cannot create process %d", c->pid);
	}
	return 0;
}

/*
 * A group outside the tree is taken back if it still exists in this
 * session (restored from the shell or script it was dumped from); if not,
 * the process joins the group of `ckpt restore`.
 */
static int join_group(struct restore *rs, size_t i)
{
	const struct plan_proc *pp = rs->procs[i].pp;
	int pgid = pp->pgid;

	/* Inside a pid namespace the group is known by its pid there; one
	 * outside it is the one the process was made in (its creator's),
	 * which ckpt checks once the tree exists. */
	if (ns_pid_level(rs, i) && pgid != PLAN_CALLER_PGID) {
		int inner = ns_pid_in(rs, i, pgid);

		if (!inner)
			return 0;
		if (FAULT_OR(restore_join_group, (errno = EPERM, -1),
			     getpgid(0) == inner ? 0 : setpgid(0, inner)) < 0)
			return pr_errno(-errno, "cannot restore: cannot put %d in process group %d",
					pp->pid, pgid);
		return 0;
	}
	if (ns_pid_level(rs, i))
		return 0; /* the caller's group, joined from outside */
	if (pgid == PLAN_CALLER_PGID) {
		pgid = rs->outside_pgid;
		if (getpgid(0) != pgid && setpgid(0, pgid) < 0)
			pgid = rs->caller_pgid;
	}
	if (FAULT_OR(restore_join_group, (errno = EPERM, -1),
		     getpgid(0) == pgid ? 0 : setpgid(0, pgid)) < 0)
		return pr_errno(-errno, "cannot restore: cannot put %d in process group %d",
				pp->pid, pgid);
	return 0;
}

/* Die the way the dumped zombie did, for its parent to reap. */
static void die_as(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit no_core = { 0, 0 };
		sigset_t set;

		/* No core file is written (so WCOREDUMP is lost). */
		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
	}
	_exit(WEXITSTATUS(status));
}

/* A live process: what it can rebuild itself, before ckpt takes over. */
static int live_early(struct restore *rs, struct restore_proc *rp)
{
	int r;

	r = FAULT_OR(
		restore_fds_early,
		pr_errno(-EBADF, "cannot restore %d: cannot set up its fds", rp->pp->pid),
		fds_restore_early(rs->files, rp->fdinfo, rs->base, rp->pp->pid, rs->file_owner));
	/* Mapped files are opened by the paths we see, before any chroot. */
	if (r >= 0)
		r = FAULT_OR(restore_mm_early,
			     pr_errno(-ENOENT, "cannot restore %d: cannot open a mapped file",
				      rp->pp->pid),
			     mm_restore_early(&rp->plan, &rs->trust));
	if (r >= 0)
		r = FAULT_OR(restore_task_early,
			     pr_errno(-ENOENT, "cannot restore %d: cannot change into its cwd",
				      rp->pp->pid),
			     task_restore_early(rp->core, &rs->trust));
	if (r >= 0)
		r = FAULT_OR(restore_sigactions_early,
			     pr_errno(-EINVAL, "cannot restore %d: cannot set its signal actions",
				      rp->pp->pid),
			     sigactions_restore_early(rp->core));
	if (r >= 0)
		r = FAULT_OR(
			restore_rlimits_early,
			pr_errno(-EPERM, "cannot restore %d: cannot set its limits", rp->pp->pid),
			rlimits_restore_early(rp->core, &rs->trust));
	/* The sets exist with their values (made before the tree). */
	if (r >= 0)
		r = sem_undo_restore_early(rp->core);
	return r;
}

static int proc_early(struct restore *rs, size_t i)
{
	struct restore_proc *rp = &rs->procs[i];
	const struct plan_proc *pp = rp->pp;
	int r;

	cgroup_remember_own();
	loginuid_remember_own();
	/* The namespaces it makes, before anything else. */
	r = ns_in_new_proc(rs, i);
	if (r < 0)
		return r;
	/* Inside a user namespace of the tree, it enters the pid namespace
	 * its child made with a pidfd of that child: the kernel wants the
	 * child dumpable then, which ckpt's copies are not once ckpt changed
	 * its euid to make a user namespace (the children take it from it).
	 * The dumped flag is set again at the end (task.c). */
	if (ns_proc_in(rs, i, NS_USER) && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return pr_errno(-errno, "cannot restore: prctl");
	r = FAULT_OR(restore_cow_premap,
		     pr_errno(-ENOMEM,
			      "cannot restore: cannot map the memory children share with %d",
			      pp->pid),
		     pages_cow_premap(&rp->plan));
	if (r < 0)
		return r;
	if (rp->plan.cow.fill)
		raise(SIGSTOP); /* ckpt fills the slots */
	r = clone_children(rs, i, true);
	if (r < 0)
		return r;
	if (pp->setsid && setsid() < 0)
		return pr_errno(-errno, "cannot restore: %d cannot lead a session", pp->pid);
	/* Only a live leader: the kernel took the terminal from the session
	 * of one that exited (a helper stands in for it). */
	r = FAULT_OR(restore_ctty,
		     pr_errno(-ENOTTY, "cannot restore: %d cannot take its terminal back", pp->pid),
		     pp->setsid && pp->role == PLAN_LIVE
			     ? pty_ctty_take(rs->files, rs->base, pp->pid)
			     : 0);
	if (r < 0)
		return r;
	if (pp->setpgid_self && setpgid(0, 0) < 0)
		return pr_errno(-errno, "cannot restore: %d cannot lead a process group", pp->pid);
	r = clone_children(rs, i, false);
	if (r < 0)
		return r;
	if (pfc_pidfd >= 0) {
		r = setns(pfc_pidfd, CLONE_NEWPID) < 0 ? -errno : 0;
		close(pfc_pidfd);
		pfc_pidfd = -1;
		if (r < 0)
			return pr_errno(r,
					"cannot restore: %d cannot enter its child's pid namespace",
					pp->pid);
	}
	raise(SIGSTOP); /* until every process and group exists */
	r = join_group(rs, i);
	if (r < 0)
		return r;
	if (pp->role == PLAN_HELPER)
		_exit(0);
	if (rp->pe && rp->pe->zombie) {
		(void)prctl(PR_SET_NAME, rp->pe->comm ? rp->pe->comm : "", 0, 0, 0);
		die_as(pp->exit_status);
	}
	/* Into its cgroups before it rebuilds anything: its memory is
	 * charged there, and it never runs its own code elsewhere. */
	r = cgroup_join_early(rs, pp->pid);
	if (r >= 0)
		r = live_early(rs, rp);
	if (r < 0)
		return r;
	log_fd = -1;
	raise(SIGSTOP); /* ckpt rebuilds the rest from here */
	return -EFAULT; /* not reached: ckpt replaced everything */
}

static void proc_main(struct restore *rs, size_t i)
{
	const stack_t no_stack = { .ss_flags = SS_DISABLE };

	log_fd = rs->log_fd;
	/* Its creator does what only it may for its namespaces first. */
	if (creator_sync >= 0) {
		char c;
		ssize_t n;

		while ((n = read(creator_sync, &c, 1)) < 0 && errno == EINTR)
			;
		close(creator_sync);
		creator_sync = -1;
		if (n != 1)
			_exit(1); /* the creator failed, and said why */
	}
	/* Its creator's, not its own. */
	if (pfc_pidfd >= 0) {
		close(pfc_pidfd);
		pfc_pidfd = -1;
	}
	/* fork() hands down the signal stack of ckpt's thread (an ASan build
	 * has one), which restore sets again only where the image has one:
	 * a process dumped without would take its next SA_ONSTACK signal
	 * (CPython sets it on every handler) on memory that is gone. */
	(void)sigaltstack(&no_stack, NULL);
	_exit(proc_early(rs, i) < 0 ? 1 : 0);
}

/* The root: wait until ckpt traces it, keep only the tree's fds. */
static void root_main(struct restore *rs, int sync_fd, int ckpt_end)
{
	char c;

	/* Our copy of ckpt's end would keep the read below from ever seeing
	 * ckpt close it. */
	close(ckpt_end);
	if (read(sync_fd, &c, 1) != 1)
		_exit(1); /* ckpt is gone */
	(void)syscall(SYS_close_range, 0, rs->base - 1, 0);
	(void)syscall(SYS_close_range, rs->first_aux, ~0U, 0);
	proc_main(rs, 0);
}

/* ---- in ckpt ---- */

static struct restore_proc *proc_by_pid(struct restore *rs, int pid, int *err)
{
	int j;

	for (size_t i = 0; i < rs->nr; i++)
		if (proc_host(&rs->procs[i]) == pid)
			return &rs->procs[i];
	/* One the host gave a pid of its choice, at its first stop. */
	j = ns_host_adopt(rs, pid);
	if (j == -EAGAIN)
		*err = 1; /* one its creator kills, to make it again */
	return j < 0 ? NULL : &rs->procs[j];
}

/* Process @j exists already with the host pid it must have. */
static bool made_exact(struct restore *rs, size_t j)
{
	struct proc_status st;
	int parent = rs->procs[j].parent;

	if (proc_read_status(rs->procs[j].pp->pid, &st) < 0)
		return false;
	free(st.groups);
	return parent >= 0 && st.ppid == proc_host(&rs->procs[parent]);
}

/* The next child of process @i that ns_host_exact, in the order it makes
 * them (clone_children), not made yet: -1 if none. */
static int exact_child(struct restore *rs, size_t i)
{
	for (int pass = 1; pass >= 0; pass--)
		for (size_t j = 0; j < rs->nr; j++)
			if (rs->plan.procs[j].creator == (int)i &&
			    rs->plan.procs[j].before_setsid == (bool)pass && ns_host_exact(rs, j) &&
			    !made_exact(rs, j))
				return (int)j;
	return -1;
}

/* The host's next pid is @pid, if nothing forks before the creator. */
static int set_last_pid(int pid)
{
	_cleanup_close_ int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	char text[16];
	/* The fault: as if another process had forked first. */
	int len = snprintf(text, sizeof(text), "%d", FAULT_OR(restore_last_pid, pid, pid - 1));

	if (fd < 0 || write(fd, text, (size_t)len) != len)
		return pr_errno(-errno, "cannot restore: cannot set ns_last_pid");
	return 0;
}

/* The first line a failed process wrote to the log pipe, printed. */
static bool report_child_error(struct restore *rs)
{
	char msg[1024];
	ssize_t n = read(rs->log_pipe, msg, sizeof(msg) - 1);
	char *nl;

	if (n <= 0)
		return false;
	msg[n] = 0;
	nl = strchr(msg, '\n');
	if (nl)
		nl[1] = 0;
	fputs(msg, stderr);
	return true;
}

static int spawn_root(struct restore *rs)
{
	struct userns_clone uc;
	int sync[2], r = 0, err;
	long pid;

	if (pipe2(sync, O_CLOEXEC) < 0)
		return pr_errno(-errno, "cannot restore: pipe");
	fflush(NULL);
	r = userns_clone_begin(rs, 0, &uc);
	if (r < 0) {
		close(sync[0]);
		close(sync[1]);
		return r;
	}
	pid = FAULT_OR(restore_clone_root, (errno = EAGAIN, -1), clone_proc(rs, 0, NULL));
	if (pid == 0)
		root_main(rs, sync[0], sync[1]);
	err = errno;
	close(sync[0]);
	/* Its maps written before it goes on (it waits for the sync byte). */
	r = userns_clone_end(rs, 0, &uc, pid);
	if (r < 0) {
		close(sync[1]);
		return r;
	}
	if (pid < 0) {
		r = -err;
		close(sync[1]);
		if (r == -EEXIST)
			return pr_fail(r, "cannot restore: pid %d is in use", rs->procs[0].pp->pid);
		return pr_errno(r, "cannot restore: cannot create process %d",
				rs->procs[0].pp->pid);
	}
	/* The group outside the tree, before the root makes children that
	 * stay in it: one inside a pid namespace cannot name it (else it
	 * stays in ckpt's, as join_group would). */
	if (rs->procs[0].pp->pgid == PLAN_CALLER_PGID)
		(void)setpgid((pid_t)pid, rs->outside_pgid);
	if (FAULT_OR(restore_seize_root, (errno = EPERM, -1),
		     ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)TRACE_OPTIONS)) < 0)
		r = pr_errno(-errno, "cannot restore: cannot trace process %ld", pid);
	else if ((r = ns_creator_hooks(rs, 0, (int)pid)) < 0)
		; /* said; the root ends when it finds the pipe closed */
	else if (write(sync[1], "g", 1) != 1)
		r = pr_errno(-errno, "cannot restore: cannot start process %ld", pid);
	close(sync[1]);
	return r;
}

static void release_barrier(struct restore *rs)
{
	for (size_t i = 0; i < rs->nr; i++)
		if (!rs->procs[i].exited)
			(void)ptrace(PTRACE_CONT, proc_host(&rs->procs[i]), NULL, NULL);
}

static bool is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
	       sig == SIGABRT || sig == SIGSYS;
}

struct spawn_state {
	size_t at_barrier, done;
	bool released;
};

/* A signal-delivery stop of process @rp: 1 if it counts as progress. */
static int on_signal_stop(struct restore *rs, struct spawn_state *s, struct restore_proc *rp,
			  int sig)
{
	int pid = proc_host(rp);

	/* The first stop of a process with slots: they are mapped, it has
	 * cloned nothing yet; ckpt fills them (any other process passes
	 * here with nothing to fill). */
	if (sig == SIGSTOP && !rp->cow_filled) {
		int r = FAULT_OR(
			restore_cow_fill,
			pr_fail(-EIO, "cannot restore: the memory of %d: input/output error", pid),
			rp->plan.cow.fill ? pages_restore(NULL, rp->pp->pid, &rp->plan, rs->chain,
							  rs->nr_chain)
					  : 0);

		rp->cow_filled = true;
		if (r < 0)
			return r;
		if (rp->plan.cow.fill) {
			(void)ptrace(PTRACE_CONT, pid, NULL, NULL);
			return 0;
		}
	}
	/* Before each child whose host pid must be the dumped one. */
	if (sig == SIGSTOP && rp->stops == 0) {
		int j = exact_child(rs, (size_t)(rp - rs->procs));

		if (j >= 0 && rp->exact_asked++ < 21 * (int)rs->nr) {
			int r = set_last_pid(rs->procs[j].pp->pid);

			if (r < 0)
				return r;
			(void)ptrace(PTRACE_CONT, pid, NULL, NULL);
			return 0;
		}
	}
	if (sig == SIGSTOP) {
		if (++rp->stops == 1 && ++s->at_barrier == rs->nr) {
			/* Every process exists, none has gone on. */
			int r = FAULT_OR(
				restore_ns_finish,
				pr_fail(-EIO, "cannot restore: namespaces: input/output error"),
				ns_finish_all(rs));

			if (r < 0)
				return r;
			release_barrier(rs);
			s->released = true;
		} else if (rp->stops == 2) {
			s->done++;
		}
		return 0;
	}
	/* A zombie dying by its signal: let it. */
	if (s->released && rp->pp->role == PLAN_ZOMBIE && sig == WTERMSIG(rp->pp->exit_status)) {
		(void)ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
		return 0;
	}
	if (is_fault(sig))
		return pr_fail(-EFAULT,
			       "cannot restore: process %d crashed while being set up (signal %d)",
			       pid, sig);
	(void)ptrace(PTRACE_CONT, pid, NULL, NULL);
	return 0;
}

static int on_death(struct restore *rs, struct spawn_state *s, struct restore_proc *rp, int status)
{
	rp->exited = true;
	if (s->released && rp->pp->role != PLAN_LIVE) {
		s->done++;
		return 0;
	}
	if (report_child_error(rs))
		return -ECANCELED;
	return pr_fail(-ECHILD,
		       "cannot restore: process %d died while being set up (wait status %#x)",
		       rp->pp->pid, status);
}

static int wait_spawned(struct restore *rs)
{
	struct spawn_state s = { 0 };

	while (s.done < rs->nr) {
		struct restore_proc *rp;
		int status, r = 0;
		pid_t pid = waitpid(-1, &status, __WALL);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return pr_errno(-errno, "cannot restore: wait");
		rp = proc_by_pid(rs, pid, &r);
		if (r > 0) {
			(void)kill(pid, SIGKILL);
			(void)ptrace(PTRACE_CONT, pid, NULL, NULL);
			continue;
		}
		/* Traced by us, yet none of the plan's: it would stay stopped. */
		if (!rp && WIFSTOPPED(status)) {
			(void)kill(pid, SIGKILL);
			return pr_fail(
				-ESRCH,
				"cannot restore: process %d was made, which is none of the tree's",
				pid);
		}
		if (!rp)
			continue;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			r = on_death(rs, &s, rp, status);
		else if (WIFSTOPPED(status) && (status >> 16))
			/* fork, clone, or a new child's first stop */
			(void)ptrace(PTRACE_CONT, pid, NULL, NULL);
		else if (WIFSTOPPED(status))
			r = on_signal_stop(rs, &s, rp, WSTOPSIG(status));
		if (r < 0)
			return r;
	}
	return 0;
}

int tree_spawn(struct restore *rs)
{
	sigset_t all, old;
	int r;

	for (size_t i = 0; i < rs->nr; i++)
		rs->procs[i].host_given = ns_host_given(rs, i);
	/* Blocked from the first instruction of the first process on. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	r = spawn_root(rs);
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* The tree has its own copies of the open files now: ckpt must not
	 * keep pipe ends open behind it. */
	(void)syscall(SYS_close_range, rs->base, rs->first_aux - 1, 0);
	if (r < 0)
		return r;
	return wait_spawned(rs);
}

/* Only what we created: an unrelated process may hold a pid we wanted.
 * Ours are traced by us from their first instruction. */
static bool traced_by_us(int pid)
{
	struct proc_status st;

	if (proc_read_status(pid, &st) < 0)
		return false;
	free(st.groups);
	return st.tracer_pid == getpid();
}

void tree_kill(struct restore *rs)
{
	int status;

	for (size_t i = 0; i < rs->nr; i++)
		if (!rs->procs[i].exited && proc_host(&rs->procs[i]) > 0 &&
		    traced_by_us(proc_host(&rs->procs[i])))
			(void)kill(proc_host(&rs->procs[i]), SIGKILL);
	/* ckpt is a child subreaper while it restores: every process of the
	 * tree, orphaned as its parent dies, ends up ours to reap. */
	while (waitpid(-1, &status, __WALL) > 0 || errno == EINTR)
		;
}
