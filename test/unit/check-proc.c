// SPDX-License-Identifier: GPL-2.0
/*
 * /proc parsers on text captured from a real process on Linux 6.18 x86-64
 * (test/unit/fixtures/), on hand-made edge cases, and on garbage.
 *
 * Fixtures are found relative to the repository root, where `make unit`
 * runs; set CKPT_FIXTURES=DIR to run from elsewhere.
 */
#include "proc.h"
#include "util.h"

#include <check.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#ifndef FIXTURES_DIR
#define FIXTURES_DIR "test/unit/fixtures"
#endif

static FILE *open_fixture(const char *name)
{
	const char *dir = getenv("CKPT_FIXTURES");
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : FIXTURES_DIR, name);
	f = fopen(path, "re");
	ck_assert_msg(
		f != NULL,
		"cannot open fixture '%s' (run from the repository root or set CKPT_FIXTURES)",
		path);
	return f;
}

static char *read_fixture(const char *name)
{
	FILE *f = open_fixture(name);
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&buf, &cap, '\0', f);

	ck_assert_int_gt(n, 0);
	fclose(f);
	return buf;
}

/* A FILE* over a string (fmemopen refuses a zero size on some libcs). */
static FILE *text_file(const char *text)
{
	FILE *f = *text ? fmemopen((void *)text, strlen(text), "r") : fopen("/dev/null", "re");

	ck_assert_ptr_nonnull(f);
	return f;
}

static int parse_maps_text(const char *text, struct proc_vma **vmas, size_t *nr)
{
	FILE *f = text_file(text);
	int r = proc_parse_maps(f, vmas, nr);

	fclose(f);
	return r;
}

static int parse_status_text(const char *text, struct proc_status *st)
{
	FILE *f = text_file(text);
	int r = proc_parse_status(f, st);

	fclose(f);
	return r;
}

static int parse_fdinfo_text(const char *text, struct proc_fdinfo *fi)
{
	FILE *f = text_file(text);
	int r = proc_parse_fdinfo(f, fi);

	fclose(f);
	return r;
}

/* Deterministic PRNG for the garbage tests. */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* ---- maps and smaps ----------------------------------------------------- */

/* Fixture: /proc/PID/smaps of `sleep 300` run from a copy named "(a) b)". */
#define SMAPS_NR 37
#define EXE_PATH "/tmp/tmp.GamhiZtkhV/(a) b)"

static struct proc_vma *find_vma(struct proc_vma *v, size_t nr, const char *path)
{
	for (size_t i = 0; i < nr; i++)
		if (v[i].path && !strcmp(v[i].path, path))
			return &v[i];
	return NULL;
}

