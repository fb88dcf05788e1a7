// SPDX-License-Identifier: GPL-2.0
/*
 * Image files: message and raw round trips through both backends, checksum
 * and truncation detection, and random input that must never crash (this
 * file also runs under ASan/UBSan from `make test`).
 */
#include "image.h"
#include "util.h"

#include "inventory.pb-c.h"
#include "mm.pb-c.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>

/* Deterministic PRNG (xorshift64*) so that a failure is reproducible. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void fill_random(unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)rng();
}

/* Bit-by-bit CRC32C, the reference the fast implementation must match. */
static uint32_t crc32c_ref(const unsigned char *p, size_t len)
{
	uint32_t crc = ~0u;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (crc & 1 ? 0x82f63b78u : 0);
	}
	return ~crc;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* A header built by hand from the documented layout, with both CRCs right. */
static void make_header(unsigned char *h, uint32_t kind_magic, uint32_t version,
			uint64_t payload_len, uint32_t payload_crc)
{
	put_le32(h, IMG_MAGIC);
	put_le32(h + 4, kind_magic);
	put_le32(h + 8, version);
	put_le32(h + 12, 0);
	put_le64(h + 16, payload_len);
	put_le32(h + 24, payload_crc);
	put_le32(h + 28, crc32c(0, h, 28));
}

/* ---- sample messages ---------------------------------------------------- */

static ImageFileEntry file_a = IMAGE_FILE_ENTRY__INIT, file_b = IMAGE_FILE_ENTRY__INIT;
static ImageFileEntry *files[2] = { &file_a, &file_b };

static void sample_inventory(InventoryEntry *inv)
{
	inventory_entry__init(inv);
	inv->format_version = IMG_FORMAT_VERSION;
	inv->ckpt_version = "0.1.0-test";
	inv->root_pid = 4242;
	inv->kernel = "Linux 6.18.0 x86_64";
	inv->dump_time_ns = 1764000000123456789ull;
	inv->nr_tasks = 1;
	file_a.name = "core-4242.img";
	file_a.magic = img_kinds[IMG_CORE].magic;
	file_a.size = 12345;
	file_b.name = "pages-4242.img";
	file_b.magic = img_kinds[IMG_PAGES].magic;
	file_b.size = 1ull << 33; /* above 32 bits */
	inv->n_files = 2;
	inv->files = files;
}

static void check_inventory(const InventoryEntry *got)
{
	ck_assert_uint_eq(got->format_version, IMG_FORMAT_VERSION);
	ck_assert_str_eq(got->ckpt_version, "0.1.0-test");
	ck_assert_uint_eq(got->root_pid, 4242);
	ck_assert_str_eq(got->kernel, "Linux 6.18.0 x86_64");
	ck_assert_uint_eq(got->dump_time_ns, 1764000000123456789ull);
	ck_assert_uint_eq(got->nr_tasks, 1);
	ck_assert_uint_eq(got->n_files, 2);
	ck_assert_str_eq(got->files[0]->name, "core-4242.img");
	ck_assert_uint_eq(got->files[0]->magic, img_kinds[IMG_CORE].magic);
	ck_assert_uint_eq(got->files[0]->size, 12345);
	ck_assert_str_eq(got->files[1]->name, "pages-4242.img");
	ck_assert_uint_eq(got->files[1]->magic, img_kinds[IMG_PAGES].magic);
	ck_assert_uint_eq(got->files[1]->size, 1ull << 33);
}

static VmaEntry vma_heap = VMA_ENTRY__INIT, vma_lib = VMA_ENTRY__INIT;
static VmaEntry *vmas[2] = { &vma_heap, &vma_lib };
static const uint8_t auxv_bytes[] = { 33, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0xff, 0x7f, 0, 0, 0, 0,
				      0,  0, 0, 0, 0, 0, 0, 0, 0, 0,	0,    0,    0, 0, 0, 0 };

static void sample_mm(MmEntry *mm)
{
	mm_entry__init(mm);
	mm->start_code = 0x555555554000;
	mm->end_code = 0x555555556000;
	mm->start_data = 0x555555557000;
	mm->end_data = 0x555555558000;
	mm->start_brk = 0x555555559000;
	mm->brk = 0x55555557a000;
	mm->start_stack = 0x7ffffffde000;
	mm->arg_start = 0x7ffffffdf000;
	mm->arg_end = 0x7ffffffdf010;
	mm->env_start = 0x7ffffffdf010;
	mm->env_end = 0x7ffffffdffe0;
	mm->auxv.data = (uint8_t *)auxv_bytes;
	mm->auxv.len = sizeof(auxv_bytes);
	mm->exe_path = "/usr/bin/sleep";
	vma_heap.start = 0x555555559000;
	vma_heap.end = 0x55555557a000;
	vma_heap.prot = 3;
	vma_heap.kind = VMA_KIND__VMA_ANON_PRIVATE;
	vma_heap.vmflags = 0;
	vma_lib.start = 0x7ffff7dd0000;
	vma_lib.end = 0x7ffff7df6000;
	vma_lib.pgoff = 0x26000;
	vma_lib.prot = 5;
	vma_lib.kind = VMA_KIND__VMA_FILE_PRIVATE;
	vma_lib.vmflags = 1 << 15;
	vma_lib.path = "/usr/lib/x86_64-linux-gnu/libc.so.6";
	vma_lib.has_dev = 1;
	vma_lib.dev = 0xfe00;
	vma_lib.has_ino = 1;
	vma_lib.ino = 332835;
	vma_lib.has_file_size = 1;
	vma_lib.file_size = 1933688;
	mm->n_vmas = 2;
	mm->vmas = vmas;
}

