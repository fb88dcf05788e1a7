// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup.c: which cgroup paths and settings from images are refused, how
 * limits compare, which hierarchy a controller names, and that a cgroup
 * is opened only below its hierarchy's mount, never through a symlink.
 */
#include "cgroup.h"
#include "util.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(test_paths)
{
	static const char *const bad[] = {
		"",
		"x",
		"/a/",
		"//",
		"/a//b",
		"/.",
		"/..",
		"/a/../b",
		"/a/./b",
		"/a\nb",
		"/a\x01",
		"/a\x7f",
		"/cgroup.procs",
		"/a/memory.max",
		"/a/tasks",
		"/a/pids.max",
		"/a/cpu.max",
	};
	static const char *const good[] = {
		"/", "/a", "/a/b", "/user.slice/session-3.scope", "/a/..b", "/a/...", "/my cg",
	};
	char name[300];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(!cg_path_ok(bad[i]), "'%s' accepted", bad[i]);
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		ck_assert_msg(cg_path_ok(good[i]), "'%s' refused", good[i]);
	name[0] = '/';
	memset(name + 1, 'a', 256);
	name[257] = 0;
	ck_assert(!cg_path_ok(name));
	name[256] = 0;
	ck_assert(cg_path_ok(name));
}
END_TEST

START_TEST(test_settings)
{
	const struct cg_setting *s;

	ck_assert_ptr_null(cg_setting_find("release_agent", false));
	ck_assert_ptr_null(cg_setting_find("notify_on_release", false));
	ck_assert_ptr_null(cg_setting_find("cgroup.procs", true));
	ck_assert_ptr_null(cg_setting_find("memory.max", false)); /* cgroup2's */
	ck_assert_ptr_null(cg_setting_find("memory.limit_in_bytes", true));
	s = cg_setting_find("pids.max", true);
	ck_assert_ptr_nonnull(s);
	ck_assert(s->limit);
	ck_assert(cg_value_ok(s, "max") && cg_value_ok(s, "64"));
	ck_assert(!cg_value_ok(s, "") && !cg_value_ok(s, "1 2") && !cg_value_ok(s, "max\n+x"));
	ck_assert(!cg_value_ok(s, "0x10") && !cg_value_ok(s, "-5") && !cg_value_ok(s, "12a"));
	s = cg_setting_find("cpu.max", true);
	ck_assert(cg_value_ok(s, "max 100000") && cg_value_ok(s, "50000 100000"));
	ck_assert(!cg_value_ok(s, "max") && !cg_value_ok(s, "50000 max") &&
		  !cg_value_ok(s, "1 2 3"));
	s = cg_setting_find("cpuset.cpus", false);
	ck_assert(cg_value_ok(s, "0-3,5") && cg_value_ok(s, ""));
	ck_assert(!cg_value_ok(s, "0 1") && !cg_value_ok(s, "../x"));
	s = cg_setting_find("cgroup.subtree_control", true);
	ck_assert(cg_value_ok(s, "cpu memory pids"));
	ck_assert(!cg_value_ok(s, "+cpu") && !cg_value_ok(s, "a/b") && !cg_value_ok(s, "A"));
	ck_assert(cg_setting_find("cpu.cfs_quota_us", false)->limit);
	ck_assert(cg_value_ok(cg_setting_find("cpu.cfs_quota_us", false), "-1"));
	ck_assert(!cg_setting_find("cpu.shares", false)->limit);
	s = cg_setting_find("devices.list", false);
	ck_assert(cg_value_ok(s, "c 1:3 rwm;b 8:* r;a *:* rwm;c *:* m"));
	ck_assert(!cg_value_ok(s, "") && !cg_value_ok(s, "c 1:3 rwm;") &&
		  !cg_value_ok(s, "x 1:3 r"));
	ck_assert(!cg_value_ok(s, "c 1:3 rr") && !cg_value_ok(s, "c 1:3 rwmr") &&
		  !cg_value_ok(s, "c 1 r") && !cg_value_ok(s, "c 1:3") &&
		  !cg_value_ok(s, "c a:3 r"));
	ck_assert(!cg_value_ok(s, "c 1:3 r\nc 1:5 r"));
}
END_TEST

