// SPDX-License-Identifier: GPL-2.0
/* Codecs of image payloads (see compress.h). */
#include "compress.h"

#include "util.h"

#include <lz4.h>
#include <string.h>
#include <zstd.h>

/* Level 1: the fastest of the usual levels, and most of the gain. */
#define ZSTD_LEVEL 1

static const char *const codec_names[IMG_NR_CODECS] = {
	[IMG_CODEC_NONE] = "none",
	[IMG_CODEC_LZ4] = "lz4",
	[IMG_CODEC_ZSTD] = "zstd",
};

struct codec_ctx {
	enum img_codec codec;
	ZSTD_CCtx *zc;
	ZSTD_DCtx *zd;
};

int img_codec_by_name(const char *name)
{
	for (int c = 0; c < IMG_NR_CODECS; c++)
		if (!strcmp(name, codec_names[c]))
			return c;
	return -1;
}

const char *img_codec_name(enum img_codec c)
{
	return c < IMG_NR_CODECS ? codec_names[c] : "unknown";
}

struct codec_ctx *codec_ctx_new(enum img_codec c)
{
	struct codec_ctx *cc = xzalloc(sizeof(*cc));

	cc->codec = c;
	return cc;
}

void codec_ctx_free(struct codec_ctx *cc)
{
	if (!cc)
		return;
	ZSTD_freeCCtx(cc->zc);
	ZSTD_freeDCtx(cc->zd);
	free(cc);
}

size_t codec_bound(enum img_codec c)
{
	if (c == IMG_CODEC_ZSTD)
		return ZSTD_compressBound(IMG_FRAME_LEN);
	return (size_t)LZ4_compressBound(IMG_FRAME_LEN);
}

size_t codec_compress(struct codec_ctx *cc, const void *src, size_t n, void *dst, size_t cap)
{
	size_t out = 0;

	if (cc->codec == IMG_CODEC_LZ4) {
		int r = LZ4_compress_default(src, dst, (int)n, (int)cap);

		out = r > 0 ? (size_t)r : 0;
	} else if (cc->codec == IMG_CODEC_ZSTD) {
		if (!cc->zc)
			cc->zc = ZSTD_createCCtx();
		if (!cc->zc)
			return 0;
		out = ZSTD_compressCCtx(cc->zc, dst, cap, src, n, ZSTD_LEVEL);
		if (ZSTD_isError(out))
			out = 0;
	}
	return out < n ? out : 0;
}

int codec_decompress(struct codec_ctx *cc, const void *src, size_t n, void *dst, size_t raw_len)
{
	if (cc->codec == IMG_CODEC_LZ4) {
		int r = LZ4_decompress_safe(src, dst, (int)n, (int)raw_len);

		return r == (int)raw_len ? 0 : -EBADMSG;
	}
	if (cc->codec == IMG_CODEC_ZSTD) {
		size_t r;

		if (!cc->zd)
			cc->zd = ZSTD_createDCtx();
		if (!cc->zd)
			return -ENOMEM;
		r = ZSTD_decompressDCtx(cc->zd, dst, raw_len, src, n);
		return !ZSTD_isError(r) && r == raw_len ? 0 : -EBADMSG;
	}
	return -EBADMSG;
}
