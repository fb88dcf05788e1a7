/*
 * 260-cgroup.c - a tree of three processes that checks its own cgroups.
 *
 * Usage: 260-cgroup WORKDIR [forks]
 *
 * The root forks "cg-a", which starts a second thread, and "cg-b"; both
 * answer the root's checks through the board of target.h. Before READY it
 * writes "TREE root=PID a=PID b=PID thread=TID". The test moves them into
 * cgroups after READY.
 *
 * Self-check: every process (and the thread of cg-a, by itself) reads its
 * own /proc/thread-self/cgroup and finds in it every line of
 * WORKDIR/want-N (N: 0 root, 1 cg-a, 2 cg-b; 1t for the thread of cg-a,
 * want-1 if there is no want-1t), written by the test: "pids:/x",
 * "0::/x". No file: nothing wanted. Reports procs=3.
 *
 * With "forks", the root also forks a short-lived child at every
 * iteration (it exits at once and is reaped): a tree that forks without
 * end, for the freezing test.
 */
#include "target.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define N 3

static struct t_board *board;
static int forks;
static pthread_mutex_t thr_lock = PTHREAD_MUTEX_INITIALIZER;
static char thr_cg[4096]; /* the thread's /proc/thread-self/cgroup, read by it */
static _Atomic uint32_t thr_reads;

static const char *name_of(int i)
{
	static const char *const names[N] = { "cg-root", "cg-a", "cg-b" };

	return names[i];
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Every line of WORKDIR/want-@which is a line of @have (each "ID:" cut). */
static void compare(struct t_check *c, const char *who, const char *which, const char *have)
{
	char path[PATH_MAX + 32], want[4096], *save = NULL;

	snprintf(path, sizeof(path), "%s/want-%s", t_workdir, which);
	if (read_small(path, want, sizeof(want)) < 0)
		return;
	for (char *l = strtok_r(want, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char needle[600];
		const char *p = have;
		int found = 0;

		snprintf(needle, sizeof(needle), ":%s\n", l);
		while (!found && (p = strstr(p, needle)))
			found = p[-1] >= '0' && p[-1] <= '9', p++;
		if (!found)
			t_check_fail(c, "%s is not in %s", who, l);
	}
}

static void thread_cg(char *out, size_t len)
{
	uint32_t seen = atomic_load(&thr_reads);
	int64_t end = t_now_ns() + 2000000000LL;

	/* A read the thread makes after this check began. */
	while (atomic_load(&thr_reads) < seen + 2 && t_now_ns() < end)
		t_futex_wait(&thr_reads, atomic_load(&thr_reads), 10000000);
	pthread_mutex_lock(&thr_lock);
	snprintf(out, len, "%s", thr_cg);
	pthread_mutex_unlock(&thr_lock);
}

static void check_slot(struct t_check *c, int i)
{
	char have[4096], idx[8];

	if (read_small("/proc/thread-self/cgroup", have, sizeof(have)) < 0) {
		t_check_fail(c, "cannot read /proc/thread-self/cgroup");
		return;
	}
	snprintf(idx, sizeof(idx), "%d", i);
	compare(c, name_of(i), idx, have);
	if (i == 1) {
		char path[PATH_MAX + 32];

		thread_cg(have, sizeof(have));
		snprintf(path, sizeof(path), "%s/want-1t", t_workdir);
		compare(c, "the thread of cg-a", access(path, F_OK) ? "1" : "1t", have);
	}
}

static void *thread_main(void *arg)
{
	(void)arg;
	for (;;) {
		char buf[sizeof(thr_cg)];
		struct timespec ms = { 0, 5000000 };

		if (read_small("/proc/thread-self/cgroup", buf, sizeof(buf)) == 0) {
			pthread_mutex_lock(&thr_lock);
			memcpy(thr_cg, buf, sizeof(buf));
			pthread_mutex_unlock(&thr_lock);
			atomic_fetch_add(&thr_reads, 1);
			t_futex_wake(&thr_reads);
		}
		nanosleep(&ms, NULL);
	}
	return NULL;
}

static pid_t start_child(int i)
{
	pid_t parent = getpid(), pid = fork();
	pthread_t th;

	if (pid < 0)
		t_fatal("fork");
	if (pid)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	t_slot_record(board, i);
	if (i == 1 && pthread_create(&th, NULL, thread_main, NULL))
		_exit(1);
	t_board_serve(board, i, check_slot);
}

static void root_check(struct t_check *c)
{
	uint32_t gen = t_board_ask(board);

	check_slot(c, 0);
	t_board_wait(board, 1, gen, 5000000000LL);
	t_board_report(board, 1, gen, c, name_of);
	t_check_info(c, "procs=%d", N);
}

static void iterate(void)
{
	pid_t pid;

	if (!forks)
		return;
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		(void)waitpid(pid, NULL, 0);
}

/* The task of @pid that is not its leader, or 0. */
static int other_thread(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int tid = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != pid)
			tid = atoi(de->d_name);
	closedir(d);
	return tid;
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = root_check, .iterate = iterate };
	pid_t a, b;
	int64_t end;
	int tid;

	t_init(argc, argv);
	forks = argc > 2 && !strcmp(argv[2], "forks");
	board = t_board_new(N);
	t_slot_record(board, 0);
	a = start_child(1);
	b = start_child(2);
	/* The thread of cg-a: the one task of it that is not its leader. */
	end = t_now_ns() + 5000000000LL;
	while (!(tid = other_thread(a)) && t_now_ns() < end)
		t_futex_wait(&board->acks, atomic_load(&board->acks), 5000000);
	if (!tid)
		t_fatal("cg-a has no second thread");
	t_log("TREE root=%d a=%d b=%d thread=%d", (int)getpid(), (int)a, (int)b, tid);
	t_run(&ops);
	return 0;
}
