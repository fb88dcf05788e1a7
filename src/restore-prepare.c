// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt restore, before any process exists: load the images (and those of
 * the sets they build on), check them against each other and against the
 * system, and plan the restore (restore_prepare, restore_release,
 * restore_verify). cmd-restore.c orders the steps that create the tree.
 */
#include "cgroup.h"
#include "commands.h"
#include "fault.h"
#include "files.h"
#include "imgdir.h"
#include "incremental.h"
#include "infect.h"
#include "kinds.h"
#include "machine.h"
#include "mm.h"
#include "ns.h"
#include "proc.h"
#include "restore.h"
#include "threads.h"
#include "util.h"

#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* ---- loading ---- */

/* An image that cannot be read: CKPT_FAULT, as if it were corrupted. */
static bool read_fault(enum img_kind kind)
{
	switch (kind) {
	case IMG_PSTREE:
		return FAULT_OR(restore_read_pstree, true, false);
	case IMG_FILES:
		return FAULT_OR(restore_read_files, true, false);
	case IMG_SHMEM:
		return FAULT_OR(restore_read_shmem, true, false);
	case IMG_IPC:
		return FAULT_OR(restore_read_ipc, true, false);
	case IMG_CORE:
		return FAULT_OR(restore_read_core, true, false);
	case IMG_MM:
		return FAULT_OR(restore_read_mm, true, false);
	case IMG_FDINFO:
		return FAULT_OR(restore_read_fdinfo, true, false);
	default:
		return false;
	}
}

static int read_image(struct restore *rs, enum img_kind kind, int pid,
		      const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret)
{
	int r = read_fault(kind) ? -EBADMSG : img_read_msg(rs->dirfd, kind, pid, desc, ret);

	if (r < 0) {
		_cleanup_free_ char *name = img_name(kind, pid);

		pr_err("cannot restore: cannot read image '%s': %s", name, img_strerror(r));
	}
	return r;
}

/* The page image is read while restoring; check its header up front. */
static int check_pages_header(struct restore *rs, int pid)
{
	_cleanup_free_ char *name = img_name(IMG_PAGES, pid);
	struct img img;
	int r = img_open_file(&img, rs->dirfd, name, IMG_PAGES);

	img_close(&img);
	/* restore --lazy --page-server: the page server has them. */
	if (r == -ENOENT && rs->opts && rs->opts->page_server)
		return 0;
	if (r >= 0)
		r = FAULT_OR(restore_read_pages, -EBADMSG, r);
	if (r < 0)
		pr_err("cannot restore: cannot read image '%s': %s", name, img_strerror(r));
	return r;
}

static int inconsistent(const char *what)
{
	return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (%s)", what);
}

static int load_plan(struct restore *rs)
{
	PstreeEntry *pe = rs->pstree;
	struct tree_node *nodes;
	char why[256];
	int r;

	r = pstree_check(pe, rs->inv->root_pid, rs->inv->nr_tasks);
	if (r < 0)
		return r;
	nodes = xzalloc(pe->n_procs * sizeof(*nodes));
	for (size_t i = 0; i < pe->n_procs; i++) {
		nodes[i].pid = (int)pe->procs[i]->pid;
		nodes[i].ppid = (int)pe->procs[i]->ppid;
		nodes[i].pgid = (int)pe->procs[i]->pgid;
		nodes[i].sid = (int)pe->procs[i]->sid;
		nodes[i].zombie = pe->procs[i]->zombie;
		nodes[i].exit_status = (int)pe->procs[i]->exit_status;
	}
	r = tree_plan(nodes, pe->n_procs, &rs->plan, why, sizeof(why));
	free(nodes);
	if (r < 0)
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent: %s", why);
	return 0;
}

/* The parent of plan entry @i (a process cloned with CLONE_PARENT is its
 * creator's sibling). */
static int plan_parent(const struct plan *plan, int i)
{
	const struct plan_proc *pp = &plan->procs[i];

	if (pp->creator < 0 || !pp->clone_parent)
		return pp->creator;
	return plan->procs[pp->creator].creator;
}

