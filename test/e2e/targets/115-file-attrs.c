/*
 * 115-file-attrs.c - a deleted file with inode flags and extended
 * attributes.
 *
 * Usage: 115-file-attrs WORKDIR [append | caps]
 *
 * Makes WORKDIR/attrs with some bytes, gives it two user.* attributes (one
 * of binary bytes), an access ACL that grants uid 4242 read access, the
 * inode flags "no atime updates" and "no dump" (chattr +A +d), holds it at
 * fd 10 and removes it. With "append", the file is made append-only after
 * its removal; with "caps", it gets file capabilities (cap_net_raw)
 * instead of the ACL. It also makes the directory WORKDIR/adir with the
 * attribute user.dir, a default ACL (the same entries) and the flags
 * "no atime updates" and "synchronous directory updates" (chattr +A
 * +D), holds it at fd 11 and removes it.
 *
 * Self-check (SIGUSR2), besides the common checks: fd 10 still has the
 * bytes, every attribute with the value read back at start, no other user.*
 * one, and the two flags; fd 11 its attribute, default ACL and flags.
 * Reports xattrs=N flags=ok dir=ok.
 */
#include "target.h"

#include <linux/fs.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>

#define FD 10
#define DIRFD 11
#define DIR_KEPT (FS_NOATIME_FL | FS_DIRSYNC_FL)
#define KEPT (FS_NOATIME_FL | FS_NODUMP_FL)

static const char contents[] = "a deleted file with attributes\n";
static const char *const names[] = { "user.one", "user.bin", "system.posix_acl_access" };
static char values[3][256];
static ssize_t lens[3];
static size_t nr_names = 3;
static char dir_acl[256];
static ssize_t dir_acl_len;

/* An access ACL: owner rw, uid 4242 r, group r, mask r, others nothing. */
static size_t make_acl(unsigned char *buf)
{
	static const struct {
		uint16_t tag, perm;
		uint32_t id;
	} entries[] = {
		{ 0x01, 6, 0xffffffff }, /* ACL_USER_OBJ */
		{ 0x02, 4, 4242 }, /* ACL_USER */
		{ 0x04, 4, 0xffffffff }, /* ACL_GROUP_OBJ */
		{ 0x10, 4, 0xffffffff }, /* ACL_MASK */
		{ 0x20, 0, 0xffffffff }, /* ACL_OTHER */
	};
	uint32_t version = 2;

	memcpy(buf, &version, sizeof(version));
	memcpy(buf + sizeof(version), entries, sizeof(entries));
	return sizeof(version) + sizeof(entries);
}