static void check_mm(const MmEntry *got)
{
	ck_assert_uint_eq(got->start_code, 0x555555554000);
	ck_assert_uint_eq(got->end_code, 0x555555556000);
	ck_assert_uint_eq(got->start_data, 0x555555557000);
	ck_assert_uint_eq(got->end_data, 0x555555558000);
	ck_assert_uint_eq(got->start_brk, 0x555555559000);
	ck_assert_uint_eq(got->brk, 0x55555557a000);
	ck_assert_uint_eq(got->start_stack, 0x7ffffffde000);
	ck_assert_uint_eq(got->arg_start, 0x7ffffffdf000);
	ck_assert_uint_eq(got->arg_end, 0x7ffffffdf010);
	ck_assert_uint_eq(got->env_start, 0x7ffffffdf010);
	ck_assert_uint_eq(got->env_end, 0x7ffffffdffe0);
	ck_assert_uint_eq(got->auxv.len, sizeof(auxv_bytes));
	ck_assert_mem_eq(got->auxv.data, auxv_bytes, sizeof(auxv_bytes));
	ck_assert_str_eq(got->exe_path, "/usr/bin/sleep");
	ck_assert_uint_eq(got->n_vmas, 2);

	ck_assert_uint_eq(got->vmas[0]->start, 0x555555559000);
	ck_assert_uint_eq(got->vmas[0]->end, 0x55555557a000);
	ck_assert_uint_eq(got->vmas[0]->pgoff, 0);
	ck_assert_uint_eq(got->vmas[0]->prot, 3);
	ck_assert_uint_eq(got->vmas[0]->kind, VMA_KIND__VMA_ANON_PRIVATE);
	ck_assert_ptr_null(got->vmas[0]->path);
	ck_assert(!got->vmas[0]->has_dev && !got->vmas[0]->has_ino);
	ck_assert(!got->vmas[0]->has_file_writable && !got->vmas[0]->has_shmid);

	ck_assert_uint_eq(got->vmas[1]->start, 0x7ffff7dd0000);
	ck_assert_uint_eq(got->vmas[1]->end, 0x7ffff7df6000);
	ck_assert_uint_eq(got->vmas[1]->pgoff, 0x26000);
	ck_assert_uint_eq(got->vmas[1]->prot, 5);
	ck_assert_uint_eq(got->vmas[1]->kind, VMA_KIND__VMA_FILE_PRIVATE);
	ck_assert_uint_eq(got->vmas[1]->vmflags, 1 << 15);
	ck_assert_str_eq(got->vmas[1]->path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	ck_assert(got->vmas[1]->has_dev && got->vmas[1]->dev == 0xfe00);
	ck_assert(got->vmas[1]->has_ino && got->vmas[1]->ino == 332835);
	ck_assert(got->vmas[1]->has_file_size && got->vmas[1]->file_size == 1933688);
}

/* ---- memory backend ----------------------------------------------------- */

START_TEST(test_msg_roundtrip_inventory)
{
	InventoryEntry inv;
	ProtobufCMessage *msg = NULL;
	struct img w, rd;

	sample_inventory(&inv);
	ck_assert_int_eq(img_pack_mem(&w, IMG_INVENTORY, &inv.base), 0);
	ck_assert_uint_eq(w.mem_len, IMG_HEADER_SIZE + inventory_entry__get_packed_size(&inv));

	ck_assert_int_eq(img_open_mem(&rd, w.mem, w.mem_len, IMG_INVENTORY), 0);
	ck_assert_uint_eq(rd.payload_len, w.mem_len - IMG_HEADER_SIZE);
	ck_assert_int_eq(img_unpack(&rd, &inventory_entry__descriptor, &msg), 0);
	ck_assert_ptr_nonnull(msg);
	check_inventory((InventoryEntry *)msg);

	protobuf_c_message_free_unpacked(msg, NULL);
	img_close(&rd);
	img_close(&w);
}
END_TEST

START_TEST(test_msg_roundtrip_mm)
{
	MmEntry mm;
	ProtobufCMessage *msg = NULL;
	struct img w, rd;

	sample_mm(&mm);
	ck_assert_int_eq(img_pack_mem(&w, IMG_MM, &mm.base), 0);
	ck_assert_int_eq(img_open_mem(&rd, w.mem, w.mem_len, IMG_MM), 0);
	ck_assert_int_eq(img_unpack(&rd, &mm_entry__descriptor, &msg), 0);
	check_mm((MmEntry *)msg);

	protobuf_c_message_free_unpacked(msg, NULL);
	img_close(&rd);
	img_close(&w);
}
END_TEST

/* An image with an empty payload is a bare header; as a message it lacks
 * every required field, which must fail cleanly. */
START_TEST(test_empty_payload)
{
	ProtobufCMessage *msg = NULL;
	struct img w, rd;
	unsigned char dummy;

	img_create_mem(&w, IMG_INVENTORY);
	ck_assert_int_eq(img_finish(&w), 0);
	ck_assert_uint_eq(w.mem_len, IMG_HEADER_SIZE);

	ck_assert_int_eq(img_open_mem(&rd, w.mem, w.mem_len, IMG_INVENTORY), 0);
	ck_assert_uint_eq(rd.payload_len, 0);
	ck_assert_int_eq(img_verify(&rd), 0);
	ck_assert_int_eq(img_read(&rd, &dummy, 1), -EIO);
	img_close(&rd);

	ck_assert_int_eq(img_open_mem(&rd, w.mem, w.mem_len, IMG_INVENTORY), 0);
	ck_assert_int_eq(img_unpack(&rd, &inventory_entry__descriptor, &msg), -EBADMSG);
	ck_assert_ptr_null(msg);
	img_close(&rd);
	img_close(&w);
}
END_TEST

/* Raw payload written in uneven chunks, read back in other uneven chunks. */
START_TEST(test_raw_chunks)
{
	static const size_t wchunks[] = { 1, 0, 4095, 4096, 7, 100000, 3, 65536, 12 };
	static const size_t rchunks[] = { 5, 4096, 1, 33333, 8191 };
	size_t total = 0, off = 0, i = 0;
	unsigned char *data, *back;
	struct img w, rd;

	for (i = 0; i < ARRAY_SIZE(wchunks); i++)
		total += wchunks[i];
	data = xmalloc(total);
	back = xmalloc(total);
	fill_random(data, total);

	img_create_mem(&w, IMG_PAGES);
	for (i = 0; i < ARRAY_SIZE(wchunks); i++) {
		ck_assert_int_eq(img_write(&w, data + off, wchunks[i]), 0);
		off += wchunks[i];
	}
	ck_assert_uint_eq(w.payload_len, total);
	ck_assert_int_eq(img_finish(&w), 0);
	ck_assert_uint_eq(w.mem_len, IMG_HEADER_SIZE + total);
	ck_assert_mem_eq(w.mem + IMG_HEADER_SIZE, data, total);

	ck_assert_int_eq(img_open_mem(&rd, w.mem, w.mem_len, IMG_PAGES), 0);
	ck_assert_uint_eq(rd.payload_len, total);
	for (off = 0, i = 0; off < total; i++) {
		size_t n = MIN(rchunks[i % ARRAY_SIZE(rchunks)], total - off);

		ck_assert_int_eq(img_read(&rd, back + off, n), 0);
		off += n;
	}
	ck_assert_mem_eq(back, data, total);
	/* Past the end is a truncation, not a checksum error. */
	ck_assert_int_eq(img_read(&rd, back, 1), -EIO);
	ck_assert_int_eq(img_verify(&rd), 0);
	img_close(&rd);

	/* img_verify() in one go, and after a partial read. */
	ck_assert_int_eq(img_open_mem(&rd, w.mem, w.mem_len, IMG_PAGES), 0);
	ck_assert_int_eq(img_verify(&rd), 0);
	img_close(&rd);
	ck_assert_int_eq(img_open_mem(&rd, w.mem, w.mem_len, IMG_PAGES), 0);
	ck_assert_int_eq(img_read(&rd, back, 1000), 0);
	ck_assert_int_eq(img_verify(&rd), 0);
	img_close(&rd);

	img_close(&w);
	free(data);
	free(back);
}
END_TEST

/* Flipping any payload byte is caught when the last byte is read. */
START_TEST(test_payload_corruption)
{
	InventoryEntry inv;
	struct img w, rd;
	unsigned char *copy;

	sample_inventory(&inv);
	ck_assert_int_eq(img_pack_mem(&w, IMG_INVENTORY, &inv.base), 0);
	copy = xmalloc(w.mem_len);
	for (size_t pos = IMG_HEADER_SIZE; pos < w.mem_len; pos++) {
		for (int bit = 0; bit < 8; bit += 3) {
			ProtobufCMessage *msg = NULL;
			_cleanup_free_ unsigned char *buf = xmalloc(w.mem_len - IMG_HEADER_SIZE);

			memcpy(copy, w.mem, w.mem_len);
			copy[pos] ^= (unsigned char)(1u << bit);

			ck_assert_int_eq(img_open_mem(&rd, copy, w.mem_len, IMG_INVENTORY), 0);
			ck_assert_int_eq(img_unpack(&rd, &inventory_entry__descriptor, &msg),
					 -EBADMSG);
			ck_assert_ptr_null(msg);
			img_close(&rd);

			ck_assert_int_eq(img_open_mem(&rd, copy, w.mem_len, IMG_INVENTORY), 0);
			ck_assert_int_eq(img_read(&rd, buf, w.mem_len - IMG_HEADER_SIZE), -EBADMSG);
			img_close(&rd);

			ck_assert_int_eq(img_open_mem(&rd, copy, w.mem_len, IMG_INVENTORY), 0);
			ck_assert_int_eq(img_verify(&rd), -EBADMSG);
			img_close(&rd);
		}
	}
	free(copy);
	img_close(&w);
}
END_TEST

/* Flipping any header bit makes the image unopenable. */
START_TEST(test_header_corruption)
{
	MmEntry mm;
	struct img w, rd;
	unsigned char *copy;

	sample_mm(&mm);
	ck_assert_int_eq(img_pack_mem(&w, IMG_MM, &mm.base), 0);
	copy = xmalloc(w.mem_len);
	for (size_t pos = 0; pos < IMG_HEADER_SIZE; pos++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, w.mem, w.mem_len);
			copy[pos] ^= (unsigned char)(1u << bit);
			ck_assert_msg(img_open_mem(&rd, copy, w.mem_len, IMG_MM) == -EBADMSG,
				      "header byte %zu bit %d flipped was not caught", pos, bit);
			img_close(&rd);
		}
	}
	free(copy);
	img_close(&w);
}
END_TEST

