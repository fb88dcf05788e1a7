// SPDX-License-Identifier: GPL-2.0
/*
 * imgedit - read and edit fields of ckpt's message images, for tests that
 * play a hostile image writer. An edited image gets a valid header and
 * checksum, and inventory.img the file's new size, so the edit reaches
 * ckpt's checks past the checksums, as an attacker's would.
 *
 *   imgedit DIR FILE                  every field, one "PATH=VALUE" a line
 *   imgedit DIR FILE PATH             one value (a repeated field: its count;
 *                                     bytes whole, not cut at 64)
 *   imgedit DIR FILE EDIT...          apply the edits, rewrite FILE
 *
 * FILE is a file name in DIR (core-1234.img); its kind comes from its
 * header. PATH is fields joined by dots, repeated ones indexed:
 * "creds.uid", "threads[0].regs.rip", "files[3].path". EDIT is one of
 *
 *   PATH=VALUE        set a scalar (numbers in any base strtoull takes, or
 *                     negative; bool 0/1; enum by number; string as given;
 *                     bytes as given, or hex after "hex:")
 *   PATH[+]=VALUE     append to a repeated scalar
 *   PATH[+]=@N        append a copy of element N of a repeated message
 *   PATH=[]           empty a repeated field
 *   PATH[-]=N         remove element N of a repeated field
 *
 * A missing optional sub-message on the way is created (required fields
 * zero). The file keeps its owner and mode. Exit 0, or 1 with a message.
 */
#include "fuzz.h"
#include "image.h"
#include "util.h"

#include "inventory.pb-c.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("imgedit: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static bool is_signed(ProtobufCType t)
{
	return t == PROTOBUF_C_TYPE_INT32 || t == PROTOBUF_C_TYPE_SINT32 ||
	       t == PROTOBUF_C_TYPE_SFIXED32 || t == PROTOBUF_C_TYPE_INT64 ||
	       t == PROTOBUF_C_TYPE_SINT64 || t == PROTOBUF_C_TYPE_SFIXED64;
}

/* ---- printing ---- */

static void print_value(const ProtobufCFieldDescriptor *f, const void *p, const char *path);
static size_t bytes_shown = 64; /* of a bytes field, in a listing */

static void print_msg(const ProtobufCMessage *m, const char *prefix)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;
		_cleanup_free_ char *path =
			*prefix ? xasprintf("%s.%s", prefix, f->name) : xstrdup(f->name);

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			const char *arr = *(char *const *)(base + f->offset);

			for (size_t k = 0; k < n; k++) {
				_cleanup_free_ char *ep = xasprintf("%s[%zu]", path, k);

				print_value(f, arr + k * fuzz_field_size(f->type), ep);
			}
			continue;
		}
		if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
		    f->type != PROTOBUF_C_TYPE_STRING && f->quantifier_offset &&
		    !*(const protobuf_c_boolean *)(base + f->quantifier_offset))
			continue;
		print_value(f, base + f->offset, path);
	}
}

static void print_value(const ProtobufCFieldDescriptor *f, const void *p, const char *path)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)p)
			print_msg(*(ProtobufCMessage *const *)p, path);
		return;
	case PROTOBUF_C_TYPE_STRING:
		if (*(char *const *)p)
			printf("%s=%s\n", path, *(char *const *)p);
		return;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;

		printf("%s=hex:", path);
		for (size_t i = 0; i < b->len && i < bytes_shown; i++)
			printf("%02x", b->data[i]);
		printf("%s\n", b->len > bytes_shown ? "..." : "");
		return;
	}
	case PROTOBUF_C_TYPE_BOOL:
		printf("%s=%d\n", path, *(const protobuf_c_boolean *)p ? 1 : 0);
		return;
	default:
		break;
	}
	if (fuzz_field_size(f->type) == 8)
		printf(is_signed(f->type) ? "%s=%" PRId64 "\n" : "%s=%" PRIu64 "\n", path,
		       *(const uint64_t *)p);
	else
		printf(is_signed(f->type) ? "%s=%" PRId32 "\n" : "%s=%" PRIu32 "\n", path,
		       *(const uint32_t *)p);
}

/* ---- finding a field ---- */

struct slot {
	ProtobufCMessage *msg; /* the message holding the field */
	const ProtobufCFieldDescriptor *f;
	long index; /* element of a repeated field; -1: the field itself */
};

static ProtobufCMessage *new_msg(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = xzalloc(d->sizeof_message);

	d->message_init(m);
	return m;
}

/* Resolve "a.b[2].c" to the slot of its last field; create optional
 * sub-messages on the way. */
