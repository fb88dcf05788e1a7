/*
 * 200-ns.c - a process in namespaces of its own (run by the test under
 * unshare(1)), checking what it sees of them.
 *
 * Usage: 200-ns WORKDIR [hostname NAME] [children N] [sysv KEY] [clocks]
 *
 * hostname NAME  sets the host name to NAME and the domain name to
 *                NAME.dom (in its own UTS namespace); the self-check reads
 *                them back.
 * children N     forks N children that wait in pause() (they die with it);
 *                the self-check finds each alive, with the pid it had, and
 *                reports their pids as this process sees them (kids=a,b).
 * sysv KEY       makes a System V shm segment of 3 pages (KEY) filled with
 *                a pattern and a set of 3 semaphores (KEY+1) with values
 *                7, 8, 9, then detaches: no process has them attached. The
 *                self-check finds both by key, with the same ids, contents
 *                and values.
 * clocks         the self-check reads CLOCK_MONOTONIC and CLOCK_BOOTTIME:
 *                neither may be below the last reading.
 * refs           (with children) holds what names a process by its pid,
 *                as it knows it: a pipe whose SIGIO owner (F_SETOWN) is
 *                its first child, a pidfd of that child, a POSIX timer
 *                that signals its own thread (SIGEV_THREAD_ID), and a
 *                signal it queued to itself, blocked (SIGRTMIN+1, value
 *                42). The self-check finds each still naming the same
 *                process (the pidfd's NSpid, last, is the child's pid).
 * cgroup         the self-check reads /proc/self/cgroup (the paths as its
 *                cgroup namespace shows them) and finds what it read at
 *                start; reports cgroup= its memory or cgroup2 line's path.
 *
 * Says "HOST pid=N nspid=A/B/..." before READY: its pid as the host sees it
 * (from /proc/self/status: the host's /proc) and in every namespace. The
 * self-check reports pid=, hostname=, kids=, and nspid= (read again).
 */
#include "target.h"

#include <stdbool.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>

#define MAX_KIDS 8
#define SHM_PAGES 3

static const char *want_host;
static pid_t kids[MAX_KIDS];
static int nr_kids;
static key_t sysv_key = -1;
static int shm_id = -1, sem_id = -1;
static bool clocks, cgroup, refs;
static int refs_pipe[2] = { -1, -1 }, refs_pidfd = -1;
static timer_t refs_timer;
static char cgroup0[4096];
static int64_t last_mono, last_boot;

static void read_nspid(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	snprintf(buf, len, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 6, *out = buf;

		if (strncmp(line, "NSpid:", 6))
			continue;
		while (*p && out < buf + len - 1) {
			if (*p == '\t' || *p == ' ') {
				if (out != buf && out[-1] != '/')
					*out++ = '/';
			} else if (*p != '\n') {
				*out++ = *p;
			}
			p++;
		}
		while (out > buf && out[-1] == '/')
			out--;
		*out = 0;
	}
	fclose(f);
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + 3);
}

static void sysv_make(void)
{
	unsigned short vals[3] = { 7, 8, 9 };
	unsigned char *p;

	shm_id = shmget(sysv_key, SHM_PAGES * 4096, IPC_CREAT | IPC_EXCL | 0600);
	if (shm_id < 0)
		t_fatal("shmget");
	p = shmat(shm_id, NULL, 0);
	if (p == (void *)-1)
		t_fatal("shmat");
	for (size_t i = 0; i < SHM_PAGES * 4096; i++)
		p[i] = pattern(i);
	if (shmdt(p))
		t_fatal("shmdt");
	sem_id = semget(sysv_key + 1, 3, IPC_CREAT | IPC_EXCL | 0600);
	if (sem_id < 0 || semctl(sem_id, 0, SETALL, vals))
		t_fatal("semget");
}

static void sysv_check(struct t_check *c)
{
	unsigned short vals[3] = { 0 };
	struct shmid_ds ds;
	unsigned char *p;
	int id;

	id = shmget(sysv_key, 0, 0);
	if (id != shm_id) {
		t_check_fail(c, "shm key %d: id %d, was %d (%s)", (int)sysv_key, id, shm_id,
			     strerror(errno));
		return;
	}
	if (shmctl(id, IPC_STAT, &ds) || ds.shm_nattch != 0 || ds.shm_segsz != SHM_PAGES * 4096)
		t_check_fail(c, "shm %d: %lu attached, %zu bytes", id, (unsigned long)ds.shm_nattch,
			     (size_t)ds.shm_segsz);
	p = shmat(id, NULL, SHM_RDONLY);
	if (p == (void *)-1) {
		t_check_fail(c, "shmat %d: %s", id, strerror(errno));
	} else {
		for (size_t i = 0; i < SHM_PAGES * 4096; i++)
			if (p[i] != pattern(i)) {
				t_check_fail(c, "shm byte %zu is %u", i, p[i]);
				break;
			}
		shmdt(p);
	}
	id = semget(sysv_key + 1, 0, 0);
	if (id != sem_id || semctl(id, 0, GETALL, vals) || vals[0] != 7 || vals[1] != 8 ||
	    vals[2] != 9)
		t_check_fail(c, "sem key %d: id %d (was %d), values %u %u %u", (int)sysv_key + 1, id,
			     sem_id, vals[0], vals[1], vals[2]);
}

