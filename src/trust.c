// SPDX-License-Identifier: GPL-2.0
/* How far an image set is believed, and opening its paths (see trust.h). */
#include "trust.h"

#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

void boot_id_read(char buf[BOOT_ID_LEN + 1])
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	buf[0] = 0;
	if (read_file("/proc/sys/kernel/random/boot_id", &text, &len) < 0)
		return;
	text[strcspn(text, "\n")] = 0;
	snprintf(buf, BOOT_ID_LEN + 1, "%s", text);
}

int trust_check_path(const char *what, const char *path)
{
	const char *why = NULL;
	size_t len = strlen(path);

	if (len > TRUST_PATH_MAX)
		why = "is too long";
	else if (path[0] != '/')
		why = "is not absolute";
	else if (strstr(path, "//"))
		why = "has an empty component";
	for (const char *c = path; !why && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			why = "has a control character";
	for (const char *c = path; !why && c; c = strchr(c + 1, '/')) {
		size_t n = strcspn(c + 1, "/");

		if ((n == 1 && c[1] == '.') || (n == 2 && c[1] == '.' && c[2] == '.'))
			why = "has a '.' or '..' component";
	}
	if (why) {
		_cleanup_free_ char *shown = str_escape(len > 256 ? "(long path)" : path);

		return pr_fail(-EINVAL, "cannot restore: %s path '%s' in the images %s (refused)",
			       what, shown, why);
	}
	return 0;
}

/* ---- the owner of an image set ---- */

static int refuse(const char *dir, const char *name, const char *why)
{
	if (name)
		return pr_fail(-EPERM, "cannot restore: image '%s/%s' %s", dir, name, why);
	return pr_fail(-EPERM, "cannot restore: image set '%s' %s", dir, why);
}

/* One file of the set (or the directory itself, @name NULL): who owns
 * it, into *@owner, the one non-root uid seen so far (0 for none). */
static int look_at(const char *dir, const char *name, const struct stat *st, uid_t dir_uid,
		   uid_t *owner)
{
	if (name && !S_ISREG(st->st_mode))
		return refuse(dir, name, "is not a regular file (symlinks and others are refused)");
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return refuse(dir, name, "is writable by group or other");
	/* A root-owned file linked into a user's set is not the user's to
	 * give: protected_hardlinks should stop it, this does anyway. */
	if (name && dir_uid && !st->st_uid && st->st_nlink > 1)
		return refuse(dir, name, "is a hard link to a file of root's");
	if (!st->st_uid)
		return 0;
	if (*owner && *owner != st->st_uid) {
		char why[96];

		snprintf(why, sizeof(why), "has files of two users (uid %u and uid %u)", *owner,
			 st->st_uid);
		return refuse(dir, NULL, why);
	}
	*owner = st->st_uid;
	return 0;
}

/* The one non-root uid owning @dirfd or its files, or 0. */
static int set_owner(const char *dir, int dirfd, uid_t *ret)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	uid_t owner = 0, dir_uid;
	int r, fd;

	if (fstat(dirfd, &st) < 0)
		return pr_errno(-errno, "cannot restore: cannot read '%s'", dir);
	dir_uid = st.st_uid;
	r = look_at(dir, NULL, &st, dir_uid, &owner);
	if (r < 0)
		return r;
	fd = dup(dirfd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return pr_errno(r, "cannot restore: cannot read '%s'", dir);
	}
	rewinddir(d);
	while (r >= 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = pr_errno(-errno, "cannot restore: cannot read '%s/%s'", dir,
				     de->d_name);
		else
			r = look_at(dir, de->d_name, &st, dir_uid, &owner);
	}
	closedir(d);
	*ret = owner;
	return r;
}

