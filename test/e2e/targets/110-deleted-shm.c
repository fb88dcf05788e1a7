/*
 * 110-deleted-shm.c - two processes sharing memory through deleted files,
 * as POSIX semaphores (sem_open + sem_unlink) and shm_open + shm_unlink
 * leave it.
 *
 * Usage: 110-deleted-shm WORKDIR TAG
 *
 * Before READY it sets up:
 *  - S: /dev/shm/ckpt-t110-TAG.s (tmpfs), 4 pages, mode 0640, mapped
 *    MAP_SHARED, its fd closed, then unlinked (what sem_open leaves);
 *    its pages 2-3 written with a pattern and mapped a second time,
 *    read-only, at an offset (pages 2-3 only), and a third time privately,
 *    page 3 written there (a private copy);
 *  - F: WORKDIR/t110.f (the filesystem of /tmp), 4 pages, mode 0604,
 *    mapped MAP_SHARED, held open at fd 20 and unlinked; its pages 2-3
 *    written with pwrite through the fd, page 1 through the mapping.
 * Then it forks a child (PR_SET_PDEATHSIG) that inherits both mappings,
 * and the two play ping-pong through them: in S the parent serves and the
 * child answers (copies S's ping into its pong), in F the child serves
 * and the parent answers; each side moves on only once the other has
 * answered. Writes "CHILD pid=N".
 *
 * Self-check (SIGUSR2): the rounds played in S and in F (both grow only
 * while each side sees the other's writes), S's pattern through both of
 * its mappings, F's pattern through the mapping and through the fd, a new
 * word written through the mapping read by pread and one written by
 * pwrite read in the mapping, fd 20 has nlink 0 and mode 0604 and its
 * /proc link is "WORKDIR/t110.f (deleted)", /proc/self/maps shows S as
 * "/dev/shm/ckpt-t110-TAG.s (deleted)" (two shared mappings and the
 * private one) and F as "... (deleted)", the child is alive.
 * Reported: s_rounds=N f_rounds=N child=PID.
 */
#include "target.h"

#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define PAGES 4
#define FD_F 20

struct pingpong {
	_Atomic uint64_t ping; /* the server's last ball */
	_Atomic uint64_t pong; /* the answerer's copy of it */
};

static size_t ps;
static uint8_t *s_map, *s_ro, *s_priv, *f_map;
static char s_path[PATH_MAX], f_path[PATH_MAX + 16];
static pid_t child;
static uint64_t gen;

static uint64_t word(char tag, size_t page, size_t i)
{
	return ((uint64_t)tag << 56) ^ ((uint64_t)page << 40) ^ (i * 0x9E3779B1ull);
}

static void fill(uint8_t *p, char tag, size_t page)
{
	uint64_t *w = (uint64_t *)p;

	for (size_t i = 0; i < ps / 8; i++)
		w[i] = word(tag, page, i);
}

static size_t bad_words(const uint8_t *p, char tag, size_t page)
{
	const uint64_t *w = (const uint64_t *)p;
	size_t bad = 0;

	for (size_t i = 0; i < ps / 8; i++)
		bad += w[i] != word(tag, page, i);
	return bad;
}

/* Serve: a new ball once the last one came back. */
static void serve(struct pingpong *pp)
{
	uint64_t ball = atomic_load(&pp->ping);

	if (atomic_load(&pp->pong) == ball)
		atomic_store(&pp->ping, ball + 1);
}

static void answer(struct pingpong *pp)
{
	atomic_store(&pp->pong, atomic_load(&pp->ping));
}

static void child_main(pid_t parent)
{
	struct timespec pause = { 0, 1000 * 1000 };

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	for (;;) {
		answer((struct pingpong *)s_map);
		serve((struct pingpong *)f_map);
		nanosleep(&pause, NULL);
	}
}

static void iterate(void)
{
	serve((struct pingpong *)s_map);
	answer((struct pingpong *)f_map);
}

static int count_maps(const char *shown)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[PATH_MAX + 128];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		line[strcspn(line, "\n")] = 0;
		n += p && !strcmp(p, shown);
	}
	fclose(f);
	return n;
}

