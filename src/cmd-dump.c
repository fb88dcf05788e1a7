// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt dump: seize the tree, collect, write images, then kill or resume.
 * Any failure resumes every process exactly as it was and removes the
 * partial images. What is read from each process is in dump-collect.c;
 * the chain of incremental dumps (the page keeper) in dump-chain.c.
 */
#include "dump-chain.h"
#include "dump-guard.h"
#include "dump.h"
#include "cgroup.h"
#include "commands.h"
#include "fault.h"
#include "files.h"
#include "imgdir.h"
#include "incremental.h"
#include "infect.h"
#include "keeper.h"
#include "kinds.h"
#include "machine.h"
#include "mm.h"
#include "ns.h"
#include "pages.h"
#include "proc.h"
#include "pstree.pb-c.h"
#include "seize.h"
#include "stream.h"
#include "track.h"
#include "tree.h"
#include "trust.h"
#include "util.h"

#include <signal.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

/* ckpt runs below @root: dumping the tree would freeze ckpt itself. */
static bool ckpt_in_tree(int root)
{
	for (int pid = getpid(); pid > 1;) {
		struct proc_stat st;

		if (pid == root)
			return true;
		if (proc_read_stat(pid, &st) < 0)
			return false;
		pid = st.ppid;
	}
	return false;
}

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
	if (ckpt_in_tree(pid))
		return pr_fail(-EINVAL, "cannot dump %d: ckpt itself runs in its tree", pid);
	return 0;
}

/* The tree must be one that restore can rebuild: refuse it now, while it
 * can still run on. */
static int check_plan(struct dump *d)
{
	struct tree_node *nodes = xmalloc(d->tree.nr * sizeof(*nodes));
	struct plan plan;
	char why[256];
	int r;

	for (size_t i = 0; i < d->tree.nr; i++)
		nodes[i] = d->tree.procs[i].node;
	r = tree_plan(nodes, d->tree.nr, &plan, why, sizeof(why));
	free(nodes);
	if (r < 0)
		return pr_fail(r, "cannot dump %d: its sessions cannot be rebuilt: %s", d->root,
			       why);
	/* What the plan asks of pid namespaces, the kernel must allow. */
	r = ns_plan_check(&d->tree, &plan);
	if (r < 0) {
		plan_release(&plan);
		return r;
	}
	/* A child gets pages from its parent only if the parent clones it. */
	free(d->cow_parent);
	d->cow_parent = xmalloc((d->tree.nr + 1) * sizeof(int));
	for (size_t i = 0; i < d->tree.nr; i++)
		d->cow_parent[i] = -1;
	for (size_t j = 0; j < plan.nr; j++) {
		const struct plan_proc *pp = &plan.procs[j];
		int c = pp->creator >= 0 ? plan.procs[pp->creator].node : -1;

		if (pp->node < 0 || c < 0 || pp->clone_parent || pp->role != PLAN_LIVE ||
		    plan.procs[pp->creator].role != PLAN_LIVE ||
		    d->tree.procs[c].node.pid != d->tree.procs[pp->node].node.ppid)
			continue;
		d->cow_parent[pp->node] = c;
	}
	plan_release(&plan);
	return 0;
}

static const MmEntry *mm_in_parent(struct dump *d, int pid)
{
	return d->incremental ? parent_mm(&d->parent, pid) : NULL;
}

/* A full dump: which pages of process @i to store, and which it shares
 * with its parent (every process is scanned before any memory is freed). */
static int scan_proc(struct dump *d, size_t i)
{
	struct dump_proc *p = &d->procs[i];
	int pid = p->tp->node.pid, c = d->cow_parent ? d->cow_parent[i] : -1;
	int r;

	r = FAULT_OR(dump_pages_scan, pr_errno(-EIO, "cannot read the page map of %d", pid),
		     pages_scan(pid, &p->mm, mm_in_parent(d, pid), &p->runs, &d->stats));
	if (r >= 0 && c >= 0 && !d->tree.procs[c].node.zombie)
		r = FAULT_OR(dump_cow_mark, pr_errno(-EIO, "cannot read the page map of %d", pid),
			     pages_cow_mark(pid, &p->mm, d->procs[c].tp->node.pid, &d->procs[c].mm,
					    d->incremental ? d->parent.dirfd : -1, &p->runs,
					    &d->stats));
	return r;
}

