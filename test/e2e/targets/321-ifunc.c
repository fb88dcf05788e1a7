/*
 * 321-ifunc.c - code glibc chose by the CPU's features, and a mapped ELF
 * file.
 *
 * Usage: 321-ifunc WORKDIR [FILE [HELD]]
 *
 * glibc binds memcpy, memmove, memset, memcmp, memchr, strlen, strchr and
 * strcmp once, at startup, to the variant the CPU's flags select (AVX-512,
 * AVX2, SSE2...). Every iteration runs them over the target's data at
 * varying lengths and alignments and compares each result with a plain C
 * loop's; a wrong result (or a SIGILL) is counted. The self-check
 * (SIGUSR2) says how many rounds ran and fails on any wrong one.
 *
 * The vDSO: clock_gettime (realtime, monotonic) and gettimeofday answer
 * what the clock_gettime system call does, within a second.
 *
 * With FILE: FILE is mapped private, readable and executable, as the
 * loader maps a library; the self-check compares the mapping with the
 * bytes read from FILE at start (mapped=BYTES crc=HEX).
 *
 * With HELD: HELD is held open read-only at fd 20; the self-check reads
 * it there and compares with what it read at start (held=BYTES).
 */
#include "target.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>

#define DATA 65536

static unsigned char src[DATA + 64], dst[DATA + 64], ref[DATA + 64];
static char str[DATA + 64];
static unsigned long rounds, wrong;
static char first_wrong[128];
static const unsigned char *map;
static unsigned char *copy;
static size_t map_len;
static char held[4096];
static ssize_t held_len = -1;

static void bad(const char *what, size_t len, size_t align)
{
	if (!wrong++)
		snprintf(first_wrong, sizeof(first_wrong), "%s len %zu align %zu", what, len,
			 align);
}

static size_t plain_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static int plain_cmp(const unsigned char *a, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void one_round(void)
{
	size_t len = (rounds * 7919) % DATA, align = rounds % 61;
	unsigned char c = (unsigned char)(rounds * 13 + 1);
	const unsigned char *hit;
	char *sh;

	/* memcpy, memcmp */
	memset(dst, 0, sizeof(dst));
	memcpy(dst + align, src + (align * 3) % 64, len);
	if (plain_cmp(dst + align, src + (align * 3) % 64, len))
		bad("memcpy", len, align);
	if (len && (memcmp(dst + align, src + (align * 3) % 64, len) ||
		    sign(memcmp(dst + align, ref, len)) != sign(plain_cmp(dst + align, ref, len))))
		bad("memcmp", len, align);
	/* memmove, overlapping */
	memcpy(ref, src, DATA);
	memmove(ref + align + 1, ref + 1, len / 2);
	for (size_t i = 0; i < len / 2; i++)
		if (ref[align + 1 + i] != src[1 + i]) {
			bad("memmove", len, align);
			break;
		}
	/* memset */
	memset(dst + align, c, len);
	for (size_t i = 0; i < len; i++)
		if (dst[align + i] != c) {
			bad("memset", len, align);
			break;
		}
	/* memchr: the first c in src from align */
	hit = memchr(src + align, c, len);
	for (size_t i = 0; i <= len; i++)
		if (i == len || src[align + i] == c) {
			if ((i == len) != !hit || (hit && hit != src + align + i))
				bad("memchr", len, align);
			break;
		}
	/* strlen, strchr, strcmp over a string of len bytes */
	memset(str, 'a' + (int)(rounds % 26), sizeof(str));
	str[align + len] = 0;
	if (strlen(str + align) != plain_strlen(str + align) || strlen(str + align) != len)
		bad("strlen", len, align);
	if (len)
		str[align + len / 2] = 'Z';
	sh = strchr(str + align, 'Z');
	if (len && sh != str + align + len / 2)
		bad("strchr", len, align);
	memcpy(dst, str + align, len + 1);
	if (strcmp((char *)dst, str + align))
		bad("strcmp", len, align);
	rounds++;
}

static uint32_t crc(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void map_setup(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !st.st_size)
		t_fatal("open %s", path);
	map_len = (size_t)st.st_size;
	map = mmap(NULL, map_len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	copy = malloc(map_len);
	if (map == MAP_FAILED || !copy || pread(fd, copy, map_len, 0) != (ssize_t)map_len)
		t_fatal("map %s", path);
	close(fd);
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* Through the vDSO and through the system call: the same clock. */
static void vdso_check(struct t_check *c)
{
	static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC };
	struct timespec v, k;
	struct timeval tv;

	for (size_t i = 0; i < 2; i++) {
		if (clock_gettime(ids[i], &v) || syscall(SYS_clock_gettime, ids[i], &k))
			t_check_fail(c, "clock_gettime(%d) failed", (int)ids[i]);
		else if (ns_of(&k) - ns_of(&v) < 0 || ns_of(&k) - ns_of(&v) > 1000000000)
			t_check_fail(c, "clock %d: the vDSO says %lld ns, the kernel %lld", (int)ids[i],
				     (long long)ns_of(&v), (long long)ns_of(&k));
	}
	if (gettimeofday(&tv, NULL) || syscall(SYS_clock_gettime, CLOCK_REALTIME, &k) ||
	    k.tv_sec - tv.tv_sec < 0 || k.tv_sec - tv.tv_sec > 1)
		t_check_fail(c, "gettimeofday says %lld s", (long long)tv.tv_sec);
}

static void held_setup(const char *path)
{
	t_fd_at(open(path, O_RDONLY | O_CLOEXEC), 20);
	held_len = pread(20, held, sizeof(held), 0);
	if (held_len < 0)
		t_fatal("read %s", path);
}

static void ifunc_check(struct t_check *c)
{
	vdso_check(c);
	if (held_len >= 0) {
		char now[sizeof(held)];

		if (pread(20, now, sizeof(now), 0) != held_len || memcmp(now, held, (size_t)held_len))
			t_check_fail(c, "the file held at fd 20 reads other bytes");
		t_check_info(c, "held=%zd", held_len);
	}
	if (rounds < 10)
		t_check_fail(c, "only %lu rounds", rounds);
	if (wrong)
		t_check_fail(c, "%lu wrong results, the first %s", wrong, first_wrong);
	t_check_info(c, "rounds=%lu", rounds);
	if (map) {
		if (memcmp(map, copy, map_len))
			t_check_fail(c, "the mapped file differs from what it read");
		t_check_info(c, "mapped=%zu crc=%08x", map_len, crc(map, map_len));
	}
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = one_round, .check = ifunc_check };

	t_init(argc, argv);
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)((i * 2654435761u) >> 13);
	memcpy(ref, src, sizeof(ref));
	if (argc > 2)
		map_setup(argv[2]);
	if (argc > 3)
		held_setup(argv[3]);
	for (int i = 0; i < 20; i++)
		one_round();
	t_run(&ops);
	return 0;
}
