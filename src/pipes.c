// SPDX-License-Identifier: GPL-2.0
/*
 * Pipes and FIFOs. Each pipe of the tree is dumped once, with its buffer
 * size and the bytes sitting in it; each open file description of one of
 * its ends is a file of the table. Restore creates the pipe in ckpt, fills
 * it, and gives every description its end (a second description of the
 * same end is reopened through /proc, as a FIFO would be).
 *
 * A FIFO is the same, opened by its path. Its buffer lives only while
 * someone has it open, so ckpt opens it O_RDWR (which never blocks), fills
 * it, and opens every description from that fd.
 *
 * The bytes are read without taking them out of the pipe: tee() copies a
 * pipe's buffers into another pipe and leaves the source as it was.
 */
#include "files.h"

#include "gone.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>

#define PIPE_DEFAULT_SIZE 65536

struct pipes_open {
	size_t n;
	struct open_pipe {
		int end[2]; /* read, write */
		bool used[2];
	} * p;
};

static bool pipe_claims(const char *link, const struct stat *st)
{
	return !strncmp(link, "pipe:", 5) && S_ISFIFO(st->st_mode);
}

/* A FIFO removed from its path too: made again there and removed. */
static bool fifo_claims(const char *link, const struct stat *st)
{
	return link[0] == '/' && S_ISFIFO(st->st_mode);
}

static bool fifo_gone(const FileEntry *fifo)
{
	return str_ends(fifo->path, " (deleted)");
}

/* Copy what sits in pipe @rfd without consuming it. */
static int pipe_peek(int rfd, int size, ProtobufCBinaryData *ret)
{
	_cleanup_close_ int tr = -1, tw = -1;
	int tmp[2], avail = 0;
	ssize_t got;
	char *buf;

	if (ioctl(rfd, FIONREAD, &avail) < 0)
		return -errno;
	ret->len = 0;
	ret->data = NULL;
	if (!avail)
		return 0;
	if (pipe2(tmp, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	tr = tmp[0];
	tw = tmp[1];
	/* As many buffers as the source, so that tee() takes them all. */
	if (size > PIPE_DEFAULT_SIZE && fcntl(tw, F_SETPIPE_SZ, size) < 0)
		return -errno;
	got = tee(rfd, tw, (size_t)avail, SPLICE_F_NONBLOCK);
	if (got < 0)
		return -errno;
	if (got != avail)
		return -EFBIG;
	buf = xmalloc((size_t)avail);
	if (read_full(tr, buf, (size_t)avail) < 0) {
		free(buf);
		return -EIO;
	}
	ret->data = (uint8_t *)buf;
	ret->len = (size_t)avail;
	return 0;
}

static int pipe_entry_dump(int pid, int fd, const struct stat *st, PipeEntry *p)
{
	char path[64];
	_cleanup_close_ int rfd = -1;
	int size, r;

	/* A new read end of the same pipe (as for a FIFO): harmless while
	 * every process of the tree is frozen, closed before they go on. */
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rfd < 0)
		return pr_errno(-errno, "cannot dump %d: cannot open its pipe at fd %d", pid, fd);
	size = fcntl(rfd, F_GETPIPE_SZ);
	if (size < 0)
		return pr_errno(-errno, "cannot dump %d: pipe at fd %d", pid, fd);
	pipe_entry__init(p);
	p->ino = st->st_ino;
	p->has_dev = true;
	p->dev = st->st_dev;
	p->size = (uint32_t)size;
	r = pipe_peek(rfd, size, &p->data);
	if (r == -EFBIG || r == -EPERM)
		return pr_fail(-EFBIG, "cannot dump %d: cannot copy the data in the pipe at fd %d",
			       pid, fd);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read the pipe at fd %d", pid, fd);
	return 0;
}

static int pipe_dump(const struct fd_dump *d, FileEntry *e)
{
	FilesEntry *fe = &d->ft->img;
	size_t k;
	int r;

	e->has_ino = e->has_pipe_id = e->has_dev = e->has_mode = true;
	e->ino = d->st->st_ino;
	e->dev = d->st->st_dev;
	e->mode = d->st->st_mode;
	for (k = 0; k < fe->n_pipes; k++)
		if (fe->pipes[k]->ino == d->st->st_ino && fe->pipes[k]->dev == d->st->st_dev)
			break;
	if (k == fe->n_pipes) {
		PipeEntry *p = xmalloc(sizeof(*p));

		r = pipe_entry_dump(d->pid, d->fd, d->st, p);
		if (r < 0) {
			free(p);
			return r;
		}
		fe->pipes = xrealloc(fe->pipes, (fe->n_pipes + 1) * sizeof(*fe->pipes));
		fe->pipes[fe->n_pipes++] = p;
	}
	e->pipe_id = (uint32_t)k;
	return 0;
}

/* A process outside @pids holding pipe or FIFO @p, or 0. */
static int outside_holder(const PipeEntry *p, const FilesEntry *fe, const int *pids, size_t nr_pids)
{
	char want[PATH_MAX_LEN];

	snprintf(want, sizeof(want), "pipe:[%llu]", (unsigned long long)p->ino);
	for (size_t i = 0; i < fe->n_files; i++)
		if (fe->files[i]->kind == FD_KIND__FD_FIFO && fe->files[i]->ino == p->ino)
			snprintf(want, sizeof(want), "%s", fe->files[i]->path);
	return fd_link_holder_outside(pids, nr_pids, want);
}

/*
 * A pipe with only one end in the tree is fine when nobody holds the
 * other (a reader then gets EOF after the data). When a process outside
 * the tree does, the tree's ends become outside ends (fd-outside.c): an
 * fd of the restoring command takes their place. Whatever sits in the
 * pipe is left out: what the tree wrote is the outside reader's, what
 * the outside wrote stays in the pipe its writer still has.
 */
static int pipes_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	FilesEntry *fe = &ft->img;

	for (size_t k = 0; k < fe->n_pipes; k++) {
		bool ends[2] = { false, false };

		for (size_t i = 0; i < fe->n_files; i++) {
			const FileEntry *e = fe->files[i];

			if ((e->kind == FD_KIND__FD_PIPE || e->kind == FD_KIND__FD_FIFO) &&
			    e->pipe_id == k)
				ends[(e->flags & O_ACCMODE) == O_WRONLY] = true;
		}
		if (ends[0] && ends[1])
			continue;
		if (!outside_holder(fe->pipes[k], fe, pids, nr_pids))
			continue;
		for (size_t i = 0; i < fe->n_files; i++) {
			FileEntry *e = fe->files[i];

			if ((e->kind == FD_KIND__FD_PIPE || e->kind == FD_KIND__FD_FIFO) &&
			    e->pipe_id == k)
				outside_mark(e, ft->seen[i].pid, ft->seen[i].fd);
		}
		free(fe->pipes[k]->data.data);
		fe->pipes[k]->data.data = NULL;
		fe->pipes[k]->data.len = 0;
	}
	return 0;
}