/* A process that may share pages copy-on-write with another of the tree
 * (its parent or a child): reading its pages must not unshare them if
 * the tree runs on (pages.c); reading them so is slower. */
static bool has_kin(const struct dump *d, const struct dump_proc *p)
{
	const struct tree_node *n = &p->tp->node;

	for (size_t i = 0; i < d->tree.nr; i++) {
		const struct tree_node *o = &d->tree.procs[i].node;

		if (!o->zombie && o->pid != n->pid && (o->ppid == n->pid || o->pid == n->ppid))
			return true;
	}
	return false;
}

/* A full dump: the process's memory and its state. The VMA flags are read
 * while the pages are copied (see mm.h). */
static int write_proc(struct dump *d, struct dump_proc *p, int dirfd)
{
	int pid = p->tp->node.pid;
	struct pages_write_how how = { .discard = d->discard ? &p->inf : NULL,
				       .keep_shared = d->leave_running && has_kin(d, p),
				       .codec = d->codec };
	struct mm_flags_read flags;
	int r;

	p->core.threads = p->threads;
	p->core.n_threads = p->tp->nr_threads;
	mm_flags_start(&flags, pid);
	r = FAULT_OR(dump_pages_write, pr_errno(-ENOSPC, "cannot write the memory of %d", pid),
		     pages_write(pid, &p->runs, dirfd, &how, &p->undo, &d->stats));
	if (r < 0) {
		mm_flags_cancel(&flags);
		return r;
	}
	r = FAULT_OR(dump_mm_flags, pr_errno(-ENOENT, "cannot read the mappings of %d", pid),
		     mm_flags_finish(&flags, &p->mm));
	if (r < 0)
		return r;
	r = FAULT_OR(dump_write_mm, -ENOSPC, img_write_msg(dirfd, IMG_MM, pid, &p->mm.base));
	if (r >= 0)
		r = FAULT_OR(dump_write_core, -ENOSPC,
			     img_write_msg(dirfd, IMG_CORE, pid, &p->core.base));
	if (r >= 0)
		r = FAULT_OR(dump_write_fdinfo, -ENOSPC,
			     img_write_msg(dirfd, IMG_FDINFO, pid, &p->fdinfo.base));
	return r < 0 ? pr_errno(r, "cannot write the images of %d", pid) : 0;
}

/* A pre-dump, the process frozen: which pages to store, and the VMA flags
 * (tracking needs them). */
static int predump_scan_proc(struct dump *d, struct dump_proc *p)
{
	int pid = p->tp->node.pid;
	struct mm_flags_read flags;
	int r;

	mm_flags_start(&flags, pid);
	r = FAULT_OR(dump_pages_scan, pr_errno(-EIO, "cannot read the page map of %d", pid),
		     pages_scan(pid, &p->mm, mm_in_parent(d, pid), &p->runs, &d->stats));
	if (r < 0) {
		mm_flags_cancel(&flags);
		return r;
	}
	return mm_flags_finish(&flags, &p->mm);
}

/* A pre-dump, the process running again: its pages and VMAs. */
static int predump_write_proc(struct dump *d, struct dump_proc *p, int dirfd)
{
	int pid = p->tp->node.pid;
	struct pages_write_how how = { .running = true,
				       .keep_shared = has_kin(d, p),
				       .codec = d->codec };
	int r;

	/* pages_write() tells its own failure. */
	r = FAULT_OR(dump_pages_write, pr_errno(-ENOSPC, "cannot write the memory of %d", pid),
		     pages_write(pid, &p->runs, dirfd, &how, NULL, &d->stats));
	if (r < 0)
		return r;
	r = FAULT_OR(dump_write_mm, -ENOSPC, img_write_msg(dirfd, IMG_MM, pid, &p->mm.base));
	return r < 0 ? pr_errno(r, "cannot write the images of %d", pid) : 0;
}

