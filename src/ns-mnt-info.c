// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID/mountinfo, and the options a mount and its superblock show;
 * a path opened to learn its mount. Nothing here logs.
 */
#include "ns-mnt.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int parse_u32(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

void mnt_info_free_one(struct mnt_info *m)
{
	free(m->root);
	free(m->mountpoint);
	free(m->fstype);
	free(m->source);
	free(m->mnt_opts);
	free(m->super_opts);
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" */
static int parse_line(char *line, struct mnt_info *m)
{
	char *f[32], *save = NULL, *tok;
	size_t n = 0, dash;

	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (n == ARRAY_SIZE(f))
			return -EINVAL;
		f[n++] = tok;
	}
	for (dash = 6; dash < n && strcmp(f[dash], "-"); dash++)
		;
	if (n < 10 || dash + 4 != n)
		return -EINVAL;
	if (parse_u32(f[0], &m->id) || parse_u32(f[1], &m->parent) ||
	    sscanf(f[2], "%u:%u", &m->major, &m->minor) != 2)
		return -EINVAL;
	for (size_t i = 6; i < dash; i++) {
		if (!strncmp(f[i], "shared:", 7)) {
			if (parse_u32(f[i] + 7, &m->shared))
				return -EINVAL;
		} else if (!strncmp(f[i], "master:", 7)) {
			if (parse_u32(f[i] + 7, &m->master))
				return -EINVAL;
		} else if (!strncmp(f[i], "propagate_from:", 15)) {
			if (parse_u32(f[i] + 15, &m->propagate_from))
				return -EINVAL;
		} else if (!strcmp(f[i], "unbindable")) {
			m->unbindable = true;
		}
	}
	m->root = proc_mountinfo_unescape(f[3]);
	m->mountpoint = proc_mountinfo_unescape(f[4]);
	m->mnt_opts = xstrdup(f[5]);
	m->fstype = proc_mountinfo_unescape(f[dash + 1]);
	m->source = proc_mountinfo_unescape(f[dash + 2]);
	m->super_opts = xstrdup(f[dash + 3]);
	return 0;
}

int mnt_info_parse(FILE *f, struct mnt_info **ret, size_t *ret_nr)
{
	struct mnt_info *v = NULL;
	size_t nr = 0, cap = 0, len = 0;
	char *line = NULL;
	int r = 0;

	while (getline(&line, &len, f) > 0) {
		if (nr == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		memset(&v[nr], 0, sizeof(v[nr]));
		r = parse_line(line, &v[nr]);
		if (r < 0) {
			mnt_info_free_one(&v[nr]);
			break;
		}
		nr++;
	}
	free(line);
	if (r < 0) {
		mnt_info_free(v, nr);
		return r;
	}
	*ret = v;
	*ret_nr = nr;
	return 0;
}

void mnt_info_free(struct mnt_info *m, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		mnt_info_free_one(&m[i]);
	free(m);
}

static const struct {
	const char *name;
	uint32_t set;
} mnt_opts[] = {
	{ "ro", MOUNT_ATTR_RDONLY },
	{ "rw", 0 },
	{ "nosuid", MOUNT_ATTR_NOSUID },
	{ "nodev", MOUNT_ATTR_NODEV },
	{ "noexec", MOUNT_ATTR_NOEXEC },
	{ "noatime", MOUNT_ATTR_NOATIME },
	{ "relatime", MOUNT_ATTR_RELATIME },
	{ "nodiratime", MOUNT_ATTR_NODIRATIME },
	{ "nosymfollow", MOUNT_ATTR_NOSYMFOLLOW },
};

int mnt_flags_parse(const char *opts, uint32_t *ret, char *bad, size_t bad_len)
{
	_cleanup_free_ char *copy = xstrdup(opts);
	char *save = NULL;
	/* No atime option shown: strictatime. */
	uint32_t flags = MOUNT_ATTR_STRICTATIME;

	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(mnt_opts); i++)
			if (!strcmp(o, mnt_opts[i].name))
				break;
		if (i == ARRAY_SIZE(mnt_opts)) {
			snprintf(bad, bad_len, "%s", o);
			return -EINVAL;
		}
		if (!strcmp(o, "noatime") || !strcmp(o, "relatime"))
			flags &= ~(uint32_t)MOUNT_ATTR__ATIME;
		flags |= mnt_opts[i].set;
	}
	*ret = flags;
	return 0;
}

