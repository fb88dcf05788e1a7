// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-images - a structure-aware fuzzer of restore's load-and-check path.
 *
 *   fuzz-images [-n ITERATIONS] [-t SECONDS] [-s SEED] [-v] DIR
 *	Copy the image set DIR (made by a real dump) into a scratch
 *	directory; each iteration decodes one of its message images, mutates
 *	one to three fields found by walking the protobuf-c descriptors
 *	(integers get boundary values, strings hostile paths and control
 *	characters, bytes odd lengths, repeated fields elements duplicated,
 *	multiplied or removed, optional sub-messages dropped), writes it back
 *	with a valid header, checksum and inventory size, and runs
 *	restore_prepare() + restore_release() on the set: everything restore
 *	does short of creating a process. The file is then put back.
 *	Deterministic for a seed. Built with ASan and UBSan, a crash, a leak
 *	or a sanitizer report ends it non-zero; a refused set is the expected
 *	outcome. Prints the number of executions, refused and accepted.
 *
 *   fuzz-images --repack DIR FILE
 *	Read a payload on stdin and write it as FILE of DIR with a valid
 *	header and checksum, fixing its size in inventory.img (for tests
 *	that need edits too large for imgedit).
 */
#include "fuzz.h"

#include "imgdir.h"
#include "restore.h"
#include "util.h"

#include "inventory.pb-c.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- a deterministic generator (xorshift64*) ---- */

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* ---- walking a message ---- */

struct slot {
	ProtobufCMessage *m;
	const ProtobufCFieldDescriptor *f;
};

struct slots {
	struct slot *v;
	size_t n;
};

static void *member(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	return (char *)m + f->offset;
}

static size_t *count_of(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	return (size_t *)((char *)m + f->quantifier_offset);
}

static void collect(ProtobufCMessage *m, struct slots *s)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	for (unsigned int i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
		s->v[s->n++] = (struct slot){ m, f };
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			ProtobufCMessage **els = *(ProtobufCMessage ***)member(m, f);

			for (size_t k = 0; k < *count_of(m, f); k++)
				collect(els[k], s);
		} else if (*(ProtobufCMessage **)member(m, f)) {
			collect(*(ProtobufCMessage **)member(m, f), s);
		}
	}
}

/* ---- values ---- */

static bool is_int(ProtobufCType t)
{
	return t != PROTOBUF_C_TYPE_STRING && t != PROTOBUF_C_TYPE_BYTES &&
	       t != PROTOBUF_C_TYPE_MESSAGE && t != PROTOBUF_C_TYPE_FLOAT &&
	       t != PROTOBUF_C_TYPE_DOUBLE;
}

static const uint64_t boundaries[] = {
	0,
	1,
	2,
	7,
	15,
	16,
	31,
	32,
	63,
	64,
	65,
	127,
	128,
	129,
	255,
	256,
	1023,
	1024,
	4095,
	4096,
	4097,
	65535,
	65536,
	65537,
	1048575,
	1048576,
	4194304,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000ULL,
	0xfffff,
	1ULL << 52,
	(1ULL << 52) + 1,
	0x7ffffffff000ULL,
	0x7fffffffffffULL,
	0x800000000000ULL,
	0xfffffffffffff000ULL,
	0x7fffffffffffffffULL,
	0x8000000000000000ULL,
	~0ULL,
	~0ULL - 1,
};

static uint64_t int_value(uint64_t old)
{
	switch (rnd_below(8)) {
	case 0:
		return old + 1;
	case 1:
		return old - 1;
	case 2:
		return old << rnd_below(40);
	case 3:
		return old ^ (1ULL << rnd_below(64));
	case 4:
		return rnd();
	case 5:
		return old + 4096 * (rnd_below(9) - 4);
	default:
		return boundaries[rnd_below(ARRAY_SIZE(boundaries))];
	}
}

static void set_int(void *p, ProtobufCType t, uint64_t v)
{
	if (t == PROTOBUF_C_TYPE_BOOL)
		*(protobuf_c_boolean *)p = (protobuf_c_boolean)(v & 1);
	else if (fuzz_field_size(t) == 8)
		memcpy(p, &v, 8);
	else
		*(uint32_t *)p = (uint32_t)v;
}

static uint64_t get_int(const void *p, ProtobufCType t)
{
	uint64_t v = 0;

	if (t == PROTOBUF_C_TYPE_BOOL)
		return *(const protobuf_c_boolean *)p;
	if (fuzz_field_size(t) == 8)
		memcpy(&v, p, 8);
	else
		v = *(const uint32_t *)p;
	return v;
}

