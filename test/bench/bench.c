// SPDX-License-Identifier: GPL-2.0
/*
 * bench CKPT: how fast `CKPT dump` and `CKPT restore` are, next to what the
 * kernel's copy paths do on the same machine in the same run (the limits):
 *
 *	memcpy               1 GiB to 1 GiB, both pre-touched
 *	process_vm_readv     1 GiB from a child into a pre-touched buffer
 *	write() to /dev/shm  1 GiB in 32 MiB writes to a tmpfs file
 *	MADV_POPULATE_WRITE  1 GiB of fresh anonymous memory
 *
 * Scenarios, each run RUNS times (medians reported):
 *
 *	1 GiB, 4 GiB of written anonymous memory, images on /dev/shm and /tmp
 *	incremental: 4 GiB, pre-dump, 1% of the pages written, dump --parent
 *	4 GiB advised MADV_HUGEPAGE (restored in huge pages)
 *	4 GiB restored with --lazy: the time to running (restore --detach
 *	returns, the process handles a signal), and until every page is in
 *	(the page daemon exits), next to the plain restore of 4 GiB
 *	10,000 VMAs; 500 threads
 *	1 GiB of records that compress (about as a heap does), plain, with
 *	--compress (lz4) and --compress=zstd
 *	100 processes holding 1 GiB, a plain tree and a container (pid, mnt,
 *	uts, ipc namespaces, a tmpfs) side by side, their ratio (tree.h)
 *
 * A run starts a target child, dumps it (killed: the dump's time runs
 * until its PIDs are free, when a restore may begin), restores it with
 * --detach, checks that the same PID runs, handles a signal, and holds the
 * bytes it should (every page), then kills it. The time the target is
 * frozen is what ckpt -v reports (first seize to kill). The table is printed
 * and written to bench/RESULTS.md (or $CKPT_BENCH_RESULTS). It reports
 * speed and never fails on it; it fails (exit 1) only when ckpt fails or
 * restores something wrong. Processes and image directories are cleaned up
 * on every exit path.
 *
 * bench CKPT CRIU (make bench CRIU=/path/to/criu): CRIU runs the 1 GiB on
 * /dev/shm, 10,000 VMAs and 100 processes scenarios too, alternating with
 * ckpt, and the table gains its medians and the ratios ckpt/CRIU (criu.h).
 *
 * BENCH_ONLY=TEXT: only the scenarios whose name holds TEXT, and no
 * RESULTS.md; TEXT|TEXT...: those that hold any of them; =NAME: the
 * scenarios of that exact name (BENCH_ONLY='=1 GiB|=10,000 VMAs'). BENCH_LOG=1: ckpt's -v log of each dump on stderr.
 * BENCH_TREE_MIB=N: the process trees hold N MiB instead of 1 GiB.
 *
 * Only libc; single file; build: cc -O2 -Wall -pthread -D_GNU_SOURCE bench.c
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define RUNS 3
#define WRITE_CHUNK (32ull << 20)
#define CHECK_CHUNK (64ull << 20)
#define NR_DIRS 2
#define INCR_EVERY 100 /* the incremental dump: every 100th page written */

static const char *const image_dirs[NR_DIRS] = { "/dev/shm", "/tmp" };

/* ---- state that cleanup needs, reachable from a signal handler ---------- */

static volatile pid_t target_pid; /* the target, dumped or restored */
static volatile bool target_group; /* target_pid leads a group: kill all of it */
static volatile pid_t ckpt_pid; /* a running ckpt command */
static char prefix[64]; /* "ckpt-bench-PID-": every entry we make */
static const char *ckpt;
static const char *criu; /* CRIU=PATH of make bench: CRIU runs beside ckpt's */
static const char *tool; /* what run_ckpt runs: ckpt, or criu during its runs */

/* Remove DIRFD/NAME, recursively, with async-signal-safe calls only.
 * True if it is gone. */
static bool rm_rf_at(int dirfd, const char *name, int depth)
{
	char buf[4096];
	int fd;
	long n;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return true;
	if ((errno != EISDIR && errno != EPERM) || depth > 4)
		return false;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* Read it again from the start while a pass removed something:
	 * removing entries while reading may skip some. */
	for (bool again = true; again;) {
		again = false;
		lseek(fd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
			for (long off = 0; off < n;) {
				struct dirent64 *de = (struct dirent64 *)(buf + off);

				off += de->d_reclen;
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
				    rm_rf_at(fd, de->d_name, depth + 1))
					again = true;
			}
		}
	}
	close(fd);
	return unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT;
}

/* Remove every entry of this run in @dir: image dirs, ckpt's temporary
 * ".NAME.ckpt-XXXXXX" dirs beside them, the write() test file. */
static void remove_our_files(const char *dir)
{
	char buf[4096];
	size_t plen = strlen(prefix);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;

	if (fd < 0 || !plen)
		return;
	for (bool again = true; again;) {
		again = false;
		lseek(fd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
			for (long off = 0; off < n;) {
				struct dirent64 *de = (struct dirent64 *)(buf + off);
				const char *name = de->d_name;

				off += de->d_reclen;
				if ((!strncmp(name, prefix, plen) ||
				     (name[0] == '.' && !strncmp(name + 1, prefix, plen))) &&
				    rm_rf_at(fd, name, 0))
					again = true;
			}
		}
	}
	close(fd);
}

