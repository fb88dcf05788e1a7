// SPDX-License-Identifier: GPL-2.0
#include "imgdir.h"

#include "image.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int r = 1;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			r = 0;
			break;
		}
	closedir(d);
	return r;
}

int imgdir_create(struct imgdir *d, const char *path)
{
	_cleanup_free_ char *copy1 = xstrdup(path), *copy2 = xstrdup(path);
	const char *parent = dirname(copy1), *base = basename(copy2);
	struct stat st;
	int r;

	memset(d, 0, sizeof(*d));
	d->dirfd = -1;
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return pr_fail(-ENOTDIR, "cannot dump: '%s' exists and is not a directory",
				       path);
		r = dir_is_empty(path);
		if (r < 0)
			return pr_errno(r, "cannot dump: cannot read '%s'", path);
		if (r == 0)
			return pr_fail(-ENOTEMPTY,
				       "cannot dump: images directory '%s' is not empty", path);
	} else if (errno != ENOENT) {
		return pr_errno(-errno, "cannot dump: '%s'", path);
	}
	if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, ".."))
		return pr_fail(-EINVAL, "cannot dump: '%s' cannot be an images directory", path);
	d->final = xstrdup(path);
	d->tmp = xasprintf("%s/.%s.ckpt-XXXXXX", parent, base);
	if (!mkdtemp(d->tmp)) {
		r = -errno;
		free(d->tmp);
		d->tmp = NULL;
		return pr_errno(r, "cannot dump: cannot create a directory in '%s'", parent);
	}
	d->dirfd = open(d->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dirfd < 0) {
		r = -errno;
		imgdir_abort(d);
		return pr_errno(r, "cannot open '%s'", d->tmp);
	}
	return 0;
}

static int list_files(struct imgdir *d, InventoryEntry *inv)
{
	DIR *dir = fdopendir(dup(d->dirfd));
	struct dirent *de;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		unsigned char h[8];
		ImageFileEntry *f;
		struct stat st;
		int fd;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "inventory.img"))
			continue;
		fd = openat(d->dirfd, de->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || read_full(fd, h, sizeof(h)) < 0) {
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

int imgdir_commit(struct imgdir *d, InventoryEntry *inv)
{
	int r;

	r = list_files(d, inv);
	if (r < 0)
		return pr_errno(r, "cannot list the images in '%s'", d->tmp);
	r = img_write_msg(d->dirfd, IMG_INVENTORY, 0, &inv->base);
	if (r < 0)
		return pr_errno(r, "cannot write the inventory");
	/* The images hold the only copy of the process once it is killed. */
	if (syncfs(d->dirfd) < 0)
		return pr_errno(-errno, "cannot sync the images in '%s'", d->tmp);
	if (rename(d->tmp, d->final) < 0)
		return pr_errno(-errno, "cannot move the images to '%s'", d->final);
	free(d->tmp);
	d->tmp = NULL;
	close(d->dirfd);
	d->dirfd = -1;
	return 0;
}

void imgdir_abort(struct imgdir *d)
{
	if (d->tmp) {
		DIR *dir = opendir(d->tmp);
		struct dirent *de;

		while (dir && (de = readdir(dir)))
			if (de->d_name[0] != '.' ||
			    (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
				(void)unlinkat(dirfd(dir), de->d_name, 0);
		if (dir)
			closedir(dir);
		(void)rmdir(d->tmp);
		free(d->tmp);
		d->tmp = NULL;
	}
	if (d->dirfd >= 0)
		close(d->dirfd);
	d->dirfd = -1;
	free(d->final);
	d->final = NULL;
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
	default:
		return strerror(-r);
	}
}

int imgdir_open(const char *path, int *ret_dirfd, InventoryEntry **ret_inv)
{
	InventoryEntry *inv;
	int dirfd, r;

	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
		if (!str_fits(f->name, NAME_MAX) || f->name[0] == '.' || strchr(f->name, '/') ||
		    fstatat(dirfd, f->name, &st, 0) < 0) {
			pr_err("cannot read '%s/%s': %s", path, f->name, img_strerror(-ENOENT));
			r = -ENOENT;
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
