// SPDX-License-Identifier: GPL-2.0
/*
 * Shmem-backed memory objects: shared anonymous memory (MAP_SHARED|
 * MAP_ANONYMOUS, a shared mapping of /dev/zero) and memfds. The kernel
 * backs each with an unlinked tmpfs file; processes forked after it was
 * made map the same file and see each other's writes, and a memfd may be
 * mapped, held open, or both. /proc/PID/map_files and /proc/PID/fd open
 * that very file, so:
 *
 * Dump: each object is told apart by its inode, and saved once, whatever
 * the number of processes mapping it or holding it open: its pages are read
 * from the file itself (filedata.c: even those no process has mapped).
 *
 * Restore: ckpt makes a new object of the same size the same way (a shared
 * anonymous mapping opened through map_files, or memfd_create with the same
 * name and seals), fills it, and keeps it open at a fixed fd that every
 * restored process inherits: each maps it where it had it, and memfd fds
 * are new opens of it. Shared anonymous mappings then show
 * "/dev/zero (deleted)" and memfd ones "/memfd:NAME (deleted)", as before.
 *
 * A deleted file that a process maps (python's multiprocessing makes its
 * locks with sem_open() and unlinks them at once: every worker inherits a
 * MAP_SHARED mapping of "/dev/shm/sem.mp-XXX (deleted)") is an object of
 * the same sort, with the path it had, its mode and owner: the restore
 * makes it again under that path (or unnamed beside it when the name is
 * taken), unlinks it at once, and fills it. An unlinked file keeps the
 * name of its dentry, so /proc shows the same "PATH (deleted)". Fds open
 * on it are opened from the object (files-reg.c).
 */
#include "mm.h"

#include "imgdir.h"
#include "filedata.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

void shmem_table_init(struct shmem_table *st)
{
	memset(st, 0, sizeof(*st));
	shmem_entry__init(&st->img);
}

void shmem_table_release(struct shmem_table *st)
{
	for (size_t k = 0; k < st->img.n_objects; k++)
		free(st->seen[k].path);
	free(st->seen);
	st->seen = NULL;
}

/* The name of a memfd from how /proc shows it: "/memfd:NAME (deleted)". */
static char *memfd_name(const char *path)
{
	if (!path || strncmp(path, MEMFD_PREFIX, strlen(MEMFD_PREFIX)) ||
	    !str_ends(path, " (deleted)"))
		return NULL;
	path += strlen(MEMFD_PREFIX);
	return strndup(path, strlen(path) - strlen(" (deleted)"));
}

int shmem_find(const struct shmem_table *st, dev_t dev, ino_t ino)
{
	for (size_t k = 0; k < st->img.n_objects; k++)
		if (st->seen[k].dev == dev && st->seen[k].ino == ino)
			return (int)k;
	return -1;
}

static int add(struct shmem_table *st, const char *open_path, const char *shown_path, bool deleted,
	       uint32_t *ret_id)
{
	ShmemObjectEntry *o;
	struct stat sb;
	size_t k;
	int found;

	if (stat(open_path, &sb) < 0)
		return -errno;
	found = shmem_find(st, sb.st_dev, sb.st_ino);
	if (found >= 0) {
		*ret_id = (uint32_t)found;
		return 0;
	}
	/* Another name still leads to it: a copy would part from it. */
	if (deleted && sb.st_nlink > 0)
		return -ENOTUNIQ;
	k = st->img.n_objects;
	o = xmalloc(sizeof(*o));
	shmem_object_entry__init(o);
	o->id = (uint32_t)k;
	o->data = xmalloc(sizeof(*o->data));
	file_data_entry__init(o->data);
	o->data->size = (uint64_t)sb.st_size;
	if (deleted) {
		o->deleted_path = strndup(shown_path, strlen(shown_path) - strlen(" (deleted)"));
		o->has_mode = o->has_uid = o->has_gid = true;
		o->mode = sb.st_mode & 07777;
		o->uid = sb.st_uid;
		o->gid = sb.st_gid;
	} else {
		o->memfd_name = memfd_name(shown_path);
	}
	st->img.objects = xrealloc(st->img.objects, (k + 1) * sizeof(*o));
	st->img.objects[k] = o;
	st->seen = xrealloc(st->seen, (k + 1) * sizeof(*st->seen));
	st->seen[k] = (struct shmem_seen){ sb.st_dev, sb.st_ino, xstrdup(open_path) };
	st->img.n_objects++;
	*ret_id = (uint32_t)k;
	return 0;
}