static int write_pstree(struct dump *d, int dirfd)
{
	PstreeEntry pe = PSTREE_ENTRY__INIT;
	ProcessEntry *procs = xmalloc(d->tree.nr * sizeof(*procs));
	int r;

	pe.procs = xmalloc(d->tree.nr * sizeof(*pe.procs));
	for (size_t i = 0; i < d->tree.nr; i++) {
		const struct tree_node *n = &d->tree.procs[i].node;
		ProcessEntry *e = &procs[i];

		process_entry__init(e);
		e->pid = n->pid;
		e->ppid = n->ppid;
		e->pgid = n->pgid;
		e->sid = n->sid;
		e->has_zombie = n->zombie;
		e->zombie = n->zombie;
		e->has_exit_status = n->zombie;
		e->exit_status = n->exit_status;
		e->has_stop_signal = n->stop_sig != 0;
		e->stop_signal = n->stop_sig;
		if (n->zombie)
			e->comm = (char *)n->comm;
		pe.procs[pe.n_procs++] = e;
	}
	r = FAULT_OR(dump_write_pstree, -ENOSPC, img_write_msg(dirfd, IMG_PSTREE, 0, &pe.base));
	free(pe.procs);
	free(procs);
	return r;
}

/* Each failure is told where it happens. */
static int write_all(struct dump *d, struct imgdir *dir)
{
	int r = 0;

	for (size_t i = 0; i < d->tree.nr && r >= 0 && !d->predump; i++) {
		if (interrupted())
			return -EINTR;
		if (!d->tree.procs[i].node.zombie)
			r = scan_proc(d, i);
	}
	for (size_t i = 0; i < d->tree.nr && r >= 0; i++) {
		if (interrupted())
			return -EINTR;
		if (d->tree.procs[i].node.zombie)
			continue;
		if (d->predump)
			r = predump_write_proc(d, &d->procs[i], dir->dirfd);
		else
			r = write_proc(d, &d->procs[i], dir->dirfd);
	}
	if (r < 0)
		return r;
	r = write_pstree(d, dir->dirfd);
	if (r >= 0 && !d->predump)
		r = FAULT_OR(dump_write_files, -ENOSPC,
			     img_write_msg(dir->dirfd, IMG_FILES, 0, &d->files.img.base));
	if (r < 0)
		return pr_errno(r, "cannot write images in '%s'", dir->tmp);
	if (d->predump)
		return 0;
	r = FAULT_OR(dump_write_shmem, pr_errno(-ENOSPC, "cannot write images in '%s'", dir->tmp),
		     shmem_dump(&d->shmem, dir->dirfd));
	if (r >= 0)
		r = cgroup_dump(&d->tree, dir->dirfd);
	if (r >= 0)
		r = FAULT_OR(dump_write_ipc,
			     pr_errno(-ENOSPC, "cannot write images in '%s'", dir->tmp),
			     ipc_dump_write(&d->ipc, dir->dirfd));
	return r;
}

static void fill_inventory(InventoryEntry *inv, struct dump *d, uint64_t frozen_at)
{
	static struct utsname u;
	static char boot[BOOT_ID_LEN + 1];

	uname(&u);
	/* Inodes compare at restore only on the boot they were seen on. */
	boot_id_read(boot);
	if (boot[0])
		inv->boot_id = boot;
	inv->format_version = IMG_FORMAT_VERSION;
	inv->ckpt_version = CKPT_VERSION;
	inv->root_pid = d->root;
	inv->kernel = u.release;
	inv->dump_time_ns = frozen_at;
	inv->nr_tasks = (uint32_t)d->tree.nr;
	inv->id = d->id;
	inv->has_predump = d->predump;
	inv->predump = d->predump;
	if (d->incremental) {
		inv->parent_path = d->parent.path;
		inv->parent_id = d->parent.inv->id;
	}
}

/* Give back signals we took off the queues. */
static void requeue_stolen(struct dump_proc *p)
{
	struct tree_proc *tp = p->tp;
	bool stolen = false;

	for (size_t i = 0; i < tp->nr_threads; i++)
		stolen |= tp->threads[i].nr_stolen > 0;
	if (!stolen || infect_proc(p) < 0 || map_scratch(p) < 0)
		return;
	for (size_t i = 0; i < tp->nr_threads; i++) {
		struct infect inf;

		infect_for_thread(&inf, &p->inf, tp->threads[i].pid, &tp->threads[i].regs);
		(void)signals_requeue_stolen(&inf, &tp->threads[i]);
	}
	(void)infect_unmap_scratch(&p->inf);
}

/*
 * Memory a dump took out of a process goes back first. A process that
 * cannot have it back must not go on with holes in its memory: it is
 * killed (this needs the images we just wrote to be unreadable).
 */
