// SPDX-License-Identifier: GPL-2.0
/*
 * Freezing a tree that has a cgroup of its own before it is seized.
 *
 * ptrace takes a tree one process at a time, and a process not yet
 * seized may fork meanwhile (tree.c reads the children again until a pass
 * finds nothing new, so nothing is missed, but a tree that forks without
 * end may take long). When every task of the tree is in one cgroup (and
 * below it) and nothing else is, one write freezes the whole tree first:
 *  - cgroup2: cgroup.freeze = 1, and cgroup.events says "frozen 1" once
 *    every task is; a frozen task reports the ptrace interrupt stop, so
 *    the tree is seized frozen, then thawed (it stays stopped by ptrace);
 *  - the v1 freezer: freezer.state = FROZEN. A task frozen there reports
 *    its ptrace stop only once thawed (measured on 6.18), so every task
 *    is seized and interrupted while frozen (seize_ahead), the cgroup is
 *    thawed at once, and tree_seize() then waits for each stop: a task
 *    leaves the freezer straight into its interrupt stop.
 * The guardian (dump-guard.c) holds a copy of the control file while the
 * cgroup is frozen, and thaws it if ckpt dies. A tree without a cgroup of
 * its own is seized as before.
 */
#include "cgroup.h"

#include "dump-guard.h"
#include "fault.h"
#include "proc.h"
#include "seize.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#define FREEZE_WAIT_MS 5000

struct tids {
	int *v;
	size_t n;
};

static void tids_add(struct tids *t, int tid)
{
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(int));
	t->v[t->n++] = tid;
}

static bool tids_has(const struct tids *t, int tid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] == tid)
			return true;
	return false;
}

/* Every task in cgroup @dfd and below. */
static int list_tasks(int dfd, bool v2, int depth, struct tids *out)
{
	_cleanup_close_ int fd = openat(dfd, v2 ? "cgroup.threads" : "tasks", O_RDONLY | O_CLOEXEC);
	FILE *f;
	DIR *dir;
	struct dirent *de;
	int tid, r = 0;

	if (fd < 0 || depth > 64)
		return fd < 0 ? -errno : -ELOOP;
	f = fdopen(fd, "r");
	if (!f)
		return -errno;
	fd = -1;
	while (fscanf(f, "%d", &tid) == 1)
		tids_add(out, tid);
	fclose(f);
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir)
		return -errno;
	fd = -1;
	while (r >= 0 && (de = readdir(dir))) {
		_cleanup_close_ int sub = -1;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = openat(dirfd(dir), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = sub < 0 ? -errno : list_tasks(sub, v2, depth + 1, out);
	}
	closedir(dir);
	return r;
}

/*
 * How many live tasks the tree below @pid has, all of them in @in; -1 if
 * one is not. A zombie is in no cgroup any more.
 */
static long tree_within(int pid, const struct tids *in, int depth)
{
	_cleanup_free_ int *tids = NULL;
	struct proc_stat st;
	size_t nr = 0;
	long n = 0;

	if (proc_read_stat(pid, &st) >= 0 && (st.state == 'Z' || st.state == 'X'))
		return 0;
	if (depth > 4096 || proc_list_threads(pid, &tids, &nr) < 0)
		return -1;
	for (size_t i = 0; i < nr; i++) {
		_cleanup_free_ int *kids = NULL;
		size_t nk = 0;

		if (!tids_has(in, tids[i]) || proc_list_children(pid, tids[i], &kids, &nk) < 0)
			return -1;
		n++;
		for (size_t k = 0; k < nk; k++) {
			long m = tree_within(kids[k], in, depth + 1);

			if (m < 0)
				return -1;
			n += m;
		}
	}
	return n;
}

/*
 * The tree rooted at @root and nothing else is in cgroup @dfd (and below).
 * Before the freeze (@frozen false) only what matters for freezing it at
 * all: the root is there and ckpt is not (it would freeze itself). Once
 * frozen, nothing forks: every task of the tree is there, and as many
 * as there are tasks in the cgroup.
 */
static bool own_cgroup(int dfd, bool v2, int root, bool frozen)
{
	struct tids in = { 0 };
	bool own;

	own = list_tasks(dfd, v2, 0, &in) >= 0 && tids_has(&in, root) && !tids_has(&in, getpid());
	own = own && (!frozen || tree_within(root, &in, 0) == (long)in.n);
	free(in.v);
	return own;
}

/* The cgroup of @root in hierarchy @m, open; -1 if it is a root. */
static int cgroup_of(int root, const struct cg_mount *m)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/cgroup", root), *buf = NULL;
	char *save = NULL;
	size_t len;

	if (read_file(path, &buf, &len) < 0)
		return -1;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = 0;
		if (m->v2 ? strcmp(l, "0:") : !cg_has_controller(c1 + 1, "freezer"))
			continue;
		if (!strcmp(c2 + 1, "/") || !strcmp(c2 + 1, m->root))
			return -1;
		return cg_open_dir(m, c2 + 1, O_RDONLY);
	}
	return -1;
}