/* Every length short of the whole image is a truncation (-EIO); extra
 * bytes after the payload are corruption (-EBADMSG). */
START_TEST(test_truncated)
{
	InventoryEntry inv;
	struct img w, rd;
	unsigned char *longer;

	sample_inventory(&inv);
	ck_assert_int_eq(img_pack_mem(&w, IMG_INVENTORY, &inv.base), 0);
	for (size_t len = 0; len < w.mem_len; len++) {
		/* A copy of exactly len bytes, so that ASan sees any overread. */
		unsigned char *cut = xmalloc(len);

		memcpy(cut, w.mem, len);
		ck_assert_msg(img_open_mem(&rd, cut, len, IMG_INVENTORY) == -EIO,
			      "image cut to %zu of %zu bytes not reported as -EIO", len, w.mem_len);
		img_close(&rd);
		free(cut);
	}
	longer = xzalloc(w.mem_len + 1);
	memcpy(longer, w.mem, w.mem_len);
	ck_assert_int_eq(img_open_mem(&rd, longer, w.mem_len + 1, IMG_INVENTORY), -EBADMSG);
	img_close(&rd);
	free(longer);
	img_close(&w);
}
END_TEST

START_TEST(test_wrong_kind)
{
	InventoryEntry inv;
	ProtobufCMessage *msg = NULL;
	struct img w, rd;

	sample_inventory(&inv);
	ck_assert_int_eq(img_pack_mem(&w, IMG_INVENTORY, &inv.base), 0);
	for (int k = 0; k < IMG_NR_KINDS; k++) {
		if (k == IMG_INVENTORY)
			continue;
		ck_assert_int_lt(img_open_mem(&rd, w.mem, w.mem_len, k), 0);
		img_close(&rd);
	}
	/* Right kind, wrong message type: an inventory is no mm_entry. */
	ck_assert_int_eq(img_open_mem(&rd, w.mem, w.mem_len, IMG_INVENTORY), 0);
	ck_assert_int_eq(img_unpack(&rd, &mm_entry__descriptor, &msg), -EBADMSG);
	ck_assert_ptr_null(msg);
	img_close(&rd);
	img_close(&w);
}
END_TEST

