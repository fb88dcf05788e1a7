// SPDX-License-Identifier: GPL-2.0
/*
 * The table of open file descriptions of a tree, and the fds of each
 * process onto it (see files.h). The kinds live in their own files.
 */
#include "files.h"
#include "ns.h"

#include "imgdir.h"

#include "proc.h"
#include "sock-diag.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Tried in this order when dumping: the first that claims an fd has it. */
/* A kind that claims what another would too comes before it. */
static const struct file_kind *const kinds[] = {
	&proc_kind,	  &reg_kind,	 &dir_kind,	 &chr_kind,	 &pty_kind,
	&tty_caller_kind, &memfd_kind,	 &ghost_kind,	 &pipe_kind,	 &fifo_kind,
	&eventfd_kind,	  &epoll_kind,	 &timerfd_kind,	 &signalfd_kind, &inotify_kind,
	&unix_sk_kind,	  &inet_sk_kind, &opath_kind,	 &mqueue_kind,	 &outside_kind,
	&pidfd_kind,	  &net_sk_kind,	 &io_uring_kind,
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static const struct file_kind *kind_of(uint32_t kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i]->kind == kind)
			return kinds[i];
	return NULL;
}

const char *fd_kind_name(uint32_t kind)
{
	const struct file_kind *k = kind_of(kind);

	return k ? k->name : "?";
}

void file_table_init(struct file_table *ft, const struct files_opts *opts, int dirfd)
{
	memset(ft, 0, sizeof(*ft));
	files_entry__init(&ft->img);
	ft->opts = opts;
	ft->dirfd = dirfd;
}

void file_table_release(struct file_table *ft)
{
	free(ft->seen);
	ft->seen = NULL;
}

const char *fd_unknown_name(mode_t mode, const char *link)
{
	if (!strncmp(link, "socket:", 7))
		return "socket";
	if (!strncmp(link, "anon_inode:", 11))
		return link + 11;
	if (S_ISFIFO(mode))
		return "fifo";
	if (S_ISCHR(mode))
		return "character device";
	if (S_ISBLK(mode))
		return "block device";
	return "file";
}

const char *fdinfo_field(const char *fdinfo, const char *key)
{
	size_t len = strlen(key);

	for (const char *p = fdinfo; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, len)) {
			p += len;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
	}
	return NULL;
}

/* The id of the description @fd of @pid, if it was seen before; else -1. */
static int file_find(const struct file_table *ft, int pid, int fd, const struct stat *st)
{
	for (size_t i = 0; i < ft->img.n_files; i++) {
		const struct file_seen *s = &ft->seen[i];

		if (s->dev != st->st_dev || s->ino != st->st_ino)
			continue;
		/* Same inode: the same description only if kcmp says so. */
		if (syscall(SYS_kcmp, pid, s->pid, KCMP_FILE, fd, s->fd) == 0)
			return (int)i;
	}
	return -1;
}

static const struct file_kind *kind_claiming(const char *link, const struct stat *st)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i]->claims && kinds[i]->claims(link, st))
			return kinds[i];
	return NULL;
}

static int file_add(const struct fd_dump *d, const struct proc_fdinfo *info)
{
	struct file_table *ft = d->ft;
	FilesEntry *fe = &ft->img;
	/* O_PATH opens nothing: whatever it points at, it is a path. */
	const struct file_kind *k;
	FileEntry *e;
	int r;

	/* sockets are asked of in their process's network namespace */
	sock_diag_use_netns_of(d->pid);
	k = (info->flags & O_PATH) && opath_applies(d->link) ? &opath_kind
							     : kind_claiming(d->link, d->st);

	/* A message queue looks like a regular file: its filesystem tells. */
	if ((!k || k->kind == FD_KIND__FD_REG || k->kind == FD_KIND__FD_GHOST) &&
	    fd_on_mqueue(d->pid, d->fd))
		k = &mqueue_kind;
	/* Sockets of other families look like any socket: they tell. */
	if (k && k->kind == FD_KIND__FD_INET_SK && net_sk_fd(d->pid, d->fd))
		k = &net_sk_kind;

	e = xmalloc(sizeof(*e));
	file_entry__init(e);
	e->id = (uint32_t)fe->n_files;
	e->kind = k ? k->kind : 0;
	e->path = xstrdup(d->link);
	e->flags = info->flags & ~O_CLOEXEC;
	e->offset = info->pos;
	/* Never a kind by its looks alone: unclaimed fds are refused there. */
	r = fd_audit_dump(d, k, e);
	if (r >= 0)
		r = k->dump(d, e);
	if (r < 0) {
		file_entry__free_unpacked(e, NULL);
		return r;
	}
	fe->files = xrealloc(fe->files, (fe->n_files + 1) * sizeof(*fe->files));
	ft->seen = xrealloc(ft->seen, (fe->n_files + 1) * sizeof(*ft->seen));
	ft->seen[fe->n_files] = (struct file_seen){ d->pid, d->fd, d->st->st_dev, d->st->st_ino };
	fe->files[fe->n_files++] = e;
	return (int)e->id;
}