static char *string_value(void)
{
	static const char *const strs[] = {
		"",
		"..",
		"../../../../etc/shadow",
		"/etc/shadow",
		"/",
		"/proc/self/mem",
		"/dev/mem",
		"relative",
		"a\nb",
		"\x01\x02\x7f",
		"/tmp/../etc/passwd",
		"%s%s%n",
	};
	size_t i = rnd_below(ARRAY_SIZE(strs) + 2);

	if (i < ARRAY_SIZE(strs))
		return xstrdup(strs[i]);
	{
		size_t len = i == ARRAY_SIZE(strs) ? 16 : 4096 + rnd_below(8192);
		char *s = xmalloc(len + 1);

		memset(s, 'A' + (int)rnd_below(26), len);
		s[0] = '/';
		s[len] = 0;
		return s;
	}
}

static void bytes_value(ProtobufCBinaryData *b)
{
	static const size_t lens[] = { 0, 1, 4, 7, 8, 15, 16, 127, 128, 129, 576, 4096, 16385 };
	size_t len;
	uint8_t *data;

	switch (rnd_below(3)) {
	case 0:
		len = b->len ? b->len - 1 : 0;
		break;
	case 1:
		len = b->len + 1 + rnd_below(16);
		break;
	default:
		len = lens[rnd_below(ARRAY_SIZE(lens))];
	}
	data = xzalloc(len + 1);
	if (b->data && len)
		memcpy(data, b->data, MIN(len, b->len));
	for (size_t i = b->len; i < len; i++)
		data[i] = (uint8_t)rnd();
	if (len && !rnd_below(4))
		data[rnd_below(len)] = (uint8_t)rnd();
	free(b->data);
	b->data = data;
	b->len = len;
}

/* ---- copies of elements ---- */

static ProtobufCMessage *msg_copy(const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	_cleanup_free_ uint8_t *buf = xmalloc(len + 1);

	protobuf_c_message_pack(m, buf);
	return protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
}

static void elem_free(const ProtobufCFieldDescriptor *f, void *el)
{
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		protobuf_c_message_free_unpacked(*(ProtobufCMessage **)el, NULL);
	else if (f->type == PROTOBUF_C_TYPE_STRING)
		free(*(char **)el);
	else if (f->type == PROTOBUF_C_TYPE_BYTES)
		free(((ProtobufCBinaryData *)el)->data);
}

/* A copy of @el at @dst. False if it cannot be made. */
static bool elem_copy(const ProtobufCFieldDescriptor *f, const void *el, void *dst)
{
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		ProtobufCMessage *c = msg_copy(*(ProtobufCMessage *const *)el);

		*(ProtobufCMessage **)dst = c;
		return c != NULL;
	}
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		*(char **)dst = xstrdup(*(char *const *)el);
		return true;
	}
	if (f->type == PROTOBUF_C_TYPE_BYTES) {
		const ProtobufCBinaryData *b = el;
		ProtobufCBinaryData *c = dst;

		c->len = b->len;
		c->data = xmalloc(b->len + 1);
		if (b->len)
			memcpy(c->data, b->data, b->len);
		return true;
	}
	memcpy(dst, el, fuzz_field_size(f->type));
	return true;
}

/* ---- mutations ---- */

static void mutate_value(const ProtobufCFieldDescriptor *f, void *p)
{
	if (is_int(f->type)) {
		set_int(p, f->type, int_value(get_int(p, f->type)));
	} else if (f->type == PROTOBUF_C_TYPE_STRING) {
		free(*(char **)p);
		*(char **)p = string_value();
	} else if (f->type == PROTOBUF_C_TYPE_BYTES) {
		bytes_value(p);
	}
}