/* A format version this build does not know is refused as such. */
START_TEST(test_unknown_version)
{
	unsigned char h[IMG_HEADER_SIZE];
	struct img rd;

	make_header(h, img_kinds[IMG_CORE].magic, IMG_FORMAT_VERSION + 1, 0, 0);
	ck_assert_int_eq(img_open_mem(&rd, h, sizeof(h), IMG_CORE), -EPROTONOSUPPORT);
	img_close(&rd);
	/* The same header with the current version opens: the test header is right. */
	make_header(h, img_kinds[IMG_CORE].magic, IMG_FORMAT_VERSION, 0, 0);
	ck_assert_int_eq(img_open_mem(&rd, h, sizeof(h), IMG_CORE), 0);
	ck_assert_int_eq(img_verify(&rd), 0);
	img_close(&rd);
}
END_TEST

/* Headers that verify but claim absurd payload lengths. */
START_TEST(test_huge_length)
{
	static const uint64_t lens[] = {
		1, 4096, 1ull << 32, UINT64_MAX - IMG_HEADER_SIZE + 1, UINT64_MAX - 16, UINT64_MAX
	};
	unsigned char buf[IMG_HEADER_SIZE + 64];
	struct img rd;

	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		make_header(buf, img_kinds[IMG_PAGES].magic, IMG_FORMAT_VERSION, lens[i], 0);
		ck_assert_msg(img_open_mem(&rd, buf, sizeof(buf), IMG_PAGES) < 0,
			      "payload length %#llx accepted", (unsigned long long)lens[i]);
		img_close(&rd);
	}
}
END_TEST

/* Random buffers of many lengths, as is and behind a valid header, through
 * every kind and message type: an error or a message, never a crash. */
static const ProtobufCMessageDescriptor *const descs[] = {
	&inventory_entry__descriptor,
	&mm_entry__descriptor,
	&vma_entry__descriptor,
	&image_file_entry__descriptor,
};

static void try_buffer(const unsigned char *buf, size_t len)
{
	for (int k = 0; k < IMG_NR_KINDS; k++) {
		for (size_t d = 0; d < ARRAY_SIZE(descs); d++) {
			ProtobufCMessage *msg = NULL;
			struct img rd;
			int r = img_open_mem(&rd, buf, len, k);

			if (r == 0) {
				r = img_unpack(&rd, descs[d], &msg);
				ck_assert(r == 0 || r == -EBADMSG);
				if (r == 0)
					protobuf_c_message_free_unpacked(msg, NULL);
			} else {
				ck_assert(r == -EIO || r == -EBADMSG || r == -EPROTONOSUPPORT);
			}
			img_close(&rd);
		}
	}
}

START_TEST(test_garbage)
{
	unsigned char *buf = xmalloc(IMG_HEADER_SIZE + 8192);

	for (int iter = 0; iter < 3000; iter++) {
		size_t len = iter < 600 ? (size_t)iter : rng() % 8192;
		unsigned char *exact;

		fill_random(buf, IMG_HEADER_SIZE + len);
		/* Raw garbage: must not open. */
		exact = xmalloc(len);
		memcpy(exact, buf, len);
		try_buffer(exact, len);
		free(exact);

		/* Garbage behind a header that verifies, so the protobuf decoder
		 * sees it. Sometimes a valid-looking field tag starts it. */
		if (len && (iter & 1))
			buf[IMG_HEADER_SIZE] = (unsigned char)((1 + rng() % 14) << 3 | rng() % 3);
		make_header(buf, img_kinds[iter % IMG_NR_KINDS].magic, IMG_FORMAT_VERSION, len,
			    crc32c(0, buf + IMG_HEADER_SIZE, len));
		exact = xmalloc(IMG_HEADER_SIZE + len);
		memcpy(exact, buf, IMG_HEADER_SIZE + len);
		try_buffer(exact, IMG_HEADER_SIZE + len);
		free(exact);
	}
	free(buf);
}
END_TEST

/* Valid images with single bytes of the payload mutated, checksum fixed up:
 * the decoder sees nearly valid protobuf. */
START_TEST(test_mutated_messages)
{
	MmEntry mm;
	struct img w;
	unsigned char *copy;

	sample_mm(&mm);
	ck_assert_int_eq(img_pack_mem(&w, IMG_MM, &mm.base), 0);
	copy = xmalloc(w.mem_len);
	for (int iter = 0; iter < 4000; iter++) {
		size_t len =
			w.mem_len - (iter % 3 == 0 ? rng() % (w.mem_len - IMG_HEADER_SIZE) : 0);
		size_t payload = len - IMG_HEADER_SIZE;
		ProtobufCMessage *msg = NULL;
		struct img rd;
		int r;

		memcpy(copy, w.mem, len);
		for (int n = 1 + (int)(rng() % 3); n > 0 && payload; n--)
			copy[IMG_HEADER_SIZE + rng() % payload] = (unsigned char)rng();
		make_header(copy, img_kinds[IMG_MM].magic, IMG_FORMAT_VERSION, payload,
			    crc32c(0, copy + IMG_HEADER_SIZE, payload));
		ck_assert_int_eq(img_open_mem(&rd, copy, len, IMG_MM), 0);
		r = img_unpack(&rd, &mm_entry__descriptor, &msg);
		ck_assert(r == 0 || r == -EBADMSG);
		if (r == 0)
			protobuf_c_message_free_unpacked(msg, NULL);
		img_close(&rd);
	}
	free(copy);
	img_close(&w);
}
END_TEST

/* ---- file backend ------------------------------------------------------- */

