// SPDX-License-Identifier: GPL-2.0
/*
 * The files of a tmpfs: directories, regular files with their contents,
 * symlinks, FIFOs, device nodes and hard links, with their modes, owners
 * and times. Read at dump from a detached clone of the mount (no mount on
 * it seen), written into mnt-tmpfs-ID.img as records (u32 length, a
 * packed mnt_file_entry, a regular file's bytes); made again at restore
 * under a directory of a new tmpfs no one else sees yet.
 *
 * Sockets are not made again: a socket of the tree binds its own name.
 * Extended attributes are not kept (see README).
 */
#include "image.h"
#include "imgdir.h"
#include "ns-mnt.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MNT_MAX_DEPTH 256
#define REC_MAX 16384 /* one packed mnt_file_entry */

struct walk {
	struct img img;
	const char *mountpoint;
	uint64_t *bytes;
	size_t *files;
	struct {
		dev_t dev;
		ino_t ino;
		char *path;
	} * links;
	size_t nr_links;
};

static int put_entry(struct walk *w, const MntFileEntry *fe)
{
	uint8_t buf[REC_MAX];
	size_t len = mnt_file_entry__get_packed_size(fe);
	uint32_t n = (uint32_t)len;
	int r;

	if (len > sizeof(buf))
		return -ENAMETOOLONG;
	mnt_file_entry__pack(fe, buf);
	r = img_write(&w->img, &n, sizeof(n));
	return r < 0 ? r : img_write(&w->img, buf, len);
}

static int too_much(const struct walk *w, const char *why)
{
	_cleanup_free_ char *mp = str_escape(w->mountpoint);

	return pr_fail(-EFBIG, "cannot dump: the tmpfs at '%s' %s (refused)", mp, why);
}

static int copy_data(struct walk *w, int fd, uint64_t size)
{
	char buf[65536];

	while (size) {
		size_t n = size > sizeof(buf) ? sizeof(buf) : (size_t)size;
		int r = read_full(fd, buf, n);

		if (r < 0)
			return r;
		r = img_write(&w->img, buf, n);
		if (r < 0)
			return r;
		size -= n;
	}
	return 0;
}

static const char *seen_link(struct walk *w, const struct stat *st, const char *path)
{
	for (size_t i = 0; i < w->nr_links; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
			return w->links[i].path;
	w->links = xrealloc(w->links, (w->nr_links + 1) * sizeof(*w->links));
	w->links[w->nr_links].dev = st->st_dev;
	w->links[w->nr_links].ino = st->st_ino;
	w->links[w->nr_links].path = xstrdup(path);
	w->nr_links++;
	return NULL;
}

static int walk_one(struct walk *w, int dirfd, const char *name, const char *path,
		    unsigned int level);

static int walk_dir(struct walk *w, int fd, const char *path, unsigned int level)
{
	DIR *d;
	struct dirent *de;
	int r = 0, dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (dup_fd < 0)
		return -errno;
	d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return -errno;
	}
	while (r >= 0 && (errno = 0, de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = *path ? xasprintf("%s/%s", path, de->d_name) : xstrdup(de->d_name);
		r = walk_one(w, fd, de->d_name, sub, level + 1);
	}
	if (r >= 0 && errno)
		r = -errno;
	closedir(d);
	return r;
}

/* @name in @dirfd ("" with @dirfd the root itself), @path from the root. */
static int walk_one(struct walk *w, int dirfd, const char *name, const char *path,
		    unsigned int level)
{
	MntFileEntry fe = MNT_FILE_ENTRY__INIT;
	struct stat st;
	_cleanup_close_ int fd = -1;
	char target[PATH_MAX_LEN];
	const char *link = NULL;
	int r;

	if (level > MNT_MAX_DEPTH || strlen(path) > 4000)
		return too_much(w, "holds a path too deep or too long");
	if (++*w->files > MNT_MAX_FILES)
		return too_much(w, "holds more than 100000 files");
	r = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH));
	if (r < 0)
		return -errno;
	fe.path = (char *)path;
	fe.mode = st.st_mode;
	fe.uid = st.st_uid;
	fe.gid = st.st_gid;
	fe.mtime_sec = st.st_mtim.tv_sec;
	fe.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	fe.atime_sec = st.st_atim.tv_sec;
	fe.atime_nsec = (uint32_t)st.st_atim.tv_nsec;
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && *path)
		link = seen_link(w, &st, path);
	if (link) {
		fe.link = (char *)link;
		return put_entry(w, &fe);
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		fd = openat(dirfd, *name ? name : ".",
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		r = put_entry(w, &fe);
		return r < 0 ? r : walk_dir(w, fd, path, level);
	case S_IFREG:
		if (!add_ok(*w->bytes, (uint64_t)st.st_size, w->bytes) || *w->bytes > MNT_MAX_BYTES)
			return too_much(w, "holds more than 512 MiB of files");
		/* "": a bind of a file, @dirfd is the file itself. */
		fd = *name ? openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
			   : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		fe.has_size = true;
		fe.size = (uint64_t)st.st_size;
		r = put_entry(w, &fe);
		return r < 0 ? r : copy_data(w, fd, fe.size);
	case S_IFLNK: {
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

		if (n < 0)
			return -errno;
		target[n] = '\0';
		fe.target = target;
		return put_entry(w, &fe);
	}
	case S_IFCHR:
	case S_IFBLK:
		fe.has_rdev = true;
		fe.rdev = st.st_rdev;
		return put_entry(w, &fe);
	case S_IFIFO:
		return put_entry(w, &fe);
	default: /* sockets: bound again by their owner */
		return 0;
	}
}

