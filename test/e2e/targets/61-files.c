/*
 * 61-files.c - open files of many kinds, each checked from the inside.
 *
 * Usage: 61-files WORKDIR
 *
 * Sets up, in WORKDIR, then runs the common loop of target.h:
 *   - flock(LOCK_EX) on "flock", POSIX locks on "posix" (write 100-199,
 *     read 300-EOF), an OFD write lock on "ofd" (0-9);
 *   - the FIFO "fifo" with a 128 KiB buffer and FIFO_BYTES bytes in it,
 *     open O_RDWR, and separately for reading and for writing;
 *   - O_PATH fds on the directory "dir" and on the symlink "link" itself
 *     (O_NOFOLLOW), and a directory fd read past its first entries;
 *   - "ghost", a sparse file (1 MiB of data, a hole, 4 KiB at 10 MiB) still
 *     open after its unlink, at offset GHOST_OFFSET;
 *   - a memfd held open, mapped shared and sealed (F_SEAL_SHRINK |
 *     F_SEAL_GROW); a second memfd only mapped (its fd closed); a third
 *     mapped private with some pages changed (copy-on-write).
 *
 * Self-check: each lock is still held against another process (a child
 * tries to take it); the FIFO has its size and its bytes, and a byte
 * written to it comes out the other end; the O_PATH fds point at the same
 * inodes, the symlink one at the link itself; the directory fd reads on
 * from where it was; the deleted file is still deleted with its contents,
 * size and offset; the memfds hold their pattern, seals and sharing.
 */
#include "target.h"

#include <dirent.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define FIFO_SIZE (128 * 1024)
#define FIFO_BYTES 3000
#define GHOST_DATA (1 << 20)
#define GHOST_TAIL (10 << 20)
#define GHOST_OFFSET 12345
#define MEMFD_LEN (64 * 1024)
#define MEMFD_SEALS (F_SEAL_SHRINK | F_SEAL_GROW)

static int fd_flock, fd_posix, fd_ofd;
static int fd_fifo_rw, fd_fifo_r, fd_fifo_w;
static int fd_path_dir, fd_path_link, fd_dir;
static long dir_pos;
static struct stat st_dir, st_link;
static int fd_ghost;
static int fd_memfd;
static unsigned char *map_memfd, *map_only, *map_private;

static unsigned char pattern(unsigned long i, unsigned int seed)
{
	return (unsigned char)((i * 2654435761u + seed) >> 13);
}

static void fill(unsigned char *p, size_t len, unsigned long at, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern(at + i, seed);
}

/* The first bad byte of @p against the pattern, or -1. */
static long check_fill(const unsigned char *p, size_t len, unsigned long at, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern(at + i, seed))
			return (long)i;
	return -1;
}

static int open_file(const char *name)
{
	int fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		t_fatal("open %s", name);
	return fd;
}

static void set_locks(void)
{
	struct flock ofd = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 100 };
	struct flock rd = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 300, .l_len = 0 };

	fd_flock = open_file("flock");
	fd_posix = open_file("posix");
	fd_ofd = open_file("ofd");
	if (flock(fd_flock, LOCK_EX | LOCK_NB))
		t_fatal("flock");
	if (fcntl(fd_posix, F_SETLK, &w) || fcntl(fd_posix, F_SETLK, &rd))
		t_fatal("posix lock");
	if (fcntl(fd_ofd, F_OFD_SETLK, &ofd))
		t_fatal("ofd lock");
}

static void set_fifo(void)
{
	unsigned char buf[FIFO_BYTES];

	if (mkfifo("fifo", 0600) && errno != EEXIST)
		t_fatal("mkfifo");
	fd_fifo_rw = open("fifo", O_RDWR | O_NONBLOCK);
	fd_fifo_r = open("fifo", O_RDONLY | O_NONBLOCK);
	fd_fifo_w = open("fifo", O_WRONLY);
	if (fd_fifo_rw < 0 || fd_fifo_r < 0 || fd_fifo_w < 0)
		t_fatal("open fifo");
	if (fcntl(fd_fifo_w, F_SETPIPE_SZ, FIFO_SIZE) < 0)
		t_fatal("F_SETPIPE_SZ");
	fill(buf, sizeof(buf), 0, 7);
	t_write_all(fd_fifo_w, (const char *)buf, sizeof(buf));
}

