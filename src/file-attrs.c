// SPDX-License-Identifier: GPL-2.0
/*
 * What a file ckpt makes again (a deleted file, a removed directory held
 * as an fd) had besides its contents, mode and owner: its inode flags (FS_IOC_GETFLAGS, what lsattr shows)
 * and its extended attributes.
 *
 * Inode flags: the ones a program or its owner sets and a new file can
 * take (no atime updates, no dump, synchronous writes, no copy on write)
 * are saved and set again. Immutable and append-only are refused at dump:
 * ckpt could neither give the new file its owner nor remove its name. The
 * others describe how the filesystem stores the file (extents, inline
 * data, compression, encryption, verity, casefolding) and are what the
 * new file gets where it is made.
 *
 * Extended attributes: user.* and the access ACL (system.posix_acl_access;
 * a directory's default ACL too) are saved and set again; trusted.* too, for a set root trusts only (a
 * user cannot set them). File capabilities (security.capability) are
 * refused at dump: a deleted file can still be run (fexecve), and they
 * would be cleared by the chown that gives the file its owner. Security
 * labels (security.selinux, ...) are not saved: the new file gets the one
 * the policy gives it.
 */
#include "files.h"

#include "imgdir.h"
#include "trust.h"
#include "util.h"

#include <linux/fs.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>

/* The inode flags kept. */
#define IFLAGS_KEPT (FS_SYNC_FL | FS_NODUMP_FL | FS_NOATIME_FL | FS_NOCOW_FL | FS_DIRSYNC_FL)
#define IFLAGS_REFUSED (FS_IMMUTABLE_FL | FS_APPEND_FL)
#define XATTRS_MAX 64
#define XATTR_VALUE_MAX 65536 /* XATTR_SIZE_MAX */
#define XATTR_NAME_LEN 255 /* XATTR_NAME_MAX */

static bool xattr_saved(const char *name, bool dir)
{
	return !strncmp(name, "user.", 5) || !strncmp(name, "trusted.", 8) ||
	       !strcmp(name, "system.posix_acl_access") ||
	       (dir && !strcmp(name, "system.posix_acl_default"));
}

static void xattr_add(FileAttrsEntry *a, const char *name, const void *value, size_t len)
{
	XattrEntry *x = xmalloc(sizeof(*x));

	xattr_entry__init(x);
	x->name = xstrdup(name);
	x->value.len = len;
	x->value.data = xmalloc(len ? len : 1);
	memcpy(x->value.data, value, len);
	a->xattrs = xrealloc(a->xattrs, (a->n_xattrs + 1) * sizeof(*a->xattrs));
	a->xattrs[a->n_xattrs++] = x;
}

/* The attributes of @fd into @a. -errno, or 1 and *@ret_refused naming
 * what cannot be kept. */
static int attrs_read(int fd, bool dir, FileAttrsEntry *a, const char **ret_refused)
{
	_cleanup_free_ char *names = NULL, *value = NULL;
	ssize_t len = flistxattr(fd, NULL, 0);
	int flags = 0;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		if (flags & IFLAGS_REFUSED) {
			*ret_refused = flags & FS_IMMUTABLE_FL ? "is immutable" : "is append-only";
			return 1;
		}
		if (flags & IFLAGS_KEPT) {
			a->has_iflags = true;
			a->iflags = (uint32_t)(flags & IFLAGS_KEPT);
		}
	} else if (errno != ENOTTY && errno != EOPNOTSUPP && errno != EINVAL) {
		return -errno;
	}
	if (len < 0)
		return errno == EOPNOTSUPP ? 0 : -errno;
	names = xmalloc((size_t)len + 1);
	len = flistxattr(fd, names, (size_t)len);
	if (len < 0)
		return -errno; /* ERANGE: it changed meanwhile, in a frozen tree */
	names[len] = 0;
	value = xmalloc(XATTR_VALUE_MAX);
	for (char *n = names; n < names + len; n += strlen(n) + 1) {
		ssize_t vlen;

		if (!strcmp(n, "security.capability")) {
			*ret_refused = "has file capabilities (security.capability)";
			return 1;
		}
		if (!xattr_saved(n, dir))
			continue;
		if (a->n_xattrs >= XATTRS_MAX) {
			*ret_refused = "has too many extended attributes";
			return 1;
		}
		vlen = fgetxattr(fd, n, value, XATTR_VALUE_MAX);
		if (vlen < 0)
			return -errno;
		xattr_add(a, n, value, (size_t)vlen);
	}
	return 0;
}

int file_attrs_dump(int fd, int pid, int pfd, FileEntry *e)
{
	FileAttrsEntry *a = xmalloc(sizeof(*a));
	const char *refused = NULL;
	bool dir = S_ISDIR(e->mode);
	int r;

	file_attrs_entry__init(a);
	r = attrs_read(fd, dir, a, &refused);
	if (r == 0 && (a->has_iflags || a->n_xattrs)) {
		e->attrs = a;
		return 0;
	}
	file_attrs_entry__free_unpacked(a, NULL);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read the attributes of '%s' (fd %d)",
				pid, e->path, pfd);
	if (r > 0)
		return pr_fail(-EOPNOTSUPP, "cannot dump %d: fd %d, the %s '%s', %s", pid, pfd,
			       dir ? "removed directory" : "deleted file", e->path, refused);
	return 0;
}

int file_attrs_check(const FileEntry *e, const struct trust *t)
{
	const FileAttrsEntry *a = e->attrs;

	if (!a)
		return 0;
	if ((a->iflags & ~(uint32_t)IFLAGS_KEPT) || a->n_xattrs > XATTRS_MAX)
		return pr_fail(-EBADMSG,
			       "cannot restore: images are inconsistent (file attributes)");
	for (size_t i = 0; i < a->n_xattrs; i++) {
		const XattrEntry *x = a->xattrs[i];

		if (!str_fits(x->name, XATTR_NAME_LEN) || !xattr_saved(x->name, S_ISDIR(e->mode)) ||
		    x->value.len > XATTR_VALUE_MAX)
			return pr_fail(-EBADMSG,
				       "cannot restore: images are inconsistent (file attributes)");
		if (!t->trusted && !strncmp(x->name, "trusted.", 8)) {
			_cleanup_free_ char *name = str_escape(x->name),
					    *path = str_escape(e->path);

			return pr_fail(
				-EPERM,
				"cannot restore: '%s' has the attribute '%s', which only root may set, in a set root does not trust",
				path, name);
		}
	}
	return 0;
}

int file_attrs_restore(int fd, const FileEntry *e)
{
	const FileAttrsEntry *a = e->attrs;

	for (size_t i = 0; a && i < a->n_xattrs; i++)
		if (fsetxattr(fd, a->xattrs[i]->name, a->xattrs[i]->value.data,
			      a->xattrs[i]->value.len, 0) < 0)
			return -errno;
	if (a && a->has_iflags && ioctl(fd, FS_IOC_SETFLAGS, &(int){ (int)a->iflags }) < 0)
		return -errno;
	return 0;
}