START_TEST(test_smaps_fixture)
{
	FILE *f = open_fixture("smaps-sleep.txt");
	struct proc_vma *v = NULL, *p;
	size_t nr = 0;

	ck_assert_int_eq(proc_parse_maps(f, &v, &nr), 0);
	fclose(f);
	ck_assert_uint_eq(nr, SMAPS_NR);

	/* First line: a file mapping whose path has spaces and parentheses. */
	ck_assert_uint_eq(v[0].start, 0x55b1f98b9000);
	ck_assert_uint_eq(v[0].end, 0x55b1f98bb000);
	ck_assert(v[0].r && !v[0].w && !v[0].x && !v[0].shared);
	ck_assert_uint_eq(v[0].pgoff, 0);
	ck_assert_uint_eq(v[0].dev_major, 0xfe);
	ck_assert_uint_eq(v[0].dev_minor, 0);
	ck_assert_uint_eq(v[0].ino, 10952814);
	ck_assert_str_eq(v[0].path, EXE_PATH);
	ck_assert_uint_eq(v[0].vmflags, VMF_MAYWRITE);

	ck_assert_uint_eq(v[1].pgoff, 0x2000);
	ck_assert(v[1].r && !v[1].w && v[1].x);
	ck_assert_str_eq(v[1].path, EXE_PATH);

	/* Heap. */
	ck_assert_str_eq(v[5].path, "[heap]");
	ck_assert_uint_eq(v[5].start, 0x55b20a830000);
	ck_assert_uint_eq(v[5].end, 0x55b20a851000);
	ck_assert(v[5].r && v[5].w && !v[5].x && !v[5].shared);
	ck_assert_uint_eq(v[5].dev_major, 0);
	ck_assert_uint_eq(v[5].ino, 0);

	/* Anonymous mapping: the line ends in a space, no path. */
	ck_assert_uint_eq(v[14].start, 0x7fb81003f000);
	ck_assert_ptr_null(v[14].path);
	ck_assert_uint_eq(v[14].vmflags, VMF_MAYWRITE);

	/* libc text at a file offset. */
	p = &v[16];
	ck_assert_str_eq(p->path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	ck_assert_uint_eq(p->pgoff, 0x26000);
	ck_assert_uint_eq(p->ino, 332835);
	ck_assert(p->r && !p->w && p->x);

	/* A read-only MAP_SHARED file: 's' in perms, yet no "sh" nor "mw"
	 * in VmFlags (the kernel drops VM_SHARED for a read-only file). */
	p = find_vma(v, nr, "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache");
	ck_assert_ptr_nonnull(p);
	ck_assert(p->shared && p->r && !p->w);
	ck_assert_uint_eq(p->vmflags, 0);

	/* The vDSO group: [vvar] 16K, [vvar_vclock] 8K, [vdso] 8K, adjacent. */
	ck_assert_str_eq(v[27].path, "[vvar]");
	ck_assert_str_eq(v[28].path, "[vvar_vclock]");
	ck_assert_str_eq(v[29].path, "[vdso]");
	ck_assert_uint_eq(v[27].end - v[27].start, 16384);
	ck_assert_uint_eq(v[28].end - v[28].start, 8192);
	ck_assert_uint_eq(v[29].end - v[29].start, 8192);
	ck_assert_uint_eq(v[27].end, v[28].start);
	ck_assert_uint_eq(v[28].end, v[29].start);
	ck_assert_uint_eq(v[27].vmflags, VMF_PFNMAP | VMF_IO | VMF_DONTEXPAND | VMF_DONTDUMP);
	ck_assert_uint_eq(v[28].vmflags, VMF_PFNMAP | VMF_IO | VMF_DONTEXPAND | VMF_DONTDUMP);
	ck_assert_uint_eq(v[29].vmflags, VMF_MAYWRITE | VMF_DONTEXPAND);
	ck_assert(v[29].r && v[29].x && !v[29].w);

	/* Stack grows down. */
	ck_assert_str_eq(v[35].path, "[stack]");
	ck_assert_uint_eq(v[35].vmflags, VMF_GROWSDOWN | VMF_MAYWRITE);

	/* vsyscall: the top of the address space, execute only. */
	ck_assert_str_eq(v[36].path, "[vsyscall]");
	ck_assert_uint_eq(v[36].start, 0xffffffffff600000);
	ck_assert_uint_eq(v[36].end, 0xffffffffff601000);
	ck_assert(!v[36].r && !v[36].w && v[36].x);
	ck_assert_uint_eq(v[36].vmflags, 0);

	for (size_t i = 0; i < nr; i++) {
		ck_assert_uint_lt(v[i].start, v[i].end);
		ck_assert_uint_eq(v[i].anon_huge_kb, 0);
		if (i)
			ck_assert_uint_le(v[i - 1].end, v[i].start);
	}
	proc_vmas_free(v, nr);
}
END_TEST

/* maps of the same process: same VMAs, no VmFlags. */
START_TEST(test_maps_fixture)
{
	FILE *f = open_fixture("maps-sleep.txt"), *g = open_fixture("smaps-sleep.txt");
	struct proc_vma *m = NULL, *s = NULL;
	size_t nm = 0, ns = 0;

	ck_assert_int_eq(proc_parse_maps(f, &m, &nm), 0);
	ck_assert_int_eq(proc_parse_maps(g, &s, &ns), 0);
	fclose(f);
	fclose(g);
	ck_assert_uint_eq(nm, SMAPS_NR);
	ck_assert_uint_eq(ns, nm);
	for (size_t i = 0; i < nm; i++) {
		ck_assert_uint_eq(m[i].start, s[i].start);
		ck_assert_uint_eq(m[i].end, s[i].end);
		ck_assert_uint_eq(m[i].pgoff, s[i].pgoff);
		ck_assert_uint_eq(m[i].ino, s[i].ino);
		ck_assert(m[i].r == s[i].r && m[i].w == s[i].w && m[i].x == s[i].x);
		ck_assert(m[i].shared == s[i].shared);
		ck_assert((m[i].path == NULL) == (s[i].path == NULL));
		if (m[i].path)
			ck_assert_str_eq(m[i].path, s[i].path);
		ck_assert_uint_eq(m[i].vmflags, 0);
	}
	proc_vmas_free(m, nm);
	proc_vmas_free(s, ns);
}
END_TEST

/* Hand-made smaps: THP, every flag, a deleted file, no final newline. */
START_TEST(test_smaps_handmade)
{
	static const char text[] =
		"7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"
		"Size:               4096 kB\n"
		"AnonHugePages:      2048 kB\n"
		"VmFlags: rd wr mr mw me ac hg \n"
		"7f0000400000-7f0000401000 rw-s 00000000 00:01 2049                       /dev/zero (deleted)\n"
		"VmFlags: rd wr sh mr mw me ms dc wf nh lo sr rr mg ht\n"
		"7f0000401000-7f0000402000 ---p 00000000 00:00 0\n"
		"VmFlags: mr mw me";
	struct proc_vma *v = NULL;
	size_t nr = 0;

	ck_assert_int_eq(parse_maps_text(text, &v, &nr), 0);
	ck_assert_uint_eq(nr, 3);
	ck_assert_uint_eq(v[0].anon_huge_kb, 2048);
	ck_assert_uint_eq(v[0].vmflags, VMF_MAYWRITE | VMF_HUGEPAGE);
	ck_assert_ptr_null(v[0].path);
	ck_assert_str_eq(v[1].path, "/dev/zero (deleted)");
	ck_assert(v[1].shared);
	ck_assert_uint_eq(v[1].dev_minor, 1);
	ck_assert_uint_eq(v[1].ino, 2049);
	ck_assert_uint_eq(v[1].vmflags, VMF_SHARED | VMF_MAYWRITE | VMF_DONTCOPY | VMF_WIPEONFORK |
						VMF_NOHUGEPAGE | VMF_LOCKED | VMF_SEQ_READ |
						VMF_RAND_READ | VMF_MERGEABLE | VMF_HUGETLB);
	ck_assert(!v[2].r && !v[2].w && !v[2].x);
	ck_assert_ptr_null(v[2].path);
	ck_assert_uint_eq(v[2].vmflags, VMF_MAYWRITE);
	proc_vmas_free(v, nr);
}
END_TEST

START_TEST(test_vmflags)
{
	ck_assert_uint_eq(proc_parse_vmflags(""), 0);
	ck_assert_uint_eq(proc_parse_vmflags("   "), 0);
	ck_assert_uint_eq(proc_parse_vmflags(" rd wr mr mw me gd ac \n"),
			  VMF_GROWSDOWN | VMF_MAYWRITE);
	ck_assert_uint_eq(proc_parse_vmflags("gd"), VMF_GROWSDOWN);
	ck_assert_uint_eq(proc_parse_vmflags("dd de io pf"),
			  VMF_DONTDUMP | VMF_DONTEXPAND | VMF_IO | VMF_PFNMAP);
	/* Unknown and odd-length names are skipped, not misread. */
	ck_assert_uint_eq(proc_parse_vmflags("zz sh x"), VMF_SHARED);
	ck_assert_uint_eq(proc_parse_vmflags("xyz gd"), VMF_GROWSDOWN);
}
END_TEST

/* A kernel thread or a zombie has empty maps: that is no error. */
START_TEST(test_maps_empty)
{
	struct proc_vma *v = NULL;
	size_t nr = 99;

	ck_assert_int_eq(parse_maps_text("", &v, &nr), 0);
	ck_assert_uint_eq(nr, 0);
	proc_vmas_free(v, nr);
}
END_TEST

START_TEST(test_maps_malformed)
{
	static const char *const bad[] = {
		"garbage\n",
		"hello world\n",
		"Size: 4 kB\n", /* an smaps field before any mapping */
		"7f00-7f01\n",
		"7f00-7f01 rw-p\n",
		"7f00-7f01 rw-p 0 00:00\n",
		"7f01-7f00 rw-p 00000000 00:00 0\n", /* end before start */
		"7f00-7f00 rw-p 00000000 00:00 0\n", /* empty */
		"7f00-7f01 rw- 00000000 00:00 0\n", /* 3 perms */
		"7f00-7f01 rw-p 00000000 00:00 0\nsize: 4 kB\n",
		"7f00-7f01 rw-p 00000000 00:00 0\n\n",
		"-7f01 rw-p 00000000 00:00 0\n",
		"7f00-7f01 rw-p zz 00:00 0\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct proc_vma *v = (struct proc_vma *)1;
		size_t nr = 12345;
		int r = parse_maps_text(bad[i], &v, &nr);

		ck_assert_msg(r == -EINVAL, "maps text %zu (%s) gave %d, want -EINVAL", i, bad[i],
			      r);
		/* ret_ untouched on failure. */
		ck_assert_ptr_eq(v, (struct proc_vma *)1);
		ck_assert_uint_eq(nr, 12345);
	}
}
END_TEST

/* ---- stat --------------------------------------------------------------- */

START_TEST(test_stat_fixture_paren_comm)
{
	char *text = read_fixture("stat-paren-comm.txt");
	struct proc_stat st;

	ck_assert_int_eq(proc_parse_stat(text, &st), 0);
	ck_assert_int_eq(st.pid, 5983);
	ck_assert_str_eq(st.comm, "(a) b)");
	ck_assert_int_eq(st.state, 'S');
	ck_assert_int_eq(st.ppid, 5979);
	ck_assert_int_eq(st.pgid, 5979);
	ck_assert_int_eq(st.sid, 2296);
	ck_assert_uint_eq(st.flags, 4194304);
	ck_assert(!(st.flags & PF_KTHREAD));
	ck_assert_int_eq(st.num_threads, 1);
	ck_assert_uint_eq(st.start_code, 94222884253696ull);
	ck_assert_uint_eq(st.end_code, 94222884271625ull);
	ck_assert_uint_eq(st.start_stack, 140723282189360ull);
	ck_assert_uint_eq(st.start_data, 94222884285712ull);
	ck_assert_uint_eq(st.end_data, 94222884286976ull);
	ck_assert_uint_eq(st.start_brk, 94223168897024ull);
	ck_assert_uint_eq(st.arg_start, 140723282192967ull);
	ck_assert_uint_eq(st.arg_end, 140723282192998ull);
	ck_assert_uint_eq(st.env_start, 140723282192998ull);
	ck_assert_uint_eq(st.env_end, 140723282194397ull);
	ck_assert_int_eq(st.exit_code, 0);
	free(text);
}
END_TEST

START_TEST(test_stat_fixture_kthread)
{
	char *text = read_fixture("stat-kthreadd.txt");
	struct proc_stat st;

	ck_assert_int_eq(proc_parse_stat(text, &st), 0);
	ck_assert_int_eq(st.pid, 2);
	ck_assert_str_eq(st.comm, "kthreadd");
	ck_assert_int_eq(st.ppid, 0);
	ck_assert(st.flags & PF_KTHREAD);
	ck_assert_uint_eq(st.start_code, 0);
	ck_assert_uint_eq(st.start_brk, 0);
	free(text);
}
END_TEST

/* Field i (1-based, as in proc(5)) holds 1000 + i: each member must come
 * from its own field. */
START_TEST(test_stat_field_positions)
{
	char text[1024];
	size_t off;
	struct proc_stat st;

	off = (size_t)snprintf(text, sizeof(text), "321 (x) y) (z) T");
	for (int i = 4; i <= 52; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, " %d", 1000 + i);
	snprintf(text + off, sizeof(text) - off, "\n");

	ck_assert_int_eq(proc_parse_stat(text, &st), 0);
	ck_assert_int_eq(st.pid, 321);
	ck_assert_str_eq(st.comm, "x) y) (z");
	ck_assert_int_eq(st.state, 'T');
	ck_assert_int_eq(st.ppid, 1004);
	ck_assert_int_eq(st.pgid, 1005);
	ck_assert_int_eq(st.sid, 1006);
	ck_assert_uint_eq(st.tty_nr, 1007);
	ck_assert_uint_eq(st.flags, 1009);
	ck_assert_int_eq(st.num_threads, 1020);
	ck_assert_uint_eq(st.start_code, 1026);
	ck_assert_uint_eq(st.end_code, 1027);
	ck_assert_uint_eq(st.start_stack, 1028);
	ck_assert_uint_eq(st.start_data, 1045);
	ck_assert_uint_eq(st.end_data, 1046);
	ck_assert_uint_eq(st.start_brk, 1047);
	ck_assert_uint_eq(st.arg_start, 1048);
	ck_assert_uint_eq(st.arg_end, 1049);
	ck_assert_uint_eq(st.env_start, 1050);
	ck_assert_uint_eq(st.env_end, 1051);
	ck_assert_int_eq(st.exit_code, 1052);
}
END_TEST

START_TEST(test_stat_edge_cases)
{
	char text[512];
	struct proc_stat st;
	size_t off;

	/* Empty comm, negative fields (priority of an RT task), only the 44
	 * fields of old kernels: fine, later fields read as 0. */
	off = (size_t)snprintf(text, sizeof(text), "7 () R");
	for (int i = 4; i <= 44; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, " %d", i == 18 ? -100 : i);
	ck_assert_int_eq(proc_parse_stat(text, &st), 0);
	ck_assert_str_eq(st.comm, "");
	ck_assert_int_eq(st.ppid, 4);
	ck_assert_uint_eq(st.start_stack, 28);
	ck_assert_uint_eq(st.start_data, 0);

	/* A comm longer than the buffer is cut, not overflowed. */
	off = (size_t)snprintf(text, sizeof(text), "8 (");
	for (int i = 0; i < 100; i++)
		text[off++] = 'c';
	off += (size_t)snprintf(text + off, sizeof(text) - off, ") S");
	for (int i = 4; i <= 52; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, " %d", i);
	ck_assert_int_eq(proc_parse_stat(text, &st), 0);
	ck_assert_uint_eq(strlen(st.comm), sizeof(st.comm) - 1);
	ck_assert_int_eq(st.ppid, 4);
	ck_assert_int_eq(st.exit_code, 52);
}
END_TEST

START_TEST(test_stat_malformed)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		"12 (x",
		"12 x) S 1 2 3",
		") 12 (x",
		"(x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25",
		"12 (x)",
		"12 (x) ",
		"12 (x) S",
		"12 (x) S 1 2 3",
		"12 (x) S 1 2 abc 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		/* Heap copies of exact size, so that an overread is caught by ASan. */
		char *text = xstrdup(bad[i]);
		struct proc_stat st;
		int r = proc_parse_stat(text, &st);

		ck_assert_msg(r == -EINVAL, "stat text %zu '%s' gave %d, want -EINVAL", i, bad[i],
			      r);
		free(text);
	}
}
END_TEST