static int fd_dump(struct file_table *ft, int pid, int fd, FdEntry *ret)
{
	char path[64], link[PATH_MAX_LEN];
	_cleanup_free_ char *text = NULL;
	struct proc_fdinfo info;
	struct stat st;
	struct fd_dump d = { ft, pid, fd, link, &st, NULL };
	FILE *f;
	ssize_t n;
	int id, r;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return pr_errno(-errno, "cannot read fd %d of %d", fd, pid);
	link[n] = 0;
	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st));
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	r = read_file(path, &text, NULL);
	if (r < 0)
		return pr_errno(r, "cannot read '%s'", path);
	f = fmemopen(text, strlen(text), "r");
	r = f ? proc_parse_fdinfo(f, &info) : -ENOMEM;
	if (f)
		fclose(f);
	if (r < 0)
		return pr_errno(r, "cannot read '%s'", path);
	d.fdinfo = text;
	id = file_find(ft, pid, fd, &st);
	r = id >= 0 ? 0 : 1; /* new */
	if (id < 0)
		id = file_add(&d, &info);
	if (id < 0)
		return id;
	r = locks_dump(&d, ft->img.files[id], r == 1);
	if (r < 0)
		return r;
	ret->fd = fd;
	ret->file_id = id;
	ret->cloexec = !!(info.flags & O_CLOEXEC);
	return 0;
}

int files_dump_proc(struct file_table *ft, int pid, FdinfoEntry *fi)
{
	_cleanup_free_ int *fds = NULL;
	size_t nr;
	int r = proc_list_fds(pid, &fds, &nr);

	if (r < 0)
		return pr_errno(r, "cannot read '/proc/%d/fd'", pid);
	for (size_t i = 0; i < nr && r >= 0; i++) {
		FdEntry *e = xmalloc(sizeof(*e));

		fd_entry__init(e);
		fi->fds = xrealloc(fi->fds, (fi->n_fds + 1) * sizeof(*fi->fds));
		fi->fds[fi->n_fds++] = e;
		r = fd_dump(ft, pid, fds[i], e);
	}
	return r;
}

int files_dump_own(struct file_table *ft, int fd)
{
	FdEntry unused = FD_ENTRY__INIT;
	int r = fd_dump(ft, getpid(), fd, &unused);

	return r < 0 ? r : (int)unused.file_id;
}

int files_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	int r = 0;

	/* Files no process has open (in flight) first: their kinds then see
	 * them with the rest. */
	for (size_t i = 0; i < ARRAY_SIZE(kinds) && r >= 0; i++)
		r = kinds[i]->dump_more ? kinds[i]->dump_more(ft, pids, nr_pids) : 0;
	if (r >= 0)
		r = fd_audit_dump_finish(ft, pids, nr_pids);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(kinds) && r >= 0; i++)
		r = kinds[i]->dump_finish ? kinds[i]->dump_finish(ft, pids, nr_pids) : 0;
	return r;
}

void files_dump_done(struct file_table *ft, bool killed)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i]->dump_done)
			kinds[i]->dump_done(ft, killed);
}

int fds_max(const FdinfoEntry *fi)
{
	int max = -1;

	for (size_t i = 0; i < fi->n_fds; i++)
		max = MAX(max, (int)fi->fds[i]->fd);
	return max;
}

/* ---- checks of files.img and fdinfo-PID.img ---- */

#define FILES_MAX (1u << 22)
#define LOCKS_MAX 65536
#define PIPE_SIZE_MAX (1u << 30)
/* The kernel sets O_LARGEFILE on every open of a 64-bit process; glibc
 * defines it as 0 there. */
#define KERNEL_O_LARGEFILE 0100000
/* What open(2) flags a description can have, as fdinfo shows them. */
#define OPEN_FLAGS_KNOWN                                                                       \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | \
	 O_ASYNC | O_DIRECT | KERNEL_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |      \
	 O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE)

