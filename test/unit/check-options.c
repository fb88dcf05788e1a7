// SPDX-License-Identifier: GPL-2.0
/*
 * options_parse() on good and bad command lines. Every case states what it
 * expects: the command, the fields, or -EINVAL with a reason that names
 * the culprit.
 */
#include "options.h"
#include "util.h"

#include <check.h>
#include <string.h>

/* Parse a NULL-terminated list of arguments after "ckpt". The array is
 * fresh each time: getopt may permute it. */
#define PARSE(o, ...)                                                  \
	({                                                             \
		char *argv_[] = { "ckpt", __VA_ARGS__, NULL };         \
		options_parse((int)ARRAY_SIZE(argv_) - 1, argv_, (o)); \
	})
#define PARSE0(o)                                 \
	({                                        \
		char *argv_[] = { "ckpt", NULL }; \
		options_parse(1, argv_, (o));     \
	})

/* Fails with -EINVAL and an error line that contains @what. */
#define assert_fails(o, r, what)                                                       \
	do {                                                                           \
		ck_assert_int_eq((r), -EINVAL);                                        \
		ck_assert_msg(strstr((o)->error, (what)) != NULL,                      \
			      "error '%s' does not mention '%s'", (o)->error, (what)); \
		ck_assert_msg(!strchr((o)->error, '\n'), "error '%s' is not one line", \
			      (o)->error);                                             \
	} while (0)

/* ---- good command lines ------------------------------------------------- */

START_TEST(test_dump)
{
	struct options o;

	ck_assert_int_eq(PARSE(&o, "dump", "--pid", "1234", "--images", "/tmp/img"), 0);
	ck_assert_int_eq(o.command, CMD_DUMP);
	ck_assert_int_eq(o.pid, 1234);
	ck_assert_str_eq(o.images, "/tmp/img");
	ck_assert(!o.leave_running);
	ck_assert_ptr_null(o.parent);
	ck_assert_int_eq(o.verbose, 0);
	ck_assert_str_eq(o.error, "");

	ck_assert_int_eq(PARSE(&o, "dump", "--images=/d", "--pid=7", "--leave-running", "-v",
			       "--parent", "/p", "--verbose"),
			 0);
	ck_assert_int_eq(o.command, CMD_DUMP);
	ck_assert_int_eq(o.pid, 7);
	ck_assert_str_eq(o.images, "/d");
	ck_assert(o.leave_running);
	ck_assert_str_eq(o.parent, "/p");
	ck_assert_int_eq(o.verbose, 2);

	/* criu's spellings. */
	ck_assert_int_eq(PARSE(&o, "dump", "--tree", "99", "--images-dir", "d"), 0);
	ck_assert_int_eq(o.pid, 99);
	ck_assert_str_eq(o.images, "d");

	/* The largest pid the kernel can hand out (PID_MAX_LIMIT). */
	ck_assert_int_eq(PARSE(&o, "dump", "--pid", "4194304", "--images", "d"), 0);
	ck_assert_int_eq(o.pid, 4194304);
}
END_TEST

/* --compress: lz4 by default, =zstd, =none; anything else refused; not
 * for restore. */
START_TEST(test_compress)
{
	struct options o;

	ck_assert_int_eq(PARSE(&o, "dump", "--pid", "1", "--images", "d"), 0);
	ck_assert_int_eq(o.compress, 0);
	ck_assert_int_eq(PARSE(&o, "dump", "--pid", "1", "--images", "d", "--compress"), 0);
	ck_assert_int_eq(o.compress, 1);
	ck_assert_int_eq(PARSE(&o, "pre-dump", "--compress=zstd", "--pid", "1", "--images", "d"),
			 0);
	ck_assert_int_eq(o.compress, 2);
	ck_assert_int_eq(PARSE(&o, "dump", "--pid", "1", "--images", "d", "--compress=none"), 0);
	ck_assert_int_eq(o.compress, 0);
	ck_assert_int_eq(PARSE(&o, "dump", "--pid", "1", "--images", "d", "--compress=gzip"),
			 -EINVAL);
	ck_assert_str_eq(o.error, "unknown compression 'gzip' (lz4, zstd or none)");
	ck_assert_int_eq(PARSE(&o, "restore", "--images", "d", "--compress"), -EINVAL);
}
END_TEST