int mnt_files_dump(int rootfd, int procfd, int dirfd, uint32_t mnt_id, const char *mountpoint,
		   uint64_t *bytes, size_t *files)
{
	struct walk w = { .mountpoint = mountpoint, .bytes = bytes, .files = files };
	_cleanup_free_ char *name = img_name(IMG_MNT_FILES, (int)mnt_id);
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	/* A file mounted: the clone's fd is the file (O_PATH); open it
	 * through @procfd (ckpt's /proc) to read. */
	fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = img_create_file(&w.img, dirfd, name, IMG_MNT_FILES);
	if (r < 0)
		return pr_errno(r, "cannot dump: cannot create '%s'", name);
	if (fd >= 0) {
		r = walk_one(&w, fd, "", "", 0);
	} else if (fstat(rootfd, &st) < 0 || !S_ISREG(st.st_mode)) {
		/* A FIFO or a device is never opened (that would block, or
		 * act): looked at through the O_PATH fd only. */
		r = walk_one(&w, rootfd, "", "", 0);
	} else {
		char proc[64];

		snprintf(proc, sizeof(proc), "self/fd/%d", rootfd);
		fd = openat(procfd, proc, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? -errno : walk_one(&w, fd, "", "", 0);
	}
	if (r >= 0)
		r = img_finish(&w.img);
	img_close(&w.img);
	for (size_t i = 0; i < w.nr_links; i++)
		free(w.links[i].path);
	free(w.links);
	if (r == -EFBIG)
		return r; /* told */
	if (r < 0) {
		_cleanup_free_ char *mp = str_escape(mountpoint);

		return pr_errno(r, "cannot dump: cannot save the files of the tmpfs at '%s'", mp);
	}
	return 0;
}

/* ---- restore ---- */

static int beneath(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* A relative path from the image: components that are names. */
static bool rel_path_ok(const char *p)
{
	if (strlen(p) > 4000)
		return false;
	if (!*p)
		return true;
	for (const char *c = p;;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!c[n])
			return true;
		c += n + 1;
	}
}

struct made {
	char **dirs; /* directories, to get their modes and times last */
	MntFileEntry **dir_entries;
	size_t nr;
};

static int read_entry(struct img *img, MntFileEntry **ret)
{
	uint8_t buf[REC_MAX];
	uint32_t n;
	int r = img_read(img, &n, sizeof(n));

	if (r < 0)
		return r;
	if (n == 0 || n > sizeof(buf))
		return -EBADMSG;
	r = img_read(img, buf, n);
	if (r < 0)
		return r;
	*ret = mnt_file_entry__unpack(NULL, n, buf);
	return *ret ? 0 : -EBADMSG;
}

static int bad(uint32_t mnt_id, const char *what)
{
	return img_inconsistent(IMG_MNT_FILES, (int)mnt_id, "%s", what);
}

/* Check one entry as it comes off the image. */
static int entry_check(uint32_t id, const MntFileEntry *fe, bool first, const struct trust *t)
{
	mode_t type = fe->mode & S_IFMT;

	if (first != !*fe->path)
		return bad(id, "the first entry is not the root, or a later one is");
	if (!rel_path_ok(fe->path))
		return bad(id, "a path is not relative or has '.', '..' or an empty component");
	if (fe->mode & ~(uint32_t)(S_IFMT | 07777))
		return bad(id, "a mode has unknown bits");
	if (fe->link)
		return first || !rel_path_ok(fe->link) || !*fe->link ? bad(id, "a bad hard link")
								     : 0;
	if (type != S_IFDIR && type != S_IFREG && type != S_IFLNK && type != S_IFCHR &&
	    type != S_IFBLK && type != S_IFIFO)
		return bad(id, "a file of an unknown type");
	if ((type == S_IFREG) != fe->has_size || (type == S_IFLNK) != !!fe->target ||
	    (type == S_IFCHR || type == S_IFBLK) != fe->has_rdev)
		return bad(id, "a file's fields do not fit its type");
	if (fe->target && (!*fe->target || strlen(fe->target) >= PATH_MAX_LEN))
		return bad(id, "a symlink target is empty or too long");
	if (fe->mtime_nsec >= 1000000000 || fe->atime_nsec >= 1000000000)
		return bad(id, "a time has more than a second of nanoseconds");
	if (!t->trusted && (type == S_IFCHR || type == S_IFBLK))
		return pr_fail(
			-EPERM,
			"cannot restore: device nodes in a tmpfs are made again only from root's image set");
	return 0;
}

static int make_one(int rootfd, const MntFileEntry *fe, struct img *img, const struct trust *t,
		    struct made *made)
{
	_cleanup_free_ char *parent = xstrdup(fe->path);
	char *slash = strrchr(parent, '/');
	const char *last = slash ? slash + 1 : parent;
	_cleanup_close_ int pfd = -1, fd = -1;
	mode_t type = fe->mode & S_IFMT, perm = fe->mode & 07777;
	struct timespec ts[2] = { { fe->atime_sec, fe->atime_nsec },
				  { fe->mtime_sec, fe->mtime_nsec } };
	uid_t uid = mnt_uid_in(fe->uid);
	gid_t gid = mnt_gid_in(fe->gid);
	int r = 0;

	trust_file_owner(t, &uid, &gid);
	if (!t->trusted)
		perm &= ~(mode_t)(S_ISUID | S_ISGID);
	if (slash)
		*slash = '\0';
	pfd = beneath(rootfd, slash ? parent : "", O_PATH | O_DIRECTORY);
	if (pfd < 0)
		return pfd;
	if (fe->link) {
		_cleanup_close_ int src = beneath(rootfd, fe->link, O_PATH);

		if (src < 0)
			return src;
		return linkat(src, "", pfd, last, AT_EMPTY_PATH) < 0 ? -errno : 0;
	}
	switch (type) {
	case S_IFDIR:
		if (mkdirat(pfd, last, 0700) < 0)
			return -errno;
		made->dirs = xrealloc(made->dirs, (made->nr + 1) * sizeof(*made->dirs));
		made->dirs[made->nr++] = xstrdup(fe->path);
		return fchownat(pfd, last, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	case S_IFREG: {
		char buf[65536];
		uint64_t left = fe->size;

		fd = openat(pfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		while (left && r >= 0) {
			size_t n = left > sizeof(buf) ? sizeof(buf) : (size_t)left;

			r = img_read(img, buf, n);
			if (r >= 0)
				r = write_full(fd, buf, n);
			left -= n;
		}
		if (r < 0)
			return r;
		if (fchown(fd, uid, gid) < 0 || fchmod(fd, perm) < 0 || futimens(fd, ts) < 0)
			return -errno;
		return 0;
	}
	case S_IFLNK:
		if (symlinkat(fe->target, pfd, last) < 0)
			return -errno;
		break;
	default:
		if (mknodat(pfd, last, type | 0600, (dev_t)fe->rdev) < 0)
			return -errno;
		if (fchmodat(pfd, last, perm, 0) < 0)
			return -errno;
		break;
	}
	if (fchownat(pfd, last, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    utimensat(pfd, last, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* The root's own and every directory's mode, owner and times, deepest
 * last made first (a directory's times change as it is filled). */
static int finish_dirs(int rootfd, const MntFileEntry *root, struct made *made,
		       MntFileEntry **entries, const struct trust *t)
{
	for (size_t i = made->nr; i-- > 0;) {
		const MntFileEntry *fe = entries[i];
		_cleanup_close_ int fd = beneath(rootfd, made->dirs[i], O_RDONLY | O_DIRECTORY);
		struct timespec ts[2] = { { fe->atime_sec, fe->atime_nsec },
					  { fe->mtime_sec, fe->mtime_nsec } };
		mode_t perm = fe->mode & 07777;

		if (!t->trusted)
			perm &= ~(mode_t)(S_ISUID | S_ISGID);
		if (fd < 0)
			return fd;
		if (fchmod(fd, perm) < 0 || futimens(fd, ts) < 0)
			return -errno;
	}
	(void)root;
	return 0;
}

/* The root entry: the directory @parentfd itself (@name NULL), or a
 * directory or file @name made in it; *@ret_rootfd the directory the
 * other entries go in, -1 for a file. */
static int make_root(int parentfd, const char *name, const MntFileEntry *fe, struct img *img,
		     const struct trust *t, int *ret_rootfd)
{
	mode_t type = fe->mode & S_IFMT;
	uid_t uid = mnt_uid_in(fe->uid);
	gid_t gid = mnt_gid_in(fe->gid);
	int fd;

	trust_file_owner(t, &uid, &gid);
	/* A file of any kind but a symlink may be bound (nspawn binds a
	 * removed FIFO over /proc/kmsg). */
	if (fe->link || type == S_IFLNK || (type != S_IFDIR && !name))
		return -EBADMSG;
	if (type != S_IFDIR) {
		MntFileEntry copy = *fe;
		struct made none = { 0 };

		copy.path = (char *)name;
		*ret_rootfd = -1;
		return make_one(parentfd, &copy, img, t, &none);
	}
	if (name && mkdirat(parentfd, name, 0700) < 0)
		return -errno;
	fd = beneath(parentfd, name ? name : "", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	*ret_rootfd = fd;
	return fchown(fd, uid, gid) < 0 ? -errno : 0;
}

int mnt_files_restore(int parentfd, const char *name, int dirfd, uint32_t mnt_id,
		      const char *mountpoint, const struct trust *t)
{
	_cleanup_close_ int rootfd = -1;
	_cleanup_free_ char *file = img_name(IMG_MNT_FILES, (int)mnt_id);
	_cleanup_free_ char *mp = str_escape(mountpoint);
	struct img img;
	struct made made = { 0 };
	MntFileEntry **entries = NULL, *root = NULL;
	size_t nr_entries = 0, nr_files = 0;
	uint64_t bytes = 0;
	int r;

	r = mnt_userns_image(mnt_id);
	r = r >= 0 ? img_open_fd(&img, r, IMG_MNT_FILES)
		   : img_open_file(&img, dirfd, file, IMG_MNT_FILES);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot open '%s'", file);
	while (r >= 0 && !img_at_end(&img)) {
		MntFileEntry *fe = NULL;

		r = read_entry(&img, &fe);
		if (r < 0 || (!root && !fe)) {
			r = bad(mnt_id, "a record does not read");
			break;
		}
		r = entry_check(mnt_id, fe, !root, t);
		if (r >= 0 &&
		    (++nr_files > MNT_MAX_FILES ||
		     (fe->has_size && (!add_ok(bytes, fe->size, &bytes) || bytes > MNT_MAX_BYTES))))
			r = bad(mnt_id, "more files or bytes than a dump saves");
		if (r < 0) {
			mnt_file_entry__free_unpacked(fe, NULL);
			break;
		}
		if (!root) {
			root = fe;
			r = make_root(parentfd, name, fe, &img, t, &rootfd);
			if (r == -EBADMSG)
				r = bad(mnt_id, "a root that is a symlink or a hard link");
			else if (r < 0)
				r = pr_errno(
					r,
					"cannot restore: cannot make the root of the tmpfs at '%s'",
					mp);
			continue;
		}
		if (rootfd < 0) {
			r = bad(mnt_id, "entries under a root that is a file");
			break;
		}
		r = make_one(rootfd, fe, &img, t, &made);
		if (r < 0) {
			if (r != -EBADMSG && r != -EPERM) {
				_cleanup_free_ char *path = str_escape(fe->path);

				r = pr_errno(
					r, "cannot restore: cannot make '%s' in the tmpfs at '%s'",
					path, mp);
			}
			mnt_file_entry__free_unpacked(fe, NULL);
			break;
		}
		if ((fe->mode & S_IFMT) == S_IFDIR && !fe->link) {
			entries = xrealloc(entries, (nr_entries + 1) * sizeof(*entries));
			entries[nr_entries++] = fe;
		} else {
			mnt_file_entry__free_unpacked(fe, NULL);
		}
	}
	if (r >= 0 && !root)
		r = bad(mnt_id, "no root entry");
	if (r >= 0)
		r = img_verify(&img);
	if (r >= 0 && rootfd >= 0)
		r = finish_dirs(rootfd, root, &made, entries, t);
	if (r >= 0 && rootfd >= 0) {
		struct timespec ts[2] = { { root->atime_sec, root->atime_nsec },
					  { root->mtime_sec, root->mtime_nsec } };
		mode_t perm = root->mode & 07777;

		if (!t->trusted)
			perm &= ~(mode_t)(S_ISUID | S_ISGID);
		if (fchmod(rootfd, perm) < 0 || futimens(rootfd, ts) < 0)
			r = pr_errno(-errno,
				     "cannot restore: cannot set the root of the tmpfs at '%s'",
				     mp);
	}
	img_close(&img);
	for (size_t i = 0; i < made.nr; i++)
		free(made.dirs[i]);
	free(made.dirs);
	for (size_t i = 0; i < nr_entries; i++)
		mnt_file_entry__free_unpacked(entries[i], NULL);
	free(entries);
	if (root)
		mnt_file_entry__free_unpacked(root, NULL);
	return r;
}
