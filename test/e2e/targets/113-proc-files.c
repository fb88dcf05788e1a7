/*
 * 113-proc-files.c - files of /proc/PID/ held open, read part way.
 *
 * Usage: 113-proc-files WORKDIR [outside PID | shared | epoll | nondump]
 *
 * Forks a child that waits in pause() (it dies with its parent), then
 * opens, each at a fixed fd:
 *   10 /proc/self/status, its first line read ("Name:...")
 *   11 /proc/CHILD/stat (the child's), nothing read
 *   12 /proc/self/fd, a directory
 *   13 /proc/self/maps, its first line read
 *   14 /proc/self/mem, read-write
 *   15 /proc/self/fdinfo/12
 *   16 /proc/meminfo, its first line read
 *   17 /proc/1/status (outside the tree), its first line read
 *   18 /proc/self/task, O_PATH
 *   19 /sys/devices/system/cpu/possible, one byte read (if sysfs is there)
 * With "outside PID", only fd 17, on /proc/PID/status of that process.
 * With "shared", only fd 10, and the child has it too (forked after).
 * With "epoll", only fd 10, on /proc/self/mounts, watched by an epoll at
 * fd 11. With "nondump" (started as root), only fd 10: it becomes uid and
 * gid 65534, opens /proc/self/environ (mode 0400) and makes itself
 * non-dumpable, which makes its /proc files root's.
 *
 * Self-check (SIGUSR2), besides the common checks, for each fd: it is
 * still on the path it was opened by (/proc/PID/... with this process's
 * pid, or the child's), at the offset it was left at; the next line read
 * from status, maps, meminfo and 1/status begins with the key of the
 * line that followed the first one at start (so the read goes on where it
 * was); the child's stat names the child and this process as its parent;
 * the fd directory lists fd 12 itself; fdinfo/12 has a "pos:" line; a
 * word written through fd 14 at the address of a variable changes that
 * variable, and one read through it at that address gives it back.
 * Every check rewinds the fd to its offset after. Reports child=PID
 * status=KEY maps=ok mem=ok.
 */
#include "target.h"

#include <stdbool.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define FIRST 10
#define LAST 19
#define SYS_FILE "/sys/devices/system/cpu/possible"

static pid_t child;
static const char *mode = "all";
static int outside;
static off_t offsets[LAST + 1];
static char next_key[LAST + 1][32]; /* what the line after the first begins with */
static volatile uint64_t poked = 0x1122334455667788ull;

static void child_main(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	for (;;)
		pause();
}

/* One line (up to its '\n') read a byte at a time, as a program would
 * read with a small buffer; returns its length, or -1. */
static ssize_t read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, 1);

		if (r <= 0)
			return r < 0 || !n ? -1 : (ssize_t)n;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = 0;
	return (ssize_t)n;
}

static void key_of(const char *line, char *key, size_t size)
{
	size_t n = strcspn(line, ": \t");

	if (n >= size)
		n = size - 1;
	memcpy(key, line, n);
	key[n] = 0;
}

static void open_at(const char *path, int flags, int at)
{
	int fd = open(path, flags);

	if (fd < 0)
		t_fatal("open %s: %s", path, strerror(errno));
	if (fd != at) {
		if (dup2(fd, at) != at)
			t_fatal("dup2 %s", path);
		close(fd);
	}
}

/* Read the first line of @fd, note where it is, and what the line after
 * it begins with (read through another open of @path). */
static void first_line(int fd, const char *path)
{
	char line[512];
	int other = open(path, O_RDONLY);
	ssize_t n = read_line(fd, line, sizeof(line));

	if (n <= 0 || other < 0 || read_line(other, line, sizeof(line)) <= 0 ||
	    read_line(other, line, sizeof(line)) <= 0)
		t_fatal("read %s", path);
	close(other);
	key_of(line, next_key[fd], sizeof(next_key[fd]));
	offsets[fd] = lseek(fd, 0, SEEK_CUR);
}