/* The groups @t->owner may restore processes with. */
static int owner_groups(struct trust *t)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int n = 64;

	free(t->groups);
	t->groups = NULL;
	t->nr_groups = 0;
	if (t->owner == geteuid()) {
		n = getgroups(0, NULL);
		t->groups = xmalloc((size_t)(n + 1) * sizeof(gid_t));
		n = getgroups(n, t->groups);
		if (n < 0)
			return pr_errno(-errno, "cannot restore: cannot read my groups");
		t->gid = getegid();
		t->groups[n] = t->gid;
		t->nr_groups = (size_t)n + 1;
		return 0;
	}
	if (getpwuid_r(t->owner, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return pr_fail(
			-EPERM,
			"cannot restore: image set '%s' is owned by uid %u, which has no user entry (its groups are unknown)",
			t->dir, t->owner);
	t->gid = pw.pw_gid;
	for (;;) {
		int got = n;

		t->groups = xrealloc(t->groups, (size_t)n * sizeof(gid_t));
		if (getgrouplist(pw.pw_name, pw.pw_gid, t->groups, &got) >= 0) {
			t->nr_groups = (size_t)got;
			return 0;
		}
		if (got <= n || got > 65536)
			return pr_fail(-EPERM, "cannot restore: cannot read the groups of uid %u",
				       t->owner);
		n = got;
	}
}

int trust_add_set(struct trust *t, const char *dir, int dirfd, const InventoryEntry *inv)
{
	uid_t me = geteuid(), owner = 0, limit;
	int r;

	r = set_owner(dir, dirfd, &owner);
	if (r < 0)
		return r;
	if (!t->decided) {
		char boot[BOOT_ID_LEN + 1];

		t->dir = xstrdup(dir);
		boot_id_read(boot);
		t->same_boot = inv && inv->boot_id && boot[0] && !strcmp(inv->boot_id, boot);
	}
	if (me && owner && owner != me)
		return pr_fail(
			-EPERM,
			"cannot restore: image set '%s' is owned by uid %u; only that user or root may restore it",
			dir, owner);
	/* Not root: ckpt can give no more than the caller has. */
	limit = me ? me : owner;
	/* A user's set builds only on sets of the same user: pages of
	 * root's own sets must not reach the user's processes. */
	if (t->decided && !t->trusted && limit != t->owner)
		return pr_fail(
			-EPERM,
			"cannot restore: image set '%s' is owned by uid %u, its parent '%s' by uid %u",
			t->dir, t->owner, dir, limit);
	if (!t->decided || (t->trusted && limit)) {
		t->trusted = !limit;
		t->owner = limit;
		if (limit) {
			r = owner_groups(t);
			if (r < 0)
				return r;
		}
	}
	t->decided = true;
	pr_debug("image set '%s': %s", dir,
		 t->trusted ? "trusted (root's)" : "limited to its owner's rights");
	return 0;
}

static bool owner_has_gid(const struct trust *t, gid_t g)
{
	if (g == t->gid)
		return true;
	for (size_t i = 0; i < t->nr_groups; i++)
		if (t->groups[i] == g)
			return true;
	return false;
}

int trust_check_creds(const struct trust *t, int pid, const CredsEntry *c)
{
	const uint32_t uids[] = { c->uid, c->euid, c->suid, c->fsuid };
	const uint32_t gids[] = { c->gid, c->egid, c->sgid, c->fsgid };
	const char *what = NULL;
	uint32_t bad = 0;

	if (t->trusted)
		return 0;
	for (size_t i = 0; !what && i < ARRAY_SIZE(uids); i++)
		if (uids[i] != t->owner) {
			what = "uid";
			bad = uids[i];
		}
	for (size_t i = 0; !what && i < ARRAY_SIZE(gids); i++)
		if (!owner_has_gid(t, gids[i])) {
			what = "gid";
			bad = gids[i];
		}
	for (size_t i = 0; !what && i < c->n_groups; i++)
		if (!owner_has_gid(t, c->groups[i])) {
			what = "group";
			bad = c->groups[i];
		}
	if (what)
		return pr_fail(
			-EPERM,
			"cannot restore: image set '%s' is owned by uid %u and may only restore processes of that user (process %d claims %s %u)",
			t->dir, t->owner, pid, what, bad);
	/* No capability at all; the bounding set may stay full (an ordinary
	 * process has it so, and it gives nothing by itself). */
	if (c->cap_inh || c->cap_prm || c->cap_eff || c->cap_amb)
		return pr_fail(
			-EPERM,
			"cannot restore: image set '%s' is owned by uid %u and may only restore processes of that user (process %d claims capabilities: permitted %#llx, effective %#llx)",
			t->dir, t->owner, pid, (unsigned long long)c->cap_prm,
			(unsigned long long)c->cap_eff);
	return 0;
}

/*
 * The loginuid names who logged in, for the audit trail; the restore sets
 * it with ckpt's CAP_AUDIT_CONTROL. A set limited to its owner may keep
 * it unset, the owner's, or ckpt's own (what the process would inherit).
 */
int trust_check_loginuid(const struct trust *t, int pid, uint32_t loginuid)
{
	_cleanup_free_ char *text = NULL;
	unsigned long own = (uint32_t)-1;

	if (t->trusted || loginuid == (uint32_t)-1 || loginuid == t->owner)
		return 0;
	if (read_file("/proc/self/loginuid", &text, NULL) == 0)
		own = strtoul(text, NULL, 10);
	if (loginuid == own)
		return 0;
	return pr_fail(
		-EPERM,
		"cannot restore: image set '%s' is owned by uid %u and may only restore processes of that user (process %d claims loginuid %u)",
		t->dir, t->owner, pid, loginuid);
}

void trust_release(struct trust *t)
{
	free(t->groups);
	free(t->dir);
	memset(t, 0, sizeof(*t));
}

/* ---- opening paths from images ---- */

static bool no_fs_caps(void)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t v = CAP_SET;

	if (caps) {
		(void)cap_get_flag(caps, CAP_DAC_OVERRIDE, CAP_EFFECTIVE, &v);
		cap_free(caps);
	}
	return v == CAP_CLEAR;
}