/* What every description has, whatever its kind. */
static int file_check(const FileEntry *e, size_t i)
{
	if (e->id != i || !kind_of(e->kind))
		return img_inconsistent(IMG_FILES, 0, "file %zu: id or kind", i);
	if (!str_fits(e->path, PATH_MAX_LEN - 1))
		return img_inconsistent(IMG_FILES, 0, "file %zu: path too long", i);
	if ((e->flags & ~(uint32_t)OPEN_FLAGS_KNOWN) || (e->flags & O_ACCMODE) == O_ACCMODE)
		return img_inconsistent(IMG_FILES, 0, "file %zu: open flags", i);
	if (e->offset > (uint64_t)INT64_MAX)
		return img_inconsistent(IMG_FILES, 0, "file %zu: offset", i);
	if (e->n_locks > LOCKS_MAX)
		return img_inconsistent(IMG_FILES, 0, "file %zu: locks", i);
	for (size_t k = 0; k < e->n_locks; k++) {
		const FileLockEntry *l = e->locks[k];

		if (l->type < 1 || l->type > 3 || l->start > (uint64_t)INT64_MAX ||
		    l->len > (uint64_t)INT64_MAX)
			return img_inconsistent(IMG_FILES, 0, "file %zu: lock", i);
	}
	return 0;
}

/*
 * Kinds whose restore pairs descriptions up by searching the others
 * (tty.c: a pty and its master; sk-unix.c: peers, listeners, names) are
 * bounded, so that a hostile files.img cannot make those searches run for
 * hours: far above what a tree has (kernel.pty.max is 4096 by default).
 */
static const struct {
	uint32_t kind;
	size_t max;
} kind_max[] = {
	{ FD_KIND__FD_PTY, 16384 },
	{ FD_KIND__FD_UNIX_SK, 65536 },
};

static int kinds_count_check(const FilesEntry *fe)
{
	size_t n[ARRAY_SIZE(kind_max)] = { 0 };

	for (size_t i = 0; i < fe->n_files; i++)
		for (size_t k = 0; k < ARRAY_SIZE(kind_max); k++)
			if (fe->files[i]->kind == kind_max[k].kind && ++n[k] > kind_max[k].max)
				return img_inconsistent(IMG_FILES, 0, "more than %zu %ss",
							kind_max[k].max,
							fd_kind_name(kind_max[k].kind));
	return 0;
}

static int pipes_check(const FilesEntry *fe)
{
	for (size_t k = 0; k < fe->n_pipes; k++) {
		const PipeEntry *p = fe->pipes[k];

		if (!p->size || p->size > PIPE_SIZE_MAX || p->data.len > p->size)
			return img_inconsistent(IMG_FILES, 0, "pipe %zu: size", k);
	}
	return 0;
}

int fdinfo_check(const FdinfoEntry *fi, size_t nr_files, int pid)
{
	unsigned int limit = fd_number_limit();

	if (fi->n_fds > limit)
		return img_inconsistent(IMG_FDINFO, pid, "%zu fds", fi->n_fds);
	for (size_t i = 0; i < fi->n_fds; i++) {
		const FdEntry *e = fi->fds[i];

		if (e->fd >= limit)
			return img_inconsistent(IMG_FDINFO, pid, "fd %u (nr_open is %u)", e->fd,
						limit);
		if (e->file_id >= nr_files)
			return img_inconsistent(IMG_FDINFO, pid, "fd %u: file %u of %zu", e->fd,
						e->file_id, nr_files);
	}
	/* Unique: sorted copy of the numbers. */
	{
		_cleanup_free_ uint32_t *fds = xmalloc((fi->n_fds + 1) * sizeof(*fds));

		for (size_t i = 0; i < fi->n_fds; i++)
			fds[i] = fi->fds[i]->fd;
		qsort(fds, fi->n_fds, sizeof(*fds), cmp_u32);
		for (size_t i = 1; i < fi->n_fds; i++)
			if (fds[i] == fds[i - 1])
				return img_inconsistent(IMG_FDINFO, pid, "fd %u twice", fds[i]);
	}
	return 0;
}