static void kill_and_reap(volatile pid_t *pidp)
{
	pid_t pid = *pidp;

	if (pid <= 0)
		return;
	if (pidp == &target_pid && target_group)
		kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	/* Ours, or reparented to us (we are a child subreaper): reap it so
	 * that its PID is free. */
	(void)waitpid(pid, NULL, 0);
	*pidp = 0;
}

static void cleanup(void)
{
	kill_and_reap(&ckpt_pid);
	kill_and_reap(&target_pid);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	for (int i = 0; i < NR_DIRS; i++)
		remove_our_files(image_dirs[i]);
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "bench: FAILED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- the memory pattern ------------------------------------------------- */

/* Word i of the target's memory: differs per word, per page and per run,
 * so misplaced, missing or stale pages all show. It does not compress. */
static inline uint64_t pattern(uint64_t seed, uint64_t i)
{
	return (i * 0x9e3779b97f4a7c15ull) ^ seed;
}

/* The same as records that compress about as a program's heap does (to a
 * third or so): 64-byte records of fixed text, a counter and one word of
 * the pattern. */
static inline uint64_t record_word(uint64_t seed, uint64_t i)
{
	static const uint64_t text[8] = {
		0x3d64726f63657220ull, 0, 0x2220656d616e202cull, 0x6b6f6f6220656874ull,
		0x22202c2265676170ull, 0, 0x2c303d7377656976ull, 0x2020202020200a7dull,
	};

	if (i % 8 == 1)
		return i / 8;
	if (i % 8 == 5)
		return pattern(seed, i);
	return text[i % 8];
}

static void fill_pattern(uint64_t *p, size_t words, uint64_t seed, uint64_t first, bool records)
{
	for (size_t i = 0; i < words; i++)
		p[i] = records ? record_word(seed, first + i) : pattern(seed, first + i);
}

static void *map_touched(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("cannot map %zu bytes: %s", len, strerror(errno));
	/* Not inherited by the target: it must hold only its own memory. */
	if (madvise(p, len, MADV_DONTFORK) < 0)
		die("MADV_DONTFORK: %s", strerror(errno));
	(void)madvise(p, len, MADV_POPULATE_WRITE);
	memset(p, 1, len);
	return p;
}

/* ---- the targets -------------------------------------------------------- */

enum target_kind { T_MEMORY, T_VMAS, T_THREADS, T_TREE, T_CONTAINER };

struct target_spec {
	enum target_kind kind;
	uint64_t size; /* T_MEMORY: bytes; T_VMAS: VMAs; T_THREADS: threads */
	bool records; /* T_MEMORY: compressible contents (record_word) */
	bool thp; /* T_MEMORY: advised MADV_HUGEPAGE, 2 MiB aligned */
};
/* T_TREE, T_CONTAINER: size unused, the tree's size is tree_bytes(). */

/* What the target tells us through its ready pipe. */
struct target_info {
	uint64_t mem; /* address of its memory (T_VMAS: the first of its pages) */
	uint64_t mem_len;
	uint64_t wakeups; /* address of its counter of signals handled */
};

static volatile uint64_t wakeups;

static void on_usr1(int sig)
{
	(void)sig;
}

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* Pages at every other page of a PROT_NONE reservation: the kernel cannot
 * merge them, so @n pages make 2n VMAs. */
static void make_vmas(struct target_info *info, uint64_t n, uint64_t seed)
{
	char *base = mmap(NULL, 2 * n * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED)
		_exit(3);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t *page = (uint64_t *)(base + 2 * i * 4096);

		if (mprotect(page, 4096, PROT_READ | PROT_WRITE))
			_exit(3);
		fill_pattern(page, 512, seed, 2 * i * 512, false);
	}
	info->mem = (uintptr_t)base;
	info->mem_len = 2 * n * 4096;
}

static void __attribute__((noreturn)) tree_main(int ready_fd, const struct target_spec *spec,
						uint64_t seed, struct target_info *info);

