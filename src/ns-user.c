// SPDX-License-Identifier: GPL-2.0
/*
 * User namespaces: maps, setgroups, owner (see ns-user.h).
 *
 * Kernel rules this file follows (user_namespaces(7)):
 * - the owner of a user namespace is the euid of the task that made it;
 *   a task with that euid in the parent namespace has every capability
 *   inside, so the owner decides how far the namespace reaches;
 * - uid_map and gid_map are written once each, from a process of the
 *   parent namespace (or the namespace itself), in one write; a writer
 *   with CAP_SETUID (CAP_SETGID) in the parent may write any ranges, an
 *   ordinary owner only its own euid (its egid, once setgroups is
 *   "deny"); newuidmap/newgidmap add the /etc/subuid, /etc/subgid ranges;
 * - setgroups can only be set to "deny" before gid_map is written;
 * - what /proc/PID/uid_map shows depends on who opens it: the lower ids
 *   are in the opener's namespace, which for ckpt is the parent (nested
 *   namespaces are refused).
 */
#include "ns-user.h"

#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/nsfs.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

/* ---- maps ---- */

void userns_extents_free(UsernsExtent **e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i]);
	free(e);
}

static UsernsExtent *extent_new(uint32_t first, uint32_t lower, uint32_t count)
{
	UsernsExtent *x = xmalloc(sizeof(*x));

	userns_extent__init(x);
	x->first = first;
	x->lower_first = lower;
	x->count = count;
	return x;
}

static bool parse_u32(const char **p, uint32_t *ret)
{
	char *end;
	unsigned long long v;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	v = strtoull(*p, &end, 10);
	if (errno || v > UINT32_MAX)
		return false;
	*p = end;
	*ret = (uint32_t)v;
	return true;
}

int userns_parse_map(const char *text, UsernsExtent ***ret, size_t *ret_n)
{
	UsernsExtent **e = NULL;
	size_t n = 0;
	const char *p = text;

	while (*p) {
		uint32_t v[3];

		for (int k = 0; k < 3; k++)
			if (!parse_u32(&p, &v[k]))
				goto bad;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '\n')
			goto bad;
		if (*p)
			p++;
		if (n >= USERNS_MAX_EXTENTS)
			goto bad;
		e = xrealloc(e, (n + 1) * sizeof(*e));
		e[n++] = extent_new(v[0], v[1], v[2]);
	}
	*ret = e;
	*ret_n = n;
	return 0;
bad:
	userns_extents_free(e, n);
	return -EINVAL;
}

static bool ranges_overlap(uint32_t a, uint32_t an, uint32_t b, uint32_t bn)
{
	return (uint64_t)a < (uint64_t)b + bn && (uint64_t)b < (uint64_t)a + an;
}

const char *userns_map_insane(UsernsExtent *const *e, size_t n)
{
	if (!n)
		return "an empty map";
	if (n > USERNS_MAX_EXTENTS)
		return "more lines than the kernel takes";
	for (size_t i = 0; i < n; i++) {
		/* The kernel's own test: no empty range, and first + count
		 * stays below 2^32 (so -1, the invalid id, is never mapped). */
		if (!e[i]->count)
			return "an empty range";
		if ((uint64_t)e[i]->first + e[i]->count > UINT32_MAX ||
		    (uint64_t)e[i]->lower_first + e[i]->count > UINT32_MAX)
			return "a range past the last id";
		for (size_t j = 0; j < i; j++)
			if (ranges_overlap(e[i]->first, e[i]->count, e[j]->first, e[j]->count) ||
			    ranges_overlap(e[i]->lower_first, e[i]->count, e[j]->lower_first,
					   e[j]->count))
				return "overlapping ranges";
	}
	return NULL;
}

bool userns_map_up(UsernsExtent *const *e, size_t n, uint32_t host, uint32_t *ret)
{
	for (size_t i = 0; i < n; i++)
		if (host >= e[i]->lower_first && host - e[i]->lower_first < e[i]->count) {
			*ret = e[i]->first + (host - e[i]->lower_first);
			return true;
		}
	return false;
}

