/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tree.h - the process-tree scenarios of bench.c, included by it after its
 * helpers (a header so that bench.c stays one program built from one file):
 *
 *	a plain tree of TREE_PROCS processes (a root and its children) holding
 *	1 GiB of written anonymous memory in total, each its own share;
 *
 *	the same tree as a container: the root in new mnt, uts and ipc
 *	namespaces with a tmpfs holding a file and a hostname of its own, its
 *	children in a new pid namespace (the first is its init), what
 *	`unshare --fork --pid --mount --uts --ipc` makes (test 290).
 *
 * Issue 12 asks dump and restore of the container to take at most 1.5
 * times as long as the plain tree's, measured side by side in the same
 * run: the report prints that ratio. Until ckpt saves namespaces the
 * container is refused at dump: then its scenario is skipped with one line
 * saying why, and the bench goes on.
 *
 * BENCH_TREE_MIB=N: N MiB in total instead of 1024 (a quick run).
 */

#include <sched.h>
#include <sys/mount.h>

#define TREE_PROCS 100
#define TREE_FILE_BYTES (1ull << 20) /* the container's file in its tmpfs */
#define PATTERN_K 0x9e3779b97f4a7c15ull /* pattern()'s multiplier */

static char tree_dir[128]; /* the container's tmpfs mount point (/dev/shm/PREFIXtree) */

static uint64_t tree_bytes(void)
{
	const char *mib = getenv("BENCH_TREE_MIB");
	unsigned long long n = mib ? strtoull(mib, NULL, 10) : 0;

	return n ? n * MiB : GiB;
}

/* Each process's share, whole pages. */
static uint64_t tree_share(void)
{
	return tree_bytes() / TREE_PROCS & ~4095ull;
}

/* Process @idx of the tree fills its share with pattern(seed ^ idx, i):
 * word 1 tells the checker which share it holds. */
static void tree_fill(char *mem, uint64_t seed, uint64_t idx)
{
	(void)madvise(mem, tree_share(), MADV_POPULATE_WRITE);
	fill_pattern((uint64_t *)mem, tree_share() / 8, seed ^ idx, 0, false);
}

static void tree_file_fill(uint64_t *buf, uint64_t seed)
{
	fill_pattern(buf, TREE_FILE_BYTES / 8, ~seed, 0, true);
}

/* The container's own: namespaces, a tmpfs with a file, a hostname. */
static void tree_container_setup(uint64_t seed)
{
	char path[192];
	uint64_t *buf = malloc(TREE_FILE_BYTES);
	int fd;

	if (!buf || unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID) < 0)
		_exit(5);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", tree_dir, "tmpfs", 0, "size=16m") < 0)
		_exit(5);
	if (sethostname("ckpt-bench", 10) < 0)
		_exit(5);
	snprintf(path, sizeof(path), "%s/data", tree_dir);
	tree_file_fill(buf, seed);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, TREE_FILE_BYTES) != (ssize_t)TREE_FILE_BYTES)
		_exit(5);
	close(fd);
	free(buf);
}

/* One process of the tree below the root: fills its share, says so on
 * @kid_fd, waits. */
static void __attribute__((noreturn))
tree_member(char *mem, uint64_t seed, uint64_t idx, int kid_fd)
{
	tree_fill(mem, seed, idx);
	if (write(kid_fd, "k", 1) != 1)
		_exit(4);
	close(kid_fd);
	for (;;)
		pause();
}

/* The root of the tree (forked by start_target, target_main calls this):
 * leads its own group and forks one child, which forks the other
 * TREE_PROCS - 2 (the shape of a container: the child is the init of the
 * pid namespace, the rest its children). Each fills its own share of one
 * mapping made before the forks (untouched then: nothing is shared
 * copy-on-write); the root fills its own and says ready once every other
 * process has. */
static void tree_main(int ready_fd, const struct target_spec *spec, uint64_t seed,
		      struct target_info *info)
{
	uint64_t share = tree_share();
	int kids[2];
	char *mem, c;
	pid_t pid;

	if (setpgid(0, 0) < 0)
		_exit(5);
	if (spec->kind == T_CONTAINER)
		tree_container_setup(seed);
	mem = mmap(NULL, share, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || pipe2(kids, O_CLOEXEC) < 0)
		_exit(3);
	pid = fork();
	if (pid < 0)
		_exit(6);
	if (pid == 0) {
		close(ready_fd);
		close(kids[0]);
		for (uint64_t i = 2; i < TREE_PROCS; i++) {
			pid_t k = fork();

			if (k < 0)
				_exit(6);
			if (k == 0)
				tree_member(mem, seed, i, kids[1]);
		}
		tree_member(mem, seed, 1, kids[1]);
	}
	close(kids[1]);
	tree_fill(mem, seed, 0);
	/* A process that failed closed its end without a byte: read sees EOF. */
	for (int i = 1; i < TREE_PROCS; i++)
		if (read(kids[0], &c, 1) != 1)
			_exit(7);
	close(kids[0]);
	info->mem = (uintptr_t)mem;
	info->mem_len = share;
	if (write(ready_fd, info, sizeof(*info)) != sizeof(*info))
		_exit(4);
	close(ready_fd);
	for (;;) {
		pause();
		wakeups++;
	}
}

