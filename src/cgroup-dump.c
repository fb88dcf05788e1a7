// SPDX-License-Identifier: GPL-2.0
/*
 * cgroups, the dump side (cgroup.h).
 *
 * Every live task's cgroup in each hierarchy is read from
 * /proc/PID/task/TID/cgroup. A cgroup the tree owns has its settings
 * saved, from the table of cgroup.c; an owned cgroup with a controller
 * ckpt does not know, or a setting it cannot make again, is refused.
 */
#include "cgroup.h"

#include "fault.h"
#include "image.h"
#include "tree.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>

#define CG_DEPTH_MAX 64
#define CG_VALUE_MAX 4096

/* ---- the dump ---- */

struct cg_dump {
	int root; /* the tree's, for messages */
	CgroupEntry e;
	struct cg_mounts ms;
	const struct cg_mount **mounts; /* per hierarchy, or NULL */
	int *tids; /* every live task of the tree, sorted */
	size_t nr_tids;
	int8_t *owned; /* per dir: -1 not known yet */
};

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static bool tid_of_tree(const struct cg_dump *cd, int tid)
{
	return bsearch(&tid, cd->tids, cd->nr_tids, sizeof(int), cmp_int) != NULL;
}

static size_t hier_of(struct cg_dump *cd, const char *controllers, bool v2)
{
	CgroupHierEntry *h;

	for (size_t i = 0; i < cd->e.n_hiers; i++)
		if (cd->e.hiers[i]->v2 == v2 && !strcmp(cd->e.hiers[i]->controllers, controllers))
			return i;
	h = xmalloc(sizeof(*h));
	cgroup_hier_entry__init(h);
	h->controllers = xstrdup(controllers);
	h->v2 = v2;
	cd->e.hiers = xrealloc(cd->e.hiers, (cd->e.n_hiers + 1) * sizeof(*cd->e.hiers));
	cd->e.hiers[cd->e.n_hiers++] = h;
	cd->mounts = xrealloc(cd->mounts, cd->e.n_hiers * sizeof(*cd->mounts));
	cd->mounts[cd->e.n_hiers - 1] = cg_mount_find(&cd->ms, controllers, v2);
	return cd->e.n_hiers - 1;
}

static uint32_t dir_of(struct cg_dump *cd, size_t hier, const char *path)
{
	CgroupDirEntry *d;

	for (size_t i = 0; i < cd->e.n_dirs; i++)
		if (cd->e.dirs[i]->hier == hier && !strcmp(cd->e.dirs[i]->path, path))
			return (uint32_t)i;
	d = xmalloc(sizeof(*d));
	cgroup_dir_entry__init(d);
	d->hier = (uint32_t)hier;
	d->path = xstrdup(path);
	cd->e.dirs = xrealloc(cd->e.dirs, (cd->e.n_dirs + 1) * sizeof(*cd->e.dirs));
	cd->e.dirs[cd->e.n_dirs++] = d;
	cd->owned = xrealloc(cd->owned, cd->e.n_dirs);
	cd->owned[cd->e.n_dirs - 1] = -1;
	return (uint32_t)(cd->e.n_dirs - 1);
}

/* /proc/PID/task/TID/cgroup into a member: one dir per hierarchy. */
static int read_member(struct cg_dump *cd, int pid, int tid, CgroupMemberEntry *me)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/task/%d/cgroup", pid, tid), *buf = NULL;
	char *save = NULL;
	size_t len, cap;
	int r = read_file(path, &buf, &len);

	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read its cgroups", pid);
	cgroup_member_entry__init(me);
	me->tid = tid;
	me->pid = pid;
	cap = cd->e.n_hiers + 64;
	me->dirs = xmalloc(cap * sizeof(*me->dirs));
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		size_t h;

		if (!c2)
			return pr_fail(-EINVAL, "cannot dump %d: cannot read its cgroups", pid);
		*c2 = 0;
		if (!cg_path_ok(c2 + 1))
			return pr_fail(
				-EINVAL,
				"cannot dump %d: its cgroup '%s' is not one ckpt can restore", pid,
				c2 + 1);
		h = hier_of(cd, c1 + 1, !strcmp(l, "0:"));
		if (me->n_dirs != h || me->n_dirs >= cap)
			return pr_fail(-EINVAL, "cannot dump %d: its cgroup hierarchies changed",
				       pid);
		me->dirs[me->n_dirs++] = dir_of(cd, h, c2 + 1);
	}
	if (me->n_dirs != cd->e.n_hiers)
		return pr_fail(-EINVAL, "cannot dump %d: its cgroup hierarchies changed", pid);
	return 0;
}

