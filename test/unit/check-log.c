// SPDX-License-Identifier: GPL-2.0
/*
 * pr_err() and friends: a failure is one line, whatever the names in it
 * hold. Control characters come out as \xNN; text escaped already and
 * UTF-8 come out as they are.
 */
#include "util.h"

#include <check.h>
#include <string.h>

/* What one pr_*() call writes, through a pipe as log_fd. */
static void logged(char *buf, size_t size, int (*emit)(const char *), const char *arg)
{
	int p[2];
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	log_fd = p[1];
	emit(arg);
	log_fd = 2;
	close(p[1]);
	n = read(p[0], buf, size - 1);
	close(p[0]);
	ck_assert_int_ge(n, 0);
	buf[n] = 0;
}

static int emit_err(const char *name)
{
	pr_err("cannot open '%s'", name);
	return 0;
}

static int emit_errno(const char *name)
{
	return pr_errno(-ENOENT, "cannot open '%s'", name);
}

START_TEST(test_controls_escaped)
{
	char out[512];

	logged(out, sizeof(out), emit_err, "a\nckpt: fake\e[31m\x7f\tb");
	ck_assert_str_eq(out, "ckpt: cannot open 'a\\x0ackpt: fake\\x1b[31m\\x7f\\x09b'\n");
	logged(out, sizeof(out), emit_errno, "x\ry");
	ck_assert_str_eq(out, "ckpt: cannot open 'x\\x0dy': No such file or directory\n");
}
END_TEST

START_TEST(test_plain_kept)
{
	char out[512];

	/* Escaped already (str_escape()) and a backslash: unchanged. Bytes
	 * that are not ASCII, UTF-8 among them, are shown as \xNN: a C1
	 * control (0x9b is CSI to some terminals) must not pass. */
	logged(out, sizeof(out), emit_err, "a\\x0ab \xc3\xa9t\xc3\xa9 c\\d\x9b");
	ck_assert_str_eq(out, "ckpt: cannot open 'a\\x0ab \\xc3\\xa9t\\xc3\\xa9 c\\d\\x9b'\n");
}
END_TEST

START_TEST(test_long_is_one_line)
{
	char name[2000], out[2048];

	memset(name, '\n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	logged(out, sizeof(out), emit_err, name);
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("one line");

	tcase_add_test(tc, test_controls_escaped);
	tcase_add_test(tc, test_plain_kept);
	tcase_add_test(tc, test_long_is_one_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
