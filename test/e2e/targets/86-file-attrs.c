/*
 * 86-file-attrs.c - what an open file is besides its contents: the mode
 * and owner of a memfd, of a deleted file and of a pty slave, and the
 * status flags an open carries (O_SYNC, O_DSYNC, O_NOATIME, O_DIRECT,
 * O_APPEND).
 *
 * Usage: 86-file-attrs WORKDIR UID GID
 *
 * Set up before READY (as root: UID and GID are someone else's):
 *  - fd 10: memfd "m86" holding "memfd", mode 0640, owner UID:GID;
 *  - fd 11: WORKDIR/ghost holding "ghost", mode 0604, owner UID:GID,
 *    then deleted;
 *  - fd 12/13: a pty master and its slave; the slave (mode 0600) owned by
 *    UID:GID;
 *  - fd 14: WORKDIR/flags opened O_RDWR|O_APPEND|O_SYNC|O_NOATIME
 *    (|O_DIRECT where the filesystem has it: "direct=1" in the CHECK
 *    line).
 *
 * Self-check (SIGUSR2): fstat of each gives the mode and owner set up, the
 * memfd and the deleted file still hold their bytes, F_GETFL of fd 14
 * shows the flags it was opened with.
 */
#include "target.h"

#include <sys/mman.h>

static uid_t uid;
static gid_t gid;
static int flags14;

static void own(int fd, mode_t mode)
{
	if (fchown(fd, uid, gid) || fchmod(fd, mode))
		t_fatal("fchown/fchmod of fd %d", fd);
}

static void expect(struct t_check *c, int fd, mode_t mode, const char *data)
{
	char buf[16] = "";
	struct stat st;

	if (fstat(fd, &st)) {
		t_check_fail(c, "fstat %d: %s", fd, strerror(errno));
		return;
	}
	if ((st.st_mode & 07777) != mode || st.st_uid != uid || st.st_gid != gid)
		t_check_fail(c, "fd %d: mode %04o owner %u:%u, want %04o %u:%u", fd,
			     st.st_mode & 07777, st.st_uid, st.st_gid, mode, uid, gid);
	if (data) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

		if (n != (ssize_t)strlen(data) || strcmp(buf, data))
			t_check_fail(c, "fd %d holds '%s' (%zd: %s), want '%s'", fd, buf, n,
				     n < 0 ? strerror(errno) : "read", data);
	}
}

static void attrs_check(struct t_check *c)
{
	int fl = fcntl(14, F_GETFL);
	int want = O_APPEND | O_SYNC | O_DSYNC | O_NOATIME | O_DIRECT;

	expect(c, 10, 0640, "memfd");
	expect(c, 11, 0604, "ghost");
	expect(c, 13, 0600, NULL);
	if ((fl & want) != (flags14 & want))
		t_check_fail(c, "fd 14 has flags %#o, want %#o", fl & want, flags14 & want);
	t_check_info(c, "direct=%d", !!(flags14 & O_DIRECT));
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = attrs_check };
	int fd;

	t_init(argc, argv);
	if (argc < 4)
		t_fatal("usage: 86-file-attrs WORKDIR UID GID");
	uid = (uid_t)atoi(argv[2]);
	gid = (gid_t)atoi(argv[3]);
	t_fd_at(memfd_create("m86", MFD_CLOEXEC), 10);
	if (write(10, "memfd", 5) != 5)
		t_fatal("write memfd");
	own(10, 0640);
	t_fd_at(open("ghost", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600), 11);
	if (write(11, "ghost", 5) != 5 || unlink("ghost"))
		t_fatal("ghost");
	own(11, 0604);
	t_fd_at(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), 12);
	if (grantpt(12) || unlockpt(12))
		t_fatal("grantpt");
	t_fd_at(open(ptsname(12), O_RDWR | O_NOCTTY | O_CLOEXEC), 13);
	own(13, 0600);
	flags14 = O_RDWR | O_CREAT | O_APPEND | O_SYNC | O_NOATIME | O_CLOEXEC;
	fd = open("flags", flags14 | O_DIRECT, 0644);
	if (fd >= 0)
		flags14 |= O_DIRECT;
	else
		fd = open("flags", flags14, 0644);
	t_fd_at(fd, 14);
	t_run(&ops);
	return 0;
}