/* One directory per test case, made and removed by the parent (unchecked
 * fixture), so that it goes away even when a forked test fails; each test
 * works in a subdirectory of its own. */
static char basedir[64], tmpdir[96];
static int tmpfd = -1;

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

static void basedir_setup(void)
{
	snprintf(basedir, sizeof(basedir), "/tmp/check-image.XXXXXX");
	if (!mkdtemp(basedir)) {
		perror("check-image: mkdtemp");
		exit(EXIT_FAILURE);
	}
}

static void basedir_teardown(void)
{
	(void)nftw(basedir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void tmpdir_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/t.XXXXXX", basedir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	tmpfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(tmpfd, 0);
}

static void tmpdir_teardown(void)
{
	close(tmpfd);
	tmpfd = -1;
}

static void assert_mode_0600(const char *name)
{
	struct stat st;

	ck_assert_int_eq(fstatat(tmpfd, name, &st, 0), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_msg((st.st_mode & 07777) == 0600, "'%s' has mode %o, want 600", name,
		      (unsigned int)(st.st_mode & 07777));
}

START_TEST(test_file_msg_roundtrip)
{
	InventoryEntry inv;
	MmEntry mm;
	ProtobufCMessage *msg = NULL;
	mode_t old_umask = umask(0);

	tmpdir_setup();
	sample_inventory(&inv);
	sample_mm(&mm);
	/* With umask 0 the files must still come out 0600: they hold memory. */
	ck_assert_int_eq(img_write_msg(tmpfd, IMG_INVENTORY, 0, &inv.base), 0);
	ck_assert_int_eq(img_write_msg(tmpfd, IMG_MM, 1234, &mm.base), 0);
	umask(old_umask);
	assert_mode_0600("inventory.img");
	assert_mode_0600("mm-1234.img");

	ck_assert_int_eq(img_read_msg(tmpfd, IMG_INVENTORY, 0, &inventory_entry__descriptor, &msg),
			 0);
	check_inventory((InventoryEntry *)msg);
	protobuf_c_message_free_unpacked(msg, NULL);
	msg = NULL;
	ck_assert_int_eq(img_read_msg(tmpfd, IMG_MM, 1234, &mm_entry__descriptor, &msg), 0);
	check_mm((MmEntry *)msg);
	protobuf_c_message_free_unpacked(msg, NULL);
	msg = NULL;

	/* Images are never overwritten; missing ones say so. */
	ck_assert_int_eq(img_write_msg(tmpfd, IMG_MM, 1234, &mm.base), -EEXIST);
	ck_assert_int_eq(img_read_msg(tmpfd, IMG_MM, 999, &mm_entry__descriptor, &msg), -ENOENT);
	/* The file name decides nothing: the kind in the header does. */
	ck_assert_int_eq(renameat(tmpfd, "mm-1234.img", tmpfd, "core-5.img"), 0);
	ck_assert_int_lt(img_read_msg(tmpfd, IMG_CORE, 5, &mm_entry__descriptor, &msg), 0);
	ck_assert_ptr_null(msg);
	tmpdir_teardown();
}
END_TEST

START_TEST(test_file_corruption)
{
	MmEntry mm;
	ProtobufCMessage *msg = NULL;
	struct stat st;
	unsigned char c;
	int fd;

	tmpdir_setup();
	sample_mm(&mm);
	ck_assert_int_eq(img_write_msg(tmpfd, IMG_MM, 1234, &mm.base), 0);
	fd = openat(tmpfd, "mm-1234.img", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);

	/* A payload byte flipped. */
	ck_assert_int_eq(pread(fd, &c, 1, IMG_HEADER_SIZE + 10), 1);
	c ^= 0x40;
	ck_assert_int_eq(pwrite(fd, &c, 1, IMG_HEADER_SIZE + 10), 1);
	ck_assert_int_eq(img_read_msg(tmpfd, IMG_MM, 1234, &mm_entry__descriptor, &msg), -EBADMSG);
	c ^= 0x40;
	ck_assert_int_eq(pwrite(fd, &c, 1, IMG_HEADER_SIZE + 10), 1);
	ck_assert_int_eq(img_read_msg(tmpfd, IMG_MM, 1234, &mm_entry__descriptor, &msg), 0);
	protobuf_c_message_free_unpacked(msg, NULL);
	msg = NULL;

	/* A header byte flipped. */
	ck_assert_int_eq(pread(fd, &c, 1, 17), 1);
	c ^= 1;
	ck_assert_int_eq(pwrite(fd, &c, 1, 17), 1);
	ck_assert_int_eq(img_read_msg(tmpfd, IMG_MM, 1234, &mm_entry__descriptor, &msg), -EBADMSG);
	c ^= 1;
	ck_assert_int_eq(pwrite(fd, &c, 1, 17), 1);

	/* Cut short, cut to less than a header, empty, then one byte too long. */
	ck_assert_int_eq(ftruncate(fd, st.st_size - 1), 0);
	ck_assert_int_eq(img_read_msg(tmpfd, IMG_MM, 1234, &mm_entry__descriptor, &msg), -EIO);
	ck_assert_int_eq(ftruncate(fd, IMG_HEADER_SIZE - 1), 0);
	ck_assert_int_eq(img_read_msg(tmpfd, IMG_MM, 1234, &mm_entry__descriptor, &msg), -EIO);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(img_read_msg(tmpfd, IMG_MM, 1234, &mm_entry__descriptor, &msg), -EIO);
	ck_assert_ptr_null(msg);
	close(fd);
	ck_assert_int_eq(unlinkat(tmpfd, "mm-1234.img", 0), 0);

	ck_assert_int_eq(img_write_msg(tmpfd, IMG_MM, 1234, &mm.base), 0);
	fd = openat(tmpfd, "mm-1234.img", O_WRONLY | O_APPEND | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	ck_assert_int_eq(img_read_msg(tmpfd, IMG_MM, 1234, &mm_entry__descriptor, &msg), -EBADMSG);
	ck_assert_ptr_null(msg);

	/* Not a regular file. */
	ck_assert_int_eq(unlinkat(tmpfd, "mm-1234.img", 0), 0);
	ck_assert_int_eq(mkdirat(tmpfd, "mm-1234.img", 0700), 0);
	ck_assert_int_lt(img_read_msg(tmpfd, IMG_MM, 1234, &mm_entry__descriptor, &msg), 0);
	ck_assert_int_eq(unlinkat(tmpfd, "mm-1234.img", AT_REMOVEDIR), 0);
	tmpdir_teardown();
}
END_TEST

/* Raw pages through the file backend, several chunks each way. */
START_TEST(test_file_raw_roundtrip)
{
	size_t total = 3 * 1024 * 1024 + 123, off;
	unsigned char *data = xmalloc(total), *back = xmalloc(total);
	struct img w, rd;

	fill_random(data, total);
	tmpdir_setup();
	ck_assert_int_eq(img_create_file(&w, tmpfd, "pages-77.img", IMG_PAGES), 0);
	for (off = 0; off < total;) {
		size_t want = rng() % 300000, n = MIN(want, total - off);

		ck_assert_int_eq(img_write(&w, data + off, n), 0);
		off += n;
	}
	ck_assert_int_eq(img_finish(&w), 0);
	img_close(&w);
	assert_mode_0600("pages-77.img");
	/* Not overwritten by a second create. */
	ck_assert_int_eq(img_create_file(&w, tmpfd, "pages-77.img", IMG_PAGES), -EEXIST);
	img_close(&w);

	ck_assert_int_eq(img_open_file(&rd, tmpfd, "pages-77.img", IMG_PAGES), 0);
	ck_assert_uint_eq(rd.payload_len, total);
	for (off = 0; off < total;) {
		size_t want = 1 + rng() % 500000, n = MIN(want, total - off);

		ck_assert_int_eq(img_read(&rd, back + off, n), 0);
		off += n;
	}
	ck_assert_mem_eq(back, data, total);
	img_close(&rd);

	ck_assert_int_eq(img_open_file(&rd, tmpfd, "pages-77.img", IMG_PAGES), 0);
	ck_assert_int_eq(img_verify(&rd), 0);
	img_close(&rd);
	ck_assert_int_lt(img_open_file(&rd, tmpfd, "pages-77.img", IMG_MM), 0);
	img_close(&rd);
	tmpdir_teardown();
	free(data);
	free(back);
}
END_TEST

/* A page image large enough to be read back in two halves (img_verify on
 * two threads), written with checksums taken by the caller
 * (img_write_summed): it verifies; a byte flipped in either half does
 * not. */
START_TEST(test_file_verify_halves)
{
	size_t chunk = 1 << 20, total = 65 * chunk + 4096 + 17;
	unsigned char *data = xmalloc(total), c;
	struct img w, rd;
	int fd;

	fill_random(data, total);
	tmpdir_setup();
	ck_assert_int_eq(img_create_file(&w, tmpfd, "pages-78.img", IMG_PAGES), 0);
	for (size_t off = 0; off < total; off += chunk) {
		size_t n = MIN(chunk, total - off);

		ck_assert_int_eq(img_write_summed(&w, data + off, n, crc32c(0, data + off, n)), 0);
	}
	ck_assert_int_eq(img_finish(&w), 0);
	ck_assert_uint_eq(w.crc, crc32c(0, data, total));
	img_close(&w);

	ck_assert_int_eq(img_open_file(&rd, tmpfd, "pages-78.img", IMG_PAGES), 0);
	ck_assert_int_eq(img_verify(&rd), 0);
	ck_assert_uint_eq(rd.pos, total);
	img_close(&rd);

	fd = openat(tmpfd, "pages-78.img", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 2; i++) {
		off_t at = IMG_HEADER_SIZE + (i ? (off_t)total - 3 : 5);

		ck_assert_int_eq(pread(fd, &c, 1, at), 1);
		c ^= 0x10;
		ck_assert_int_eq(pwrite(fd, &c, 1, at), 1);
		ck_assert_int_eq(img_open_file(&rd, tmpfd, "pages-78.img", IMG_PAGES), 0);
		ck_assert_int_eq(img_verify(&rd), -EBADMSG);
		img_close(&rd);
		c ^= 0x10;
		ck_assert_int_eq(pwrite(fd, &c, 1, at), 1);
	}
	close(fd);
	tmpdir_teardown();
	free(data);
}
END_TEST

/* A message image whose header claims more than the message size limit
 * is refused before anything that large is allocated (sparse file). */
START_TEST(test_file_oversized_message)
{
	const uint64_t payload = (256ull << 20) + 1;
	unsigned char h[IMG_HEADER_SIZE];
	ProtobufCMessage *msg = NULL;
	struct img rd;
	int fd;

	tmpdir_setup();
	make_header(h, img_kinds[IMG_MM].magic, IMG_FORMAT_VERSION, payload, 0);
	fd = openat(tmpfd, "big.img", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, h, sizeof(h)), sizeof(h));
	ck_assert_int_eq(ftruncate(fd, IMG_HEADER_SIZE + payload), 0);
	close(fd);
	ck_assert_int_eq(img_open_file(&rd, tmpfd, "big.img", IMG_MM), 0);
	ck_assert_int_eq(img_unpack(&rd, &mm_entry__descriptor, &msg), -EBADMSG);
	ck_assert_ptr_null(msg);
	img_close(&rd);
	tmpdir_teardown();
}
END_TEST

/* A FIFO where an image should be (a damaged or hostile image directory)
 * is refused at once: opening it must not wait for a writer. */
START_TEST(test_file_fifo)
{
	ProtobufCMessage *msg = NULL;
	const char *fork_mode = getenv("CK_FORK");

	/* Without fork mode a hang could not be cut short by the timeout. */
	if (fork_mode && !strcmp(fork_mode, "no"))
		return;
	tmpdir_setup();
	ck_assert_int_eq(mkfifoat(tmpfd, "mm-1234.img", 0600), 0);
	ck_assert_int_lt(img_read_msg(tmpfd, IMG_MM, 1234, &mm_entry__descriptor, &msg), 0);
	ck_assert_ptr_null(msg);
	tmpdir_teardown();
}
END_TEST

/* ---- names, kinds, CRC -------------------------------------------------- */

START_TEST(test_names_and_magics)
{
	char *name;

	name = img_name(IMG_MM, 42);
	ck_assert_str_eq(name, "mm-42.img");
	free(name);
	name = img_name(IMG_PAGES, 32768);
	ck_assert_str_eq(name, "pages-32768.img");
	free(name);
	name = img_name(IMG_INVENTORY, 7);
	ck_assert_str_eq(name, "inventory.img");
	free(name);

	for (int k = 0; k < IMG_NR_KINDS; k++) {
		ck_assert_ptr_nonnull(img_kinds[k].name_fmt);
		ck_assert_ptr_nonnull(img_kinds[k].what);
		ck_assert_int_eq(img_kind_by_magic(img_kinds[k].magic), k);
		ck_assert_uint_ne(img_kinds[k].magic, IMG_MAGIC);
		for (int j = 0; j < k; j++) {
			ck_assert_uint_ne(img_kinds[j].magic, img_kinds[k].magic);
			ck_assert_str_ne(img_kinds[j].name_fmt, img_kinds[k].name_fmt);
		}
	}
	ck_assert_int_eq(img_kind_by_magic(0), -1);
	ck_assert_int_eq(img_kind_by_magic(IMG_MAGIC), -1);
}
END_TEST

START_TEST(test_crc32c_vectors)
{
	static const unsigned char zeros[32], ones[32] = { [0 ... 31] = 0xff };
	unsigned char *buf = xmalloc(4096 + 8);

	ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xe3069283);
	ck_assert_uint_eq(crc32c(0, "", 0), 0);
	/* RFC 3720 (iSCSI) B.4 test vectors. */
	ck_assert_uint_eq(crc32c(0, zeros, sizeof(zeros)), 0x8a9136aa);
	ck_assert_uint_eq(crc32c(0, ones, sizeof(ones)), 0x62a8ab43);
	/* Chaining: crc(a then b) == crc(ab). */
	ck_assert_uint_eq(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283);

	/* Every alignment and short length against the bitwise reference. */
	fill_random(buf, 4096 + 8);
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len < 300; len++)
			ck_assert_uint_eq(crc32c(0, buf + off, len), crc32c_ref(buf + off, len));
		ck_assert_uint_eq(crc32c(0, buf + off, 4096), crc32c_ref(buf + off, 4096));
	}
	free(buf);
}
END_TEST

