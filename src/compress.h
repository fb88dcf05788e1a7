/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_COMPRESS_H
#define CKPT_COMPRESS_H
/*
 * The codecs an image payload may be compressed with (dump --compress):
 * LZ4, fast (~2 GB/s here on a python heap, to 29%), and zstd at level 1,
 * smaller (~1.2 GB/s, to 14%). image.c cuts the payload in frames and
 * calls these on each; this file only knows the libraries. No logging.
 */
#include <stdbool.h>
#include <stddef.h>

enum img_codec {
	IMG_CODEC_NONE,
	IMG_CODEC_LZ4,
	IMG_CODEC_ZSTD,
	IMG_NR_CODECS,
};

/* "lz4", "zstd" (or "none"); -1 for any other name. */
int img_codec_by_name(const char *name);
const char *img_codec_name(enum img_codec c);

/* Largest frame, raw. */
#define IMG_FRAME_LEN (1U << 20)

struct codec_ctx;
struct codec_ctx *codec_ctx_new(enum img_codec c);
void codec_ctx_free(struct codec_ctx *cc);
/* Room a compressed frame may need. */
size_t codec_bound(enum img_codec c);
/* Compress @n bytes of @src into @dst (@cap bytes); the compressed
 * length, or 0 if it would not be smaller than @n. */
size_t codec_compress(struct codec_ctx *cc, const void *src, size_t n, void *dst, size_t cap);
/* Decompress @n bytes of @src into exactly @raw_len bytes at @dst;
 * -EBADMSG if they are not a frame of that length. */
int codec_decompress(struct codec_ctx *cc, const void *src, size_t n, void *dst, size_t raw_len);

#endif
