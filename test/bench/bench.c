// SPDX-License-Identifier: GPL-2.0
/*
 * bench CKPT: how fast `CKPT dump` and `CKPT restore` move 1 GiB of
 * anonymous memory, next to what the kernel's copy paths do on the same
 * machine in the same run:
 *
 *	memcpy               1 GiB to 1 GiB, both pre-touched
 *	process_vm_readv     1 GiB from the target child into a pre-touched buffer
 *	write() to /dev/shm  1 GiB in 32 MiB writes to a tmpfs file
 *	MADV_POPULATE_WRITE  1 GiB of fresh anonymous memory
 *
 * Each run starts a target child holding 1 GiB of written memory (a known
 * pattern), dumps it to /dev/shm, restores it with --detach, checks that
 * the same PID is alive, handles a signal, and holds the same bytes, then
 * kills it. Three runs; the medians are printed and written to
 * bench/RESULTS.md (or $CKPT_BENCH_RESULTS). It reports speed and never
 * fails on it; it fails (exit 1) only when ckpt fails or restores wrong
 * memory. Processes and /dev/shm files are cleaned up on every exit path.
 *
 * Only libc; single file; build: cc -O2 -Wall -D_GNU_SOURCE bench.c
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#define GiB (1ull << 30)
#define MEM_SIZE GiB
#define RUNS 3
#define WRITE_CHUNK (32ull << 20)
#define SHM "/dev/shm"

/* ---- state that cleanup needs, reachable from a signal handler ---------- */

static volatile pid_t target_pid; /* the target, dumped or restored */
static volatile pid_t ckpt_pid; /* a running ckpt command */
static char shm_prefix[64]; /* "ckpt-bench-PID-": every /dev/shm entry we make */
static const char *ckpt;

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

/* Remove every /dev/shm entry of this run: image dirs, ckpt's temporary
 * ".NAME.ckpt-XXXXXX" dirs beside them, the write() test file. */