static int load_live(struct restore *rs, struct restore_proc *rp)
{
	int pid = rp->pp->pid, r;

	r = read_image(rs, IMG_CORE, pid, &task_core_entry__descriptor,
		       (ProtobufCMessage **)&rp->core);
	if (r >= 0)
		r = read_image(rs, IMG_MM, pid, &mm_entry__descriptor,
			       (ProtobufCMessage **)&rp->mm);
	if (r >= 0)
		r = read_image(rs, IMG_FDINFO, pid, &fdinfo_entry__descriptor,
			       (ProtobufCMessage **)&rp->fdinfo);
	if (r >= 0)
		r = check_pages_header(rs, pid);
	/* Images are untrusted input: each kind checks what it read. */
	if (r >= 0)
		r = core_check(rp->core, pid);
	if (r >= 0)
		r = mm_check(rp->mm, pid);
	if (r >= 0)
		r = fdinfo_check(rp->fdinfo, rs->files->n_files, pid);
	if (r < 0)
		return r;
	r = FAULT_OR(restore_check_creds,
		     pr_fail(-EINVAL, "cannot restore: credentials of %d are out of range", pid),
		     creds_check(rp->core));
	if (r >= 0)
		r = task_check(rp->core);
	if (r >= 0)
		r = machine_check_xstate(rp->core, pid);
	return r < 0 ? r : posix_timers_check(rp->core);
}

/* Who owns the image sets of the chain decides what they may restore.
 * The parents named by a set root does not trust are looked for with its
 * owner's access. */
static int trust_chain(struct restore *rs, const char *dir)
{
	struct trust_saved saved;
	int r = FAULT_OR(restore_trust_chain, pr_errno(-EACCES, "cannot restore '%s'", dir),
			 trust_add_set(&rs->trust, dir, rs->dirfd, rs->inv));

	if (r < 0)
		return r;
	r = trust_enter(&rs->trust, &saved);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot take the image owner's file access");
	r = chain_open(dir, rs->dirfd, rs->inv,
		       rs->meta_parents || (rs->opts && rs->opts->page_server), &rs->chain,
		       &rs->nr_chain);
	trust_leave(&saved);
	for (size_t i = 1; r >= 0 && i < rs->nr_chain; i++) {
		_cleanup_free_ char *name = xasprintf("%s (parent %zu)", dir, i);

		r = trust_add_set(&rs->trust, name, rs->chain[i], NULL);
	}
	return r;
}

/* What a process claims, as far as the owner of the set may give it. */
static int trust_proc(struct restore *rs, const struct restore_proc *rp)
{
	const TaskCoreEntry *c = rp->core;
	int r;

	r = FAULT_OR(restore_check_trust,
		     pr_fail(-EPERM, "cannot restore %d: the image set may not give it its creds",
			     rp->pp->pid),
		     trust_check_creds(&rs->trust, rp->pp->pid, c->creds));
	if (r >= 0 && c->has_loginuid)
		r = trust_check_loginuid(&rs->trust, rp->pp->pid, c->loginuid);
	for (size_t t = 0; r >= 0 && t < c->n_threads; t++)
		if (c->threads[t]->creds)
			r = trust_check_creds(&rs->trust, (int)c->threads[t]->tid,
					      c->threads[t]->creds);
	if (r >= 0)
		r = sched_check(c, rs->trust.trusted);
	if (r >= 0)
		r = mempolicy_check(c);
	if (r >= 0)
		r = prctl_check(c, rs->trust.trusted);
	if (r >= 0)
		r = membarrier_check(c);
	if (r >= 0)
		r = mq_notify_check(c);
	if (r >= 0)
		r = sem_undo_check(c, ns_ipc_entry(rs, (size_t)(rp - rs->procs)) ?: rs->ipc);
	if (r >= 0)
		r = task_check_trust(c, rs->trust.trusted);
	if (r >= 0)
		r = trust_check_path("working directory", c->cwd);
	if (r >= 0)
		r = trust_check_path("root directory", c->root);
	return r;
}

