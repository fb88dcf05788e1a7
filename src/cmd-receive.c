// SPDX-License-Identifier: GPL-2.0
/*
 * `ckpt receive --images DIR [--listen PATH]`: an image stream (stream.h)
 * stored as the image set DIR, from stdin or from one connection on the
 * unix socket PATH. The socket is made for its owner only (0700), and each peer is
 * checked by SO_PEERCRED: root or our own uid, nobody else (the kernel
 * vouches for those, a peer cannot forge them). Other peers are turned
 * away, one line each, and the receive waits for the next connection.
 * TCP is not offered: a stream between machines goes through ssh, which
 * authenticates both ends.
 */
#include "commands.h"
#include "stream.h"

#include "incremental.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_on(const char *path, struct stat *ret_st)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (!strchr(path, '/'))
		return pr_fail(
			-EINVAL,
			"cannot receive: --listen '%s': a unix socket path is wanted (with a '/'; TCP is not offered, use ssh)",
			path);
	if (strlen(path) >= sizeof(sa.sun_path))
		return pr_fail(-ENAMETOOLONG, "cannot receive: --listen '%s': the path is too long",
			       path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pr_errno(-errno, "cannot receive: cannot make a socket");
	/* Only the owner may connect at all; SO_PEERCRED checks who did. */
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (r >= 0 && (listen(fd, 4) < 0 || stat(path, ret_st) < 0))
		r = -errno;
	if (r < 0) {
		close(fd);
		return pr_errno(r, "cannot receive: cannot listen on '%s'", path);
	}
	return fd;
}

/* The socket goes, if it is still the one we made. */
static void unlisten(const char *path, const struct stat *made)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == made->st_ino &&
	    st.st_dev == made->st_dev)
		(void)unlink(path);
}

/* The next connection of root or of our uid; others are turned away. */
static int accept_trusted(int lfd, const char *path)
{
	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int fd;

		if (interrupted())
			return -EINTR;
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return pr_errno(-errno, "cannot receive: cannot wait on '%s'", path);
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
				continue;
			return pr_errno(-errno, "cannot receive: cannot accept on '%s'", path);
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
		    len == sizeof(cred) && (cred.uid == 0 || cred.uid == geteuid()))
			return fd;
		/* Not a failure of the receive: it waits for the sender. */
		pr_err("turned away a connection on '%s' from uid %d (pid %d): only root and uid %d may send",
		       path, len == sizeof(cred) ? (int)cred.uid : -1,
		       len == sizeof(cred) ? (int)cred.pid : -1, (int)geteuid());
		close(fd);
	}
}

int cmd_receive(const struct options *o)
{
	struct imgdir d;
	struct stat made;
	int lfd = -1, fd = STDIN_FILENO, r;

	if (!o->listen && isatty(STDIN_FILENO)) {
		r = pr_fail(-ENOTTY, "cannot receive: stdin is a terminal, not an image stream");
		goto out;
	}
	r = imgdir_create_as(&d, o->images, "receive");
	if (r < 0)
		goto out;
	if (o->listen) {
		lfd = listen_on(o->listen, &made);
		r = lfd < 0 ? lfd : accept_trusted(lfd, o->listen);
		if (r < 0) {
			imgdir_abort(&d);
			goto out;
		}
		fd = r;
	}
	r = stream_receive(fd, &d);
	if (fd != STDIN_FILENO)
		close(fd);
out:
	if (lfd >= 0) {
		unlisten(o->listen, &made);
		close(lfd);
	}
	return r < 0 ? r : 0;
}