/* Both ends of a new pipe, or one O_RDWR fd of the FIFO for both. */
static struct trust_file fifo_file(const FileEntry *fifo)
{
	return (struct trust_file){ .path = fifo->path,
				    .what = "FIFO",
				    .mode = S_IFIFO,
				    .has_ino = fifo->has_dev && fifo->has_ino,
				    .dev = fifo->dev,
				    .ino = fifo->ino };
}

static int pipe_make(const struct trust *t, const FileEntry *fifo, int scratch,
		     struct open_pipe *op)
{
	int fds[2];

	if (fifo) {
		struct trust_file tf = fifo_file(fifo);
		_cleanup_free_ char *gone = fifo_gone(fifo) ? gone_path(fifo->path) : NULL;
		int fd = gone ? gone_make(t, gone, S_IFIFO | (fifo->mode & (0777 | S_ISVTX)), 0,
					  O_RDWR | O_NONBLOCK)
			      : trust_open_verify(t, &tf, O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);

		if (fd < 0 && gone)
			return pr_errno(fd,
					"cannot restore: cannot make again the removed FIFO '%s'",
					gone);
		if (fd < 0)
			return fd;
		op->end[0] = fd_move_above(fd, scratch);
		op->end[1] = op->end[0] >= 0 ? fcntl(op->end[0], F_DUPFD_CLOEXEC, scratch) : -1;
	} else {
		if (pipe2(fds, O_CLOEXEC) < 0)
			return pr_errno(-errno, "cannot restore: cannot create a pipe");
		op->end[0] = fd_move_above(fds[0], scratch);
		op->end[1] = fd_move_above(fds[1], scratch);
	}
	if (op->end[0] < 0 || op->end[1] < 0)
		return pr_errno(-EMFILE, "cannot restore: cannot create a pipe");
	return 0;
}

static int pipe_create(const struct trust *t, const PipeEntry *pe, const FileEntry *fifo,
		       int scratch, struct open_pipe *op)
{
	int r = pipe_make(t, fifo, scratch, op);

	if (r < 0)
		return r;
	/* Above 1 MiB needs CAP_SYS_RESOURCE: a smaller pipe that still
	 * holds the data will do. */
	if (pe->size != PIPE_DEFAULT_SIZE && fcntl(op->end[1], F_SETPIPE_SZ, pe->size) < 0 &&
	    pe->data.len > PIPE_DEFAULT_SIZE)
		return pr_errno(-errno, "cannot restore: cannot make a pipe of %u bytes", pe->size);
	if (!pe->data.len)
		return 0;
	if (fcntl(op->end[1], F_SETFL, O_NONBLOCK) < 0 ||
	    write_full(op->end[1], pe->data.data, pe->data.len) < 0)
		return pr_errno(-errno, "cannot restore: cannot refill a pipe with %zu bytes",
				pe->data.len);
	return 0;
}

