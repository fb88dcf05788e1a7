// SPDX-License-Identifier: GPL-2.0
/* The dump side of an image stream (stream.h): the record writer, the
 * image layer's tap, --meta, and the dump's half of --handshake. */
#include "stream.h"
#include "stream-wire.h"

#include "image.h"
#include "fault.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

struct stream_out {
	int fd; /* stdout */
	int in; /* stdin: the restore side's lines (--handshake) */
	uint32_t crc; /* of every byte sent so far */
	uint32_t next_id;
	char **tapped; /* names of the files sent as written */
	size_t nr_tapped;
	int err; /* the first write error: nothing is sent after it */
	bool meta; /* --meta: the staged set stays, without its pages */
	bool staged; /* a private stage, removed at the end */
	struct stage stage;
	struct img_tap tap;
};

static int send_all(struct stream_out *so, const struct iovec *iov, int n)
{
	for (int i = 0; i < n && !so->err; i++) {
		int r = FAULT_OR(stream_send, -EPIPE,
				 write_full(so->fd, iov[i].iov_base, iov[i].iov_len));

		if (r < 0)
			so->err = r;
		else
			so->crc = crc32c(so->crc, iov[i].iov_base, iov[i].iov_len);
	}
	return so->err;
}

/* One record: its body is @a then @b. */
static int send_rec(struct stream_out *so, uint32_t type, const void *a, size_t alen, const void *b,
		    size_t blen)
{
	unsigned char h[8], t[4];
	uint32_t crc;
	struct iovec iov[4];

	if (so->err)
		return so->err;
	wire_put32(h, type);
	wire_put32(h + 4, (uint32_t)(alen + blen));
	crc = crc32c(0, h, sizeof(h));
	crc = crc32c(crc, a, alen);
	if (blen)
		crc = crc32c(crc, b, blen);
	wire_put32(t, crc);
	iov[0] = (struct iovec){ h, sizeof(h) };
	iov[1] = (struct iovec){ (void *)a, alen };
	iov[2] = (struct iovec){ (void *)b, blen };
	iov[3] = (struct iovec){ t, sizeof(t) };
	return send_all(so, iov, 4);
}

static int send_file_begin(struct stream_out *so, const char *name, enum img_kind kind,
			   uint32_t *ret_id)
{
	unsigned char b[8];

	*ret_id = so->next_id++;
	wire_put32(b, *ret_id);
	wire_put32(b + 4, img_kinds[kind].magic);
	return send_rec(so, WIRE_FILE, b, sizeof(b), name, strlen(name));
}

static int send_data(struct stream_out *so, uint32_t id, const void *buf, size_t len)
{
	const char *p = buf;
	unsigned char b[4];
	int r = 0;

	wire_put32(b, id);
	while (len && r >= 0) {
		size_t n = MIN(len, STREAM_CHUNK);

		r = send_rec(so, WIRE_DATA, b, sizeof(b), p, n);
		p += n;
		len -= n;
	}
	return r;
}

static int send_done(struct stream_out *so, uint32_t id, const unsigned char *header)
{
	unsigned char b[4];

	wire_put32(b, id);
	return send_rec(so, WIRE_DONE, b, sizeof(b), header, IMG_HEADER_SIZE);
}

/* ---- the image layer's tap: page images go out as they are written ---- */

static bool tap_wants(void *ctx, enum img_kind kind)
{
	return kind == IMG_PAGES;
}

static int tap_begin(void *ctx, const char *name, enum img_kind kind, uint32_t *ret_id)
{
	struct stream_out *so = ctx;

	so->tapped = xrealloc(so->tapped, (so->nr_tapped + 1) * sizeof(*so->tapped));
	so->tapped[so->nr_tapped++] = xstrdup(name);
	return send_file_begin(so, name, kind, ret_id);
}

static int tap_data(void *ctx, uint32_t id, const void *buf, size_t len)
{
	return send_data(ctx, id, buf, len);
}

static int tap_end(void *ctx, uint32_t id, const unsigned char header[IMG_HEADER_SIZE])
{
	return send_done(ctx, id, header);
}