START_TEST(test_restore)
{
	struct options o;

	ck_assert_int_eq(PARSE(&o, "restore", "--images", "d"), 0);
	ck_assert_int_eq(o.command, CMD_RESTORE);
	ck_assert_str_eq(o.images, "d");
	ck_assert(!o.detach);
	ck_assert_ptr_null(o.pidfile);

	ck_assert_int_eq(
		PARSE(&o, "restore", "-d", "--images", "d", "--pidfile", "/run/x.pid", "-vv"), 0);
	ck_assert(o.detach);
	ck_assert_str_eq(o.pidfile, "/run/x.pid");
	ck_assert_int_eq(o.verbose, 2);

	ck_assert_int_eq(PARSE(&o, "restore", "--detach", "--images", "d"), 0);
	ck_assert(o.detach);
}
END_TEST

START_TEST(test_show_check)
{
	struct options o;

	ck_assert_int_eq(PARSE(&o, "show", "--images", "d"), 0);
	ck_assert_int_eq(o.command, CMD_SHOW);
	ck_assert(!o.json);
	ck_assert_int_eq(PARSE(&o, "show", "--images", "d", "--json"), 0);
	ck_assert(o.json);

	ck_assert_int_eq(PARSE(&o, "check"), 0);
	ck_assert_int_eq(o.command, CMD_CHECK);
	ck_assert_int_eq(PARSE(&o, "check", "-v"), 0);
	ck_assert_int_eq(o.verbose, 1);
}
END_TEST

START_TEST(test_help_version)
{
	struct options o;

	ck_assert_int_eq(PARSE(&o, "--help"), 0);
	ck_assert_int_eq(o.command, CMD_HELP);
	ck_assert_int_eq(o.help_for, CMD_NONE);
	ck_assert_int_eq(PARSE(&o, "-h"), 0);
	ck_assert_int_eq(o.command, CMD_HELP);
	ck_assert_int_eq(PARSE(&o, "help"), 0);
	ck_assert_int_eq(o.command, CMD_HELP);

	ck_assert_int_eq(PARSE(&o, "--version"), 0);
	ck_assert_int_eq(o.command, CMD_VERSION);
	ck_assert_int_eq(PARSE(&o, "-V"), 0);
	ck_assert_int_eq(o.command, CMD_VERSION);

	/* COMMAND --help needs none of the command's required options. */
	ck_assert_int_eq(PARSE(&o, "dump", "--help"), 0);
	ck_assert_int_eq(o.command, CMD_HELP);
	ck_assert_int_eq(o.help_for, CMD_DUMP);
	ck_assert_int_eq(PARSE(&o, "restore", "-h"), 0);
	ck_assert_int_eq(o.help_for, CMD_RESTORE);
	ck_assert_int_eq(PARSE(&o, "show", "--images", "d", "--help"), 0);
	ck_assert_int_eq(o.help_for, CMD_SHOW);
	ck_assert_int_eq(PARSE(&o, "check", "--help"), 0);
	ck_assert_int_eq(o.help_for, CMD_CHECK);
	ck_assert_int_eq(PARSE(&o, "dump", "-vh"), 0);
	ck_assert_int_eq(o.help_for, CMD_DUMP);
	ck_assert_int_eq(PARSE(&o, "dump", "--version"), 0);
	ck_assert_int_eq(o.command, CMD_VERSION);

	/* Every command has its own usage, and the general one lists them all. */
	for (int c = CMD_DUMP; c <= CMD_CHECK; c++) {
		ck_assert_ptr_nonnull(options_usage(c));
		ck_assert_ptr_nonnull(strstr(options_usage(c), "usage: ckpt"));
		ck_assert_str_ne(options_usage(c), options_usage(CMD_NONE));
	}
	ck_assert_ptr_nonnull(strstr(options_usage(CMD_NONE), "ckpt dump"));
	ck_assert_ptr_nonnull(strstr(options_usage(CMD_NONE), "ckpt restore"));
	ck_assert_ptr_nonnull(strstr(options_usage(CMD_NONE), "ckpt show"));
	ck_assert_ptr_nonnull(strstr(options_usage(CMD_NONE), "ckpt check"));
	ck_assert_ptr_nonnull(strstr(options_usage(CMD_DUMP), "--leave-running"));
	ck_assert_ptr_nonnull(strstr(options_usage(CMD_RESTORE), "--detach"));
}
END_TEST

