// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt dump: seize, collect, write images, then kill or resume. Any failure
 * resumes the task exactly as it was and removes the partial images.
 */
#include "commands.h"
#include "fds.h"
#include "imgdir.h"
#include "infect.h"
#include "kinds.h"
#include "mm.h"
#include "proc.h"
#include "seize.h"
#include "util.h"

#include <signal.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#define SCRATCH_LEN 4096

struct dump {
	int pid;
	struct seized_task *tasks; /* every thread, leader first */
	size_t nr_threads;
	struct infect inf; /* in the leader */
	TaskCoreEntry core;
	ThreadCoreEntry **threads;
	MmEntry mm;
	FdinfoEntry fdinfo;
	uint64_t pages_bytes;
};

/* What can be refused before touching the process. */
static int check_target(int pid)
{
	struct proc_stat st;
	int r;

	if (pid == getpid())
		return pr_fail(-EINVAL, "cannot dump %d: that is ckpt itself", pid);
	r = proc_read_stat(pid, &st);
	if (r == -ENOENT)
		return pr_fail(-ESRCH, "cannot dump %d: no such process", pid);
	if (r < 0)
		return pr_errno(r, "cannot dump %d", pid);
	if (st.flags & PF_KTHREAD)
		return pr_fail(-EINVAL, "cannot dump %d: it is a kernel thread", pid);
	if (st.state == 'Z' || st.state == 'X')
		return pr_fail(-EINVAL, "cannot dump %d: it has exited (zombie)", pid);
	return 0;
}

/* Checked once stopped: it may have forked just before. */
static int check_shape(int pid)
{
	_cleanup_free_ int *children = NULL;
	size_t nr_children;
	int r;

	r = proc_list_children(pid, pid, &children, &nr_children);
	if (r < 0)
		return pr_errno(r, "cannot list the children of %d", pid);
	if (nr_children)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: it has %zu child process%s (process trees are not supported yet)",
			pid, nr_children, nr_children > 1 ? "es" : "");
	return 0;
}

static int thread_comm(int pid, int tid, char **ret)
{
	char path[96];
	char *text;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	r = read_file(path, &text, NULL);
	if (r < 0)
		return pr_errno(r, "cannot read '%s'", path);
	text[strcspn(text, "\n")] = 0;
	*ret = text;
	return 0;
}

/* One thread, through remote syscalls in that thread. */
static int dump_thread(struct dump *d, size_t i)
{
	struct seized_task *t = &d->tasks[i];
	ThreadCoreEntry *th = xmalloc(sizeof(*th));
	struct infect inf;
	int r;

	thread_core_entry__init(th);
	d->threads[i] = th;
	infect_for_thread(&inf, &d->inf, t->pid, &t->regs);
	inf.task = t;
	r = thread_comm(d->pid, t->pid, &th->comm);
	if (r >= 0)
		r = thread_ptrs_dump(&inf, th);
	/* Last: signals that arrived during the calls above are in it. */
	if (r >= 0)
		r = signals_dump_thread(t, &inf, th);
	if (r >= 0)
		r = regs_dump(t, th);
	/* The stolen signals are in the images as pending now, and still
	 * kept in @t: a task that goes on running gets them back. */
	return r;
}

/* Everything the task must answer itself, while the scratch page exists. */
static int dump_infected(struct dump *d)
{
	struct seized_task *leader = &d->tasks[0];
	int r;

	r = infect_init(&d->inf, leader->pid, &leader->regs, leader);
	if (r < 0)
		return pr_errno(r, "cannot find a syscall instruction in %d", d->pid);
	r = infect_map_scratch(&d->inf, SCRATCH_LEN);
	if (r < 0)
		return pr_errno(r, "cannot map scratch memory in %d", d->pid);
	r = task_dump(leader, &d->inf, &d->core);
	if (r >= 0)
		r = sigactions_dump(&d->inf, &d->core);
	if (r >= 0)
		r = itimers_dump(&d->inf, &d->core);
	if (r >= 0)
		r = mm_dump_brk(&d->inf, &d->mm);
	if (r >= 0)
		r = shared_pending_dump(d->pid, &d->core);
	d->threads = xzalloc(d->nr_threads * sizeof(*d->threads));
	for (size_t i = 0; i < d->nr_threads && r >= 0; i++)
		r = dump_thread(d, i);
	return r;
}