/* ---- what an owner may map ---- */

void userns_subid_parse(const char *text, const char *name, uint32_t uid, struct subid_range **ret,
			size_t *ret_n)
{
	char uidtext[16];
	const char *p = text;

	*ret = NULL;
	*ret_n = 0;
	snprintf(uidtext, sizeof(uidtext), "%u", uid);
	while (p && *p) {
		const char *eol = strchr(p, '\n'), *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : 0;
		uint32_t first, count;
		const char *q;

		if (!colon || (eol && colon > eol))
			goto next;
		if (!((name && strlen(name) == len && !strncmp(p, name, len)) ||
		      (strlen(uidtext) == len && !strncmp(p, uidtext, len))))
			goto next;
		q = colon + 1;
		if (!parse_u32(&q, &first) || *q++ != ':' || !parse_u32(&q, &count))
			goto next;
		if (*q && *q != '\n')
			goto next;
		if (!count || (uint64_t)first + count > UINT32_MAX)
			goto next;
		*ret = xrealloc(*ret, (*ret_n + 1) * sizeof(**ret));
		(*ret)[(*ret_n)++] = (struct subid_range){ first, count };
	next:
		p = eol ? eol + 1 : NULL;
	}
}

static void subid_load(const char *path, const char *name, uint32_t uid, struct subid_range **ret,
		       size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;

	*ret = NULL;
	*ret_n = 0;
	if (read_file(path, &text, NULL) == 0)
		userns_subid_parse(text, name, uid, ret, ret_n);
}

void userns_owner_load(struct userns_owner *o, uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	const char *name = NULL;

	memset(o, 0, sizeof(*o));
	o->uid = uid;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res) {
		int n = 64;

		name = pw.pw_name;
		for (;;) {
			int got = n;

			o->groups = xrealloc(o->groups, (size_t)n * sizeof(gid_t));
			if (getgrouplist(pw.pw_name, pw.pw_gid, o->groups, &got) >= 0) {
				o->nr_groups = (size_t)got;
				o->known = true;
				break;
			}
			if (got <= n || got > 65536)
				break;
			n = got;
		}
	}
	subid_load("/etc/subuid", name, uid, &o->subuid, &o->nr_subuid);
	subid_load("/etc/subgid", name, uid, &o->subgid, &o->nr_subgid);
}

void userns_owner_release(struct userns_owner *o)
{
	free(o->groups);
	free(o->subuid);
	free(o->subgid);
	memset(o, 0, sizeof(*o));
}

static bool in_subid(const struct subid_range *r, size_t n, uint32_t lower, uint32_t count)
{
	for (size_t i = 0; i < n; i++)
		if (lower >= r[i].first &&
		    (uint64_t)lower + count <= (uint64_t)r[i].first + r[i].count)
			return true;
	return false;
}

static bool owner_has_gid(const struct userns_owner *o, uint32_t gid)
{
	for (size_t i = 0; i < o->nr_groups; i++)
		if (o->groups[i] == gid)
			return true;
	return false;
}

const char *userns_maps_beyond_owner(const UsernsEntry *u, const struct userns_owner *o)
{
	if (o->uid == 0)
		return NULL;
	for (size_t i = 0; i < u->n_uid_map; i++) {
		const UsernsExtent *x = u->uid_map[i];

		if (x->count == 1 && x->lower_first == o->uid)
			continue;
		if (!in_subid(o->subuid, o->nr_subuid, x->lower_first, x->count))
			return "a uid map beyond its owner's own uid and /etc/subuid ranges";
	}
	for (size_t i = 0; i < u->n_gid_map; i++) {
		const UsernsExtent *x = u->gid_map[i];

		if (in_subid(o->subgid, o->nr_subgid, x->lower_first, x->count))
			continue;
		/* The kernel lets an ordinary owner map its egid alone, and
		 * only once setgroups is denied (or its groups could be
		 * dropped to reach files they shut out). */
		if (x->count == 1 && owner_has_gid(o, x->lower_first) && !u->setgroups_allow)
			continue;
		return "a gid map beyond its owner's groups (with setgroups denied) and /etc/subgid ranges";
	}
	return NULL;
}