static int restore_load(struct restore *rs, const char *dir)
{
	int r;

	r = FAULT_OR(restore_imgdir_open,
		     pr_errno(-EACCES, "cannot open images directory '%s'", dir),
		     imgdir_open(dir, &rs->dirfd, &rs->inv));
	if (r < 0)
		return r;
	/* restore --lazy --page-server: the page server has them. */
	if (rs->inv->pages_elsewhere && !(rs->opts && rs->opts->page_server))
		return pr_fail(
			-EINVAL,
			"cannot restore '%s': it holds no memory pages (written by --meta, its pages went into a stream); restore the set that received the stream",
			dir);
	if (rs->inv->predump)
		return pr_fail(
			-EINVAL,
			"cannot restore '%s': it is a pre-dump (memory only); restore the dump that ends its chain",
			dir);
	/* Can this machine run them at all (CPU, vDSO)? */
	r = machine_check(rs->inv);
	if (r >= 0)
		r = trust_chain(rs, dir);
	if (r < 0)
		return r;
	r = read_image(rs, IMG_PSTREE, 0, &pstree_entry__descriptor,
		       (ProtobufCMessage **)&rs->pstree);
	if (r >= 0)
		r = read_image(rs, IMG_FILES, 0, &files_entry__descriptor,
			       (ProtobufCMessage **)&rs->files);
	if (r >= 0)
		r = read_image(rs, IMG_SHMEM, 0, &shmem_entry__descriptor,
			       (ProtobufCMessage **)&rs->shmem);
	/* Sets made before System V IPC was saved have no ipc.img: then
	 * none of their mappings may be an attach (ipc_check). */
	if (r >= 0 &&
	    faccessat(rs->dirfd, img_kinds[IMG_IPC].name_fmt, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT) {
		rs->ipc = xmalloc(sizeof(*rs->ipc));
		ipc_entry__init(rs->ipc);
	} else if (r >= 0) {
		r = read_image(rs, IMG_IPC, 0, &ipc_entry__descriptor,
			       (ProtobufCMessage **)&rs->ipc);
	}
	if (r >= 0)
		r = load_plan(rs);
	if (r < 0)
		return r;
	rs->nr = rs->plan.nr;
	rs->procs = xzalloc(rs->nr * sizeof(*rs->procs));
	for (size_t i = 0; i < rs->nr && r >= 0; i++) {
		struct restore_proc *rp = &rs->procs[i];

		rp->pp = &rs->plan.procs[i];
		rp->parent = plan_parent(&rs->plan, (int)i);
		if (rp->pp->node >= 0)
			rp->pe = rs->pstree->procs[rp->pp->node];
		if (rp->pp->role == PLAN_LIVE)
			r = load_live(rs, rp);
	}
	/* Before the processes' own checks: some are against a namespace's
	 * images (SEM_UNDO adjustments, of its semaphore sets). */
	if (r >= 0)
		r = ns_load(rs);
	for (size_t i = 0; i < rs->nr && r >= 0; i++)
		if (rs->procs[i].pp->role == PLAN_LIVE)
			r = trust_proc(rs, &rs->procs[i]);
	/* After the processes: each task's place is checked against them. */
	if (r >= 0)
		r = cgroup_load(rs);
	/* Known only now: which processes get their capabilities from a
	 * user namespace of their own rather than from ckpt. */
	for (size_t i = 0; i < rs->nr && r >= 0; i++)
		if (rs->procs[i].pp->role == PLAN_LIVE)
			r = creds_check_restorer(rs->procs[i].core);
	return r;
}

/* ---- checks, before anything is created ---- */

static int find_tty(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd))
			return fd;
	return -1;
}