static void resolve(ProtobufCMessage *m, const char *path, struct slot *s)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL, *seg = strtok_r(copy, ".", &save);

	while (seg) {
		char *br = strchr(seg, '[');
		char *next = strtok_r(NULL, ".", &save);
		const ProtobufCFieldDescriptor *f;
		long idx = -1;

		if (br) {
			*br = 0;
			idx = strtol(br + 1, NULL, 0);
		}
		f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, seg);
		if (!f)
			die("no field '%s' in %s", seg, m->descriptor->name);
		s->msg = m;
		s->f = f;
		s->index = idx;
		if (!next)
			return;
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			die("'%s' is not a message", seg);
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(size_t *)((char *)m + f->quantifier_offset);

			if (idx < 0 || (size_t)idx >= n)
				die("'%s' has %zu elements, no [%ld]", seg, n, idx);
			m = (*(ProtobufCMessage ***)((char *)m + f->offset))[idx];
		} else {
			ProtobufCMessage **pm = (ProtobufCMessage **)((char *)m + f->offset);

			if (!*pm)
				*pm = new_msg(f->descriptor);
			m = *pm;
		}
		seg = next;
	}
	die("empty path");
}

/* ---- setting ---- */

static void set_scalar(const ProtobufCFieldDescriptor *f, void *p, const char *v)
{
	char *end;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		*(char **)p = xstrdup(v);
		return;
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;

		if (!strncmp(v, "hex:", 4)) {
			size_t n = strlen(v + 4) / 2;

			b->data = xmalloc(n + 1);
			for (size_t i = 0; i < n; i++)
				sscanf(v + 4 + 2 * i, "%2hhx", &b->data[i]);
			b->len = n;
		} else {
			b->data = (uint8_t *)xstrdup(v);
			b->len = strlen(v);
		}
		return;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		die("'%s' is a message: set its fields", f->name);
	default:
		break;
	}
	errno = 0;
	uint64_t x = v[0] == '-' ? (uint64_t)strtoll(v, &end, 0) : strtoull(v, &end, 0);
	if (errno || *end || end == v)
		die("'%s' is not a number", v);
	if (fuzz_field_size(f->type) == 8)
		*(uint64_t *)p = x;
	else
		*(uint32_t *)p = (uint32_t)x;
}

static void edit(ProtobufCMessage *root, const char *arg)
{
	_cleanup_free_ char *path = xstrdup(arg);
	char *eq = strchr(path, '='), *v;
	struct slot s;
	size_t *np;
	char **arr, *base;
	size_t sz;
	enum { SET, APPEND, CLEAR, REMOVE } op = SET;

	if (!eq)
		die("'%s' is not an edit", arg);
	*eq = 0;
	v = eq + 1;
	if (str_ends(path, "[+]")) {
		op = APPEND;
		path[strlen(path) - 3] = 0;
	} else if (str_ends(path, "[-]")) {
		op = REMOVE;
		path[strlen(path) - 3] = 0;
	} else if (!strcmp(v, "[]")) {
		op = CLEAR;
	}
	resolve(root, path, &s);
	base = (char *)s.msg;
	sz = fuzz_field_size(s.f->type);
	if (s.f->label != PROTOBUF_C_LABEL_REPEATED) {
		if (op != SET || s.index >= 0)
			die("'%s' is not a repeated field", s.f->name);
		if (s.f->label == PROTOBUF_C_LABEL_OPTIONAL && s.f->quantifier_offset &&
		    s.f->type != PROTOBUF_C_TYPE_STRING && s.f->type != PROTOBUF_C_TYPE_MESSAGE)
			*(protobuf_c_boolean *)(base + s.f->quantifier_offset) = 1;
		set_scalar(s.f, base + s.f->offset, v);
		return;
	}
	np = (size_t *)(base + s.f->quantifier_offset);
	arr = (char **)(base + s.f->offset);
	switch (op) {
	case CLEAR:
		*np = 0;
		return;
	case REMOVE: {
		size_t k = strtoull(v, NULL, 0);

		if (k >= *np)
			die("'%s' has %zu elements, no [%zu]", s.f->name, *np, k);
		memmove(*arr + k * sz, *arr + (k + 1) * sz, (*np - k - 1) * sz);
		(*np)--;
		return;
	}
	case APPEND: {
		char *grown = xmalloc((*np + 1) * sz);

		memcpy(grown, *arr, *np * sz);
		*arr = grown;
		if (s.f->type == PROTOBUF_C_TYPE_MESSAGE) {
			size_t k;

			if (v[0] != '@')
				die("append to a repeated message takes @N (a copy of element N)");
			k = strtoull(v + 1, NULL, 0);
			if (k >= *np)
				die("'%s' has %zu elements, no [%zu]", s.f->name, *np, k);
			/* A deep copy (packed and unpacked), so that editing the new
			 * element leaves element k as it was. */
			const ProtobufCMessage *src = ((ProtobufCMessage **)grown)[k];
			size_t plen = protobuf_c_message_get_packed_size(src);
			uint8_t *pb = xmalloc(plen + 1);
			ProtobufCMessage *copy;

			protobuf_c_message_pack(src, pb);
			copy = protobuf_c_message_unpack(s.f->descriptor, NULL, plen, pb);
			if (!copy)
				die("cannot copy element %zu of '%s'", k, s.f->name);
			((ProtobufCMessage **)grown)[*np] = copy;
		} else {
			memset(grown + *np * sz, 0, sz);
			set_scalar(s.f, grown + *np * sz, v);
		}
		(*np)++;
		return;
	}
	case SET:
		if (s.index < 0 || (size_t)s.index >= *np)
			die("'%s' has %zu elements, no [%ld]", s.f->name, *np, s.index);
		set_scalar(s.f, *arr + s.index * sz, v);
		return;
	}
}

