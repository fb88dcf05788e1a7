// SPDX-License-Identifier: GPL-2.0
/*
 * mntns: the mount namespace dump and rebuild of ckpt on their own, for
 * tests (e2e 220-223) that look at one mount tree without a process tree.
 *
 *	mntns dump PID DIR [mnt[MOUNTPOINT]:KEY]...
 *		saves the mount namespace of PID into the existing empty
 *		directory DIR; prints its id
 *	mntns restore DIR ID [--pid] [mnt[KEY]:HOSTPATH]... -- COMMAND...
 *		makes it again in a new mount namespace (and pid namespace,
 *		its first process, with --pid) and runs COMMAND there
 *
 * Exit 1 after ckpt's one line on failure.
 */
#include "ns-mnt.h"
#include "options.h"
#include "trust.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int add_external(struct options *o, char *arg)
{
	char *open = strchr(arg, '['), *close = strstr(arg, "]:");
	struct external *e = &o->external[o->nr_external];

	if (strncmp(arg, "mnt[", 4) || !open || !close || o->nr_external == EXTERNAL_MAX) {
		fprintf(stderr, "mntns: bad external '%s'\n", arg);
		return -EINVAL;
	}
	*close = '\0';
	e->kind = "mnt";
	e->key = open + 1;
	e->value = close + 2;
	o->nr_external++;
	return 0;
}

static int dump(int argc, char **argv)
{
	struct options o = { 0 };
	char path[64];
	struct stat st;
	_cleanup_close_ int nsfd = -1, dirfd = -1;
	int r;

	if (argc < 4)
		return 2;
	for (int i = 4; i < argc; i++)
		if (add_external(&o, argv[i]) < 0)
			return 2;
	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", argv[2]);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	dirfd = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (nsfd < 0 || dirfd < 0 || fstat(nsfd, &st) < 0) {
		perror("mntns: open");
		return 1;
	}
	/* Its pid namespace is the one its proc mounts show, or none is. */
	{
		struct mnt_pidns self = { .pid = atoi(argv[2]) };
		struct stat pst;

		snprintf(path, sizeof(path), "/proc/%s/ns/pid", argv[2]);
		if (stat(path, &pst) == 0)
			self.pidns = (uint32_t)pst.st_ino;
		r = mnt_ns_dump(nsfd, (uint32_t)st.st_ino, dirfd, &o, &self, 1);
	}
	if (r < 0)
		return 1;
	printf("%u\n", (uint32_t)st.st_ino);
	return 0;
}

static int rebuild(const char *dir, uint32_t id, struct options *o, char **cmd)
{
	struct trust t = { .decided = true, .trusted = true, .same_boot = true };
	struct mnt_ns_state st;
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (dirfd < 0) {
		perror("mntns: open");
		return 1;
	}
	if (unshare(CLONE_NEWNS) < 0) {
		perror("mntns: unshare");
		return 1;
	}
	r = mnt_ns_load(dirfd, id, o, &t, &st);
	if (r >= 0) {
		mnt_ns_plan(&st, -1);
		r = mnt_ns_build(&st, 0);
	}
	mnt_ns_state_release(&st);
	if (r < 0)
		return 1;
	execvp(cmd[0], cmd);
	perror("mntns: exec");
	return 127;
}

static int restore(int argc, char **argv)
{
	struct options o = { 0 };
	bool newpid = false;
	int i, status;
	pid_t pid;

	if (argc < 6)
		return 2;
	for (i = 4; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--pid"))
			newpid = true;
		else if (add_external(&o, argv[i]) < 0)
			return 2;
	}
	if (i + 1 >= argc)
		return 2;
	if (!newpid)
		return rebuild(argv[2], (uint32_t)strtoul(argv[3], NULL, 10), &o, argv + i + 1);
	if (unshare(CLONE_NEWPID) < 0) {
		perror("mntns: unshare");
		return 1;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(rebuild(argv[2], (uint32_t)strtoul(argv[3], NULL, 10), &o, argv + i + 1));
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	log_level = 1;
	if (argc > 1 && !strcmp(argv[1], "dump"))
		return dump(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "restore"))
		return restore(argc, argv);
	fprintf(stderr, "usage: mntns dump PID DIR [mnt[MP]:KEY]... | "
			"mntns restore DIR ID [--pid] [mnt[KEY]:PATH]... -- COMMAND...\n");
	return 2;
}
