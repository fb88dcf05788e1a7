// SPDX-License-Identifier: GPL-2.0
/*
 * CRC32C (Castagnoli), with the SSE4.2 crc32 instruction when the CPU has
 * it, else a table. Used for every image.
 *
 * The instruction takes 3 cycles, but a new one can start every cycle: a
 * large buffer is cut in three lanes checksummed side by side, and the
 * three CRCs are joined. Joining uses what CRCs are: the remainder of the
 * message polynomial modulo P, so crc(A then B) = crc(A) * x^(8|B|) mod P
 * xor crc(B) (for the pre- and post-inverted CRC as well, with the
 * inversion of crc(B) alone). All in the bit-reflected form of the
 * polynomial, where x^0 is the top bit.
 */
#include "image.h"

#include <stdint.h>
#include <string.h>

#define CRC32C_POLY 0x82f63b78u

static uint32_t crc_table[256];

static void crc_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (c & 1 ? CRC32C_POLY : 0);
		crc_table[i] = c;
	}
}

static uint32_t crc32c_sw(uint32_t crc, const unsigned char *p, size_t len)
{
	if (!crc_table[1])
		crc_table_init();
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p,
							    size_t len)
{
	uint64_t c = crc;

	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}

/* a * b mod P, bit-reflected. */
static uint32_t gf2_mulmod(uint32_t a, uint32_t b)
{
	uint32_t m = 1u << 31, p = 0;

	for (;;) {
		if (a & m) {
			p ^= b;
			if ((a & (m - 1)) == 0)
				break;
		}
		m >>= 1;
		b = b & 1 ? (b >> 1) ^ CRC32C_POLY : b >> 1;
	}
	return p;
}

/* x^(8n) mod P: the product of x^(2^k) for the bits of 8n. */
static uint32_t x8n_mod(uint64_t n)
{
	uint32_t x2k = 1u << 30; /* x^1, reflected */
	uint32_t r = 1u << 31; /* x^0 */

	n *= 8;
	while (n) {
		if (n & 1)
			r = gf2_mulmod(x2k, r);
		x2k = gf2_mulmod(x2k, x2k);
		n >>= 1;
	}
	return r;
}

#define LANE_MIN 4096 /* below this, one lane is as fast */

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw3(uint32_t crc, const unsigned char *p,
							     size_t len)
{
	size_t lane = len / 3 & ~(size_t)7;
	const unsigned char *p1 = p + lane, *p2 = p + 2 * lane;
	uint64_t c0 = crc, c1 = 0, c2 = 0;
	uint32_t shift;

	for (size_t i = 0; i < lane; i += 8) {
		uint64_t v0, v1, v2;

		memcpy(&v0, p + i, 8);
		memcpy(&v1, p1 + i, 8);
		memcpy(&v2, p2 + i, 8);
		c0 = __builtin_ia32_crc32di(c0, v0);
		c1 = __builtin_ia32_crc32di(c1, v1);
		c2 = __builtin_ia32_crc32di(c2, v2);
	}
	/* Lanes 1 and 2 started from 0, not from the CRC before them: move
	 * each earlier CRC past the lane after it and add. */
	shift = x8n_mod(lane);
	crc = gf2_mulmod(shift, (uint32_t)c0) ^ (uint32_t)c1;
	crc = gf2_mulmod(shift, crc) ^ (uint32_t)c2;
	return crc32c_hw(crc, p + 3 * lane, len - 3 * lane);
}

/* The CRC of A then B from crc(A) and crc(B): the inversions before and
 * after cancel out of the sum (see above). */
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
	return gf2_mulmod(x8n_mod(len_b), crc_a) ^ crc_b;
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	static int have_hw = -1;

	if (have_hw < 0)
		have_hw = __builtin_cpu_supports("sse4.2");
	crc = ~crc;
	if (!have_hw)
		crc = crc32c_sw(crc, buf, len);
	else if (len >= LANE_MIN)
		crc = crc32c_hw3(crc, buf, len);
	else
		crc = crc32c_hw(crc, buf, len);
	return ~crc;
}
