// SPDX-License-Identifier: GPL-2.0
/*
 * trust.c: which paths from images are refused, how they are shown, and
 * how they are opened (no symlink on the way, with openat2 and with the
 * walk that replaces it; the owner's access for a set root does not own).
 */
#include "trust.h"
#include "util.h"

#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(test_paths_refused)
{
	static const char *const bad[] = {
		"",	   "relative/path", "/a//b", "/a/./b", "/a/../b", "/..",
		"/a/b/..", "/a/b/.",	    "/a\nb", "/a\tb",  "/a\x7f",  "//",
	};
	char *long_path = xmalloc(TRUST_PATH_MAX + 2);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(trust_check_path("file", bad[i]) == -EINVAL, "'%s' accepted", bad[i]);
	memset(long_path, 'a', TRUST_PATH_MAX + 1);
	long_path[0] = '/';
	long_path[TRUST_PATH_MAX + 1] = 0;
	ck_assert_int_eq(trust_check_path("file", long_path), -EINVAL);
	free(long_path);
}
END_TEST

START_TEST(test_paths_accepted)
{
	static const char *const good[] = {
		"/",	 "/etc/passwd", "/a/.hidden",	 "/a/..b",
		"/a/b.", "/a/...",	"/with space/x", "/a/b (deleted)",
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		ck_assert_msg(trust_check_path("file", good[i]) == 0, "'%s' refused", good[i]);
}
END_TEST

START_TEST(test_escape)
{
	char *s = str_escape("a\nb\\c\x1b[31m\xc3\xa9");

	ck_assert_str_eq(s, "a\\x0ab\\x5cc\\x1b[31m\\xc3\\xa9");
	free(s);
	s = str_escape("plain /path");
	ck_assert_str_eq(s, "plain /path");
	free(s);
}
END_TEST

/* A tree in a new temporary directory: dir/file, link -> dir,
 * dir/flink -> file. */
static char top[64];

/* Two may be in use at once (symlink(at(a), at(b))). */
static char *at(const char *name)
{
	static char bufs[2][128];
	static int next;
	char *buf = bufs[next++ % 2];

	snprintf(buf, sizeof(bufs[0]), "%s/%s", top, name);
	return buf;
}

static void tree_make(void)
{
	int fd;

	snprintf(top, sizeof(top), "/tmp/check-trust.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	ck_assert_int_eq(chmod(top, 0755), 0);
	ck_assert_int_eq(mkdir(at("dir"), 0755), 0);
	fd = open(at("dir/file"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(symlink(at("dir"), at("link")), 0);
	ck_assert_int_eq(symlink("file", at("dir/flink")), 0);
}

static void tree_remove(void)
{
	(void)unlink(at("dir/flink"));
	(void)unlink(at("dir/file"));
	(void)rmdir(at("dir"));
	(void)unlink(at("link"));
	(void)rmdir(top);
}

/* @open_fn on each path of the tree: a symlink anywhere is -ELOOP, except
 * the last component with O_PATH|O_NOFOLLOW, which opens the link. */
static void check_opens(int (*open_fn)(const char *, int, mode_t))
{
	struct stat st;
	int fd;

	fd = open_fn(at("dir/file"), O_RDONLY | O_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(open_fn(at("link/file"), O_RDONLY | O_CLOEXEC, 0), -ELOOP);
	ck_assert_int_eq(open_fn(at("dir/flink"), O_RDONLY | O_CLOEXEC, 0), -ELOOP);
	ck_assert_int_eq(open_fn("/proc/self/fd/0", O_RDONLY | O_CLOEXEC, 0), -ELOOP);
	fd = open_fn(at("dir/flink"), O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	close(fd);
	fd = open_fn("/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static const struct trust trusted = { .decided = true, .trusted = true };

static int open_trusted(const char *path, int flags, mode_t mode)
{
	return trust_open(&trusted, path, flags, mode);
}

START_TEST(test_open_no_symlinks)
{
	if (!trust_have_openat2())
		return;
	tree_make();
	check_opens(open_trusted);
	tree_remove();
}
END_TEST

START_TEST(test_open_walk)
{
	tree_make();
	check_opens(trust_open_walk);
	tree_remove();
}
END_TEST

/* A set owned by nobody: its files open with nobody's access only. */
START_TEST(test_open_as_owner)
{
	gid_t groups[] = { 65534 };
	struct trust t = {
		.decided = true, .owner = 65534, .gid = 65534, .groups = groups, .nr_groups = 1
	};
	struct trust_saved saved;
	int fd;

	if (geteuid() != 0)
		return;
	tree_make();
	ck_assert_int_eq(trust_open(&t, at("dir/file"), O_RDONLY | O_CLOEXEC, 0), -EACCES);
	fd = trust_open(&t, at("dir/file"), O_PATH | O_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* And root again after: */
	fd = open(at("dir/file"), O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(trust_enter(&t, &saved), 0);
	ck_assert_int_eq(access(at("dir"), W_OK), 0); /* access() uses the real uid */
	ck_assert_int_eq(mkdir(at("dir/new"), 0755), -1);
	ck_assert_int_eq(errno, EACCES);
	trust_leave(&saved);
	ck_assert_int_eq(mkdir(at("dir/new"), 0755), 0);
	ck_assert_int_eq(rmdir(at("dir/new")), 0);
	tree_remove();
}
END_TEST

START_TEST(test_verify)
{
	struct trust t = trusted;
	struct trust_file tf = { .path = "/", .what = "directory", .mode = S_IFDIR };
	struct stat st;
	int fd = open("/", O_PATH | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	t.same_boot = true;
	ck_assert_int_eq(trust_verify(&t, fd, &tf), 0);
	tf.has_ino = true;
	tf.dev = st.st_dev;
	tf.ino = st.st_ino;
	ck_assert_int_eq(trust_verify(&t, fd, &tf), 0);
	tf.ino++;
	ck_assert_int_eq(trust_verify(&t, fd, &tf), -ESTALE);
	t.same_boot = false; /* another boot: inodes mean nothing */
	ck_assert_int_eq(trust_verify(&t, fd, &tf), 0);
	tf.mode = S_IFREG; /* the type always counts */
	ck_assert_int_eq(trust_verify(&t, fd, &tf), -ESTALE);
	close(fd);
}
END_TEST

static Suite *trust_suite(void)
{
	Suite *s = suite_create("trust");
	TCase *tp = tcase_create("paths"), *to = tcase_create("opens");

	tcase_add_test(tp, test_paths_refused);
	tcase_add_test(tp, test_paths_accepted);
	tcase_add_test(tp, test_escape);
	suite_add_tcase(s, tp);
	tcase_add_test(to, test_open_no_symlinks);
	tcase_add_test(to, test_open_walk);
	tcase_add_test(to, test_open_as_owner);
	tcase_add_test(to, test_verify);
	suite_add_tcase(s, to);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(trust_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
