/*
 * 40-sandbox - a process that confines itself, for the creds tests (46)
 * and the sandbox attacks (attacks/10-sandbox.sh).
 *
 *     40-sandbox WORKDIR MODE [ARGS]
 *
 * MODE, set up before READY (root needed unless said otherwise):
 *   caps-nnp         drop every capability (capset to zero, bounding and
 *                    ambient sets cleared), set no_new_privs; stays uid 0
 *   seccomp          2 threads besides the main one; a filter denying
 *                    mkdir (EPERM) installed in all three with TSYNC
 *   seccomp-hard     the same, then a second filter (TSYNC) that kills
 *                    the process on munmap, capset, setresuid, setgroups,
 *                    rseq, seccomp and other calls a restore makes
 *   seccomp-split    as seccomp, then thread 1 alone adds a filter of its
 *                    own (sched_yield fails with EL2HLT; flag LOG)
 *   partial          securebits KEEP_CAPS|NOROOT|NOROOT_LOCKED, a few
 *                    caps out of the bounding set, groups 4242 4343, uid and
 *                    gid 65534, capabilities prm {chown, net_bind_service,
 *                    net_raw} eff {net_bind_service} inh {net_bind_service,
 *                    net_raw} amb {net_bind_service}, loginuid 4242,
 *                    dumpable, parent-death signal SIGURG; then 2 threads,
 *                    thread 1 with no effective capability and its own
 *                    parent-death signal (SIGWINCH)
 *   seccomp-strict   thread 1 in seccomp strict mode, blocked in a read
 *                    from a pipe (its view is its /proc status, read by
 *                    the main thread: it may not even open a file)
 *   user UID GID     no supplementary groups, then uid UID gid GID
 *   user-seccomp UID GID   the same, then no_new_privs and the mkdir
 *                    filter in 3 threads (TSYNC), installed without
 *                    privilege
 *   any              nothing: whoever started it, as it was started (an
 *                    ordinary user, for the attacks)
 *
 *     40-sandbox exec-filtered CMD [ARGS]   (no WORKDIR)
 *
 * runs CMD under an allow-everything seccomp filter (so that CMD, ckpt,
 * may not read other processes' filters).
 *
 * Every thread records its own view at start; the self-check (SIGUSR2)
 * compares each thread's view now with it: capget, bounding and ambient
 * sets (PR_CAPBSET_READ, PR_CAP_AMBIENT_IS_SET), no_new_privs, securebits,
 * getresuid/getresgid, getgroups, Seccomp and Seccomp_filters of
 * /proc/thread-self/status, whether mkdir is denied, what sched_yield
 * answers, the parent-death signal, the dumpable flag, the loginuid.
 */
#include "target.h"

#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define MAX_THREADS 3

struct view {
	unsigned long long prm, eff, inh, bnd, amb;
	int nnp, secbits, seccomp, filters, pdeath, dumpable, ngroups;
	int mkdir_err, yield_err;
	unsigned int loginuid;
	uid_t uid[3];
	gid_t gid[3];
};

struct slot {
	int tid;
	struct view start, now;
	_Atomic uint32_t ack;
};

static struct slot slots[MAX_THREADS];
static int nr_threads = 1; /* the main one is slot 0 */
static _Atomic uint32_t gen, acks, ready, go, started;
static const char *mode = "any";

/* ---- seccomp filters ---- */

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

static void install(struct sock_filter *f, unsigned short len, unsigned int flags)
{
	struct sock_fprog prog = { len, f };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0)
		t_fatal("seccomp filter (flags %#x)", flags);
}

static void deny_mkdir(void)
{
	struct sock_filter f[] = {
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mkdir, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mkdirat, 1, 0),
		RET(SECCOMP_RET_ALLOW),
		RET(SECCOMP_RET_ERRNO | EPERM),
	};

	install(f, sizeof(f) / sizeof(f[0]), SECCOMP_FILTER_FLAG_TSYNC);
}

/* Kills the process on calls it never makes itself once READY. */
static void kill_on_restore_calls(void)
{
	static const int nrs[] = { SYS_munmap,	   SYS_capset,	     SYS_setresuid,
				   SYS_setresgid,  SYS_setgroups,    SYS_setfsuid,
				   SYS_setfsgid,   SYS_rseq,	     SYS_set_robust_list,
				   SYS_set_tid_address, SYS_clone3, SYS_seccomp,
				   SYS_setitimer,  SYS_rt_sigtimedwait, SYS_wait4 };
	struct sock_filter f[2 + 2 * 15];
	unsigned short n = 0;

	f[n++] = (struct sock_filter)LD_NR;
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nrs[i], 0, 1);
		f[n++] = (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS);
	}
	f[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
	install(f, n, SECCOMP_FILTER_FLAG_TSYNC);
}

