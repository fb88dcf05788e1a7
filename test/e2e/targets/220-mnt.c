/*
 * 220-mnt.c - a target in a mount namespace of its own, which looks at the
 * mounts under a directory and the files in them.
 *
 * Usage: 220-mnt WORKDIR DIR [RO_PATH]
 *
 * At start it takes its view of DIR: every mount under it from its own
 * /proc/self/mountinfo (mount point, type, root, per-mount options,
 * propagation with the peer group numbers renumbered in order of first
 * appearance, and how deep it sits in a stack of mounts on one mount
 * point), and every file reachable under DIR (path, type, mode, owner,
 * size, a hash of the contents, a symlink's target), plus the inode
 * numbers of two paths that must be one file. The self-check (SIGUSR2)
 * takes the view again and compares; it also checks that RO_PATH (a
 * read-only bind) refuses a new file with EROFS. Reports mounts=N files=N
 * and the view's hash, procself=N (what /proc/self says: our pid in the
 * pid namespace of the proc mounted on /proc), and data=LINE, the first line of DIR/data/content
 * when there is one (a directory of the host bound there, left out of the
 * view). What is under DIR/virt (proc, sysfs...) is in the view by its
 * mounts only.
 */
#include "target.h"

#include <ftw.h>

#define VIEW_MAX (1 << 20)

static const char *dir;
static const char *ro_path;
static char *view0;

struct buf {
	char *s;
	size_t len;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, VIEW_MAX - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= VIEW_MAX - b->len)
		t_fatal("view too large");
	b->len += (size_t)n;
}

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ull;
	return h;
}

/* ---- mounts ----------------------------------------------------------- */

struct mnt {
	unsigned id, parent;
	char mp[512], root[512], opts[256], type[64], prop[128];
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Peer group numbers as the order they first show up in. */
static unsigned renumber(unsigned *seen, unsigned *nr, unsigned g)
{
	for (unsigned i = 0; i < *nr; i++)
		if (seen[i] == g)
			return i + 1;
	seen[(*nr)++] = g;
	return *nr;
}

static int mounts_view(struct buf *b)
{
	static struct mnt m[512];
	static char line[4096];
	static char *lines[512];
	unsigned seen[512], nr_seen = 0;
	size_t n = 0, dl = strlen(dir);
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		t_fatal("mountinfo: %s", strerror(errno));
	while (n < 512 && fgets(line, sizeof(line), f)) {
		char fields[256] = "", *dash = strstr(line, " - ");
		char super[256];

		if (!dash || sscanf(line, "%u %u %*s %511s %511s %255s", &m[n].id, &m[n].parent,
				    m[n].root, m[n].mp, m[n].opts) != 5 ||
		    sscanf(dash + 3, "%63s %*s %255s", m[n].type, super) != 2)
			continue;
		if (strncmp(m[n].mp, dir, dl) || (m[n].mp[dl] && m[n].mp[dl] != '/') ||
		    !strncmp(m[n].mp + dl, "/data", 5))
			continue;
		/* the optional fields: after the sixth field, before " - " */
		{
			char *p = line;

			for (int k = 0; k < 6 && p; k++)
				p = strchr(p + 1, ' ');
			if (p && p < dash)
				snprintf(fields, sizeof(fields), "%.*s", (int)(dash - p), p);
		}
		m[n].prop[0] = '\0';
		for (char *save = NULL, *tok = strtok_r(fields, " ", &save); tok;
		     tok = strtok_r(NULL, " ", &save)) {
			unsigned g;
			size_t pl = strlen(m[n].prop);

			if (sscanf(tok, "shared:%u", &g) == 1)
				snprintf(m[n].prop + pl, sizeof(m[n].prop) - pl, " shared:%u",
					 renumber(seen, &nr_seen, g));
			else if (sscanf(tok, "master:%u", &g) == 1)
				snprintf(m[n].prop + pl, sizeof(m[n].prop) - pl, " master:%u",
					 renumber(seen, &nr_seen, g));
			else if (!strcmp(tok, "unbindable"))
				snprintf(m[n].prop + pl, sizeof(m[n].prop) - pl, " unbindable");
		}
		n++;
	}
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		unsigned depth = 0;

		/* how many mounts of this stack are below it */
		for (size_t k = i, guard = 0; guard < n; guard++) {
			size_t p;

			for (p = 0; p < n && m[p].id != m[k].parent; p++)
				;
			if (p == n || strcmp(m[p].mp, m[k].mp))
				break;
			depth++;
			k = p;
		}
		lines[i] = malloc(2048);
		snprintf(lines[i], 2048, "mount %s #%u %s %s %s%s\n", m[i].mp + dl, depth,
			 m[i].type, m[i].root, m[i].opts, m[i].prop);
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (size_t i = 0; i < n; i++) {
		add(b, "%s", lines[i]);
		free(lines[i]);
	}
	return (int)n;
}

/* ---- files ------------------------------------------------------------ */

static char *walk_lines[8192];
static int walk_files;

static int walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char target[512] = "";

