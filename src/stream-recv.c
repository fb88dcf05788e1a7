// SPDX-License-Identifier: GPL-2.0
/* The receiving side of an image stream (format: stream.h). Everything
 * read is hostile: it is checked before it is written anywhere but into
 * the temporary directory, which becomes an image set last. */
#include "stream.h"
#include "stream-wire.h"

#include "image.h"
#include "fault.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define NAME_LEN_MAX 64
#define INVENTORY_MAX (16u << 20)
/* The largest body: a DATA record's id and chunk. */
#define BODY_MAX (4 + STREAM_CHUNK)

struct rfile {
	bool open;
	uint32_t id;
	int fd;
	int kind;
	uint64_t len; /* payload bytes so far */
	uint32_t crc; /* their CRC32C */
	char name[NAME_LEN_MAX + 1];
};

struct got {
	char *name;
	uint32_t magic;
	uint64_t size;
};

struct recv {
	int fd;
	struct imgdir *d;
	uint32_t crc; /* of every byte read so far */
	struct rfile open[STREAM_OPEN_MAX];
	struct got *got; /* files complete */
	size_t nr_got;
	unsigned char *body;
};

bool stream_name_ok(const char *name, int kind)
{
	const char *fmt, *pct, *mid;
	size_t pre, suf, len, digits;
	unsigned long long v;

	if (kind < 0 || kind >= IMG_NR_KINDS)
		return false;
	fmt = img_kinds[kind].name_fmt;
	pct = strchr(fmt, '%');
	if (!pct)
		return !strcmp(name, fmt);
	pre = (size_t)(pct - fmt);
	suf = strlen(pct + 2);
	len = strlen(name);
	if (len < pre + suf + 1 || strncmp(name, fmt, pre) || strcmp(name + len - suf, pct + 2))
		return false;
	mid = name + pre;
	digits = len - pre - suf;
	if (digits > 10 || (mid[0] == '0' && digits > 1))
		return false;
	v = 0;
	for (size_t i = 0; i < digits; i++) {
		if (mid[i] < '0' || mid[i] > '9')
			return false;
		v = v * 10 + (unsigned)(mid[i] - '0');
	}
	return pct[1] == 'u' ? v <= UINT32_MAX : v <= INT_MAX;
}