int files_check(const struct files_open *fo, const FdinfoEntry *const *fis, size_t nr_fis)
{
	const FilesEntry *fe = fo->fe;
	int r;

	if (fe->n_files > FILES_MAX || fe->n_pipes > FILES_MAX)
		return img_inconsistent(IMG_FILES, 0, "%zu files", fe->n_files);
	r = kinds_count_check(fe);
	if (r < 0)
		return r;
	r = pipes_check(fe);
	if (r >= 0)
		r = outside_check_inherit(fo);
	if (r < 0)
		return r;
	for (size_t i = 0; i < fe->n_files; i++) {
		const FileEntry *e = fe->files[i];
		const struct file_kind *k;

		r = file_check(e, i);
		if (r < 0)
			return r;
		k = kind_of(e->kind);
		r = fd_audit_check(fo, e);
		if (r >= 0 && k->check)
			r = k->check(e, fo);
		if (r < 0)
			return r;
	}
	for (size_t p = 0; p < nr_fis; p++)
		for (size_t i = 0; i < fis[p]->n_fds; i++)
			if (fis[p]->fds[i]->file_id >= fe->n_files)
				return pr_fail(-EBADMSG,
					       "cannot restore: images are inconsistent (fd %u)",
					       fis[p]->fds[i]->fd);
	return 0;
}

int fd_borrow(int pid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), copy;

	if (pidfd < 0)
		return -errno;
	copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (copy < 0)
		copy = -errno;
	close(pidfd);
	return copy;
}

bool pid_listed(const int *pids, size_t nr, int pid)
{
	for (size_t i = 0; i < nr; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* The links of the fds of @pid, to @fn: true once it has said stop. */
static bool fd_links_each(int pid, fd_link_fn fn, void *arg)
{
	char path[64], link[PATH_MAX_LEN];
	_cleanup_free_ int *fds = NULL;
	bool stop = false;
	size_t nr = 0;

	if (proc_list_fds(pid, &fds, &nr) < 0)
		return false;
	for (size_t i = 0; i < nr && !stop; i++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fds[i]);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		stop = fn(pid, link, arg);
	}
	return stop;
}

void fds_outside_each(const int *pids, size_t nr_pids, fd_link_fn fn, void *arg)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	bool stop = false;

	while (proc && !stop && (de = readdir(proc))) {
		int pid;

		if (parse_pid(de->d_name, &pid) < 0 || pid == getpid() ||
		    pid_listed(pids, nr_pids, pid))
			continue;
		stop = fd_links_each(pid, fn, arg);
	}
	if (proc)
		closedir(proc);
}

struct link_holder {
	const char *link;
	int pid;
};

static bool link_held(int pid, const char *link, void *arg)
{
	struct link_holder *h = arg;

	if (strcmp(link, h->link))
		return false;
	h->pid = pid;
	return true;
}

int fd_link_holder_outside(const int *pids, size_t nr_pids, const char *link)
{
	struct link_holder h = { link, 0 };

	fds_outside_each(pids, nr_pids, link_held, &h);
	return h.pid;
}

int file_open_unsupported(struct files_open *fo, const FileEntry *e)
{
	return pr_fail(-EOPNOTSUPP, "cannot restore: '%s' is a %s (not supported yet)", e->path,
		       fd_kind_name(e->kind));
}

int fd_move_above(int fd, int min)
{
	int moved;

	if (fd < 0)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, min);
	if (moved < 0)
		moved = -errno;
	close(fd);
	return moved;
}

static int netns_enter(int ns, int *ret_ours)
{
	*ret_ours = -1;
	if (ns < 0)
		return 0;
	*ret_ours = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*ret_ours < 0 || setns(ns, CLONE_NEWNET) < 0) {
		int r = pr_errno(-errno,
				 "cannot restore: cannot enter a network namespace of the tree");

		if (*ret_ours >= 0)
			close(*ret_ours);
		*ret_ours = -1;
		return r;
	}
	return 0;
}

static int netns_leave(int ours)
{
	int r = 0;

	if (ours < 0)
		return 0;
	if (setns(ours, CLONE_NEWNET) < 0)
		r = pr_errno(-errno, "cannot restore: cannot come back to our network namespace");
	close(ours);
	return r;
}

int files_netns_enter(const struct files_open *fo, size_t i, int *ret_ours)
{
	return netns_enter(fo->file_netns ? fo->file_netns[i] : -1, ret_ours);
}

int files_netns_leave(int ours)
{
	return netns_leave(ours);
}

/* The kind's open, in the network namespace the description belongs to:
 * a socket is made there, for good, and binds and connects there. */
static int open_in_netns(struct files_open *fo, size_t i, const FileEntry *e)
{
	int ours, fd, r = files_netns_enter(fo, i, &ours);

	if (r < 0)
		return r;
	fd = kind_of(e->kind)->open(fo, e);
	r = files_netns_leave(ours);
	if (r < 0 && fd >= 0) {
		close(fd);
		fd = r;
	}
	return fd;
}

