// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt restore --new-pidns: the tree comes back in a pid namespace of its
 * own, where its pids are the saved ones whatever the host has taken
 * meanwhile ("pid N is in use" on a busy host).
 *
 * A pid namespace's first process is its pid 1 and its init: when it
 * dies, everything in it dies. So ckpt makes a child that is that init
 * (clone CLONE_NEWPID), with a mount namespace of its own where /proc is
 * the new pid namespace's, and that child restores the tree as ckpt would
 * (every pid it names is the namespace's). Then it stays, as an init does:
 * it reaps whatever is orphaned in the namespace, and exits with the
 * restored root's status once nothing is left. The tree's processes have
 * that mount namespace too, the host's mounts with the new /proc.
 */
#include "commands.h"
#include "fault.h"
#include "imgdir.h"
#include "options.h"
#include "stream.h"
#include "util.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int status_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The init, pid 1 of the new namespace: restore, tell ckpt, reap. */
static int init_main(const struct options *o, int ready)
{
	struct options inner = *o;
	InventoryEntry *inv = NULL;
	int dirfd = -1, root, status, root_status = 0, r, null;
	pid_t pid;

	/* Its own /proc, in a mount namespace nobody else sees. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    FAULT_OR(restore_pidns_proc, (errno = EPERM, -1),
		     mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) < 0)
		return pr_errno(-errno,
				"cannot restore: cannot mount /proc in a new pid namespace");
	r = imgdir_open(o->images, &dirfd, &inv);
	if (r < 0)
		return r; /* said */
	root = (int)inv->root_pid;
	protobuf_c_message_free_unpacked(&inv->base, NULL);
	close(dirfd);
	if (root == 1)
		return pr_fail(
			-EEXIST,
			"cannot restore: the root's pid is 1, the new pid namespace's init's");
	inner.new_pidns = false;
	inner.detach = true;
	r = cmd_restore(&inner);
	if (r < 0)
		return r;
	/* From here on it outlives ckpt, as the tree does. */
	(void)prctl(PR_SET_PDEATHSIG, 0);
	if (write(ready, "g", 1) != 1)
		return -EPIPE; /* ckpt is gone: so is the caller */
	close(ready);
	/* Nothing of ckpt's caller's is kept open by the init. */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; null >= 0 && fd <= 2; fd++)
		(void)dup2(null, fd);
	while ((pid = waitpid(-1, &status, __WALL)) > 0 || (pid < 0 && errno == EINTR))
		if (pid == root)
			root_status = status_code(status);
	return root_status;
}

static int new_pidns_run(const struct options *o)
{
	struct clone_args args = { .flags = CLONE_NEWPID | CLONE_NEWNS, .exit_signal = SIGCHLD };
	int ready[2], status;
	ssize_t n;
	char c;
	long pid;

	if (o->pidfile)
		return pr_fail(-EINVAL,
			       "cannot restore: --pidfile with --new-pidns (not supported)");
	if (pipe2(ready, O_CLOEXEC) < 0)
		return pr_errno(-errno, "cannot restore: pipe");
	fflush(NULL);
	pid = FAULT_OR(restore_pidns_clone, (errno = EPERM, -1),
		       syscall(SYS_clone3, &args, sizeof(args)));
	if (pid == 0) {
		int r;

		close(ready[0]);
		/* The init does not outlive a ckpt that dies before it is ready. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		r = init_main(o, ready[1]);
		_exit(r < 0 ? 1 : r);
	}
	close(ready[1]);
	if (pid < 0) {
		close(ready[0]);
		return pr_errno(-errno, "cannot restore: cannot make a pid namespace");
	}
	while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(ready[0]);
	if (n != 1) {
		/* The init failed, and said why. */
		while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR)
			;
		return -ECANCELED;
	}
	if (o->detach)
		return 0;
	while (waitpid((pid_t)pid, &status, 0) < 0)
		if (errno != EINTR)
			return pr_errno(-errno, "cannot wait for %ld", pid);
	return status_code(status);
}

int restore_new_pidns(const struct options *o)
{
	struct options copy = *o;
	int r;

	if (strcmp(o->images, "-"))
		return new_pidns_run(o);
	/* A stream is read here, outside the new namespace: the remover of
	 * the stage (stream-stage.c) must not be a process in it, whose init
	 * would wait for it while it waits for the init. */
	r = stream_restore_receive(&copy.images, !o->handshake);
	if (r >= 0)
		r = new_pidns_run(&copy);
	stream_restore_done();
	return r;
}
