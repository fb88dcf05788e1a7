/*
 * 05-child.c - a process with a child process, dumped and restored together.
 *
 * Usage: 05-child WORKDIR [own-group]
 *
 * Forks one child that just waits in pause() (it dies with its parent:
 * PR_SET_PDEATHSIG), in a process group of its own with "own-group" (as a
 * shell with job control starts a job), writes "CHILD pid=N", then runs
 * the common loop of
 * target.h. Self-check: the common checks, and the child still exists, has
 * not exited and is not stopped (reported as child=N).
 */
#include "target.h"

#include <sys/prctl.h>
#include <sys/wait.h>

static pid_t child;

static void child_main(pid_t parent, int own_group)
{
	if (own_group && setpgid(0, 0))
		_exit(1);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		_exit(1);
	if (getppid() != parent)
		_exit(1);
	for (;;)
		pause();
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void child_check(struct t_check *c)
{
	int status;
	pid_t r = waitpid(child, &status, WNOHANG);
	char st = proc_state(child);

	if (r != 0)
		t_check_fail(c, "child %d is gone (waitpid %d, status 0x%x)", (int)child, (int)r,
			     r > 0 ? status : 0);
	else if (st != 'S' && st != 'R')
		t_check_fail(c, "child %d is in state %c", (int)child, st);
	t_check_info(c, "child=%d", (int)child);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = child_check };
	int own_group = argc > 2 && !strcmp(argv[2], "own-group");
	pid_t parent;

	t_init(argc, argv);
	parent = getpid();
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0)
		child_main(parent, own_group);
	/* Both sides set it: the group exists once either has run. */
	if (own_group && setpgid(child, child) && errno != EACCES)
		t_fatal("setpgid");
	t_log("CHILD pid=%d", (int)child);
	t_run(&ops);
	return 0;
}