static bool opened(int fd)
{
	if (fd == 19 && fcntl(19, F_GETFD) < 0)
		return false; /* no sysfs */
	if (!strcmp(mode, "outside"))
		return fd == 17;
	if (!strcmp(mode, "shared") || !strcmp(mode, "epoll") || !strcmp(mode, "nondump"))
		return fd == 10;
	return true;
}

/* What fd @fd of this process should link to. */
static void want_link(int fd, char *buf, size_t size)
{
	static const char *const rest[LAST + 1] = {
		[10] = "status", [11] = "stat",	     [12] = "fd",   [13] = "maps",
		[14] = "mem",	 [15] = "fdinfo/12", [18] = "task",
	};

	if (fd == 16)
		snprintf(buf, size, "/proc/meminfo");
	else if (fd == 19)
		snprintf(buf, size, SYS_FILE);
	else if (fd == 10 && !strcmp(mode, "epoll"))
		snprintf(buf, size, "/proc/%d/mounts", (int)getpid());
	else if (fd == 10 && !strcmp(mode, "nondump"))
		snprintf(buf, size, "/proc/%d/environ", (int)getpid());
	else if (fd == 17)
		snprintf(buf, size, "/proc/%d/status", outside);
	else
		snprintf(buf, size, "/proc/%d/%s", fd == 11 ? (int)child : (int)getpid(), rest[fd]);
}

static void check_next_line(struct t_check *c, int fd)
{
	char line[512], key[32];

	if (read_line(fd, line, sizeof(line)) <= 0) {
		t_check_fail(c, "fd %d: nothing more to read", fd);
		return;
	}
	key_of(line, key, sizeof(key));
	if (strcmp(key, next_key[fd]))
		t_check_fail(c, "fd %d: the next line begins with '%s', want '%s'", fd, key,
			     next_key[fd]);
}

static void check_child_stat(struct t_check *c)
{
	char buf[512];
	int pid = 0, ppid = 0;
	ssize_t n = pread(11, buf, sizeof(buf) - 1, 0);
	char *end;

	buf[n > 0 ? n : 0] = 0;
	end = strrchr(buf, ')');
	if (n <= 0 || sscanf(buf, "%d", &pid) != 1 || !end ||
	    sscanf(end + 2, "%*c %d", &ppid) != 1 || pid != child || ppid != getpid())
		t_check_fail(c, "fd 11: the child's stat reads pid %d ppid %d, want %d %d", pid,
			     ppid, (int)child, (int)getpid());
}

static void check_fd_dir(struct t_check *c)
{
	char buf[4096];
	bool seen = false;
	long n;

	if (lseek(12, 0, SEEK_SET) != 0) {
		t_check_fail(c, "fd 12: lseek: %s", strerror(errno));
		return;
	}
	while ((n = syscall(SYS_getdents64, 12, buf, sizeof(buf))) > 0)
		for (long off = 0; off < n;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);

			seen |= !strcmp(d->name, "12");
			off += d->reclen;
		}
	if (n < 0 || !seen)
		t_check_fail(c, "fd 12: the fd directory does not list fd 12 (%s)",
			     n < 0 ? strerror(errno) : "not there");
}

static void check_mem(struct t_check *c)
{
	uint64_t want = poked + 1, got = 0;

	if (pwrite(14, &want, sizeof(want), (off_t)(uintptr_t)&poked) != sizeof(want) ||
	    poked != want ||
	    pread(14, &got, sizeof(got), (off_t)(uintptr_t)&poked) != sizeof(got) || got != want)
		t_check_fail(c, "fd 14: /proc/self/mem does not write and read this process (%s)",
			     strerror(errno));
}

