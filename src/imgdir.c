// SPDX-License-Identifier: GPL-2.0
#include "imgdir.h"
#include "fault.h"

#include "image.h"
#include "incremental.h"
#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int dir_is_empty(int parentfd, const char *name)
{
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	int r = 1;

	if (!d) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			r = 0;
			break;
		}
	closedir(d);
	return r;
}

/*
 * The temporary directory is named after the ckpt that writes it:
 * .DIR.ckpt-PID-START-RANDOM, START the start time of that process. A
 * ckpt killed outright cannot remove it; the next dump into the same
 * parent does, once that ckpt is gone.
 */
static int own_start_time(int pid, uint64_t *ret)
{
	struct proc_stat st;
	int r = proc_read_stat(pid, &st);

	if (r >= 0)
		*ret = st.start_time;
	return r;
}

/* Is @name the temporary directory of a ckpt that is dead? */
static bool tmp_is_stale(const char *name, const char *prefix)
{
	unsigned long long start;
	uint64_t now = 0;
	int pid, len = 0;

	if (strncmp(name, prefix, strlen(prefix)))
		return false;
	if (sscanf(name + strlen(prefix), "%d-%llu-%*[0-9a-f]%n", &pid, &start, &len) != 2 ||
	    name[strlen(prefix) + len] || pid <= 0)
		return false;
	if (own_start_time(pid, &now) == -ENOENT)
		return true;
	return now != start;
}

/* Also the stream's stages (stream-stage.c): see imgdir.h. */
void imgdir_remove_ours(int parentfd, const char *name, int depth, ino_t ino)
{
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	struct stat st;
	DIR *dir;

	if (fd < 0)
		return;
	/* @ino (when not 0): the very directory made, not a later one that
	 * took its name once it was gone. */
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0777) != 0700 ||
	    (ino && st.st_ino != ino)) {
		close(fd);
		return;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_DIR && depth > 0)
			imgdir_remove_ours(fd, de->d_name, depth - 1, 0);
		else
			(void)unlinkat(fd, de->d_name, 0);
	}
	closedir(dir);
	(void)unlinkat(parentfd, name, AT_REMOVEDIR);
}

/* What killed dumps of DIR left behind. Best effort: a name that cannot
 * be read or removed stays. */
static void remove_stale(struct imgdir *d)
{
	_cleanup_free_ char *prefix = xasprintf(".%s.ckpt-", d->final_name);
	int fd = dup(d->parentfd);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dir)))
		if (de->d_type == DT_DIR && tmp_is_stale(de->d_name, prefix)) {
			pr_debug("removing '%s', left by a dump that was killed", de->d_name);
			imgdir_remove_ours(d->parentfd, de->d_name, 0, 0);
		}
	closedir(dir);
}

/* A new directory of ours, 0700, under a new name in @parentfd. */
static int make_tmp(struct imgdir *d)
{
	char id[IMAGE_ID_LEN + 1];
	uint64_t start = 0;

	(void)own_start_time(getpid(), &start);
	for (int tries = 0; tries < 16; tries++) {
		image_id_new(id);
		free(d->tmp_name);
		d->tmp_name = xasprintf(".%s.ckpt-%d-%llu-%.8s", d->final_name, getpid(),
					(unsigned long long)start, id);
		if (mkdirat(d->parentfd, d->tmp_name, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	free(d->tmp_name);
	d->tmp_name = NULL;
	return -errno;
}

int imgdir_create_as(struct imgdir *d, const char *path, const char *verb)
{
	_cleanup_free_ char *copy1 = xstrdup(path), *copy2 = xstrdup(path);
	const char *parent = dirname(copy1), *base = basename(copy2);
	struct stat st;
	int r;

	memset(d, 0, sizeof(*d));
	d->dirfd = d->parentfd = -1;
	if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, ".."))
		return pr_fail(-EINVAL, "cannot %s: '%s' cannot be an images directory", verb,
			       path);
	/* Every step from here goes through this fd: what a path names
	 * cannot change under the dump. */
	d->parentfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->parentfd < 0)
		return pr_errno(-errno, "cannot %s: '%s'", verb, parent);
	d->final_name = xstrdup(base);
	if (fstatat(d->parentfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			imgdir_abort(d);
			return pr_fail(
				-ENOTDIR,
				"cannot %s: '%s' exists and is not a directory (symlinks are refused)",
				verb, path);
		}
		r = dir_is_empty(d->parentfd, base);
		if (r < 0) {
			imgdir_abort(d);
			return pr_errno(r, "cannot %s: cannot read '%s'", verb, path);
		}
		if (r == 0) {
			imgdir_abort(d);
			return pr_fail(-ENOTEMPTY, "cannot %s: images directory '%s' is not empty",
				       verb, path);
		}
	} else if (errno != ENOENT) {
		r = -errno;
		imgdir_abort(d);
		return pr_errno(r, "cannot %s: '%s'", verb, path);
	}
	d->final = xstrdup(path);
	remove_stale(d);
	r = make_tmp(d);
	if (r < 0) {
		imgdir_abort(d);
		return pr_errno(r, "cannot %s: cannot create a directory in '%s'", verb, parent);
	}
	d->tmp = xasprintf("%s/%s", parent, d->tmp_name);
	d->dirfd =
		openat(d->parentfd, d->tmp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->dirfd < 0 || fstat(d->dirfd, &st) < 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 0777) != 0700) {
		r = d->dirfd < 0 ? -errno : -EPERM;
		_cleanup_free_ char *shown = xstrdup(d->tmp);

		imgdir_abort(d);
		return pr_errno(r, "cannot open '%s'", shown);
	}
	return 0;
}

