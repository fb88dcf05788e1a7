/*
 * 222-pivot-static.c - a container's own root: pivot_root into NEWROOT
 * (its old root detached), then the plain target loop of target.h with
 * WORKDIR a path inside the new root.
 *
 * Usage: 222-pivot-static NEWROOT WORKDIR
 *
 * Static, so that nothing it needs after the pivot is looked for in the
 * new root. NEWROOT must be a mount point with an empty directory "old".
 * The self-check also reports data=LINE, the first line of /data/content
 * when there is one, and fails unless /keep, when there is one, holds
 * "kept".
 */
#include "target.h"

#include <sys/mount.h>
#include <sys/syscall.h>

static void first_line(const char *path, char *line, size_t len)
{
	FILE *f = fopen(path, "re");

	line[0] = '\0';
	if (!f)
		return;
	if (fgets(line, (int)len, f))
		line[strcspn(line, "\n")] = '\0';
	fclose(f);
}

static void pivot_check(struct t_check *c)
{
	char line[128];

	if (access("/data/content", F_OK) == 0) {
		first_line("/data/content", line, sizeof(line));
		t_check_info(c, "data=%s", line);
	}
	if (access("/keep", F_OK) == 0) {
		first_line("/keep", line, sizeof(line));
		if (strcmp(line, "kept"))
			t_check_fail(c, "/keep holds '%s'", line);
	}
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = pivot_check };

	if (argc < 3) {
		fprintf(stderr, "usage: 222-pivot-static NEWROOT WORKDIR\n");
		return 2;
	}
	if (chdir(argv[1]) || syscall(SYS_pivot_root, ".", "old") || chdir("/") ||
	    umount2("/old", MNT_DETACH) || rmdir("/old"))
		t_fatal("pivot_root into %s: %s", argv[1], strerror(errno));
	t_init(argc - 1, argv + 1);
	t_run(&ops);
	return 0;
}
