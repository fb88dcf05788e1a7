// SPDX-License-Identifier: GPL-2.0
/* A private directory on tmpfs for an image set that travels as a stream
 * (stream.h, struct stage), and the process that removes it if ckpt
 * cannot. */
#include "stream.h"

#include "fault.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STAGE_ROOT "/dev/shm"

/*
 * The remover: a grandchild of ckpt in a session of its own (a ^C on the
 * terminal does not reach it), with no fd but the pipe's read end and the
 * stage's parent. It waits until every write end is closed (ckpt exited,
 * however), removes the stage and goes.
 */
static void remover(int rd, int rootfd, const char *name, ino_t ino)
{
	char c;

	(void)setsid();
	(void)prctl(PR_SET_NAME, "ckpt-stage-rm");
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (int fd = 0; fd < 3; fd++)
		if (fd != rd && fd != rootfd)
			close(fd);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != rd && fd != rootfd)
			close(fd);
	for (;;) {
		ssize_t n = read(rd, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	imgdir_remove_ours(rootfd, name, 2, ino);
	_exit(0);
}

int stage_create(struct stage *s, const char *verb)
{
	_cleanup_close_ int rootfd = -1;
	char tmpl[] = STAGE_ROOT "/.ckpt-stream-XXXXXX";
	struct stat st;
	int p[2], status;
	pid_t child;

	memset(s, 0, sizeof(*s));
	s->hold = -1;
	rootfd = open(STAGE_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return pr_errno(-errno, "cannot %s: cannot open %s", verb, STAGE_ROOT);
	/* mkdtemp: a new directory (mkdir fails on any existing name), 0700. */
	if (!FAULT_OR(stream_stage, (errno = ENOSPC, NULL), mkdtemp(tmpl)))
		return pr_errno(-errno, "cannot %s: cannot make a directory in %s", verb,
				STAGE_ROOT);
	s->path = xstrdup(tmpl);
	s->set = xasprintf("%s/images", tmpl);
	if (fstatat(rootfd, strrchr(tmpl, '/') + 1, &st, AT_SYMLINK_NOFOLLOW) == 0)
		s->ino = st.st_ino;
	if (pipe2(p, O_CLOEXEC) < 0) {
		int r = -errno;

		stage_remove(s);
		return pr_errno(r, "cannot %s: cannot make a pipe", verb);
	}
	child = fork();
	if (child == 0) {
		if (fork() == 0) {
			close(p[1]);
			remover(p[0], rootfd, strrchr(tmpl, '/') + 1, s->ino);
		}
		_exit(0);
	}
	close(p[0]);
	s->hold = p[1];
	if (child < 0) {
		int r = -errno;

		stage_remove(s);
		return pr_errno(r, "cannot %s: cannot start a process", verb);
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

void stage_remove(struct stage *s)
{
	if (s->path) {
		_cleanup_close_ int rootfd = open(STAGE_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (rootfd >= 0)
			imgdir_remove_ours(rootfd, strrchr(s->path, '/') + 1, 2, s->ino);
	}
	if (s->hold >= 0)
		close(s->hold);
	free(s->path);
	free(s->set);
	memset(s, 0, sizeof(*s));
	s->hold = -1;
}