static bool frozen_now(int dfd, bool v2)
{
	_cleanup_close_ int fd =
		openat(dfd, v2 ? "cgroup.events" : "freezer.state", O_RDONLY | O_CLOEXEC);
	char buf[256];
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < 0)
		return false;
	buf[n] = 0;
	return v2 ? strstr(buf, "frozen 1") != NULL : !strncmp(buf, "FROZEN", 6);
}

/* Until every task is frozen, at most FREEZE_WAIT_MS. cgroup.events
 * wakes a poll for POLLPRI when it changes; the v1 state is looked at
 * every millisecond. */
static bool wait_frozen(int dfd, bool v2)
{
	_cleanup_close_ int ev = v2 ? openat(dfd, "cgroup.events", O_RDONLY | O_CLOEXEC) : -1;
	uint64_t end = now_ns(CLOCK_MONOTONIC) + FREEZE_WAIT_MS * 1000000ULL;

	while (!frozen_now(dfd, v2)) {
		struct pollfd p = { .fd = ev, .events = POLLPRI };
		const struct timespec ms = { 0, 1000000 };

		if (now_ns(CLOCK_MONOTONIC) > end)
			return false;
		if (v2 && ev >= 0)
			(void)poll(&p, 1, 10);
		else
			nanosleep(&ms, NULL);
	}
	return true;
}

static void set_state(struct cg_freeze *f, bool frozen)
{
	const char *v = f->v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");

	(void)!pwrite(f->ctl, v, strlen(v), 0);
}

void cgroup_thaw(struct cg_freeze *f)
{
	if (f->ctl < 0)
		return;
	set_state(f, false);
	dguard_thaw_forget();
	close(f->ctl);
	close(f->dirfd);
	f->ctl = f->dirfd = -1;
}

/* v1: every task seized and interrupted while frozen; the stops come
 * once thawed. A task that cannot be is left to tree_seize() to refuse. */
static void seize_all_ahead(int dfd)
{
	struct tids in = { 0 };

	if (list_tasks(dfd, false, 0, &in) >= 0)
		for (size_t i = 0; i < in.n; i++)
			if (seize_ahead(in.v[i]) < 0)
				break;
	free(in.v);
}

static int freeze_in(int root, const struct cg_mount *m, struct cg_freeze *f)
{
	int dfd = cgroup_of(root, m), r;

	if (dfd < 0)
		return 0;
	if (!own_cgroup(dfd, m->v2, root, false)) {
		close(dfd);
		return 0;
	}
	/* Frozen by its owner already (a paused container): left as it is,
	 * and never thawed by ckpt. */
	if (frozen_now(dfd, m->v2)) {
		close(dfd);
		return 0;
	}
	f->v2 = m->v2;
	f->dirfd = dfd;
	f->ctl = openat(dfd, m->v2 ? "cgroup.freeze" : "freezer.state", O_WRONLY | O_CLOEXEC);
	if (f->ctl < 0) {
		close(dfd);
		f->dirfd = -1;
		return 0;
	}
	/* The guardian thaws it if ckpt dies from here. */
	r = FAULT_OR(dump_cgroup_freeze, -EPIPE, dguard_thaw(f->ctl, f->v2));
	if (r < 0) {
		close(f->ctl);
		close(dfd);
		f->ctl = f->dirfd = -1;
		return pr_errno(r, "cannot dump %d: cannot freeze its cgroup", root);
	}
	set_state(f, true);
	/* Only the tree's own, now that nothing can fork: else as before. */
	if (!wait_frozen(dfd, m->v2) || !own_cgroup(dfd, m->v2, root, true)) {
		pr_debug("the cgroup of %d did not freeze as the tree's own: seized one by one",
			 root);
		cgroup_thaw(f);
		return 0;
	}
	pr_debug("froze the %s cgroup of %d", m->v2 ? "cgroup2" : "v1 freezer", root);
	fault_frozen();
	if (!m->v2) {
		seize_all_ahead(dfd);
		fault_frozen();
		cgroup_thaw(f);
	}
	return 1;
}

int cgroup_freeze(int root, struct cg_freeze *f)
{
	struct cg_mounts ms;
	int r = 0;

	f->ctl = f->dirfd = -1;
	if (cg_mounts_read(&ms) < 0)
		return 0;
	for (size_t i = 0; i < ms.n && r == 0; i++)
		if (ms.m[i].v2)
			r = freeze_in(root, &ms.m[i], f);
	for (size_t i = 0; i < ms.n && r == 0; i++)
		if (!ms.m[i].v2 && cg_has_controller(ms.m[i].controllers, "freezer"))
			r = freeze_in(root, &ms.m[i], f);
	cg_mounts_release(&ms);
	return r < 0 ? r : 0;
}
