// SPDX-License-Identifier: GPL-2.0
/*
 * cgroups, what the dump (cgroup-dump.c) and the restore (cgroup-restore.c)
 * share: the hierarchies mounted here, paths, the settings ckpt knows
 * (cgroup.h), and `ckpt show`.
 */
#include "cgroup.h"

#include "util.h"

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>

#define CG_VALUE_MAX 4096

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

int cg_open_dir_at(int mfd, const struct cg_mount *m, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW),
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
	const char *rel = below_mount(m, path);
	int fd;

	if (!rel || !cg_path_ok(path))
		return -ENOENT;
	fd = (int)syscall(SYS_openat2, mfd, rel, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

int cg_open_dir(const struct cg_mount *m, const char *path, int flags)
{
	_cleanup_close_ int mfd = open(m->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (mfd < 0)
		return -errno;
	return cg_open_dir_at(mfd, m, path, flags);
}

/* ---- settings ---- */

/* In the order a restore writes them: cpuset's before anything joins (v1
 * needs them), the period before the quota, subtree_control last. */
const struct cg_setting cg_settings[] = {
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
	{ "devices", "devices.list", false, CG_DEVICES, false },
	{ "io", "io.weight", true, CG_WORDS, false },
	{ "", "cgroup.subtree_control", true, CG_WORDS, false },
};
const size_t cg_nr_settings = ARRAY_SIZE(cg_settings);

/* Controllers whose state is not settings: nothing saved, nothing to
 * refuse (the freezer's state is the dump's own business). */
static bool controller_plain(const char *c)
{
	return !strcmp(c, "cpuacct") || !strcmp(c, "freezer") || !strcmp(c, "perf_event") ||
	       !strncmp(c, "name=", 5);
}

bool cg_controller_known(const char *c, bool v2)
{
	for (size_t i = 0; i < ARRAY_SIZE(cg_settings); i++)
		if (cg_settings[i].v2 == v2 && !strcmp(cg_settings[i].controller, c))
			return true;
	return controller_plain(c) || (v2 && !strcmp(c, "hugetlb"));
}

const struct cg_setting *cg_setting_find(const char *name, bool v2)
{
	for (size_t i = 0; i < ARRAY_SIZE(cg_settings); i++)
		if (cg_settings[i].v2 == v2 && !strcmp(cg_settings[i].name, name))
			return &cg_settings[i];
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

/* One rule of devices.list: "c 1:3 rwm", "a *:* rwm", "b 8:* r". */
static bool device_rule_ok(const char *r, size_t n)
{
	const char *end = r + n, *p = r + 2, *colon, *sp;
	int seen = 0;

	if (n < 7 || !strchr("abc", r[0]) || r[1] != ' ')
		return false;
	colon = memchr(p, ':', (size_t)(end - p));
	sp = colon ? memchr(colon, ' ', (size_t)(end - colon)) : NULL;
	if (!sp || !((colon - p == 1 && *p == '*') || all_digits(p, (size_t)(colon - p))) ||
	    !((sp - colon == 2 && colon[1] == '*') ||
	      all_digits(colon + 1, (size_t)(sp - colon - 1))))
		return false;
	if (sp + 1 == end || end - sp > 4)
		return false;
	for (p = sp + 1; p < end; p++) {
		int bit = *p == 'r' ? 1 : *p == 'w' ? 2 : *p == 'm' ? 4 : 0;

		if (!bit || (seen & bit))
			return false;
		seen |= bit;
	}
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
	case CG_DEVICES:
		for (const char *p = value;; p++) {
			size_t n = strcspn(p, ";");

			if (!device_rule_ok(p, n))
				return false;
			p += n;
			if (!*p)
				return true;
		}
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
