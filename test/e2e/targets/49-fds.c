/*
 * 49-fds.c - a process holding files at fd numbers its test chooses, high
 * ones and holes between them, to see that a restore gives it exactly
 * those and nothing of the restorer's (attacks/60-review.sh).
 *
 * Usage: 49-fds WORKDIR FD...
 *
 * Opens WORKDIR/data (made if missing) O_RDONLY at each FD (above 2; the
 * soft RLIMIT_NOFILE is raised to the hard one first), then runs the
 * common loop of target.h.
 *
 * Self-check: every fd open in the process is 0, 1, 2, the seq fd or one
 * of FD..., and each FD is WORKDIR/data (same device and inode). Reports
 * fds=A,B,... (every fd open, ascending).
 */
#include "target.h"

#include <stdbool.h>
#include <sys/resource.h>

#define MAX_FDS 16

static int want[MAX_FDS];
static int nr_want;
static struct stat data_st;

static bool wanted(int fd)
{
	if (fd <= 2 || fd == t_seq_fd)
		return true;
	for (int i = 0; i < nr_want; i++)
		if (want[i] == fd)
			return true;
	return false;
}

static void fds_setup(int argc, char **argv)
{
	struct rlimit rl;
	int fd;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	fd = open("data", O_RDWR | O_CREAT, 0644);
	if (fd < 0 || fstat(fd, &data_st))
		t_fatal("open data");
	close(fd);
	for (int i = 2; i < argc && nr_want < MAX_FDS; i++) {
		int at = atoi(argv[i]);

		if (at <= 2)
			t_fatal("fd %s: want a number above 2", argv[i]);
		t_fd_at(open("data", O_RDONLY), at);
		want[nr_want++] = at;
	}
}

static void fds_check(struct t_check *c)
{
	char list[512] = "";
	size_t len = 0;
	int dfd, *fds = NULL, n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d) {
		t_check_fail(c, "cannot list /proc/self/fd");
		return;
	}
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd == dfd)
			continue;
		fds = realloc(fds, (size_t)(n + 1) * sizeof(*fds));
		if (!fds)
			t_fatal("realloc");
		fds[n++] = fd;
	}
	closedir(d);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (fds[j] < fds[i]) {
				int t = fds[i];

				fds[i] = fds[j];
				fds[j] = t;
			}
	for (int i = 0; i < n; i++) {
		char link[64], target[PATH_MAX];
		ssize_t k;

		len += (size_t)snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0,
					"%s%d", i ? "," : "", fds[i]);
		if (len >= sizeof(list))
			len = sizeof(list) - 1;
		if (wanted(fds[i]))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[i]);
		k = readlink(link, target, sizeof(target) - 1);
		target[k < 0 ? 0 : k] = 0;
		t_check_fail(c, "fd %d is not one of mine (%s)", fds[i], target);
	}
	free(fds);
	for (int i = 0; i < nr_want; i++) {
		struct stat st;

		if (fstat(want[i], &st))
			t_check_fail(c, "fd %d: %s", want[i], strerror(errno));
		else if (st.st_dev != data_st.st_dev || st.st_ino != data_st.st_ino)
			t_check_fail(c, "fd %d is not data", want[i]);
	}
	t_check_info(c, "fds=%s", list);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = fds_check };

	t_init(argc, argv);
	fds_setup(argc, argv);
	t_run(&ops);
	return 0;
}