static void __attribute__((noreturn)) target_main(int ready_fd, const struct target_spec *spec,
						  uint64_t seed)
{
	struct target_info info = { .wakeups = (uintptr_t)&wakeups };
	struct sigaction sa = { .sa_handler = on_usr1 };
	int null = open("/dev/null", O_RDWR);

	/* Nothing of ours stays open in it: stdio on /dev/null, and every
	 * other fd but the ready pipe closed. */
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(2);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != ready_fd)
			close(fd);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	if (spec->kind == T_TREE || spec->kind == T_CONTAINER)
		tree_main(ready_fd, spec, seed, &info);
	if (spec->kind == T_MEMORY) {
		uint64_t align = spec->thp ? 2 << 20 : 0;
		char *at = mmap(NULL, spec->size + align, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t *mem;

		if (at == MAP_FAILED)
			_exit(3);
		mem = (uint64_t *)(align ? ((uintptr_t)at + align - 1) & ~(align - 1) : (uintptr_t)at);
		if (spec->thp && madvise(mem, spec->size, MADV_HUGEPAGE))
			_exit(3);
		/* Populate in bulk: faulting page by page is very slow here. */
		(void)madvise(mem, spec->size, MADV_POPULATE_WRITE);
		fill_pattern(mem, spec->size / 8, seed, 0, spec->records);
		info.mem = (uintptr_t)mem;
		info.mem_len = spec->size;
	} else if (spec->kind == T_VMAS) {
		make_vmas(&info, spec->size / 2, seed);
	} else {
		sigset_t all, old;

		/* Signals go to the main thread, which counts them. */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		for (uint64_t i = 0; i < spec->size; i++) {
			pthread_t t;
			pthread_attr_t a;

			pthread_attr_init(&a);
			pthread_attr_setstacksize(&a, 64 * 1024);
			if (pthread_create(&t, &a, idle_thread, NULL))
				_exit(3);
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (write(ready_fd, &info, sizeof(info)) != sizeof(info))
		_exit(4);
	close(ready_fd);
	for (;;) {
		pause();
		wakeups++;
	}
}

static struct target_info start_target(const struct target_spec *spec, uint64_t seed)
{
	struct target_info info;
	int p[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		target_main(p[1], spec, seed);
	}
	target_pid = pid;
	close(p[1]);
	do
		n = read(p[0], &info, sizeof(info));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n != sizeof(info))
		die("target %d did not start", pid);
	return info;
}

/* ---- running ckpt ------------------------------------------------------- */

/* Run CKPT with args (NULL-terminated), stdout to /dev/null (or to @out_fd
 * if >= 0); stderr to @err_fd if >= 0, else passed through. Returns the
 * wall-clock seconds and its wait status in @ret_status. */
static double run_ckpt_status(int out_fd, int err_fd, const char *const *args, int *ret_status)
{
	char *argv[16];
	int status, i = 0;
	double t0, t;
	pid_t pid;

	argv[i++] = (char *)tool;
	for (; *args && i < 15; args++)
		argv[i++] = (char *)*args;
	argv[i] = NULL;

	fflush(NULL);
	t0 = now();
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = out_fd >= 0 ? out_fd : open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, 1);
		if (err_fd >= 0)
			dup2(err_fd, 2);
		execv(tool, argv);
		fprintf(stderr, "bench: cannot run '%s': %s\n", tool, strerror(errno));
		_exit(127);
	}
	ckpt_pid = pid;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	t = now() - t0;
	ckpt_pid = 0;
	*ret_status = status;
	return t;
}

/* run_ckpt_status, which must succeed: dies if it fails. */
static double run_ckpt(int out_fd, int err_fd, const char *const *args)
{
	int status;
	double t = run_ckpt_status(out_fd, err_fd, args, &status);

	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char cmd[512];
		size_t off = snprintf(cmd, sizeof(cmd), "%s", tool);

		for (; *args && off < sizeof(cmd) - 1; args++)
			off += snprintf(cmd + off, sizeof(cmd) - off, " %s", *args);
		if (WIFEXITED(status))
			die("'%s' exited with status %d", cmd, WEXITSTATUS(status));
		die("'%s' was killed by signal %d", cmd, WTERMSIG(status));
	}
	return t;
}

/* ckpt dump -v (or pre-dump): wall seconds, and the frozen time it reports. */
static double run_dump(const char *const *args, double *ret_frozen_ms)
{
	FILE *log = tmpfile();
	char line[512];
	double t;

	if (!log)
		die("tmpfile: %s", strerror(errno));
	t = run_ckpt(-1, fileno(log), args);
	*ret_frozen_ms = -1;
	rewind(log);
	while (fgets(line, sizeof(line), log)) {
		const char *p = strstr(line, "frozen for ");

		if (getenv("BENCH_LOG"))
			fputs(line, stderr);
		if (p)
			*ret_frozen_ms = strtod(p + 11, NULL);
	}
	fclose(log);
	return t;
}

static void ckpt_version(char *buf, size_t len)
{
	const char *args[] = { "--version", NULL };
	int p[2];
	ssize_t n;

	snprintf(buf, len, "?");
	if (pipe(p) < 0)
		return;
	run_ckpt(p[1], -1, args);
	close(p[1]);
	n = read(p[0], buf, len - 1);
	close(p[0]);
	if (n > 0) {
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
	}
}

