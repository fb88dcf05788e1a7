// SPDX-License-Identifier: GPL-2.0
/*
 * cgroups, the restore side (cgroup.h).
 *
 * cgroup.img is checked whole at load. Before any process exists, each
 * cgroup of the images is given its place here: the same path, or below
 * the --cgroup-root that replaces the tree's common cgroup in a hierarchy.
 * A cgroup the tree does not own must exist; an owned one is made if it
 * is missing (parents first) with its settings. An owned cgroup that
 * exists keeps any limit of its own that is lower than the image's: a
 * restore never gives the tree more than the cgroup allows today.
 *
 * Each new process moves itself into its cgroups ("0" written to
 * cgroup.procs) before it rebuilds anything of its own, so its memory is
 * charged there and it never runs its own code elsewhere; its threads are
 * made by it, there. A thread that was elsewhere (v1 per-thread
 * membership, cgroup2 threaded cgroups) is moved by ckpt before the tree
 * runs. Every write to a cgroup file system is made with the image set
 * owner's access when the set is not root's (trust_enter).
 */
#include "cgroup.h"

#include "fault.h"
#include "files.h"
#include "image.h"
#include "restore.h"
#include "trust.h"
#include "ns.h"
#include "util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#define CG_HIERS_MAX 64
#define CG_DIRS_MAX 65536
#define CG_SETTINGS_MAX 64

struct cg_restore {
	CgroupEntry *e;
	struct cg_mounts ms;
	const struct cg_mount **mounts; /* per hierarchy */
	char **paths; /* per dir: where it is here; NULL: not used */
	bool *make; /* per dir: made if missing */
	bool *existed; /* per dir: there before the restore */
	bool *made; /* per dir: made by this restore */
	char **common; /* per hierarchy: the tree's common cgroup */
	const char **root; /* per hierarchy: its --cgroup-root, or NULL */
	/* Per hierarchy: its mount's directory, open in ckpt (above
	 * first_aux), and handed down to the tree at slot pass0 + h: a
	 * process joins its cgroups from inside the container's mount
	 * namespace, where the host's paths are not. */
	int *mfd;
	size_t pass0;
};

static int bad(const char *what)
{
	return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (cgroups: %s)", what);
}

static const CgroupMemberEntry *member_of(const CgroupEntry *e, int tid)
{
	for (size_t i = 0; i < e->n_members; i++)
		if (e->members[i]->tid == tid)
			return e->members[i];
	return NULL;
}

static bool controllers_ok(const char *s)
{
	if (strlen(s) > 255)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == ',' || *s == '=' || *s == '-' || *s == '.'))
			return false;
	return true;
}

static int check_dir(const CgroupEntry *e, size_t i)
{
	const CgroupDirEntry *d = e->dirs[i];

	if (d->hier >= e->n_hiers)
		return bad("a cgroup's hierarchy");
	if (!cg_path_ok(d->path))
		return bad("a path");
	if (d->owned && !strcmp(d->path, "/"))
		return bad("a hierarchy's root owned");
	if ((!d->owned && d->n_settings) || d->n_settings > CG_SETTINGS_MAX)
		return bad("settings");
	for (size_t j = 0; j < i; j++)
		if (e->dirs[j]->hier == d->hier && !strcmp(e->dirs[j]->path, d->path))
			return bad("a cgroup twice");
	for (size_t k = 0; k < d->n_settings; k++) {
		const CgroupSettingEntry *s = d->settings[k];
		const struct cg_setting *cs = cg_setting_find(s->name, e->hiers[d->hier]->v2);

		if (!cs || !cg_value_ok(cs, s->value))
			return bad("a setting");
		if (!cs->v2 && !cg_has_controller(e->hiers[d->hier]->controllers, cs->controller))
			return bad("a setting of another controller");
		for (size_t j = 0; j < k; j++)
			if (!strcmp(d->settings[j]->name, s->name))
				return bad("a setting twice");
	}
	return 0;
}