/*
 * The caller's terminal goes to the restored processes two ways: a
 * terminal outside the tree among their fds comes back as the caller's
 * (among fds 0-2), and a process whose session leader is not in the tree
 * joins the caller's session, whose controlling terminal it can open as
 * /dev/tty. Either only for processes of the terminal's owner (or of
 * root): another user's process would get a terminal its user cannot
 * open, to read what the caller types and, with TIOCSTI, type into the
 * caller's shell.
 */
static int terminal_for(const struct restore_proc *rp, bool session, uid_t owner)
{
	for (size_t t = 0; t < rp->core->n_threads; t++) {
		const CredsEntry *c = creds_of_thread(rp->core, t);
		const uint32_t uids[] = { c->uid, c->euid, c->suid, c->fsuid };

		if (!c->uid && !c->euid && !c->suid && !c->fsuid)
			continue;
		for (size_t u = 0; u < ARRAY_SIZE(uids); u++) {
			if (uids[u] == owner)
				continue;
			if (session)
				return pr_fail(
					-EPERM,
					"cannot restore: process %d of uid %u would join the session of uid %u's terminal (restore it from a terminal of its user's, or from none: setsid)",
					rp->pp->pid, uids[u], owner);
			return pr_fail(
				-EPERM,
				"cannot restore: process %d of uid %u had a terminal and would get uid %u's in its place (restore it from a terminal of its user's)",
				rp->pp->pid, uids[u], owner);
		}
	}
	return 0;
}

static bool in_caller_session(const struct restore *rs, const struct restore_proc *rp)
{
	for (size_t i = 0; i < rs->nr; i++)
		if (rs->procs[i].pp->pid == (int)rp->pe->sid)
			return false;
	return true;
}

static bool has_caller_tty(const struct restore *rs, const struct restore_proc *rp)
{
	for (size_t k = 0; k < rp->fdinfo->n_fds; k++)
		if (rs->files->files[rp->fdinfo->fds[k]->file_id]->kind == FD_KIND__FD_TTY)
			return true;
	return false;
}

static int check_caller_tty(const struct restore *rs)
{
	_cleanup_close_ int ctty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	struct stat tty_st, ctty_st;
	bool has_tty = rs->tty_fd >= 0 && fstat(rs->tty_fd, &tty_st) == 0;
	bool has_ctty = ctty >= 0 && fstat(ctty, &ctty_st) == 0;
	int r = 0;

	for (size_t i = 0; i < rs->nr && r >= 0; i++) {
		const struct restore_proc *rp = &rs->procs[i];

		if (rp->pp->role != PLAN_LIVE)
			continue;
		/* files_check() refused a terminal fd if there is no terminal */
		if (has_tty && has_caller_tty(rs, rp))
			r = terminal_for(rp, false, tty_st.st_uid);
		if (r >= 0 && has_ctty && in_caller_session(rs, rp))
			r = terminal_for(rp, true, ctty_st.st_uid);
	}
	return r;
}

static int pid_in_use(int pid)
{
	char path[64], comm[64] = "?";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(comm, sizeof(comm), f))
		comm[strcspn(comm, "\n")] = 0;
	fclose(f);
	return pr_fail(-EEXIST, "cannot restore: pid %d is in use (by '%s')", pid, comm);
}

static int check_pids(struct restore *rs)
{
	for (size_t i = 0; i < rs->nr; i++) {
		const struct restore_proc *rp = &rs->procs[i];
		/* Not those the host gives pids of its choice (in a user
		 * namespace of the tree). */
		int r = ns_host_given(rs, i) ? 0 : pid_in_use(rp->pp->pid);

		for (size_t t = 1;
		     r >= 0 && rp->core && t < rp->core->n_threads && !ns_thread_host_given(rs, i);
		     t++)
			r = pid_in_use((int)rp->core->threads[t]->tid);
		if (r < 0)
			return r;
	}
	return 0;
}

static int own_max_fd(void)
{
	_cleanup_free_ int *fds = NULL;
	size_t nr = 0;
	int max = 2;

	(void)proc_list_fds(getpid(), &fds, &nr);
	for (size_t i = 0; i < nr; i++)
		max = MAX(max, fds[i]);
	return max;
}