static bool pid_exists(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

static int count_threads(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* Sum of the file sizes in a directory (an image set). */
static uint64_t dir_size(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	uint64_t sum = 0;

	if (!d)
		die("cannot open '%s': %s", path, strerror(errno));
	while ((de = readdir(d))) {
		struct stat st;

		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
			sum += st.st_size;
	}
	closedir(d);
	return sum;
}

/* ---- the limits ----------------------------------------------------------- */

struct limits {
	double memcpy_s, readv_s, write_s, populate_s; /* for 1 GiB */
};

static double time_memcpy(void *dst, const void *src)
{
	double t0 = now();

	memcpy(dst, src, GiB);
	/* Keep the copy from being optimised away. */
	__asm__ volatile("" : : "r"(dst) : "memory");
	return now() - t0;
}

static double time_populate(void)
{
	void *p = mmap(NULL, GiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, t;

	if (p == MAP_FAILED)
		die("cannot map 1 GiB: %s", strerror(errno));
	t0 = now();
	if (madvise(p, GiB, MADV_POPULATE_WRITE) < 0)
		die("MADV_POPULATE_WRITE: %s", strerror(errno));
	t = now() - t0;
	munmap(p, GiB);
	return t;
}

static double time_shm_write(const void *buf)
{
	char path[128];
	double t0, t;
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/%swrite", prefix);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("cannot create '%s': %s", path, strerror(errno));
	t0 = now();
	for (uint64_t off = 0; off < GiB;) {
		uint64_t len = GiB - off < WRITE_CHUNK ? GiB - off : WRITE_CHUNK;
		ssize_t n = write(fd, (const char *)buf + off, len);

		if (n <= 0)
			die("write '%s': %s", path, n < 0 ? strerror(errno) : "short write");
		off += n;
	}
	t = now() - t0;
	close(fd);
	unlink(path);
	return t;
}

static void read_target(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		struct iovec local = { (char *)buf + off, len - off };
		struct iovec remote = { (void *)(uintptr_t)(addr + off), len - off };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (n <= 0)
			die("process_vm_readv from %d at %#llx: %s", pid,
			    (unsigned long long)(addr + off),
			    n < 0 ? strerror(errno) : "nothing read");
		off += n;
	}
}

static void measure_limits(struct limits *l)
{
	struct target_spec spec = { T_MEMORY, GiB };
	void *src = map_touched(GiB), *dst = map_touched(GiB);
	struct target_info info;
	double t0;

	l->memcpy_s = time_memcpy(dst, src);
	l->populate_s = time_populate();
	l->write_s = time_shm_write(src);
	info = start_target(&spec, 1);
	t0 = now();
	read_target(target_pid, info.mem, dst, GiB);
	l->readv_s = now() - t0;
	kill_and_reap(&target_pid);
	munmap(src, GiB);
	munmap(dst, GiB);
}

/* ---- checking a restored target ------------------------------------------ */

/* The incremental run rewrites every INCR_EVERY-th page of the target with
 * another seed. */
static bool page_rewritten(uint64_t page, bool incremental)
{
	return incremental && page % INCR_EVERY == 0;
}

static void verify_memory(pid_t pid, const struct target_spec *spec, const struct target_info *info,
			  uint64_t seed, bool incremental)
{
	uint64_t *buf;

	if (spec->kind == T_THREADS)
		return;
	buf = malloc(CHECK_CHUNK);
	if (!buf)
		die("out of memory");
	for (uint64_t off = 0; off < info->mem_len; off += CHECK_CHUNK) {
		uint64_t len = info->mem_len - off < CHECK_CHUNK ? info->mem_len - off : CHECK_CHUNK;

		for (uint64_t p = 0; p < len; p += 4096) {
			uint64_t page = (off + p) / 4096;

			/* T_VMAS: only every other page is memory. */
			if (spec->kind == T_VMAS && page % 2)
				continue;
			read_target(pid, info->mem + off + p, buf, 4096);
			for (uint64_t w = 0; w < 512; w++) {
				uint64_t s = page_rewritten(page, incremental) ? ~seed : seed;
				uint64_t want = spec->records ? record_word(s, page * 512 + w)
							      : pattern(s, page * 512 + w);

				if (buf[w] != want)
					die("memory of %d differs at offset %#llx: %#llx, want %#llx", pid,
					    (unsigned long long)(off + p + w * 8),
					    (unsigned long long)buf[w], (unsigned long long)want);
			}
		}
	}
	free(buf);
}

/* The restored target runs: it handles SIGUSR1 and comes back to its loop. */
static void verify_running(pid_t pid, const struct target_spec *spec, const struct target_info *info)
{
	uint64_t before, after;
	char st = proc_state(pid);

	if (!pid_exists(pid) || !st || st == 'Z' || st == 'X')
		die("restored process %d is not running (state '%c')", pid, st ? st : '?');
	if (spec->kind == T_THREADS && count_threads(pid) != (int)spec->size + 1)
		die("restored process %d has %d threads, want %d", pid, count_threads(pid),
		    (int)spec->size + 1);
	read_target(pid, info->wakeups, &before, sizeof(before));
	if (kill(pid, SIGUSR1) < 0)
		die("cannot signal restored process %d: %s", pid, strerror(errno));
	/* 10 s: a loaded machine (other work beside the bench) is slow. */
	for (int i = 0; i < 1000; i++) {
		st = proc_state(pid);
		if (!st || st == 'Z' || st == 'X')
			die("restored process %d died after SIGUSR1", pid);
		read_target(pid, info->wakeups, &after, sizeof(after));
		if (after == before + 1)
			return;
		sleep_ms(10);
	}
	die("restored process %d did not handle SIGUSR1 (count %llu, want %llu)", pid,
	    (unsigned long long)after, (unsigned long long)before + 1);
}

/* After a dump the target was killed; it is our child: reap it, then make
 * sure nothing holds its PID any more. */
static void wait_pid_free(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) == pid &&
	    !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
		fprintf(stderr, "bench: note: target %d ended with status %#x after dump\n", pid,
			status);
	for (int i = 0; i < 1000 && pid_exists(pid); i++)
		sleep_ms(10);
	if (pid_exists(pid))
		die("pid %d is still taken 10 s after the dump", pid);
}

/* wait_pid_free, and how long it took: a dump is over when the dumped
 * process is gone. ckpt waits for it; CRIU exits once it has sent the kill,
 * and the process then still frees its memory. */
static double timed_wait_pid_free(pid_t pid)
{
	double t0 = now();

	wait_pid_free(pid);
	return now() - t0;
}

/* Rewrite every INCR_EVERY-th page of the running target. */
static void write_one_percent(pid_t pid, const struct target_info *info, uint64_t seed,
			      bool records)
{
	uint64_t page_buf[512];

	for (uint64_t page = 0; page * 4096 < info->mem_len; page += INCR_EVERY) {
		struct iovec local = { page_buf, 4096 };
		struct iovec remote = { (void *)(uintptr_t)(info->mem + page * 4096), 4096 };

		fill_pattern(page_buf, 512, ~seed, page * 512, records);
		if (process_vm_writev(pid, &local, 1, &remote, 1, 0) != 4096)
			die("cannot write into %d: %s", pid, strerror(errno));
	}
}

/* ---- scenarios ---------------------------------------------------------- */

struct scenario {
	const char *name;
	struct target_spec spec;
	int dir; /* index in image_dirs */
	bool incremental;
	const char *dump_option; /* one more for ckpt dump, or NULL */
	bool stream; /* dump --images - | restore --images -, through a pipe */
	bool lazy; /* restore --lazy */
	bool criu; /* with CRIU=: CRIU runs it too (criu.h) */
};

static const struct scenario scenarios[] = {
	{ "1 GiB", { T_MEMORY, GiB }, 0, false, .criu = true },
	{ "1 GiB", { T_MEMORY, GiB }, 1, false },
	{ "4 GiB", { T_MEMORY, 4 * GiB }, 0, false },
	{ "4 GiB", { T_MEMORY, 4 * GiB }, 1, false },
	{ "4 GiB, 1% written since a pre-dump", { T_MEMORY, 4 * GiB }, 0, true },
	{ "4 GiB in huge pages (MADV_HUGEPAGE)", { T_MEMORY, 4 * GiB, false, true }, 0, false },
	{ "4 GiB, restore --lazy", { T_MEMORY, 4 * GiB }, 0, false, .lazy = true },
	{ "10,000 VMAs", { T_VMAS, 10000 }, 0, false, .criu = true },
	{ "500 threads", { T_THREADS, 500 }, 0, false },
	{ "1 GiB of records", { T_MEMORY, GiB, true }, 0, false },
	{ "1 GiB of records, --compress", { T_MEMORY, GiB, true }, 0, false, "--compress" },
	{ "1 GiB of records, --compress=zstd", { T_MEMORY, GiB, true }, 0, false, "--compress=zstd" },
	{ "100 processes, 1 GiB", { T_TREE }, 0, false, .criu = true },
	{ "100 processes, 1 GiB, container", { T_CONTAINER }, 0, false },
	/* Next to the first row: the same process, nothing on disk. */
	{ "1 GiB, stream: dump into restore", { T_MEMORY, GiB }, 0, false, NULL, true },
};

#define NR_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

struct run {
	double dump_s, frozen_ms, restore_s, image_bytes;
	double all_in_s; /* restore --lazy: until the page daemon is done */
	double plain_s; /* restore --lazy: a plain restore of the same images */
};

/* Why a scenario was skipped (ckpt refused its dump), or empty. */
static char skipped[NR_SCENARIOS][512];

/* Our child (we are a subreaper: ckpt left it to us) named @comm, or 0. */
static pid_t child_named(const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	while (d && !found && (e = readdir(d))) {
		char path[300], line[256], name[64] = "";
		int ppid = 0;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f)) {
			sscanf(line, "Name:\t%63s", name);
			sscanf(line, "PPid:\t%d", &ppid);
		}
		if (f)
			fclose(f);
		if (ppid == getpid() && !strcmp(name, comm))
			found = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

/* The page daemon of a lazy restore (and its guard) exit once every page
 * is in. */
static void wait_lazy_daemon(void)
{
	pid_t d = child_named("ckpt-lazy"), g;
	int status;

	if (!d)
		die("no page daemon after restore --lazy");
	if (waitpid(d, &status, 0) != d || !WIFEXITED(status) || WEXITSTATUS(status))
		die("the page daemon ended with status %#x", status);
	g = child_named("ckpt-lazy-guard");
	if (g)
		waitpid(g, NULL, 0);
}

static pid_t spawn_ckpt(int in_fd, int out_fd, int err_fd, const char *const *args)
{
	char *argv[16];
	int i = 0;
	pid_t pid;

	argv[i++] = (char *)ckpt;
	for (; *args && i < 15; args++)
		argv[i++] = (char *)*args;
	argv[i] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(in_fd, 0);
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		execv(ckpt, argv);
		_exit(127);
	}
	return pid;
}