START_TEST(test_limits)
{
	unsigned long long v;

	ck_assert(cg_limit_of("max", &v) && v == ULLONG_MAX);
	ck_assert(cg_limit_of("-1", &v) && v == ULLONG_MAX);
	ck_assert(cg_limit_of("max 100000", &v) && v == ULLONG_MAX);
	ck_assert(cg_limit_of("50000 100000", &v) && v == 50000);
	ck_assert(cg_limit_of("9223372036854771712", &v) && v == 9223372036854771712ULL);
	ck_assert(!cg_limit_of("", &v) && !cg_limit_of("x", &v) && !cg_limit_of("1x", &v));
}
END_TEST

START_TEST(test_controllers)
{
	struct cg_mount m[3] = {
		{ .controllers = (char *)"cpu,cpuacct", .dir = (char *)"/c", .root = (char *)"/" },
		{ .controllers = (char *)"name=systemd", .dir = (char *)"/s", .root = (char *)"/" },
		{ .controllers = (char *)"", .v2 = true, .dir = (char *)"/u", .root = (char *)"/" },
	};
	struct cg_mounts ms = { m, 3 };

	ck_assert(cg_has_controller("cpu,cpuacct", "cpu"));
	ck_assert(cg_has_controller("cpu,cpuacct", "cpuacct"));
	ck_assert(!cg_has_controller("cpuset", "cpu"));
	ck_assert(!cg_has_controller("cpu,cpuacct", "cpu,cpuacct"));
	ck_assert(!cg_has_controller("cpu", ""));
	ck_assert_ptr_eq(cg_mount_find(&ms, "cpuacct,cpu", false), &m[0]);
	ck_assert_ptr_null(cg_mount_find(&ms, "cpu", false));
	ck_assert_ptr_eq(cg_mount_find(&ms, "name=systemd", false), &m[1]);
	ck_assert_ptr_eq(cg_mount_find(&ms, "", true), &m[2]);
	ck_assert_ptr_null(cg_mount_find(&ms, "memory", false));
}
END_TEST

/* A directory stands for a hierarchy's mount: cgroups are opened below
 * it only, never through a symlink. */
START_TEST(test_open_beneath)
{
	char dir[] = "/tmp/check-cgroup.XXXXXX", path[PATH_MAX];
	struct cg_mount m = { .controllers = (char *)"pids", .root = (char *)"/" };
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	m.dir = dir;
	snprintf(path, sizeof(path), "%s/a", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/link", dir);
	ck_assert_int_eq(symlink("/tmp", path), 0);
	snprintf(path, sizeof(path), "%s/a/up", dir);
	ck_assert_int_eq(symlink("../..", path), 0);

	fd = cg_open_dir(&m, "/a/b", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = cg_open_dir(&m, "/", O_PATH);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_lt(cg_open_dir(&m, "/link", O_RDONLY), 0);
	ck_assert_int_lt(cg_open_dir(&m, "/a/up", O_RDONLY), 0);
	ck_assert_int_lt(cg_open_dir(&m, "/a/up/tmp", O_RDONLY), 0);
	ck_assert_int_lt(cg_open_dir(&m, "/a/../..", O_RDONLY), 0);
	ck_assert_int_lt(cg_open_dir(&m, "/nosuch", O_RDONLY), 0);
	/* A mount of a cgroup below the root: only what is below it. */
	m.root = (char *)"/x";
	ck_assert_int_lt(cg_open_dir(&m, "/a", O_RDONLY), 0);
	fd = cg_open_dir(&m, "/x/a", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);

	snprintf(path, sizeof(path), "%s/a/up", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/link", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", dir);
	rmdir(path);
	rmdir(dir);
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("images");

	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_controllers);
	tcase_add_test(tc, test_open_beneath);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cgroup_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