/* Is every task in @dfd (a cgroup) and below a task of the tree, and
 * how many are there? -errno if it cannot be read. */
static int subtree_tree_only(struct cg_dump *cd, int dfd, bool v2, int depth, size_t *nr)
{
	_cleanup_close_ int fd = openat(dfd, v2 ? "cgroup.threads" : "tasks", O_RDONLY | O_CLOEXEC);
	_cleanup_fclose_ FILE *f = NULL;
	DIR *dir;
	struct dirent *de;
	int tid, r = 1;

	if (fd < 0 || depth > CG_DEPTH_MAX)
		return fd < 0 ? -errno : -ELOOP;
	f = fdopen(fd, "r");
	if (!f)
		return -errno;
	fd = -1;
	while (fscanf(f, "%d", &tid) == 1) {
		(*nr)++;
		if (!tid_of_tree(cd, tid))
			return 0;
	}
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir)
		return -errno;
	fd = -1;
	while (r > 0 && (de = readdir(dir))) {
		_cleanup_close_ int sub = -1;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = openat(dirfd(dir), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = sub < 0 ? -errno : subtree_tree_only(cd, sub, v2, depth + 1, nr);
	}
	closedir(dir);
	return r;
}

/* Whether dir @i is the tree's (cgroup.h), as far as it can be seen. */
static int find_owned(struct cg_dump *cd, uint32_t i)
{
	const CgroupDirEntry *d = cd->e.dirs[i];
	const struct cg_mount *m = cd->mounts[d->hier];
	_cleanup_close_ int fd = -1;
	size_t nr = 0;
	int r;

	if (cd->owned[i] >= 0)
		return cd->owned[i];
	cd->owned[i] = 0;
	if (!m || !strcmp(d->path, "/"))
		return 0;
	fd = cg_open_dir(m, d->path, O_RDONLY);
	if (fd < 0)
		return 0; /* not below this mount: not ours to make */
	r = subtree_tree_only(cd, fd, m->v2, 0, &nr);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read cgroup '%s'", cd->root, d->path);
	cd->owned[i] = r > 0 && nr > 0;
	return cd->owned[i];
}

static char *parent_path(const char *path)
{
	char *p = xstrdup(path), *slash = strrchr(p, '/');

	if (slash == p)
		slash[1] = 0;
	else
		*slash = 0;
	return p;
}

