// SPDX-License-Identifier: GPL-2.0
/*
 * tree_plan() on made-up trees: who creates whom, who calls setsid() or
 * setpgid(), which helpers stand in for exited leaders, and which layouts
 * are refused. Every case states the plan it expects.
 *
 * Notation: N(pid, ppid, pgid, sid). The root's parent, session and group
 * (1) are outside the tree unless the root leads them.
 */
#include "tree.h"
#include "util.h"

#include <check.h>
#include <string.h>

#define N(p, pp, pg, s)                                            \
	{                                                          \
		.pid = (p), .ppid = (pp), .pgid = (pg), .sid = (s) \
	}

static struct plan plan;
static char why[256];

static int plan_of(const struct tree_node *nodes, size_t nr)
{
	why[0] = 0;
	return tree_plan(nodes, nr, &plan, why, sizeof(why));
}

static const struct plan_proc *entry(int pid)
{
	for (size_t i = 0; i < plan.nr; i++)
		if (plan.procs[i].pid == pid)
			return &plan.procs[i];
	ck_abort_msg("pid %d is not in the plan", pid);
	return NULL;
}

static int creator_pid(int pid)
{
	int c = entry(pid)->creator;

	return c < 0 ? -1 : plan.procs[c].pid;
}

static void teardown(void)
{
	plan_release(&plan);
}

START_TEST(test_single_shell_job)
{
	const struct tree_node t[] = { N(100, 1, 1, 1) };

	ck_assert_int_eq(plan_of(t, 1), 0);
	ck_assert_uint_eq(plan.nr, 1);
	ck_assert_int_eq(entry(100)->role, PLAN_LIVE);
	ck_assert_int_eq(creator_pid(100), -1);
	ck_assert(!entry(100)->setsid);
	ck_assert(!entry(100)->setpgid_self);
	ck_assert_int_eq(entry(100)->pgid, PLAN_CALLER_PGID);
}
END_TEST

START_TEST(test_root_leads_session_and_group)
{
	const struct tree_node t[] = { N(100, 1, 100, 100), N(101, 100, 100, 100) };

	ck_assert_int_eq(plan_of(t, 2), 0);
	ck_assert(entry(100)->setsid);
	ck_assert(!entry(100)->setpgid_self);
	ck_assert_int_eq(entry(100)->pgid, 100);
	ck_assert_int_eq(creator_pid(101), 100);
	ck_assert(!entry(101)->setsid && !entry(101)->setpgid_self);
	ck_assert_int_eq(entry(101)->pgid, 100);
}
END_TEST

START_TEST(test_root_leads_group_only)
{
	const struct tree_node t[] = { N(100, 1, 100, 1) };

	ck_assert_int_eq(plan_of(t, 1), 0);
	ck_assert(!entry(100)->setsid);
	ck_assert(entry(100)->setpgid_self);
	ck_assert_int_eq(entry(100)->pgid, 100);
}
END_TEST

/* A child with its own session and a grandchild in it; a child leading its
 * own group and a grandchild in that group; a child in the outside group. */
START_TEST(test_children_sessions_groups)
{
	const struct tree_node t[] = {
		N(100, 1, 1, 1),       N(101, 100, 101, 101), N(102, 100, 102, 1),
		N(103, 101, 101, 101), N(104, 102, 102, 1),   N(105, 100, 1, 1),
	};

	ck_assert_int_eq(plan_of(t, 6), 0);
	ck_assert_uint_eq(plan.nr, 6); /* no helper */
	ck_assert(entry(101)->setsid);
	ck_assert_int_eq(creator_pid(101), 100);
	ck_assert(entry(102)->setpgid_self && !entry(102)->setsid);
	ck_assert_int_eq(creator_pid(103), 101);
	ck_assert_int_eq(entry(103)->pgid, 101);
	ck_assert_int_eq(creator_pid(104), 102);
	ck_assert_int_eq(entry(104)->pgid, 102);
	ck_assert_int_eq(entry(105)->pgid, PLAN_CALLER_PGID);
	for (size_t i = 0; i < plan.nr; i++)
		ck_assert(!plan.procs[i].clone_parent && !plan.procs[i].before_setsid);
	/* The dumped processes come first, in tree order. */
	for (size_t i = 0; i < 6; i++) {
		ck_assert_int_eq(plan.procs[i].pid, t[i].pid);
		ck_assert_int_eq(plan.procs[i].node, (int)i);
	}
}
END_TEST

START_TEST(test_zombie)
{
	struct tree_node t[] = { N(100, 1, 1, 1), N(101, 100, 1, 1) };

	t[1].zombie = true;
	t[1].exit_status = 7 << 8;
	ck_assert_int_eq(plan_of(t, 2), 0);
	ck_assert_int_eq(entry(101)->role, PLAN_ZOMBIE);
	ck_assert_int_eq(entry(101)->exit_status, 7 << 8);
	ck_assert_int_eq(creator_pid(101), 100);
}
END_TEST

/* The leader 102 of group 102 exited; its child 103 was reparented to the
 * subreaper root and is still in group 102: a helper 102 makes the group. */
