// SPDX-License-Identifier: GPL-2.0
/*
 * The mount tree made beforehand: a child of ckpt makes it in a new mount
 * namespace (mnt_ns_build, pass 0) and hands back over a socket the
 * namespace, its root, the new mount ids and the mounts it made for the
 * processes of the tree to put on their proc (st->premade: one fd each,
 * and the filesystem's root for a removed file).
 */
#include "ns-mnt.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Two fds and the new mount ids, from the child that made the tree. */
static int send_built(int sock, const struct mnt_ns_state *st, int nsfd, int rootfd)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = st->new_id,
			     .iov_len = st->ns->n_mounts * sizeof(*st->new_id) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int fds[2] = { nsfd, rootfd };

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	return sendmsg(sock, &mh, 0) == (ssize_t)iov.iov_len ? 0 : -EIO;
}

/* One fd (a premade mount) per message, after the first. */
static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'm';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -EIO;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -EIO;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EIO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static int recv_built(int sock, struct mnt_ns_state *st)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = st->new_id,
			     .iov_len = st->ns->n_mounts * sizeof(*st->new_id) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(sock, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	int fds[2];

	c = CMSG_FIRSTHDR(&mh);
	if (n != (ssize_t)iov.iov_len || !c || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(fds)))
		return -EIO;
	memcpy(fds, CMSG_DATA(c), sizeof(fds));
	st->nsfd = fds[0];
	st->rootfd = fds[1];
	for (size_t i = 0; i < st->ns->n_mounts; i++)
		if (st->premade[i]) {
			const MntEntry *m = st->ns->mounts[i];

			st->pre_fd[i] = recv_fd(sock);
			if (st->pre_fd[i] < 0)
				return st->pre_fd[i];
			if (m->kind != MNT_SOURCE_KIND__MNT_SRC_FS || !m->deleted)
				continue;
			st->pre_dir[i] = recv_fd(sock);
			if (st->pre_dir[i] < 0)
				return st->pre_dir[i];
		}
	return 0;
}

/* The child: a new mount namespace, the tree in it (but for what is
 * left to the tree's processes), handed back. */
static int prebuild_child(struct mnt_ns_state *st, int sock)
{
	_cleanup_close_ int nsfd = -1, rootfd = -1;
	int r;

	if (unshare(CLONE_NEWNS) < 0)
		return pr_errno(-errno, "cannot restore: cannot make a mount namespace");
	nsfd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return pr_errno(-errno, "cannot restore: cannot open the new mount namespace");
	r = mnt_ns_build(st, 0);
	if (r < 0)
		return r;
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return pr_errno(-errno, "cannot restore: cannot open the new root");
	r = send_built(sock, st, nsfd, rootfd);
	for (size_t i = 0; i < st->ns->n_mounts && r >= 0; i++)
		if (st->premade[i]) {
			r = send_fd(sock, st->pre_fd[i]);
			if (r >= 0 && st->pre_dir[i] >= 0)
				r = send_fd(sock, st->pre_dir[i]);
		}
	return r < 0 ? pr_errno(r, "cannot restore: cannot hand the mount namespace over") : 0;
}

int mnt_ns_prebuild(struct mnt_ns_state *st)
{
	int sv[2], status, r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return pr_errno(-errno, "cannot restore: socketpair");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return pr_errno(r, "cannot restore: cannot fork");
	}
	if (pid == 0) {
		close(sv[0]);
		_exit(prebuild_child(st, sv[1]) < 0 ? 1 : 0);
	}
	close(sv[1]);
	r = recv_built(sv[0], st);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pr_errno(-errno, "cannot restore: cannot wait for a helper");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && r >= 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status))
		return -EPERM; /* it said why */
	return pr_fail(-EIO, "cannot restore: the helper making the mount namespace failed");
}