/* ---- bad command lines -------------------------------------------------- */

START_TEST(test_no_command)
{
	struct options o;

	assert_fails(&o, PARSE0(&o), "no command");
	assert_fails(&o, PARSE(&o, "frobnicate"), "frobnicate");
	assert_fails(&o, PARSE(&o, "--pid", "1"), "--pid");
	assert_fails(&o, PARSE(&o, ""), "unknown command");
	assert_fails(&o, PARSE(&o, "DUMP", "--pid", "1", "--images", "d"), "DUMP");
}
END_TEST

START_TEST(test_missing_required)
{
	struct options o;

	assert_fails(&o, PARSE(&o, "dump", "--images", "d"), "--pid");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1"), "--images");
	assert_fails(&o, PARSE(&o, "dump"), "dump");
	assert_fails(&o, PARSE(&o, "restore"), "--images");
	assert_fails(&o, PARSE(&o, "restore", "--detach"), "--images");
	assert_fails(&o, PARSE(&o, "show"), "--images");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images", ""), "--images");
	assert_fails(&o, PARSE(&o, "restore", "--images="), "--images");
}
END_TEST

START_TEST(test_bad_pid)
{
	static const char *const bad[] = { "12x", "x12", "-5",	"0",	"",
					   "1 ",  "+1",	 "1.0", "0x10", "99999999999999999999" };
	struct options o;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *pid = (char *)bad[i];
		int r = PARSE(&o, "dump", "--pid", pid, "--images", "d");

		ck_assert_msg(r == -EINVAL, "pid '%s' accepted", bad[i]);
		assert_fails(&o, r, "invalid pid");
		assert_fails(&o, PARSE(&o, "dump", "--images", "d", "--pid", pid), "invalid pid");
	}
	/* "--pid=-5" too, and -5 is not taken for an option. */
	assert_fails(&o, PARSE(&o, "dump", "--pid=-5", "--images", "d"), "-5");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "-5", "--images", "d"), "invalid pid '-5'");
}
END_TEST

START_TEST(test_missing_value)
{
	struct options o;

	assert_fails(&o, PARSE(&o, "dump", "--images", "d", "--pid"), "--pid");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images"), "--images");
	assert_fails(&o, PARSE(&o, "restore", "--images", "d", "--pidfile"), "--pidfile");
}
END_TEST

START_TEST(test_unknown_option)
{
	struct options o;

	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images", "d", "--bogus"), "--bogus");
	assert_fails(&o, PARSE(&o, "dump", "--bogus", "--pid", "1", "--images", "d"), "--bogus");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images", "d", "-x"), "-x");
	assert_fails(&o, PARSE(&o, "restore", "--images", "d", "-q"), "-q");
	assert_fails(&o, PARSE(&o, "check", "--force"), "--force");
	/* An abbreviation that matches several long options is ambiguous. */
	assert_fails(&o, PARSE(&o, "dump", "--p", "1", "--images", "d"), "--p");
}
END_TEST

/* Options that exist but belong to another command. The reason names the
 * option as the user wrote it, not its value. */