static void proc_check(struct t_check *c)
{
	char path[64], link[256], want[256], buf[512];

	for (int fd = FIRST; fd <= LAST; fd++) {
		off_t at;
		ssize_t n;

		if (!opened(fd))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		want_link(fd, want, sizeof(want));
		if (strcmp(link, want))
			t_check_fail(c, "fd %d is '%s', want '%s'", fd, link, want);
		if (fd == 18) {
			if (!(fcntl(18, F_GETFL) & O_PATH))
				t_check_fail(c, "fd 18 is not O_PATH");
			continue; /* no offset */
		}
		at = lseek(fd, 0, SEEK_CUR);
		if (at != offsets[fd])
			t_check_fail(c, "fd %d is at %lld, want %lld", fd, (long long)at,
				     (long long)offsets[fd]);
		if (next_key[fd][0])
			check_next_line(c, fd);
		if (fd == 11)
			check_child_stat(c);
		if (fd == 12)
			check_fd_dir(c);
		if (fd == 14)
			check_mem(c);
		if (fd == 15 && (pread(15, buf, sizeof(buf) - 1, 0) <= 0 || !strstr(buf, "pos:")))
			t_check_fail(c, "fd 15: fdinfo/12 has no pos: line");
		if (lseek(fd, offsets[fd], SEEK_SET) != offsets[fd])
			t_check_fail(c, "fd %d: cannot seek back: %s", fd, strerror(errno));
	}
	if (!strcmp(mode, "all"))
		t_check_info(c, "child=%d status=%s maps=ok mem=ok", (int)child, next_key[10]);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = proc_check };
	char path[64];
	pid_t parent = getpid();

	t_init(argc, argv);
	if (argc > 2)
		mode = argv[2];
	outside = !strcmp(mode, "outside") && argc > 3 ? atoi(argv[3]) : 1;
	if (!strcmp(mode, "outside")) {
		snprintf(path, sizeof(path), "/proc/%d/status", outside);
		open_at(path, O_RDONLY, 17);
		first_line(17, path);
		t_run(&ops);
		return 0;
	}
	if (!strcmp(mode, "nondump")) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534) || prctl(PR_SET_DUMPABLE, 1))
			t_fatal("cannot become 65534: %s", strerror(errno));
		open_at("/proc/self/environ", O_RDONLY, 10);
		if (prctl(PR_SET_DUMPABLE, 0))
			t_fatal("PR_SET_DUMPABLE");
		t_run(&ops);
		return 0;
	}
	if (!strcmp(mode, "epoll")) {
		struct epoll_event ev = { .events = EPOLLPRI };

		open_at("/proc/self/mounts", O_RDONLY, 10);
		first_line(10, "/proc/self/mounts");
		t_fd_at(epoll_create1(EPOLL_CLOEXEC), 11);
		if (epoll_ctl(11, EPOLL_CTL_ADD, 10, &ev))
			t_fatal("epoll_ctl: %s", strerror(errno));
		t_run(&ops);
		return 0;
	}
	if (!strcmp(mode, "shared"))
		open_at("/proc/self/status", O_RDONLY, 10);
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (!child)
		child_main(parent);
	if (!strcmp(mode, "shared")) {
		first_line(10, "/proc/self/status");
		t_run(&ops);
		return 0;
	}
	open_at("/proc/self/status", O_RDONLY, 10);
	first_line(10, "/proc/self/status");
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
	open_at(path, O_RDONLY, 11);
	open_at("/proc/self/fd", O_RDONLY | O_DIRECTORY, 12);
	open_at("/proc/self/maps", O_RDONLY, 13);
	first_line(13, "/proc/self/maps");
	open_at("/proc/self/mem", O_RDWR, 14);
	open_at("/proc/self/fdinfo/12", O_RDONLY, 15);
	open_at("/proc/meminfo", O_RDONLY, 16);
	first_line(16, "/proc/meminfo");
	open_at("/proc/1/status", O_RDONLY, 17);
	first_line(17, "/proc/1/status");
	open_at("/proc/self/task", O_PATH, 18);
	if (access(SYS_FILE, R_OK) == 0) {
		char byte;

		open_at(SYS_FILE, O_RDONLY, 19);
		if (read(19, &byte, 1) != 1)
			t_fatal("read %s", SYS_FILE);
		offsets[19] = 1;
	}
	t_run(&ops);
	return 0;
}