static void read_cgroup(char *buf, size_t len)
{
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

static void cgroup_check(struct t_check *c)
{
	char now[sizeof(cgroup0)], *line;

	read_cgroup(now, sizeof(now));
	if (strcmp(now, cgroup0)) {
		for (char *p = now; *p; p++)
			if (*p == '\n')
				*p = ' ';
		t_check_fail(c, "/proc/self/cgroup reads '%s'", now);
	}
	line = strstr(now, ":memory:");
	if (!line)
		line = strstr(now, "0::");
	if (line) {
		line = strchr(line + 1, ':') + 1;
		t_check_info(c, "cgroup=%.*s", (int)strcspn(line, "\n "), line);
	}
}

static void refs_make(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN + 2 };
	sigset_t set;

	if (nr_kids < 1)
		t_fatal("refs needs children");
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGRTMIN + 2);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		t_fatal("sigprocmask");
	if (pipe(refs_pipe) || fcntl(refs_pipe[0], F_SETOWN, kids[0]))
		t_fatal("F_SETOWN");
	refs_pidfd = (int)syscall(SYS_pidfd_open, kids[0], 0);
	if (refs_pidfd < 0)
		t_fatal("pidfd_open");
	sev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &refs_timer))
		t_fatal("timer_create");
	if (sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 42 }))
		t_fatal("sigqueue");
}

static void refs_check(struct t_check *c)
{
	char path[64], line[256];
	struct itimerspec its;
	int owner = fcntl(refs_pipe[0], F_GETOWN), nspid = -1;
	sigset_t pending;
	FILE *f;

	if (owner != kids[0])
		t_check_fail(c, "the pipe's owner is %d, want %d", owner, (int)kids[0]);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", refs_pidfd);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "NSpid:", 6)) {
			char *last = strrchr(line, '\t');

			nspid = atoi(last ? last : line + 6);
		}
	if (f)
		fclose(f);
	if (nspid != kids[0])
		t_check_fail(c, "the pidfd names pid %d, want %d", nspid, (int)kids[0]);
	if (timer_gettime(refs_timer, &its))
		t_check_fail(c, "timer_gettime: %s", strerror(errno));
	if (sigpending(&pending) || !sigismember(&pending, SIGRTMIN + 1))
		t_check_fail(c, "SIGRTMIN+1 is not pending");
	t_check_info(c, "owner=%d", owner);
}

static void ns_check(struct t_check *c)
{
	char nspid[128], host[128] = "", dom[128] = "", want_dom[160], kl[128] = "";
	size_t off = 0;

	read_nspid(nspid, sizeof(nspid));
	t_check_info(c, "nspid=%s", nspid);
	if (want_host) {
		gethostname(host, sizeof(host));
		getdomainname(dom, sizeof(dom));
		snprintf(want_dom, sizeof(want_dom), "%s.dom", want_host);
		if (strcmp(host, want_host) || strcmp(dom, want_dom))
			t_check_fail(c, "hostname '%s' domainname '%s', want '%s' '%s'", host, dom,
				     want_host, want_dom);
		t_check_info(c, "hostname=%s", host);
	}
	for (int i = 0; i < nr_kids; i++) {
		int status;

		if (waitpid(kids[i], &status, WNOHANG) != 0 || kill(kids[i], 0))
			t_check_fail(c, "child %d is gone", (int)kids[i]);
		off += (size_t)snprintf(kl + off, sizeof(kl) - off, "%s%d", i ? "," : "",
					(int)kids[i]);
	}
	if (nr_kids)
		t_check_info(c, "kids=%s", kl);
	if (sysv_key != -1)
		sysv_check(c);
	if (cgroup)
		cgroup_check(c);
	if (refs)
		refs_check(c);
	if (clocks) {
		int64_t mono = clock_ns(CLOCK_MONOTONIC), boot = clock_ns(CLOCK_BOOTTIME);

		if (mono < last_mono || boot < last_boot)
			t_check_fail(c, "clocks went back: monotonic %lld < %lld or boottime %lld < %lld",
				     (long long)mono, (long long)last_mono, (long long)boot,
				     (long long)last_boot);
		last_mono = mono;
		last_boot = boot;
		t_check_info(c, "mono_s=%lld", (long long)(mono / 1000000000));
	}
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = ns_check };
	char nspid[128];
	pid_t self;

	t_init(argc, argv);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "hostname") && i + 1 < argc) {
			want_host = argv[++i];
		} else if (!strcmp(argv[i], "children") && i + 1 < argc) {
			nr_kids = atoi(argv[++i]);
			if (nr_kids < 0 || nr_kids > MAX_KIDS)
				t_fatal("children %d", nr_kids);
		} else if (!strcmp(argv[i], "sysv") && i + 1 < argc) {
			sysv_key = (key_t)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "clocks")) {
			clocks = true;
		} else if (!strcmp(argv[i], "refs")) {
			refs = true;
		} else if (!strcmp(argv[i], "cgroup")) {
			cgroup = true;
			read_cgroup(cgroup0, sizeof(cgroup0));
		} else {
			t_fatal("unknown argument '%s'", argv[i]);
		}
	}
	if (want_host) {
		char dom[160];

		snprintf(dom, sizeof(dom), "%s.dom", want_host);
		if (sethostname(want_host, strlen(want_host)) || setdomainname(dom, strlen(dom)))
			t_fatal("sethostname");
	}
	if (sysv_key != -1)
		sysv_make();
	self = getpid();
	for (int i = 0; i < nr_kids; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			t_fatal("fork");
		if (kids[i] == 0) {
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != self)
				_exit(1);
			for (;;)
				pause();
		}
	}
	if (refs)
		refs_make();
	if (clocks) {
		last_mono = clock_ns(CLOCK_MONOTONIC);
		last_boot = clock_ns(CLOCK_BOOTTIME);
	}
	read_nspid(nspid, sizeof(nspid));
	t_log("HOST pid=%s nspid=%s", strchr(nspid, '/') ? strndup(nspid, strcspn(nspid, "/")) : nspid,
	      nspid);
	t_run(&ops);
	return 0;
}