/* The state letter glued to ')' must not make the parser skip the string's
 * terminating NUL and read what follows it in memory. */
START_TEST(test_stat_no_overread)
{
	/* "12 (x)S" then, past its NUL, a valid-looking tail. */
	static const char buf[] = "12 (x)S\0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 "
				  "22 23 24 25 26 27 28 29 30";
	struct proc_stat st;

	ck_assert_int_eq(proc_parse_stat(buf, &st), -EINVAL);
}
END_TEST

/* ---- status ------------------------------------------------------------- */

START_TEST(test_status_fixture_root)
{
	FILE *f = open_fixture("status-sleep.txt");
	struct proc_status st;

	ck_assert_int_eq(proc_parse_status(f, &st), 0);
	fclose(f);
	ck_assert_uint_eq(st.umask, 022);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(st.uid[i], 0);
		ck_assert_uint_eq(st.gid[i], 0);
	}
	ck_assert_uint_eq(st.nr_groups, 0);
	ck_assert_int_eq(st.tgid, 5983);
	ck_assert_int_eq(st.ppid, 5979);
	ck_assert_int_eq(st.threads, 1);
	ck_assert_uint_eq(st.sig_pending, 0);
	ck_assert_uint_eq(st.shd_pending, 0);
	ck_assert_uint_eq(st.sig_blocked, 0);
	ck_assert_uint_eq(st.sig_caught, 0);
	ck_assert(st.has_caps);
	ck_assert_uint_eq(st.cap_inh, 0);
	ck_assert_uint_eq(st.cap_prm, 0x1fffeffffffull);
	ck_assert_uint_eq(st.cap_eff, 0x1fffeffffffull);
	ck_assert_uint_eq(st.cap_bnd, 0x1fffeffffffull);
	ck_assert_uint_eq(st.cap_amb, 0);
	ck_assert_int_eq(st.no_new_privs, 0);
	ck_assert_int_eq(st.seccomp, 0);
	ck_assert_int_eq(st.seccomp_filters, 0);
	free(st.groups);
}
END_TEST

