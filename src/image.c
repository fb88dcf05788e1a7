// SPDX-License-Identifier: GPL-2.0
#include "image.h"

#include "util.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

const struct img_kind_desc img_kinds[IMG_NR_KINDS] = {
	[IMG_INVENTORY] = { "inventory.img", 0x564e4901, "inventory" },
	[IMG_CORE] = { "core-%d.img", 0x524f4302, "process core" },
	[IMG_MM] = { "mm-%d.img", 0x004d4d03, "address space" },
	[IMG_PAGEMAP] = { "pagemap-%d.img", 0x50474d04, "page map" },
	[IMG_PAGES] = { "pages-%d.img", 0x53475005, "memory pages" },
	[IMG_FDINFO] = { "fdinfo-%d.img", 0x4e494605, "file descriptors" },
	[IMG_PSTREE] = { "pstree.img", 0x45525406, "process tree" },
	[IMG_FILES] = { "files.img", 0x534c4607, "open files" },
	[IMG_SHMEM] = { "shmem.img", 0x4d485308, "shared memory" },
	[IMG_SHMEM_PAGES] = { "shmem-pages-%d.img", 0x50485309, "shared memory pages" },
	[IMG_FILE_DATA] = { "filedata-%d.img", 0x5441440a, "file contents" },
	[IMG_IPC] = { "ipc.img", 0x43504931, "System V IPC" },
	[IMG_SYSV_SHM_PAGES] = { "sysv-shm-pages-%d.img", 0x48535332, "System V shm pages" },
	/* Named after a namespace's id, an inode number above INT_MAX. */
	[IMG_NS] = { "ns.img", 0x00534e33, "namespaces" },
	[IMG_NS_UTS] = { "uts-%u.img", 0x53545534, "UTS namespace" },
	[IMG_NS_IPC] = { "ipcns-%u.img", 0x4e435035, "IPC namespace" },
	[IMG_NS_IPC_SHM_PAGES] = { "ipcns-shm-pages-%d.img", 0x50435036,
				   "IPC namespace shm pages" },
	[IMG_NS_IPC_SYSCTL] = { "ipcns-sysctl-%u.img", 0x53435037, "IPC namespace limits" },
	[IMG_NS_TIME] = { "time-%u.img", 0x4d495438, "time namespace" },
	[IMG_NS_CGROUP] = { "cgroupns-%u.img", 0x4e474339, "cgroup namespace" },
	[IMG_MNT] = { "mnt-%u.img", 0x544e4d40, "mount namespace" },
	[IMG_MNT_FILES] = { "mnt-tmpfs-%u.img", 0x46504d41, "tmpfs files" },
	[IMG_NETNS] = { "net-%u.img", 0x534e5445, "network namespace" },
	[IMG_CGROUP] = { "cgroup.img", 0x50524743, "cgroups" },
	/* the namespace's id (an inode number) in place of a pid */
	[IMG_USERNS] = { "userns-%u.img", 0x4e535501, "user namespace" },
};

char *img_name(enum img_kind kind, int pid)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	return xasprintf(img_kinds[kind].name_fmt, pid);
#pragma GCC diagnostic pop
}