static void give_memory_back(struct dump *d)
{
	for (size_t i = 0; i < d->tree.nr; i++) {
		struct dump_proc *p = &d->procs[i];

		if (d->tree.procs[i].node.zombie || !p->undo)
			continue;
		/* The dump has failed and said why already: one line. */
		if (pages_undo_discard(p->undo) < 0) {
			pr_debug("cannot give %d its memory back: killed", p->tp->node.pid);
			(void)kill(p->tp->node.pid, SIGKILL);
		}
		pages_undo_free(p->undo);
		p->undo = NULL;
	}
}

static void resume_tree(struct dump *d)
{
	/* Sockets out of repair mode before anything runs. */
	files_dump_done(&d->files, false);
	if (d->procs)
		give_memory_back(d);
	for (size_t i = 0; i < d->tree.nr; i++)
		if (!d->tree.procs[i].node.zombie)
			requeue_stolen(&d->procs[i]);
	tree_thaw(&d->tree);
}

static int kill_tree(struct dump *d)
{
	int r = 0;

	for (size_t i = 0; i < d->tree.nr; i++)
		if (!d->tree.procs[i].node.zombie && kill(d->tree.procs[i].node.pid, SIGKILL) < 0)
			r = pr_errno(-errno, "cannot kill %d", d->tree.procs[i].node.pid);
	return r;
}

static bool tree_has_tid(const struct dump *d, int tid)
{
	for (size_t i = 0; i < d->tree.nr; i++)
		for (size_t k = 0; k < d->tree.procs[i].nr_threads; k++)
			if (d->tree.procs[i].threads[k].pid == tid)
				return true;
	return false;
}

/*
 * As their tracer we see the threads die (their parents still reap them),
 * in whatever order they can: a leader's exit is reported only after
 * every other thread's, and the last thread of a pid namespace's init
 * waits until every other task of the namespace (its own threads too) is
 * released, which their tracer's wait does. So every thread not seen yet
 * is asked (WNOHANG), and ckpt sleeps until the next one dies.
 */
static void wait_tree_dead(struct dump *d)
{
	_cleanup_free_ bool **seen = xzalloc((d->tree.nr + 1) * sizeof(*seen));
	size_t left = 0;
	int status;

	for (size_t i = 0; i < d->tree.nr; i++) {
		seen[i] = xzalloc(d->tree.procs[i].nr_threads + 1);
		left += d->tree.procs[i].nr_threads;
	}
	while (left) {
		bool progress = false;
		siginfo_t si = { 0 };

		for (size_t i = d->tree.nr; i-- > 0;)
			for (size_t k = d->tree.procs[i].nr_threads; k-- > 0;) {
				int tid = d->tree.procs[i].threads[k].pid, r;

				if (seen[i][k])
					continue;
				r = waitpid(tid, &status, __WALL | WNOHANG);
				if (r == tid || (r < 0 && errno == ECHILD)) {
					seen[i][k] = true;
					left--;
					progress = true;
				}
			}
		if (left && !progress &&
		    (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | __WALL) < 0 ||
		     !tree_has_tid(d, si.si_pid)))
			break; /* another child of ckpt's: wait as before */
	}
	for (size_t i = d->tree.nr; i-- > 0;) {
		for (size_t k = d->tree.procs[i].nr_threads; left && k-- > 0;)
			if (!seen[i][k])
				(void)waitpid(d->tree.procs[i].threads[k].pid, &status, __WALL);
		free(seen[i]);
	}
	pr_debug("the tree is dead");
}

static struct dump *dump_new(const struct options *o)
{
	struct dump *d = xzalloc(sizeof(*d));

	d->root = o->pid;
	d->files_opts.ext_unix_sk = o->ext_unix_sk;
	file_table_init(&d->files, &d->files_opts, -1);
	shmem_table_init(&d->shmem);
	ipc_table_init(&d->ipc);
	d->files.shmem = &d->shmem;
	d->parent.dirfd = -1;
	return d;
}

static void dump_start_procs(struct dump *d)
{
	d->procs = xzalloc(d->tree.nr * sizeof(*d->procs));
	for (size_t i = 0; i < d->tree.nr; i++) {
		struct dump_proc *p = &d->procs[i];

		p->tp = &d->tree.procs[i];
		task_core_entry__init(&p->core);
		mm_entry__init(&p->mm);
		fdinfo_entry__init(&p->fdinfo);
	}
}