/* python3 run as uid 1000 gid 1001 groups 4,24,27, umask 027, blocking
 * SIGUSR1 and SIGTERM with a SIGUSR1 sent to itself pending. */
START_TEST(test_status_fixture_user)
{
	FILE *f = open_fixture("status-user-sigs.txt");
	struct proc_status st;

	ck_assert_int_eq(proc_parse_status(f, &st), 0);
	fclose(f);
	ck_assert_uint_eq(st.umask, 027);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(st.uid[i], 1000);
		ck_assert_uint_eq(st.gid[i], 1001);
	}
	ck_assert_uint_eq(st.nr_groups, 3);
	ck_assert_uint_eq(st.groups[0], 4);
	ck_assert_uint_eq(st.groups[1], 24);
	ck_assert_uint_eq(st.groups[2], 27);
	ck_assert_int_eq(st.tgid, 6031);
	ck_assert_int_eq(st.ppid, 6029);
	ck_assert_int_eq(st.threads, 1);
	ck_assert_uint_eq(st.sig_pending, 0);
	ck_assert_uint_eq(st.shd_pending, 1ull << (SIGUSR1 - 1));
	ck_assert_uint_eq(st.sig_blocked, 1ull << (SIGUSR1 - 1) | 1ull << (SIGTERM - 1));
	free(st.groups);
}
END_TEST

START_TEST(test_status_handmade)
{
	static const char text[] = "Name:\tx\n"
				   "Umask:\t0777\n"
				   "Tgid:\t10\n"
				   "PPid:\t1\n"
				   "Uid:\t1\t2\t3\t4\n"
				   "Gid:\t5\t6\t7\t8\n"
				   "Groups:\t100 200\n"
				   "Threads:\t7\n"
				   "SigPnd:\t0000000000000001\n"
				   "ShdPnd:\tffffffffffffffff\n"
				   "SigBlk:\t8000000000000000\n"
				   "SigCgt:\t0000000280004a02\n"
				   "CapInh:\t0000000000000400\n"
				   "CapPrm:\t0000000000003401\n"
				   "CapEff:\t0000000000001000\n"
				   "CapBnd:\t000001ffffffffff\n"
				   "CapAmb:\t0000000000000400\n"
				   "NoNewPrivs:\t1\n"
				   "Seccomp:\t2\n"
				   "Seccomp_filters:\t3\n";
	struct proc_status st;

	ck_assert_int_eq(parse_status_text(text, &st), 0);
	ck_assert(st.has_caps);
	ck_assert_uint_eq(st.cap_inh, 0x400);
	ck_assert_uint_eq(st.cap_prm, 0x3401);
	ck_assert_uint_eq(st.cap_eff, 0x1000);
	ck_assert_uint_eq(st.cap_bnd, 0x1ffffffffffull);
	ck_assert_uint_eq(st.cap_amb, 0x400);
	ck_assert_int_eq(st.no_new_privs, 1);
	ck_assert_int_eq(st.seccomp, 2);
	ck_assert_int_eq(st.seccomp_filters, 3);
	ck_assert_uint_eq(st.umask, 0777);
	ck_assert_uint_eq(st.uid[0], 1);
	ck_assert_uint_eq(st.uid[3], 4);
	ck_assert_uint_eq(st.gid[0], 5);
	ck_assert_uint_eq(st.gid[3], 8);
	ck_assert_uint_eq(st.nr_groups, 2);
	ck_assert_uint_eq(st.groups[1], 200);
	ck_assert_int_eq(st.tgid, 10);
	ck_assert_int_eq(st.threads, 7);
	ck_assert_uint_eq(st.sig_pending, 1);
	ck_assert_uint_eq(st.shd_pending, UINT64_MAX);
	ck_assert_uint_eq(st.sig_blocked, 1ull << 63);
	ck_assert_uint_eq(st.sig_caught, 0x280004a02ull);
	free(st.groups);
}
END_TEST