static void check(struct t_check *c)
{
	char shown[PATH_MAX + 64], link[PATH_MAX + 64], path[64];
	struct stat st;
	uint64_t word_fd = 0;
	ssize_t n;
	int status;

	for (size_t pg = 2; pg < 4; pg++) {
		if (bad_words(s_map + pg * ps, 'S', pg))
			t_check_fail(c, "S page %zu is not as written", pg);
		if (bad_words(s_ro + (pg - 2) * ps, 'S', pg))
			t_check_fail(c, "S page %zu through the second mapping is not as written",
				     pg);
	}
	if (bad_words(s_priv + 2 * ps, 'S', 2) || bad_words(s_priv + 3 * ps, 'P', 3))
		t_check_fail(c, "S's private mapping is not as written");
	for (size_t pg = 1; pg < 4; pg++) {
		uint8_t *buf = malloc(ps);

		if (bad_words(f_map + pg * ps, 'F', pg))
			t_check_fail(c, "F page %zu is not as written", pg);
		if (pread(FD_F, buf, ps, (off_t)(pg * ps)) != (ssize_t)ps ||
		    bad_words(buf, 'F', pg))
			t_check_fail(c, "F page %zu through fd %d is not as written", pg, FD_F);
		free(buf);
	}
	/* The fd and the mapping are one file: a word written through one
	 * reads the same through the other, both ways. */
	gen++;
	memcpy(f_map + 64, &gen, 8);
	if (pread(FD_F, &word_fd, 8, 64) != 8 || word_fd != gen)
		t_check_fail(c, "fd %d reads %llu where the mapping has %llu", FD_F,
			     (unsigned long long)word_fd, (unsigned long long)gen);
	word_fd = ~gen;
	if (pwrite(FD_F, &word_fd, 8, 72) != 8 || memcmp(f_map + 72, &word_fd, 8))
		t_check_fail(c, "a word written through fd %d is not in the mapping", FD_F);
	if (fstat(FD_F, &st) || st.st_nlink != 0 || (st.st_mode & 07777) != 0604)
		t_check_fail(c, "fd %d: nlink %lu mode %o, want 0 and 604", FD_F,
			     (unsigned long)st.st_nlink, (unsigned)(st.st_mode & 07777));
	snprintf(shown, sizeof(shown), "%s (deleted)", f_path);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", FD_F);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0 || (link[n] = 0, strcmp(link, shown)))
		t_check_fail(c, "fd %d is '%s', want '%s'", FD_F, n < 0 ? "?" : link, shown);
	if (count_maps(shown) != 1)
		t_check_fail(c, "'%s' mapped %d times in /proc/self/maps, want 1", shown,
			     count_maps(shown));
	snprintf(shown, sizeof(shown), "%s (deleted)", s_path);
	if (count_maps(shown) != 3)
		t_check_fail(c, "'%s' mapped %d times in /proc/self/maps, want 3", shown,
			     count_maps(shown));
	if (waitpid(child, &status, WNOHANG) != 0)
		t_check_fail(c, "child %d is gone", (int)child);
	t_check_info(c, "s_rounds=%llu f_rounds=%llu child=%d",
		     (unsigned long long)atomic_load(&((struct pingpong *)s_map)->pong),
		     (unsigned long long)atomic_load(&((struct pingpong *)f_map)->pong),
		     (int)child);
}

static uint8_t *map_new(const char *path, mode_t mode, int *ret_fd)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	uint8_t *p;

	if (fd < 0 || fchmod(fd, mode) || ftruncate(fd, (off_t)(PAGES * ps)))
		t_fatal("create %s: %s", path, strerror(errno));
	p = mmap(NULL, PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		t_fatal("mmap %s: %s", path, strerror(errno));
	*ret_fd = fd;
	return p;
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = iterate, .check = check };
	pid_t parent;
	int fd;

	t_init(argc, argv);
	if (argc < 3)
		t_fatal("usage: 110-deleted-shm WORKDIR TAG");
	ps = (size_t)sysconf(_SC_PAGESIZE);
	snprintf(s_path, sizeof(s_path), "/dev/shm/ckpt-t110-%s.s", argv[2]);
	snprintf(f_path, sizeof(f_path), "%s/t110.f", t_workdir);
	/* S: mapped only, like a semaphore of sem_open(). */
	s_map = map_new(s_path, 0640, &fd);
	for (size_t pg = 2; pg < 4; pg++)
		fill(s_map + pg * ps, 'S', pg);
	s_ro = mmap(NULL, 2 * ps, PROT_READ, MAP_SHARED, fd, (off_t)(2 * ps));
	s_priv = mmap(NULL, PAGES * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (s_ro == MAP_FAILED || s_priv == MAP_FAILED)
		t_fatal("mmap %s again: %s", s_path, strerror(errno));
	fill(s_priv + 3 * ps, 'P', 3);
	close(fd);
	if (unlink(s_path))
		t_fatal("unlink %s: %s", s_path, strerror(errno));
	/* F: mapped and open. */
	f_map = map_new(f_path, 0604, &fd);
	t_fd_at(fd, FD_F);
	fill(f_map + ps, 'F', 1);
	for (size_t pg = 2; pg < 4; pg++) {
		uint8_t *buf = malloc(ps);

		fill(buf, 'F', pg);
		if (pwrite(FD_F, buf, ps, (off_t)(pg * ps)) != (ssize_t)ps)
			t_fatal("pwrite: %s", strerror(errno));
		free(buf);
	}
	if (unlink(f_path))
		t_fatal("unlink %s: %s", f_path, strerror(errno));
	parent = getpid();
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0)
		child_main(parent);
	t_log("CHILD pid=%d", (int)child);
	t_run(&ops);
	return 0;
}