int shmem_add(struct shmem_table *st, const char *open_path, const char *shown_path,
	      uint32_t *ret_id)
{
	return add(st, open_path, shown_path, false, ret_id);
}

int shmem_add_deleted(struct shmem_table *st, const char *open_path, const char *shown_path,
		      uint32_t *ret_id)
{
	if (!str_ends(shown_path, " (deleted)"))
		return -EINVAL;
	return add(st, open_path, shown_path, true, ret_id);
}

int shmem_dump_vmas(struct shmem_table *st, int pid, MmEntry *mm)
{
	for (size_t i = 0; i < mm->n_vmas; i++) {
		VmaEntry *v = mm->vmas[i];
		char path[128];
		int r;

		bool deleted = vma_is_deleted_file(v);

		if (v->kind != VMA_KIND__VMA_ANON_SHARED && !vma_is_memfd(v) && !deleted)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid,
			 v->start, v->end);
		r = deleted ? shmem_add_deleted(st, path, v->path, &v->shmid)
			    : shmem_add(st, path, v->path, &v->shmid);
		if (r == -ENOTUNIQ)
			return pr_fail(
				r,
				"cannot dump %d: mapping %" PRIx64 "-%" PRIx64
				" of '%s' is of a file removed from that path that has another name (not supported)",
				pid, v->start, v->end, v->path);
		if (r < 0)
			return pr_errno(r, "cannot dump %d: shared memory at %" PRIx64, pid,
					v->start);
		v->has_shmid = true;
	}
	return 0;
}