static void deny_yield(void)
{
	struct sock_filter f[] = {
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sched_yield, 0, 1),
		RET(SECCOMP_RET_ERRNO | EL2HLT),
		RET(SECCOMP_RET_ALLOW),
	};

	install(f, sizeof(f) / sizeof(f[0]), SECCOMP_FILTER_FLAG_LOG);
}

/* ---- capabilities ---- */

static void caps_set(uint64_t prm, uint64_t eff, uint64_t inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};

	/* The raw call: this thread only (glibc does not sync capset). */
	if (syscall(SYS_capset, &h, d))
		t_fatal("capset");
}

static void bounding_drop(uint64_t keep)
{
	for (int cap = 0; cap < 64; cap++)
		if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) &&
		    errno != EINVAL)
			t_fatal("PR_CAPBSET_DROP %d", cap);
}

/* ---- one thread's view of itself ---- */

static void status_seccomp(struct view *v)
{
	char line[256];
	FILE *f = fopen("/proc/thread-self/status", "re");

	v->seccomp = v->filters = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		(void)sscanf(line, "Seccomp: %d", &v->seccomp);
		(void)sscanf(line, "Seccomp_filters: %d", &v->filters);
	}
	fclose(f);
}

static void take_view(struct view *v)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	char name[64], buf[32];
	int fd;

	memset(v, 0, sizeof(*v));
	if (syscall(SYS_capget, &h, d) == 0) {
		v->prm = d[0].permitted | (unsigned long long)d[1].permitted << 32;
		v->eff = d[0].effective | (unsigned long long)d[1].effective << 32;
		v->inh = d[0].inheritable | (unsigned long long)d[1].inheritable << 32;
	}
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			v->bnd |= 1ULL << cap;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
			v->amb |= 1ULL << cap;
	}
	v->nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	v->secbits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	v->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (prctl(PR_GET_PDEATHSIG, &v->pdeath, 0, 0, 0))
		v->pdeath = -1;
	v->ngroups = getgroups(0, NULL);
	syscall(SYS_getresuid, &v->uid[0], &v->uid[1], &v->uid[2]);
	syscall(SYS_getresgid, &v->gid[0], &v->gid[1], &v->gid[2]);
	status_seccomp(v);
	snprintf(name, sizeof(name), "mkdir-probe-%d", (int)gettid());
	if (mkdir(name, 0700) == 0) {
		rmdir(name);
		v->mkdir_err = 0;
	} else {
		v->mkdir_err = errno;
	}
	v->yield_err = syscall(SYS_sched_yield) ? errno : 0;
	v->loginuid = ~0U;
	fd = open("/proc/self/loginuid", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		if (n > 0) {
			buf[n] = 0;
			v->loginuid = (unsigned int)strtoul(buf, NULL, 10);
		}
		close(fd);
	}
}

static void compare(struct t_check *c, int i, const struct view *a, const struct view *b)
{
#define CMP(field, fmt)                                                                         \
	if (a->field != b->field)                                                               \
		t_check_fail(c, "thread %d: " #field " " fmt ", was " fmt " at start", slots[i].tid, \
			     b->field, a->field)
	CMP(prm, "%#llx");
	CMP(eff, "%#llx");
	CMP(inh, "%#llx");
	CMP(bnd, "%#llx");
	CMP(amb, "%#llx");
	CMP(nnp, "%d");
	CMP(secbits, "%#x");
	CMP(seccomp, "%d");
	CMP(filters, "%d");
	CMP(pdeath, "%d");
	CMP(dumpable, "%d");
	CMP(ngroups, "%d");
	CMP(mkdir_err, "%d");
	CMP(yield_err, "%d");
	CMP(loginuid, "%u");
	CMP(uid[0], "%d");
	CMP(uid[1], "%d");
	CMP(uid[2], "%d");
	CMP(gid[0], "%d");
	CMP(gid[1], "%d");
	CMP(gid[2], "%d");
#undef CMP
}

/* ---- threads ---- */

