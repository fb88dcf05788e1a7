// SPDX-License-Identifier: GPL-2.0
/*
 * Files reopened by path: regular files, directories, character devices
 * with no state to lose (/dev/null, /dev/zero, ...), and terminals whose
 * other side is not in the tree, which are reopened on the caller's
 * terminal (what `criu --shell-job` does).
 */
#include "files.h"

#include "filedata.h"
#include "gone.h"
#include "imgdir.h"
#include "machine.h"
#include "mm.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

/* Character devices that reopen by path with no state to lose. */
static bool chr_is_plain(dev_t rdev)
{
	/* mem major 1: null 3, zero 5, full 7, random 8, urandom 9 */
	unsigned int mi = minor(rdev);

	return major(rdev) == 1 && (mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9);
}

static bool chr_is_tty(dev_t rdev)
{
	unsigned int ma = major(rdev), mi = minor(rdev);

	return (ma >= 136 && ma <= 143) || (ma == 4 && mi < 64) || (ma == 5 && mi <= 1);
}

static bool is_live_path(const char *link)
{
	return link[0] == '/' && !str_ends(link, " (deleted)");
}

/* A directory or device node removed from its path (gone.c). */
static bool is_gone_path(const char *link)
{
	return link[0] == '/' && str_ends(link, " (deleted)");
}

static bool reg_claims(const char *link, const struct stat *st)
{
	return is_live_path(link) && S_ISREG(st->st_mode);
}

static bool dir_claims(const char *link, const struct stat *st)
{
	return (is_live_path(link) || is_gone_path(link)) && S_ISDIR(st->st_mode);
}

static bool chr_claims(const char *link, const struct stat *st)
{
	return (is_live_path(link) || is_gone_path(link)) && S_ISCHR(st->st_mode) &&
	       chr_is_plain(st->st_rdev);
}

static bool tty_caller_claims(const char *link, const struct stat *st)
{
	return is_live_path(link) && S_ISCHR(st->st_mode) && chr_is_tty(st->st_rdev);
}

/* What is needed to tell, at restore, whether the file is still the same. */
static int path_dump(const struct fd_dump *d, FileEntry *e)
{
	const struct stat *st = d->st;

	e->has_mode = e->has_size = e->has_rdev = e->has_dev = e->has_ino = true;
	e->mode = st->st_mode;
	e->size = st->st_size;
	e->rdev = st->st_rdev;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	file_id_dump_fd(e, st);
	return 0;
}

static const char *what_of(const FileEntry *e)
{
	switch (e->kind) {
	case FD_KIND__FD_DIR:
		return "directory";
	case FD_KIND__FD_CHR:
		return "device";
	default:
		return "file";
	}
}

/* What @e was at the dump, to compare with what its path opens now. */
static struct trust_file file_of(const FileEntry *e)
{
	return (struct trust_file){
		.path = e->path,
		.what = what_of(e),
		.mode = e->has_mode ? e->mode : 0,
		.has_ino = e->has_dev && e->has_ino,
		.dev = e->dev,
		.ino = e->ino,
	};
}

/* The open flags of @e that reopen it: its access mode and status flags. */
static int reopen_flags(const FileEntry *e)
{
	return (int)e->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC);
}

/* The file is opened here as it will be (with the owner's access, for a
 * set that is not trusted): a refusal comes before anything is created. */
static int path_check(const FileEntry *e, const struct files_open *fo)
{
	struct trust_file tf = file_of(e);
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	r = trust_check_path(tf.what, e->path);
	if (r < 0)
		return r;
	if (!e->has_mode)
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (file '%s')",
			       e->path);
	/* A dump reading its images back: opening a file the tree holds a
	 * lease on would break the lease (even non-blocking): the path only. */
	fd = trust_open_verify(fo->trust, &tf,
			       fo->tree_alive && e->has_lease
				       ? O_PATH | O_CLOEXEC
				       : (reopen_flags(e) & O_ACCMODE) | O_NONBLOCK | O_NOCTTY |
						 O_CLOEXEC,
			       0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return pr_errno(-errno, "cannot restore: '%s'", e->path);
	if (e->kind == FD_KIND__FD_REG && (uint64_t)st.st_size < e->size)
		return pr_fail(-ESTALE,
			       "cannot restore: '%s' shrank since the dump (%llu bytes, was %llu)",
			       e->path, (unsigned long long)st.st_size,
			       (unsigned long long)e->size);
	return file_id_check_fd(e, &st, fo->trust->same_boot);
}