START_TEST(test_option_not_for_command)
{
	struct options o;

	assert_fails(&o, PARSE(&o, "restore", "--images", "d", "--leave-running"),
		     "--leave-running");
	assert_fails(&o, PARSE(&o, "restore", "--images", "d", "--pid=5"), "--pid");
	assert_fails(&o, PARSE(&o, "restore", "--images", "d", "--pid", "5"), "--pid");
	assert_fails(&o, PARSE(&o, "restore", "--pid", "5", "--images", "d"), "--pid");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images", "d", "--detach"), "--detach");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images", "d", "-d"), "-d");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images", "d", "--json"), "--json");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images", "d", "--pidfile", "f"),
		     "--pidfile");
	assert_fails(&o, PARSE(&o, "show", "--images", "d", "--detach"), "--detach");
	assert_fails(&o, PARSE(&o, "show", "--images", "d", "--parent", "p"), "--parent");
	assert_fails(&o, PARSE(&o, "check", "--images", "d"), "--images");
	assert_fails(&o, PARSE(&o, "check", "--pid", "1"), "--pid");
	assert_fails(&o, PARSE(&o, "restore", "--images", "d", "--json"), "--json");
}
END_TEST

START_TEST(test_extra_arguments)
{
	struct options o;

	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images", "d", "extra"), "extra");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "extra", "--images", "d"), "extra");
	assert_fails(&o, PARSE(&o, "dump", "1234", "--pid", "1", "--images", "d"), "1234");
	assert_fails(&o, PARSE(&o, "restore", "--images", "d", "-d", "x"), "'x'");
	assert_fails(&o, PARSE(&o, "check", "now"), "now");
	assert_fails(&o, PARSE(&o, "show", "d"), "'d'");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images", "d", "--", "x"), "x");
}
END_TEST

/* options_parse() starts from scratch each time, whatever the previous
 * call left behind (getopt keeps state between calls). */
START_TEST(test_inherit_fd)
{
	struct options o;

	ck_assert_int_eq(PARSE(&o, "restore", "--images", "/d", "--inherit-fd", "fd[7]:pipe:[123]",
			       "--inherit-fd=fd[0]:pipe:[9]"),
			 0);
	ck_assert_int_eq(o.nr_inherit, 2);
	ck_assert_int_eq(o.inherit[0].fd, 7);
	ck_assert_str_eq(o.inherit[0].id, "pipe:[123]");
	ck_assert_int_eq(o.inherit[1].fd, 0);
	ck_assert_str_eq(o.inherit[1].id, "pipe:[9]");

	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--inherit-fd", "7:pipe:[1]"),
		     "not fd[N]:ID");
	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--inherit-fd", "fd[-1]:x"),
		     "not fd[N]:ID");
	assert_fails(&o,
		     PARSE(&o, "restore", "--images", "/d", "--inherit-fd", "fd[99999999999]:x"),
		     "not fd[N]:ID");
	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--inherit-fd", "fd[3]x"),
		     "not fd[N]:ID");
	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--inherit-fd", "fd[3]:"),
		     "1 to 64 characters");
	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--inherit-fd", "fd[3]:a b"),
		     "printable");
	assert_fails(&o,
		     PARSE(&o, "restore", "--images", "/d", "--inherit-fd", "fd[3]:p",
			   "--inherit-fd", "fd[4]:p"),
		     "given twice");
	assert_fails(&o,
		     PARSE(&o, "dump", "--pid", "1", "--images", "/d", "--inherit-fd", "fd[3]:p"),
		     "does not apply");
}
END_TEST

START_TEST(test_cgroup_root)
{
	struct options o;
	const char *argv[64] = { "ckpt", "restore", "--images", "/d" };
	int argc = 4;

	ck_assert_int_eq(PARSE(&o, "restore", "--images", "/d", "--cgroup-root", "/x",
			       "--cgroup-root=pids:/y"),
			 0);
	ck_assert_int_eq(o.nr_cgroup_root, 2);
	ck_assert_str_eq(o.cgroup_root[0], "/x");
	ck_assert_str_eq(o.cgroup_root[1], "pids:/y");
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images", "/d", "--cgroup-root", "/x"),
		     "does not apply");
	for (int i = 0; i <= CGROUP_ROOT_MAX; i++) {
		argv[argc++] = "--cgroup-root";
		argv[argc++] = "/x";
	}
	assert_fails(&o, options_parse(argc, (char **)argv, &o), "too many --cgroup-root");
}
END_TEST

