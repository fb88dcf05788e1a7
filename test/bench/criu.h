/* SPDX-License-Identifier: GPL-2.0 */
/*
 * criu.h - CRIU beside ckpt in bench.c (`make bench CRIU=/path/to/criu`),
 * included by it after its helpers, as tree.h is.
 *
 * The scenarios marked .criu run twice per round: ckpt's run, then CRIU's
 * run on a new target of the same kind, alternating, so that both see the
 * machine in the same state. CRIU's commands are what its users type for a
 * job started from a shell:
 *
 *	criu dump -t PID -D DIR --shell-job -o dump.log
 *	criu restore -D DIR --shell-job -d -o restore.log [--pidfile FILE]
 *
 * with DIR on the same file system as ckpt's images. Its restored target is
 * checked as ckpt's is (the same PID runs, handles a signal, holds every
 * byte). The table gains CRIU's medians and the ratios ckpt/CRIU (below 1:
 * ckpt is faster). CRIU does not say how long the tree was frozen.
 */

static struct run criu_runs[NR_SCENARIOS][RUNS];
static char criu_version_str[64];

static void criu_dump_args(const char **args, const char *pid, const char *images)
{
	const char *a[] = { "dump", "-t", pid, "-D", images, "--shell-job", "-o", "dump.log", NULL };

	/* CRIU writes into a directory that exists. */
	if (mkdir(images, 0700) < 0)
		die("cannot make '%s': %s", images, strerror(errno));
	memcpy(args, a, sizeof(a));
}

static void criu_restore_args(const char **args, const char *images, const char *pidfile)
{
	const char *a[] = { "restore", "-D",	    images, "--shell-job", "-d", "-o",
			    "restore.log", "--pidfile", pidfile, NULL };

	memcpy(args, a, sizeof(a));
	if (!pidfile)
		args[7] = NULL;
}

/* "4.2" from `criu --version` ("Version: 4.2"). */
static void criu_version(void)
{
	const char *args[] = { "--version", NULL };
	char buf[256], *p;
	ssize_t n;
	int fds[2];

	snprintf(criu_version_str, sizeof(criu_version_str), "?");
	if (pipe(fds) < 0)
		return;
	tool = criu;
	run_ckpt(fds[1], -1, args);
	tool = ckpt;
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	if (n <= 0)
		return;
	buf[n] = 0;
	p = strstr(buf, "Version: ");
	if (p)
		snprintf(criu_version_str, sizeof(criu_version_str), "%.*s",
			 (int)strcspn(p + 9, "\n"), p + 9);
}

static bool criu_runs_it(const struct scenario *sc)
{
	return criu && sc->criu;
}

/* The columns CRIU adds to the table's header. */
static void criu_header(FILE *f, bool rule)
{
	if (!criu)
		fprintf(f, "\n");
	else if (!rule)
		fprintf(f, " CRIU dump s | dump x | CRIU restore s | restore x |\n");
	else
		fprintf(f, "------------:|-------:|---------------:|----------:|\n");
}

/* CRIU's medians and the ratios ckpt/CRIU for row @i. */
static void criu_row(FILE *f, size_t i, double ckpt_dump, double ckpt_restore)
{
	double d, r;

	if (!criu) {
		fprintf(f, "\n");
		return;
	}
	if (!criu_runs_it(&scenarios[i])) {
		fprintf(f, "           - |      - |              - |         - |\n");
		return;
	}
	d = MEDIAN(criu_runs[i], dump_s);
	r = MEDIAN(criu_runs[i], restore_s);
	fprintf(f, " %11.3f | %6.2f | %14.3f | %9.2f |\n", d, d > 0 ? ckpt_dump / d : 0, r,
		r > 0 ? ckpt_restore / r : 0);
}

static void criu_note(FILE *f)
{
	if (!criu)
		return;
	fprintf(f, "\nCRIU %s (%s) ran the rows with CRIU columns in the same run, alternating\n",
		criu_version_str, criu);
	fprintf(f, "with ckpt (`criu dump -t PID -D DIR --shell-job`, `criu restore -D DIR\n");
	fprintf(f, "--shell-job -d`, DIR beside ckpt's images); x = ckpt's median / CRIU's\n");
	fprintf(f, "(below 1: ckpt is faster).\n");
}

static void criu_print_run(FILE *f, size_t i, int k)
{
	const struct run *r = &criu_runs[i][k];

	fprintf(f, "%s, %s, CRIU run %d: dump %.3f s, restore %.3f s, image %.1f MiB\n",
		scenarios[i].name, image_dirs[scenarios[i].dir], k + 1, r->dump_s, r->restore_s,
		r->image_bytes / MiB);
}

/* CRIU's run @k of scenario @i, right after ckpt's. */
static void criu_run(size_t i, int k)
{
	const struct scenario *sc = &scenarios[i];
	struct run *r = &criu_runs[i][k];
	char why[512];

	tool = criu;
	if (sc->spec.kind == T_TREE || sc->spec.kind == T_CONTAINER)
		(void)tree_run(sc, k, r, why, sizeof(why), true);
	else
		one_run(sc, k, r, true);
	tool = ckpt;
	criu_print_run(stdout, i, k);
}