static int open_one(struct files_open *fo, size_t i)
{
	const FileEntry *e = fo->fe->files[i];
	int slot = fo->base + (int)i;
	int fd = open_in_netns(fo, i, e), r = 0;

	if (fd < 0)
		return fd;
	/* An open lands on the lowest free number: below the slots, or on
	 * this one itself once the slots before it are filled. */
	if (fd != slot) {
		if (dup3(fd, slot, 0) < 0)
			r = pr_errno(-errno, "cannot restore: cannot place '%s'", e->path);
		close(fd);
	}
	if (r >= 0)
		r = fd_audit_open(fo, e, slot);
	return r < 0 ? r : locks_restore_desc(e, slot);
}

static int open_all(struct files_open *fo)
{
	size_t prepared = 0;
	int r = 0;

	/* Temporary fds go above every slot: files, shmem objects, log. */
	fo->scratch = fo->shmem_base + (int)fo->nr_shmem + 1;
	for (; prepared < ARRAY_SIZE(kinds) && r >= 0; prepared++)
		r = kinds[prepared]->prepare ? kinds[prepared]->prepare(fo) : 0;
	for (size_t i = 0; i < fo->fe->n_files && r >= 0; i++)
		r = open_one(fo, i);
	for (size_t i = 0; i < prepared; i++)
		if (kinds[i]->finish)
			kinds[i]->finish(fo);
	return r;
}

/* The network namespace of every description, if they all have the same
 * one: -1 (ckpt's) or its fd; -2 when they differ. */
static int netns_common(const struct files_open *fo)
{
	int ns = -1;

	for (size_t i = 0; fo->file_netns && i < fo->fe->n_files; i++) {
		if (i && fo->file_netns[i] != ns)
			return -2;
		ns = fo->file_netns[i];
	}
	return ns;
}

int files_open_all(struct files_open *fo)
{
	const int *per_file = fo->file_netns;
	int ns = netns_common(fo), ours, r;

	/* A tree in one network namespace has all its files made in it
	 * (unix sockets too: abstract names are the namespace's); a tree
	 * across several has each socket made in its own (inet). */
	if (ns < 0)
		return open_all(fo);
	r = netns_enter(ns, &ours);
	if (r < 0)
		return r;
	fo->file_netns = NULL;
	r = open_all(fo);
	fo->file_netns = per_file;
	return netns_leave(ours) < 0 ? -ENOTRECOVERABLE : r;
}

int fds_restore_early(const FilesEntry *fe, const FdinfoEntry *fi, int base, int pid,
		      const int *owner)
{
	for (size_t i = 0; i < fi->n_fds; i++) {
		const FdEntry *e = fi->fds[i];

		if (dup3(base + (int)e->file_id, (int)e->fd, e->cloexec ? O_CLOEXEC : 0) < 0)
			return pr_errno(-errno, "cannot restore fd %u", e->fd);
	}
	/* Once per description: at the lowest fd that has it. */
	for (size_t i = 0; i < fi->n_fds; i++) {
		const FdEntry *fd = fi->fds[i];
		const FileEntry *e = fe->files[fd->file_id];
		const struct file_kind *k = kind_of(e->kind);
		struct fd_restore r = { e, (int)fd->fd, pid, owner[fd->file_id] == pid, base };
		bool lowest = true;
		int ret;

		for (size_t j = 0; j < fi->n_fds; j++)
			if (fi->fds[j]->file_id == fd->file_id && fi->fds[j]->fd < fd->fd)
				lowest = false;
		if (!lowest)
			continue;
		ret = k->restore_fd ? k->restore_fd(&r) : 0;
		if (ret < 0)
			return ret;
	}
	return pty_ctty_restore(fe, base, pid);
}

bool files_fd_first(const FdinfoEntry *fi, size_t i, int pid, const int *owner)
{
	const FdEntry *fd = fi->fds[i];

	if (owner[fd->file_id] != pid)
		return false;
	for (size_t j = 0; j < fi->n_fds; j++)
		if (fi->fds[j]->file_id == fd->file_id && fi->fds[j]->fd < fd->fd)
			return false;
	return true;
}

int files_restore_last(const FilesEntry *fe, const FdinfoEntry *fi, int pid, const int *owner)
{
	for (size_t i = 0; i < fi->n_fds; i++) {
		const FdEntry *fd = fi->fds[i];
		const FileEntry *e = fe->files[fd->file_id];
		const struct file_kind *k = kind_of(e->kind);
		int r;

		if (!k->restore_last || !files_fd_first(fi, i, pid, owner))
			continue;
		r = k->restore_last(e, ns_host_pid(pid), (int)fd->fd);
		if (r < 0)
			return r;
	}
	return 0;
}
