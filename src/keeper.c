// SPDX-License-Identifier: GPL-2.0
/* The keeper of a tracked tree, and who may talk to it (see keeper.h). */
#include "keeper.h"

#include "proc.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif

#define FDS_PER_MSG 250 /* SCM_MAX_FD is 253 */
#define UFFD_LINK "anon_inode:[userfaultfd]"

enum keeper_cmd { KEEPER_GET = 1, KEEPER_PUT, KEEPER_STOP, KEEPER_OK };

struct keeper_hdr {
	uint32_t cmd;
	uint32_t n;
	char last_id[40];
};

/* Room for the fds of one message. */
union fd_cmsg {
	char buf[CMSG_SPACE(FDS_PER_MSG * sizeof(int))];
	struct cmsghdr align;
};

const char *keeper_strerror(int r)
{
	switch (r) {
	case -EUCLEAN:
		return "'" KEEPER_DIR "' is not a directory of root's that only root can use";
	case -EPERM:
		return "the process at the other end is not root with ckpt's privileges";
	case -ETIMEDOUT:
		return "no answer in time";
	case -EPROTO:
		return "it does not speak the keeper's protocol";
	case -EBADFD:
		return "it sent an fd that is not a userfaultfd";
	case -EADDRINUSE:
		return "its socket in '" KEEPER_DIR "' is taken";
	case -EACCES:
		return "page tracking needs root";
	default:
		return strerror(-r);
	}
}

void track_state_release(struct track_state *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		if (ts->uffds[i] >= 0)
			close(ts->uffds[i]);
	ts->n = 0;
}

/* ---- where the keeper is, and who may be there ---- */

/*
 * Why a path in a directory of root's and not an abstract name (what this
 * used to be): an abstract name has no owner and no permissions, anyone in
 * the network namespace may bind it first, and a name taken is only found
 * out after connecting to whoever took it. Only root can create anything
 * in KEEPER_DIR, and KEEPER_RUN, which holds it, is checked to be root's
 * too: the path, once both are checked, names what we checked. Each end
 * still checks the other (peer_check): root that dropped its capabilities
 * can write in root's directories.
 */
static int check_dir(int fd, mode_t forbidden)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & forbidden))
		return -EUCLEAN;
	return 0;
}

