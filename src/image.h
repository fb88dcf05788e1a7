/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_IMAGE_H
#define CKPT_IMAGE_H
/*
 * Image files. Each image file is a 32-byte header followed by a payload:
 *
 *	u32 magic "CKPT"   u32 kind magic   u32 format version   u32 flags
 *	u64 payload length u32 CRC32C of payload   u32 CRC32C of the 28 bytes before
 *
 * The header is written last (a writer streams the payload, then fills the
 * header in), so a file cut short never verifies. Message images hold one
 * packed protobuf message; page images hold raw pages.
 *
 * Flags: the codec (compress.h) the payload is compressed with, 0 for none.
 * A compressed payload is a series of frames, each holding at most
 * IMG_FRAME_LEN bytes of the raw payload:
 *
 *	u32 raw length   u32 stored length   stored bytes
 *
 * stored compressed, or as they are if that is not smaller (stored length
 * = raw length). img_read and img_write deal in raw bytes either way; the
 * length and the checksum in the header are those of what is stored.
 *
 * Two backends share one API: a file (created 0600) and a memory buffer, so
 * that images round-trip in unit tests without touching disk. The layer
 * does not log: functions return 0 or -errno, -EBADMSG for a bad header or
 * checksum, -EIO for a truncated file.
 */
#include "compress.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define IMG_MAGIC 0x54504b43u /* "CKPT" little-endian */
#define IMG_FORMAT_VERSION 2
#define IMG_HEADER_SIZE 32

enum img_kind {
	IMG_INVENTORY,
	IMG_CORE,
	IMG_MM,
	IMG_PAGEMAP,
	IMG_PAGES,
	IMG_FDINFO,
	IMG_PSTREE,
	IMG_FILES,
	IMG_SHMEM,
	IMG_SHMEM_PAGES,
	IMG_FILE_DATA,
	IMG_IPC,
	IMG_SYSV_SHM_PAGES,
	IMG_NS, /* ns.img: the tree's namespaces (ns.c) */
	IMG_NS_UTS, /* uts-ID.img (ns-uts.c) */
	IMG_NS_IPC, /* ipcns-ID.img: the objects of an IPC namespace (ns-ipc.c) */
	IMG_NS_IPC_SHM_PAGES, /* ipcns-shm-pages-SHMID.img */
	IMG_NS_IPC_SYSCTL, /* ipcns-sysctl-ID.img: its limits */
	IMG_NS_TIME, /* time-ID.img (ns-time.c) */
	IMG_NS_CGROUP, /* cgroupns-ID.img (ns-cgroup.c) */
	IMG_MNT,
	IMG_MNT_FILES,
	IMG_NETNS, /* netns-ID.img (ns-net.c) */
	IMG_CGROUP,
	IMG_USERNS,
	IMG_NR_KINDS,
};

struct img_kind_desc {
	const char *name_fmt; /* file name, "%d" for the pid (or object id) */
	uint32_t magic;
	const char *what; /* for messages: "memory pages", ... */
};
extern const struct img_kind_desc img_kinds[IMG_NR_KINDS];

/* File name of an image of @kind for @pid; caller frees. */
char *img_name(enum img_kind kind, int pid);
/* Which kind a file name is, from its magic; -1 if unknown. */
int img_kind_by_magic(uint32_t magic);

struct img {
	int fd; /* file backend; -1 for memory */
	unsigned char *mem; /* memory backend: whole file, header included */
	size_t mem_len, mem_cap;
	enum img_kind kind;
	bool writing;
	uint64_t payload_len; /* written so far, or from the header */
	uint64_t pos; /* read position in the payload */
	uint32_t crc; /* running CRC32C of the payload */
	uint32_t want_crc; /* from the header, when reading */
	bool no_crc; /* img_open_partial: no header to check against */
	enum img_codec codec;
	struct img_frames *frames; /* compressed: the frame in hand */
	bool tapped; /* its payload goes to the tap as written (stream.c) */
	uint32_t tap_id;
};

/*
 * A tap (stream.c, `dump --images -`): image files of the kinds it wants
 * are not kept whole in the directory. Their payload goes to the tap as it
 * is written, and the file only gets a hole of that size and the header,
 * so that img_open_file() still sees a complete image of the right size
 * (with zeros for a payload: reading it fails its checksum). Library
 * callbacks: 0 or -errno, no logging.
 */
struct img_tap {
	bool (*wants)(void *ctx, enum img_kind kind);
	int (*begin)(void *ctx, const char *name, enum img_kind kind, uint32_t *ret_id);
	int (*data)(void *ctx, uint32_t id, const void *buf, size_t len);
	int (*end)(void *ctx, uint32_t id, const unsigned char header[IMG_HEADER_SIZE]);
	void *ctx;
};
/* Set (or with NULL clear) the tap of every file image created from now on. */
void img_set_tap(const struct img_tap *tap);

int img_create_file(struct img *img, int dirfd, const char *name, enum img_kind kind);
void img_create_mem(struct img *img, enum img_kind kind);
/* Compress what is written from now on with @codec. */
void img_set_codec(struct img *img, enum img_codec codec);
int img_write(struct img *img, const void *buf, size_t len);
/* img_write of bytes whose crc32c(0, @buf, @len) is @crc, taken by the
 * caller (on another thread: the writer then only writes). A compressed
 * image ignores @crc and checksums what it stores. */
int img_write_summed(struct img *img, const void *buf, size_t len, uint32_t crc);
/* Store what is written so far, compressed: it ends a frame. */
int img_flush(struct img *img);
/* Write the header. After this the image is complete. */
int img_finish(struct img *img);

/* Open for reading: checks the header (magic, kind, version). The payload
 * CRC is checked by img_read() when the last byte is read, or by
 * img_verify() in one go. */
int img_open_file(struct img *img, int dirfd, const char *name, enum img_kind kind);
/* The same for @fd, opened already (as img_open_file does), now @img's. */
int img_open_fd(struct img *img, int fd, enum img_kind kind);
int img_open_mem(struct img *img, const void *buf, size_t len, enum img_kind kind);
/* The payload of an image being written that has no header yet (a dump
 * giving pages back), read as written with @codec, unchecked. */
int img_open_partial(struct img *img, int dirfd, const char *name, enum img_kind kind,
		     enum img_codec codec);
int img_read(struct img *img, void *buf, size_t len);
/* Every byte of the payload read (raw: no frame left half read either). */
bool img_at_end(const struct img *img);
/* Read and checksum the rest of the payload without keeping it. */
int img_verify(struct img *img);
void img_close(struct img *img);

/* One message per file. img_read_msg() returns a message to free with
 * protobuf_c_message_free_unpacked(). */
int img_write_msg(int dirfd, enum img_kind kind, int pid, const ProtobufCMessage *msg);
int img_read_msg(int dirfd, enum img_kind kind, int pid, const ProtobufCMessageDescriptor *desc,
		 ProtobufCMessage **ret_msg);
int img_pack_mem(struct img *img, enum img_kind kind, const ProtobufCMessage *msg);
int img_unpack(struct img *img, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret_msg);

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
/* crc32c(0, A then B) from crc32c(0, A) and crc32c(0, B), B @len_b bytes. */
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

#endif
