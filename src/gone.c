// SPDX-License-Identifier: GPL-2.0
/* Removed directories, FIFOs and device nodes, made again (see gone.h). */
#include "gone.h"

#include "util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

char *gone_path(const char *shown)
{
	size_t len = strlen(shown), suffix = strlen(" (deleted)");
	char *path, *slash;

	if (len <= suffix || !str_ends(shown, " (deleted)"))
		return NULL;
	path = strndup(shown, len - suffix);
	slash = path ? strrchr(path, '/') : NULL;
	if (!slash || !slash[1]) {
		free(path);
		return NULL;
	}
	return path;
}

static int make_node(int dirfd, const char *name, mode_t mode, dev_t rdev)
{
	int r = S_ISDIR(mode) ? mkdirat(dirfd, name, 0700)
			      : mknodat(dirfd, name, (mode & S_IFMT) | 0600, rdev);

	return r < 0 ? -errno : 0;
}

/* Under @t's access (trust_enter): make, open, check and unlink. */
static int make_open(int dirfd, const char *name, mode_t mode, dev_t rdev, int flags)
{
	char alt[256];
	const char *at = name;
	struct stat st;
	int fd, r;

	r = make_node(dirfd, at, mode, rdev);
	for (int n = 0; r == -EEXIST && n < 100; n++) {
		if (snprintf(alt, sizeof(alt), "%s.ckpt-%d-%d", name, (int)getpid(), n) >=
		    (int)sizeof(alt))
			return -ENAMETOOLONG;
		at = alt;
		r = make_node(dirfd, at, mode, rdev);
	}
	if (r < 0)
		return r;
	fd = openat(dirfd, at, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		r = -errno;
	/* Whoever may write the directory may have put another node there
	 * between the two calls: only ours is taken. */
	else if (fstat(fd, &st) < 0)
		r = -errno;
	else if ((st.st_mode & S_IFMT) != (mode & S_IFMT) ||
		 st.st_uid != (uid_t)setfsuid((uid_t)-1) || (S_ISCHR(mode) && st.st_rdev != rdev))
		r = -EEXIST;
	else if (fchmod(fd, mode & (0777 | S_ISVTX)) < 0)
		r = -errno;
	if (unlinkat(dirfd, at, S_ISDIR(mode) ? AT_REMOVEDIR : 0) < 0 && r >= 0)
		r = -errno;
	if (r < 0 && fd >= 0)
		close(fd);
	return r < 0 ? r : fd;
}

int gone_make(const struct trust *t, const char *path, mode_t mode, dev_t rdev, int flags)
{
	_cleanup_free_ char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	_cleanup_close_ int dirfd = -1;
	struct trust_saved saved;
	int r;

	if (!slash || !slash[1] || (flags & O_PATH))
		return -EINVAL;
	*slash = 0;
	dirfd = trust_open(t, slash == dir ? "/" : dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (dirfd < 0)
		return dirfd;
	r = trust_enter(t, &saved);
	if (r < 0)
		return r;
	r = make_open(dirfd, slash + 1, mode, rdev, flags);
	trust_leave(&saved);
	return r;
}
