// SPDX-License-Identifier: GPL-2.0
/*
 * The receiving side of an image stream (stream-recv.c) on streams built
 * here: a minimal good one is published; names, lengths, checksums and
 * headers that do not hold are refused, and nothing is left in the parent
 * directory (no set, no temporary directory).
 */
#include "image.h"
#include "imgdir.h"
#include "stream-wire.h"
#include "stream.h"
#include "util.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void put32(struct buf *b, uint32_t v)
{
	unsigned char x[4];

	wire_put32(x, v);
	put(b, x, 4);
}

/* A record: type, length, body, CRC32C. */
static void rec(struct buf *b, uint32_t type, const void *body, size_t len)
{
	unsigned char h[8];
	uint32_t crc;

	wire_put32(h, type);
	wire_put32(h + 4, (uint32_t)len);
	crc = crc32c(crc32c(0, h, 8), body, len);
	put(b, h, 8);
	put(b, body, len);
	put32(b, crc);
}

static void header(struct buf *b)
{
	unsigned char h[WIRE_HEADER_SIZE];

	wire_header(h);
	put(b, h, sizeof(h));
}

/* The end record: the CRC of everything so far, inventory.img listing
 * @n files named @names of @sizes bytes (kind @magic). */
static void end(struct buf *b, size_t n, char **names, const uint64_t *sizes, uint32_t magic)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	ImageFileEntry files[4], *fp[4];
	struct buf body = { 0 };
	struct img img;

	inv.format_version = IMG_FORMAT_VERSION;
	inv.ckpt_version = "test";
	inv.kernel = "test";
	for (size_t i = 0; i < n; i++) {
		image_file_entry__init(&files[i]);
		files[i].name = names[i];
		files[i].magic = magic;
		files[i].size = sizes[i];
		fp[i] = &files[i];
	}
	inv.n_files = n;
	inv.files = fp;
	ck_assert_int_eq(img_pack_mem(&img, IMG_INVENTORY, &inv.base), 0);
	put32(&body, crc32c(0, b->p, b->len));
	put(&body, img.mem, img.mem_len);
	img_close(&img);
	rec(b, WIRE_END, body.p, body.len);
	free(body.p);
}

/* One file of kind IMG_CORE named @name: FILE, DATA, DONE (its header
 * made right, or not when @bad_header). */
static void file(struct buf *b, uint32_t id, const char *name, bool bad_header)
{
	unsigned char fbody[8 + 64], d[4 + 5] = { 0 }, done[4 + IMG_HEADER_SIZE];
	struct img img;

	wire_put32(fbody, id);
	wire_put32(fbody + 4, img_kinds[IMG_CORE].magic);
	memcpy(fbody + 8, name, strlen(name));
	rec(b, WIRE_FILE, fbody, 8 + strlen(name));
	wire_put32(d, id);
	memcpy(d + 4, "hello", 5);
	rec(b, WIRE_DATA, d, sizeof(d));
	img_create_mem(&img, IMG_CORE);
	img_write(&img, bad_header ? "hellO" : "hello", 5);
	img_finish(&img);
	wire_put32(done, id);
	memcpy(done + 4, img.mem, IMG_HEADER_SIZE);
	img_close(&img);
	rec(b, WIRE_DONE, done, sizeof(done));
}

static char parent[] = "/tmp/ckpt-check-stream-XXXXXX";

/* Receive @b into parent/set; returns what stream_receive() returns. */
static int receive(const struct buf *b)
{
	struct imgdir d;
	_cleanup_free_ char *path = xasprintf("%s/set", parent);
	int fd = memfd_create("stream", MFD_CLOEXEC), r;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_full(fd, b->p, b->len), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(imgdir_create_as(&d, path, "receive"), 0);
	r = stream_receive(fd, &d);
	close(fd);
	return r;
}

