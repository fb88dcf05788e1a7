// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-reader - a libFuzzer target on the image reader: an input is an
 * image file. Its kind is taken from its header; the payload after the
 * header is wrapped again with a valid header and checksum (so that
 * mutations get past the checksum), read with img_open_mem + img_unpack
 * and, when it decodes, checked by its kind's validator. The input as it
 * is goes through img_open_mem and img_read too, for the header checks.
 * Built with clang -fsanitize=fuzzer,address,undefined (make fuzz).
 */
#include "fuzz.h"

#include "util.h"

#include <fcntl.h>
#include <string.h>

static void read_raw(const uint8_t *data, size_t size, enum img_kind kind)
{
	struct img img;
	uint8_t buf[4096];

	if (img_open_mem(&img, data, size, kind) >= 0)
		while (!img_at_end(&img) &&
		       img_read(&img, buf, MIN(sizeof(buf), img.payload_len - img.pos)) >= 0)
			;
	img_close(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *desc;
	ProtobufCMessage *msg = NULL;
	struct img img;
	int kind;

	if (size < IMG_HEADER_SIZE)
		return 0;
	if (log_fd == 2)
		log_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	kind = img_kind_by_magic(data[4] | data[5] << 8 | data[6] << 16 | (uint32_t)data[7] << 24);
	if (kind < 0)
		return 0;
	read_raw(data, size, (enum img_kind)kind);
	desc = fuzz_desc((enum img_kind)kind);
	if (!desc)
		return 0;
	img_create_mem(&img, (enum img_kind)kind);
	(void)img_write(&img, data + IMG_HEADER_SIZE, size - IMG_HEADER_SIZE);
	(void)img_finish(&img);
	{
		struct img in;

		if (img_open_mem(&in, img.mem, img.mem_len, (enum img_kind)kind) >= 0 &&
		    img_unpack(&in, desc, &msg) >= 0) {
			(void)fuzz_check((enum img_kind)kind, msg);
			protobuf_c_message_free_unpacked(msg, NULL);
		}
		img_close(&in);
	}
	img_close(&img);
	return 0;
}
