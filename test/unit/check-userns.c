// SPDX-License-Identifier: GPL-2.0
/*
 * User namespace maps (ns-user.c): the parser on what the kernel shows
 * and on garbage, the sanity rules the kernel applies to a map, the
 * translation of host ids, what an owner may map, and a real namespace
 * made, written from outside and read back.
 */
#include "ns-user.h"
#include "util.h"

#include <check.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static UsernsExtent **map_of(const char *text, size_t *n)
{
	UsernsExtent **e = NULL;

	ck_assert_int_eq(userns_parse_map(text, &e, n), 0);
	return e;
}

START_TEST(test_parse)
{
	size_t n;
	UsernsExtent **e = map_of("         0       1000          1\n"
				  "         1     100000      65536\n",
				  &n);

	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(e[0]->first, 0);
	ck_assert_uint_eq(e[0]->lower_first, 1000);
	ck_assert_uint_eq(e[0]->count, 1);
	ck_assert_uint_eq(e[1]->lower_first, 100000);
	ck_assert_uint_eq(e[1]->count, 65536);
	userns_extents_free(e, n);
	/* The host's own map, and an empty one (nothing written yet). */
	e = map_of("         0          0 4294967295\n", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(e[0]->count, 4294967295U);
	userns_extents_free(e, n);
	e = map_of("", &n);
	ck_assert_uint_eq(n, 0);
	userns_extents_free(e, n);
}
END_TEST

START_TEST(test_parse_garbage)
{
	static const char *const bad[] = {
		"0 1000\n", "0 1000 1 2\n", "-1 0 1\n", "0 4294967296 1\n", "a b c\n", "0 0 1\nx",
	};
	UsernsExtent **e;
	size_t n;
	char *many = xmalloc(341 * 6 + 1);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(userns_parse_map(bad[i], &e, &n) == -EINVAL, "took '%s'", bad[i]);
	for (int i = 0; i < 341; i++)
		memcpy(many + i * 6, "0 0 1\n", 7);
	ck_assert_int_eq(userns_parse_map(many, &e, &n), -EINVAL);
	free(many);
}
END_TEST

START_TEST(test_insane)
{
	static const struct {
		const char *map;
		bool ok;
	} cases[] = {
		{ "0 1000 1\n", true },
		{ "0 1000 1\n1 100000 65536\n", true },
		{ "", false }, /* empty */
		{ "0 1000 0\n", false }, /* empty range */
		{ "0 4294967295 1\n", false }, /* maps -1 */
		{ "4294967290 0 10\n", false }, /* wraps inside */
		{ "0 1000 10\n5 2000 1\n", false }, /* overlap inside */
		{ "0 1000 10\n20 1005 1\n", false }, /* overlap outside */
		{ "0 0 4294967295\n", true }, /* the host's */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n;
		UsernsExtent **e = map_of(cases[i].map, &n);

		ck_assert_msg((userns_map_insane(e, n) == NULL) == cases[i].ok, "'%s': %s",
			      cases[i].map, userns_map_insane(e, n) ?: "sane");
		userns_extents_free(e, n);
	}
}
END_TEST

START_TEST(test_map_up)
{
	size_t n;
	UsernsExtent **e = map_of("0 1000 1\n1 100000 65536\n", &n);
	uint32_t in = 7;

	ck_assert(userns_map_up(e, n, 1000, &in) && in == 0);
	ck_assert(userns_map_up(e, n, 100000, &in) && in == 1);
	ck_assert(userns_map_up(e, n, 165535, &in) && in == 65536);
	ck_assert(!userns_map_up(e, n, 165536, &in));
	ck_assert(!userns_map_up(e, n, 0, &in));
	ck_assert(!userns_map_up(e, n, 999, &in));
	userns_extents_free(e, n);
}
END_TEST

START_TEST(test_subid)
{
	static const char text[] = "alice:100000:65536\n"
				   "bob:165536:65536\n"
				   "# comment\n"
				   "1234:300000:10\n"
				   "alice:bad:1\n"
				   "alice:4294967290:100\n"
				   "alice:500000:0\n"
				   "alice:400000:5";
	struct subid_range *r;
	size_t n;

	userns_subid_parse(text, "alice", 1234, &r, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(r[0].first, 100000);
	ck_assert_uint_eq(r[1].first, 300000); /* by its uid too */
	ck_assert_uint_eq(r[2].first, 400000); /* no final newline */
	free(r);
	userns_subid_parse(text, "alicex", 99, &r, &n);
	ck_assert_uint_eq(n, 0);
	free(r);
	userns_subid_parse(text, NULL, 1234, &r, &n);
	ck_assert_uint_eq(n, 1);
	free(r);
}
END_TEST

static UsernsEntry *entry_of(const char *uids, const char *gids, bool sg_allow)
{
	UsernsEntry *u = xmalloc(sizeof(*u));

	userns_entry__init(u);
	u->uid_map = map_of(uids, &u->n_uid_map);
	u->gid_map = map_of(gids, &u->n_gid_map);
	u->setgroups_allow = sg_allow;
	return u;
}

START_TEST(test_owner)
{
	gid_t groups[] = { 1000, 27 };
	struct subid_range sub = { 100000, 65536 };
	struct userns_owner o = { .uid = 1000,
				  .known = true,
				  .groups = groups,
				  .nr_groups = 2,
				  .subuid = &sub,
				  .nr_subuid = 1,
				  .subgid = &sub,
				  .nr_subgid = 1 };
	static const struct {
		const char *uids, *gids;
		bool allow, ok;
	} cases[] = {
		{ "0 1000 1\n", "0 1000 1\n", false, true }, /* --map-root-user */
		{ "0 1000 1\n", "0 27 1\n", false, true }, /* another of its groups */
		{ "0 1000 1\n", "0 1000 1\n", true, false }, /* own gid, setgroups allowed */
		{ "0 1000 1\n1 100000 65536\n", "0 1000 1\n1 100000 65536\n", false, true },
		{ "0 1000 1\n1 100000 65536\n", "0 100000 65536\n", true, true }, /* newgidmap */
		{ "0 0 1\n", "0 1000 1\n", false, false }, /* host root */
		{ "0 1000 2\n", "0 1000 1\n", false, false }, /* wider than its uid */
		{ "0 100000 65537\n", "0 1000 1\n", false, false }, /* past its range */
		{ "0 1001 1\n", "0 1000 1\n", false, false }, /* another user */
		{ "0 1000 1\n", "0 0 1\n", false, false }, /* root's group */
		{ "0 1000 1\n", "0 1000 2\n", false, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		UsernsEntry *u = entry_of(cases[i].uids, cases[i].gids, cases[i].allow);
		const char *why = userns_maps_beyond_owner(u, &o);

		ck_assert_msg((why == NULL) == cases[i].ok, "case %zu: %s", i, why ?: "allowed");
		/* Root may write anything. */
		o.uid = 0;
		ck_assert_ptr_null(userns_maps_beyond_owner(u, &o));
		o.uid = 1000;
		userns_entry__free_unpacked(u, NULL);
	}
}
END_TEST

START_TEST(test_creds_inside)
{
	UsernsEntry *u =
		entry_of("0 1000 1\n1 100000 65536\n", "0 1000 1\n1 100000 65536\n", false);
	uint32_t groups[] = { 1000, 100005 };
	CredsEntry c = CREDS_ENTRY__INIT, in;

	c.uid = c.euid = c.suid = c.fsuid = 1000;
	c.gid = c.egid = c.sgid = 1000;
	c.fsgid = 100001;
	c.groups = groups;
	c.n_groups = 2;
	ck_assert_int_eq(userns_creds_inside(u, &c, &in), 0);
	ck_assert_uint_eq(in.uid, 0);
	ck_assert_uint_eq(in.fsuid, 0);
	ck_assert_uint_eq(in.fsgid, 2);
	/* Groups stay host ids: given from outside. */
	ck_assert_ptr_eq(in.groups, groups);
	ck_assert_uint_eq(in.n_groups, 2);
	groups[1] = 27; /* not mapped, and fine */
	ck_assert_int_eq(userns_creds_inside(u, &c, &in), 0);
	c.fsgid = 27; /* not mapped: cannot be set inside */
	ck_assert_int_eq(userns_creds_inside(u, &c, &in), -ERANGE);
	c.fsgid = 1000;
	c.suid = 0; /* host root is not mapped */
	ck_assert_int_eq(userns_creds_inside(u, &c, &in), -ERANGE);
	userns_entry__free_unpacked(u, NULL);
}
END_TEST

/* A real namespace: a child unshares, the parent (root in the host's)
 * writes its maps and reads them back. Skipped without the privilege. */
START_TEST(test_write_maps)
{
	UsernsEntry *u = entry_of("0 0 1\n1 200000 100\n", "0 0 1\n", false);
	int go[2], ready[2], status;
	char c = 0;
	pid_t pid;

	if (geteuid() != 0) {
		userns_entry__free_unpacked(u, NULL);
		return;
	}
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int ok = unshare(CLONE_NEWUSER) == 0;

		(void)!write(ready[1], &ok, 1);
		(void)!read(go[0], &c, 1);
		/* Host root (the child's ids) is root inside now. */
		_exit(ok && getuid() == 0 && getgid() == 0 ? 0 : 1);
	}
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	if (!c) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		userns_entry__free_unpacked(u, NULL);
		return; /* user namespaces are off here */
	}
	ck_assert_int_eq(userns_write_maps(pid, u), 0);
	/* Written once: a second write is refused by the kernel. */
	ck_assert_int_lt(userns_write_maps(pid, u), 0);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	userns_entry__free_unpacked(u, NULL);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
}
END_TEST

static Suite *userns_suite(void)
{
	Suite *s = suite_create("userns");
	TCase *tm = tcase_create("maps"), *tk = tcase_create("kernel");

	tcase_add_test(tm, test_parse);
	tcase_add_test(tm, test_parse_garbage);
	tcase_add_test(tm, test_insane);
	tcase_add_test(tm, test_map_up);
	tcase_add_test(tm, test_subid);
	tcase_add_test(tm, test_owner);
	tcase_add_test(tm, test_creds_inside);
	suite_add_tcase(s, tm);
	tcase_add_test(tk, test_write_maps);
	suite_add_tcase(s, tk);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(userns_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