/* Entries in the parent directory (the set, or anything left). */
static int entries(void)
{
	DIR *d = opendir(parent);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void clear(void)
{
	_cleanup_free_ char *cmd = xasprintf("rm -rf -- '%s/set'", parent);

	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_names)
{
	ck_assert(stream_name_ok("core-123.img", IMG_CORE));
	ck_assert(stream_name_ok("pstree.img", IMG_PSTREE));
	ck_assert(stream_name_ok("uts-4026531838.img", IMG_NS_UTS));
	ck_assert(stream_name_ok("core-0.img", IMG_CORE));
	ck_assert(!stream_name_ok("core-0123.img", IMG_CORE));
	ck_assert(!stream_name_ok("core-.img", IMG_CORE));
	ck_assert(!stream_name_ok("core-1a.img", IMG_CORE));
	ck_assert(!stream_name_ok("core-99999999999.img", IMG_CORE));
	ck_assert(!stream_name_ok("core-2147483648.img", IMG_CORE));
	ck_assert(stream_name_ok("uts-4294967295.img", IMG_NS_UTS));
	ck_assert(!stream_name_ok("uts-4294967296.img", IMG_NS_UTS));
	ck_assert(!stream_name_ok("../core-1.img", IMG_CORE));
	ck_assert(!stream_name_ok("core-1.img/x", IMG_CORE));
	ck_assert(!stream_name_ok("pages-1.img", IMG_CORE));
	ck_assert(!stream_name_ok("core-1.img", -1));
	ck_assert(!stream_name_ok("core-1.img", IMG_NR_KINDS));
}
END_TEST

START_TEST(test_good)
{
	struct buf b = { 0 };
	char *names[] = { "core-7.img" };
	uint64_t sizes[] = { IMG_HEADER_SIZE + 5 };
	_cleanup_free_ char *core = xasprintf("%s/set/core-7.img", parent);
	struct img img;
	char got[5];

	header(&b);
	file(&b, 1, "core-7.img", false);
	end(&b, 1, names, sizes, img_kinds[IMG_CORE].magic);
	ck_assert_int_eq(receive(&b), 0);
	ck_assert_int_eq(img_open_file(&img, AT_FDCWD, core, IMG_CORE), 0);
	ck_assert_int_eq(img_read(&img, got, 5), 0);
	ck_assert(!memcmp(got, "hello", 5));
	img_close(&img);
	clear();
	free(b.p);
}
END_TEST

/* Each refused, nothing left. */
START_TEST(test_bad)
{
	char *names[] = { "core-7.img" };
	uint64_t sizes[] = { IMG_HEADER_SIZE + 5 }, wrong[] = { IMG_HEADER_SIZE + 6 };
	uint32_t magic = img_kinds[IMG_CORE].magic;

	for (int k = 0; k < 9; k++) {
		struct buf b = { 0 };

		header(&b);
		switch (k) {
		case 0: /* nothing after the header */
			break;
		case 1: /* a name that no kind makes */
			file(&b, 1, "../core-7.img", false);
			end(&b, 1, names, sizes, magic);
			break;
		case 2: /* the header does not match the bytes */
			file(&b, 1, "core-7.img", true);
			end(&b, 1, names, sizes, magic);
			break;
		case 3: /* the inventory lists another size */
			file(&b, 1, "core-7.img", false);
			end(&b, 1, names, wrong, magic);
			break;
		case 4: /* the inventory lists nothing */
			file(&b, 1, "core-7.img", false);
			end(&b, 0, names, sizes, magic);
			break;
		case 5: /* a file twice */
			file(&b, 1, "core-7.img", false);
			file(&b, 2, "core-7.img", false);
			end(&b, 1, names, sizes, magic);
			break;
		case 6: /* a record too long */
			put32(&b, WIRE_DATA);
			put32(&b, STREAM_CHUNK + 5);
			break;
		case 7: /* a record's checksum wrong */
			file(&b, 1, "core-7.img", false);
			b.p[b.len - 1] ^= 1;
			end(&b, 1, names, sizes, magic);
			break;
		case 8: /* the whole stream's checksum wrong: built below */
			break;
		}
		if (k == 8) {
			/* The total CRC in END wrong, END's own CRC right. */
			struct buf c = { 0 };
			struct img img;
			InventoryEntry inv = INVENTORY_ENTRY__INIT;
			ImageFileEntry f = IMAGE_FILE_ENTRY__INIT, *fp = &f;
			struct buf body = { 0 };

			header(&c);
			file(&c, 1, "core-7.img", false);
			inv.format_version = IMG_FORMAT_VERSION;
			inv.ckpt_version = inv.kernel = "test";
			f.name = names[0];
			f.magic = magic;
			f.size = sizes[0];
			inv.n_files = 1;
			inv.files = &fp;
			ck_assert_int_eq(img_pack_mem(&img, IMG_INVENTORY, &inv.base), 0);
			put32(&body, crc32c(0, c.p, c.len) ^ 1);
			put(&body, img.mem, img.mem_len);
			img_close(&img);
			rec(&c, WIRE_END, body.p, body.len);
			free(body.p);
			free(b.p);
			b = c;
		}
		ck_assert_msg(receive(&b) < 0, "case %d was not refused", k);
		ck_assert_msg(entries() == 0, "case %d left something", k);
		free(b.p);
	}
}
END_TEST

static Suite *stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc = tcase_create("receive");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_bad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (!mkdtemp(parent))
		return EXIT_FAILURE;
	sr = srunner_create(stream_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rmdir(parent);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
