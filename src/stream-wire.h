/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_STREAM_WIRE_H
#define CKPT_STREAM_WIRE_H
/* The bytes of an image stream (the format: stream.h). */
#include "image.h"
#include "stream.h"

#include <stdint.h>
#include <string.h>

#define WIRE_MAGIC "CKPTSTRM"
#define WIRE_HEADER_SIZE 16

enum wire_type {
	WIRE_FILE = 1,
	WIRE_DATA = 2,
	WIRE_DONE = 3,
	WIRE_END = 4,
};

static inline void wire_put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t wire_get32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t wire_get64(const unsigned char *p)
{
	return wire_get32(p) | (uint64_t)wire_get32(p + 4) << 32;
}

static inline void wire_header(unsigned char h[WIRE_HEADER_SIZE])
{
	memcpy(h, WIRE_MAGIC, 8);
	wire_put32(h + 8, STREAM_VERSION);
	wire_put32(h + 12, crc32c(0, h, 12));
}

#endif
