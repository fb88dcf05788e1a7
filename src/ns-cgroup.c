// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroup namespaces: the cgroup that is the namespace's root in each
 * hierarchy (the one its owner was in when it made it), in
 * cgroupns-ID.img. Which cgroup each process is in is not this file's
 * business (cgroup*.c): only the namespace's roots.
 *
 * Dump: a child of ckpt enters the namespace and reads the owner's
 * /proc/PID/cgroup, which then shows each path below the namespace's
 * root; ckpt's own reading shows the whole path: the root is what is
 * left of it. An owner outside its namespace's root (a path of "/..")
 * is refused.
 *
 * Restore: the owner, right after it was created, moves itself into each
 * root (cgroup.procs, opened with the image owner's access) and unshares
 * its cgroup namespace there. A root that does not exist is refused
 * before any process is made.
 */
#include "ns.h"

#include "fault.h"
#include "imgdir.h"
#include "restore.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define CG_TEXT_MAX 65536
#define CG_HIERARCHIES_MAX 64

/* /proc/PID/cgroup as read by a child of ckpt in the namespace @nsfd. */
static int read_inside(int nsfd, int pid, char *text, size_t len)
{
	int pipefd[2], status, child;
	ssize_t n = 0, got;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (child == 0) {
		char path[64];
		int fd;

		close(pipefd[0]);
		snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
		if (setns(nsfd, CLONE_NEWCGROUP) < 0)
			_exit(1);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		got = 0;
		while (fd >= 0 && (got = read(fd, text, len)) > 0)
			if (write_full(pipefd[1], text, (size_t)got) < 0)
				_exit(1);
		_exit(fd >= 0 && got == 0 ? 0 : 1);
	}
	close(pipefd[1]);
	while (n < (ssize_t)len - 1 &&
	       ((got = read(pipefd[0], text + n, len - 1 - (size_t)n)) > 0 ||
		(got < 0 && errno == EINTR)))
		n += got > 0 ? got : 0;
	close(pipefd[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) || n >= (ssize_t)len - 1)
		return -EIO;
	text[n] = 0;
	return 0;
}

static int read_outside(int pid, char *text, size_t len)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	ssize_t n = 0, got;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n < (ssize_t)len - 1 && (got = read(fd, text + n, len - 1 - (size_t)n)) > 0)
		n += got;
	if (n >= (ssize_t)len - 1)
		return -E2BIG;
	text[n] = 0;
	return 0;
}