static bool was_tapped(const struct stream_out *so, const char *name)
{
	for (size_t i = 0; i < so->nr_tapped; i++)
		if (!strcmp(so->tapped[i], name))
			return true;
	return false;
}

int stream_dump_begin(const struct options *o, struct imgdir *dir, struct stream_out **ret)
{
	struct stream_out *so;
	unsigned char h[WIRE_HEADER_SIZE];
	int r;

	if (isatty(STDOUT_FILENO))
		return pr_fail(
			-ENOTTY,
			"cannot dump %d: stdout is a terminal: --images - writes a stream, redirect it",
			o->pid);
	/* A reader gone is a write error (EPIPE) like any other, not an
	 * interruption (catch_interrupts() counts SIGPIPE as one). */
	signal(SIGPIPE, SIG_IGN);
	/* Fewer round trips through a pipe (1 MiB: the unprivileged limit). */
	(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, STREAM_CHUNK);
	so = xzalloc(sizeof(*so));
	so->fd = STDOUT_FILENO;
	so->in = STDIN_FILENO;
	so->stage.hold = -1;
	if (o->meta) {
		so->meta = true;
		r = imgdir_create(dir, o->meta);
	} else {
		r = stage_create(&so->stage, "dump");
		so->staged = r >= 0;
		if (r >= 0)
			r = imgdir_create(dir, so->stage.set);
	}
	if (r < 0) {
		stream_dump_end(so);
		return r;
	}
	wire_header(h);
	if (send_all(so, &(struct iovec){ h, sizeof(h) }, 1) < 0) {
		r = pr_errno(so->err, "cannot dump %d: cannot write the image stream", o->pid);
		imgdir_abort(dir);
		stream_dump_end(so);
		return r;
	}
	so->tap = (struct img_tap){ tap_wants, tap_begin, tap_data, tap_end, so };
	img_set_tap(&so->tap);
	*ret = so;
	return 0;
}