static int check_member(const struct restore *rs, const CgroupEntry *e, size_t i)
{
	const CgroupMemberEntry *me = e->members[i];
	const struct restore_proc *rp = NULL;
	bool thread_known = me->tid == me->pid;

	if (me->n_dirs != e->n_hiers)
		return bad("a task's cgroups");
	for (size_t h = 0; h < me->n_dirs; h++)
		if (me->dirs[h] >= e->n_dirs || e->dirs[me->dirs[h]]->hier != h)
			return bad("a task's cgroup");
	for (size_t j = 0; j < i; j++)
		if (e->members[j]->tid == me->tid)
			return bad("a task twice");
	if (!rs)
		return me->tid > 0 && me->pid > 0 ? 0 : bad("a task not in the tree");
	for (size_t p = 0; p < rs->nr && !rp; p++)
		if (rs->procs[p].pp->role == PLAN_LIVE && rs->procs[p].pp->pid == me->pid)
			rp = &rs->procs[p];
	if (!rp || !rp->core)
		return bad("a task not in the tree");
	for (size_t t = 1; t < rp->core->n_threads && !thread_known; t++)
		thread_known = (int)rp->core->threads[t]->tid == me->tid;
	return thread_known ? 0 : bad("a thread not in the tree");
}

int cgroup_check(const CgroupEntry *e, const struct restore *rs)
{
	int r = 0;

	if (e->n_hiers > CG_HIERS_MAX || e->n_dirs > CG_DIRS_MAX || e->n_members > CG_DIRS_MAX * 4)
		return bad("too many");
	for (size_t i = 0; i < e->n_hiers; i++) {
		if (!controllers_ok(e->hiers[i]->controllers) ||
		    (e->hiers[i]->v2 && *e->hiers[i]->controllers))
			return bad("a hierarchy");
		for (size_t j = 0; j < i; j++)
			if (e->hiers[j]->v2 == e->hiers[i]->v2 &&
			    !strcmp(e->hiers[j]->controllers, e->hiers[i]->controllers))
				return bad("a hierarchy twice");
	}
	for (size_t i = 0; i < e->n_dirs && r >= 0; i++)
		r = check_dir(e, i);
	for (size_t i = 0; i < e->n_members && r >= 0; i++)
		r = check_member(rs, e, i);
	/* Every live process has its place, when there are hierarchies. */
	for (size_t p = 0; rs && p < rs->nr && r >= 0 && e->n_hiers; p++)
		if (rs->procs[p].pp->role == PLAN_LIVE && !member_of(e, rs->procs[p].pp->pid))
			r = bad("a process without cgroups");
	return r;
}

