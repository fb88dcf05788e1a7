// SPDX-License-Identifier: GPL-2.0
/*
 * cgroups, the dump side, and what the restore side shares with it: the
 * hierarchies mounted here, paths, the settings ckpt knows (cgroup.h).
 *
 * Every live task's cgroup in each hierarchy is read from
 * /proc/PID/task/TID/cgroup. A cgroup the tree owns (cgroup.h) has its
 * settings saved, from the table below; an owned cgroup with a controller
 * ckpt does not know, or a setting it cannot make again, is refused.
 */
#include "cgroup.h"

#include "fault.h"
#include "image.h"
#include "tree.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>

#define CG_DEPTH_MAX 64
#define CG_VALUE_MAX 1024

/* ---- the hierarchies mounted here ---- */

/* mountinfo escapes spaces and the like as \NNN. */
static char *unescape(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
	return out;
}

/* The controllers of a v1 mount from its super options ("rw,cpu,cpuacct"). */
static char *v1_controllers(const char *opts)
{
	_cleanup_free_ char *copy = xstrdup(opts);
	char *out = xstrdup(""), *save = NULL;

	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *n;

		if (!strcmp(o, "rw") || !strcmp(o, "ro") || !strcmp(o, "noprefix") ||
		    !strcmp(o, "clone_children") || !strcmp(o, "xattr") ||
		    !strcmp(o, "cpuset_v2_mode") || !strcmp(o, "favordynmods") ||
		    (strchr(o, '=') && strncmp(o, "name=", 5)))
			continue;
		n = xasprintf("%s%s%s", out, *out ? "," : "", o);
		free(out);
		out = n;
	}
	return out;
}

int cg_mounts_read(struct cg_mounts *ms)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	memset(ms, 0, sizeof(*ms));
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char root[4096], dir[4096], type[64], opts[4096];
		const char *dash = strstr(line, " - ");
		struct cg_mount m = { 0 };

		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, dir) != 2 ||
		    sscanf(dash + 3, "%63s %*s %4095s", type, opts) != 2)
			continue;
		if (!strcmp(type, "cgroup2"))
			m.v2 = true;
		else if (strcmp(type, "cgroup"))
			continue;
		m.controllers = m.v2 ? xstrdup("") : v1_controllers(opts);
		/* The first mount of each hierarchy, unless a later one is
		 * of its root. */
		const struct cg_mount *old = cg_mount_find(ms, m.controllers, m.v2);

		m.root = unescape(root);
		if (old && (strcmp(m.root, "/") || !strcmp(old->root, "/"))) {
			free(m.controllers);
			free(m.root);
			continue;
		}
		m.dir = unescape(dir);
		if (old) {
			struct cg_mount *o = &ms->m[old - ms->m];

			free(o->controllers);
			free(o->dir);
			free(o->root);
			*o = m;
			continue;
		}
		ms->m = xrealloc(ms->m, (ms->n + 1) * sizeof(*ms->m));
		ms->m[ms->n++] = m;
	}
	free(line);
	return 0;
}

void cg_mounts_release(struct cg_mounts *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->m[i].controllers);
		free(ms->m[i].dir);
		free(ms->m[i].root);
	}
	free(ms->m);
	memset(ms, 0, sizeof(*ms));
}

/* Is every controller of the comma-separated list @a in @b? */
static bool controllers_in(const char *a, const char *b)
{
	_cleanup_free_ char *copy = xstrdup(a);
	char *save = NULL;

	for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(c);
		const char *p = b;
		bool found = false;

		while (!found && (p = strstr(p, c))) {
			found = (p == b || p[-1] == ',') && (p[n] == ',' || !p[n]);
			p += n;
		}
		if (!found)
			return false;
	}
	return true;
}

bool cg_has_controller(const char *list, const char *c)
{
	return *c && !strchr(c, ',') && controllers_in(c, list);
}

const struct cg_mount *cg_mount_find(const struct cg_mounts *ms, const char *controllers, bool v2)
{
	for (size_t i = 0; i < ms->n; i++) {
		const struct cg_mount *m = &ms->m[i];

		if (m->v2 != v2)
			continue;
		if (v2 || (controllers_in(controllers, m->controllers) &&
			   controllers_in(m->controllers, controllers)))
			return m;
	}
	return NULL;
}

