/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_FUZZ_H
#define CKPT_FUZZ_H
/*
 * What the two fuzzers share: the message kinds and their validators, and
 * writing an image back with a valid header and checksum (and its size in
 * inventory.img), so that an edit reaches ckpt's checks past the
 * checksums, as a hostile writer's would.
 */
#include "image.h"

#include <stddef.h>
#include <stdint.h>

/* The message descriptor of @kind, NULL for raw (page) images. */
const ProtobufCMessageDescriptor *fuzz_desc(enum img_kind kind);

/* The size of one value of a field of type @t in a message (or in the
 * array of a repeated field). */
size_t fuzz_field_size(ProtobufCType t);

/* Run the validator of @kind on @msg as restore does (-EBADMSG if it
 * refuses); kinds without one return 0. */
int fuzz_check(enum img_kind kind, const ProtobufCMessage *msg);

/* Write @len payload bytes as image @name of @kind in @dirfd, header and
 * checksums right, and fix its size in the inventory (unless it is the
 * inventory). 0 or -errno. */
int fuzz_rewrite(int dirfd, const char *name, enum img_kind kind, const void *payload, size_t len);

/* The kind of image file @name of @dirfd, from its header; -1 if none. */
int fuzz_kind_of(int dirfd, const char *name);

#endif