static void set_paths(void)
{
	struct dirent *de;
	DIR *d;

	if (mkdir("dir", 0755) && errno != EEXIST)
		t_fatal("mkdir");
	for (int i = 0; i < 20; i++) {
		char name[32];

		snprintf(name, sizeof(name), "dir/f%02d", i);
		close(open_file(name));
	}
	if (symlink("dir/f00", "link") && errno != EEXIST)
		t_fatal("symlink");
	fd_path_dir = open("dir", O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd_path_link = open("link", O_PATH | O_NOFOLLOW);
	fd_dir = open("dir", O_RDONLY | O_DIRECTORY);
	if (fd_path_dir < 0 || fd_path_link < 0 || fd_dir < 0)
		t_fatal("open O_PATH");
	if (stat("dir", &st_dir) || lstat("link", &st_link))
		t_fatal("stat");
	/* Read a few entries: the fd's position must survive. */
	d = fdopendir(dup(fd_dir));
	for (int i = 0; d && i < 5 && (de = readdir(d)); i++)
		;
	dir_pos = d ? telldir(d) : -1;
	if (d)
		lseek(fd_dir, dir_pos, SEEK_SET);
	if (d)
		closedir(d);
}

static void set_ghost(void)
{
	static unsigned char buf[GHOST_DATA];

	fd_ghost = open_file("ghost");
	fill(buf, GHOST_DATA, 0, 3);
	if (pwrite(fd_ghost, buf, GHOST_DATA, 0) != GHOST_DATA ||
	    pwrite(fd_ghost, buf, 4096, GHOST_TAIL) != 4096)
		t_fatal("write ghost");
	if (lseek(fd_ghost, GHOST_OFFSET, SEEK_SET) != GHOST_OFFSET || unlink("ghost"))
		t_fatal("unlink ghost");
}

/* A memfd of MEMFD_LEN bytes, mapped shared and filled through the mapping. */
static unsigned char *memfd_map(const char *name, unsigned int seed, int *ret_fd)
{
	int fd = memfd_create(name, MFD_ALLOW_SEALING);
	unsigned char *p;

	if (fd < 0 || ftruncate(fd, MEMFD_LEN))
		t_fatal("memfd %s", name);
	p = mmap(NULL, MEMFD_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		t_fatal("mmap memfd");
	fill(p, MEMFD_LEN, 0, seed);
	*ret_fd = fd;
	return p;
}

static void set_memfds(void)
{
	unsigned char buf[MEMFD_LEN];
	int fd;

	map_memfd = memfd_map("ckpt-shared", 11, &fd_memfd);
	if (fcntl(fd_memfd, F_ADD_SEALS, MEMFD_SEALS))
		t_fatal("seal");
	map_only = memfd_map("ckpt-maponly", 12, &fd);
	close(fd);
	fill(buf, sizeof(buf), 0, 13);
	fd = memfd_create("ckpt-private", 0);
	if (fd < 0 || pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		t_fatal("memfd private");
	map_private = mmap(NULL, MEMFD_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map_private == MAP_FAILED)
		t_fatal("mmap private");
	close(fd);
	/* Change every other page: those are the process's own now. */
	for (size_t off = 0; off < MEMFD_LEN; off += 8192)
		fill(map_private + off, 4096, off, 14);
}

/* ---- self-check ---- */

/* In a child: can another process take these locks? Its exit status
 * has one bit per lock it found held, as it should be. */
static int probe_locks(void)
{
	int a = open("flock", O_RDWR), b = open("posix", O_RDWR), c = open("ofd", O_RDWR);
	struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 150, .l_len = 1 };
	struct flock r = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 350, .l_len = 1 };
	struct flock free_range = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 250,
				    .l_len = 10 };
	struct flock o = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
	int held = 0;

	if (flock(a, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK)
		held |= 1;
	if (!fcntl(b, F_GETLK, &w) && w.l_type == F_WRLCK && w.l_pid == getppid())
		held |= 2;
	if (!fcntl(b, F_GETLK, &r) && r.l_type == F_RDLCK && r.l_pid == getppid())
		held |= 4;
	if (!fcntl(b, F_GETLK, &free_range) && free_range.l_type == F_UNLCK)
		held |= 8;
	if (!fcntl(c, F_OFD_GETLK, &o) && o.l_type == F_WRLCK)
		held |= 16;
	return held;
}

static void check_locks(struct t_check *c)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(probe_locks());
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		t_check_fail(c, "lock probe did not run");
		return;
	}
	if (WEXITSTATUS(status) != 31)
		t_check_fail(c, "locks as another process sees them: %#x, want 0x1f",
			     WEXITSTATUS(status));
}

static void check_fifo(struct t_check *c)
{
	unsigned char buf[FIFO_BYTES + 1];
	int avail = -1;
	char b = 'x';

	if (fcntl(fd_fifo_rw, F_GETPIPE_SZ) != FIFO_SIZE)
		t_check_fail(c, "fifo size %d, want %d", fcntl(fd_fifo_rw, F_GETPIPE_SZ),
			     FIFO_SIZE);
	if (ioctl(fd_fifo_r, FIONREAD, &avail) || avail != FIFO_BYTES) {
		t_check_fail(c, "fifo holds %d bytes, want %d", avail, FIFO_BYTES);
		return;
	}
	if (read(fd_fifo_r, buf, sizeof(buf)) != FIFO_BYTES || check_fill(buf, FIFO_BYTES, 0, 7) >= 0)
		t_check_fail(c, "fifo data is not what was written");
	if (write(fd_fifo_w, &b, 1) != 1 || read(fd_fifo_rw, &b, 1) != 1 || b != 'x')
		t_check_fail(c, "fifo does not pass a byte between its fds");
	/* Put it back as it was, for the next check. */
	fill(buf, FIFO_BYTES, 0, 7);
	t_write_all(fd_fifo_w, (const char *)buf, FIFO_BYTES);
}