static int bad(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(int r, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pr_fail(r, "cannot read the image stream: %s", what);
}

static int get(struct recv *rv, void *buf, size_t len)
{
	int r = read_full(rv->fd, buf, len);

	if (r == -EIO)
		return bad(-EIO, "it ends early (cut short?)");
	if (r < 0)
		return pr_errno(r, "cannot read the image stream");
	rv->crc = crc32c(rv->crc, buf, len);
	return 0;
}

static struct rfile *find_open(struct recv *rv, uint32_t id)
{
	for (int i = 0; i < STREAM_OPEN_MAX; i++)
		if (rv->open[i].open && rv->open[i].id == id)
			return &rv->open[i];
	return NULL;
}

static int on_file(struct recv *rv, const unsigned char *b, uint32_t len)
{
	uint32_t id, magic;
	struct rfile *f = NULL;
	int kind;

	if (len < 9 || len > 8 + NAME_LEN_MAX)
		return bad(-EBADMSG, "a file record of %u bytes", len);
	id = wire_get32(b);
	magic = wire_get32(b + 4);
	if (find_open(rv, id))
		return bad(-EBADMSG, "file %u begins twice", id);
	for (int i = 0; i < STREAM_OPEN_MAX && !f; i++)
		if (!rv->open[i].open)
			f = &rv->open[i];
	if (!f)
		return bad(-EBADMSG, "more than %d files at once", STREAM_OPEN_MAX);
	if (rv->nr_got >= STREAM_FILES_MAX)
		return bad(-EBADMSG, "more than %u files", STREAM_FILES_MAX);
	memcpy(f->name, b + 8, len - 8);
	f->name[len - 8] = '\0';
	kind = img_kind_by_magic(magic);
	if (strlen(f->name) != len - 8 || kind < 0 || kind == IMG_INVENTORY ||
	    !stream_name_ok(f->name, kind))
		return bad(-EBADMSG, "a file name that no image has ('%s')", f->name);
	f->fd = openat(rv->d->dirfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	if (f->fd < 0 && errno == EEXIST)
		return bad(-EBADMSG, "'%s' comes twice", f->name);
	if (f->fd < 0 || lseek(f->fd, IMG_HEADER_SIZE, SEEK_SET) < 0)
		return pr_errno(-errno, "cannot write '%s/%s'", rv->d->tmp, f->name);
	f->open = true;
	f->id = id;
	f->kind = kind;
	f->len = 0;
	f->crc = 0;
	return 0;
}

static int on_data(struct recv *rv, const unsigned char *b, uint32_t len)
{
	struct rfile *f = len < 4 ? NULL : find_open(rv, wire_get32(b));
	int r;

	if (!f)
		return bad(-EBADMSG, "data for no open file");
	r = FAULT_OR(stream_recv_write, -ENOSPC, write_full(f->fd, b + 4, len - 4));
	if (r < 0)
		return pr_errno(r, "cannot write '%s/%s'", rv->d->tmp, f->name);
	f->len += len - 4;
	f->crc = crc32c(f->crc, b + 4, len - 4);
	return 0;
}

/* The image header sent last must be the one of the bytes received. */
static int on_done(struct recv *rv, const unsigned char *b, uint32_t len)
{
	struct rfile *f = len == 4 + IMG_HEADER_SIZE ? find_open(rv, wire_get32(b)) : NULL;
	const unsigned char *h = b + 4;
	struct got *g;
	int r;

	if (!f)
		return bad(-EBADMSG, "the end of no open file");
	if (wire_get32(h) != IMG_MAGIC || wire_get32(h + 4) != img_kinds[f->kind].magic ||
	    wire_get32(h + 28) != crc32c(0, h, 28) || wire_get64(h + 16) != f->len ||
	    wire_get32(h + 24) != f->crc)
		return bad(-EBADMSG, "'%s' does not match its header", f->name);
	r = pwrite_full(f->fd, h, IMG_HEADER_SIZE, 0);
	if (r >= 0 && fsync(f->fd) < 0)
		r = -errno;
	if (r < 0)
		return pr_errno(r, "cannot write '%s/%s'", rv->d->tmp, f->name);
	close(f->fd);
	f->open = false;
	rv->got = xrealloc(rv->got, (rv->nr_got + 1) * sizeof(*rv->got));
	g = &rv->got[rv->nr_got++];
	g->name = xstrdup(f->name);
	g->magic = img_kinds[f->kind].magic;
	g->size = IMG_HEADER_SIZE + f->len;
	return 0;
}

/* The inventory must list exactly the files received. */
static int on_end(struct recv *rv, const unsigned char *b, uint32_t len, uint32_t crc_before)
{
	InventoryEntry *inv = NULL;
	_cleanup_close_ int fd = -1;
	struct img img;
	int r;

	if (len < 4 + IMG_HEADER_SIZE)
		return bad(-EBADMSG, "an end record of %u bytes", len);
	if (wire_get32(b) != crc_before)
		return bad(-EBADMSG, "its checksum does not match");
	for (int i = 0; i < STREAM_OPEN_MAX; i++)
		if (rv->open[i].open)
			return bad(-EBADMSG, "'%s' is not complete", rv->open[i].name);
	r = img_open_mem(&img, b + 4, len - 4, IMG_INVENTORY);
	if (r >= 0)
		r = img_unpack(&img, &inventory_entry__descriptor, (ProtobufCMessage **)&inv);
	img_close(&img);
	if (r < 0)
		return bad(r, "its inventory: %s", img_strerror(r));
	if (inv->n_files != rv->nr_got || inv->pages_elsewhere)
		r = -EBADMSG;
	for (size_t i = 0; i < inv->n_files && r >= 0; i++) {
		const struct got *g = NULL;

		for (size_t j = 0; j < rv->nr_got && !g; j++)
			if (!strcmp(rv->got[j].name, inv->files[i]->name))
				g = &rv->got[j];
		if (!g || g->magic != inv->files[i]->magic || g->size != inv->files[i]->size)
			r = -EBADMSG;
	}
	protobuf_c_message_free_unpacked(&inv->base, NULL);
	if (r < 0)
		return bad(r, "its inventory does not list the files it carries");
	fd = openat(rv->d->dirfd, "inventory.img",
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	r = fd < 0 ? -errno : write_full(fd, b + 4, len - 4);
	if (r >= 0 && (fsync(fd) < 0 || fsync(rv->d->dirfd) < 0))
		r = -errno;
	if (r < 0)
		return pr_errno(r, "cannot write '%s/inventory.img'", rv->d->tmp);
	return 0;
}

static int read_header(struct recv *rv)
{
	unsigned char h[WIRE_HEADER_SIZE];
	int r = get(rv, h, sizeof(h));

	if (r < 0)
		return r;
	if (memcmp(h, WIRE_MAGIC, 8) || wire_get32(h + 12) != crc32c(0, h, 12))
		return bad(-EBADMSG, "it is not an image stream");
	if (wire_get32(h + 8) != STREAM_VERSION)
		return bad(-EPROTONOSUPPORT, "version %u (this ckpt reads %u)", wire_get32(h + 8),
			   STREAM_VERSION);
	return 0;
}

/* Records up to and with END. */
static int read_records(struct recv *rv)
{
	for (;;) {
		unsigned char h[8], t[4];
		uint32_t type, len, max, crc_before = rv->crc;
		int r;

		if (interrupted())
			return -EINTR;
		r = get(rv, h, sizeof(h));
		if (r < 0)
			return r;
		type = wire_get32(h);
		len = wire_get32(h + 4);
		max = type == WIRE_END ? 4 + INVENTORY_MAX : BODY_MAX;
		if (type < WIRE_FILE || type > WIRE_END)
			return bad(-EBADMSG, "a record of unknown type %u", type);
		if (len > max)
			return bad(-EBADMSG, "a record of %u bytes", len);
		if (type == WIRE_END && len > BODY_MAX)
			rv->body = xrealloc(rv->body, len);
		r = get(rv, rv->body, len);
		if (r >= 0)
			r = get(rv, t, sizeof(t));
		if (r < 0)
			return r;
		if (wire_get32(t) != crc32c(crc32c(0, h, sizeof(h)), rv->body, len))
			return bad(-EBADMSG, "a record fails its checksum");
		switch (type) {
		case WIRE_FILE:
			r = on_file(rv, rv->body, len);
			break;
		case WIRE_DATA:
			r = on_data(rv, rv->body, len);
			break;
		case WIRE_DONE:
			r = on_done(rv, rv->body, len);
			break;
		default:
			return on_end(rv, rv->body, len, crc_before);
		}
		if (r < 0)
			return r;
	}
}

int stream_receive(int fd, struct imgdir *d)
{
	struct recv rv = { .fd = fd, .d = d };
	int r;

	rv.body = xmalloc(BODY_MAX);
	(void)fcntl(fd, F_SETPIPE_SZ, STREAM_CHUNK); /* a pipe: fewer round trips */
	r = read_header(&rv);
	if (r >= 0)
		r = read_records(&rv);
	for (int i = 0; i < STREAM_OPEN_MAX; i++)
		if (rv.open[i].open)
			close(rv.open[i].fd);
	for (size_t i = 0; i < rv.nr_got; i++)
		free(rv.got[i].name);
	free(rv.got);
	free(rv.body);
	if (r >= 0)
		r = imgdir_publish(d);
	else
		imgdir_abort(d);
	return r;
}