static int pipes_prepare(struct files_open *fo)
{
	const FilesEntry *fe = fo->fe;
	struct pipes_open *po = xzalloc(sizeof(*po));
	int r = 0;

	/* The FIFO of each pipe in one pass: files.img may hold a million of
	 * each, and a search per pipe would take hours. */
	_cleanup_free_ const FileEntry **fifos = xzalloc((fe->n_pipes + 1) * sizeof(*fifos));
	/* A pipe whose ends are all outside ends is not made at all. */
	_cleanup_free_ bool *used = xzalloc(fe->n_pipes + 1);

	for (size_t i = 0; i < fe->n_files; i++) {
		const FileEntry *e = fe->files[i];

		if ((e->kind == FD_KIND__FD_PIPE || e->kind == FD_KIND__FD_FIFO) &&
		    e->pipe_id < fe->n_pipes)
			used[e->pipe_id] = true;
		if (e->kind == FD_KIND__FD_FIFO && e->pipe_id < fe->n_pipes && !fifos[e->pipe_id])
			fifos[e->pipe_id] = e;
	}
	fo->state[FD_KIND__FD_PIPE] = po;
	po->p = xzalloc(fe->n_pipes * sizeof(*po->p) + 1);
	for (size_t k = 0; k < fe->n_pipes && r >= 0; k++) {
		po->p[k].end[0] = po->p[k].end[1] = -1;
		po->n++;
		if (used[k])
			r = pipe_create(fo->trust, fe->pipes[k], fifos[k], fo->scratch, &po->p[k]);
	}
	return r;
}

static int pipe_open(struct files_open *fo, const FileEntry *e)
{
	struct pipes_open *po = fo->state[FD_KIND__FD_PIPE];
	int end = (e->flags & O_ACCMODE) == O_WRONLY;
	struct open_pipe *op = &po->p[e->pipe_id];
	int fd;

	if (e->kind == FD_KIND__FD_PIPE && !op->used[end]) {
		fd = dup(op->end[end]);
		op->used[end] = true;
	} else {
		char path[64];

		/* A FIFO keeps the access mode it was opened with (O_RDWR too). */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", op->end[end]);
		fd = open(path, (e->flags & O_ACCMODE) | O_NONBLOCK);
	}
	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot open '%s'", e->path);
	/* O_NONBLOCK and the like; O_DIRECT (packet mode) is left out. */
	if (fcntl(fd, F_SETFL, e->flags & ~O_DIRECT) < 0) {
		int r = pr_errno(-errno, "cannot restore: cannot set the flags of '%s'", e->path);

		close(fd);
		return r;
	}
	return fd;
}

static void pipes_finish(struct files_open *fo)
{
	struct pipes_open *po = fo->state[FD_KIND__FD_PIPE];

	if (!po)
		return;
	for (size_t k = 0; k < po->n; k++) {
		if (po->p[k].end[0] >= 0)
			close(po->p[k].end[0]);
		if (po->p[k].end[1] >= 0)
			close(po->p[k].end[1]);
	}
	free(po->p);
	free(po);
	fo->state[FD_KIND__FD_PIPE] = NULL;
}

static int pipe_check(const FileEntry *e, const struct files_open *fo)
{
	if (!e->has_pipe_id || e->pipe_id >= fo->fe->n_pipes)
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (pipes)");
	return 0;
}

static int fifo_check(const FileEntry *e, const struct files_open *fo)
{
	struct trust_file tf = fifo_file(e);
	int r = pipe_check(e, fo), fd;

	if (r >= 0 && fifo_gone(e)) {
		_cleanup_free_ char *path = gone_path(e->path);

		if (!path || !e->has_mode || !S_ISFIFO(e->mode))
			return pr_fail(-EBADMSG,
				       "cannot restore: images are inconsistent (removed FIFO)");
		return trust_check_path("FIFO", path);
	}
	if (r >= 0)
		r = trust_check_path("FIFO", e->path);
	if (r < 0)
		return r;
	fd = trust_open_verify(fo->trust, &tf, O_PATH | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Pipes and FIFOs share one table of pipes; the pipe kind runs it. */
const struct file_kind pipe_kind = {
	.kind = FD_KIND__FD_PIPE,
	.name = "pipe",
	.claims = pipe_claims,
	.dump = pipe_dump,
	.dump_finish = pipes_dump_finish,
	.check = pipe_check,
	.prepare = pipes_prepare,
	.finish = pipes_finish,
	.open = pipe_open,
};

const struct file_kind fifo_kind = {
	.kind = FD_KIND__FD_FIFO,
	.name = "FIFO",
	.claims = fifo_claims,
	.dump = pipe_dump,
	.check = fifo_check,
	.open = pipe_open,
};