	(void)flag;
	(void)ftw;
	if (!strncmp(path + strlen(dir), "/data", 5))
		return FTW_SKIP_SUBTREE; /* a host directory: data= */
	if (!strcmp(path + strlen(dir), "/virt"))
		return FTW_SKIP_SUBTREE; /* proc, sysfs, cgroup: their mounts only */
	if (S_ISREG(st->st_mode)) {
		int fd = open(path, O_RDONLY | O_NONBLOCK);
		char buf[65536];
		ssize_t r;

		if (fd < 0)
			t_fatal("open %s: %s", path, strerror(errno));
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			h = fnv(buf, (size_t)r, h);
		close(fd);
	} else if (S_ISLNK(st->st_mode)) {
		ssize_t r = readlink(path, target, sizeof(target) - 1);

		if (r > 0)
			target[r] = '\0';
	}
	if (walk_files == 8192)
		t_fatal("too many files");
	/* readdir's order is the filesystem's: the lines are sorted after */
	if (asprintf(&walk_lines[walk_files++], "file %s %o %u:%u %lld %016llx %s\n",
		     path + strlen(dir), (unsigned)st->st_mode, (unsigned)st->st_uid,
		     (unsigned)st->st_gid, S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size,
		     S_ISREG(st->st_mode) ? (unsigned long long)h : 0ULL, target) < 0)
		t_fatal("asprintf");
	return 0;
}

static char *take_view(int *nr_mounts, int *nr_files)
{
	struct buf b = { .s = malloc(VIEW_MAX) };
	struct stat a, h;
	char pa[PATH_MAX], ph[PATH_MAX];

	if (!b.s)
		t_fatal("malloc");
	*nr_mounts = mounts_view(&b);
	walk_files = 0;
	if (nftw(dir, walk_one, 16, FTW_PHYS | FTW_ACTIONRETVAL))
		t_fatal("nftw %s: %s", dir, strerror(errno));
	*nr_files = walk_files;
	qsort(walk_lines, (size_t)walk_files, sizeof(*walk_lines), cmp_str);
	for (int i = 0; i < walk_files; i++) {
		add(&b, "%s", walk_lines[i]);
		free(walk_lines[i]);
	}
	snprintf(pa, sizeof(pa), "%s/a/f", dir);
	snprintf(ph, sizeof(ph), "%s/a/hard", dir);
	if (!stat(pa, &a) && !stat(ph, &h))
		add(&b, "hardlink %s\n", a.st_ino == h.st_ino ? "same" : "different");
	return b.s;
}

static void first_difference(struct t_check *c, const char *a, const char *b)
{
	while (*a && *a == *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');

		if (!ea || !eb || ea - a != eb - b || strncmp(a, b, (size_t)(ea - a)))
			break;
		a = ea + 1;
		b = eb + 1;
	}
	t_check_fail(c, "view differs: was '%.*s', now '%.*s'", (int)strcspn(a, "\n"), a,
		     (int)strcspn(b, "\n"), b);
}

static void mnt_check(struct t_check *c)
{
	int nm, nf;
	char *now = take_view(&nm, &nf);

	if (strcmp(now, view0))
		first_difference(c, view0, now);
	if (ro_path) {
		char p[PATH_MAX];
		int fd;

		snprintf(p, sizeof(p), "%s/ck220-new", ro_path);
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd >= 0) {
			close(fd);
			unlink(p);
			t_check_fail(c, "%s is writable", ro_path);
		} else if (errno != EROFS) {
			t_check_fail(c, "%s: %s, want EROFS", ro_path, strerror(errno));
		}
	}
	t_check_info(c, "mounts=%d files=%d view=%016llx", nm, nf,
		     (unsigned long long)fnv(now, strlen(now), 0xcbf29ce484222325ull));
	/* Whose /proc this is: our pid in the pid namespace it shows. */
	{
		char self[32];
		ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);

		if (n > 0) {
			self[n] = '\0';
			t_check_info(c, "procself=%s", self);
		}
	}
	/* What a bound host directory holds, if DIR/data/content is there. */
	{
		char p[PATH_MAX], line[64] = "";
		FILE *f;

		snprintf(p, sizeof(p), "%s/data/content", dir);
		f = fopen(p, "re");
		if (f) {
			if (fgets(line, sizeof(line), f))
				line[strcspn(line, "\n")] = '\0';
			fclose(f);
			t_check_info(c, "data=%s", line);
		}
	}
	free(now);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = mnt_check };
	int nm, nf;

	t_init(argc, argv);
	if (argc < 3)
		t_fatal("usage: 220-mnt WORKDIR DIR [RO_PATH]");
	dir = argv[2];
	ro_path = argc > 3 ? argv[3] : NULL;
	view0 = take_view(&nm, &nf);
	if (nm < 1)
		t_fatal("no mount under %s", dir);
	t_run(&ops);
	return 0;
}