static void *thread_main(void *arg)
{
	int i = (int)(long)arg;

	atomic_fetch_add(&started, 1);
	t_futex_wake(&started);
	while (!atomic_load(&go))
		t_futex_wait(&go, 0, -1);
	if (i == 1 && !strcmp(mode, "seccomp-split"))
		deny_yield();
	if (i == 1 && !strcmp(mode, "partial")) {
		caps_set(slots[0].start.prm, 0, slots[0].start.inh);
		if (prctl(PR_SET_PDEATHSIG, SIGWINCH, 0, 0, 0))
			t_fatal("PR_SET_PDEATHSIG");
	}
	slots[i].tid = (int)gettid();
	take_view(&slots[i].start);
	atomic_fetch_add(&ready, 1);
	t_futex_wake(&ready);
	for (;;) {
		uint32_t g = atomic_load(&gen);

		if (g == atomic_load(&slots[i].ack)) {
			t_futex_wait(&gen, g, -1);
			continue;
		}
		take_view(&slots[i].now);
		atomic_store(&slots[i].ack, g);
		atomic_fetch_add(&acks, 1);
		t_futex_wake(&acks);
	}
	return NULL;
}

/* Threads 1..n-1, running their own code (glibc's start of a thread,
 * rseq registration and all, is behind them), waiting for threads_go(). */
static void spawn_threads(int n)
{
	for (int i = 1; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, thread_main, (void *)(long)i))
			t_fatal("pthread_create");
	}
	for (;;) {
		uint32_t r = atomic_load(&started);

		if ((int)r == n - 1)
			break;
		t_futex_wait(&started, r, 1000000000);
	}
	nr_threads = n;
}

/* Set-up done: every thread records its view at start (the main one's
 * first), and is then ready. */
static void threads_go(void)
{
	slots[0].tid = (int)gettid();
	take_view(&slots[0].start);
	atomic_store(&go, 1);
	t_futex_wake(&go);
	for (;;) {
		uint32_t r = atomic_load(&ready);

		if ((int)r == nr_threads - 1)
			break;
		t_futex_wait(&ready, r, 1000000000);
	}
}

/* ---- a thread in strict mode ---- */

static int strict_tid, strict_pipe[2];
static char strict_start[128];

static void *strict_main(void *arg)
{
	char c;

	(void)arg;
	strict_tid = (int)gettid();
	atomic_fetch_add(&started, 1);
	t_futex_wake(&started);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0))
		t_fatal("PR_SET_SECCOMP strict");
	for (;;)
		(void)!read(strict_pipe[0], &c, 1);
	return NULL;
}

/* "Seccomp: N Seccomp_filters: N NoNewPrivs: N" of the strict thread. */
static void strict_view(char *buf, size_t size)
{
	char path[64], line[256];
	FILE *f;

	buf[0] = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", strict_tid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp", 7) || !strncmp(line, "NoNewPrivs", 10)) {
			line[strcspn(line, "\n")] = ' ';
			strncat(buf, line, size - strlen(buf) - 1);
		}
	fclose(f);
}

static void spawn_strict(void)
{
	pthread_t t;
	int64_t end = t_now_ns() + 5000000000LL;

	if (pipe2(strict_pipe, O_CLOEXEC) || pthread_create(&t, NULL, strict_main, NULL))
		t_fatal("strict thread");
	for (;;) {
		strict_view(strict_start, sizeof(strict_start));
		if (strstr(strict_start, "Seccomp:\t1"))
			return;
		if (t_now_ns() > end)
			t_fatal("the thread is not in strict mode: %s", strict_start);
		t_futex_wait(&started, 1, 1000000); /* 1 ms: poll its status */
	}
}

static void check(struct t_check *c)
{
	uint32_t g = atomic_fetch_add(&gen, 1) + 1;
	int64_t end = t_now_ns() + 5000000000LL;
	const struct view *v = &slots[0].now;

	t_futex_wake(&gen);
	take_view(&slots[0].now);
	compare(c, 0, &slots[0].start, &slots[0].now);
	for (int i = 1; i < nr_threads; i++) {
		while (atomic_load(&slots[i].ack) != g && t_now_ns() < end) {
			uint32_t a = atomic_load(&acks);

			if (atomic_load(&slots[i].ack) != g)
				t_futex_wait(&acks, a, 100000000);
		}
		if (atomic_load(&slots[i].ack) != g)
			t_check_fail(c, "thread %d did not answer", slots[i].tid);
		else
			compare(c, i, &slots[i].start, &slots[i].now);
	}
	if (strict_tid) {
		char now[128];

		strict_view(now, sizeof(now));
		if (strcmp(now, strict_start))
			t_check_fail(c, "strict thread %d: '%s', was '%s' at start", strict_tid, now,
				     strict_start);
		t_check_info(c, "strict=%s", strstr(now, "Seccomp:\t1") ? "yes" : "no");
	}
	t_check_info(c, "threads=%d", t_count_tasks());
	t_check_info(c, "uid=%d", (int)v->uid[0]);
	t_check_info(c, "prm=%#llx eff=%#llx inh=%#llx bnd=%#llx amb=%#llx",
		     (unsigned long long)v->prm, (unsigned long long)v->eff,
		     (unsigned long long)v->inh, (unsigned long long)v->bnd,
		     (unsigned long long)v->amb);
	t_check_info(c, "nnp=%d secbits=%#x seccomp=%d filters=%d", v->nnp, v->secbits, v->seccomp,
		     v->filters);
	t_check_info(c, "mkdir=%d groups=%d", v->mkdir_err, v->ngroups);
}

