// SPDX-License-Identifier: GPL-2.0
/*
 * The mount namespace's pure parts: mountinfo lines (escapes, optional
 * fields, the separator), per-mount flags and superblock options as the
 * kernel shows them, and what is refused.
 */
#include "ns-mnt.h"
#include "util.h"

#include <check.h>
#include <string.h>
#include <sys/mount.h>

static int parse(const char *text, struct mnt_info **v, size_t *nr)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	ck_assert_ptr_nonnull(f);
	r = mnt_info_parse(f, v, nr);
	fclose(f);
	return r;
}

START_TEST(test_mountinfo_lines)
{
	static const char text[] =
		"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
		"65 27 0:39 / /mnt/a\\040b rw,nosuid shared:5 master:2 - tmpfs none rw,size=4096k,mode=750\n"
		"66 65 0:39 /a//deleted /mnt/c ro,relatime unbindable - tmpfs none rw\n"
		"67 65 0:40 / /x\\134y rw propagate_from:3 - proc proc rw,hidepid=invisible\n";
	struct mnt_info *v = NULL;
	size_t nr = 0;

	ck_assert_int_eq(parse(text, &v, &nr), 0);
	ck_assert_uint_eq(nr, 4);
	ck_assert_uint_eq(v[0].id, 27);
	ck_assert_uint_eq(v[0].parent, 1);
	ck_assert_uint_eq(v[0].major, 254);
	ck_assert_str_eq(v[0].fstype, "ext4");
	ck_assert_str_eq(v[0].source, "/dev/vda");
	ck_assert_str_eq(v[1].mountpoint, "/mnt/a b");
	ck_assert_uint_eq(v[1].shared, 5);
	ck_assert_uint_eq(v[1].master, 2);
	ck_assert_str_eq(v[1].super_opts, "rw,size=4096k,mode=750");
	ck_assert_str_eq(v[2].root, "/a//deleted");
	ck_assert(v[2].unbindable);
	ck_assert_uint_eq(v[2].shared, 0);
	ck_assert_str_eq(v[3].mountpoint, "/x\\y");
	ck_assert_uint_eq(v[3].propagate_from, 3);
	mnt_info_free(v, nr);
}
END_TEST

START_TEST(test_mountinfo_malformed)
{
	static const char *const bad[] = {
		"27 1 254:0 / / rw,relatime ext4 /dev/vda rw\n", /* no separator */
		"27 1 254:0 / / rw - ext4 /dev/vda\n", /* no super options */
		"x 1 254:0 / / rw - ext4 /dev/vda rw\n",
		"27 1 nodev / / rw - ext4 /dev/vda rw\n",
		"27 1 254:0 / / rw shared:x - ext4 /dev/vda rw\n",
		"27 99999999999 254:0 / / rw - ext4 /dev/vda rw\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct mnt_info *v = NULL;
		size_t nr = 0;

		ck_assert_msg(parse(bad[i], &v, &nr) == -EINVAL, "accepted: %s", bad[i]);
	}
}
END_TEST