static void mutate_repeated(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	size_t *n = count_of(m, f), sz = fuzz_field_size(f->type);
	char **arr = (char **)member(m, f);

	if (!*n) {
		if (is_int(f->type)) { /* a first element */
			*arr = xzalloc(sz);
			set_int(*arr, f->type, int_value(0));
			*n = 1;
		}
		return;
	}
	switch (rnd_below(5)) {
	case 0: { /* remove one */
		size_t k = rnd_below(*n);

		elem_free(f, *arr + k * sz);
		memmove(*arr + k * sz, *arr + (k + 1) * sz, (*n - k - 1) * sz);
		(*n)--;
		break;
	}
	case 1:
	case 2: { /* duplicate one, once or many times */
		size_t k = rnd_below(*n), times = 1;

		/* Now and then past the bounds ckpt sets (NGROUPS_MAX...). */
		if (!rnd_below(2))
			times = rnd_below(16) ? 1 + rnd_below(100) : 1 + rnd_below(70000);

		if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			times = MIN(times, 2000);
		*arr = xrealloc(*arr, (*n + times) * sz);
		for (size_t t = 0; t < times; t++) {
			if (!elem_copy(f, *arr + k * sz, *arr + *n * sz))
				break;
			(*n)++;
		}
		break;
	}
	case 3: /* swap two: out of order */
		if (*n > 1) {
			size_t a = rnd_below(*n), b = rnd_below(*n);
			char tmp[sizeof(ProtobufCBinaryData)];

			memcpy(tmp, *arr + a * sz, sz);
			memcpy(*arr + a * sz, *arr + b * sz, sz);
			memcpy(*arr + b * sz, tmp, sz);
		}
		break;
	default: /* change one */
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			mutate_value(f, *arr + rnd_below(*n) * sz);
	}
}

static void mutate_slot(const struct slot *s)
{
	const ProtobufCFieldDescriptor *f = s->f;
	void *p = member(s->m, f);

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		mutate_repeated(s->m, f);
		return;
	}
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		/* Optional sub-messages can go; required ones are mutated
		 * through their own fields. */
		if (f->label == PROTOBUF_C_LABEL_OPTIONAL && *(ProtobufCMessage **)p) {
			protobuf_c_message_free_unpacked(*(ProtobufCMessage **)p, NULL);
			*(ProtobufCMessage **)p = NULL;
		}
		return;
	}
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset && !rnd_below(4)) {
		protobuf_c_boolean *has = (protobuf_c_boolean *)count_of(s->m, f);

		*has = !*has;
		return;
	}
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type == PROTOBUF_C_TYPE_STRING &&
	    *(char **)p && !rnd_below(4)) {
		free(*(char **)p);
		*(char **)p = NULL;
		return;
	}
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
		*(protobuf_c_boolean *)count_of(s->m, f) = true;
	mutate_value(f, p);
}

/* Mutate one to three fields of @m. */
static void mutate(ProtobufCMessage *m)
{
	size_t times = 1 + rnd_below(3);

	for (size_t t = 0; t < times; t++) {
		struct slots s = { 0 };

		collect(m, &s);
		if (s.n)
			mutate_slot(&s.v[rnd_below(s.n)]);
		free(s.v);
	}
}

/* ---- the image set ---- */

struct file {
	char *name;
	enum img_kind kind;
	uint8_t *bytes; /* the whole file as dumped */
	size_t len;
};

struct set {
	char *dir; /* the scratch copy */
	int dirfd;
	struct file *files;
	size_t n;
	struct file inventory;
};

static int read_all(int dirfd, const char *name, uint8_t **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	*ret = xmalloc((size_t)st.st_size + 1);
	*ret_len = (size_t)st.st_size;
	return read_full(fd, *ret, *ret_len);
}

static int put_back(const struct set *s, const struct file *f)
{
	_cleanup_close_ int fd = -1;

	(void)unlinkat(s->dirfd, f->name, 0);
	fd = openat(s->dirfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : write_full(fd, f->bytes, f->len);
}

static int set_open(struct set *s, const char *src)
{
	_cleanup_close_ int srcfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const char *tmp = getenv("TMPDIR");
	DIR *d;
	struct dirent *de;
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (srcfd < 0)
		return -errno;
	s->dir = xasprintf("%s/ckpt-fuzz-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir))
		return -errno;
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fdopendir(dup(srcfd));
	if (s->dirfd < 0 || !d)
		return -errno;
	while ((de = readdir(d)) && r >= 0) {
		struct file f = { 0 };

		if (de->d_name[0] == '.')
			continue;
		f.name = xstrdup(de->d_name);
		f.kind = (enum img_kind)fuzz_kind_of(srcfd, f.name);
		r = read_all(srcfd, f.name, &f.bytes, &f.len);
		s->files = xrealloc(s->files, (s->n + 1) * sizeof(*s->files));
		s->files[s->n++] = f;
		if (r >= 0)
			r = put_back(s, &f);
		if (!strcmp(f.name, "inventory.img"))
			s->inventory = f;
	}
	closedir(d);
	return r < 0 ? r : s->inventory.name ? 0 : -ENOENT;
}

static void set_close(struct set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		(void)unlinkat(s->dirfd, s->files[i].name, 0);
		free(s->files[i].name);
		free(s->files[i].bytes);
	}
	free(s->files);
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->dir)
		(void)rmdir(s->dir);
	free(s->dir);
}