/* The path of hierarchy "ID:CONTROLLERS" in a /proc/PID/cgroup text. */
static const char *path_of(char *text, const char *hier)
{
	size_t hl = strlen(hier);

	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = 0;
		if (!strncmp(line, hier, hl) && line[hl] == ':')
			return line + hl + 1;
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static void free_entry(CgroupNsEntry *e)
{
	for (size_t i = 0; i < e->n_roots; i++) {
		free(e->roots[i]->controllers);
		free(e->roots[i]->root);
		free(e->roots[i]);
	}
	free(e->roots);
}

static int cgroup_dump(const struct ns_dump *d)
{
	_cleanup_free_ char *out = xmalloc(CG_TEXT_MAX), *in = xmalloc(CG_TEXT_MAX);
	CgroupNsEntry e = CGROUP_NS_ENTRY__INIT;
	int r = read_outside(d->pid, out, CG_TEXT_MAX);

	if (r >= 0)
		r = read_inside(d->nsfd, d->pid, in, CG_TEXT_MAX);
	if (r < 0)
		return pr_errno(r, "cannot dump: cannot read the cgroups of %d", d->pid);
	e.roots = xzalloc(CG_HIERARCHIES_MAX * sizeof(*e.roots));
	for (char *line = out; line && *line && r >= 0;) {
		char *nl = strchr(line, '\n'), *c1 = strchr(line, ':'), *c2;
		_cleanup_free_ char *copy = NULL;
		const char *rel;
		size_t full, rl;

		if (nl)
			*nl = 0;
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || e.n_roots == CG_HIERARCHIES_MAX) {
			r = pr_fail(-EINVAL, "cannot dump: cannot read the cgroups of %d", d->pid);
			break;
		}
		*c2 = 0;
		copy = xstrdup(in);
		rel = path_of(copy, line);
		full = strlen(c2 + 1);
		rl = rel ? strlen(rel) : 0;
		/* Inside, the path is below the root: the root is the rest. */
		if (!rel || rel[0] != '/' || !strncmp(rel, "/..", 3) || rl > full ||
		    (strcmp(rel, "/") && strcmp(c2 + 1 + full - rl, rel))) {
			r = pr_fail(
				-EOPNOTSUPP,
				"cannot dump: process %d is outside the root of its cgroup namespace in hierarchy '%s' (not supported)",
				d->pid, line);
			break;
		}
		e.roots[e.n_roots] = xmalloc(sizeof(*e.roots[0]));
		cgroup_ns_root__init(e.roots[e.n_roots]);
		e.roots[e.n_roots]->controllers = xstrdup(c1 + 1);
		e.roots[e.n_roots]->root =
			!strcmp(rel, "/") ? xstrdup(c2 + 1) : strndup(c2 + 1, full - rl);
		if (!e.roots[e.n_roots]->root[0]) {
			free(e.roots[e.n_roots]->root);
			e.roots[e.n_roots]->root = xstrdup("/");
		}
		e.n_roots++;
		line = nl ? nl + 1 : NULL;
	}
	if (r >= 0) {
		r = FAULT_OR(dump_write_ns, -ENOSPC,
			     img_write_msg(d->dir->dirfd, IMG_NS_CGROUP, (int)d->id, &e.base));
		if (r < 0)
			r = pr_errno(r, "cannot write images in '%s'", d->dir->tmp);
	}
	free_entry(&e);
	return r;
}

/* ---- restore ---- */

struct cgroup_state {
	char **procs; /* per root: its cgroup.procs, as ckpt sees it */
	size_t nr;
};

static bool controllers_ok(const char *c)
{
	return str_fits(c, 256) &&
	       strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789_,=") == strlen(c);
}

/* Where hierarchy @controllers is mounted whole ("" for cgroup2). */
static char *mount_of(const char *controllers)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	while (f && fgets(line, sizeof(line), f)) {
		char root[1024], mnt[1024], type[64], opts[2048];
		const char *sep = strstr(line, " - ");
		bool all = true;

		if (!sep || sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%63s %*s %2047s", type, opts) != 2 || strcmp(root, "/"))
			continue;
		if (!controllers[0]) {
			if (!strcmp(type, "cgroup2"))
				return xstrdup(mnt);
			continue;
		}
		if (strcmp(type, "cgroup"))
			continue;
		_cleanup_free_ char *want = xstrdup(controllers);
		for (char *tok = strtok(want, ","); tok && all; tok = strtok(NULL, ",")) {
			size_t tl = strlen(tok);
			const char *p = opts;

			all = false;
			while ((p = strstr(p, tok)) && !all) {
				all = (p == opts || p[-1] == ',') && (p[tl] == ',' || !p[tl]);
				p += tl;
			}
		}
		if (all)
			return xstrdup(mnt);
	}
	return NULL;
}

static void cgroup_release(struct ns_restore *n)
{
	struct cgroup_state *st = n->state;

	for (size_t i = 0; st && i < st->nr; i++)
		free(st->procs[i]);
	if (st)
		free(st->procs);
	free(st);
	n->state = NULL;
}