/* The cgroups of the tree, and above them the ones it owns too. */
static int find_all_owned(struct cg_dump *cd)
{
	size_t n = cd->e.n_dirs;

	for (size_t i = 0; i < n; i++) {
		uint32_t k = (uint32_t)i;
		int r;

		while ((r = find_owned(cd, k)) > 0) {
			_cleanup_free_ char *up = parent_path(cd->e.dirs[k]->path);

			k = dir_of(cd, cd->e.dirs[k]->hier, up);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static void add_setting(CgroupDirEntry *d, const char *name, const char *value)
{
	CgroupSettingEntry *s = xmalloc(sizeof(*s));

	cgroup_setting_entry__init(s);
	s->name = xstrdup(name);
	s->value = xstrdup(value);
	d->settings = xrealloc(d->settings, (d->n_settings + 1) * sizeof(*d->settings));
	d->settings[d->n_settings++] = s;
}

/* Control file @name of @dfd, without its "\n"; -ENOENT if it has none. */
static int read_ctl(int dfd, const char *name, char **ret)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[CG_VALUE_MAX + 2];
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	*ret = xstrdup(buf);
	return 0;
}

/* v2: the hugetlb limits ckpt does not save must be none. */
static int hugetlb_unset(int dfd, const char *path, int root)
{
	_cleanup_close_ int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!dir)
		return -errno;
	fd = -1;
	while (r >= 0 && (de = readdir(dir))) {
		_cleanup_free_ char *v = NULL;

		if (strncmp(de->d_name, "hugetlb.", 8) ||
		    (!str_ends(de->d_name, ".max") && !str_ends(de->d_name, ".rsvd.max")))
			continue;
		if (read_ctl(dirfd(dir), de->d_name, &v) >= 0 && strcmp(v, "max"))
			r = pr_fail(
				-EINVAL,
				"cannot dump %d: cgroup '%s' has a limit ckpt does not save (%s)",
				root, path, de->d_name);
	}
	closedir(dir);
	return r;
}

/* v1 devices.list, its lines joined by ';'; nothing if it allows all. */
static int save_devices(CgroupDirEntry *d, int dfd, int root)
{
	_cleanup_close_ int fd = openat(dfd, "devices.list", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[CG_VALUE_MAX + 2];
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT
			       ? 0
			       : pr_errno(-errno,
					  "cannot dump %d: cannot read devices.list of cgroup '%s'",
					  root, d->path);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return pr_errno(-errno, "cannot dump %d: cannot read devices.list of cgroup '%s'",
				root, d->path);
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ';';
	if (!strcmp(buf, "a *:* rwm"))
		return 0;
	if (!cg_value_ok(cg_setting_find("devices.list", false), buf))
		return pr_fail(-EINVAL,
			       "cannot dump %d: cgroup '%s' has device rules ckpt cannot set again",
			       root, d->path);
	add_setting(d, "devices.list", buf);
	return 0;
}

/* The settings of controller @c of an owned cgroup. */
static int save_controller(CgroupDirEntry *d, int dfd, const char *c, bool v2, int root)
{
	_cleanup_free_ char *v = NULL;
	int r;

	if (!cg_controller_known(c, v2))
		return pr_fail(
			-EINVAL,
			"cannot dump %d: cgroup '%s' has controller '%s', which ckpt does not save",
			root, d->path, c);
	if (!v2 && !strcmp(c, "devices"))
		return save_devices(d, dfd, root);
	if (v2 && !strcmp(c, "hugetlb"))
		return hugetlb_unset(dfd, d->path, root);
	for (size_t i = 0; i < cg_nr_settings; i++) {
		const struct cg_setting *s = &cg_settings[i];

		if (s->v2 != v2 || strcmp(s->controller, c))
			continue;
		free(v);
		v = NULL;
		r = read_ctl(dfd, s->name, &v);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return pr_errno(r, "cannot dump %d: cannot read '%s' of cgroup '%s'", root,
					s->name, d->path);
		if (!cg_value_ok(s, v))
			return pr_fail(
				-EINVAL,
				"cannot dump %d: '%s' of cgroup '%s' is '%s', which ckpt cannot set",
				root, s->name, d->path, v);
		add_setting(d, s->name, v);
	}
	return 0;
}

/* cgroup2's own files of an owned cgroup. */
static int save_v2_core(CgroupDirEntry *d, int dfd, const char *stage, int root)
{
	for (size_t i = 0; i < cg_nr_settings; i++) {
		const struct cg_setting *s = &cg_settings[i];
		_cleanup_free_ char *v = NULL;
		bool last = !strcmp(s->name, "cgroup.subtree_control");

		if (!s->v2 || *s->controller || last != !strcmp(stage, "last"))
			continue;
		if (read_ctl(dfd, s->name, &v) < 0)
			continue;
		if (!strcmp(s->name, "cgroup.type")) {
			if (!strcmp(v, "domain") || !strcmp(v, "domain threaded"))
				continue;
			if (strcmp(v, "threaded"))
				return pr_fail(-EINVAL,
					       "cannot dump %d: cgroup '%s' is of type '%s'", root,
					       d->path, v);
		}
		if (last && !*v)
			continue;
		if (!cg_value_ok(s, v))
			return pr_fail(-EINVAL, "cannot dump %d: '%s' of cgroup '%s' is '%s'", root,
				       s->name, d->path, v);
		add_setting(d, s->name, v);
	}
	return 0;
}

static int save_settings(struct cg_dump *cd, CgroupDirEntry *d)
{
	const struct cg_mount *m = cd->mounts[d->hier];
	_cleanup_close_ int dfd = cg_open_dir(m, d->path, O_RDONLY);
	_cleanup_free_ char *list = NULL;
	char *save = NULL;
	int r = 0;

	if (dfd < 0)
		return pr_errno(dfd, "cannot dump %d: cannot open cgroup '%s'", cd->root, d->path);
	if (m->v2) {
		r = save_v2_core(d, dfd, "first", cd->root);
		if (r < 0)
			return r;
		/* What this cgroup's parent turns on for it. */
		if (read_ctl(dfd, "cgroup.controllers", &list) < 0)
			list = xstrdup("");
		for (char *c = strtok_r(list, " ", &save); c && r >= 0;
		     c = strtok_r(NULL, " ", &save))
			r = save_controller(d, dfd, c, true, cd->root);
		return r < 0 ? r : save_v2_core(d, dfd, "last", cd->root);
	}
	list = xstrdup(m->controllers);
	for (char *c = strtok_r(list, ",", &save); c && r >= 0; c = strtok_r(NULL, ",", &save))
		r = save_controller(d, dfd, c, false, cd->root);
	return r;
}

static int depth_of(const char *path)
{
	int n = 0;

	if (!path[1])
		return 0;
	for (; *path; path++)
		n += *path == '/';
	return n;
}

static void cg_dump_release(struct cg_dump *cd)
{
	for (size_t i = 0; i < cd->e.n_hiers; i++) {
		free(cd->e.hiers[i]->controllers);
		free(cd->e.hiers[i]);
	}
	for (size_t i = 0; i < cd->e.n_dirs; i++) {
		CgroupDirEntry *d = cd->e.dirs[i];

		for (size_t k = 0; k < d->n_settings; k++) {
			free(d->settings[k]->name);
			free(d->settings[k]->value);
			free(d->settings[k]);
		}
		free(d->settings);
		free(d->path);
		free(d);
	}
	for (size_t i = 0; i < cd->e.n_members; i++) {
		free(cd->e.members[i]->dirs);
		free(cd->e.members[i]);
	}
	free(cd->e.hiers);
	free(cd->e.dirs);
	free(cd->e.members);
	free(cd->mounts);
	free(cd->tids);
	free(cd->owned);
	cg_mounts_release(&cd->ms);
}

static void add_member(struct cg_dump *cd, CgroupMemberEntry *me)
{
	cd->e.members = xrealloc(cd->e.members, (cd->e.n_members + 1) * sizeof(*cd->e.members));
	cd->e.members[cd->e.n_members++] = me;
}

static int read_members(struct cg_dump *cd, const struct tree *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		const struct tree_proc *tp = &t->procs[i];
		CgroupMemberEntry *main_me = NULL;

		for (size_t k = 0; k < tp->nr_threads; k++) {
			CgroupMemberEntry *me = xzalloc(sizeof(*me));
			int r = read_member(cd, tp->node.pid, tp->threads[k].pid, me);

			if (r < 0) {
				free(me->dirs);
				free(me);
				return r;
			}
			/* A thread only where it is not where its process is. */
			if (k && !memcmp(me->dirs, main_me->dirs, me->n_dirs * sizeof(*me->dirs))) {
				free(me->dirs);
				free(me);
				continue;
			}
			add_member(cd, me);
			if (!k)
				main_me = me;
		}
	}
	return 0;
}

int cgroup_dump(const struct tree *t, int dirfd)
{
	struct cg_dump cd = { .e = CGROUP_ENTRY__INIT, .root = t->nr ? t->procs[0].node.pid : 0 };
	int r;

	for (size_t i = 0; i < t->nr; i++)
		for (size_t k = 0; k < t->procs[i].nr_threads; k++) {
			cd.tids = xrealloc(cd.tids, (cd.nr_tids + 1) * sizeof(int));
			cd.tids[cd.nr_tids++] = t->procs[i].threads[k].pid;
		}
	qsort(cd.tids, cd.nr_tids, sizeof(int), cmp_int);
	r = cg_mounts_read(&cd.ms);
	if (r < 0)
		r = pr_errno(r, "cannot dump %d: cannot read the mounts of cgroups", cd.root);
	if (r >= 0)
		r = FAULT_OR(dump_read_cgroups,
			     pr_fail(-EIO, "cannot dump %d: cannot read the cgroups of the tree",
				     cd.root),
			     read_members(&cd, t));
	if (r >= 0)
		r = find_all_owned(&cd);
	for (size_t i = 0; i < cd.e.n_dirs && r >= 0; i++) {
		cd.e.dirs[i]->owned = cd.owned[i] > 0;
		if (cd.e.dirs[i]->owned)
			r = save_settings(&cd, cd.e.dirs[i]);
	}
	/* Parents first: a restore makes them in this order. The members
	 * point at dirs by index, so the order is told them. */
	for (size_t i = 0; i < cd.e.n_dirs && r >= 0; i++)
		for (size_t j = i + 1; j < cd.e.n_dirs; j++) {
			CgroupDirEntry *tmp;

			if (depth_of(cd.e.dirs[j]->path) >= depth_of(cd.e.dirs[i]->path))
				continue;
			tmp = cd.e.dirs[i];
			cd.e.dirs[i] = cd.e.dirs[j];
			cd.e.dirs[j] = tmp;
			for (size_t m = 0; m < cd.e.n_members; m++)
				for (size_t h = 0; h < cd.e.members[m]->n_dirs; h++) {
					uint32_t *x = &cd.e.members[m]->dirs[h];

					*x = *x == i ? (uint32_t)j : *x == j ? (uint32_t)i : *x;
				}
		}
	if (r >= 0) {
		r = FAULT_OR(dump_write_cgroup, -ENOSPC,
			     img_write_msg(dirfd, IMG_CGROUP, 0, &cd.e.base));
		if (r < 0)
			r = pr_errno(r, "cannot dump %d: cannot write the cgroup image", cd.root);
	}
	cg_dump_release(&cd);
	return r;
}
