// SPDX-License-Identifier: GPL-2.0
/*
 * Pipes. Each pipe of the tree is dumped once, with its buffer size and the
 * bytes sitting in it; each open file description of one of its ends is a
 * file of the table. Restore creates the pipe in ckpt, fills it, and gives
 * every description its end (a second description of the same end is
 * reopened through /proc, as a FIFO would be).
 *
 * The bytes are read without taking them out of the pipe: tee() copies a
 * pipe's buffers into another pipe and leaves the source as it was.
 */
#include "files.h"

#include "util.h"

#include <dirent.h>
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

bool pipe_claims(const char *link, const struct stat *st)
{
	return !strncmp(link, "pipe:", 5) && S_ISFIFO(st->st_mode);
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

static int pipe_entry_dump(int pid, int fd, uint64_t ino, PipeEntry *p)
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
	p->ino = ino;
	p->size = (uint32_t)size;
	r = pipe_peek(rfd, size, &p->data);
	if (r == -EFBIG || r == -EPERM)
		return pr_fail(-EFBIG, "cannot dump %d: cannot copy the data in the pipe at fd %d",
			       pid, fd);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read the pipe at fd %d", pid, fd);
	return 0;
}

int pipe_dump(FilesEntry *fe, int pid, int fd, const struct stat *st, FileEntry *e)
{
	size_t k;
	int r;

	e->kind = FD_KIND__FD_PIPE;
	e->has_ino = e->has_pipe_id = true;
	e->ino = st->st_ino;
	for (k = 0; k < fe->n_pipes; k++)
		if (fe->pipes[k]->ino == st->st_ino)
			break;
	if (k == fe->n_pipes) {
		PipeEntry *p = xmalloc(sizeof(*p));

		r = pipe_entry_dump(pid, fd, st->st_ino, p);
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

static bool pid_listed(const int *pids, size_t nr, int pid)
{
	for (size_t i = 0; i < nr; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* A process outside @pids holding pipe @ino, or 0. */
static int outside_holder(uint64_t ino, const int *pids, size_t nr_pids)
{
	char want[64], path[300], link[64];
	DIR *proc = opendir("/proc");
	struct dirent *de;
	int found = 0;

	if (!proc)
		return 0;
	snprintf(want, sizeof(want), "pipe:[%llu]", (unsigned long long)ino);
	while (!found && (de = readdir(proc))) {
		struct dirent *fe;
		DIR *fds;
		int pid;

		if (parse_pid(de->d_name, &pid) < 0 || pid == getpid() ||
		    pid_listed(pids, nr_pids, pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		while (fds && !found && (fe = readdir(fds))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, fe->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = 0;
				found = strcmp(link, want) ? 0 : pid;
			}
		}
		if (fds)
			closedir(fds);
	}
	closedir(proc);
	return found;
}

/*
 * A pipe with only one end in the tree is fine when nobody holds the
 * other (a reader then gets EOF after the data), but not when a process
 * outside the tree does: that process would lose its peer.
 */
int pipes_dump_finish(const FilesEntry *fe, const int *pids, size_t nr_pids)
{
	for (size_t k = 0; k < fe->n_pipes; k++) {
		bool ends[2] = { false, false };
		int holder;

		for (size_t i = 0; i < fe->n_files; i++) {
			const FileEntry *e = fe->files[i];

			if (e->kind == FD_KIND__FD_PIPE && e->pipe_id == k)
				ends[(e->flags & O_ACCMODE) == O_WRONLY] = true;
		}
		if (ends[0] && ends[1])
			continue;
		holder = outside_holder(fe->pipes[k]->ino, pids, nr_pids);
		if (holder)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump: pipe:[%llu] connects the tree to process %d outside it",
				(unsigned long long)fe->pipes[k]->ino, holder);
	}
	return 0;
}

static int pipe_create(const PipeEntry *pe, int scratch, struct open_pipe *op)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return pr_errno(-errno, "cannot restore: cannot create a pipe");
	op->end[0] = fd_move_above(fds[0], scratch);
	op->end[1] = fd_move_above(fds[1], scratch);
	if (op->end[0] < 0 || op->end[1] < 0)
		return pr_errno(-EMFILE, "cannot restore: cannot create a pipe");
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

int pipes_create(const FilesEntry *fe, int scratch, struct pipes_open **ret)
{
	struct pipes_open *po = xzalloc(sizeof(*po));
	int r = 0;

	po->p = xzalloc(fe->n_pipes * sizeof(*po->p) + 1);
	for (size_t k = 0; k < fe->n_pipes && r >= 0; k++) {
		po->p[k].end[0] = po->p[k].end[1] = -1;
		po->n++;
		r = pipe_create(fe->pipes[k], scratch, &po->p[k]);
	}
	*ret = po;
	return r;
}

int pipe_open(struct pipes_open *po, const FileEntry *e)
{
	int end = (e->flags & O_ACCMODE) == O_WRONLY;
	struct open_pipe *op = &po->p[e->pipe_id];
	int fd;

	if (!op->used[end]) {
		fd = dup(op->end[end]);
		op->used[end] = true;
	} else {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", op->end[end]);
		fd = open(path, (end ? O_WRONLY : O_RDONLY) | O_NONBLOCK);
	}
	if (fd < 0)
		return pr_errno(-errno, "cannot restore: cannot open a pipe end");
	/* O_NONBLOCK and the like; O_DIRECT (packet mode) is left out. */
	if (fcntl(fd, F_SETFL, e->flags & ~O_DIRECT) < 0) {
		int r = pr_errno(-errno, "cannot restore: cannot set the flags of a pipe end");

		close(fd);
		return r;
	}
	return fd;
}

void pipes_close(struct pipes_open *po)
{
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
}