static int shmem_dump_object(const struct shmem_table *st, size_t k, int dirfd)
{
	ShmemObjectEntry *o = st->img.objects[k];
	_cleanup_close_ int fd = open(st->seen[k].path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return pr_errno(-errno, "cannot dump: cannot open shared memory '%s'",
				st->seen[k].path);
	if (o->memfd_name) {
		int seals = fcntl(fd, F_GET_SEALS);

		if (seals < 0)
			return pr_errno(-errno, "cannot dump: cannot read the seals of memfd '%s'",
					o->memfd_name);
		o->has_seals = true;
		o->seals = (uint32_t)seals;
	}
	r = filedata_dump(fd, o->data->size, o->data, dirfd, IMG_SHMEM_PAGES, (int)k);
	return r < 0 ? pr_errno(r, "cannot dump: cannot save shared memory '%s'", st->seen[k].path)
		     : 0;
}

int shmem_dump(const struct shmem_table *st, int dirfd)
{
	int r;

	for (size_t k = 0; k < st->img.n_objects; k++) {
		r = shmem_dump_object(st, k, dirfd);
		if (r < 0)
			return r;
	}
	r = img_write_msg(dirfd, IMG_SHMEM, 0, &st->img.base);
	return r < 0 ? pr_errno(r, "cannot write the shared memory table") : 0;
}

/* ---- restore ---- */

int shmem_check(const ShmemEntry *se, const MmEntry *const *mms, size_t nr_mms)
{
	for (size_t k = 0; k < se->n_objects; k++) {
		const ShmemObjectEntry *o = se->objects[k];

		/* memfd names: MFD_NAME_MAX_LEN; seals: F_SEAL_SEAL..F_SEAL_FUTURE_WRITE */
		if (o->id != k || filedata_check(o->data) < 0 ||
		    (o->memfd_name && !str_fits(o->memfd_name, 249)) || (o->seals & ~0x1fu))
			return -EBADMSG;
		if (o->deleted_path) {
			const char *slash = strrchr(o->deleted_path, '/');
			int r;

			if (o->memfd_name || o->has_seals || !o->has_mode || !o->has_uid ||
			    !o->has_gid || (o->mode & ~07777u) || !slash || !slash[1])
				return -EBADMSG;
			r = trust_check_path("deleted file", o->deleted_path);
			if (r < 0)
				return r;
		} else if (o->has_mode || o->has_uid || o->has_gid) {
			return -EBADMSG;
		}
	}
	for (size_t p = 0; p < nr_mms; p++)
		for (size_t i = 0; i < mms[p]->n_vmas; i++) {
			const VmaEntry *v = mms[p]->vmas[i];

			if ((v->kind == VMA_KIND__VMA_ANON_SHARED || v->has_shmid) &&
			    (!v->has_shmid || v->shmid >= se->n_objects))
				return -EBADMSG;
		}
	return 0;
}

/*
 * The deleted file @o again: made under its old path with the owner's
 * access for a set root does not trust (trust_enter), never through a
 * symlink, and unlinked at once; unnamed (O_TMPFILE) in its directory when
 * the name is taken, or in /tmp when its directory is gone.
 */
static int deleted_create(const ShmemObjectEntry *o, const struct trust *t)
{
	_cleanup_free_ char *dir = xstrdup(o->deleted_path);
	char *slash = strrchr(dir, '/');
	const char *name = o->deleted_path + (slash - dir) + 1;
	_cleanup_close_ int dirfd = -1;
	struct trust_saved saved;
	int fd, r;

	*slash = 0;
	dirfd = trust_open(t, slash == dir ? "/" : dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (dirfd == -ENOENT) {
		name = NULL;
		dirfd = trust_open(t, "/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	}
	if (dirfd < 0)
		return dirfd;
	r = trust_enter(t, &saved);
	if (r < 0)
		return r;
	fd = name ? openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
		  : -1;
	if (fd >= 0 && unlinkat(dirfd, name, 0) < 0) {
		r = -errno;
		close(fd);
		fd = -1;
	} else if (fd < 0 && (!name || errno == EEXIST)) {
		fd = openat(dirfd, ".", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
		r = fd < 0 ? -errno : 0;
	} else if (fd < 0) {
		r = -errno;
	}
	trust_leave(&saved);
	return fd < 0 ? r : fd;
}

/* Its owner (within what the set may give) and mode, never setuid or
 * setgid: whoever may write the file may run it as its owner else. */
static int deleted_finish(const ShmemObjectEntry *o, const struct trust *t, int fd)
{
	uid_t uid = (uid_t)o->uid;
	gid_t gid = (gid_t)o->gid;

	trust_file_owner(t, &uid, &gid);
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, o->mode & (0777 | S_ISVTX)) < 0)
		return -errno;
	return 0;
}

/* A new object like @o, as a file. */
static int shmem_create(const ShmemObjectEntry *o, const struct trust *t)
{
	uint64_t size = o->data->size;
	char path[128];
	void *p;
	int fd;

	if (o->memfd_name) {
		fd = memfd_create(o->memfd_name, MFD_ALLOW_SEALING);
		return fd < 0 ? -errno : fd;
	}
	if (o->deleted_path)
		return deleted_create(o, t);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)p,
		 (unsigned long)p + size);
	fd = open(path, O_RDWR);
	if (fd < 0)
		fd = -errno;
	munmap(p, size);
	return fd;
}

static int shmem_restore_object(const ShmemObjectEntry *o, const struct trust *t, int dirfd,
				int slot)
{
	_cleanup_free_ char *name = img_name(IMG_SHMEM_PAGES, (int)o->id);
	int fd, r;

	fd = shmem_create(o, t);
	if (fd < 0 && o->deleted_path)
		return pr_errno(fd, "cannot restore: cannot create the deleted file '%s'",
				o->deleted_path);
	if (fd < 0)
		return pr_errno(fd, "cannot restore: cannot create shared memory of %llu bytes",
				(unsigned long long)o->data->size);
	if (fd != slot) {
		r = dup3(fd, slot, 0) < 0 ? -errno : 0;
		close(fd);
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot place shared memory");
	}
	r = filedata_restore(slot, o->data, dirfd, IMG_SHMEM_PAGES, (int)o->id);
	if (r < 0)
		return pr_fail(r, "cannot restore: image '%s': %s", name, img_strerror(r));
	if (o->deleted_path) {
		r = deleted_finish(o, t, slot);
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot give '%s' its owner and mode",
					o->deleted_path);
	}
	/* Sealed last: F_SEAL_WRITE and the like would stop the filling. */
	if (o->memfd_name && o->seals && fcntl(slot, F_ADD_SEALS, o->seals) < 0)
		return pr_errno(-errno, "cannot restore: cannot seal memfd '%s'", o->memfd_name);
	return 0;
}

int shmem_open_all(const ShmemEntry *se, const struct trust *t, int dirfd, int base)
{
	for (size_t k = 0; k < se->n_objects; k++) {
		int r = shmem_restore_object(se->objects[k], t, dirfd, base + (int)k);

		if (r < 0)
			return r;
	}
	return 0;
}