/* Is component @c (@n bytes) the name of a cgroup file system's file? */
static bool control_file(const char *c, size_t n)
{
	static const char *const exact[] = { "tasks", "notify_on_release", "release_agent" };
	static const char *const prefix[] = { "cgroup.",   "memory.",	  "cpu.",     "cpuacct.",
					      "cpuset.",   "pids.",	  "io.",      "blkio.",
					      "freezer.",  "devices.",	  "hugetlb.", "net_cls.",
					      "net_prio.", "perf_event.", "rdma.",    "misc." };

	for (size_t i = 0; i < ARRAY_SIZE(exact); i++)
		if (n == strlen(exact[i]) && !strncmp(c, exact[i], n))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(prefix); i++)
		if (n >= strlen(prefix[i]) && !strncmp(c, prefix[i], strlen(prefix[i])))
			return true;
	return false;
}

bool cg_path_ok(const char *path)
{
	size_t len = strlen(path);
	const char *c = path;

	if (path[0] != '/' || len > 4095 || (len > 1 && path[len - 1] == '/'))
		return false;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	while (len > 1 && *c) {
		const char *end;
		size_t n;

		c++;
		end = strchrnul(c, '/');
		n = (size_t)(end - c);
		if (!n || n > 255 || (n == 1 && c[0] == '.') || (n == 2 && !strncmp(c, "..", 2)))
			return false;
		/* A control file is no cgroup: "cgroup.procs", "memory.max". */
		if (control_file(c, n))
			return false;
		c = end;
	}
	return true;
}

/* @path of @m below its mount: "." for the mounted cgroup itself; NULL
 * if it is not below it. */
static const char *below_mount(const struct cg_mount *m, const char *path)
{
	size_t n = strlen(m->root);

	if (!strcmp(m->root, "/"))
		return path[1] ? path + 1 : ".";
	if (strncmp(path, m->root, n) || (path[n] && path[n] != '/'))
		return NULL;
	return path[n] ? path + n + 1 : ".";
}

int cg_open_dir(const struct cg_mount *m, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW),
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
	const char *rel = below_mount(m, path);
	_cleanup_close_ int mfd = -1;
	int fd;

	if (!rel || !cg_path_ok(path))
		return -ENOENT;
	mfd = open(m->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, mfd, rel, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

/* ---- settings ---- */

/* In the order a restore writes them: cpuset's before anything joins (v1
 * needs them), the period before the quota, subtree_control last. */
static const struct cg_setting settings[] = {
	{ "", "cgroup.type", true, CG_WORDS, false },
	{ "", "cgroup.max.descendants", true, CG_NUM, true },
	{ "", "cgroup.max.depth", true, CG_NUM, true },
	{ "cpuset", "cpuset.cpus", false, CG_LIST, false },
	{ "cpuset", "cpuset.mems", false, CG_LIST, false },
	{ "cpuset", "cpuset.cpus", true, CG_LIST, false },
	{ "cpuset", "cpuset.mems", true, CG_LIST, false },
	{ "memory", "memory.limit_in_bytes", false, CG_NUM, true },
	{ "memory", "memory.memsw.limit_in_bytes", false, CG_NUM, true },
	{ "memory", "memory.soft_limit_in_bytes", false, CG_NUM, false },
	{ "memory", "memory.swappiness", false, CG_NUM, false },
	{ "memory", "memory.max", true, CG_NUM, true },
	{ "memory", "memory.high", true, CG_NUM, true },
	{ "memory", "memory.swap.max", true, CG_NUM, true },
	{ "memory", "memory.low", true, CG_NUM, false },
	{ "memory", "memory.min", true, CG_NUM, false },
	{ "cpu", "cpu.shares", false, CG_NUM, false },
	{ "cpu", "cpu.cfs_period_us", false, CG_NUM, false },
	{ "cpu", "cpu.cfs_quota_us", false, CG_NUM, true },
	{ "cpu", "cpu.cfs_burst_us", false, CG_NUM, false },
	{ "cpu", "cpu.idle", false, CG_NUM, false },
	{ "cpu", "cpu.max", true, CG_CPU_MAX, true },
	{ "cpu", "cpu.weight", true, CG_NUM, false },
	{ "cpu", "cpu.idle", true, CG_NUM, false },
	{ "pids", "pids.max", false, CG_NUM, true },
	{ "pids", "pids.max", true, CG_NUM, true },
	{ "blkio", "blkio.weight", false, CG_NUM, false },
	{ "io", "io.weight", true, CG_WORDS, false },
	{ "", "cgroup.subtree_control", true, CG_WORDS, false },
};

/* Controllers whose state is not settings: nothing saved, nothing to
 * refuse (the freezer's state is the dump's own business). */
static bool controller_plain(const char *c)
{
	return !strcmp(c, "cpuacct") || !strcmp(c, "freezer") || !strcmp(c, "perf_event") ||
	       !strncmp(c, "name=", 5);
}

static bool controller_known(const char *c, bool v2)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		if (settings[i].v2 == v2 && !strcmp(settings[i].controller, c))
			return true;
	return controller_plain(c) || (!v2 && !strcmp(c, "devices")) ||
	       (v2 && !strcmp(c, "hugetlb"));
}