START_TEST(test_external)
{
	struct options o;

	ck_assert_int_eq(PARSE(&o, "dump", "--pid", "1", "--images", "/d", "--external",
			       "mnt[/data]:data", "--external=veth[eth0]"),
			 0);
	ck_assert_int_eq(o.nr_external, 2);
	ck_assert_str_eq(o.external[0].kind, "mnt");
	ck_assert_str_eq(o.external[0].key, "/data");
	ck_assert_str_eq(o.external[0].value, "data");
	ck_assert_str_eq(o.external[1].kind, "veth");
	ck_assert_str_eq(o.external[1].key, "eth0");
	ck_assert_ptr_null(o.external[1].value);
	ck_assert_int_eq(PARSE(&o, "restore", "--images", "/d", "--external", "mnt[data]:/srv/d:x"),
			 0);
	ck_assert_str_eq(o.external[0].value, "/srv/d:x");

	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--external", "mnt/x"),
		     "not KIND[KEY]:VALUE");
	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--external", "[k]:v"),
		     "not KIND[KEY]:VALUE");
	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--external", "mnt[]:v"),
		     "not KIND[KEY]:VALUE");
	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--external", "mnt[k]v"),
		     "not KIND[KEY]:VALUE");
	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--external", "m1[k]:v"),
		     "letters");
	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--external", "dev[k]:v"),
		     "unknown kind");
	assert_fails(&o, PARSE(&o, "restore", "--images", "/d", "--external", "mnt[k]:a\tb"),
		     "printable");
	assert_fails(&o, PARSE(&o, "show", "--images", "/d", "--external", "mnt[k]:v"),
		     "does not apply");
}
END_TEST

START_TEST(test_reparse)
{
	struct options o;

	/* Stops in the middle of the cluster "-xv". */
	assert_fails(&o, PARSE(&o, "dump", "--pid", "1", "--images", "d", "-xv"), "-x");
	ck_assert_int_eq(PARSE(&o, "dump", "-hv"), 0);
	ck_assert_int_eq(o.command, CMD_HELP);
	ck_assert_int_eq(o.verbose, 0);

	/* Stops in the middle of the cluster "-hv". */
	ck_assert_int_eq(PARSE(&o, "restore", "-hv"), 0);
	ck_assert_int_eq(PARSE(&o, "restore", "--images", "d"), 0);
	ck_assert_int_eq(o.command, CMD_RESTORE);
	ck_assert_int_eq(o.verbose, 0);

	/* A failure leaves nothing behind for a good parse. */
	assert_fails(&o, PARSE(&o, "dump", "--pid", "12x", "--images", "d"), "12x");
	ck_assert_int_eq(PARSE(&o, "dump", "--pid", "12", "--images", "d"), 0);
	ck_assert_int_eq(o.pid, 12);
	ck_assert_str_eq(o.error, "");
	ck_assert(!o.leave_running && !o.detach && !o.json);
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tg = tcase_create("good");
	TCase *tb = tcase_create("bad");

	tcase_add_test(tg, test_dump);
	tcase_add_test(tg, test_compress);
	tcase_add_test(tg, test_restore);
	tcase_add_test(tg, test_show_check);
	tcase_add_test(tg, test_help_version);
	suite_add_tcase(s, tg);

	tcase_add_test(tb, test_no_command);
	tcase_add_test(tb, test_missing_required);
	tcase_add_test(tb, test_bad_pid);
	tcase_add_test(tb, test_missing_value);
	tcase_add_test(tb, test_unknown_option);
	tcase_add_test(tb, test_option_not_for_command);
	tcase_add_test(tb, test_extra_arguments);
	tcase_add_test(tb, test_reparse);
	tcase_add_test(tb, test_inherit_fd);
	tcase_add_test(tb, test_external);
	tcase_add_test(tb, test_cgroup_root);
	suite_add_tcase(s, tb);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(options_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