static void wait_ok(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("ckpt %s through a pipe failed (status %#x)", what, status);
}

/*
 * The stream scenario: `ckpt dump --images - | ckpt restore --images -`.
 * dump_s is the dump's wall time (to its exit: the tree is killed), and
 * restore_s what the restore takes after that; their sum is the move.
 */
static void stream_run(pid_t pid, const char *pidbuf, struct run *r)
{
	const char *dump_args[] = { "dump", "-v", "--pid", pidbuf, "--images", "-", NULL };
	const char *restore_args[] = { "restore", "--images", "-", "--detach", NULL };
	FILE *log = tmpfile();
	int p[2], null = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t dump, restore;
	char line[512];
	double t0, t1;

	if (!log || null < 0 || pipe2(p, O_CLOEXEC) < 0)
		die("cannot set up a pipe: %s", strerror(errno));
	t0 = now();
	dump = spawn_ckpt(null, p[1], fileno(log), dump_args);
	ckpt_pid = dump;
	restore = spawn_ckpt(p[0], null, 2, restore_args);
	close(p[0]);
	close(p[1]);
	wait_ok(dump, "dump");
	t1 = now();
	ckpt_pid = restore;
	wait_pid_free(pid); /* the restore waits for it (the same machine) */

	target_pid = pid;
	wait_ok(restore, "restore");
	ckpt_pid = 0;
	r->dump_s = t1 - t0;
	r->restore_s = now() - t1;
	r->image_bytes = 0; /* nothing on disk */
	r->frozen_ms = -1;
	rewind(log);
	while (fgets(line, sizeof(line), log)) {
		const char *f = strstr(line, "frozen for ");

		if (f)
			r->frozen_ms = strtod(f + 11, NULL);
	}
	fclose(log);
	close(null);
}