static void check_paths(struct t_check *c)
{
	struct stat sd, sl;
	struct dirent *de;
	DIR *d;
	long pos = lseek(fd_dir, 0, SEEK_CUR);

	if (fstat(fd_path_dir, &sd) || sd.st_ino != st_dir.st_ino || !S_ISDIR(sd.st_mode))
		t_check_fail(c, "O_PATH fd on dir points elsewhere");
	if (!(fcntl(fd_path_dir, F_GETFL) & O_PATH))
		t_check_fail(c, "O_PATH fd lost O_PATH");
	if (fstatat(fd_path_link, "", &sl, AT_EMPTY_PATH) || !S_ISLNK(sl.st_mode) ||
	    sl.st_ino != st_link.st_ino)
		t_check_fail(c, "O_PATH|O_NOFOLLOW fd is not on the symlink itself");
	if (pos != dir_pos)
		t_check_fail(c, "directory fd at %ld, want %ld", pos, dir_pos);
	d = fdopendir(dup(fd_dir));
	de = d ? readdir(d) : NULL;
	if (!de)
		t_check_fail(c, "directory fd reads nothing on from where it was");
	if (d)
		closedir(d);
	lseek(fd_dir, dir_pos, SEEK_SET);
}

static void check_ghost(struct t_check *c)
{
	static unsigned char buf[GHOST_DATA];
	char path[64], link[256];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd_ghost);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (n <= 0 || !strstr(link, "ghost (deleted)"))
		t_check_fail(c, "deleted file shows as '%s'", link);
	if (fstat(fd_ghost, &st) || st.st_size != GHOST_TAIL + 4096 || st.st_nlink != 0)
		t_check_fail(c, "deleted file: size %lld links %d", (long long)st.st_size,
			     (int)st.st_nlink);
	if (lseek(fd_ghost, 0, SEEK_CUR) != GHOST_OFFSET)
		t_check_fail(c, "deleted file offset %lld", (long long)lseek(fd_ghost, 0, SEEK_CUR));
	if (pread(fd_ghost, buf, GHOST_DATA, 0) != GHOST_DATA || check_fill(buf, GHOST_DATA, 0, 3) >= 0)
		t_check_fail(c, "deleted file data differs");
	if (pread(fd_ghost, buf, 4096, GHOST_TAIL) != 4096 || check_fill(buf, 4096, 0, 3) >= 0)
		t_check_fail(c, "deleted file tail differs");
	if (pread(fd_ghost, buf, 4096, GHOST_DATA + 4096) != 4096 || buf[0] || buf[4095])
		t_check_fail(c, "deleted file hole is not zero");
}

static void check_memfds(struct t_check *c)
{
	unsigned char b = 0;

	if (check_fill(map_memfd, MEMFD_LEN, 0, 11) >= 0)
		t_check_fail(c, "memfd mapping differs");
	if (fcntl(fd_memfd, F_GET_SEALS) != MEMFD_SEALS)
		t_check_fail(c, "memfd seals %#x, want %#x", fcntl(fd_memfd, F_GET_SEALS), MEMFD_SEALS);
	/* The fd and the mapping are one object. */
	if (pwrite(fd_memfd, "\x5a", 1, 100) != 1 || map_memfd[100] != 0x5a)
		t_check_fail(c, "memfd fd and mapping are not shared");
	map_memfd[100] = pattern(100, 11);
	if (pread(fd_memfd, &b, 1, 100) != 1 || b != pattern(100, 11))
		t_check_fail(c, "memfd mapping writes do not reach the fd");
	if (check_fill(map_only, MEMFD_LEN, 0, 12) >= 0)
		t_check_fail(c, "mapped-only memfd differs");
	for (size_t off = 0; off < MEMFD_LEN; off += 4096)
		if (check_fill(map_private + off, 4096, off, off % 8192 ? 13 : 14) >= 0)
			t_check_fail(c, "private memfd page at %zu differs", off);
}

static void files_check(struct t_check *c)
{
	check_locks(c);
	check_fifo(c);
	check_paths(c);
	check_ghost(c);
	check_memfds(c);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = files_check };

	t_init(argc, argv);
	set_locks();
	set_fifo();
	set_paths();
	set_ghost();
	set_memfds();
	t_run(&ops);
	return 0;
}