/* The children of @pid (its one thread) appended to @out (at most @max in
 * all); the new count. */
static int tree_children(pid_t pid, pid_t *out, int n, int max)
{
	char path[64], buf[16384];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return n;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[len > 0 ? len : 0] = 0;
	for (char *p = buf, *end; n < max; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		out[n++] = (pid_t)v;
	}
	return n;
}

/* Every process below @root, at most @max; their number. */
static int tree_members(pid_t root, pid_t *out, int max)
{
	int n = tree_children(root, out, 0, max);

	for (int i = 0; i < n; i++)
		n = tree_children(out[i], out, n, max);
	return n;
}

/* Kill the tree's group and reap what comes back to us (we are a child
 * subreaper), until every PID given is free (10 s at most). */
static void tree_kill_wait(pid_t root, const pid_t *pids, int n)
{
	kill(-root, SIGKILL);
	kill(root, SIGKILL);
	for (int tries = 0; tries < 1000; tries++) {
		bool any = false;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (int i = 0; i < n && !any; i++)
			any = pid_exists(pids[i]);
		if (!any && !pid_exists(root))
			return;
		sleep_ms(10);
	}
	die("the tree of %d is still there 10 s after it was killed", root);
}

/* Every process of the restored tree holds its own share, every byte; every
 * share is held once. */
static void tree_verify(pid_t root, const struct target_info *info, uint64_t seed, bool container)
{
	pid_t pids[TREE_PROCS + 1];
	bool seen[TREE_PROCS] = { false };
	uint64_t *buf = malloc(CHECK_CHUNK);
	int n;

	if (!buf)
		die("out of memory");
	pids[0] = root;
	n = 1 + tree_members(root, pids + 1, TREE_PROCS);
	if (n != TREE_PROCS)
		die("restored tree of %d has %d processes, want %d", root, n, TREE_PROCS);
	for (int k = 0; k < n; k++) {
		uint64_t idx = 0;

		for (uint64_t off = 0; off < info->mem_len; off += CHECK_CHUNK) {
			uint64_t len = info->mem_len - off < CHECK_CHUNK ? info->mem_len - off
									 : CHECK_CHUNK;

			read_target(pids[k], info->mem + off, buf, len);
			if (off == 0) {
				idx = buf[1] ^ PATTERN_K ^ seed;
				if (idx >= TREE_PROCS || seen[idx])
					die("process %d of the restored tree holds no share of its own",
					    pids[k]);
				seen[idx] = true;
			}
			for (uint64_t w = 0; w < len / 8; w++)
				if (buf[w] != pattern(seed ^ idx, off / 8 + w))
					die("memory of %d differs at offset %#llx", pids[k],
					    (unsigned long long)(off + w * 8));
		}
	}
	if (container) {
		char path[256];
		uint64_t *want = malloc(TREE_FILE_BYTES);
		int fd;

		/* /proc/PID/root: the file as the container's mount namespace has it. */
		snprintf(path, sizeof(path), "/proc/%d/root%s/data", root, tree_dir);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (!want || fd < 0 || read(fd, buf, TREE_FILE_BYTES) != (ssize_t)TREE_FILE_BYTES)
			die("cannot read the restored container's file '%s'", path);
		close(fd);
		tree_file_fill(want, seed);
		if (memcmp(buf, want, TREE_FILE_BYTES))
			die("the restored container's file '%s' differs", path);
		free(want);
	}
	free(buf);
}

/* One run of a tree scenario, by ckpt or by CRIU if @with_criu; false if
 * ckpt refused to dump the container (it then runs on untouched: killed
 * here). */