static int tty_caller_check(const FileEntry *e, const struct files_open *fo)
{
	int r = trust_check_path("terminal", e->path);

	if (r < 0)
		return r;
	if (fo->tty_fd < 0)
		return pr_fail(
			-ENOTTY,
			"cannot restore: '%s' was a terminal and this restore has no terminal on stdin, stdout or stderr",
			e->path);
	return 0;
}

static int path_open(struct files_open *fo, const FileEntry *e)
{
	struct trust_file tf = file_of(e);
	int fd = trust_open_verify(fo->trust, &tf, reopen_flags(e), 0);

	if (fd < 0)
		return fd;
	if (e->kind != FD_KIND__FD_CHR && !(e->flags & O_PATH) &&
	    lseek(fd, (off_t)e->offset, SEEK_SET) < 0) {
		int r = pr_errno(-errno, "cannot restore: cannot seek '%s'", e->path);

		close(fd);
		return r;
	}
	return fd;
}

/* A new open file description on the caller's terminal, with the dumped
 * flags (O_NONBLOCK of one must not leak to the other). */
static int tty_caller_open(struct files_open *fo, const FileEntry *e)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fo->tty_fd);
	fd = open(path, ((int)e->flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOCTTY);
	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot open the terminal for '%s'",
				e->path);
	return fd;
}

/*
 * ---- directories and device nodes removed from their path ----
 *
 * Made again where they were and removed at once (gone.c), once per
 * inode: every description of it is opened from that one. A device node
 * only from root's image set, and only one of the devices anyone may
 * open (chr_is_plain): mknod needs CAP_MKNOD, which ckpt must not lend.
 */

struct gone_node {
	uint64_t dev, ino;
	int fd;
};

struct gone_nodes {
	size_t n;
	struct gone_node *v;
};

static int gone_check(const FileEntry *e, const struct files_open *fo)
{
	mode_t type = e->kind == FD_KIND__FD_DIR ? S_IFDIR : S_IFCHR;
	_cleanup_free_ char *path = gone_path(e->path);

	if (!path || !e->has_mode || (e->mode & S_IFMT) != type || !e->has_dev || !e->has_ino ||
	    (type == S_IFCHR && (!e->has_rdev || !chr_is_plain((dev_t)e->rdev))))
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (removed %s)",
			       what_of(e));
	if (type == S_IFCHR && !fo->trust->trusted) {
		_cleanup_free_ char *shown = str_escape(path);

		return pr_fail(
			-EPERM,
			"cannot restore: the removed device node '%s' can be made again only from root's image set",
			shown);
	}
	return trust_check_path(what_of(e), path);
}

static int gone_prepare(struct files_open *fo, uint32_t kind)
{
	fo->state[kind] = xzalloc(sizeof(struct gone_nodes));
	return 0;
}

static void gone_finish(struct files_open *fo, uint32_t kind)
{
	struct gone_nodes *gn = fo->state[kind];

	for (size_t i = 0; gn && i < gn->n; i++)
		close(gn->v[i].fd);
	if (gn)
		free(gn->v);
	free(gn);
	fo->state[kind] = NULL;
}

static int dir_prepare(struct files_open *fo)
{
	return gone_prepare(fo, FD_KIND__FD_DIR);
}

static void dir_finish(struct files_open *fo)
{
	gone_finish(fo, FD_KIND__FD_DIR);
}

static int chr_prepare(struct files_open *fo)
{
	return gone_prepare(fo, FD_KIND__FD_CHR);
}

static void chr_finish(struct files_open *fo)
{
	gone_finish(fo, FD_KIND__FD_CHR);
}