int imgdir_create(struct imgdir *d, const char *path)
{
	return imgdir_create_as(d, path, "dump");
}

/* Each image is synced as it is listed. */
static int list_files(struct imgdir *d, InventoryEntry *inv)
{
	DIR *dir = fdopendir(dup(d->dirfd));
	struct dirent *de;

	if (!dir)
		return -errno;
	rewinddir(dir);
	while ((de = readdir(dir))) {
		unsigned char h[8];
		ImageFileEntry *f;
		struct stat st;
		int fd;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "inventory.img"))
			continue;
		fd = openat(d->dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || read_full(fd, h, sizeof(h)) < 0 ||
		    fsync(fd) < 0) {
			if (fd >= 0)
				close(fd);
			closedir(dir);
			return -EIO;
		}
		close(fd);
		f = xmalloc(sizeof(*f));
		image_file_entry__init(f);
		f->name = xstrdup(de->d_name);
		f->magic = h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24;
		f->size = st.st_size;
		inv->files = xrealloc(inv->files, (inv->n_files + 1) * sizeof(*inv->files));
		inv->files[inv->n_files++] = f;
	}
	closedir(dir);
	return 0;
}

/* Durable: every image, the inventory and the directory synced. */
int imgdir_seal(struct imgdir *d, InventoryEntry *inv)
{
	_cleanup_close_ int fd = -1;
	int r;

	r = FAULT_OR(dump_list_images, -EIO, list_files(d, inv));
	if (r < 0)
		return pr_errno(r, "cannot list the images in '%s'", d->tmp);
	r = FAULT_OR(dump_write_inventory, -ENOSPC,
		     img_write_msg(d->dirfd, IMG_INVENTORY, 0, &inv->base));
	if (r < 0)
		return pr_errno(r, "cannot write the inventory");
	/* The images hold the only copy of the process once it is killed. */
	fd = openat(d->dirfd, "inventory.img", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	r = FAULT_OR(dump_sync, -EIO, fd < 0 || fsync(fd) < 0 || fsync(d->dirfd) < 0 ? -errno : 0);
	if (r < 0)
		return pr_errno(r, "cannot sync the images in '%s'", d->tmp);
	return 0;
}

/* Under its final name, and that name durable too. */
int imgdir_publish(struct imgdir *d)
{
	int r = FAULT_OR(dump_rename, -EXDEV,
			 renameat(d->parentfd, d->tmp_name, d->parentfd, d->final_name) < 0 ? -errno
											    : 0);

	if (r < 0)
		return pr_errno(r, "cannot move the images to '%s'", d->final);
	free(d->tmp_name);
	d->tmp_name = NULL;
	/* Renamed: a failure from here leaves a complete set, which restores. */
	if (fsync(d->parentfd) < 0)
		pr_debug("cannot sync the directory of '%s': %s", d->final, strerror(errno));
	imgdir_abort(d); /* nothing left to remove: closes and frees */
	return 0;
}

int imgdir_commit(struct imgdir *d, InventoryEntry *inv)
{
	int r = imgdir_seal(d, inv);

	return r < 0 ? r : imgdir_publish(d);
}

void imgdir_abort(struct imgdir *d)
{
	if (d->tmp_name && d->dirfd >= 0) {
		int fd = dup(d->dirfd);
		DIR *dir = fd < 0 ? NULL : fdopendir(fd);
		struct dirent *de;

		if (!dir && fd >= 0)
			close(fd);
		/* The fd shares its position with dirfd, which list_files()
		 * may have read to the end. */
		if (dir)
			rewinddir(dir);
		/* unlinkat() removes a symlink, not what it points at; only
		 * names in the directory ckpt made are removed. */
		while (dir && (de = readdir(dir)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				(void)unlinkat(d->dirfd, de->d_name, 0);
		if (dir)
			closedir(dir);
		(void)unlinkat(d->parentfd, d->tmp_name, AT_REMOVEDIR);
	}
	if (d->dirfd >= 0)
		close(d->dirfd);
	if (d->parentfd >= 0)
		close(d->parentfd);
	free(d->tmp_name);
	free(d->final_name);
	free(d->tmp);
	free(d->final);
	memset(d, 0, sizeof(*d));
	d->dirfd = d->parentfd = -1;
}

const char *img_strerror(int r)
{
	switch (r) {
	case -EBADMSG:
		return "image is corrupted (bad header or checksum)";
	case -EIO:
		return "image is truncated";
	case -EPROTONOSUPPORT:
		return "image format version not supported";
	case -ENOENT:
		return "image is missing";
	case -ELOOP:
		return "image is a symbolic link (refused)";
	default:
		return strerror(-r);
	}
}

static bool pages_elsewhere;

void imgdir_pages_elsewhere(bool on)
{
	pages_elsewhere = on;
}

/* A page image that may be missing: its pages are the page server's. */
static bool pages_may_miss(const char *name)
{
	int pid, n = 0;

	return pages_elsewhere && sscanf(name, "pages-%d.img%n", &pid, &n) == 1 &&
	       n == (int)strlen(name);
}

int imgdir_open(const char *path, int *ret_dirfd, InventoryEntry **ret_inv)
{
	InventoryEntry *inv;
	int dirfd, r;

	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0 && errno == ELOOP)
		return pr_fail(-ELOOP,
			       "cannot open images directory '%s': it is a symlink (refused)",
			       path);
	if (dirfd < 0)
		return pr_errno(-errno, "cannot open images directory '%s'", path);
	r = img_read_msg(dirfd, IMG_INVENTORY, 0, &inventory_entry__descriptor,
			 (ProtobufCMessage **)&inv);
	if (r < 0) {
		close(dirfd);
		pr_err("cannot read '%s/inventory.img': %s", path, img_strerror(r));
		return r;
	}
	for (size_t i = 0; i < inv->n_files; i++) {
		const ImageFileEntry *f = inv->files[i];
		struct stat st;

		/* Names of files in this very directory, nothing else. */
		if (str_fits(f->name, NAME_MAX) && pages_may_miss(f->name) &&
		    fstatat(dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			continue;
		if (!str_fits(f->name, NAME_MAX) || f->name[0] == '.' || strchr(f->name, '/') ||
		    fstatat(dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			pr_err("cannot read '%s/%s': %s", path, f->name, img_strerror(-ENOENT));
			r = -ENOENT;
		} else if (!S_ISREG(st.st_mode)) {
			pr_err("cannot read '%s/%s': %s", path, f->name,
			       img_strerror(S_ISLNK(st.st_mode) ? -ELOOP : -EBADMSG));
			r = -EBADMSG;
		} else if ((uint64_t)st.st_size != f->size) {
			pr_err("cannot read '%s/%s': %s", path, f->name,
			       img_strerror((uint64_t)st.st_size < f->size ? -EIO : -EBADMSG));
			r = -EBADMSG;
		}
		if (r < 0)
			break;
	}
	if (r < 0) {
		protobuf_c_message_free_unpacked(&inv->base, NULL);
		close(dirfd);
		return r;
	}
	*ret_dirfd = dirfd;
	*ret_inv = inv;
	return 0;
}

int img_inconsistent(enum img_kind kind, int pid, const char *fmt, ...)
{
	_cleanup_free_ char *name = img_name(kind, pid);
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (%s: %s)", name, what);
}

/* Linux's TASK_SIZE_MAX on x86-64, 4- and 5-level paging. */
#define TASK_SIZE_47 0x00007ffffffff000ULL
#define TASK_SIZE_56 0x00fffffffffff000ULL

uint64_t user_addr_limit(void)
{
	static uint64_t limit;
	_cleanup_free_ char *info = NULL;

	if (limit)
		return limit;
	limit = TASK_SIZE_47;
	if (read_file("/proc/cpuinfo", &info, NULL) >= 0 && strstr(info, " la57"))
		limit = TASK_SIZE_56;
	return limit;
}

unsigned int fd_number_limit(void)
{
	static unsigned int limit;
	_cleanup_free_ char *text = NULL;

	if (limit)
		return limit;
	limit = 1024 * 1024; /* the kernel's default */
	if (read_file("/proc/sys/fs/nr_open", &text, NULL) >= 0) {
		unsigned long v = strtoul(text, NULL, 10);

		if (v >= 64 && v <= (1UL << 30))
			limit = (unsigned int)v;
	}
	return limit;
}

bool str_fits(const char *s, size_t max)
{
	return s && strnlen(s, max + 1) <= max;
}