int img_kind_by_magic(uint32_t magic)
{
	for (int k = 0; k < IMG_NR_KINDS; k++)
		if (img_kinds[k].magic == magic)
			return k;
	return -1;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static uint32_t get32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get64(const unsigned char *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void header_pack(const struct img *img, unsigned char *h)
{
	put32(h, IMG_MAGIC);
	put32(h + 4, img_kinds[img->kind].magic);
	put32(h + 8, IMG_FORMAT_VERSION);
	put32(h + 12, img->codec);
	put64(h + 16, img->payload_len);
	put32(h + 24, img->crc);
	put32(h + 28, crc32c(0, h, 28));
}

static int header_check(struct img *img, const unsigned char *h, enum img_kind kind)
{
	if (get32(h) != IMG_MAGIC || get32(h + 28) != crc32c(0, h, 28))
		return -EBADMSG;
	if (get32(h + 4) != img_kinds[kind].magic)
		return -EBADMSG;
	if (get32(h + 8) != IMG_FORMAT_VERSION || get32(h + 12) >= IMG_NR_CODECS)
		return -EPROTONOSUPPORT;
	img->codec = get32(h + 12);
	img->payload_len = get64(h + 16);
	img->want_crc = get32(h + 24);
	return 0;
}

static void img_init(struct img *img, enum img_kind kind, bool writing)
{
	memset(img, 0, sizeof(*img));
	img->fd = -1;
	img->kind = kind;
	img->writing = writing;
}

static const struct img_tap *img_tap;

void img_set_tap(const struct img_tap *tap)
{
	img_tap = tap;
}

int img_create_file(struct img *img, int dirfd, const char *name, enum img_kind kind)
{
	int r;

	img_init(img, kind, true);
	img->fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (img->fd < 0)
		return -errno;
	if (img_tap && img_tap->wants(img_tap->ctx, kind)) {
		r = img_tap->begin(img_tap->ctx, name, kind, &img->tap_id);
		if (r < 0)
			return r;
		img->tapped = true;
	}
	/* Leave room for the header; it is written by img_finish(). */
	if (lseek(img->fd, IMG_HEADER_SIZE, SEEK_SET) < 0)
		return -errno;
	return 0;
}

void img_create_mem(struct img *img, enum img_kind kind)
{
	img_init(img, kind, true);
	img->mem_cap = 4096;
	img->mem = xzalloc(img->mem_cap);
	img->mem_len = IMG_HEADER_SIZE;
}

static int write_raw(struct img *img, const void *buf, size_t len)
{
	img->crc = crc32c(img->crc, buf, len);
	img->payload_len += len;
	if (img->tapped)
		return img_tap->data(img_tap->ctx, img->tap_id, buf, len);
	if (img->fd >= 0)
		return write_full(img->fd, buf, len);
	if (img->mem_len + len > img->mem_cap) {
		while (img->mem_len + len > img->mem_cap)
			img->mem_cap *= 2;
		img->mem = xrealloc(img->mem, img->mem_cap);
	}
	memcpy(img->mem + img->mem_len, buf, len);
	img->mem_len += len;
	return 0;
}

/* ---- frames of a compressed payload ---- */

struct img_frames {
	struct codec_ctx *cc;
	char *raw; /* the frame being filled, or read */
	size_t raw_len, raw_pos;
	char *stored; /* frame header and stored bytes */
	size_t stored_cap;
};

#define FRAME_HEADER 8

static struct img_frames *frames_of(struct img *img)
{
	struct img_frames *f = img->frames;

	if (f)
		return f;
	f = xzalloc(sizeof(*f));
	f->cc = codec_ctx_new(img->codec);
	f->raw = xmalloc(IMG_FRAME_LEN);
	f->stored_cap = FRAME_HEADER + MAX(codec_bound(img->codec), IMG_FRAME_LEN);
	f->stored = xmalloc(f->stored_cap);
	img->frames = f;
	return f;
}

static void frames_free(struct img *img)
{
	if (!img->frames)
		return;
	codec_ctx_free(img->frames->cc);
	free(img->frames->raw);
	free(img->frames->stored);
	free(img->frames);
	img->frames = NULL;
}

void img_set_codec(struct img *img, enum img_codec codec)
{
	img->codec = codec;
}

/* Store @n raw bytes at @src as one frame. */
static int frame_store(struct img *img, const void *src, size_t n)
{
	struct img_frames *f = frames_of(img);
	size_t stored = codec_compress(f->cc, src, n, f->stored + FRAME_HEADER,
				       f->stored_cap - FRAME_HEADER);

	if (!stored) {
		memcpy(f->stored + FRAME_HEADER, src, n);
		stored = n;
	}
	put32((unsigned char *)f->stored, (uint32_t)n);
	put32((unsigned char *)f->stored + 4, (uint32_t)stored);
	return write_raw(img, f->stored, FRAME_HEADER + stored);
}

int img_flush(struct img *img)
{
	struct img_frames *f = img->frames;
	int r;

	if (!img->codec || !f || !f->raw_len)
		return 0;
	r = frame_store(img, f->raw, f->raw_len);
	f->raw_len = 0;
	return r;
}

int img_write_summed(struct img *img, const void *buf, size_t len, uint32_t crc)
{
	if (img->codec || img->fd < 0)
		return img_write(img, buf, len);
	img->crc = crc32c_combine(img->crc, crc, len);
	img->payload_len += len;
	if (img->tapped)
		return img_tap->data(img_tap->ctx, img->tap_id, buf, len);
	return write_full(img->fd, buf, len);
}

int img_write(struct img *img, const void *buf, size_t len)
{
	const char *p = buf;
	struct img_frames *f;
	int r = 0;

	if (!img->codec)
		return write_raw(img, buf, len);
	f = frames_of(img);
	while (len && r >= 0) {
		size_t n = MIN(len, IMG_FRAME_LEN - f->raw_len);

		if (!f->raw_len && n == IMG_FRAME_LEN) {
			r = frame_store(img, p, n); /* a whole frame: no copy */
		} else {
			memcpy(f->raw + f->raw_len, p, n);
			f->raw_len += n;
			if (f->raw_len == IMG_FRAME_LEN)
				r = img_flush(img);
		}
		p += n;
		len -= n;
	}
	return r;
}

int img_finish(struct img *img)
{
	unsigned char h[IMG_HEADER_SIZE];
	int r = img_flush(img);

	if (r < 0)
		return r;
	header_pack(img, h);
	if (img->fd < 0) {
		memcpy(img->mem, h, sizeof(h));
		return 0;
	}
	/* Tapped: the payload went elsewhere, a hole stands for it. */
	if (img->tapped && ftruncate(img->fd, (off_t)(IMG_HEADER_SIZE + img->payload_len)) < 0)
		return -errno;
	if (pwrite(img->fd, h, sizeof(h), 0) != sizeof(h))
		return errno ? -errno : -EIO;
	if (img->tapped)
		return img_tap->end(img_tap->ctx, img->tap_id, h);
	return 0;
}

int img_open_file(struct img *img, int dirfd, const char *name, enum img_kind kind)
{
	/* O_NONBLOCK: a FIFO in place of an image must not block the open;
	 * it is refused just below. Regular files ignore the flag. A symlink
	 * is never followed out of the images directory (-ELOOP). */
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);

	if (fd < 0) {
		img_init(img, kind, false);
		return -errno;
	}
	return img_open_fd(img, fd, kind);
}

int img_open_fd(struct img *img, int fd, enum img_kind kind)
{
	unsigned char h[IMG_HEADER_SIZE];
	struct stat st;
	int r;

	img_init(img, kind, false);
	img->fd = fd;
	if (fstat(img->fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	r = read_full(img->fd, h, sizeof(h));
	if (r < 0)
		return r;
	r = header_check(img, h, kind);
	if (r < 0)
		return r;
	if ((uint64_t)st.st_size != IMG_HEADER_SIZE + img->payload_len)
		return (uint64_t)st.st_size < IMG_HEADER_SIZE + img->payload_len ? -EIO : -EBADMSG;
	return 0;
}

int img_open_mem(struct img *img, const void *buf, size_t len, enum img_kind kind)
{
	int r;

	img_init(img, kind, false);
	if (len < IMG_HEADER_SIZE)
		return -EIO;
	r = header_check(img, buf, kind);
	if (r < 0)
		return r;
	if (len != IMG_HEADER_SIZE + img->payload_len)
		return len < IMG_HEADER_SIZE + img->payload_len ? -EIO : -EBADMSG;
	img->mem = xmalloc(len);
	memcpy(img->mem, buf, len);
	img->mem_len = len;
	return 0;
}

int img_open_partial(struct img *img, int dirfd, const char *name, enum img_kind kind,
		     enum img_codec codec)
{
	struct stat st;

	img_init(img, kind, false);
	img->codec = codec;
	img->no_crc = true;
	img->fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (img->fd < 0)
		return -errno;
	if (fstat(img->fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	if (st.st_size < IMG_HEADER_SIZE)
		return -EIO;
	img->payload_len = (uint64_t)st.st_size - IMG_HEADER_SIZE;
	return lseek(img->fd, IMG_HEADER_SIZE, SEEK_SET) < 0 ? -errno : 0;
}

static int read_raw(struct img *img, void *buf, size_t len)
{
	int r;

	if (len > img->payload_len - img->pos)
		return -EIO;
	if (img->fd >= 0) {
		r = read_full(img->fd, buf, len);
		if (r < 0)
			return r;
	} else {
		memcpy(buf, img->mem + IMG_HEADER_SIZE + img->pos, len);
	}
	img->crc = crc32c(img->crc, buf, len);
	img->pos += len;
	if (img->pos == img->payload_len && img->crc != img->want_crc && !img->no_crc)
		return -EBADMSG;
	return 0;
}

/* The next frame into f->raw. */
static int frame_load(struct img *img)
{
	struct img_frames *f = frames_of(img);
	unsigned char h[FRAME_HEADER];
	uint32_t raw_len, stored;
	int r;

	if (img->pos == img->payload_len)
		return -EIO; /* asked for more than there is */
	r = read_raw(img, h, sizeof(h));
	if (r < 0)
		return r;
	raw_len = get32(h);
	stored = get32(h + 4);
	if (!raw_len || raw_len > IMG_FRAME_LEN || stored > raw_len || !stored)
		return -EBADMSG;
	if (stored == raw_len) {
		r = read_raw(img, f->raw, raw_len);
	} else {
		r = read_raw(img, f->stored, stored);
		if (r >= 0)
			r = codec_decompress(f->cc, f->stored, stored, f->raw, raw_len);
	}
	f->raw_len = r < 0 ? 0 : raw_len;
	f->raw_pos = 0;
	return r;
}

int img_read(struct img *img, void *buf, size_t len)
{
	char *p = buf;

	if (!img->codec)
		return read_raw(img, buf, len);
	while (len) {
		struct img_frames *f = frames_of(img);
		size_t n;
		int r;

		if (f->raw_pos == f->raw_len) {
			r = frame_load(img);
			if (r < 0)
				return r;
		}
		n = MIN(len, f->raw_len - f->raw_pos);
		memcpy(p, f->raw + f->raw_pos, n);
		f->raw_pos += n;
		p += n;
		len -= n;
	}
	return 0;
}

bool img_at_end(const struct img *img)
{
	return img->pos == img->payload_len &&
	       (!img->frames || img->frames->raw_pos == img->frames->raw_len);
}

/* A part of a payload checksummed on its own (img_verify). */
struct verify_part {
	int fd;
	uint64_t off, len; /* in the file */
	uint32_t crc;
	int err;
};

#define VERIFY_CHUNK (1 << 20)
#define VERIFY_SPLIT_MIN (64ull << 20) /* smaller: one thread is as fast */

static void *verify_part_run(void *arg)
{
	struct verify_part *p = arg;
	_cleanup_free_ char *buf = xmalloc(VERIFY_CHUNK);

	for (uint64_t done = 0; done < p->len && !p->err;) {
		size_t n = MIN(VERIFY_CHUNK, p->len - done);

		p->err = pread_full(p->fd, buf, n, (off_t)(p->off + done));
		if (!p->err)
			p->crc = crc32c(p->crc, buf, n);
		done += n;
	}
	return NULL;
}

/*
 * A large payload read back on two CPUs (a dump reads its page images back
 * while the tree is frozen): its halves are checksummed side by side and
 * their CRCs joined. Returns 1 if it could not start a thread.
 */
static int verify_split(struct img *img)
{
	uint64_t half = (img->payload_len / 2) & ~(uint64_t)(VERIFY_CHUNK - 1);
	struct verify_part a = { img->fd, IMG_HEADER_SIZE, half, 0, 0 };
	struct verify_part b = { img->fd, IMG_HEADER_SIZE + half, img->payload_len - half, 0, 0 };
	pthread_t t;

	if (pthread_create(&t, NULL, verify_part_run, &b))
		return 1;
	verify_part_run(&a);
	pthread_join(t, NULL);
	if (a.err || b.err)
		return a.err ?: b.err;
	img->crc = crc32c_combine(a.crc, b.crc, b.len);
	img->pos = img->payload_len;
	return img->crc == img->want_crc || img->no_crc ? 0 : -EBADMSG;
}

int img_verify(struct img *img)
{
	size_t chunk = VERIFY_CHUNK;
	_cleanup_free_ char *buf = NULL;
	int r;

	if (img->fd >= 0 && img->pos == 0 && img->payload_len >= VERIFY_SPLIT_MIN) {
		r = verify_split(img);
		if (r <= 0)
			return r;
	}
	buf = xmalloc(chunk);
	if (img->pos == img->payload_len)
		return img->crc == img->want_crc ? 0 : -EBADMSG;
	while (img->pos < img->payload_len) {
		r = read_raw(img, buf, MIN(chunk, img->payload_len - img->pos));
		if (r < 0)
			return r;
	}
	return 0;
}

void img_close(struct img *img)
{
	frames_free(img);
	if (img->fd >= 0)
		close(img->fd);
	free(img->mem);
	img->fd = -1;
	img->mem = NULL;
}

int img_pack_mem(struct img *img, enum img_kind kind, const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	_cleanup_free_ uint8_t *buf = xmalloc(len);

	protobuf_c_message_pack(msg, buf);
	img_create_mem(img, kind);
	img_write(img, buf, len);
	return img_finish(img);
}

int img_write_msg(int dirfd, enum img_kind kind, int pid, const ProtobufCMessage *msg)
{
	_cleanup_free_ char *name = img_name(kind, pid);
	size_t len = protobuf_c_message_get_packed_size(msg);
	_cleanup_free_ uint8_t *buf = xmalloc(len);
	struct img img;
	int r;

	protobuf_c_message_pack(msg, buf);
	r = img_create_file(&img, dirfd, name, kind);
	if (r >= 0)
		r = img_write(&img, buf, len);
	if (r >= 0)
		r = img_finish(&img);
	img_close(&img);
	return r;
}

/* Largest message image accepted; guards against absurd lengths in a
 * hostile or corrupted header before allocating. */
#define IMG_MSG_MAX (64u << 20)

/*
 * What protobuf-c may allocate to unpack one message: elements of repeated
 * fields cost far more in memory than on disk (an empty message is two
 * bytes there, a struct of a hundred here), so the total is bounded by a
 * multiple of the payload and by a hard cap. Blocks come from malloc, so
 * protobuf_c_message_free_unpacked(msg, NULL) frees them.
 */
#define UNPACK_RATIO 64
#define UNPACK_SLACK (16u << 20)
#define UNPACK_CAP (1ULL << 30)

struct unpack_budget {
	uint64_t left;
};

static void *budget_alloc(void *data, size_t size)
{
	struct unpack_budget *b = data;

	if (size > b->left)
		return NULL;
	b->left -= size;
	return malloc(size);
}

static void budget_free(void *data, void *p)
{
	free(p);
}

int img_unpack(struct img *img, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret_msg)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct unpack_budget budget;
	ProtobufCAllocator alloc = { budget_alloc, budget_free, &budget };
	ProtobufCMessage *msg;
	int r;

	if (img->payload_len > IMG_MSG_MAX || img->codec)
		return -EBADMSG;
	budget.left = MIN(img->payload_len * UNPACK_RATIO + UNPACK_SLACK, UNPACK_CAP);
	buf = xmalloc(img->payload_len ?: 1);
	r = img_read(img, buf, img->payload_len);
	if (r < 0)
		return r;
	msg = protobuf_c_message_unpack(desc, &alloc, img->payload_len, buf);
	if (!msg)
		return -EBADMSG;
	*ret_msg = msg;
	return 0;
}

int img_read_msg(int dirfd, enum img_kind kind, int pid, const ProtobufCMessageDescriptor *desc,
		 ProtobufCMessage **ret_msg)
{
	_cleanup_free_ char *name = img_name(kind, pid);
	struct img img;
	int r;

	r = img_open_file(&img, dirfd, name, kind);
	if (r >= 0)
		r = img_unpack(&img, desc, ret_msg);
	img_close(&img);
	return r;
}