START_TEST(test_exited_group_leader)
{
	const struct tree_node t[] = { N(100, 1, 1, 1), N(103, 100, 102, 1) };
	const struct plan_proc *h;

	ck_assert_int_eq(plan_of(t, 2), 0);
	ck_assert_uint_eq(plan.nr, 3);
	h = entry(102);
	ck_assert_int_eq(h->role, PLAN_HELPER);
	ck_assert_int_eq(h->node, -1);
	ck_assert(h->setpgid_self && !h->setsid);
	ck_assert_int_eq(creator_pid(102), 100);
	ck_assert_int_eq(entry(103)->pgid, 102);
	ck_assert_int_eq(creator_pid(103), 100);
	ck_assert(!entry(103)->clone_parent);
}
END_TEST

/* Session 102's leader exited; 103, in it, is the root's child: a helper
 * 102 calls setsid() and clones 103 with CLONE_PARENT. The same helper
 * serves a second member; a member whose parent is in the session is
 * cloned by that parent. */
START_TEST(test_exited_session_leader)
{
	const struct tree_node t[] = {
		N(100, 1, 1, 1),
		N(103, 100, 102, 102),
		N(104, 100, 104, 102),
		N(105, 103, 102, 102),
	};
	const struct plan_proc *h;

	ck_assert_int_eq(plan_of(t, 4), 0);
	ck_assert_uint_eq(plan.nr, 5);
	h = entry(102);
	ck_assert_int_eq(h->role, PLAN_HELPER);
	ck_assert(h->setsid);
	ck_assert_int_eq(creator_pid(102), 100);
	ck_assert_int_eq(creator_pid(103), 102);
	ck_assert(entry(103)->clone_parent);
	ck_assert_int_eq(entry(103)->pgid, 102);
	ck_assert_int_eq(creator_pid(104), 102);
	ck_assert(entry(104)->clone_parent && entry(104)->setpgid_self);
	ck_assert_int_eq(creator_pid(105), 103);
	ck_assert(!entry(105)->clone_parent);
}
END_TEST

/* 101 called setsid() after cloning 102, which stayed in the old session. */
START_TEST(test_child_kept_in_parents_old_session)
{
	const struct tree_node t[] = {
		N(100, 1, 1, 1),
		N(101, 100, 101, 101),
		N(102, 101, 1, 1),
		N(103, 101, 101, 101),
	};

	ck_assert_int_eq(plan_of(t, 4), 0);
	ck_assert_uint_eq(plan.nr, 4);
	ck_assert_int_eq(creator_pid(102), 101);
	ck_assert(entry(102)->before_setsid);
	ck_assert_int_eq(entry(102)->pgid, PLAN_CALLER_PGID);
	ck_assert(!entry(103)->before_setsid);
}
END_TEST

START_TEST(test_refused_layouts)
{
	/* 102 is in session 103 of a process that is not its parent's. */
	const struct tree_node other_session[] = {
		N(100, 1, 100, 100),
		N(101, 100, 100, 100),
		N(103, 100, 103, 103),
		N(102, 101, 103, 103),
	};
	/* A group that spans two sessions. */
	const struct tree_node split_group[] = {
		N(100, 1, 100, 100),
		N(101, 100, 101, 101),
		N(102, 101, 100, 101),
	};
	/* A child listed before its parent. */
	const struct tree_node order[] = { N(100, 1, 1, 1), N(102, 101, 1, 1), N(101, 100, 1, 1) };
	/* A session leader that does not lead its group. */
	const struct tree_node leader[] = { N(100, 1, 1, 1), N(101, 100, 1, 101) };
	struct tree_node zombie_parent[] = { N(100, 1, 1, 1), N(101, 100, 1, 1),
					     N(102, 101, 1, 1) };

	ck_assert_int_eq(plan_of(other_session, 4), -EOPNOTSUPP);
	ck_assert_msg(strstr(why, "102") && strstr(why, "session 103"), "reason: %s", why);
	ck_assert_ptr_null(plan.procs);
	ck_assert_int_eq(plan_of(split_group, 3), -EINVAL);
	ck_assert_msg(strstr(why, "group 100"), "reason: %s", why);
	ck_assert_int_eq(plan_of(order, 3), -EINVAL);
	ck_assert_msg(strstr(why, "parent 101"), "reason: %s", why);
	ck_assert_int_eq(plan_of(leader, 2), -EINVAL);
	zombie_parent[1].zombie = true;
	ck_assert_int_eq(plan_of(zombie_parent, 3), -EINVAL);
	ck_assert_int_eq(plan_of(NULL, 0), -EINVAL);
	ck_assert(!strchr(why, '\n'));
}
END_TEST

static Suite *tree_suite(void)
{
	Suite *s = suite_create("tree");
	TCase *tc = tcase_create("plan");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_single_shell_job);
	tcase_add_test(tc, test_root_leads_session_and_group);
	tcase_add_test(tc, test_root_leads_group_only);
	tcase_add_test(tc, test_children_sessions_groups);
	tcase_add_test(tc, test_zombie);
	tcase_add_test(tc, test_exited_group_leader);
	tcase_add_test(tc, test_exited_session_leader);
	tcase_add_test(tc, test_child_kept_in_parents_old_session);
	tcase_add_test(tc, test_refused_layouts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tree_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