int trust_enter(const struct trust *t, struct trust_saved *s)
{
	int n;

	memset(s, 0, sizeof(*s));
	/* Trusted, or not root: our own access is the right one. */
	if (t->trusted || geteuid() != 0)
		return 0;
	n = getgroups(0, NULL);
	s->groups = xmalloc((size_t)(n + 1) * sizeof(gid_t));
	s->nr_groups = getgroups(n, s->groups);
	if (s->nr_groups < 0 || setgroups(t->nr_groups, t->groups) < 0) {
		free(s->groups);
		s->groups = NULL;
		return -errno;
	}
	s->active = true;
	s->fsgid = (gid_t)setfsgid(t->gid);
	/*
	 * setfsuid() from 0 to another uid clears CAP_CHOWN, CAP_DAC_OVERRIDE,
	 * CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_LINUX_IMMUTABLE,
	 * CAP_MAC_OVERRIDE and CAP_MKNOD from the effective set (and back to
	 * 0 raises them again from the permitted set): with them gone, the
	 * kernel checks file access as the owner would be checked. It says
	 * nothing on failure: read both back.
	 */
	s->fsuid = (uid_t)setfsuid(t->owner);
	if ((uid_t)setfsuid((uid_t)-1) != t->owner || (gid_t)setfsgid((gid_t)-1) != t->gid ||
	    !no_fs_caps()) {
		trust_leave(s);
		return -EPERM;
	}
	return 0;
}

void trust_leave(struct trust_saved *s)
{
	if (!s->active)
		return;
	(void)setfsuid(s->fsuid);
	(void)setfsgid(s->fsgid);
	(void)setgroups((size_t)s->nr_groups, s->groups);
	free(s->groups);
	s->groups = NULL;
	s->active = false;
}

/* What openat2 accepts: it refuses bits that open() ignores. */
static int open_flags(int flags)
{
	if (flags & O_PATH)
		return flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return flags & (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK |
			O_DSYNC | O_SYNC | FASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY |
			O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_TMPFILE);
}