START_TEST(test_status_malformed)
{
	static const char *const bad[] = {
		"",
		"garbage\n",
		"\n\n\n",
		/* Tgid missing */
		"Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
		/* Uid with too few ids */
		"Tgid:\t1\nUid:\t0\t0\nGid:\t0\t0\t0\t0\n",
		/* Gid missing */
		"Tgid:\t1\nUid:\t0\t0\t0\t0\n",
		/* a group that is not a number */
		"Tgid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t1 x 3\n",
		"Tgid:\t1\nGroups:\t4 5\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t-\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct proc_status st;
		int r = parse_status_text(bad[i], &st);

		ck_assert_msg(r == -EINVAL, "status text %zu gave %d, want -EINVAL", i, r);
		ck_assert_ptr_null(st.groups);
	}
}
END_TEST

/* ---- fdinfo ------------------------------------------------------------- */

START_TEST(test_fdinfo_fixtures)
{
	struct proc_fdinfo fi;
	FILE *f;

	/* /dev/null as stdin: O_RDONLY | O_LARGEFILE. */
	f = open_fixture("fdinfo-devnull.txt");
	ck_assert_int_eq(proc_parse_fdinfo(f, &fi), 0);
	fclose(f);
	ck_assert_uint_eq(fi.pos, 0);
	ck_assert_uint_eq(fi.flags, 0100000);
	ck_assert_int_eq(fi.mnt_id, 24);

	/* A file opened O_WRONLY | O_APPEND | O_CLOEXEC after 1234 bytes. */
	f = open_fixture("fdinfo-append.txt");
	ck_assert_int_eq(proc_parse_fdinfo(f, &fi), 0);
	fclose(f);
	ck_assert_uint_eq(fi.pos, 1234);
	ck_assert_uint_eq(fi.flags, 02102001);
	ck_assert_uint_eq(fi.flags & 3, 1); /* O_WRONLY */
	ck_assert(fi.flags & 02000); /* O_APPEND */
	ck_assert(fi.flags & 02000000); /* O_CLOEXEC */
	ck_assert_int_eq(fi.mnt_id, 27);

	/* An eventfd: the extra lines are ignored. */
	f = open_fixture("fdinfo-eventfd.txt");
	ck_assert_int_eq(proc_parse_fdinfo(f, &fi), 0);
	fclose(f);
	ck_assert_uint_eq(fi.pos, 0);
	ck_assert_uint_eq(fi.flags, 02004002);
	ck_assert_int_eq(fi.mnt_id, 17);
}
END_TEST

START_TEST(test_fdinfo_malformed)
{
	static const char *const bad[] = {
		"",
		"garbage\n",
		"pos:\t5\n", /* flags missing */
		"flags:\t02\n", /* pos missing */
		"pos:\tx\nflags:\t02\n", /* pos not a number */
		"pos:\t1\nflags:\t9\n", /* flags not octal */
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct proc_fdinfo fi;

		ck_assert_msg(parse_fdinfo_text(bad[i], &fi) == -EINVAL,
			      "fdinfo text %zu not refused", i);
	}
}
END_TEST

/* ---- fdinfo of anonymous-inode files ------------------------------------ */

START_TEST(test_eventfd_fixture)
{
	char *text = read_fixture("fdinfo-eventfd.txt");
	struct proc_eventfd ev;

	ck_assert_int_eq(proc_parse_eventfd(text, &ev), 0);
	ck_assert_uint_eq(ev.count, 5);
	ck_assert_int_eq(ev.semaphore, 0);
	free(text);
}
END_TEST

START_TEST(test_eventfd_handmade)
{
	struct proc_eventfd ev;

	/* The count is hex, padded to 16 columns. */
	ck_assert_int_eq(proc_parse_eventfd("eventfd-count: fffffffffffffffe\n"
					    "eventfd-id: 1\neventfd-semaphore: 1\n",
					    &ev),
			 0);
	ck_assert_uint_eq(ev.count, 0xfffffffffffffffeULL);
	ck_assert_int_eq(ev.semaphore, 1);
	ck_assert_int_eq(proc_parse_eventfd("eventfd-count:               1a\n", &ev), 0);
	ck_assert_uint_eq(ev.count, 26);
	ck_assert_int_eq(ev.semaphore, -1); /* a kernel that does not say */
}
END_TEST

START_TEST(test_timerfd_fixture)
{
	char *text = read_fixture("fdinfo-timerfd.txt");
	struct proc_timerfd t;

	/* CLOCK_REALTIME, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, 7 ticks
	 * set by TFD_IOC_SET_TICKS, 99.9 s left, every 1.5 s. */
	ck_assert_int_eq(proc_parse_timerfd(text, &t), 0);
	ck_assert_int_eq(t.clockid, 0);
	ck_assert_uint_eq(t.ticks, 7);
	ck_assert_uint_eq(t.settime_flags, 3);
	ck_assert_uint_eq(t.value_ns, 99918576013ULL);
	ck_assert_uint_eq(t.interval_ns, 1500000000ULL);
	free(text);
}
END_TEST