static int dump_collect(struct dump *d)
{
	int r;

	r = dump_infected(d);
	/* The scratch mapping must be gone before the mappings are read. */
	if (infect_unmap_scratch(&d->inf) < 0 && r >= 0)
		r = pr_errno(-EFAULT, "cannot remove scratch memory from %d", d->pid);
	if (r < 0)
		return r;
	r = mm_dump(d->pid, &d->mm);
	if (r < 0)
		return r;
	return fds_dump(d->pid, &d->fdinfo);
}

static int dump_write(struct dump *d, struct imgdir *dir)
{
	int pid = d->pid, r;

	d->core.threads = d->threads;
	d->core.n_threads = d->nr_threads;
	r = pages_dump(pid, &d->mm, dir->dirfd, &d->pages_bytes);
	if (r < 0)
		return r;
	r = img_write_msg(dir->dirfd, IMG_CORE, pid, &d->core.base);
	if (r >= 0)
		r = img_write_msg(dir->dirfd, IMG_MM, pid, &d->mm.base);
	if (r >= 0)
		r = img_write_msg(dir->dirfd, IMG_FDINFO, pid, &d->fdinfo.base);
	return r < 0 ? pr_errno(r, "cannot write images in '%s'", dir->tmp) : 0;
}

static void fill_inventory(InventoryEntry *inv, int pid, uint64_t frozen_at)
{
	static struct utsname u;

	uname(&u);
	inv->format_version = IMG_FORMAT_VERSION;
	inv->ckpt_version = CKPT_VERSION;
	inv->root_pid = pid;
	inv->kernel = u.release;
	inv->dump_time_ns = frozen_at;
	inv->nr_tasks = 1;
}

/* Give back signals we took off the queue, then let the task go. */
static void resume_task(struct dump *d)
{
	bool stolen = false;

	for (size_t i = 0; i < d->nr_threads; i++)
		stolen |= d->tasks[i].nr_stolen > 0;
	if (stolen && d->inf.syscall_ip && infect_map_scratch(&d->inf, SCRATCH_LEN) == 0) {
		for (size_t i = 0; i < d->nr_threads; i++) {
			struct infect inf;

			infect_for_thread(&inf, &d->inf, d->tasks[i].pid, &d->tasks[i].regs);
			(void)signals_requeue_stolen(&inf, &d->tasks[i]);
		}
		(void)infect_unmap_scratch(&d->inf);
	}
	thaw_threads(d->tasks, d->nr_threads);
}

static int kill_task(struct dump *d)
{
	int status;

	if (kill(d->pid, SIGKILL) < 0)
		return pr_errno(-errno, "cannot kill %d", d->pid);
	/* As their tracer we see the threads die (the parent still reaps the
	 * process); the leader's exit is reported only after every other
	 * thread's, so those go first. */
	for (size_t i = d->nr_threads; i-- > 0;)
		(void)waitpid(d->tasks[i].pid, &status, __WALL);
	return 0;
}

static void dump_init(struct dump *d)
{
	memset(d, 0, sizeof(*d));
	task_core_entry__init(&d->core);
	mm_entry__init(&d->mm);
	fdinfo_entry__init(&d->fdinfo);
}

int cmd_dump(const struct options *o)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	struct imgdir dir;
	struct dump *d = xmalloc(sizeof(*d));
	uint64_t t0, t_frozen, t_written;
	int r;

	dump_init(d);
	d->pid = o->pid;
	r = check_target(o->pid);
	if (r < 0)
		goto out;
	r = imgdir_create(&dir, o->images);
	if (r < 0)
		goto out;
	t0 = now_ns(CLOCK_MONOTONIC);
	r = seize_threads(o->pid, &d->tasks, &d->nr_threads);
	if (r < 0) {
		pr_errno(r, "cannot dump %d: cannot seize it", o->pid);
		thaw_threads(d->tasks, d->nr_threads);
		goto out_abort;
	}
	t_frozen = now_ns(CLOCK_REALTIME);
	r = check_shape(o->pid);
	if (r >= 0)
		r = dump_collect(d);
	if (r >= 0)
		r = dump_write(d, &dir);
	if (r >= 0) {
		fill_inventory(&inv, o->pid, t_frozen);
		r = imgdir_commit(&dir, &inv);
	}
	if (r < 0) {
		resume_task(d);
		goto out_abort;
	}
	t_written = now_ns(CLOCK_MONOTONIC);
	if (o->leave_running)
		resume_task(d);
	else
		r = kill_task(d);
	pr_debug("dumped %d: %llu bytes of memory in %.3f s", o->pid,
		 (unsigned long long)d->pages_bytes, (t_written - t0) / 1e9);
	goto out;
out_abort:
	imgdir_abort(&dir);
out:
	free(d);
	return r;
}