/* Which process does what a kind does once per file (epoll items...). */
static void find_file_owners(struct restore *rs)
{
	rs->file_owner = xzalloc((rs->files->n_files + 1) * sizeof(int));
	for (size_t i = 0; i < rs->nr; i++) {
		const FdinfoEntry *fi = rs->procs[i].fdinfo;

		for (size_t k = 0; fi && k < fi->n_fds; k++)
			if (!rs->file_owner[fi->fds[k]->file_id])
				rs->file_owner[fi->fds[k]->file_id] = rs->procs[i].pp->pid;
	}
}

size_t restore_pass_fd(struct restore *rs, int fd)
{
	for (size_t k = 0; k < rs->nr_pass; k++)
		if (fd >= 0 && rs->pass[k] == fd)
			return k;
	rs->pass = xrealloc(rs->pass, (rs->nr_pass + 1) * sizeof(*rs->pass));
	rs->pass[rs->nr_pass] = fd;
	return rs->nr_pass++;
}

size_t restore_pass_slots(struct restore *rs, size_t n)
{
	size_t first = rs->nr_pass;

	rs->pass = xrealloc(rs->pass, (rs->nr_pass + n + 1) * sizeof(*rs->pass));
	for (size_t k = 0; k < n; k++)
		rs->pass[rs->nr_pass++] = -1;
	return first;
}