static int cgroup_prepare(struct restore *rs, struct ns_restore *n)
{
	CgroupNsEntry *e = NULL;
	struct cgroup_state *st;
	int r = img_read_msg(rs->dirfd, IMG_NS_CGROUP, (int)n->id, &cgroup_ns_entry__descriptor,
			     (ProtobufCMessage **)&e);

	if (r < 0) {
		_cleanup_free_ char *name = img_name(IMG_NS_CGROUP, (int)n->id);

		return pr_fail(r, "cannot restore: cannot read image '%s': %s", name,
			       img_strerror(r));
	}
	st = n->state = xzalloc(sizeof(*st));
	st->procs = xzalloc((e->n_roots + 1) * sizeof(*st->procs));
	if (e->n_roots > CG_HIERARCHIES_MAX)
		r = img_inconsistent(IMG_NS_CGROUP, (int)n->id, "%zu hierarchies", e->n_roots);
	for (size_t i = 0; i < e->n_roots && r >= 0; i++) {
		const CgroupNsRoot *c = e->roots[i];
		_cleanup_free_ char *mnt = NULL;
		struct stat sb;

		if (!controllers_ok(c->controllers) || !str_fits(c->root, 4000)) {
			r = img_inconsistent(IMG_NS_CGROUP, (int)n->id, "hierarchy %zu", i);
			break;
		}
		r = strcmp(c->root, "/") ? trust_check_path("cgroup", c->root) : 0;
		if (r < 0)
			break;
		mnt = mount_of(c->controllers);
		if (!mnt) {
			_cleanup_free_ char *what = str_escape(c->controllers);

			r = pr_fail(
				-ENOENT,
				"cannot restore: the cgroup hierarchy '%s' of cgroup namespace %u is not mounted here",
				what, n->id);
			break;
		}
		st->procs[st->nr] =
			xasprintf("%s%s/cgroup.procs", mnt, strcmp(c->root, "/") ? c->root : "");
		if (stat(st->procs[st->nr], &sb) < 0) {
			_cleanup_free_ char *what = str_escape(c->root);

			r = pr_fail(
				-ENOENT,
				"cannot restore: cgroup '%s', the root of cgroup namespace %u, does not exist",
				what, n->id);
		}
		st->nr++;
	}
	protobuf_c_message_free_unpacked(&e->base, NULL);
	return r;
}

/* In the owner: into each root, then its own namespace there. */
static int cgroup_restore(struct restore *rs, struct ns_restore *n)
{
	const struct cgroup_state *st = n->state;

	for (size_t i = 0; i < st->nr; i++) {
		int fd = trust_open(&rs->trust, st->procs[i], O_WRONLY | O_CLOEXEC, 0);
		int r = fd < 0 ? fd : 0;

		if (r >= 0 && write(fd, "0\n", 2) != 2)
			r = -errno;
		if (fd >= 0)
			close(fd);
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot move %d into '%s'",
					rs->procs[n->owner].pp->pid, st->procs[i]);
	}
	if (FAULT_OR(restore_ns_cgroup, (errno = EPERM, -1), unshare(CLONE_NEWCGROUP)) < 0)
		return pr_errno(-errno, "cannot restore: cannot make cgroup namespace %u", n->id);
	return 0;
}

static void cgroup_show(int dirfd, uint32_t id)
{
	CgroupNsEntry *e = NULL;

	if (img_read_msg(dirfd, IMG_NS_CGROUP, (int)id, &cgroup_ns_entry__descriptor,
			 (ProtobufCMessage **)&e) < 0)
		return;
	for (size_t i = 0; i < e->n_roots; i++) {
		_cleanup_free_ char *c = str_escape(e->roots[i]->controllers);
		_cleanup_free_ char *root = str_escape(e->roots[i]->root);

		printf("  root in hierarchy '%s': '%s'\n", c[0] ? c : "cgroup2", root);
	}
	protobuf_c_message_free_unpacked(&e->base, NULL);
}

const struct ns_ops ns_cgroup_ops = {
	.name = "cgroup",
	.clone_flag = 0, /* unshared in cgroup_restore, once in its roots */
	.dump = cgroup_dump,
	.prepare = cgroup_prepare,
	.restore = cgroup_restore,
	.release = cgroup_release,
	.show = cgroup_show,
};