static void dump_free(struct dump *d)
{
	for (size_t i = 0; d->procs && i < d->tree.nr; i++) {
		free(d->procs[i].creds);
		pages_undo_free(d->procs[i].undo);
		page_runs_release(&d->procs[i].runs);
	}
	if (d->track) {
		track_state_release(d->track);
		free(d->track);
	}
	if (d->next) {
		track_state_release(d->next);
		free(d->next);
	}
	parent_close(&d->parent);
	file_table_release(&d->files);
	shmem_table_release(&d->shmem);
	ipc_table_release(&d->ipc);
	tree_release(&d->tree);
	free(d->procs);
	free(d->cow_parent);
	free(d);
}

/* A pre-dump, the tree frozen: the pages of each process found, then
 * tracking armed again. */
static int predump_frozen(struct dump *d)
{
	int r = 0;

	for (size_t i = 0; i < d->tree.nr && r >= 0; i++)
		if (!d->tree.procs[i].node.zombie)
			r = predump_scan_proc(d, &d->procs[i]);
	return r < 0 ? r : track_arm(d);
}

/* The tree dies for these images: they must restore. */
static int dump_verify(struct dump *d, struct imgdir *dir)
{
	_cleanup_free_ char *context =
		xasprintf("cannot dump %d: its images would not restore", d->root);
	int r;

	log_set_context(context);
	r = restore_verify(dir->tmp, !d->stream);
	log_set_context(NULL);
	if (r >= 0)
		pr_debug("read the images back and checked them");
	return r < 0 ? r : 0;
}

/*
 * The images become the dump only once they are complete and durable,
 * and, when the tree dies for them, read back and checked by the code a
 * restore runs. The last interruption is taken before the keeper learns
 * of a pre-dump: from there on the dump is done.
 */
static int dump_commit(struct dump *d, struct imgdir *dir, uint64_t t_frozen)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	int r;

	fill_inventory(&inv, d, t_frozen);
	r = d->predump ? 0 : machine_dump(d, &inv.machine);
	if (r >= 0)
		r = imgdir_seal(dir, &inv);
	if (r >= 0)
		pr_debug("synced the images");
	if (r >= 0 && !d->predump && !d->leave_running)
		r = dump_verify(d, dir);
	if (r >= 0 && interrupted())
		r = -EINTR;
	if (r >= 0 && d->stream)
		r = stream_dump_send(d->stream, dir, &inv, d->root);
	if (r >= 0 && d->handshake)
		r = stream_dump_wait_ready(d->stream, d->root);
	if (r >= 0 && d->predump) {
		r = FAULT_OR(dump_keeper_put, -EPIPE, keeper_put(d->root, d->next));
		if (r < 0)
			r = pr_fail(r, "cannot dump %d: cannot track its pages: %s", d->root,
				    keeper_strerror(r));
	}
	if (r >= 0)
		r = imgdir_publish(dir);
	machine_free(inv.machine); /* the inventory is used up to here */
	return r;
}

/* -v: what the dump did, and how long the tree was frozen (from the
 * first seize to the kill or the resume). */
static void log_stats(const struct dump *d, uint64_t t0, uint64_t t_thawed)
{
	const struct pages_stats *st = &d->stats;

	pr_debug(
		"dumped %zu processes of tree %d, frozen for %.1f ms: %llu pages stored, %llu in the parent, %llu zero pages left out, %zu VMAs incremental, %llu pages shared with a parent process",
		d->tree.nr, d->root, (t_thawed - t0) / 1e6, (unsigned long long)st->stored_pages,
		(unsigned long long)st->parent_pages, (unsigned long long)st->zero_pages,
		st->tracked_vmas, (unsigned long long)st->parent_proc_pages);
}