/* A file of the sealed set, whole: its payload, then its header. */
static int send_file(struct stream_out *so, int dirfd, const ImageFileEntry *f)
{
	_cleanup_close_ int fd = openat(dirfd, f->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *buf = xmalloc(STREAM_CHUNK);
	unsigned char h[IMG_HEADER_SIZE];
	uint64_t left;
	uint32_t id;
	int kind = img_kind_by_magic(f->magic), r;

	if (fd < 0)
		return -errno;
	if (kind < 0 || f->size < IMG_HEADER_SIZE)
		return -EBADMSG;
	r = read_full(fd, h, sizeof(h));
	if (r >= 0)
		r = send_file_begin(so, f->name, kind, &id);
	for (left = f->size - IMG_HEADER_SIZE; left && r >= 0;) {
		size_t n = MIN(left, STREAM_CHUNK);

		r = read_full(fd, buf, n);
		if (r >= 0)
			r = send_data(so, id, buf, n);
		left -= n;
	}
	return r < 0 ? r : send_done(so, id, h);
}

/* --meta: the set keeps every image but the pages, which went out; its
 * inventory says so (restore refuses it, a dump takes it as --parent). */
static int meta_rewrite(struct stream_out *so, struct imgdir *dir, InventoryEntry *inv)
{
	ImageFileEntry **all = inv->files, **kept = xzalloc((inv->n_files + 1) * sizeof(*kept));
	size_t n_all = inv->n_files, n = 0;
	int r = 0;

	for (size_t i = 0; i < n_all; i++) {
		if (!was_tapped(so, all[i]->name))
			kept[n++] = all[i];
		else if (unlinkat(dir->dirfd, all[i]->name, 0) < 0)
			r = -errno;
	}
	if (r >= 0 && unlinkat(dir->dirfd, "inventory.img", 0) < 0)
		r = -errno;
	inv->files = kept;
	inv->n_files = n;
	inv->has_pages_elsewhere = inv->pages_elsewhere = true;
	if (r >= 0)
		r = img_write_msg(dir->dirfd, IMG_INVENTORY, 0, &inv->base);
	inv->files = all;
	inv->n_files = n_all;
	inv->has_pages_elsewhere = inv->pages_elsewhere = false;
	free(kept);
	if (r >= 0 && fsync(dir->dirfd) < 0)
		r = -errno;
	return r;
}

int stream_dump_send(struct stream_out *so, struct imgdir *dir, InventoryEntry *inv, int root)
{
	struct img img;
	unsigned char b[4];
	int r = 0;

	for (size_t i = 0; i < inv->n_files && r >= 0; i++)
		if (!was_tapped(so, inv->files[i]->name))
			r = send_file(so, dir->dirfd, inv->files[i]);
	if (r < 0 && !so->err)
		return pr_errno(r, "cannot dump %d: cannot read back the images in '%s'", root,
				dir->tmp);
	if (r >= 0) {
		r = img_pack_mem(&img, IMG_INVENTORY, &inv->base);
		wire_put32(b, so->crc);
		if (r >= 0)
			r = send_rec(so, WIRE_END, b, sizeof(b), img.mem, img.mem_len);
		img_close(&img);
	}
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot write the image stream", root);
	if (so->meta) {
		r = meta_rewrite(so, dir, inv);
		if (r < 0)
			return pr_errno(
				r, "cannot dump %d: cannot write the set without pages in '%s'",
				root, dir->tmp);
	}
	return 0;
}

/*
 * One line of at most @size - 1 bytes from @fd, without its newline.
 * Read a byte at a time: what follows belongs to someone else. Waits in
 * poll(), which an interruption breaks (read would be restarted).
 * -EPIPE: the other side closed; -EPROTO: a line too long.
 */
int stream_read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;
		char c;

		if (interrupted())
			return -EINTR;
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		k = read(fd, &c, 1);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EPIPE;
		if (c == '\n')
			break;
		if (n + 1 == size)
			return -EPROTO;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

static const char *line_problem(int r, const char *line, char *out, size_t size)
{
	if (r == -EPIPE)
		return "it closed the connection";
	if (r == -EPROTO)
		return "it sent a line too long";
	if (r < 0) {
		snprintf(out, size, "%s", strerror(-r));
		return out;
	}
	snprintf(out, size, "it said '%s'", line);
	return out;
}

int stream_dump_wait_ready(struct stream_out *so, int root)
{
	char line[64], why[128];
	int r = stream_read_line(so->in, line, sizeof(line));

	if (r >= 0 && !strcmp(line, "ready"))
		return 0;
	if (r == -EINTR)
		return r;
	return pr_fail(
		r < 0 ? r : -EPROTO,
		"cannot dump %d: the restore side did not get ready (%s): the tree runs on here",
		root, line_problem(r, line, why, sizeof(why)));
}

int stream_dump_go(struct stream_out *so, int root, bool killed)
{
	char line[64], why[128];
	int r = FAULT_OR(stream_go, -EPIPE, write_full(so->fd, "go\n", 3));

	if (r < 0 && killed)
		return pr_errno(
			r,
			"cannot dump %d: the tree was killed once the restore side was ready, but 'go' could not be sent, so the restored copy is killed too: the job is lost",
			root);
	if (r < 0)
		return pr_errno(
			r,
			"cannot dump %d: 'go' could not be sent once the restore side was ready: the tree runs on here, the restored copy is killed",
			root);
	r = stream_read_line(so->in, line, sizeof(line));
	if (r >= 0 && !strncmp(line, "running ", 8)) {
		pr_debug("the restore side says: %s", line);
		return 0;
	}
	return pr_fail(
		r < 0 ? r : -EPROTO,
		"cannot dump %d: 'go' was sent but the restore side did not report the tree running (%s)%s",
		root, line_problem(r, line, why, sizeof(why)),
		killed ? "" : ": the tree runs on here too");
}

void stream_dump_end(struct stream_out *so)
{
	if (!so)
		return;
	img_set_tap(NULL);
	if (so->staged)
		stage_remove(&so->stage);
	for (size_t i = 0; i < so->nr_tapped; i++)
		free(so->tapped[i]);
	free(so->tapped);
	free(so);
}