/* Large buffers go in three lanes joined by polynomial arithmetic: every
 * length around the lane sizes, every alignment, chained or not, must
 * give the bitwise reference. */
/* crc(A then B) from crc(A), crc(B) and B's length, at every split. */
START_TEST(test_crc32c_combine)
{
	size_t max = 3 * 4096 + 77;
	unsigned char *buf = xmalloc(max);
	uint32_t want;

	fill_random(buf, max);
	want = crc32c(0, buf, max);
	for (size_t split = 0; split <= max; split += split < 64 ? 1 : 511)
		ck_assert_uint_eq(crc32c_combine(crc32c(0, buf, split),
						 crc32c(0, buf + split, max - split), max - split),
				  want);
	ck_assert_uint_eq(crc32c_combine(crc32c(0, buf, max), 0, 0), want);
	ck_assert_uint_eq(crc32c_combine(0, want, max), want);
	free(buf);
}
END_TEST

START_TEST(test_crc32c_lanes)
{
	size_t max = 3 * 4096 + 64;
	unsigned char *buf = xmalloc(max + 8);

	fill_random(buf, max + 8);
	for (size_t off = 0; off < 8; off += 3)
		for (size_t len = 4090; len <= max; len += 37) {
			uint32_t want = crc32c_ref(buf + off, len);

			ck_assert_uint_eq(crc32c(0, buf + off, len), want);
			ck_assert_uint_eq(crc32c(crc32c(0, buf + off, 5), buf + off + 5, len - 5),
					  want);
		}
	free(buf);
}
END_TEST