START_TEST(test_posix_timers)
{
	static const char text[] = "ID: 4\nsignal: 0/0000000000000000\nnotify: none/pid.3350\n"
				   "ClockID: -6\nID: 1\nsignal: 36/00000000000007d2\n"
				   "notify: signal/tid.3634\nClockID: 7\n";
	static const char *const bad[] = {
		"ID: 1\n",
		"ID: 1\nsignal: 36/7d2\nnotify: mail/pid.3\nClockID: 1\n",
		"ID: 1\nsignal: 36/7d2\nnotify: signal/uid.3\nClockID: 1\n",
		"ID: -1\nsignal: 36/7d2\nnotify: signal/pid.3\nClockID: 1\n",
		"ID: 1\nsignal: 36/7d2\nnotify: signal/pid.3\nClockID: 1 junk\n",
	};
	struct proc_posix_timer *t = NULL;
	size_t nr = 9;

	ck_assert_int_eq(proc_parse_posix_timers("", &t, &nr), 0);
	ck_assert_uint_eq(nr, 0);
	free(t);
	ck_assert_int_eq(proc_parse_posix_timers(text, &t, &nr), 0);
	ck_assert_uint_eq(nr, 2);
	ck_assert_int_eq(t[0].id, 4);
	ck_assert_int_eq(t[0].notify, SIGEV_NONE);
	ck_assert_int_eq(t[0].target, 3350);
	ck_assert_int_eq(t[0].clockid, -6);
	ck_assert_int_eq(t[1].signo, 36);
	ck_assert_uint_eq(t[1].sigval, 0x7d2);
	ck_assert_int_eq(t[1].notify, SIGEV_SIGNAL | SIGEV_THREAD_ID);
	ck_assert_int_eq(t[1].target, 3634);
	ck_assert_int_eq(t[1].clockid, 7);
	free(t);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(proc_parse_posix_timers(bad[i], &t, &nr) == -EINVAL,
			      "timers text %zu not refused", i);
}
END_TEST

START_TEST(test_signalfd_fixture)
{
	char *text = read_fixture("fdinfo-signalfd.txt");
	uint64_t mask = 0;

	/* SIGURG (23) and SIGRTMIN + 3 (37). */
	ck_assert_int_eq(proc_parse_sigmask(text, &mask), 0);
	ck_assert_uint_eq(mask, (1ULL << 22) | (1ULL << 36));
	free(text);
}
END_TEST

START_TEST(test_epoll_fixture)
{
	char *text = read_fixture("fdinfo-epoll.txt");
	struct proc_epoll_item *it = NULL;
	size_t nr = 0;

	/* An eventfd at fd 5 (EPOLLIN | EPOLLET), a timerfd at fd 3 whose
	 * EPOLLONESHOT item fired (only its flags left). */
	ck_assert_int_eq(proc_parse_epoll(text, &it, &nr), 0);
	ck_assert_uint_eq(nr, 2);
	ck_assert_int_eq(it[0].tfd, 5);
	ck_assert_uint_eq(it[0].events, 0x80000019);
	ck_assert_uint_eq(it[0].data, 0x1234567890abcdefULL);
	ck_assert_uint_eq(it[0].ino, 0x40e);
	ck_assert_uint_eq(it[0].sdev, 0x10);
	ck_assert_int_eq(it[1].tfd, 3);
	ck_assert_uint_eq(it[1].events, 0x40000000);
	ck_assert_uint_eq(it[1].data, 3);
	free(it);
	free(text);
}
END_TEST

START_TEST(test_epoll_empty)
{
	struct proc_epoll_item *it = NULL;
	size_t nr = 1;

	ck_assert_int_eq(
		proc_parse_epoll("pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t1038\n", &it, &nr), 0);
	ck_assert_uint_eq(nr, 0);
	free(it);
}
END_TEST

START_TEST(test_inotify_fixture)
{
	char *text = read_fixture("fdinfo-inotify.txt");
	struct proc_inotify_watch *w = NULL;
	size_t nr = 0;

	/* Newest first: /dev/shm (tmpfs, every event), /etc/hostname
	 * (IN_MODIFY | IN_EXCL_UNLINK), /tmp (IN_CREATE | IN_ONESHOT); wd 2
	 * was removed. */
	ck_assert_int_eq(proc_parse_inotify(text, &w, &nr), 0);
	ck_assert_uint_eq(nr, 3);
	ck_assert_int_eq(w[0].wd, 4);
	ck_assert_uint_eq(w[0].ino, 1);
	ck_assert_uint_eq(w[0].sdev, 0x1b);
	ck_assert_uint_eq(w[0].mask, 0xfff);
	ck_assert_uint_eq(w[0].handle_bytes, 12);
	ck_assert_int_eq(w[0].handle_type, 1);
	ck_assert_uint_eq(w[0].handle[0], 0xf8);
	ck_assert_uint_eq(w[0].handle[4], 0x01);
	ck_assert_uint_eq(w[0].handle[11], 0x00);
	ck_assert_int_eq(w[1].wd, 3);
	ck_assert_uint_eq(w[1].sdev, 0xfe00000);
	ck_assert_uint_eq(PROC_KDEV_MAJOR(w[1].sdev), 254);
	ck_assert_uint_eq(PROC_KDEV_MINOR(w[1].sdev), 0);
	ck_assert_uint_eq(w[1].mask, 0x4000002);
	ck_assert_int_eq(w[2].wd, 1);
	ck_assert_uint_eq(w[2].ino, 0x3c51a);
	ck_assert_uint_eq(w[2].mask, 0x80000100);
	ck_assert_uint_eq(w[2].handle_bytes, 8);
	free(w);
	free(text);
}
END_TEST