int cgroup_load(struct restore *rs)
{
	const char *name = img_kinds[IMG_CGROUP].name_fmt;
	CgroupEntry *e = NULL;
	int r;

	/* Sets made before cgroups were saved have none. */
	if (faccessat(rs->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return 0;
	r = FAULT_OR(restore_read_cgroup, -EBADMSG,
		     img_read_msg(rs->dirfd, IMG_CGROUP, 0, &cgroup_entry__descriptor,
				  (ProtobufCMessage **)&e));
	if (r < 0)
		return pr_fail(r, "cannot restore: cannot read image '%s': %s", name,
			       img_strerror(r));
	rs->cg = xzalloc(sizeof(*rs->cg));
	rs->cg->e = e;
	/* Before the fd layout is planned; filled by cgroup_plan(). */
	rs->cg->pass0 = restore_pass_slots(rs, e->n_hiers);
	return cgroup_check(e, rs);
}

/* ---- where each cgroup goes ---- */

/* The deepest cgroup above every task's in hierarchy @h. */
static char *common_root(const CgroupEntry *e, size_t h)
{
	char *common = NULL;

	for (size_t m = 0; m < e->n_members; m++) {
		const char *p = e->dirs[e->members[m]->dirs[h]]->path;
		size_t i = 0, n;

		if (!common) {
			common = xstrdup(p);
			continue;
		}
		while (common[i] && common[i] == p[i])
			i++;
		n = i;
		/* Back to the end of a component both have whole. */
		if (!((!common[i] || common[i] == '/') && (!p[i] || p[i] == '/')))
			while (n > 0 && common[n] != '/')
				n--;
		if (n) {
			common[n] = 0;
		} else {
			common[0] = '/';
			common[1] = 0;
		}
	}
	return common ? common : xstrdup("/");
}

/* --cgroup-root [CONTROLLER:]PATH for hierarchy @h, or NULL. */
static int root_for(const CgroupHierEntry *h, const char *const *roots, int nr, const char **ret)
{
	const char *any = NULL;

	*ret = NULL;
	for (int i = 0; i < nr; i++) {
		const char *colon = roots[i][0] == '/' ? NULL : strchr(roots[i], ':');
		_cleanup_free_ char *c =
			colon ? strndup(roots[i], (size_t)(colon - roots[i])) : NULL;
		const char *path = colon ? colon + 1 : roots[i];

		if (!cg_path_ok(path))
			return pr_fail(-EINVAL,
				       "cannot restore: --cgroup-root '%s': not a cgroup path",
				       roots[i]);
		if (!colon) {
			any = path;
			continue;
		}
		if (h->v2 ? !strcmp(c, "cgroup2") || !strcmp(c, "unified")
			  : !strcmp(c, h->controllers) || cg_has_controller(h->controllers, c))
			*ret = path;
	}
	if (!*ret)
		*ret = any;
	return 0;
}

/* Does a --cgroup-root name hierarchy @h by a controller? */
static bool named_root(const CgroupHierEntry *h, const char *const *roots, int nr)
{
	for (int i = 0; i < nr; i++) {
		const char *r = NULL;

		if (roots[i][0] != '/' && root_for(h, &roots[i], 1, &r) >= 0 && r)
			return true;
	}
	return false;
}

static int check_roots(const CgroupEntry *e, const char *const *roots, int nr)
{
	for (int i = 0; i < nr; i++) {
		const char *colon = roots[i][0] == '/' ? NULL : strchr(roots[i], ':');
		bool used = !colon;

		for (size_t h = 0; h < e->n_hiers && !used; h++) {
			const char *r = NULL;

			(void)root_for(e->hiers[h], &roots[i], 1, &r);
			used = r != NULL;
		}
		if (!used)
			return pr_fail(
				-EINVAL,
				"cannot restore: --cgroup-root '%s': the images have no such hierarchy",
				roots[i]);
	}
	return 0;
}

static char *parent_of(const char *path)
{
	char *p = xstrdup(path), *slash = strrchr(p, '/');

	if (slash == p)
		slash[1] = 0;
	else
		*slash = 0;
	return p;
}

/* Is @path of hierarchy @h made by this restore before dir @upto? */
static bool made_before(const struct cg_restore *cg, size_t h, const char *path, size_t upto)
{
	for (size_t j = 0; j < upto; j++)
		if (cg->paths[j] && cg->e->dirs[j]->hier == h && cg->make[j] && !cg->existed[j] &&
		    !strcmp(cg->paths[j], path))
			return true;
	return false;
}

static int place_hier(struct cg_restore *cg, size_t h, const char *root)
{
	const CgroupEntry *e = cg->e;
	const char *common = cg->common[h] = common_root(e, h);
	size_t n = strlen(common);

	for (size_t i = 0; i < e->n_dirs; i++) {
		const CgroupDirEntry *d = e->dirs[i];
		const char *rest;

		if (d->hier != h)
			continue;
		cg->make[i] = d->owned;
		if (!root) {
			cg->paths[i] = xstrdup(d->path);
			continue;
		}
		/* Above the common cgroup: not the tree's any more. */
		if (strcmp(common, "/") &&
		    (strncmp(d->path, common, n) || (d->path[n] && d->path[n] != '/')))
			continue;
		rest = strcmp(common, "/") ? d->path + n : d->path;
		cg->paths[i] = !strcmp(root, "/")
				       ? xstrdup(*rest ? rest : "/")
				       : xasprintf("%s%s", root, !strcmp(rest, "/") ? "" : rest);
		/* The new root is made if it is missing. */
		cg->make[i] |= !strcmp(d->path, common);
		if (!cg_path_ok(cg->paths[i]))
			return pr_fail(-EINVAL, "cannot restore: cgroup '%s' is too long",
				       cg->paths[i]);
	}
	return 0;
}

/* Is every task in the root cgroup of hierarchy @h? */
static bool only_root(const CgroupEntry *e, size_t h)
{
	for (size_t i = 0; i < e->n_members; i++)
		if (strcmp(e->dirs[e->members[i]->dirs[h]]->path, "/"))
			return false;
	return true;
}

int cgroup_plan(struct restore *rs, const char *const *roots, int nr_roots)
{
	struct cg_restore *cg = rs->cg;
	int r;

	if (!cg)
		return nr_roots
			       ? pr_fail(-EINVAL,
					 "cannot restore: --cgroup-root: the images have no cgroups")
			       : 0;
	r = check_roots(cg->e, roots, nr_roots);
	if (r < 0)
		return r;
	r = cg_mounts_read(&cg->ms);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot read the mounts of cgroups");
	cg->mounts = xzalloc(cg->e->n_hiers * sizeof(*cg->mounts));
	cg->paths = xzalloc(cg->e->n_dirs * sizeof(*cg->paths));
	cg->make = xzalloc(cg->e->n_dirs);
	cg->existed = xzalloc(cg->e->n_dirs);
	cg->made = xzalloc(cg->e->n_dirs);
	cg->common = xzalloc(cg->e->n_hiers * sizeof(*cg->common));
	cg->root = xzalloc(cg->e->n_hiers * sizeof(*cg->root));
	cg->mfd = xmalloc((cg->e->n_hiers + 1) * sizeof(*cg->mfd));
	for (size_t h = 0; h < cg->e->n_hiers; h++)
		cg->mfd[h] = -1;
	for (size_t h = 0; h < cg->e->n_hiers; h++) {
		const CgroupHierEntry *he = cg->e->hiers[h];
		const char *root;

		cg->mounts[h] = cg_mount_find(&cg->ms, he->controllers, he->v2);
		r = root_for(he, roots, nr_roots, &root);
		if (r < 0)
			return r;
		/* A hierarchy this machine does not mount: the tree is left
		 * where ckpt is in it, if it was in its root cgroup and no
		 * --cgroup-root names it. */
		if (!cg->mounts[h] && only_root(cg->e, h) &&
		    (!root || !named_root(he, roots, nr_roots)))
			continue;
		if (!cg->mounts[h])
			return pr_fail(-ENOENT,
				       "cannot restore: cgroup hierarchy '%s' is not mounted",
				       he->v2 ? "cgroup2" : he->controllers);
		cg->root[h] = root;
		r = place_hier(cg, h, root);
		if (r < 0)
			return r;
		r = FAULT_OR(restore_cgroup_mount, (errno = EMFILE, -1),
			     open(cg->mounts[h]->dir, O_PATH | O_DIRECTORY | O_CLOEXEC));
		r = r < 0 ? -errno : fd_move_above(r, rs->first_aux);
		if (r < 0)
			return pr_errno(
				r, "cannot restore: cannot open the mount of cgroup hierarchy '%s'",
				he->v2 ? "cgroup2" : he->controllers);
		cg->mfd[h] = r;
		rs->pass[cg->pass0 + h] = cg->mfd[h];
	}
	for (size_t i = 0; i < cg->e->n_dirs; i++) {
		const CgroupDirEntry *d = cg->e->dirs[i];
		const struct cg_mount *m = cg->mounts[d->hier];
		_cleanup_close_ int fd = -1;
		_cleanup_free_ char *up = NULL;

		if (!cg->paths[i] || !m)
			continue;
		fd = cg_open_dir(m, cg->paths[i], O_PATH);
		cg->existed[i] = fd >= 0;
		if (fd >= 0)
			continue;
		if (!cg->make[i])
			return pr_fail(-ENOENT, "cannot restore: cgroup '%s' (%s) does not exist",
				       cg->paths[i], m->v2 ? "cgroup2" : m->controllers);
		up = parent_of(cg->paths[i]);
		fd = cg_open_dir(m, up, O_PATH);
		if (fd < 0 && !made_before(cg, d->hier, up, i))
			return pr_fail(
				-ENOENT,
				"cannot restore: cgroup '%s' (%s) cannot be made: '%s' does not exist",
				cg->paths[i], m->v2 ? "cgroup2" : m->controllers, up);
	}
	return 0;
}

char *cgroup_restore_path(const struct restore *rs, const char *controllers, bool v2,
			  const char *path)
{
	const struct cg_restore *cg = rs->cg;

	for (size_t h = 0; cg && cg->root && h < cg->e->n_hiers; h++) {
		const CgroupHierEntry *he = cg->e->hiers[h];
		const char *common = cg->common[h], *rest;
		size_t n;

		if (he->v2 != v2 || (!v2 && strcmp(he->controllers, controllers)) || !cg->root[h] ||
		    !common)
			continue;
		n = strcmp(common, "/") ? strlen(common) : 0;
		if (n && (strncmp(path, common, n) || (path[n] && path[n] != '/')))
			break; /* above the tree's cgroups: as it is */
		rest = path + n;
		if (!strcmp(cg->root[h], "/"))
			return xstrdup(*rest ? rest : "/");
		return xasprintf("%s%s", cg->root[h], !strcmp(rest, "/") ? "" : rest);
	}
	return xstrdup(path);
}

/* ---- making them ---- */

static int write_ctl(int dfd, const char *name, const char *value)
{
	_cleanup_close_ int fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return write(fd, value, strlen(value)) < 0 ? -errno : 0;
}

/* A limit the cgroup has today that is lower than the image's stays. */
static bool lower_today(int dfd, const char *name, const char *value)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	unsigned long long now, want;
	char buf[128];
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return false;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return cg_limit_of(buf, &now) && cg_limit_of(value, &want) && now < want;
}

/* v1 device rules on a cgroup the restore made: none, then each one. */
static int apply_devices(int dfd, const char *value, const char *path)
{
	int r = write_ctl(dfd, "devices.deny", "a");

	for (const char *p = value; r >= 0 && *p;) {
		size_t n = strcspn(p, ";");
		_cleanup_free_ char *rule = strndup(p, n);

		/* "a *:* rwm" is written as "a". */
		r = write_ctl(dfd, "devices.allow", rule[0] == 'a' ? "a" : rule);
		p += n;
		p += *p == ';';
	}
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot set the device rules of cgroup '%s'",
				path);
	return 0;
}