const struct cg_setting *cg_setting_find(const char *name, bool v2)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		if (settings[i].v2 == v2 && !strcmp(settings[i].name, name))
			return &settings[i];
	return NULL;
}

static bool all_digits(const char *s, size_t n)
{
	if (!n || n > 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool cg_value_ok(const struct cg_setting *s, const char *value)
{
	size_t len = strlen(value);
	const char *sp;

	if (len > CG_VALUE_MAX)
		return false;
	switch (s->value) {
	case CG_NUM:
		return !strcmp(value, "max") || !strcmp(value, "-1") || all_digits(value, len);
	case CG_CPU_MAX:
		sp = strchr(value, ' ');
		if (!sp)
			return false;
		return ((sp - value == 3 && !strncmp(value, "max", 3)) ||
			all_digits(value, (size_t)(sp - value))) &&
		       all_digits(sp + 1, strlen(sp + 1));
	case CG_LIST:
		for (const char *p = value; *p; p++)
			if (!isdigit((unsigned char)*p) && *p != ',' && *p != '-')
				return false;
		return true;
	case CG_WORDS:
		for (const char *p = value; *p; p++)
			if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
			    *p != ' ' && *p != '_')
				return false;
		return true;
	}
	return false;
}

bool cg_limit_of(const char *value, unsigned long long *ret)
{
	char *end;

	if (!strncmp(value, "max", 3) || !strcmp(value, "-1")) {
		*ret = ULLONG_MAX;
		return true;
	}
	if (!isdigit((unsigned char)value[0]))
		return false;
	errno = 0;
	*ret = strtoull(value, &end, 10);
	return !errno && (!*end || *end == ' ');
}

/* ---- the dump ---- */

struct cg_dump {
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
		return pr_errno(r, "cannot dump: cannot read cgroup '%s'", d->path);
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
static int hugetlb_unset(int dfd, const char *path)
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
			r = pr_fail(-EINVAL,
				    "cannot dump: cgroup '%s' has a limit ckpt does not save (%s)",
				    path, de->d_name);
	}
	closedir(dir);
	return r;
}

/* The settings of controller @c of an owned cgroup. */
static int save_controller(CgroupDirEntry *d, int dfd, const char *c, bool v2)
{
	_cleanup_free_ char *v = NULL;
	int r;

	if (!controller_known(c, v2))
		return pr_fail(
			-EINVAL,
			"cannot dump: cgroup '%s' has controller '%s', which ckpt does not save",
			d->path, c);
	if (!v2 && !strcmp(c, "devices")) {
		r = read_ctl(dfd, "devices.list", &v);
		if (r >= 0 && strcmp(v, "a *:* rwm"))
			return pr_fail(
				-EINVAL,
				"cannot dump: cgroup '%s' limits devices, which ckpt does not save",
				d->path);
		return 0;
	}
	if (v2 && !strcmp(c, "hugetlb"))
		return hugetlb_unset(dfd, d->path);
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		const struct cg_setting *s = &settings[i];

		if (s->v2 != v2 || strcmp(s->controller, c))
			continue;
		free(v);
		v = NULL;
		r = read_ctl(dfd, s->name, &v);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return pr_errno(r, "cannot dump: cannot read '%s' of cgroup '%s'", s->name,
					d->path);
		if (!cg_value_ok(s, v))
			return pr_fail(
				-EINVAL,
				"cannot dump: '%s' of cgroup '%s' is '%s', which ckpt cannot set",
				s->name, d->path, v);
		add_setting(d, s->name, v);
	}
	return 0;
}