/* ---- reading a namespace ---- */

static int read_map(int pid, const char *name, UsernsExtent ***ret, size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	return userns_parse_map(text, ret, ret_n);
}

static int ns_ino(int fd, uint32_t *ret)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*ret = (uint32_t)st.st_ino;
	return 0;
}

int userns_read(int pid, int nsfd, uint32_t id, UsernsEntry **ret)
{
	_cleanup_close_ int parent = -1, own = -1;
	_cleanup_free_ char *sg = NULL;
	uint32_t parent_ino = 0, own_ino = 0;
	char path[64];
	UsernsEntry *u;
	uid_t owner;
	int r;

	/* A namespace made in ckpt's own: anything else is nested. */
	parent = ioctl(nsfd, NS_GET_PARENT);
	if (parent < 0)
		return errno == EPERM ? -ENOTSUP : -errno;
	own = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	if (own < 0)
		return -errno;
	r = ns_ino(parent, &parent_ino);
	if (r == 0)
		r = ns_ino(own, &own_ino);
	if (r < 0)
		return r;
	if (parent_ino != own_ino)
		return -ENOTSUP;
	if (ioctl(nsfd, NS_GET_OWNER_UID, &owner) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
	r = read_file(path, &sg, NULL);
	if (r < 0)
		return r;
	u = xmalloc(sizeof(*u));
	userns_entry__init(u);
	u->id = id;
	u->owner_uid = owner;
	u->parent_id = 0;
	u->setgroups_allow = !strncmp(sg, "allow", 5);
	r = read_map(pid, "uid_map", &u->uid_map, &u->n_uid_map);
	if (r == 0)
		r = read_map(pid, "gid_map", &u->gid_map, &u->n_gid_map);
	if (r < 0) {
		userns_entry__free_unpacked(u, NULL);
		return r;
	}
	*ret = u;
	return 0;
}

/* ---- images ---- */

int userns_check(const UsernsEntry *u)
{
	const char *why = NULL;

	if (u->parent_id)
		why = "a user namespace nested in another";
	else if ((why = userns_map_insane(u->uid_map, u->n_uid_map)))
		;
	else if ((why = userns_map_insane(u->gid_map, u->n_gid_map)))
		;
	else if (u->owner_uid == UINT32_MAX)
		why = "an invalid owner";
	if (why)
		return pr_fail(-EBADMSG,
			       "cannot restore: images are inconsistent (user namespace %u: %s)",
			       u->id, why);
	return 0;
}

/* ---- restore ---- */

static char *map_text(UsernsExtent *const *e, size_t n)
{
	char *text = xmalloc(n * 34 + 1);
	size_t len = 0;

	text[0] = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, 35, "%u %u %u\n", e[i]->first,
					e[i]->lower_first, e[i]->count);
	return text;
}

static int write_proc(int pid, const char *name, const char *text)
{
	_cleanup_close_ int fd = -1;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* One write: the kernel takes a map in a single write only. */
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return errno ? -errno : -EIO;
	return 0;
}

static bool maps_equal(UsernsExtent *const *a, size_t na, UsernsExtent *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i]->first != b[i]->first || a[i]->lower_first != b[i]->lower_first ||
		    a[i]->count != b[i]->count)
			return false;
	return true;
}

