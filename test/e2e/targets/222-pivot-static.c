/*
 * 222-pivot-static.c - a container's own root: pivot_root into NEWROOT
 * (its old root detached), then the plain target loop of target.h with
 * WORKDIR a path inside the new root.
 *
 * Usage: 222-pivot-static NEWROOT WORKDIR
 *
 * Static, so that nothing it needs after the pivot is looked for in the
 * new root. NEWROOT must be a mount point with an empty directory "old".
 */
#include "target.h"

#include <sys/mount.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	static const struct t_ops ops = { 0 };

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