/* ---- one execution ---- */

struct stats {
	uint64_t execs, refused, accepted, unchanged;
};

static int fuzz_one(struct set *s, struct stats *st)
{
	const struct file *f;
	const ProtobufCMessageDescriptor *desc;
	ProtobufCMessage *m;
	struct img img;
	struct restore rs;
	size_t len;
	int r;

	do
		f = &s->files[rnd_below(s->n)];
	while (!fuzz_desc(f->kind));
	desc = fuzz_desc(f->kind);
	r = img_open_mem(&img, f->bytes, f->len, f->kind);
	if (r >= 0)
		r = img_unpack(&img, desc, &m);
	img_close(&img);
	if (r < 0)
		return r; /* the dump's own images decode */
	mutate(m);
	len = protobuf_c_message_get_packed_size(m);
	{
		_cleanup_free_ uint8_t *buf = xmalloc(len + 1);

		protobuf_c_message_pack(m, buf);
		r = fuzz_rewrite(s->dirfd, f->name, f->kind, buf, len);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	if (r < 0)
		return r;
	r = restore_prepare(&rs, s->dir, NULL, 0, NULL);
	restore_release(&rs);
	st->execs++;
	if (r < 0)
		st->refused++;
	else
		st->accepted++;
	r = put_back(s, f);
	if (r >= 0 && f->kind != IMG_INVENTORY)
		r = put_back(s, &s->inventory);
	return r;
}

static int repack(const char *dir, const char *name)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t cap = 1 << 20, len = 0;
	_cleanup_free_ uint8_t *buf = xmalloc(cap);
	int kind = dirfd < 0 ? -1 : fuzz_kind_of(dirfd, name);
	ssize_t n;

	if (kind < 0) {
		fprintf(stderr, "fuzz-images: '%s/%s' is not an image\n", dir, name);
		return 1;
	}
	while ((n = read(0, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	if (n < 0 || fuzz_rewrite(dirfd, name, (enum img_kind)kind, buf, len) < 0) {
		fprintf(stderr, "fuzz-images: cannot rewrite '%s/%s'\n", dir, name);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t iterations = 1000, seed = 1, seconds = 0, t0 = now_ns(CLOCK_MONOTONIC);
	struct stats st = { 0 };
	bool verbose = false;
	struct set s;
	int opt, r;

	if (argc == 4 && !strcmp(argv[1], "--repack"))
		return repack(argv[2], argv[3]);
	while ((opt = getopt(argc, argv, "n:s:t:v")) != -1) {
		if (opt == 'n')
			iterations = strtoull(optarg, NULL, 0);
		else if (opt == 't')
			seconds = strtoull(optarg, NULL, 0);
		else if (opt == 's')
			seed = strtoull(optarg, NULL, 0);
		else if (opt == 'v')
			verbose = true;
		else
			return 2;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: fuzz-images [-n N] [-t SECONDS] [-s SEED] [-v] DIR\n"
				"       fuzz-images --repack DIR FILE\n");
		return 2;
	}
	rng ^= seed * 0x9E3779B97F4A7C15ULL;
	if (!rng)
		rng = 1;
	r = set_open(&s, argv[optind]);
	if (r < 0) {
		fprintf(stderr, "fuzz-images: cannot copy '%s': %s\n", argv[optind], strerror(-r));
		set_close(&s);
		return 1;
	}
	/* ckpt's one-line refusals are the expected outcome: not shown. */
	if (!verbose)
		log_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (seconds)
		iterations = UINT64_MAX;
	for (uint64_t i = 0; i < iterations && r >= 0; i++) {
		r = fuzz_one(&s, &st);
		if (seconds && now_ns(CLOCK_MONOTONIC) - t0 > seconds * 1000000000ULL)
			break;
	}
	if (!verbose)
		close(log_fd);
	log_fd = 2;
	set_close(&s);
	printf("fuzz-images: seed %" PRIu64 ": %" PRIu64 " executions, %" PRIu64
	       " refused, %" PRIu64 " accepted\n",
	       seed, st.execs, st.refused, st.accepted);
	if (r < 0) {
		fprintf(stderr, "fuzz-images: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