static void remove_shm_files(void)
{
	char buf[4096];
	size_t plen = strlen(shm_prefix);
	int fd = open(SHM, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
				if ((!strncmp(name, shm_prefix, plen) ||
				     (name[0] == '.' && !strncmp(name + 1, shm_prefix, plen))) &&
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
	remove_shm_files();
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
 * so misplaced, missing or stale pages all show. */
static inline uint64_t pattern(uint64_t seed, uint64_t i)
{
	return (i * 0x9e3779b97f4a7c15ull) ^ seed;
}

static void fill_pattern(uint64_t *p, size_t words, uint64_t seed)
{
	for (size_t i = 0; i < words; i++)
		p[i] = pattern(seed, i);
}

/* Index of the first wrong word, or (size_t)-1. */
static size_t check_pattern(const uint64_t *p, size_t words, uint64_t seed)
{
	for (size_t i = 0; i < words; i++)
		if (p[i] != pattern(seed, i))
			return i;
	return (size_t)-1;
}

static void *map_touched(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("cannot map %zu bytes: %s", len, strerror(errno));
	/* Not inherited by the target: it must hold only its own 1 GiB. */
	if (madvise(p, len, MADV_DONTFORK) < 0)
		die("MADV_DONTFORK: %s", strerror(errno));
	(void)madvise(p, len, MADV_POPULATE_WRITE);
	memset(p, 1, len);
	return p;
}

/* On a VM, the first touch of a guest page that the host has not backed
 * yet costs several times a normal fault, and which allocation gets such
 * pages is luck. Touch and free as much memory as a run uses, so that the
 * runs measure ckpt and the kernel, not the host. */
static void warm_up(void)
{
	const size_t len = 4 * GiB;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	(void)madvise(p, len, MADV_POPULATE_WRITE);
	munmap(p, len);
}

/* ---- the target --------------------------------------------------------- */

/* What the target tells us through its ready pipe. */
struct target_info {
	uint64_t mem; /* address of its MEM_SIZE bytes */
	uint64_t wakeups; /* address of its counter of signals handled */
};

static volatile uint64_t wakeups;

static void on_usr1(int sig)
{
	(void)sig;
}

static void __attribute__((noreturn)) target_main(int ready_fd, uint64_t seed)
{
	struct target_info info;
	struct sigaction sa = { .sa_handler = on_usr1 };
	int null = open("/dev/null", O_RDWR);
	uint64_t *mem;

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

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		_exit(3);
	/* Populate in bulk: faulting 1 GiB page by page is very slow here. */
	(void)madvise(mem, MEM_SIZE, MADV_POPULATE_WRITE);
	fill_pattern(mem, MEM_SIZE / 8, seed);

	info.mem = (uintptr_t)mem;
	info.wakeups = (uintptr_t)&wakeups;
	if (write(ready_fd, &info, sizeof(info)) != sizeof(info))
		_exit(4);
	close(ready_fd);
	for (;;) {
		pause();
		wakeups++;
	}
}

static struct target_info start_target(uint64_t seed)
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
		target_main(p[1], seed);
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
 * if >= 0), stderr passed through. Returns the wall-clock seconds; dies if
 * it fails. */
static double run_ckpt(int out_fd, const char *const *args)
{
	char *argv[16];
	int status, i = 0;
	double t0, t;
	pid_t pid;

	argv[i++] = (char *)ckpt;
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
		execv(ckpt, argv);
		fprintf(stderr, "bench: cannot run '%s': %s\n", ckpt, strerror(errno));
		_exit(127);
	}
	ckpt_pid = pid;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	t = now() - t0;
	ckpt_pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char cmd[512];
		size_t off = 0;

		for (int k = 0; argv[k] && off < sizeof(cmd) - 1; k++)
			off += snprintf(cmd + off, sizeof(cmd) - off, "%s%s", k ? " " : "",
					argv[k]);
		if (WIFEXITED(status))
			die("'%s' exited with status %d", cmd, WEXITSTATUS(status));
		die("'%s' was killed by signal %d", cmd, WTERMSIG(status));
	}
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
	run_ckpt(p[1], args);
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

/* ---- measurements ------------------------------------------------------- */

struct run {
	double memcpy_s, readv_s, write_s, populate_s, dump_s, restore_s;
	double image_bytes;
};

static double time_memcpy(void *dst, const void *src)
{
	double t0 = now();

	memcpy(dst, src, MEM_SIZE);
	/* Keep the copy from being optimised away. */
	__asm__ volatile("" : : "r"(dst) : "memory");
	return now() - t0;
}

static double time_populate(void)
{
	void *p = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, t;

	if (p == MAP_FAILED)
		die("cannot map 1 GiB: %s", strerror(errno));
	t0 = now();
	if (madvise(p, MEM_SIZE, MADV_POPULATE_WRITE) < 0)
		die("MADV_POPULATE_WRITE: %s", strerror(errno));
	t = now() - t0;
	munmap(p, MEM_SIZE);
	return t;
}

static double time_shm_write(const void *buf)
{
	char path[128];
	double t0, t;
	int fd;

	snprintf(path, sizeof(path), SHM "/%swrite", shm_prefix);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("cannot create '%s': %s", path, strerror(errno));
	t0 = now();
	for (uint64_t off = 0; off < MEM_SIZE;) {
		uint64_t len = MEM_SIZE - off < WRITE_CHUNK ? MEM_SIZE - off : WRITE_CHUNK;
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

static double time_readv(pid_t pid, uint64_t addr, void *buf)
{
	double t0 = now();

	read_target(pid, addr, buf, MEM_SIZE);
	return now() - t0;
}

static void verify_memory(pid_t pid, const struct target_info *info, void *buf, uint64_t seed,
			  const char *when)
{
	size_t bad;

	read_target(pid, info->mem, buf, MEM_SIZE);
	bad = check_pattern(buf, MEM_SIZE / 8, seed);
	if (bad != (size_t)-1)
		die("%s: memory of %d differs at offset %#zx: %#llx, want %#llx", when, pid,
		    bad * 8, (unsigned long long)((uint64_t *)buf)[bad],
		    (unsigned long long)pattern(seed, bad));
}

/* The restored target runs: it handles SIGUSR1 and comes back to its loop. */
static void verify_running(pid_t pid, const struct target_info *info)
{
	uint64_t before, after;
	char st = proc_state(pid);

	if (!pid_exists(pid) || !st || st == 'Z' || st == 'X')
		die("restored process %d is not running (state '%c')", pid, st ? st : '?');
	read_target(pid, info->wakeups, &before, sizeof(before));
	if (kill(pid, SIGUSR1) < 0)
		die("cannot signal restored process %d: %s", pid, strerror(errno));
	for (int i = 0; i < 200; i++) {
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

static void one_run(int n, struct run *r, void *src, void *dst)
{
	uint64_t seed = ((uint64_t)getpid() << 32) ^ (uint64_t)(now() * 1e9) ^ (uint64_t)n;
	char images[128];
	const char *dump_args[] = { "dump", "--pid", NULL, "--images", images, NULL };
	const char *restore_args[] = { "restore", "--images", images, "--detach", NULL };
	char pidbuf[16];
	struct target_info info;
	pid_t pid;

	r->memcpy_s = time_memcpy(dst, src);
	r->populate_s = time_populate();
	r->write_s = time_shm_write(src);

	info = start_target(seed);
	pid = target_pid;
	r->readv_s = time_readv(pid, info.mem, dst);
	if (check_pattern(dst, MEM_SIZE / 8, seed) != (size_t)-1)
		die("target %d does not hold its pattern before the dump (bench bug)", pid);

	snprintf(images, sizeof(images), SHM "/%s%d", shm_prefix, n);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	dump_args[2] = pidbuf;
	r->dump_s = run_ckpt(-1, dump_args);
	r->image_bytes = (double)dir_size(images);
	wait_pid_free(pid);
	target_pid = 0;

	/* From here the PID is ours to kill again, also if restore is cut
	 * short; once restored, we are its subreaper and can reap it. */
	target_pid = pid;
	r->restore_s = run_ckpt(-1, restore_args);
	verify_running(pid, &info);
	verify_memory(pid, &info, dst, seed, "after restore");
	verify_running(pid, &info);

	kill_and_reap(&target_pid);
	if (!rm_rf_at(AT_FDCWD, images, 0))
		die("cannot remove '%s'", images);
}

/* ---- report ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const struct run *runs, size_t field_off)
{
	double v[RUNS];

	for (int i = 0; i < RUNS; i++)
		v[i] = *(const double *)((const char *)&runs[i] + field_off);
	qsort(v, RUNS, sizeof(v[0]), cmp_double);
	return v[RUNS / 2];
}

#define MEDIAN(runs, f) median(runs, offsetof(struct run, f))

static double gbps(double seconds)
{
	return seconds > 0 ? MEM_SIZE / 1e9 / seconds : 0;
}

static void print_run(FILE *f, int i, const struct run *r)
{
	fprintf(f,
		"run %d: memcpy %.2f  readv %.2f  write %.2f  populate %.2f  "
		"dump %.2f  restore %.2f GB/s  image %.1f MiB\n",
		i + 1, gbps(r->memcpy_s), gbps(r->readv_s), gbps(r->write_s), gbps(r->populate_s),
		gbps(r->dump_s), gbps(r->restore_s), r->image_bytes / (1 << 20));
}

static void report(FILE *f, const struct run *runs, const char *version)
{
	struct {
		const char *what;
		double s;
	} rows[] = {
		{ "memcpy (pre-touched)", MEDIAN(runs, memcpy_s) },
		{ "process_vm_readv from a child", MEDIAN(runs, readv_s) },
		{ "write() to /dev/shm, 32 MiB writes", MEDIAN(runs, write_s) },
		{ "MADV_POPULATE_WRITE", MEDIAN(runs, populate_s) },
		{ "ckpt dump to /dev/shm", MEDIAN(runs, dump_s) },
		{ "ckpt restore --detach", MEDIAN(runs, restore_s) },
	};
	double mc = gbps(rows[0].s), rv = gbps(rows[1].s), wr = gbps(rows[2].s);
	double pop = gbps(rows[3].s), dump = gbps(rows[4].s), rest = gbps(rows[5].s);
	struct utsname u;
	time_t t = time(NULL);
	char date[64];

	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	fprintf(f, "Target: 1 GiB of written anonymous memory. Median of %d runs, wall clock,\n",
		RUNS);
	fprintf(f, "GB = 10^9 bytes. %s, Linux %s %s, %ld CPUs, %s.\n\n", version, u.release,
		u.machine, sysconf(_SC_NPROCESSORS_ONLN), date);
	fprintf(f, "| 1 GiB through                        | seconds |  GB/s | vs memcpy |\n");
	fprintf(f, "|--------------------------------------|--------:|------:|----------:|\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		fprintf(f, "| %-36s | %7.3f | %5.2f | %9.2f |\n", rows[i].what, rows[i].s,
			gbps(rows[i].s), mc > 0 ? gbps(rows[i].s) / mc : 0);
	fprintf(f, "\nImage size: %.1f MiB (median) for 1024 MiB of memory.\n\n",
		MEDIAN(runs, image_bytes) / (1 << 20));
	fprintf(f, "Ratios: dump/memcpy %.2f, dump/process_vm_readv %.2f, dump/write() %.2f;\n",
		dump / mc, dump / rv, dump / wr);
	fprintf(f, "restore/memcpy %.2f, restore/MADV_POPULATE_WRITE %.2f.\n", rest / mc,
		rest / pop);
}

static void write_results(const struct run *runs, const char *version)
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
	report(f, runs, version);
	fprintf(f, "\nEach run (GB/s):\n\n```\n");
	for (int i = 0; i < RUNS; i++)
		print_run(f, i, &runs[i]);
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
	struct run runs[RUNS];
	char version[128];
	void *src, *dst;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s CKPT\n  e.g. %s ./ckpt\n", argv[0], argv[0]);
		return 2;
	}
	ckpt = argv[1];
	if (access(ckpt, X_OK) < 0) {
		fprintf(stderr, "bench: cannot run '%s': %s\n", ckpt, strerror(errno));
		return 1;
	}
	snprintf(shm_prefix, sizeof(shm_prefix), "ckpt-bench-%d-", getpid());
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
	printf("bench: %s, 1 GiB target, %d runs\n", version, RUNS);
	warm_up();
	src = map_touched(MEM_SIZE);
	dst = map_touched(MEM_SIZE);
	for (int i = 0; i < RUNS; i++) {
		struct run *r = &runs[i];

		one_run(i, r, src, dst);
		print_run(stdout, i, r);
	}
	printf("\n");
	report(stdout, runs, version);
	write_results(runs, version);
	munmap(src, MEM_SIZE);
	munmap(dst, MEM_SIZE);
	cleanup();
	return 0;
}