int cmd_dump(const struct options *o)
{
	struct imgdir dir;
	struct dump *d = dump_new(o);
	struct cg_freeze frz = { .ctl = -1, .dirfd = -1 };
	uint64_t t0, t_frozen, t_thawed = 0;
	bool running = false;
	int r;

	d->predump = o->command == CMD_PREDUMP;
	d->leave_running = o->leave_running;
	d->discard = !d->predump && !o->leave_running && o->free_memory;
	d->codec = o->compress;
	d->handshake = o->handshake;
	image_id_new(d->id);
	/* The tree outlives ckpt unless its memory is freed as it is stored
	 * (seize.c); an interruption is a failure like any other. */
	seize_exitkill_always(d->discard);
	catch_interrupts();
	r = check_target(o->pid);
	/* Before anything is changed in the tree (dump-guard.c). */
	if (r >= 0) {
		r = dguard_start();
		if (r < 0)
			r = pr_errno(r, "cannot dump %d: cannot start its guardian", o->pid);
	}
	if (r >= 0)
		r = FAULT_OR(dump_imgdir, pr_errno(-EACCES, "cannot create '%s'", o->images),
			     strcmp(o->images, "-") ? imgdir_create(&dir, o->images)
						    : stream_dump_begin(o, &dir, &d->stream));
	if (r < 0)
		goto out;
	r = open_chain(d, o->parent);
	if (r < 0)
		goto out_abort;
	d->files.dirfd = dir.dirfd;
	t0 = now_ns(CLOCK_MONOTONIC);
	/* One write stops a tree that has a cgroup of its own, then ptrace
	 * takes it (cgroup-freeze.c). */
	r = interrupted() ? -EINTR : cgroup_freeze(o->pid, &frz);
	if (r >= 0)
		r = interrupted() ? -EINTR : tree_seize(o->pid, &d->tree);
	if (r >= 0 && frz.ctl >= 0)
		fault_frozen();
	cgroup_thaw(&frz);
	seize_ahead_release();
	if (r >= 0)
		pr_debug("seized %zu processes in %.1f ms", d->tree.nr,
			 (now_ns(CLOCK_MONOTONIC) - t0) / 1e6);
	if (r < 0) {
		track_abort(d);
		goto out_abort;
	}
	t_frozen = now_ns(CLOCK_REALTIME);
	pr_debug("froze %zu processes", d->tree.nr);
	dump_start_procs(d);
	r = check_plan(d);
	if (r >= 0)
		r = collect_all(d);
	if (r >= 0)
		pr_debug("collected their state");
	/* A pre-dump lets the tree go on as soon as tracking is armed. */
	if (r >= 0 && d->predump) {
		r = predump_frozen(d);
		if (r >= 0) {
			resume_tree(d);
			running = true;
			t_thawed = now_ns(CLOCK_MONOTONIC);
		}
	}
	/* The namespaces' images first: a kind may refuse what it finds. */
	if (r >= 0 && !d->predump)
		r = interrupted() ? -EINTR : ns_dump_all(d, &dir, o);
	if (r >= 0)
		r = write_all(d, &dir);
	relay_pool_drain(); /* before a keeper is forked */
	for (size_t i = 0; r >= 0 && !d->predump && i < d->tree.nr; i++)
		if (!d->tree.procs[i].node.zombie)
			r = FAULT_OR(dump_aio_recheck,
				     pr_fail(-EBUSY, "cannot dump %d: requests were in flight",
					     d->tree.procs[i].node.pid),
				     aio_recheck(d->tree.procs[i].node.pid, &d->procs[i].mm));
	if (r >= 0) {
		pr_debug("wrote the images");
		r = dump_commit(d, &dir, t_frozen);
	}
	if (r < 0) {
		if (!running)
			resume_tree(d);
		track_abort(d);
		goto out_abort;
	}
	if (!running && o->leave_running) {
		resume_tree(d);
		t_thawed = now_ns(CLOCK_MONOTONIC);
	} else if (!running) {
		ns_before_kill(d, o);
		r = kill_tree(d);
		t_thawed = now_ns(CLOCK_MONOTONIC);
		/* Killed, it never runs again; its death frees its memory, in
		 * time growing with it (0.6 s for 2 GiB): not the restore's wait. */
		if (r >= 0 && d->handshake)
			r = stream_dump_go(d->stream, d->root, true);
		wait_tree_dead(d);
		/* The tree is gone: what the kinds still hold goes last. */
		files_dump_done(&d->files, true);
	}
	if (r >= 0 && d->handshake && (running || o->leave_running))
		r = stream_dump_go(d->stream, d->root, false);
	track_end(d);
	log_stats(d, t0, t_thawed);
	goto out;
out_abort:
	imgdir_abort(&dir);
out:
	stream_dump_end(d->stream);
	dump_free(d);
	/* Everything given back (or the tree is dead): the guardian goes. */
	dguard_done();
	if (r < 0 && interrupted())
		r = pr_interrupted("dump");
	release_interrupts();
	return r;
}