/* The commands of CRIU's runs (criu.h), given the same images and pid. */
static void criu_dump_args(const char **args, const char *pid, const char *images);
static void criu_restore_args(const char **args, const char *images, const char *pidfile);

/* One run of @sc by ckpt, or by CRIU if @with_criu. */
static void one_run(const struct scenario *sc, int n, struct run *r, bool with_criu)
{
	uint64_t seed = ((uint64_t)getpid() << 32) ^ (uint64_t)(now() * 1e9) ^ (uint64_t)n;
	char images[256], parent[300], pidbuf[16];
	const char *predump_args[] = { "pre-dump", "-v", "--pid", pidbuf, "--images", parent, NULL };
	const char *dump_args[12] = { "dump", "-v", "--pid", pidbuf, "--images", images };
	const char *restore_args[12] = { "restore", "--images", images, "--detach" };
	struct target_info info;
	double ignored, t0 = 0;
	pid_t pid;

	info = start_target(&sc->spec, seed);
	pid = target_pid;
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	snprintf(images, sizeof(images), "%s/%s%d-%d%s", image_dirs[sc->dir], prefix,
		 (int)(sc - scenarios), n, with_criu ? "-criu" : "");
	if (with_criu) {
		criu_dump_args(dump_args, pidbuf, images);
		criu_restore_args(restore_args, images, NULL);
	}
	if (sc->incremental) {
		snprintf(parent, sizeof(parent), "%s.parent", images);
		run_dump(predump_args, &ignored);
		write_one_percent(pid, &info, seed, sc->spec.records);
		dump_args[6] = "--parent";
		dump_args[7] = parent;
	}
	if (sc->dump_option)
		dump_args[sc->incremental ? 8 : 6] = sc->dump_option;
	if (sc->stream) {
		stream_run(pid, pidbuf, r);
		goto restored;
	}
	r->dump_s = run_dump(dump_args, &r->frozen_ms);
	if (with_criu)
		r->frozen_ms = -1; /* CRIU does not say */
	r->dump_s += timed_wait_pid_free(pid);
	r->image_bytes = (double)dir_size(images);
	target_pid = 0;

	/* From here the PID is ours to kill again, also if restore is cut
	 * short; once restored, we are its subreaper and can reap it. */
	target_pid = pid;
	if (!with_criu)
		restore_args[4] = sc->lazy ? "--lazy" : NULL;
	t0 = now();
	r->restore_s = run_ckpt(-1, -1, restore_args);
restored:
	verify_running(pid, &sc->spec, &info);
	if (sc->lazy) {
		wait_lazy_daemon();
		r->all_in_s = now() - t0;
	}
	verify_memory(pid, &sc->spec, &info, seed, sc->incremental);
	verify_running(pid, &sc->spec, &info);
	kill_and_reap(&target_pid);
	if (sc->lazy) {
		/* The same images restored in place, in the same sitting. */
		for (int i = 0; i < 1000 && pid_exists(pid); i++)
			sleep_ms(10);
		target_pid = pid;
		restore_args[4] = NULL;
		r->plain_s = run_ckpt(-1, -1, restore_args);
		verify_running(pid, &sc->spec, &info);
		kill_and_reap(&target_pid);
	}
	if ((!sc->stream && !rm_rf_at(AT_FDCWD, images, 0)) ||
	    (sc->incremental && !rm_rf_at(AT_FDCWD, parent, 0)))
		die("cannot remove '%s'", images);
}

/* BENCH_ONLY=TEXT runs only the scenarios whose name holds TEXT (and
 * writes no RESULTS.md): for working on one of them. */
static bool selected(const struct scenario *sc)
{
	const char *only = getenv("BENCH_ONLY");

	if (!only || !*only)
		return true;
	/* TEXT|TEXT...: any of them; =NAME: that name exactly. */
	for (const char *p = only; *p;) {
		size_t len = strcspn(p, "|");

		if (p[0] == '=' ? len - 1 == strlen(sc->name) && !strncmp(sc->name, p + 1, len - 1)
				: len && memmem(sc->name, strlen(sc->name), p, len))
			return true;
		p += len + (p[len] == '|');
	}
	return false;
}