static void print_one(ProtobufCMessage *root, const char *path)
{
	struct slot s;
	const char *base;

	bytes_shown = SIZE_MAX;
	resolve(root, path, &s);
	base = (const char *)s.msg;
	if (s.f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n = *(const size_t *)(base + s.f->quantifier_offset);

		if (s.index < 0) {
			printf("%zu\n", n);
			return;
		}
		if ((size_t)s.index >= n)
			die("'%s' has %zu elements, no [%ld]", s.f->name, n, s.index);
		print_value(s.f,
			    *(char *const *)(base + s.f->offset) +
				    s.index * fuzz_field_size(s.f->type),
			    path);
		return;
	}
	print_value(s.f, base + s.f->offset, path);
}

/* ---- files ---- */

static ProtobufCMessage *load(int dirfd, const char *name, enum img_kind *ret_kind)
{
	unsigned char h[8];
	ProtobufCMessage *m;
	struct img img;
	int fd, kind, r;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || read_full(fd, h, sizeof(h)) < 0)
		die("cannot read '%s': %s", name, strerror(errno));
	close(fd);
	kind = img_kind_by_magic(h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24);
	if (kind < 0 || !fuzz_desc(kind))
		die("'%s' is not a message image", name);
	r = img_open_file(&img, dirfd, name, kind);
	if (r >= 0)
		r = img_unpack(&img, fuzz_desc(kind), &m);
	img_close(&img);
	if (r < 0)
		die("cannot read '%s': %s", name, strerror(-r));
	*ret_kind = kind;
	return m;
}

/* Replace @name with @m, keeping its owner and mode; returns the new size. */
static uint64_t store(int dirfd, const char *name, enum img_kind kind, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = xmalloc(len);
	struct stat st;
	struct img img;
	int r;

	protobuf_c_message_pack(m, buf);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || unlinkat(dirfd, name, 0) < 0)
		die("cannot replace '%s': %s", name, strerror(errno));
	r = img_create_file(&img, dirfd, name, kind);
	if (r >= 0)
		r = img_write(&img, buf, len);
	if (r >= 0)
		r = img_finish(&img);
	img_close(&img);
	if (r < 0)
		die("cannot write '%s': %s", name, strerror(-r));
	if (fchownat(dirfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(dirfd, name, st.st_mode & 07777, 0) < 0 ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		die("cannot restore the owner of '%s': %s", name, strerror(errno));
	free(buf);
	return (uint64_t)st.st_size;
}

int main(int argc, char **argv)
{
	enum img_kind kind, ikind;
	ProtobufCMessage *m;
	int dirfd;

	if (argc < 3)
		die("usage: imgedit DIR FILE [PATH | EDIT...]");
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		die("cannot open '%s': %s", argv[1], strerror(errno));
	m = load(dirfd, argv[2], &kind);
	if (argc == 3) {
		print_msg(m, "");
		return 0;
	}
	if (argc == 4 && !strchr(argv[3], '=')) {
		print_one(m, argv[3]);
		return 0;
	}
	for (int i = 3; i < argc; i++)
		edit(m, argv[i]);
	uint64_t size = store(dirfd, argv[2], kind, m);
	if (kind == IMG_INVENTORY)
		return 0;
	InventoryEntry *inv = (InventoryEntry *)load(dirfd, "inventory.img", &ikind);
	for (size_t i = 0; i < inv->n_files; i++)
		if (!strcmp(inv->files[i]->name, argv[2]))
			inv->files[i]->size = size;
	store(dirfd, "inventory.img", IMG_INVENTORY, &inv->base);
	return 0;
}