/* ---- set-up ---- */

static void chown_seq(uid_t uid, gid_t gid)
{
	int fd = open("seq", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || fchown(fd, uid, gid))
		t_fatal("seq for uid %d", (int)uid);
	close(fd);
}

static void set_loginuid(unsigned int v)
{
	char text[16];
	int fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC), n;

	n = snprintf(text, sizeof(text), "%u", v);
	if (fd < 0 || write(fd, text, (size_t)n) != n)
		t_fatal("loginuid %u", v);
	close(fd);
}

static void setup_partial(void)
{
	const uint64_t chown_ = 1ULL << CAP_CHOWN, bind = 1ULL << CAP_NET_BIND_SERVICE,
		       raw = 1ULL << CAP_NET_RAW;
	const gid_t groups[] = { 4242, 4343 };

	set_loginuid(4242);
	if (prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0,
		  0))
		t_fatal("PR_SET_SECUREBITS");
	bounding_drop(~(1ULL << CAP_SYS_MODULE | 1ULL << CAP_SYS_RAWIO | 1ULL << CAP_MKNOD));
	chown_seq(65534, 65534);
	if (setgroups(2, groups) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		t_fatal("setgroups/setresgid/setresuid");
	caps_set(chown_ | bind | raw, bind, bind | raw);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0))
		t_fatal("PR_CAP_AMBIENT_RAISE");
	/* The uid change reset both. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) || prctl(PR_SET_PDEATHSIG, SIGURG, 0, 0, 0))
		t_fatal("PR_SET_DUMPABLE/PDEATHSIG");
}

static void setup(int argc, char **argv)
{
	if (!strcmp(mode, "caps-nnp")) {
		bounding_drop(0);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
			t_fatal("PR_CAP_AMBIENT_CLEAR_ALL");
		caps_set(0, 0, 0);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			t_fatal("PR_SET_NO_NEW_PRIVS");
	} else if (!strcmp(mode, "seccomp-strict")) {
		spawn_strict();
	} else if (!strncmp(mode, "seccomp", 7)) {
		/* Threads first: TSYNC puts the filters in all of them. */
		spawn_threads(MAX_THREADS);
		deny_mkdir();
		if (!strcmp(mode, "seccomp-hard"))
			kill_on_restore_calls();
	} else if (!strcmp(mode, "partial")) {
		setup_partial();
		spawn_threads(MAX_THREADS);
	} else if (!strncmp(mode, "user", 4) && argc > 4) {
		uid_t uid = (uid_t)atoi(argv[3]);
		gid_t gid = (gid_t)atoi(argv[4]);

		chown_seq(uid, gid);
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
			t_fatal("user %d %d", (int)uid, (int)gid);
		if (!strcmp(mode, "user-seccomp")) {
			spawn_threads(MAX_THREADS);
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
				t_fatal("PR_SET_NO_NEW_PRIVS");
			deny_mkdir();
		}
	} else if (strcmp(mode, "any")) {
		t_fatal("unknown mode '%s'", mode);
	}
	threads_go();
}

static void exec_filtered(char **argv)
{
	struct sock_filter f[] = { RET(SECCOMP_RET_ALLOW) };

	install(f, 1, 0);
	execvp(argv[0], argv);
	perror(argv[0]);
	exit(127);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { NULL, check };

	if (argc > 2 && !strcmp(argv[1], "exec-filtered"))
		exec_filtered(argv + 2);
	t_init(argc, argv);
	/* One arena: a thread's own would be made with an munmap, which
	 * seccomp-hard forbids. */
	mallopt(M_ARENA_MAX, 1);
	if (argc > 2)
		mode = argv[2];
	setup(argc, argv);
	t_run(&ops);
}