/* ---- report ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_of(const struct run *runs, size_t field_off)
{
	double v[RUNS];

	for (int i = 0; i < RUNS; i++)
		v[i] = *(const double *)((const char *)&runs[i] + field_off);
	qsort(v, RUNS, sizeof(v[0]), cmp_double);
	return v[RUNS / 2];
}

#define MEDIAN(runs, f) median_of(runs, offsetof(struct run, f))

static double gbps(uint64_t bytes, double seconds)
{
	return seconds > 0 ? bytes / 1e9 / seconds : 0;
}

/* The process trees (and tree_report, the ratio of the container's times
 * to the plain tree's). */
#include "tree.h"
/* CRIU beside ckpt (CRIU=PATH). */
#include "criu.h"

/* The bytes a scenario moves, for GB/s (0: not a memory scenario). */
static uint64_t moved(const struct scenario *sc)
{
	if (sc->spec.kind == T_TREE || sc->spec.kind == T_CONTAINER)
		return tree_bytes();
	return sc->spec.kind == T_MEMORY ? sc->spec.size : 0;
}

static void print_rate(FILE *f, uint64_t bytes, double s)
{
	if (bytes)
		fprintf(f, " %5.2f |", gbps(bytes, s));
	else
		fprintf(f, "     - |");
}

/* restore --lazy next to the plain restore of the same 4 GiB. */
static void lazy_report(FILE *f, struct run runs[][RUNS])
{
	for (size_t i = 0; i < NR_SCENARIOS; i++) {
		double plain, lazy;

		if (!scenarios[i].lazy || !selected(&scenarios[i]))
			continue;
		lazy = MEDIAN(runs[i], restore_s);
		plain = MEDIAN(runs[i], plain_s);
		fprintf(f, "\nrestore --lazy, 4 GiB: time to running %.1f ms, every page in after %.3f s;\n",
			lazy * 1e3, MEDIAN(runs[i], all_in_s));
		fprintf(f, "a plain restore of the same images: %.3f s (running %.0fx sooner lazily).\n",
			plain, lazy > 0 ? plain / lazy : 0);
	}
}

static void report(FILE *f, struct run runs[][RUNS], const struct limits *l, const char *version)
{
	double wr = gbps(GiB, l->write_s), pop = gbps(GiB, l->populate_s);
	double mc = gbps(GiB, l->memcpy_s), rv = gbps(GiB, l->readv_s);
	struct utsname u;
	time_t t = time(NULL);
	char date[64];

	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	fprintf(f, "Median of %d runs, wall clock, GB = 10^9 bytes. %s, Linux %s %s, %ld CPUs, %s.\n\n",
		RUNS, version, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN), date);
	fprintf(f, "Limits of this machine, same run (1 GiB): memcpy %.2f GB/s, process_vm_readv %.2f GB/s,\n",
		mc, rv);
	fprintf(f, "write() to /dev/shm %.2f GB/s, MADV_POPULATE_WRITE %.2f GB/s.\n\n", wr, pop);
	fprintf(f, "| target                               | images   | dump s |  GB/s | frozen ms | restore s |  GB/s | image MiB |");
	criu_header(f, false);
	fprintf(f, "|--------------------------------------|----------|-------:|------:|----------:|----------:|------:|----------:|");
	criu_header(f, true);
	for (size_t i = 0; i < NR_SCENARIOS; i++) {
		const struct scenario *sc = &scenarios[i];
		double d = MEDIAN(runs[i], dump_s), r = MEDIAN(runs[i], restore_s);

		if (!selected(sc))
			continue;
		if (skipped[i][0]) {
			fprintf(f, "| %-36s | %-8s | skipped: %s |\n", sc->name, image_dirs[sc->dir],
				skipped[i]);
			continue;
		}
		fprintf(f, "| %-36s | %-8s | %6.3f |", sc->name,
			sc->stream ? "a pipe" : image_dirs[sc->dir], d);
		print_rate(f, moved(sc), d);
		fprintf(f, " %9.1f | %9.3f |", MEDIAN(runs[i], frozen_ms), r);
		print_rate(f, moved(sc), r);
		fprintf(f, " %9.1f |", MEDIAN(runs[i], image_bytes) / MiB);
		criu_row(f, i, d, r);
	}
	/* 4 GiB on /dev/shm, against what the machine does. */
	if (selected(&scenarios[2])) {
		double d = gbps(4 * GiB, MEDIAN(runs[2], dump_s));
		double r = gbps(4 * GiB, MEDIAN(runs[2], restore_s));

		fprintf(f, "\nRatios (4 GiB, /dev/shm): dump/write() %.2f, dump/process_vm_readv %.2f;\n",
			d / wr, d / rv);
		fprintf(f, "restore/MADV_POPULATE_WRITE %.2f, restore/memcpy %.2f.\n", r / pop, r / mc);
	}
	lazy_report(f, runs);
	tree_report(f, runs);
	for (size_t i = 0; i < NR_SCENARIOS; i++) {
		double d0 = MEDIAN(runs[0], dump_s) + MEDIAN(runs[0], restore_s);
		double s1 = MEDIAN(runs[i], dump_s) + MEDIAN(runs[i], restore_s);

		if (!scenarios[i].stream || !selected(&scenarios[i]) || !selected(&scenarios[0]))
			continue;
		fprintf(f, "\nStream (1 GiB): dump | restore through a pipe %.3f s in all, nothing on disk;\n",
			s1);
		fprintf(f, "dump then restore through /dev/shm %.3f s: ratio %.2f.\n", d0, s1 / d0);
	}
	criu_note(f);
	fprintf(f, "\nImage size: what the images of a target hold, against its memory: zero\n");
	fprintf(f, "pages and pages never touched take no space; an incremental dump holds\n");
	fprintf(f, "the pages written since its parent.\n");
}