static long openat2_call(const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		/* O_TMPFILE holds O_DIRECTORY's bit: test it whole. */
		.mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode : 0,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

bool trust_have_openat2(void)
{
	long fd = openat2_call("/", O_PATH | O_CLOEXEC, 0);

	if (fd < 0)
		return false;
	close((int)fd);
	return true;
}

int trust_open_walk(const char *path, int flags, mode_t mode)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *comp = copy + 1, *slash;
	int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (dir < 0)
		return -errno;
	while ((slash = strchr(comp, '/'))) {
		struct stat st;

		*slash = 0;
		fd = openat(dir, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		close(dir);
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
			close(fd);
			return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
		}
		dir = fd;
		comp = slash + 1;
	}
	fd = openat(dir, *comp ? comp : ".", flags | O_NOFOLLOW, mode);
	if (fd < 0)
		fd = -errno;
	close(dir);
	return fd;
}

int trust_open(const struct trust *t, const char *path, int flags, mode_t mode)
{
	struct trust_saved s;
	bool nonblock;
	long fd;
	int r;

	if (path[0] != '/')
		return -EINVAL;
	r = trust_enter(t, &s);
	if (r < 0)
		return r;
	flags = open_flags(flags);
	/*
	 * A FIFO put at the path since the dump (or since the check) would
	 * hold the open until someone opens the other end: the restore would
	 * hang, as root. Every open is non-blocking; the flag is taken back
	 * after when the caller did not ask for it. Callers compare the type
	 * with what was dumped (trust_verify).
	 */
	nonblock = !(flags & (O_PATH | O_NONBLOCK));
	if (nonblock)
		flags |= O_NONBLOCK;
	fd = openat2_call(path, flags, mode);
	if (fd < 0)
		fd = errno == ENOSYS ? trust_open_walk(path, flags, mode) : -errno;
	trust_leave(&s);
	if (fd >= 0 && nonblock &&
	    fcntl((int)fd, F_SETFL, fcntl((int)fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		r = -errno;
		close((int)fd);
		return r;
	}
	/* RESOLVE_NO_SYMLINKS says ELOOP for a symlink on the way. */
	return (int)fd;
}

int trust_verify(const struct trust *t, int fd, const struct trust_file *f)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return pr_errno(-errno, "cannot restore: %s '%s'", f->what, f->path);
	if (f->mode && (st.st_mode & S_IFMT) != (f->mode & S_IFMT))
		return pr_fail(-ESTALE,
			       "cannot restore: %s '%s' is no longer the same kind of file",
			       f->what, f->path);
	if (t->same_boot && f->has_ino && (st.st_dev != f->dev || st.st_ino != f->ino))
		return pr_fail(
			-ESTALE,
			"cannot restore: %s '%s' is not the file that was dumped (inode changed)",
			f->what, f->path);
	return 0;
}

int trust_open_verify(const struct trust *t, const struct trust_file *f, int flags, mode_t mode)
{
	int fd = t->inner_open ? t->inner_open(t, f, flags, mode) : -ESRCH, r;
	struct trust_file any = *f;

	if (fd == -ESRCH) {
		fd = trust_open(t, f->path, flags, mode);
	} else {
		any.has_ino = false;
		f = &any;
	}

	if (fd == -ELOOP)
		return pr_fail(
			fd,
			"cannot restore: cannot open %s '%s': a symlink is on its path (refused)",
			f->what, f->path);
	if (fd < 0)
		return pr_errno(fd, "cannot restore: cannot open %s '%s'", f->what, f->path);
	r = trust_verify(t, fd, f);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

void trust_file_owner(const struct trust *t, uid_t *uid, gid_t *gid)
{
	bool member = *gid == t->gid;

	if (t->trusted)
		return;
	for (size_t i = 0; i < t->nr_groups && !member; i++)
		member = t->groups[i] == *gid;
	if (*uid != t->owner)
		*uid = (uid_t)-1;
	if (!member)
		*gid = (gid_t)-1;
}