void mnt_flags_show(uint32_t flags, char *buf, size_t len)
{
	uint32_t atime = flags & MOUNT_ATTR__ATIME;

	snprintf(buf, len, "%s%s%s%s%s%s%s", flags & MOUNT_ATTR_RDONLY ? "ro" : "rw",
		 flags & MOUNT_ATTR_NOSUID ? ",nosuid" : "",
		 flags & MOUNT_ATTR_NODEV ? ",nodev" : "",
		 flags & MOUNT_ATTR_NOEXEC ? ",noexec" : "",
		 atime == MOUNT_ATTR_NOATIME	? ",noatime"
		 : atime == MOUNT_ATTR_RELATIME ? ",relatime"
						: "",
		 flags & MOUNT_ATTR_NODIRATIME ? ",nodiratime" : "",
		 flags & MOUNT_ATTR_NOSYMFOLLOW ? ",nosymfollow" : "");
}

static const char *const known_fs[] = { "tmpfs",  "proc",    "sysfs", "mqueue",
					"devpts", "cgroup2", "cgroup" };

bool mnt_fs_known(const char *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_fs); i++)
		if (!strcmp(type, known_fs[i]))
			return true;
	return false;
}

/* "1024k", "12m", "3g", plain bytes: what tmpfs shows for size=. */
static int parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'k')
		mul = 1024;
	else if (*end == 'm')
		mul = 1024 * 1024;
	else if (*end == 'g')
		mul = 1024ULL * 1024 * 1024;
	else if (*end)
		return -EINVAL;
	if (mul != 1 && end[1])
		return -EINVAL;
	return mul_ok(v, mul, ret) ? 0 : -EINVAL;
}

static int parse_octal(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || end == s || *end || v > 07777)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int sb_opt(const char *fstype, char *o, MntSbEntry *sb)
{
	char *val = strchr(o, '=');
	bool tmpfs = !strcmp(fstype, "tmpfs"), devpts = !strcmp(fstype, "devpts");

	if (val)
		*val++ = '\0';
	if (!strcmp(o, "rw") && !val)
		return 0;
	if (!strcmp(o, "ro") && !val) {
		sb->has_ro = sb->ro = true;
		return 0;
	}
	if (tmpfs && val && !strcmp(o, "size")) {
		if (parse_size(val, &sb->size))
			return -EINVAL;
		sb->has_size = true;
		return 0;
	}
	if (tmpfs && val && !strcmp(o, "nr_inodes")) {
		if (parse_size(val, &sb->nr_inodes))
			return -EINVAL;
		sb->has_nr_inodes = true;
		return 0;
	}
	if ((tmpfs || devpts) && val && !strcmp(o, "mode"))
		return parse_octal(val, &sb->mode) ?: (sb->has_mode = true, 0);
	if (devpts && val && !strcmp(o, "ptmxmode"))
		return parse_octal(val, &sb->ptmxmode) ?: (sb->has_ptmxmode = true, 0);
	if (tmpfs && val && !strcmp(o, "uid"))
		return parse_u32(val, &sb->uid) ?: (sb->has_uid = true, 0);
	if ((tmpfs || devpts || !strcmp(fstype, "proc")) && val && !strcmp(o, "gid"))
		return parse_u32(val, &sb->gid) ?: (sb->has_gid = true, 0);
	if (tmpfs && !val && (!strcmp(o, "inode64") || !strcmp(o, "inode32"))) {
		sb->has_inode64 = true;
		sb->inode64 = !strcmp(o, "inode64");
		return 0;
	}
	if (tmpfs && val && !strcmp(o, "huge")) {
		static const char *const huge[] = { "never", "always", "within_size", "advise" };

		for (uint32_t i = 0; i < ARRAY_SIZE(huge); i++)
			if (!strcmp(val, huge[i])) {
				sb->has_huge = true;
				sb->huge = i;
				return 0;
			}
		return -EINVAL;
	}
	if (!strcmp(fstype, "proc") && val && !strcmp(o, "hidepid")) {
		if (strcmp(val, "invisible") && strcmp(val, "noaccess") &&
		    strcmp(val, "ptraceable"))
			return -EINVAL;
		sb->hidepid = xstrdup(val);
		return 0;
	}
	if (!strcmp(fstype, "proc") && val && !strcmp(o, "subset")) {
		if (strcmp(val, "pid"))
			return -EINVAL;
		sb->has_subset_pid = sb->subset_pid = true;
		return 0;
	}
	if (!strcmp(fstype, "cgroup2") && !val && !strcmp(o, "nsdelegate")) {
		sb->has_nsdelegate = sb->nsdelegate = true;
		return 0;
	}
	if (!strcmp(fstype, "cgroup2") && !val && !strcmp(o, "memory_recursiveprot")) {
		sb->has_memory_recursiveprot = sb->memory_recursiveprot = true;
		return 0;
	}
	return -EINVAL;
}