static int apply_setting(int dfd, bool existed, bool v2, const CgroupSettingEntry *s,
			 const char *path)
{
	const struct cg_setting *cs = cg_setting_find(s->name, v2);
	_cleanup_free_ char *value = NULL;
	int r;

	/* Rules, not a number: a cgroup that exists keeps its own. */
	if (cs->value == CG_DEVICES) {
		if (existed)
			pr_debug("cgroup '%s' keeps its device rules", path);
		return existed ? 0 : apply_devices(dfd, s->value, path);
	}
	if (cs->limit && existed && lower_today(dfd, s->name, s->value)) {
		pr_debug("cgroup '%s' keeps its %s, lower than the image's", path, s->name);
		return 0;
	}
	if (!strcmp(s->name, "cgroup.subtree_control")) {
		/* As read: "cpu memory"; as written: "+cpu +memory". */
		const char *p = s->value;

		value = xstrdup("");
		while (*p) {
			size_t n = strcspn(p, " ");
			char *v = xasprintf("%s%s+%.*s", value, *value ? " " : "", (int)n, p);

			free(value);
			value = v;
			p += n;
			p += *p == ' ';
		}
	}
	r = write_ctl(dfd, s->name, value ? value : s->value);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot set %s of cgroup '%s' to '%s'", s->name,
				path, s->value);
	return 0;
}