static bool tree_run(const struct scenario *sc, int n, struct run *r, char *why, size_t why_len,
		     bool with_criu)
{
	uint64_t seed = ((uint64_t)getpid() << 32) ^ (uint64_t)(now() * 1e9) ^ (uint64_t)n;
	bool container = sc->spec.kind == T_CONTAINER;
	char images[256], pidfile[300], pidbuf[16], line[512];
	const char *dump_args[12] = { "dump", "-v", "--pid", pidbuf, "--images", images };
	const char *restore_args[12] = { "restore", "--images", images, "--detach", "--pidfile",
					 pidfile };
	pid_t pids[TREE_PROCS];
	struct target_info info;
	FILE *log = tmpfile();
	int status, nkids;
	double t_gone;
	pid_t pid;

	if (!log)
		die("tmpfile: %s", strerror(errno));
	snprintf(tree_dir, sizeof(tree_dir), "/dev/shm/%stree", prefix);
	if (container && mkdir(tree_dir, 0700) < 0 && errno != EEXIST)
		die("cannot make '%s': %s", tree_dir, strerror(errno));
	target_group = true;
	info = start_target(&sc->spec, seed);
	pid = target_pid;
	nkids = tree_members(pid, pids, TREE_PROCS);
	if (nkids != TREE_PROCS - 1)
		die("the tree of %d has %d processes below its root, want %d", pid, nkids,
		    TREE_PROCS - 1);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	snprintf(images, sizeof(images), "%s/%s%d-%d%s", image_dirs[sc->dir], prefix,
		 (int)(sc - scenarios), n, with_criu ? "-criu" : "");
	snprintf(pidfile, sizeof(pidfile), "%s.pid", images);
	if (with_criu) {
		criu_dump_args(dump_args, pidbuf, images);
		criu_restore_args(restore_args, images, pidfile);
	}

	r->dump_s = run_ckpt_status(-1, fileno(log), dump_args, &status);
	r->frozen_ms = -1;
	why[0] = 0;
	rewind(log);
	while (fgets(line, sizeof(line), log)) {
		const char *p = strstr(line, "frozen for ");

		if (getenv("BENCH_LOG"))
			fputs(line, stderr);
		if (p)
			r->frozen_ms = strtod(p + 11, NULL);
		if (!strncmp(line, "ckpt: cannot ", 13))
			snprintf(why, why_len, "%.*s", (int)strcspn(line, "\n"), line);
	}
	fclose(log);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (!container || !WIFEXITED(status) || WEXITSTATUS(status) != 1 || !why[0])
			die("'%s dump --pid %d' failed (status %#x): %s", tool, pid, status, why);
		/* The dump refused the container and left it running: ours to end. */
		tree_kill_wait(pid, pids, nkids);
		target_pid = 0;
		return false;
	}
	/* Over when the tree is gone (timed_wait_pid_free). */
	t_gone = now();
	tree_kill_wait(pid, pids, nkids);
	r->dump_s += now() - t_gone;
	r->image_bytes = (double)dir_size(images);
	target_pid = 0;

	r->restore_s = run_ckpt(-1, -1, restore_args);
	{
		FILE *f = fopen(pidfile, "r");
		int root = 0;

		if (!f || fscanf(f, "%d", &root) != 1 || root <= 0)
			die("no PID in the --pidfile '%s' of the restore", pidfile);
		fclose(f);
		target_pid = root;
		unlink(pidfile);
	}
	verify_running(target_pid, &sc->spec, &info);
	tree_verify(target_pid, &info, seed, container);
	verify_running(target_pid, &sc->spec, &info);
	nkids = tree_members(target_pid, pids, TREE_PROCS);
	tree_kill_wait(target_pid, pids, nkids);
	target_pid = 0;
	target_group = false;
	if (!rm_rf_at(AT_FDCWD, images, 0))
		die("cannot remove '%s'", images);
	return true;
}

/* What issue 12 asks: the container's dump and restore against the plain
 * tree's, measured in the same run. */
static void tree_report(FILE *f, struct run runs[][RUNS])
{
	size_t plain = NR_SCENARIOS, ctr = NR_SCENARIOS;

	for (size_t i = 0; i < NR_SCENARIOS; i++) {
		if (scenarios[i].spec.kind == T_TREE)
			plain = i;
		if (scenarios[i].spec.kind == T_CONTAINER)
			ctr = i;
	}
	if (plain == NR_SCENARIOS || ctr == NR_SCENARIOS || !selected(&scenarios[plain]) ||
	    !selected(&scenarios[ctr]))
		return;
	fprintf(f, "\nContainer against the plain tree of the same size (%d processes, %llu MiB): ",
		TREE_PROCS, (unsigned long long)(tree_bytes() / MiB));
	if (skipped[ctr][0] || skipped[plain][0]) {
		fprintf(f, "not measured, %s.\n", skipped[ctr][0] ? skipped[ctr] : skipped[plain]);
		return;
	}
	fprintf(f, "dump %.2fx, restore %.2fx (issue 12: at most 1.5x each).\n",
		MEDIAN(runs[ctr], dump_s) / MEDIAN(runs[plain], dump_s),
		MEDIAN(runs[ctr], restore_s) / MEDIAN(runs[plain], restore_s));
}