/* ---- compressed payloads ---- */

/* Text-like data that compresses, with a random stretch that does not. */
static void fill_mixed(unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)("ckpt frame "[i % 11] + (i / 4096) % 3);
	if (len > 3 * IMG_FRAME_LEN)
		fill_random(p + IMG_FRAME_LEN, IMG_FRAME_LEN + 12345);
}

/* Written in odd pieces with flushes between, read back in odd pieces:
 * the same bytes, for every codec; smaller than raw; the header says the
 * codec; reading past the end is a truncation. */
START_TEST(test_codec_roundtrip)
{
	static const size_t wchunks[] = { 1, 4096, IMG_FRAME_LEN, 3 * IMG_FRAME_LEN + 17,
					  7, 0,	   99999 };
	enum img_codec codec = (enum img_codec)_i;
	size_t total = 0, off = 0;
	unsigned char *data, *back;
	struct img w, rd;

	for (size_t i = 0; i < ARRAY_SIZE(wchunks); i++)
		total += wchunks[i];
	data = xmalloc(total);
	back = xmalloc(total + 1);
	fill_mixed(data, total);
	img_create_mem(&w, IMG_PAGES);
	img_set_codec(&w, codec);
	for (size_t i = 0; i < ARRAY_SIZE(wchunks); i++) {
		ck_assert_int_eq(img_write(&w, data + off, wchunks[i]), 0);
		off += wchunks[i];
		if (i % 2)
			ck_assert_int_eq(img_flush(&w), 0);
	}
	ck_assert_int_eq(img_finish(&w), 0);
	if (codec != IMG_CODEC_NONE)
		ck_assert_uint_lt(w.payload_len, total / 2);

	ck_assert_int_eq(img_open_mem(&rd, w.mem, w.mem_len, IMG_PAGES), 0);
	ck_assert_int_eq(rd.codec, codec);
	for (off = 0; off < total;) {
		size_t n = MIN((off * 7 + 4093) % 300000 + 1, total - off);

		ck_assert(!img_at_end(&rd));
		ck_assert_int_eq(img_read(&rd, back + off, n), 0);
		off += n;
	}
	ck_assert_mem_eq(back, data, total);
	ck_assert(img_at_end(&rd));
	ck_assert_int_eq(img_read(&rd, back, 1), -EIO);
	img_close(&rd);
	img_close(&w);
	free(data);
	free(back);
}
END_TEST