START_TEST(test_flags)
{
	uint32_t f;
	char bad[64], shown[128];

	ck_assert_int_eq(mnt_flags_parse("ro,nosuid,nodev,noexec,relatime", &f, bad, sizeof(bad)),
			 0);
	ck_assert_uint_eq(f, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				     MOUNT_ATTR_NOEXEC | MOUNT_ATTR_RELATIME);
	mnt_flags_show(f, shown, sizeof(shown));
	ck_assert_str_eq(shown, "ro,nosuid,nodev,noexec,relatime");
	ck_assert_int_eq(mnt_flags_parse("rw", &f, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(f, MOUNT_ATTR_STRICTATIME);
	ck_assert_int_eq(mnt_flags_parse("rw,noatime,nodiratime", &f, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(f, MOUNT_ATTR_NOATIME | MOUNT_ATTR_NODIRATIME);
	ck_assert_int_eq(mnt_flags_parse("rw,idmapped", &f, bad, sizeof(bad)), -EINVAL);
	ck_assert_str_eq(bad, "idmapped");
}
END_TEST

START_TEST(test_sb_options)
{
	MntSbEntry sb = MNT_SB_ENTRY__INIT;
	char bad[64];

	sb.fstype = "tmpfs";
	ck_assert_int_eq(
		mnt_sb_opts_parse(
			"tmpfs",
			"rw,size=4096k,nr_inodes=1000,mode=1777,uid=5,gid=6,inode64,huge=advise",
			&sb, bad, sizeof(bad)),
		0);
	ck_assert(sb.has_size && sb.size == 4096 * 1024);
	ck_assert(sb.has_nr_inodes && sb.nr_inodes == 1000);
	ck_assert(sb.has_mode && sb.mode == 01777);
	ck_assert(sb.has_uid && sb.uid == 5 && sb.has_gid && sb.gid == 6);
	ck_assert(sb.has_inode64 && sb.inode64);
	ck_assert(sb.has_huge && sb.huge == 3);
	ck_assert_int_eq(mnt_sb_opts_parse("tmpfs", "rw,usrquota", &sb, bad, sizeof(bad)), -EINVAL);
	ck_assert_str_eq(bad, "usrquota");
	ck_assert_int_eq(mnt_sb_opts_parse("tmpfs", "rw,mode=99999", &sb, bad, sizeof(bad)),
			 -EINVAL);
	ck_assert_int_eq(mnt_sb_opts_parse("tmpfs", "rw,size=1x", &sb, bad, sizeof(bad)), -EINVAL);
	/* proc options only on proc */
	ck_assert_int_eq(mnt_sb_opts_parse("tmpfs", "rw,hidepid=invisible", &sb, bad, sizeof(bad)),
			 -EINVAL);
}
END_TEST

START_TEST(test_sb_proc_cgroup)
{
	MntSbEntry p = MNT_SB_ENTRY__INIT, c = MNT_SB_ENTRY__INIT;
	char bad[64];

	ck_assert_int_eq(
		mnt_sb_opts_parse("proc", "rw,hidepid=invisible,subset=pid", &p, bad, sizeof(bad)),
		0);
	ck_assert_str_eq(p.hidepid, "invisible");
	ck_assert(p.subset_pid);
	free(p.hidepid);
	ck_assert_int_eq(mnt_sb_opts_parse("proc", "rw,hidepid=sometimes", &p, bad, sizeof(bad)),
			 -EINVAL);
	ck_assert_int_eq(mnt_sb_opts_parse("cgroup", "rw,xattr,name=systemd", &c, bad, sizeof(bad)),
			 0);
	ck_assert_str_eq(c.controllers, "xattr,name=systemd");
	free(c.controllers);
	ck_assert_int_eq(mnt_sb_opts_parse("cgroup", "rw,release_agent=/x", &c, bad, sizeof(bad)),
			 -EINVAL);
}
END_TEST

START_TEST(test_path_under)
{
	const char *rest;

	ck_assert(mnt_path_under("/a/b", "/a", &rest));
	ck_assert_str_eq(rest, "/b");
	ck_assert(mnt_path_under("/a", "/a", &rest));
	ck_assert_str_eq(rest, "");
	ck_assert(!mnt_path_under("/ab", "/a", &rest));
	ck_assert(mnt_path_under("/x", "/", &rest));
	ck_assert_str_eq(rest, "/x");
	ck_assert(mnt_fs_known("tmpfs") && mnt_fs_known("cgroup2"));
	ck_assert(!mnt_fs_known("ramfs") && !mnt_fs_known("overlay"));
}
END_TEST

static Suite *ns_mnt_suite(void)
{
	Suite *s = suite_create("ns-mnt");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_mountinfo_lines);
	tcase_add_test(tc, test_mountinfo_malformed);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_sb_options);
	tcase_add_test(tc, test_sb_proc_cgroup);
	tcase_add_test(tc, test_path_under);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ns_mnt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