static void attrs_check(struct t_check *c)
{
	char buf[256], list[1024];
	ssize_t n = pread(FD, buf, sizeof(buf), 0), len;
	int flags = 0, users = 0;

	if (n != (ssize_t)strlen(contents) || memcmp(buf, contents, (size_t)n))
		t_check_fail(c, "the file holds %zd other bytes", n);
	for (size_t i = 0; i < nr_names; i++) {
		n = fgetxattr(FD, names[i], buf, sizeof(buf));
		if (n != lens[i] || memcmp(buf, values[i], (size_t)n))
			t_check_fail(c, "attribute %s: %zd bytes, want %zd (%s)", names[i], n,
				     lens[i], n < 0 ? strerror(errno) : "other bytes");
	}
	len = flistxattr(FD, list, sizeof(list));
	for (char *p = list; len > 0 && p < list + len; p += strlen(p) + 1)
		users += !strncmp(p, "user.", 5);
	if (users != 2)
		t_check_fail(c, "the file has %d user attributes, want 2", users);
	if (ioctl(FD, FS_IOC_GETFLAGS, &flags) || (flags & KEPT) != KEPT)
		t_check_fail(c, "inode flags %#x, want %#x among them", flags, KEPT);
	n = fgetxattr(DIRFD, "user.dir", buf, sizeof(buf));
	if (n != 3 || memcmp(buf, "dir", 3))
		t_check_fail(c, "the directory's user.dir: %zd bytes", n);
	n = fgetxattr(DIRFD, "system.posix_acl_default", buf, sizeof(buf));
	if (n != dir_acl_len || memcmp(buf, dir_acl, (size_t)n))
		t_check_fail(c, "the directory's default ACL: %zd bytes, want %zd", n, dir_acl_len);
	flags = 0;
	if (ioctl(DIRFD, FS_IOC_GETFLAGS, &flags) || (flags & DIR_KEPT) != DIR_KEPT)
		t_check_fail(c, "the directory's inode flags %#x, want %#x among them", flags,
			     DIR_KEPT);
	t_check_info(c, "xattrs=%zu flags=ok dir=ok", nr_names);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = attrs_check };
	static const unsigned char bin[] = { 0, 1, 2, 0xff, '\n', 0 };
	const char *mode = argc > 2 ? argv[2] : "";
	unsigned char acl[64];
	int flags = 0;

	t_init(argc, argv);
	t_fd_at(open("attrs", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640), FD);
	if (write(FD, contents, strlen(contents)) != (ssize_t)strlen(contents))
		t_fatal("write");
	if (fsetxattr(FD, "user.one", "1", 1, 0) || fsetxattr(FD, "user.bin", bin, sizeof(bin), 0))
		t_fatal("user xattrs: %s", strerror(errno));
	if (!strcmp(mode, "caps")) {
		/* struct vfs_cap_data, revision 2: cap_net_raw (13) permitted. */
		uint32_t cap[5] = { 0x02000000, 1u << 13, 0, 0, 0 };

		if (fsetxattr(FD, "security.capability", cap, sizeof(cap), 0))
			t_fatal("security.capability: %s", strerror(errno));
		nr_names = 2;
	} else if (fsetxattr(FD, names[2], acl, make_acl(acl), 0)) {
		t_fatal("ACL: %s", strerror(errno));
	}
	if (ioctl(FD, FS_IOC_GETFLAGS, &flags))
		t_fatal("FS_IOC_GETFLAGS: %s", strerror(errno));
	flags |= KEPT;
	if (ioctl(FD, FS_IOC_SETFLAGS, &flags))
		t_fatal("FS_IOC_SETFLAGS: %s", strerror(errno));
	for (size_t i = 0; i < nr_names; i++) {
		lens[i] = fgetxattr(FD, names[i], values[i], sizeof(values[i]));
		if (lens[i] < 0)
			t_fatal("fgetxattr %s", names[i]);
	}
	if (unlink("attrs"))
		t_fatal("unlink");
	if (mkdir("adir", 0750))
		t_fatal("mkdir");
	t_fd_at(open("adir", O_RDONLY | O_DIRECTORY | O_CLOEXEC), DIRFD);
	if (fsetxattr(DIRFD, "user.dir", "dir", 3, 0) ||
	    fsetxattr(DIRFD, "system.posix_acl_default", acl, make_acl(acl), 0))
		t_fatal("directory xattrs: %s", strerror(errno));
	dir_acl_len = fgetxattr(DIRFD, "system.posix_acl_default", dir_acl, sizeof(dir_acl));
	flags = 0;
	if (dir_acl_len < 0 || ioctl(DIRFD, FS_IOC_GETFLAGS, &flags))
		t_fatal("directory: %s", strerror(errno));
	flags |= DIR_KEPT;
	if (ioctl(DIRFD, FS_IOC_SETFLAGS, &flags) || rmdir("adir"))
		t_fatal("directory flags: %s", strerror(errno));
	if (!strcmp(mode, "append")) {
		if (ioctl(FD, FS_IOC_GETFLAGS, &flags))
			t_fatal("FS_IOC_GETFLAGS: %s", strerror(errno));
		flags |= FS_APPEND_FL;
		if (ioctl(FD, FS_IOC_SETFLAGS, &flags))
			t_fatal("append-only: %s", strerror(errno));
	}
	t_run(&ops);
	return 0;
}