int mnt_sb_opts_parse(const char *fstype, const char *opts, MntSbEntry *sb, char *bad,
		      size_t bad_len)
{
	_cleanup_free_ char *copy = xstrdup(opts);
	char *save = NULL;

	if (!strcmp(fstype, "cgroup")) {
		/* v1: "rw,memory", "rw,xattr,name=systemd": the controllers
		 * are the options after rw/ro, kept as they are. */
		char ctl[256] = "";
		size_t len = 0;

		for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			if (!strcmp(o, "rw"))
				continue;
			if (!strcmp(o, "ro")) {
				sb->has_ro = sb->ro = true;
				continue;
			}
			if (strchr(o, '=') && strncmp(o, "name=", 5)) {
				snprintf(bad, bad_len, "%s", o);
				return -EINVAL;
			}
			if (len + strlen(o) + 2 > sizeof(ctl)) {
				snprintf(bad, bad_len, "%s", o);
				return -EINVAL;
			}
			len += (size_t)snprintf(ctl + len, sizeof(ctl) - len, "%s%s",
						len ? "," : "", o);
		}
		sb->controllers = xstrdup(ctl);
		return 0;
	}
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char shown[128];

		snprintf(shown, sizeof(shown), "%s", o);
		if (sb_opt(fstype, o, sb) < 0) {
			snprintf(bad, bad_len, "%s", shown);
			return -EINVAL;
		}
	}
	return 0;
}

bool mnt_path_under(const char *path, const char *dir, const char **ret_rest)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/")) {
		*ret_rest = path[0] == '/' && path[1] ? path : "";
		return path[0] == '/';
	}
	if (strncmp(path, dir, n) || (path[n] && path[n] != '/'))
		return false;
	*ret_rest = path + n;
	return true;
}

int mnt_info_read_at(int dirfd, const char *path, struct mnt_info **ret, size_t *nr)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	_cleanup_fclose_ FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;

	if (!f) {
		int r = -errno;

		if (fd >= 0)
			close(fd);
		return r;
	}
	return mnt_info_parse(f, ret, nr);
}

long mnt_info_find(const struct mnt_info *v, size_t nr, uint32_t id)
{
	for (size_t i = 0; i < nr; i++)
		if (v[i].id == id)
			return (long)i;
	return -1;
}

bool mnt_info_same_dev(const struct mnt_info *a, const struct mnt_info *b)
{
	return a->major == b->major && a->minor == b->minor;
}

int mnt_open_path(const char *path, struct statx *stx)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	if (fd < 0)
		return -errno;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, stx) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}