/* KEEPER_DIR, opened and checked; made if missing with @create. */
static int keeper_dir_open(bool create)
{
	_cleanup_close_ int run = open(KEEPER_RUN, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int fd, r;

	if (run < 0)
		return errno == ELOOP || errno == ENOTDIR ? -EUCLEAN : -errno;
	r = check_dir(run, S_IWGRP | S_IWOTH);
	if (r < 0)
		return r;
	if (create && mkdirat(run, KEEPER_DIR + sizeof(KEEPER_RUN), 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(run, KEEPER_DIR + sizeof(KEEPER_RUN),
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR ? -EUCLEAN : -errno;
	r = check_dir(fd, S_IRWXG | S_IRWXO);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* The keeper's socket, named from the root's pid and start time (pids
 * are reused); *ret_name: its name in KEEPER_DIR. */
static int keeper_addr(int root, struct sockaddr_un *sa, socklen_t *len, const char **ret_name)
{
	char path[64];
	_cleanup_free_ char *stat = NULL;
	unsigned long long start = 0;
	const char *p;
	int r, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", root);
	r = read_file(path, &stat, NULL);
	if (r < 0)
		return r;
	p = strrchr(stat, ')');
	/* Field 22, the start time: 19 fields after the one that follows ')'. */
	for (int i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), KEEPER_DIR "/ckpt-track-%d-%llu", root,
		     start);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	if (ret_name)
		*ret_name = sa->sun_path + sizeof(KEEPER_DIR);
	return 0;
}

/* What is checked of a peer, from /proc/PID/status. */
struct peer_view {
	unsigned int euid;
	uint64_t cap_eff;
	int seccomp;
};

static int peer_view_read(int pid, struct peer_view *v)
{
	struct proc_status st;
	int r = proc_read_status(pid, &st);

	if (r < 0)
		return r == -EINVAL ? -EPROTO : r;
	free(st.groups);
	if (!st.has_caps)
		return -EPROTO;
	v->euid = st.uid[1];
	v->cap_eff = st.cap_eff;
	/* No Seccomp line: a kernel without seccomp. */
	v->seccomp = st.seccomp < 0 ? 0 : st.seccomp;
	return 0;
}

static int same_user_ns(int pid)
{
	char path[64];
	struct stat theirs, ours;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	if (stat(path, &theirs) < 0 || stat("/proc/self/ns/user", &ours) < 0)
		return -errno;
	return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

/*
 * The process at the other end of @sk may be given a tracked process's
 * userfaultfds, or asked for them: uid 0 (SO_PEERCRED: at its connect or
 * listen, and still now), in our user namespace, with every capability
 * we have, and under no seccomp filter unless we are. A uid alone is not
 * enough: a root daemon that dropped its capabilities still owns
 * root-owned directories, and could have made KEEPER_DIR.
 */
static int peer_check(int sk)
{
	struct ucred cred;
	socklen_t len = sizeof(cred), plen = sizeof(int);
	struct peer_view mine, theirs;
	_cleanup_close_ int pidfd = -1;
	int r;

	if (getsockopt(sk, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	if (cred.uid != 0 || cred.pid <= 0)
		return -EPERM;
	/* Its pid held: while it lives, the number names no other process. */
	if (getsockopt(sk, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &plen) < 0) {
		if (errno != ENOPROTOOPT)
			return errno == ESRCH ? -EPERM : -errno;
		/* Before Linux 6.5: held from here on only. */
		pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
		if (pidfd < 0)
			return errno == ESRCH ? -EPERM : -errno;
	}
	r = peer_view_read(cred.pid, &theirs);
	if (r < 0)
		return r == -ENOENT || r == -ESRCH ? -EPERM : r;
	r = peer_view_read(getpid(), &mine);
	if (r < 0)
		return r;
	if (theirs.euid != 0 || (theirs.cap_eff & mine.cap_eff) != mine.cap_eff ||
	    (theirs.seccomp && !mine.seccomp))
		return -EPERM;
	r = same_user_ns(cred.pid);
	if (r <= 0)
		return r == 0 || r == -ENOENT ? -EPERM : r;
	/* Still alive: what was read was its own. */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		return -EPERM;
	return 0;
}

/* ---- messages: each in a bounded time, fds only where expected ---- */

static int io_errno(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
}

/* SO_SNDTIMEO also bounds a unix connect() that waits for room in the
 * listener's backlog. */
static int set_timeouts(int sk)
{
	struct timeval tv = { KEEPER_TIMEOUT_MS / 1000, (KEEPER_TIMEOUT_MS % 1000) * 1000 };

	if (setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(sk, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

/* One message: @len bytes of @buf, with @nfds fds (maybe none). */
static int send_msg(int sk, const void *buf, size_t len, const int *fds, size_t nfds)
{
	int r = sendmsg_fds(sk, buf, len, fds, nfds);

	return r == -EAGAIN || r == -EWOULDBLOCK ? -ETIMEDOUT : r;
}

/* Every fd that came with @mh, closed. */
static void close_passed(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
	}
}

/* One message of exactly @len bytes with exactly @nfds fds (into @fds);
 * anything else is -EPROTO, and no fd of it stays open. */
static int recv_msg(int sk, void *buf, size_t len, int *fds, size_t nfds)
{
	union fd_cmsg u;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	bool ok;
	ssize_t n;

	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	n = recvmsg(sk, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return io_errno();
	c = CMSG_FIRSTHDR(&mh);
	ok = (size_t)n == len && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC));
	if (nfds)
		ok = ok && c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		     c->cmsg_len == CMSG_LEN(nfds * sizeof(int)) && !CMSG_NXTHDR(&mh, c);
	else
		ok = ok && !c;
	if (!ok) {
		close_passed(&mh);
		return -EPROTO;
	}
	if (nfds)
		memcpy(fds, CMSG_DATA(c), nfds * sizeof(int));
	return 0;
}

static bool is_userfaultfd(int fd)
{
	char path[64], link[sizeof(UFFD_LINK)];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link));
	return n == (ssize_t)strlen(UFFD_LINK) && !memcmp(link, UFFD_LINK, (size_t)n);
}

static int send_state(int sk, uint32_t cmd, const struct track_state *ts)
{
	struct keeper_hdr h = { .cmd = cmd, .n = (uint32_t)ts->n };
	int r;

	snprintf(h.last_id, sizeof(h.last_id), "%s", ts->last_id);
	r = send_msg(sk, &h, sizeof(h), NULL, 0);
	for (size_t i = 0; i < ts->n && r >= 0; i += FDS_PER_MSG) {
		size_t k = MIN(FDS_PER_MSG, ts->n - i);

		r = send_msg(sk, ts->pids + i, k * sizeof(int), ts->uffds + i, k);
	}
	return r;
}

/* The state announced by @h: pids, each with a userfaultfd. */
static int recv_state(int sk, const struct keeper_hdr *h, struct track_state *ts)
{
	if (h->n > TRACK_MAX_PROCS)
		return -EPROTO;
	memset(ts, 0, sizeof(*ts));
	snprintf(ts->last_id, sizeof(ts->last_id), "%.*s", (int)sizeof(h->last_id) - 1, h->last_id);
	for (size_t i = 0; i < h->n; i += FDS_PER_MSG) {
		size_t k = MIN(FDS_PER_MSG, h->n - i);
		int r = recv_msg(sk, ts->pids + i, k * sizeof(int), ts->uffds + i, k);

		if (r < 0) {
			track_state_release(ts);
			return r;
		}
		ts->n = i + k;
		for (size_t j = i; j < ts->n && r >= 0; j++) {
			if (ts->pids[j] <= 0)
				r = -EPROTO;
			else if (!is_userfaultfd(ts->uffds[j]))
				r = -EBADFD;
		}
		if (r < 0) {
			track_state_release(ts);
			return r;
		}
	}
	return 0;
}

static int expect_ok(int sk)
{
	struct keeper_hdr h = { 0 };
	int r = recv_msg(sk, &h, sizeof(h), NULL, 0);

	if (r < 0)
		return r;
	return h.cmd == KEEPER_OK && h.n == 0 ? 0 : -EPROTO;
}

/* ---- ckpt's side ---- */

/* A connection to the keeper of @root, checked; -ENOENT if it has none. */
static int keeper_connect(int root)
{
	_cleanup_close_ int dir = -1, sk = -1;
	struct sockaddr_un sa;
	socklen_t len;
	int r;

	/* Only root has a keeper (see keeper.h). */
	if (geteuid() != 0)
		return -ENOENT;
	dir = keeper_dir_open(false);
	if (dir < 0)
		return dir;
	r = keeper_addr(root, &sa, &len, NULL);
	if (r < 0)
		return r;
	sk = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return -errno;
	r = set_timeouts(sk);
	if (r < 0)
		return r;
	/* ECONNREFUSED: the socket of a keeper that was killed. */
	if (connect(sk, (struct sockaddr *)&sa, len) < 0)
		return errno == ENOENT || errno == ECONNREFUSED ? -ENOENT : io_errno();
	r = peer_check(sk);
	if (r < 0)
		return r;
	r = sk;
	sk = -1;
	return r;
}

int keeper_get(int root, struct track_state *ts)
{
	_cleanup_close_ int sk = keeper_connect(root);
	struct keeper_hdr h = { .cmd = KEEPER_GET };
	int r;

	if (sk < 0)
		return sk;
	r = send_msg(sk, &h, sizeof(h), NULL, 0);
	if (r >= 0)
		r = recv_msg(sk, &h, sizeof(h), NULL, 0);
	if (r >= 0 && h.cmd != KEEPER_OK)
		r = -EPROTO;
	return r < 0 ? r : recv_state(sk, &h, ts);
}

int keeper_stop(int root)
{
	_cleanup_close_ int sk = keeper_connect(root);
	struct keeper_hdr h = { .cmd = KEEPER_STOP };
	int r;

	if (sk < 0)
		return sk == -ENOENT ? 0 : sk;
	r = send_msg(sk, &h, sizeof(h), NULL, 0);
	return r < 0 ? r : expect_ok(sk);
}

/* ---- the keeper ---- */

struct keeper {
	int listener, root_pidfd, dirfd;
	char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ino_t ino; /* of its socket */
	struct track_state *ts;
};

/* Its socket goes with it, unless another keeper's is there already. */
static _Noreturn void keeper_exit(struct keeper *k)
{
	struct stat st;

	if (fstatat(k->dirfd, k->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_ino == k->ino)
		(void)unlinkat(k->dirfd, k->name, 0);
	_exit(0);
}

static void keeper_answer(struct keeper *k, int sk)
{
	struct keeper_hdr h = { 0 }, ok = { .cmd = KEEPER_OK };
	struct track_state *next;

	if (recv_msg(sk, &h, sizeof(h), NULL, 0) < 0)
		return;
	switch (h.cmd) {
	case KEEPER_GET:
		(void)send_state(sk, KEEPER_OK, k->ts);
		break;
	case KEEPER_PUT:
		next = xzalloc(sizeof(*next));
		if (recv_state(sk, &h, next) < 0) {
			free(next);
			break;
		}
		track_state_release(k->ts);
		free(k->ts);
		k->ts = next;
		(void)send_msg(sk, &ok, sizeof(ok), NULL, 0);
		break;
	case KEEPER_STOP:
		/* The name is free once the client hears back. */
		close(k->listener);
		k->listener = -1;
		(void)send_msg(sk, &ok, sizeof(ok), NULL, 0);
		keeper_exit(k);
	}
}

/* The keeper's life: hold the state, answer root, exit with the root. */
static _Noreturn void keeper_serve(struct keeper *k)
{
	k->ts = xzalloc(sizeof(*k->ts));
	for (;;) {
		struct pollfd p[2] = { { k->listener, POLLIN, 0 }, { k->root_pidfd, POLLIN, 0 } };
		int sk;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			keeper_exit(k);
		if (p[1].revents)
			keeper_exit(k); /* the root is gone: so is tracking */
		if (!(p[0].revents & POLLIN))
			continue;
		sk = accept4(k->listener, NULL, NULL, SOCK_CLOEXEC);
		if (sk < 0)
			continue;
		if (set_timeouts(sk) == 0 && peer_check(sk) == 0)
			keeper_answer(k, sk);
		close(sk);
	}
}

/* The socket of a keeper that is gone (killed: it could not remove it)
 * makes way; a live keeper's does not. */
static int remove_stale(int dirfd, const char *name, const struct sockaddr_un *sa, socklen_t len)
{
	_cleanup_close_ int probe =
		socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct stat st;

	if (probe < 0)
		return -errno;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EADDRINUSE;
	if (connect(probe, (const struct sockaddr *)sa, len) == 0 || errno != ECONNREFUSED)
		return -EADDRINUSE;
	return unlinkat(dirfd, name, 0) < 0 ? -errno : 0;
}

/* In the keeper: SO_PEERCRED of its clients names the process that
 * called listen(), so it is the keeper that binds and listens. */
static int keeper_listen(struct keeper *k, const struct sockaddr_un *sa, socklen_t len)
{
	_cleanup_close_ int sk = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct stat st;
	int r;

	if (sk < 0)
		return -errno;
	if (bind(sk, (const struct sockaddr *)sa, len) < 0) {
		if (errno != EADDRINUSE)
			return -errno;
		r = remove_stale(k->dirfd, k->name, sa, len);
		if (r < 0)
			return r;
		if (bind(sk, (const struct sockaddr *)sa, len) < 0)
			return -errno;
	}
	if (fstatat(k->dirfd, k->name, &st, AT_SYMLINK_NOFOLLOW) < 0 || listen(sk, 8) < 0) {
		r = -errno;
		(void)unlinkat(k->dirfd, k->name, 0);
		return r;
	}
	k->ino = st.st_ino;
	k->listener = sk;
	sk = -1;
	return 0;
}

/* The child that becomes the keeper: out of the caller's session, with
 * none of its fds (it outlives ckpt, and must not hold the images or a
 * pipe); tells @report whether it listens. */
static _Noreturn void keeper_main(struct keeper *k, int report, const struct sockaddr_un *sa,
				  socklen_t len)
{
	int w = fcntl(report, F_DUPFD_CLOEXEC, 100), r;

	k->dirfd = fcntl(k->dirfd, F_DUPFD_CLOEXEC, 100);
	k->root_pidfd = fcntl(k->root_pidfd, F_DUPFD_CLOEXEC, 100);
	(void)syscall(SYS_close_range, 0, 99, 0);
	(void)syscall(SYS_close_range, MAX(MAX(k->dirfd, k->root_pidfd), w) + 1, ~0U, 0);
	for (int fd = 0; fd < 3; fd++)
		(void)open("/dev/null", O_RDWR);
	(void)setsid();
	(void)prctl(PR_SET_NAME, "ckpt-track", 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	r = k->dirfd < 0 || k->root_pidfd < 0 || w < 0 ? -EMFILE : keeper_listen(k, sa, len);
	if (write(w, &r, sizeof(r)) != sizeof(r) || r < 0)
		_exit(1);
	close(w);
	keeper_serve(k);
}

/* Wait (bounded) for the new keeper to say it listens. */
static int keeper_wait_ready(int rfd)
{
	struct pollfd p = { rfd, POLLIN, 0 };
	int r, said;

	r = poll(&p, 1, KEEPER_TIMEOUT_MS);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	r = (int)read(rfd, &said, sizeof(said));
	if (r < 0)
		return -errno;
	return r == sizeof(said) && said <= 0 ? said : -ECHILD;
}

static int keeper_spawn(int root)
{
	struct keeper k = { .listener = -1 };
	_cleanup_close_ int dirfd = keeper_dir_open(true), pidfd = -1;
	struct sockaddr_un sa;
	const char *name;
	socklen_t len;
	int pipefd[2], r, status;
	pid_t pid;

	if (dirfd < 0)
		return dirfd;
	r = keeper_addr(root, &sa, &len, &name);
	if (r < 0)
		return r;
	pidfd = (int)syscall(SYS_pidfd_open, root, 0);
	if (pidfd < 0)
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	k.dirfd = dirfd;
	k.root_pidfd = pidfd;
	snprintf(k.name, sizeof(k.name), "%s", name);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		keeper_main(&k, pipefd[1], &sa, len);
	}
	close(pipefd[1]);
	r = pid < 0 ? -errno : keeper_wait_ready(pipefd[0]);
	close(pipefd[0]);
	if (r < 0 && pid > 0) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
	}
	return r;
}

int keeper_put(int root, const struct track_state *ts)
{
	_cleanup_close_ int sk = -1;
	int r;

	if (geteuid() != 0)
		return -EACCES;
	sk = keeper_connect(root);
	if (sk == -ENOENT) {
		r = keeper_spawn(root);
		if (r < 0)
			return r;
		sk = keeper_connect(root);
	}
	if (sk < 0)
		return sk;
	r = send_state(sk, KEEPER_PUT, ts);
	return r < 0 ? r : expect_ok(sk);
}