static int make_dir(struct cg_restore *cg, size_t i)
{
	const CgroupDirEntry *d = cg->e->dirs[i];
	const struct cg_mount *m = cg->mounts[d->hier];
	_cleanup_close_ int dfd = -1;
	int r;

	if (!cg->existed[i]) {
		_cleanup_free_ char *up = parent_of(cg->paths[i]);
		_cleanup_close_ int pfd = cg_open_dir(m, up, O_PATH);
		const char *name = strrchr(cg->paths[i], '/') + 1;

		r = pfd < 0 ? pfd
			    : FAULT_OR(restore_cgroup_make, -EACCES,
				       mkdirat(pfd, name, 0755) < 0 ? -errno : 0);
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot make cgroup '%s'", cg->paths[i]);
		cg->made[i] = true;
	}
	if (!d->owned)
		return 0;
	dfd = cg_open_dir(m, cg->paths[i], O_RDONLY);
	if (dfd < 0)
		return pr_errno(dfd, "cannot restore: cannot open cgroup '%s'", cg->paths[i]);
	for (size_t k = 0; k < d->n_settings; k++) {
		r = apply_setting(dfd, cg->existed[i], m->v2, d->settings[k], cg->paths[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int depth_of(const char *path)
{
	int n = 0;

	for (; path[1] && *path; path++)
		n += *path == '/';
	return n;
}

int cgroup_make(struct restore *rs)
{
	struct cg_restore *cg = rs->cg;
	struct trust_saved ts;
	int r = 0;

	if (!cg)
		return 0;
	r = trust_enter(&rs->trust, &ts);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot take the image owner's access");
	/* Parents first, whatever the order of the image. */
	for (int depth = 1; depth <= 2048 && r >= 0; depth++) {
		bool deeper = false;

		for (size_t i = 0; i < cg->e->n_dirs && r >= 0; i++) {
			int dd;

			if (!cg->paths[i] || !cg->make[i])
				continue;
			dd = depth_of(cg->paths[i]);
			deeper |= dd > depth;
			if (dd == depth)
				r = make_dir(cg, i);
		}
		if (!deeper)
			break;
	}
	trust_leave(&ts);
	return r;
}

void cgroup_undo(struct restore *rs)
{
	struct cg_restore *cg = rs->cg;
	struct trust_saved ts;

	if (!cg || !cg->made || trust_enter(&rs->trust, &ts) < 0)
		return;
	for (size_t n = cg->e->n_dirs; n-- > 0;) {
		const struct cg_mount *m = cg->mounts[cg->e->dirs[n]->hier];
		_cleanup_free_ char *up = NULL;
		_cleanup_close_ int pfd = -1;

		if (!cg->made[n])
			continue;
		up = parent_of(cg->paths[n]);
		pfd = cg_open_dir(m, up, O_PATH);
		if (pfd >= 0)
			(void)unlinkat(pfd, strrchr(cg->paths[n], '/') + 1, AT_REMOVEDIR);
	}
	trust_leave(&ts);
}

/* ---- moving the tasks ---- */

/* Is the caller in cgroup @path of hierarchy @he already? */
/* In a new process: its cgroups as read before it entered a mount
 * namespace of the tree, whose /proc may not show it (a container's, in
 * a pid namespace the process is not in). */
static char *own_cgroups;

void cgroup_remember_own(void)
{
	size_t len;

	free(own_cgroups);
	own_cgroups = NULL;
	if (read_file("/proc/thread-self/cgroup", &own_cgroups, &len) < 0)
		own_cgroups = NULL;
}

static bool already_in(const CgroupHierEntry *he, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	char *save = NULL;
	size_t len;

	if (read_file("/proc/thread-self/cgroup", &buf, &len) < 0) {
		if (!own_cgroups)
			return false;
		buf = xstrdup(own_cgroups);
	}
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = 0;
		if (!strcmp(c2 + 1, path) &&
		    ((he->v2 && !strcmp(l, "0:")) || (!he->v2 && !strcmp(c1 + 1, he->controllers))))
			return true;
	}
	return false;
}

/* @mfd: the hierarchy's mount, open (-1: by its path, in ckpt). */
static int move_into(const struct cg_restore *cg, int mfd, uint32_t dir, const char *file,
		     const char *who)
{
	const struct cg_mount *m = cg->mounts[cg->e->dirs[dir]->hier];
	_cleanup_close_ int dfd = cg_open_dir_at(m, mfd, cg->paths[dir], O_RDONLY);

	return dfd < 0 ? dfd : write_ctl(dfd, file, who);
}

/* Move the caller, a process of the tree, into its cgroup of each
 * hierarchy; *@failed: where not. */
static int join_all(const struct restore *rs, const CgroupMemberEntry *me, size_t *failed)
{
	const struct cg_restore *cg = rs->cg;

	for (size_t h = 0; h < me->n_dirs; h++) {
		const char *path = cg->paths[me->dirs[h]];
		int r;

		*failed = h;
		if (!cg->mounts[h] || already_in(cg->e->hiers[h], path))
			continue;
		r = move_into(cg, restore_passed_fd(rs, cg->pass0 + h), me->dirs[h], "cgroup.procs",
			      "0");
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_join_early(const struct restore *rs, int pid)
{
	const struct cg_restore *cg = rs->cg;
	const CgroupMemberEntry *me = cg ? member_of(cg->e, pid) : NULL;
	struct trust_saved ts;
	size_t h = 0;
	int r = 0;

	if (!me || !me->n_dirs)
		return 0;
	r = trust_enter(&rs->trust, &ts);
	if (r < 0)
		return pr_errno(r, "cannot restore %d: cannot take the image owner's access", pid);
	r = FAULT_OR(restore_cgroup_join, -EACCES, join_all(rs, me, &h));
	trust_leave(&ts);
	if (r < 0)
		return pr_errno(r, "cannot restore %d: cannot move it into cgroup '%s' (%s)", pid,
				cg->paths[me->dirs[h]] ? cg->paths[me->dirs[h]] : "?",
				cg->e->hiers[h]->v2 ? "cgroup2" : cg->e->hiers[h]->controllers);
	return 0;
}

int cgroup_join_threads(const struct restore *rs)
{
	const struct cg_restore *cg = rs->cg;
	struct trust_saved ts;
	int r;

	if (!cg)
		return 0;
	r = trust_enter(&rs->trust, &ts);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot take the image owner's access");
	for (size_t i = 0; i < cg->e->n_members && r >= 0; i++) {
		const CgroupMemberEntry *me = cg->e->members[i];
		const CgroupMemberEntry *proc = member_of(cg->e, me->pid);
		_cleanup_free_ char *tid = xasprintf("%d", ns_host_pid((int)me->tid));

		for (size_t h = 0; h < me->n_dirs && r >= 0 && me->tid != me->pid; h++) {
			bool v2 = cg->e->hiers[h]->v2;

			if (me->dirs[h] == proc->dirs[h] || !cg->mounts[h])
				continue;
			r = FAULT_OR(restore_cgroup_threads, -EACCES,
				     move_into(cg, -1, me->dirs[h], v2 ? "cgroup.threads" : "tasks",
					       tid));
			if (r < 0)
				r = pr_errno(
					r,
					"cannot restore %d: cannot move thread %d into cgroup '%s'",
					me->pid, me->tid, cg->paths[me->dirs[h]]);
		}
	}
	trust_leave(&ts);
	return r;
}

void cgroup_release(struct restore *rs)
{
	struct cg_restore *cg = rs->cg;

	if (!cg)
		return;
	for (size_t i = 0; cg->paths && i < cg->e->n_dirs; i++)
		free(cg->paths[i]);
	free(cg->paths);
	free(cg->make);
	free(cg->existed);
	free(cg->made);
	for (size_t h = 0; cg->common && h < cg->e->n_hiers; h++)
		free(cg->common[h]);
	free(cg->common);
	free(cg->root);
	free(cg->mounts);
	for (size_t h = 0; cg->mfd && h < cg->e->n_hiers; h++)
		if (cg->mfd[h] >= 0)
			close(cg->mfd[h]);
	free(cg->mfd);
	cg_mounts_release(&cg->ms);
	if (cg->e)
		protobuf_c_message_free_unpacked(&cg->e->base, NULL);
	free(cg);
	rs->cg = NULL;
}