static void print_runs(FILE *f, struct run runs[][RUNS])
{
	for (size_t i = 0; i < NR_SCENARIOS; i++)
		for (int k = 0; k < RUNS && !skipped[i][0] && selected(&scenarios[i]); k++) {
			fprintf(f, "%s, %s, run %d: dump %.3f s, frozen %.1f ms, restore %.3f s, image %.1f MiB\n",
				scenarios[i].name, image_dirs[scenarios[i].dir], k + 1, runs[i][k].dump_s,
				runs[i][k].frozen_ms, runs[i][k].restore_s,
				runs[i][k].image_bytes / MiB);
			if (criu_runs_it(&scenarios[i]))
				criu_print_run(f, i, k);
		}
}

static void write_results(struct run runs[][RUNS], const struct limits *l, const char *version)
{
	const char *path = getenv("CKPT_BENCH_RESULTS");
	char tmp[4200];
	FILE *f;

	if (!path) {
		path = "bench/RESULTS.md";
		if (mkdir("bench", 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "bench: cannot create 'bench': %s\n", strerror(errno));
			return;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "bench: cannot write '%s': %s\n", tmp, strerror(errno));
		return;
	}
	fprintf(f, "# ckpt benchmark\n\n");
	fprintf(f, "Written by `make bench` (test/bench/bench.c); numbers from the last run.\n\n");
	report(f, runs, l, version);
	fprintf(f, "\nEach run:\n\n```\n");
	print_runs(f, runs);
	fprintf(f, "```\n");
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		fprintf(stderr, "bench: cannot write '%s': %s\n", path, strerror(errno));
		unlink(tmp);
		return;
	}
	printf("\n(written to %s)\n", path);
}

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	static struct run runs[NR_SCENARIOS][RUNS];
	struct limits limits;
	char version[128];

	if (argc < 2 || argc > 3 || argv[1][0] == '-' || (argc == 3 && argv[2][0] == '-')) {
		fprintf(stderr, "usage: %s CKPT [CRIU]\n  e.g. %s ./ckpt /usr/sbin/criu\n", argv[0],
			argv[0]);
		return 2;
	}
	tool = ckpt = argv[1];
	criu = argc == 3 ? argv[2] : NULL;
	for (int i = 1; i < argc; i++)
		if (access(argv[i], X_OK) < 0) {
			fprintf(stderr, "bench: cannot run '%s': %s\n", argv[i], strerror(errno));
			return 1;
		}
	snprintf(prefix, sizeof(prefix), "ckpt-bench-%d-", getpid());
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa = { .sa_handler = on_signal };

		sigaction(sigs[i], &sa, NULL);
	}
	/* A restored target is the child of `ckpt restore`, which exits: as
	 * a subreaper we inherit it, can reap it, and know its PID is free. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		fprintf(stderr, "bench: note: not a subreaper: %s\n", strerror(errno));
	setvbuf(stdout, NULL, _IOLBF, 0);

	ckpt_version(version, sizeof(version));
	printf("bench: %s, %zu scenarios, %d runs each\n", version, NR_SCENARIOS, RUNS);
	if (criu) {
		criu_version();
		printf("bench: CRIU %s (%s) alternating with ckpt where marked\n", criu_version_str,
		       criu);
	}
	measure_limits(&limits);
	for (size_t i = 0; i < NR_SCENARIOS; i++)
		for (int k = 0; k < RUNS && selected(&scenarios[i]); k++) {
			struct run *r = &runs[i][k];
			enum target_kind kind = scenarios[i].spec.kind;

			if (kind == T_TREE || kind == T_CONTAINER) {
				if (!tree_run(&scenarios[i], k, r, skipped[i], sizeof(skipped[i]),
					      false)) {
					printf("bench: skipped '%s': ckpt refuses it: %s\n",
					       scenarios[i].name, skipped[i]);
					break;
				}
				skipped[i][0] = 0;
			} else {
				one_run(&scenarios[i], k, r, false);
			}
			printf("%s, %s, run %d: dump %.3f s, frozen %.1f ms, restore %.3f s, image %.1f MiB",
			       scenarios[i].name, image_dirs[scenarios[i].dir], k + 1, r->dump_s,
			       r->frozen_ms, r->restore_s, r->image_bytes / MiB);
			if (scenarios[i].lazy)
				printf(", every page in %.3f s, plain restore %.3f s", r->all_in_s,
				       r->plain_s);
			printf("\n");
			if (criu_runs_it(&scenarios[i]))
				criu_run(i, k);
		}
	printf("\n");
	report(stdout, runs, &limits, version);
	if (!getenv("BENCH_ONLY"))
		write_results(runs, &limits, version);
	cleanup();
	return 0;
}