/* Where the tree's files go in every new process (see restore.h). */
static int plan_fd_layout(struct restore *rs)
{
	int max = own_max_fd();
	struct rlimit rl;

	for (size_t i = 0; i < rs->nr; i++)
		if (rs->procs[i].fdinfo)
			max = MAX(max, fds_max(rs->procs[i].fdinfo));
	max = MAX(max, epoll_max_tfd(rs->files));
	rs->base = max + 1;
	rs->shmem_base = rs->base + (int)rs->files->n_files;
	rs->log_fd = rs->shmem_base + (int)rs->shmem->n_objects;
	rs->pass_base = rs->log_fd + 1;
	rs->first_aux = rs->pass_base + (int)rs->nr_pass;
	/* The table can be larger than the usual soft limit of 1024. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	return 0;
}

/* The pids of the set's processes (zombies too) and the tids of their
 * threads: what a pidfd may refer to. */
int *tree_ids(const struct restore *rs, size_t *ret_nr)
{
	size_t n = 0;
	int *ids;

	for (size_t i = 0; i < rs->nr; i++)
		n += 1 + (rs->procs[i].core ? rs->procs[i].core->n_threads : 0);
	ids = xmalloc((n + 1) * sizeof(*ids));
	n = 0;
	for (size_t i = 0; i < rs->nr; i++) {
		const struct restore_proc *rp = &rs->procs[i];

		if (rp->pp->role == PLAN_HELPER)
			continue;
		ids[n++] = rp->pp->pid;
		for (size_t t = 0; rp->core && t < rp->core->n_threads; t++)
			ids[n++] = (int)rp->core->threads[t]->tid;
	}
	*ret_nr = n;
	return ids;
}

static int restore_check(struct restore *rs)
{
	_cleanup_free_ const FdinfoEntry **fis = xzalloc(rs->nr * sizeof(*fis));
	_cleanup_free_ const MmEntry **mms = xzalloc(rs->nr * sizeof(*mms));
	_cleanup_free_ const MmEntry **host_mms = xzalloc(rs->nr * sizeof(*mms));
	size_t n = 0, nr_host = 0;
	int r;

	for (size_t i = 0; i < rs->nr; i++)
		if (rs->procs[i].core) {
			fis[n] = rs->procs[i].fdinfo;
			mms[n++] = rs->procs[i].mm;
			/* The attaches of one in an IPC namespace of the
			 * tree's are checked with it (ns-ipc.c). */
			if (!ns_ipc_entry(rs, i))
				host_mms[nr_host++] = rs->procs[i].mm;
		}
	/* Whether a restore has a terminal is its own affair, not the
	 * images': a dump checking its images assumes one. */
	rs->tty_fd = rs->verify_only ? STDIN_FILENO : find_tty();
	r = FAULT_OR(restore_check_files, pr_errno(-ENOENT, "cannot restore: a file is missing"),
		     files_check(&(struct files_open){ .fe = rs->files,
						       .trust = &rs->trust,
						       .tty_fd = rs->tty_fd,
						       .tree_alive = rs->verify_only,
						       .nr_shmem = rs->shmem->n_objects,
						       .inherit = rs->inherit,
						       .nr_inherit = rs->nr_inherit },
				 fis, n));
	if (r >= 0 && !rs->verify_only)
		r = check_caller_tty(rs);
	if (r >= 0) {
		size_t nr_ids = 0;
		_cleanup_free_ int *ids = tree_ids(rs, &nr_ids);

		r = pidfds_check(rs->files, ids, nr_ids);
		if (r >= 0)
			r = procfiles_check(rs->files, ids, nr_ids);
	}
	if (r < 0)
		return r;
	r = FAULT_OR(restore_check_shmem, -EBADMSG, shmem_check(rs->shmem, mms, n));
	if (r == -EBADMSG)
		return inconsistent("shared memory");
	if (r < 0)
		return r; /* a path it refused, said */
	r = ipc_check(rs->ipc, host_mms, nr_host, &rs->trust);
	if (r < 0)
		return r;
	for (size_t i = 0; i < rs->nr && r >= 0; i++)
		if (rs->procs[i].mm)
			r = pages_check(rs->procs[i].mm, rs->chain, rs->nr_chain,
					rs->procs[i].pp->pid);
	for (size_t i = 0; i < n && r >= 0; i++)
		r = FAULT_OR(restore_check_mapped_files,
			     pr_errno(-ENOENT, "cannot restore: a mapped file is missing"),
			     mm_check_files(mms[i], &rs->trust));
	if (r >= 0 && !rs->verify_only)
		r = FAULT_OR(restore_check_pids,
			     pr_fail(-EEXIST, "cannot restore: a pid is in use"), check_pids(rs));
	if (r < 0)
		return r;
	find_file_owners(rs);
	plan_fd_layout(rs);
	for (size_t i = 0; i < rs->nr && r >= 0; i++)
		if (rs->procs[i].mm)
			r = FAULT_OR(restore_plan_mm,
				     pr_fail(-EBADMSG,
					     "cannot restore: images are inconsistent (memory)"),
				     mm_plan_init(&rs->procs[i].plan, rs->procs[i].mm,
						  rs->shmem_base, rs->base, rs->first_aux));
	/* After the trampolines: the area of the slots keeps clear of them. */
	if (r >= 0)
		r = FAULT_OR(restore_cow_plan,
			     pr_fail(-EBADMSG, "cannot restore: images are inconsistent (memory)"),
			     cow_plan(rs));
	return r;
}

/* The page images checked by two threads, each taking the next. */
struct verify_work {
	struct restore *rs;
	pthread_mutex_t lock;
	size_t next;
	size_t failed; /* the first image that failed, or rs->nr */
	int err;
};

static void *verify_worker(void *arg)
{
	struct verify_work *w = arg;

	for (;;) {
		size_t i;
		struct img img;
		char *name;
		int r;

		pthread_mutex_lock(&w->lock);
		i = w->err ? w->rs->nr : w->next++;
		pthread_mutex_unlock(&w->lock);
		if (i >= w->rs->nr)
			return NULL;
		if (!w->rs->procs[i].core)
			continue;
		name = img_name(IMG_PAGES, w->rs->procs[i].pp->pid);
		r = img_open_file(&img, w->rs->dirfd, name, IMG_PAGES);
		if (r >= 0)
			r = img_verify(&img);
		img_close(&img);
		free(name);
		pthread_mutex_lock(&w->lock);
		if (r < 0 && (!w->err || i < w->failed)) {
			w->err = r;
			w->failed = i;
		}
		pthread_mutex_unlock(&w->lock);
	}
}

/* Every page image read through: each frame matches its checksum. A dump
 * does it while the tree is frozen: on both CPUs. */
static int verify_pages(struct restore *rs)
{
	struct verify_work w = { .rs = rs, .failed = rs->nr };
	bool helper;
	pthread_t t;

	pthread_mutex_init(&w.lock, NULL);
	helper = rs->nr > 1 && pthread_create(&t, NULL, verify_worker, &w) == 0;
	verify_worker(&w);
	if (helper)
		pthread_join(t, NULL);
	pthread_mutex_destroy(&w.lock);
	if (w.err < 0) {
		_cleanup_free_ char *name = img_name(IMG_PAGES, rs->procs[w.failed].pp->pid);

		pr_err("cannot restore: cannot read image '%s': %s", name, img_strerror(w.err));
		return w.err;
	}
	return 0;
}

int restore_prepare(struct restore *rs, const char *dir, const struct inherit_fd *inherit,
		    int nr_inherit, const struct options *o)
{
	int r;

	memset(rs, 0, sizeof(*rs));
	rs->dirfd = rs->tty_fd = rs->log_pipe = -1;
	rs->inherit = inherit;
	rs->nr_inherit = nr_inherit;
	rs->opts = o;
	r = restore_load(rs, dir);
	if (r >= 0)
		r = restore_check(rs);
	return r;
}

void restore_release(struct restore *rs)
{
	for (size_t i = 0; rs->procs && i < rs->nr; i++) {
		struct restore_proc *rp = &rs->procs[i];

		if (rp->core)
			protobuf_c_message_free_unpacked(&rp->core->base, NULL);
		if (rp->mm)
			protobuf_c_message_free_unpacked(&rp->mm->base, NULL);
		if (rp->fdinfo)
			protobuf_c_message_free_unpacked(&rp->fdinfo->base, NULL);
		cow_slots_release(&rp->plan.cow);
		mm_plan_release(&rp->plan);
		free(rp->thread_host);
	}
	if (rs->cow_len)
		munmap((void *)rs->cow_base, rs->cow_len);
	ns_release_all(rs);
	cgroup_release(rs);
	free(rs->procs);
	free(rs->file_owner);
	free(rs->pass);
	plan_release(&rs->plan);
	if (rs->shmem)
		protobuf_c_message_free_unpacked(&rs->shmem->base, NULL);
	free(rs->ipc_st.created);
	if (rs->ipc)
		protobuf_c_message_free_unpacked(&rs->ipc->base, NULL);
	if (rs->files)
		protobuf_c_message_free_unpacked(&rs->files->base, NULL);
	if (rs->pstree)
		protobuf_c_message_free_unpacked(&rs->pstree->base, NULL);
	if (rs->inv)
		protobuf_c_message_free_unpacked(&rs->inv->base, NULL);
	for (size_t i = 1; i < rs->nr_chain; i++)
		close(rs->chain[i]);
	free(rs->chain);
	if (rs->dirfd >= 0)
		close(rs->dirfd);
	if (rs->log_pipe >= 0)
		close(rs->log_pipe);
	trust_release(&rs->trust);
	memset(rs, 0, sizeof(*rs));
	rs->dirfd = rs->tty_fd = rs->log_pipe = -1;
}

int restore_verify(const char *dir, bool pages)
{
	struct restore rs = { .dirfd = -1,
			      .tty_fd = -1,
			      .log_pipe = -1,
			      .verify_only = true,
			      .meta_parents = !pages };
	int r;

	r = restore_load(&rs, dir);
	if (r >= 0)
		r = restore_check(&rs);
	if (r >= 0 && pages)
		r = verify_pages(&rs);
	restore_release(&rs);
	return r;
}