/* Any byte flipped in a compressed payload fails a full read, never
 * crashes (the frame header, the compressed bytes, the checksum). */
START_TEST(test_codec_corruption)
{
	enum img_codec codec = (enum img_codec)_i;
	size_t total = 2 * IMG_FRAME_LEN + 5000;
	unsigned char *data = xmalloc(total), *back = xmalloc(total), *copy;
	struct img w, rd;

	fill_mixed(data, total);
	img_create_mem(&w, IMG_PAGES);
	img_set_codec(&w, codec);
	ck_assert_int_eq(img_write(&w, data, total), 0);
	ck_assert_int_eq(img_finish(&w), 0);
	copy = xmalloc(w.mem_len);
	for (size_t k = 0; k < 300; k++) {
		size_t pos = IMG_HEADER_SIZE + (k < 16 ? k : rng() % (w.mem_len - IMG_HEADER_SIZE));
		int r;

		memcpy(copy, w.mem, w.mem_len);
		copy[pos] ^= (unsigned char)(1 + rng() % 255);
		ck_assert_int_eq(img_open_mem(&rd, copy, w.mem_len, IMG_PAGES), 0);
		r = img_read(&rd, back, total);
		if (r == 0)
			r = img_at_end(&rd) ? 0 : -EBADMSG;
		ck_assert_msg(r == -EBADMSG || r == -EIO, "byte %zu flipped: %d", pos, r);
		img_close(&rd);
	}
	img_close(&w);
	free(copy);
	free(data);
	free(back);
}
END_TEST

/* A codec the reader does not know is refused at open; a message image
 * is never compressed. */
START_TEST(test_codec_refused)
{
	InventoryEntry inv;
	ProtobufCMessage *msg = NULL;
	struct img w, rd;

	img_create_mem(&w, IMG_PAGES);
	img_set_codec(&w, (enum img_codec)IMG_NR_CODECS);
	ck_assert_int_eq(img_finish(&w), 0);
	ck_assert_int_eq(img_open_mem(&rd, w.mem, w.mem_len, IMG_PAGES), -EPROTONOSUPPORT);
	img_close(&rd);
	img_close(&w);

	sample_inventory(&inv);
	img_create_mem(&w, IMG_INVENTORY);
	img_set_codec(&w, IMG_CODEC_LZ4);
	{
		size_t len = protobuf_c_message_get_packed_size(&inv.base);
		uint8_t *buf = xmalloc(len);

		protobuf_c_message_pack(&inv.base, buf);
		ck_assert_int_eq(img_write(&w, buf, len), 0);
		free(buf);
	}
	ck_assert_int_eq(img_finish(&w), 0);
	ck_assert_int_eq(img_open_mem(&rd, w.mem, w.mem_len, IMG_INVENTORY), 0);
	ck_assert_int_eq(img_unpack(&rd, &inventory_entry__descriptor, &msg), -EBADMSG);
	img_close(&rd);
	img_close(&w);
}
END_TEST

/* Codec names, as --compress takes them. */
START_TEST(test_codec_names)
{
	ck_assert_int_eq(img_codec_by_name("lz4"), IMG_CODEC_LZ4);
	ck_assert_int_eq(img_codec_by_name("zstd"), IMG_CODEC_ZSTD);
	ck_assert_int_eq(img_codec_by_name("none"), IMG_CODEC_NONE);
	ck_assert_int_eq(img_codec_by_name("LZ4"), -1);
	ck_assert_int_eq(img_codec_by_name(""), -1);
	ck_assert_str_eq(img_codec_name(IMG_CODEC_ZSTD), "zstd");
}
END_TEST

static Suite *image_suite(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("mem");
	TCase *tf = tcase_create("file");
	TCase *tz = tcase_create("fuzz");
	TCase *tn = tcase_create("misc");

	tcase_add_test(tc, test_msg_roundtrip_inventory);
	tcase_add_test(tc, test_msg_roundtrip_mm);
	tcase_add_test(tc, test_empty_payload);
	tcase_add_test(tc, test_raw_chunks);
	tcase_add_test(tc, test_payload_corruption);
	tcase_add_test(tc, test_header_corruption);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_wrong_kind);
	tcase_add_test(tc, test_unknown_version);
	tcase_add_test(tc, test_huge_length);
	tcase_add_loop_test(tc, test_codec_roundtrip, IMG_CODEC_NONE, IMG_NR_CODECS);
	tcase_add_loop_test(tc, test_codec_corruption, IMG_CODEC_LZ4, IMG_NR_CODECS);
	tcase_add_test(tc, test_codec_refused);
	tcase_add_test(tc, test_codec_names);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(tf, basedir_setup, basedir_teardown);
	tcase_add_test(tf, test_file_msg_roundtrip);
	tcase_add_test(tf, test_file_corruption);
	tcase_add_test(tf, test_file_raw_roundtrip);
	tcase_add_test(tf, test_file_verify_halves);
	tcase_add_test(tf, test_file_oversized_message);
	tcase_add_test(tf, test_file_fifo);
	suite_add_tcase(s, tf);

	/* Slow under ASan: give the fuzz cases room. */
	tcase_set_timeout(tz, 120);
	tcase_add_test(tz, test_garbage);
	tcase_add_test(tz, test_mutated_messages);
	suite_add_tcase(s, tz);

	tcase_add_test(tn, test_names_and_magics);
	tcase_add_test(tn, test_crc32c_vectors);
	tcase_add_test(tn, test_crc32c_lanes);
	tcase_add_test(tn, test_crc32c_combine);
	suite_add_tcase(s, tn);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(image_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