int userns_write_maps(int pid, const UsernsEntry *u)
{
	_cleanup_free_ char *uid_text = map_text(u->uid_map, u->n_uid_map);
	_cleanup_free_ char *gid_text = map_text(u->gid_map, u->n_gid_map);
	_cleanup_free_ char *sg = NULL;
	UsernsExtent **back = NULL;
	size_t nback = 0;
	char path[64];
	bool same;
	int r = 0;

	errno = 0;
	/* "allow" is what a namespace made in the host's starts with. */
	if (!u->setgroups_allow)
		r = write_proc(pid, "setgroups", "deny");
	if (r == 0)
		r = write_proc(pid, "gid_map", gid_text);
	if (r == 0)
		r = write_proc(pid, "uid_map", uid_text);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
	r = read_file(path, &sg, NULL);
	if (r < 0)
		return r;
	if ((strncmp(sg, "allow", 5) == 0) != u->setgroups_allow)
		return -EIO;
	r = read_map(pid, "uid_map", &back, &nback);
	if (r < 0)
		return r;
	same = maps_equal(back, nback, u->uid_map, u->n_uid_map);
	userns_extents_free(back, nback);
	if (!same)
		return -EIO;
	r = read_map(pid, "gid_map", &back, &nback);
	if (r < 0)
		return r;
	same = maps_equal(back, nback, u->gid_map, u->n_gid_map);
	userns_extents_free(back, nback);
	return same ? 0 : -EIO;
}

/* ---- credentials ---- */

static const char *ids_unmapped(UsernsExtent *const *um, size_t nu, UsernsExtent *const *gm,
				size_t ng, const CredsEntry *c, uint32_t *ret_id)
{
	const uint32_t uids[] = { c->uid, c->euid, c->suid, c->fsuid };
	const uint32_t gids[] = { c->gid, c->egid, c->sgid, c->fsgid };
	uint32_t inner;

	for (size_t i = 0; i < ARRAY_SIZE(uids); i++)
		if (!userns_map_up(um, nu, uids[i], &inner)) {
			*ret_id = uids[i];
			return "uid";
		}
	for (size_t i = 0; i < ARRAY_SIZE(gids); i++)
		if (!userns_map_up(gm, ng, gids[i], &inner)) {
			*ret_id = gids[i];
			return "gid";
		}
	/* Supplementary groups need no mapping: they are given to the
	 * process before it enters its namespace (ns-user-ops.c). */
	return NULL;
}

int userns_check_creds_dump(int pid, const CredsEntry *c)
{
	char path[64], theirs[64] = "", ours[64] = "";
	UsernsExtent **um = NULL, **gm = NULL;
	size_t nu = 0, ng = 0;
	const char *what;
	uint32_t id = 0;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	if (readlink(path, theirs, sizeof(theirs) - 1) < 0 ||
	    readlink("/proc/self/ns/user", ours, sizeof(ours) - 1) < 0 || !strcmp(theirs, ours))
		return 0;
	r = read_map(pid, "uid_map", &um, &nu);
	if (r == 0)
		r = read_map(pid, "gid_map", &gm, &ng);
	if (r < 0) {
		userns_extents_free(um, nu);
		return pr_errno(r, "cannot dump %d: cannot read the maps of its user namespace",
				pid);
	}
	what = ids_unmapped(um, nu, gm, ng, c, &id);
	userns_extents_free(um, nu);
	userns_extents_free(gm, ng);
	if (what)
		return pr_fail(
			-ENOTSUP,
			"cannot dump %d: its %s %u is not mapped in its user namespace (a restore could not set it from inside)",
			pid, what, id);
	return 0;
}

int userns_creds_inside(const UsernsEntry *u, const CredsEntry *c, CredsEntry *ret)
{
	uint32_t id = 0, *ids[8];
	const char *what = ids_unmapped(u->uid_map, u->n_uid_map, u->gid_map, u->n_gid_map, c, &id);

	if (what)
		return -ERANGE;
	*ret = *c;
	ids[0] = &ret->uid;
	ids[1] = &ret->euid;
	ids[2] = &ret->suid;
	ids[3] = &ret->fsuid;
	ids[4] = &ret->gid;
	ids[5] = &ret->egid;
	ids[6] = &ret->sgid;
	ids[7] = &ret->fsgid;
	for (int k = 0; k < 8; k++)
		(void)userns_map_up(k < 4 ? u->uid_map : u->gid_map,
				    k < 4 ? u->n_uid_map : u->n_gid_map, *ids[k], ids[k]);
	return 0;
}