START_TEST(test_inotify_no_handle)
{
	struct proc_inotify_watch *w = NULL;
	size_t nr = 0;

	/* A file system that gives no handle: the line ends after the masks. */
	ck_assert_int_eq(
		proc_parse_inotify("inotify wd:1f ino:5 sdev:3 mask:2 ignored_mask:0 \n", &w, &nr),
		0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_int_eq(w[0].wd, 31);
	ck_assert_uint_eq(w[0].handle_bytes, 0);
	free(w);
}
END_TEST

START_TEST(test_anon_malformed)
{
	static const char *const bad_eventfd[] = {
		"",
		"eventfd-count: \n",
		"eventfd-count: -5\n",
		"eventfd-count: 5x\n",
		"eventfd-count: 10000000000000000\n", /* 2^64: too big */
		"eventfd-count: 5\neventfd-semaphore: 2\n",
	};
	static const char *const bad_timerfd[] = {
		"",
		"clockid: 1\nticks: 0\nsettime flags: 00\nit_value: (0, 0)\n", /* no interval */
		"clockid: 1\nticks: 0\nsettime flags: 09\nit_value: (0, 0)\nit_interval: (0, 0)\n",
		"clockid: 1\nticks: 0\nsettime flags: 00\nit_value: (0, 1000000000)\nit_interval: (0, 0)\n",
		"clockid: 1\nticks: 0\nsettime flags: 00\nit_value: (0 0)\nit_interval: (0, 0)\n",
		"clockid: 1\nticks: x\nsettime flags: 00\nit_value: (0, 0)\nit_interval: (0, 0)\n",
		"clockid: 1\nticks: 0\nsettime flags: 00\nit_value: (18446744073709551615, 0)\nit_interval: (0, 0)\n",
	};
	static const char *const bad_epoll[] = {
		"tfd: x events: 19 data: 3  pos:0 ino:40e sdev:10\n",
		"tfd: -1 events: 19 data: 3  pos:0 ino:40e sdev:10\n",
		"tfd: 3 events: 19 data: 3\n",
		"tfd: 3 events: 19 data: 3  pos:0 ino:40e sdev:10 more\n",
	};
	static const char *const bad_inotify[] = {
		"inotify wd:0 ino:5 sdev:3 mask:2 ignored_mask:0\n",
		"inotify wd:1 ino:5 sdev:3 mask:2\n",
		"inotify wd:1 ino:5 sdev:3 mask:2 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:abcd\n",
		"inotify wd:1 ino:5 sdev:3 mask:2 ignored_mask:0 fhandle-bytes:81 fhandle-type:1 f_handle:00\n",
		"inotify wd:1 ino:5 sdev:3 mask:2 ignored_mask:0 fhandle-bytes:1 fhandle-type:1 f_handle:zz\n",
		"inotify wd:1 ino:5 sdev:3 mask:2 ignored_mask:0 garbage\n",
	};
	struct proc_epoll_item *it = NULL;
	struct proc_inotify_watch *w = NULL;
	struct proc_eventfd ev;
	struct proc_timerfd t;
	uint64_t mask;
	size_t nr;

	for (size_t i = 0; i < ARRAY_SIZE(bad_eventfd); i++)
		ck_assert_msg(proc_parse_eventfd(bad_eventfd[i], &ev) == -EINVAL,
			      "eventfd text %zu not refused", i);
	for (size_t i = 0; i < ARRAY_SIZE(bad_timerfd); i++)
		ck_assert_msg(proc_parse_timerfd(bad_timerfd[i], &t) == -EINVAL,
			      "timerfd text %zu not refused", i);
	for (size_t i = 0; i < ARRAY_SIZE(bad_epoll); i++)
		ck_assert_msg(proc_parse_epoll(bad_epoll[i], &it, &nr) == -EINVAL,
			      "epoll text %zu not refused", i);
	for (size_t i = 0; i < ARRAY_SIZE(bad_inotify); i++)
		ck_assert_msg(proc_parse_inotify(bad_inotify[i], &w, &nr) == -EINVAL,
			      "inotify text %zu not refused", i);
	ck_assert_int_eq(proc_parse_sigmask("sigmask:\t\n", &mask), -EINVAL);
	ck_assert_int_eq(proc_parse_sigmask("flags:\t02\n", &mask), -EINVAL);
}
END_TEST

START_TEST(test_find_mount)
{
	static const char mountinfo[] =
		"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
		"25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw\n"
		"40 27 254:0 /srv/data /mnt/bind rw,relatime - ext4 /dev/vda rw\n"
		"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
		"41 27 8:1 / /mnt/with\\040space\\134 rw - ext4 /dev/sda1 rw\n"
		"42 27 8:2 /sub /mnt/sub rw - ext4 /dev/sda2 rw\n";
	char *path = NULL;
	FILE *f;

	/* A mount of the root of the file system is preferred. */
	f = text_file(mountinfo);
	ck_assert_int_eq(proc_find_mount(f, 254, 0, &path), 0);
	fclose(f);
	ck_assert_str_eq(path, "/");
	free(path);
	f = text_file(mountinfo);
	ck_assert_int_eq(proc_find_mount(f, 0, 23, &path), 0);
	fclose(f);
	ck_assert_str_eq(path, "/dev/shm");
	free(path);
	f = text_file(mountinfo);
	ck_assert_int_eq(proc_find_mount(f, 8, 1, &path), 0);
	fclose(f);
	ck_assert_str_eq(path, "/mnt/with space\\");
	free(path);
	/* Only a subdirectory mounted: that will do. */
	f = text_file(mountinfo);
	ck_assert_int_eq(proc_find_mount(f, 8, 2, &path), 0);
	fclose(f);
	ck_assert_str_eq(path, "/mnt/sub");
	free(path);
	f = text_file(mountinfo);
	ck_assert_int_eq(proc_find_mount(f, 9, 9, &path), -ENOENT);
	fclose(f);
}
END_TEST

/* ---- garbage ------------------------------------------------------------ */

/* The parsers of anonymous-inode fdinfo, on text that may start like one. */
static void anon_garbage(const char *buf)
{
	static const char *const heads[] = { "tfd: 3 events: 19 data: ", "inotify wd:1 ino:",
					     "eventfd-count: ", "it_value: (" };
	struct proc_epoll_item *it = NULL;
	struct proc_inotify_watch *w = NULL;
	struct proc_eventfd ev;
	struct proc_timerfd t;
	char *path = NULL;
	uint64_t mask;
	size_t nr;
	FILE *f;

	for (size_t i = 0; i <= ARRAY_SIZE(heads); i++) {
		char *text = xasprintf("%s%s", i < ARRAY_SIZE(heads) ? heads[i] : "", buf);

		if (proc_parse_epoll(text, &it, &nr) == 0)
			free(it);
		if (proc_parse_inotify(text, &w, &nr) == 0)
			free(w);
		(void)proc_parse_eventfd(text, &ev);
		(void)proc_parse_timerfd(text, &t);
		(void)proc_parse_sigmask(text, &mask);
		free(text);
	}
	f = text_file(buf);
	if (proc_find_mount(f, 0, 0, &path) == 0)
		free(path);
	fclose(f);
}

/* Random bytes, and random lines of plausible characters, through every
 * parser: an error or a result, never a crash or a leak. */
START_TEST(test_garbage)
{
	static const char alphabet[] = "0123456789abcdef-() :\t\nrwxps[]/UidGTgPS";
	char *buf = xmalloc(4097);

	for (int iter = 0; iter < 4000; iter++) {
		size_t len = rng() % 4096;
		struct proc_vma *v = NULL;
		struct proc_status st;
		struct proc_fdinfo fi;
		struct proc_stat pst;
		size_t nr = 0;

		for (size_t i = 0; i < len; i++)
			buf[i] = iter & 1 ? alphabet[rng() % (sizeof(alphabet) - 1)]
					  : (char)(1 + rng() % 255);
		buf[len] = 0;
		/* Sometimes start with something that looks right. */
		if (iter % 4 == 1 && len > 40)
			memcpy(buf, "7f00-7f01 rw-p 00000000 00:00 0 \n", 33);
		if (iter % 4 == 3 && len > 10)
			memcpy(buf, "12 (x) S ", 9);

		if (parse_maps_text(buf, &v, &nr) == 0)
			proc_vmas_free(v, nr);
		if (parse_status_text(buf, &st) == 0)
			free(st.groups);
		(void)parse_fdinfo_text(buf, &fi);
		(void)proc_parse_stat(buf, &pst);
		anon_garbage(buf);
		(void)proc_parse_vmflags(buf);
	}
	free(buf);
}
END_TEST

/* ---- the /proc wrappers on live processes ------------------------------- */

START_TEST(test_read_self)
{
	struct proc_stat pst;
	struct proc_status st;
	struct proc_vma *v = NULL;
	size_t nr = 0;
	int *ids = NULL, local = 0;
	bool stack_found = false, text_found = false;

	ck_assert_int_eq(proc_read_stat(getpid(), &pst), 0);
	ck_assert_int_eq(pst.pid, getpid());
	ck_assert_int_eq(pst.ppid, getppid());
	ck_assert_int_eq(pst.state, 'R');

	ck_assert_int_eq(proc_read_status(getpid(), &st), 0);
	ck_assert_int_eq(st.tgid, getpid());
	ck_assert_uint_eq(st.uid[0], getuid());
	free(st.groups);

	ck_assert_int_eq(proc_read_smaps(getpid(), &v, &nr), 0);
	for (size_t i = 0; i < nr; i++) {
		if (v[i].start <= (uintptr_t)&local && (uintptr_t)&local < v[i].end)
			stack_found = v[i].w && (v[i].vmflags & VMF_GROWSDOWN);
		if (v[i].start <= (uintptr_t)&rng && (uintptr_t)&rng < v[i].end)
			text_found = v[i].x && v[i].path;
	}
	ck_assert(stack_found);
	ck_assert(text_found);
	proc_vmas_free(v, nr);

	ck_assert_int_eq(proc_list_threads(getpid(), &ids, &nr), 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_int_eq(ids[0], getpid());
	free(ids);
}
END_TEST

START_TEST(test_list_children)
{
	int *ids = NULL;
	size_t nr = 0;
	pid_t child = fork();

	ck_assert_int_ge(child, 0);
	if (!child) {
		pause();
		_exit(0);
	}
	ck_assert_int_eq(proc_list_children(getpid(), getpid(), &ids, &nr), 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_int_eq(ids[0], child);
	free(ids);
}
END_TEST

START_TEST(test_read_missing)
{
	/* Above pid_max: never exists. */
	const int pid = 0x3fffffff;
	struct proc_stat pst;
	struct proc_status st;
	struct proc_vma *v = NULL;
	int *ids = NULL;
	size_t nr = 0;

	ck_assert_int_eq(proc_read_stat(pid, &pst), -ENOENT);
	ck_assert_int_eq(proc_read_status(pid, &st), -ENOENT);
	ck_assert_int_eq(proc_read_maps(pid, &v, &nr), -ENOENT);
	ck_assert_int_eq(proc_list_threads(pid, &ids, &nr), -ENOENT);
	ck_assert_int_eq(proc_list_children(pid, pid, &ids, &nr), -ENOENT);
}
END_TEST

static Suite *proc_suite(void)
{
	Suite *s = suite_create("proc");
	TCase *tm = tcase_create("maps");
	TCase *ts = tcase_create("stat");
	TCase *tt = tcase_create("status");
	TCase *tf = tcase_create("fdinfo");
	TCase *tg = tcase_create("garbage");
	TCase *tl = tcase_create("live");

	tcase_add_test(tm, test_smaps_fixture);
	tcase_add_test(tm, test_maps_fixture);
	tcase_add_test(tm, test_smaps_handmade);
	tcase_add_test(tm, test_vmflags);
	tcase_add_test(tm, test_maps_empty);
	tcase_add_test(tm, test_maps_malformed);
	suite_add_tcase(s, tm);

	tcase_add_test(ts, test_stat_fixture_paren_comm);
	tcase_add_test(ts, test_stat_fixture_kthread);
	tcase_add_test(ts, test_stat_field_positions);
	tcase_add_test(ts, test_stat_edge_cases);
	tcase_add_test(ts, test_stat_malformed);
	tcase_add_test(ts, test_stat_no_overread);
	suite_add_tcase(s, ts);

	tcase_add_test(tt, test_status_fixture_root);
	tcase_add_test(tt, test_status_fixture_user);
	tcase_add_test(tt, test_status_handmade);
	tcase_add_test(tt, test_status_malformed);
	suite_add_tcase(s, tt);

	tcase_add_test(tf, test_fdinfo_fixtures);
	tcase_add_test(tf, test_fdinfo_malformed);
	tcase_add_test(tf, test_eventfd_fixture);
	tcase_add_test(tf, test_eventfd_handmade);
	tcase_add_test(tf, test_timerfd_fixture);
	tcase_add_test(tf, test_signalfd_fixture);
	tcase_add_test(tf, test_posix_timers);
	tcase_add_test(tf, test_epoll_fixture);
	tcase_add_test(tf, test_epoll_empty);
	tcase_add_test(tf, test_inotify_fixture);
	tcase_add_test(tf, test_inotify_no_handle);
	tcase_add_test(tf, test_anon_malformed);
	tcase_add_test(tf, test_find_mount);
	suite_add_tcase(s, tf);

	tcase_set_timeout(tg, 60);
	tcase_add_test(tg, test_garbage);
	suite_add_tcase(s, tg);

	tcase_add_test(tl, test_read_self);
	tcase_add_test(tl, test_list_children);
	tcase_add_test(tl, test_read_missing);
	suite_add_tcase(s, tl);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