/* The node of @e, made once; a new description of it with @e's flags. */
static int gone_open(struct files_open *fo, const FileEntry *e)
{
	struct gone_nodes *gn = fo->state[e->kind];
	bool dir = e->kind == FD_KIND__FD_DIR;
	_cleanup_free_ char *path = gone_path(e->path);
	char self[64];
	int fd = -1, nfd, r;

	for (size_t i = 0; i < gn->n && fd < 0; i++)
		if (gn->v[i].dev == e->dev && gn->v[i].ino == e->ino)
			fd = gn->v[i].fd;
	if (fd < 0) {
		fd = gone_make(fo->trust, path, (mode_t)e->mode & (S_IFMT | 07777), (dev_t)e->rdev,
			       dir ? O_RDONLY | O_DIRECTORY : O_RDONLY | O_NONBLOCK);
		fd = fd_move_above(fd, fo->scratch);
		if (fd < 0)
			return pr_errno(fd, "cannot restore: cannot make again the removed %s '%s'",
					what_of(e), path);
		r = dir ? file_attrs_restore(fd, e) : 0;
		if (r < 0) {
			close(fd);
			return pr_errno(
				r, "cannot restore: cannot give the removed %s '%s' its attributes",
				what_of(e), path);
		}
		gn->v = xrealloc(gn->v, (gn->n + 1) * sizeof(*gn->v));
		gn->v[gn->n++] = (struct gone_node){ e->dev, e->ino, fd };
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	nfd = open(self, reopen_flags(e) & ~O_NOFOLLOW);
	if (nfd < 0)
		return pr_errno(-errno, "cannot restore: cannot open the removed %s '%s'",
				what_of(e), path);
	if (dir && !(e->flags & O_PATH) && lseek(nfd, (off_t)e->offset, SEEK_SET) < 0) {
		r = pr_errno(-errno, "cannot restore: cannot seek '%s'", e->path);
		close(nfd);
		return r;
	}
	return nfd;
}

static int dir_chr_check(const FileEntry *e, const struct files_open *fo)
{
	if (e->attrs && (e->kind != FD_KIND__FD_DIR || !is_gone_path(e->path)))
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (%s '%s')",
			       what_of(e), e->path);
	if (!is_gone_path(e->path))
		return path_check(e, fo);
	return gone_check(e, fo) ?: file_attrs_check(e, fo->trust);
}