/* cgroup2's own files of an owned cgroup. */
static int save_v2_core(CgroupDirEntry *d, int dfd, const char *stage)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		const struct cg_setting *s = &settings[i];
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
				return pr_fail(-EINVAL, "cannot dump: cgroup '%s' is of type '%s'",
					       d->path, v);
		}
		if (last && !*v)
			continue;
		if (!cg_value_ok(s, v))
			return pr_fail(-EINVAL, "cannot dump: '%s' of cgroup '%s' is '%s'", s->name,
				       d->path, v);
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
		return pr_errno(dfd, "cannot dump: cannot open cgroup '%s'", d->path);
	if (m->v2) {
		r = save_v2_core(d, dfd, "first");
		if (r < 0)
			return r;
		/* What this cgroup's parent turns on for it. */
		if (read_ctl(dfd, "cgroup.controllers", &list) < 0)
			list = xstrdup("");
		for (char *c = strtok_r(list, " ", &save); c && r >= 0;
		     c = strtok_r(NULL, " ", &save))
			r = save_controller(d, dfd, c, true);
		return r < 0 ? r : save_v2_core(d, dfd, "last");
	}
	list = xstrdup(m->controllers);
	for (char *c = strtok_r(list, ",", &save); c && r >= 0; c = strtok_r(NULL, ",", &save))
		r = save_controller(d, dfd, c, false);
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
	struct cg_dump cd = { .e = CGROUP_ENTRY__INIT };
	int r;

	for (size_t i = 0; i < t->nr; i++)
		for (size_t k = 0; k < t->procs[i].nr_threads; k++) {
			cd.tids = xrealloc(cd.tids, (cd.nr_tids + 1) * sizeof(int));
			cd.tids[cd.nr_tids++] = t->procs[i].threads[k].pid;
		}
	qsort(cd.tids, cd.nr_tids, sizeof(int), cmp_int);
	r = cg_mounts_read(&cd.ms);
	if (r < 0)
		r = pr_errno(r, "cannot dump: cannot read the mounts of cgroups");
	if (r >= 0)
		r = read_members(&cd, t);
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
			r = pr_errno(r, "cannot dump: cannot write the cgroup image");
	}
	cg_dump_release(&cd);
	return r;
}

/* ---- ckpt show ---- */

static const char *hier_name(const CgroupEntry *e, uint32_t h)
{
	if (h >= e->n_hiers)
		return "?";
	return e->hiers[h]->v2 ? "cgroup2" : e->hiers[h]->controllers;
}

void cgroup_show(const CgroupEntry *e)
{
	printf("cgroups: %zu hierarchies, %zu cgroups\n", e->n_hiers, e->n_dirs);
	for (size_t i = 0; i < e->n_members; i++) {
		const CgroupMemberEntry *me = e->members[i];

		if (me->tid == me->pid)
			printf("  process %d:", me->pid);
		else
			printf("  thread %d of %d:", me->tid, me->pid);
		for (size_t h = 0; h < me->n_dirs; h++) {
			const CgroupDirEntry *d =
				me->dirs[h] < e->n_dirs ? e->dirs[me->dirs[h]] : NULL;
			_cleanup_free_ char *path = d ? str_escape(d->path) : NULL;
			_cleanup_free_ char *hier = d ? str_escape(hier_name(e, d->hier)) : NULL;

			printf(" %s:%s", d ? hier : "?", d ? path : "?");
		}
		printf("\n");
	}
	for (size_t i = 0; i < e->n_dirs; i++) {
		const CgroupDirEntry *d = e->dirs[i];
		_cleanup_free_ char *path = str_escape(d->path);
		_cleanup_free_ char *hier = str_escape(hier_name(e, d->hier));

		if (!d->owned)
			continue;
		printf("  cgroup %s:%s (the tree's own)", hier, path);
		for (size_t k = 0; k < d->n_settings; k++) {
			_cleanup_free_ char *n = str_escape(d->settings[k]->name);
			_cleanup_free_ char *v = str_escape(d->settings[k]->value);

			printf("%s %s=%s", k ? "," : ":", n, v);
		}
		printf("\n");
	}
}