/* A removed directory: its inode flags and attributes too (file-attrs.c). */
static int dir_dump(const struct fd_dump *d, FileEntry *e)
{
	_cleanup_close_ int fd = -1;
	char self[64];
	int r = path_dump(d, e);

	if (r < 0 || !is_gone_path(d->link))
		return r;
	snprintf(self, sizeof(self), "/proc/%d/fd/%d", d->pid, d->fd);
	fd = open(self, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pr_errno(-errno,
				"cannot dump %d: cannot open the removed directory at fd %d",
				d->pid, d->fd);
	return file_attrs_dump(fd, d->pid, d->fd, e);
}

static int dir_chr_open(struct files_open *fo, const FileEntry *e)
{
	return is_gone_path(e->path) ? gone_open(fo, e) : path_open(fo, e);
}

const struct file_kind reg_kind = {
	.kind = FD_KIND__FD_REG,
	.name = "file",
	.claims = reg_claims,
	.dump = path_dump,
	.check = path_check,
	.open = path_open,
};

const struct file_kind dir_kind = {
	.kind = FD_KIND__FD_DIR,
	.name = "directory",
	.claims = dir_claims,
	.dump = dir_dump,
	.check = dir_chr_check,
	.prepare = dir_prepare,
	.finish = dir_finish,
	.open = dir_chr_open,
};

const struct file_kind chr_kind = {
	.kind = FD_KIND__FD_CHR,
	.name = "chardev",
	.claims = chr_claims,
	.dump = path_dump,
	.check = dir_chr_check,
	.prepare = chr_prepare,
	.finish = chr_finish,
	.open = dir_chr_open,
};

/* A terminal whose other side is not in the tree: restored onto the
 * caller's terminal (what `criu --shell-job` does). */
const struct file_kind tty_caller_kind = {
	.kind = FD_KIND__FD_TTY,
	.name = "tty",
	.claims = tty_caller_claims,
	.dump = path_dump,
	.check = tty_caller_check,
	.open = tty_caller_open,
};

/* ---- memfds: objects of shmem.c, reopened from there ---- */

/* The kernel's internal shmem mount, where memfds and shared anonymous
 * memory live: its device, from a memfd of our own; 0 if unknown. */
static dev_t internal_shm_dev(void)
{
	static dev_t dev;
	struct stat st;
	int fd;

	if (dev)
		return dev;
	fd = memfd_create("ckpt-probe", MFD_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0)
		dev = st.st_dev;
	if (fd >= 0)
		close(fd);
	return dev;
}

/*
 * A memfd, or an fd of shared anonymous memory (opened through
 * /proc/PID/map_files: it shows "/dev/zero (deleted)", on the internal
 * shmem mount). The second is the object its mappings map: were it taken
 * for a deleted file, the restore would part the fd from the memory.
 */
static bool memfd_claims(const char *link, const struct stat *st)
{
	if (!S_ISREG(st->st_mode) || !str_ends(link, " (deleted)"))
		return false;
	if (!strncmp(link, MEMFD_PREFIX, strlen(MEMFD_PREFIX)))
		return true;
	return !strcmp(link, "/dev/zero (deleted)") && st->st_dev == internal_shm_dev();
}

static int memfd_dump(const struct fd_dump *d, FileEntry *e)
{
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", d->pid, d->fd);
	r = shmem_add(d->ft->shmem, path, d->link, &e->shmid);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: memfd at fd %d", d->pid, d->fd);
	e->has_shmid = true;
	return 0;
}

static int memfd_check(const FileEntry *e, const struct files_open *fo)
{
	if (!e->has_shmid || e->shmid >= fo->nr_shmem)
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (memfd)");
	return 0;
}

/* A new open file description of an open file, with @e's flags and offset. */
static int reopen(int fd, const FileEntry *e)
{
	char path[64];
	int nfd;

	/* O_NOFOLLOW (mkstemp() opens with it) would refuse the magic link
	 * itself: the new description goes without it. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, (int)e->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW));
	if (nfd < 0)
		return pr_errno(-errno, "cannot restore: cannot open '%s'", e->path);
	if (lseek(nfd, (off_t)e->offset, SEEK_SET) < 0) {
		int r = pr_errno(-errno, "cannot restore: cannot seek '%s'", e->path);

		close(nfd);
		return r;
	}
	return nfd;
}

static int memfd_open(struct files_open *fo, const FileEntry *e)
{
	return reopen(fo->shmem_base + (int)e->shmid, e);
}

const struct file_kind memfd_kind = {
	.kind = FD_KIND__FD_MEMFD,
	.name = "memfd",
	.claims = memfd_claims,
	.dump = memfd_dump,
	.check = memfd_check,
	.open = memfd_open,
};

/*
 * ---- deleted files, still open ----
 *
 * Their contents are saved (filedata.c), once per inode, with the first
 * description of it, once every process is in: a file that some process
 * also maps is an object of shmem.c instead (FileEntry.shmid), whose
 * contents the mappings share, and its fds are opened from there. Restore creates the file again under its old name
 * when that is free (so that /proc shows the same "PATH (deleted)"), or
 * as an unnamed O_TMPFILE in its directory, fills it, opens every
 * description from it, and unlinks it.
 */

struct ghost {
	int fd;
	int dirfd; /* the directory it is in, O_PATH */
	char *name; /* created under this name there: unlink it at the end */
};

static bool ghost_claims(const char *link, const struct stat *st)
{
	return link[0] == '/' && str_ends(link, " (deleted)") && S_ISREG(st->st_mode) &&
	       !memfd_claims(link, st);
}

static int ghost_dump(const struct fd_dump *d, FileEntry *e)
{
	const FilesEntry *fe = &d->ft->img;

	path_dump(d, e);
	e->has_data_id = true;
	e->data_id = e->id;
	for (size_t i = 0; i < fe->n_files; i++)
		if (fe->files[i]->kind == FD_KIND__FD_GHOST && fe->files[i]->dev == e->dev &&
		    fe->files[i]->ino == e->ino) {
			e->data_id = fe->files[i]->id; /* saved with that one */
			break;
		}
	return 0;
}

/* Once every mapping is known: the file is a mapped object's, or its
 * contents are saved with its first description. */
static int ghost_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	const FilesEntry *fe = &ft->img;

	(void)pids;
	(void)nr_pids;
	for (size_t i = 0; i < fe->n_files; i++) {
		FileEntry *e = fe->files[i];
		const struct file_seen *s = &ft->seen[i];
		_cleanup_close_ int fd = -1;
		char path[64];
		int k, r;

		if (e->kind != FD_KIND__FD_GHOST)
			continue;
		k = shmem_find(ft->shmem, (dev_t)e->dev, (ino_t)e->ino);
		if (k >= 0) {
			e->has_data_id = false;
			e->has_shmid = true;
			e->shmid = (uint32_t)k;
			continue;
		}
		if (e->data_id != e->id)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", s->pid, s->fd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return pr_errno(-errno,
					"cannot dump %d: cannot read the deleted file at fd %d",
					s->pid, s->fd);
		e->data = xmalloc(sizeof(*e->data));
		file_data_entry__init(e->data);
		r = filedata_dump(fd, e->size, e->data, ft->dirfd, IMG_FILE_DATA, (int)e->id);
		if (r < 0)
			return pr_errno(r, "cannot dump %d: cannot save the deleted file '%s'",
					s->pid, e->path);
		r = file_attrs_dump(fd, s->pid, s->fd, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int ghost_check(const FileEntry *e, const struct files_open *fo)
{
	const FileEntry *holder = e->data_id < fo->fe->n_files ? fo->fe->files[e->data_id] : NULL;
	size_t len = strlen(e->path), suffix = strlen(" (deleted)");
	_cleanup_free_ char *path = NULL;
	int r;
	bool data_ok = e->has_shmid
			       ? !e->has_data_id && !e->data && e->shmid < fo->nr_shmem
			       : e->has_data_id && holder && holder->kind == FD_KIND__FD_GHOST &&
					 !holder->has_shmid && holder->data &&
					 filedata_check(holder->data) >= 0;

	if (!data_ok || len <= suffix || !str_ends(e->path, " (deleted)") ||
	    (e->attrs && (e->has_shmid || e->data_id != e->id)))
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (deleted file)");
	r = file_attrs_check(e, fo->trust);
	if (r < 0)
		return r;
	path = strndup(e->path, len - suffix);
	return trust_check_path("deleted file", path);
}

/* The file under its old name if that is free, else unnamed beside it
 * (or in /tmp). Made with the owner's access for a set that is not
 * trusted, in a directory reached through no symlink, never through a
 * symlink at the name itself: root's files are neither made nor opened. */
static int ghost_create(const struct trust *t, const FileEntry *e, struct ghost *g)
{
	_cleanup_free_ char *path = strndup(e->path, strlen(e->path) - strlen(" (deleted)"));
	char *slash = strrchr(path, '/');
	const char *name = slash + 1;
	mode_t mode = e->mode & 0777;
	struct trust_saved saved;
	int fd = -1, r = -ENOENT;

	*slash = 0;
	g->dirfd = trust_open(t, slash == path ? "/" : path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	for (int tmp = 0; fd < 0 && tmp < 2; tmp++) {
		if (tmp) {
			if (g->dirfd >= 0)
				close(g->dirfd);
			g->dirfd = trust_open(t, "/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		}
		if (g->dirfd < 0)
			continue;
		r = trust_enter(t, &saved);
		if (r < 0)
			return r;
		if (!tmp)
			fd = openat(g->dirfd, name,
				    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0)
			g->name = xstrdup(name);
		else
			fd = openat(g->dirfd, ".", O_RDWR | O_TMPFILE | O_CLOEXEC, mode);
		r = fd < 0 ? -errno : fd;
		trust_leave(&saved);
	}
	return fd < 0 ? (g->dirfd < 0 ? g->dirfd : r) : fd;
}

static int ghost_prepare(struct files_open *fo)
{
	const FilesEntry *fe = fo->fe;
	struct ghost *gs = xzalloc((fe->n_files + 1) * sizeof(*gs));

	fo->state[FD_KIND__FD_GHOST] = gs;
	for (size_t i = 0; i < fe->n_files; i++) {
		const FileEntry *e = fe->files[i];
		int r;

		gs[i].fd = gs[i].dirfd = -1;
		if (e->kind != FD_KIND__FD_GHOST || e->has_shmid || e->data_id != i)
			continue;
		gs[i].fd = fd_move_above(ghost_create(fo->trust, e, &gs[i]), fo->scratch);
		if (gs[i].fd < 0)
			return pr_errno(gs[i].fd,
					"cannot restore: cannot create the deleted file '%s'",
					e->path);
		/* Before the contents: a flag such as no copy-on-write takes
		 * only on an empty file. */
		r = file_attrs_restore(gs[i].fd, e);
		if (r < 0)
			return pr_errno(
				r,
				"cannot restore: cannot give the deleted file '%s' its attributes",
				e->path);
		r = filedata_restore(gs[i].fd, e->data, fo->dirfd, IMG_FILE_DATA, (int)e->id);
		if (r < 0)
			return pr_fail(r, "cannot restore: contents of the deleted file '%s': %s",
				       e->path, img_strerror(r));
		/* Never setuid or setgid: the file is made by ckpt (root's for
		 * a trusted set), not by whoever owned it, and stands under its
		 * old name for a while, where its directory's owner may rename
		 * it away and keep a setuid program of root's with contents of
		 * their own. The images do not say who owned it. */
		(void)fchmod(gs[i].fd, e->mode & (0777 | S_ISVTX));
	}
	return 0;
}

static int ghost_open(struct files_open *fo, const FileEntry *e)
{
	struct ghost *gs = fo->state[FD_KIND__FD_GHOST];

	/* A mapped one is the object its mappings map (shmem.c). */
	if (e->has_shmid)
		return reopen(fo->shmem_base + (int)e->shmid, e);
	return reopen(gs[e->data_id].fd, e);
}

static void ghost_finish(struct files_open *fo)
{
	struct ghost *gs = fo->state[FD_KIND__FD_GHOST];

	for (size_t i = 0; gs && i < fo->fe->n_files; i++) {
		struct trust_saved saved;

		if (gs[i].name && trust_enter(fo->trust, &saved) >= 0) {
			(void)unlinkat(gs[i].dirfd, gs[i].name, 0);
			trust_leave(&saved);
		}
		free(gs[i].name);
		if (gs[i].fd >= 0)
			close(gs[i].fd);
		if (gs[i].dirfd >= 0)
			close(gs[i].dirfd);
	}
	free(gs);
	fo->state[FD_KIND__FD_GHOST] = NULL;
}

const struct file_kind ghost_kind = {
	.kind = FD_KIND__FD_GHOST,
	.name = "deleted file",
	.claims = ghost_claims,
	.dump = ghost_dump,
	.dump_finish = ghost_dump_finish,
	.check = ghost_check,
	.prepare = ghost_prepare,
	.finish = ghost_finish,
	.open = ghost_open,
};

/* ---- O_PATH fds: a path, whatever it points at ---- */

bool opath_applies(const char *link)
{
	/* A file of /proc/PID/ is opened again by its process (fd-proc.c). */
	return is_live_path(link) && !proc_file_path(link);
}

/* O_PATH|O_NOFOLLOW may hold a symlink itself: it is opened as such. */
static int opath_open(struct files_open *fo, const FileEntry *e)
{
	struct trust_file tf = file_of(e);

	tf.what = "O_PATH file";
	return trust_open_verify(fo->trust, &tf,
				 (int)e->flags & (O_PATH | O_NOFOLLOW | O_DIRECTORY), 0);
}

static int opath_check(const FileEntry *e, const struct files_open *fo)
{
	int r = trust_check_path("O_PATH file", e->path);

	if (r >= 0 && !e->has_mode)
		r = pr_fail(-EBADMSG, "cannot restore: images are inconsistent (file '%s')",
			    e->path);
	if (r >= 0)
		r = opath_open((struct files_open *)fo, e);
	if (r >= 0)
		close(r);
	return r;
}

const struct file_kind opath_kind = {
	.kind = FD_KIND__FD_OPATH,
	.name = "O_PATH fd",
	.dump = path_dump,
	.check = opath_check,
	.open = opath_open,
};
