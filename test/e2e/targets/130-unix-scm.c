/*
 * 130-unix-scm.c - descriptors and credentials in flight in unix sockets.
 *
 * Usage: 130-unix-scm WORKDIR [--creds-only | --closed]
 *
 * Before READY it sets up:
 *  - a stream socketpair: "head" sent plainly, then "files" with three
 *    descriptors (SCM_RIGHTS): the read end of a pipe, a regular file
 *    ("data", 10 bytes, its offset at 4) and an eventfd holding 5. The
 *    process keeps its own fds of all three (the write end of the pipe
 *    too); nobody receives them;
 *  - a datagram socketpair whose receiver has SO_PASSCRED: a child (fork,
 *    dies with its parent) sends "from-child" with credentials of its own
 *    pid and uid/gid 65534 (as root may; run by another user, its own); once it is queued, the
 *    receiver gets a filter (SO_ATTACH_FILTER) that lets nothing more in;
 *  - a datagram socket bound to "dg.sock" (relative to WORKDIR) that
 *    "snd.sock" sent "named" with the pipe's write end (not with
 *    --creds-only);
 *  - a seqpacket socketpair, receiver with SO_PASSCRED: the process sends
 *    "from-self" (the kernel's credentials: its pid, uid, gid) with one
 *    descriptor, a dup of the eventfd;
 * and writes "TREE root=PID child=PID". --creds-only: no descriptors in
 * flight at all (no stream message, the record goes without one).
 * --closed: the stream message carries a fourth descriptor, one end of
 * a stream socketpair holding "inner" (sent by the other end, which the
 * process keeps), and the process closes its own fds of the four once
 * sent (it keeps the pipe's write end): no process has them open.
 *
 * Self-check (SIGUSR2): if WORKDIR/consume exists, the messages are
 * received (recvmsg), else peeked (MSG_PEEK gives working copies of the
 * descriptors just the same). Either way: the stream gives "headfiles"
 * with three descriptors; a byte written now on the pipe's write end is
 * read from the pipe end received; the file received is the process's own
 * description (same offset, 4, moved together), the eventfd received is
 * its own (reads 5, written back); the datagram says "from-child" with the
 * child's pid and 65534/65534; the record says "from-self" with this
 * process's pid, uid and gid, and its descriptor is the eventfd again.
 * Reports scm=N (descriptors checked) and creds=ok.
 */
#include "target.h"

#include <poll.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/kcmp.h>

static int st[2], dg[2], sq[2], pipe_w, file_fd, ev_fd, nrecv = -1, nsend = -1;
static pid_t child;
static uid_t child_uid;
static gid_t child_gid;
static bool creds_only, closed;
static int inner_peer = -1;

static void send_with(int sk, const char *data, const int *fds, int nr, const struct ucred *cr)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 3) + CMSG_SPACE(sizeof(struct ucred))] = { 0 };
	struct iovec iov = { (void *)data, strlen(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	size_t len = 0;

	if (nr)
		len += CMSG_SPACE(sizeof(int) * (size_t)nr);
	if (cr)
		len += CMSG_SPACE(sizeof(*cr));
	if (len) {
		msg.msg_control = cbuf;
		msg.msg_controllen = len;
	}
	cm = len ? CMSG_FIRSTHDR(&msg) : NULL;
	if (nr) {
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nr);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nr);
		cm = CMSG_NXTHDR(&msg, cm);
	}
	if (cr) {
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_CREDENTIALS;
		cm->cmsg_len = CMSG_LEN(sizeof(*cr));
		memcpy(CMSG_DATA(cm), cr, sizeof(*cr));
	}
	if (sendmsg(sk, &msg, 0) != (ssize_t)iov.iov_len)
		t_fatal("sendmsg %s: %s", data, strerror(errno));
}

static bool same_file(int a, int b);

static void setup_named(void)
{
	struct sockaddr_un r = { AF_UNIX, "dg.sock" }, n = { AF_UNIX, "snd.sock" };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { "named", 5 };
	struct msghdr msg = { .msg_name = &r, .msg_namelen = sizeof(r), .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	nrecv = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	nsend = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nrecv < 0 || nsend < 0 || bind(nrecv, (struct sockaddr *)&r, sizeof(r)) ||
	    bind(nsend, (struct sockaddr *)&n, sizeof(n)))
		t_fatal("named sockets: %s", strerror(errno));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pipe_w, sizeof(int));
	if (sendmsg(nsend, &msg, 0) != 5)
		t_fatal("sendmsg named: %s", strerror(errno));
}

/* The datagram waiting on "dg.sock": from "snd.sock", the pipe's write end. */
static void check_named(struct t_check *c, bool consume)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)], data[16] = { 0 };
	struct sockaddr_un from = { 0 };
	struct iovec iov = { data, sizeof(data) - 1 };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd = -1;
	ssize_t n = recvmsg(nrecv, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | (consume ? 0 : MSG_PEEK));

	cm = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (cm && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (n != 5 || strcmp(data, "named") || strcmp(from.sun_path, "snd.sock") || fd < 0)
		t_check_fail(c, "named: got %zd '%s' from '%s' with fd %d", n, data, from.sun_path,
			     fd);
	else if (!same_file(fd, pipe_w))
		t_check_fail(c, "named: the descriptor is not the pipe's write end");
	if (fd >= 0)
		close(fd);
}

static struct sock_filter drop_insn[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
static const struct sock_fprog drop_all = { 1, drop_insn };

static void setup(void)
{
	int one = 1, p[2], fds[4], inner[2];
	uint64_t five = 5;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st) ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dg) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sq) || pipe2(p, O_CLOEXEC))
		t_fatal("sockets: %s", strerror(errno));
	if (setsockopt(dg[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    setsockopt(sq[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)))
		t_fatal("SO_PASSCRED: %s", strerror(errno));
	file_fd = open("data", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (file_fd < 0 || ev_fd < 0 || write(file_fd, "0123456789", 10) != 10 ||
	    lseek(file_fd, 4, SEEK_SET) != 4 || write(ev_fd, &five, 8) != 8)
		t_fatal("files: %s", strerror(errno));
	pipe_w = p[1];
	fds[0] = p[0];
	fds[1] = file_fd;
	fds[2] = ev_fd;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, inner) ||
	    write(inner[1], "inner", 5) != 5)
		t_fatal("inner socketpair: %s", strerror(errno));
	fds[3] = inner[0];
	inner_peer = inner[1];
	if (!creds_only) {
		send_with(st[1], "head", NULL, 0, NULL);
		send_with(st[1], "files", fds, closed ? 4 : 3, NULL);
	}
	send_with(sq[1], "from-self", &ev_fd, creds_only || closed ? 0 : 1, NULL);
	if (!creds_only)
		setup_named();
	close(inner[0]);
	if (closed) {
		close(p[0]);
		close(file_fd);
		close(ev_fd);
		file_fd = ev_fd = -1;
	}

	child_uid = getuid() ? getuid() : 65534;
	child_gid = getuid() ? getgid() : 65534;
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0) {
		struct ucred cr = { getpid(), child_uid, child_gid };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != t_pid)
			_exit(0);
		send_with(dg[1], "from-child", NULL, 0, &cr);
		for (;;) /* until the parent goes */
			pause();
	}
	/* The child's datagram is queued before READY. */
	for (int i = 0; i < 10000; i++) {
		struct pollfd pf = { dg[0], POLLIN, 0 };

		if (poll(&pf, 1, 1) == 1)
			break;
	}
	/* What waits was let in: a filter attached now judges only what comes after. */
	if (setsockopt(dg[0], SOL_SOCKET, SO_ATTACH_FILTER, &drop_all, sizeof(drop_all)))
		t_fatal("SO_ATTACH_FILTER: %s", strerror(errno));
	t_log("TREE root=%d child=%d", (int)getpid(), (int)child);
}

/* One message of @sk: its data (NUL-terminated), descriptors, credentials. */
static ssize_t take(int sk, bool consume, char *data, size_t size, int *fds, int *nr,
		    struct ucred *cr, bool *has_cr)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8) + CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { data, size - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(sk, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | (consume ? 0 : MSG_PEEK));

	*nr = 0;
	*has_cr = false;
	if (n < 0)
		return -errno;
	data[n] = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			*nr = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)*nr);
		} else if (c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(cr, CMSG_DATA(c), sizeof(*cr));
			*has_cr = true;
		}
	}
	return n;
}

static bool same_file(int a, int b)
{
	return syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, a, b) == 0;
}

/* --closed: the files in flight are theirs alone; the inner socket still
 * holds "inner" and talks to the end the process kept. */
static void check_closed(struct t_check *c, const int *fds)
{
	char buf[8] = { 0 };
	uint64_t v = 0;

	if (lseek(fds[1], 0, SEEK_CUR) != 4 || pread(fds[1], buf, 6, 4) != 6 ||
	    strcmp(buf, "456789"))
		t_check_fail(c, "closed: the file in flight is at %lld holding '%s'",
			     (long long)lseek(fds[1], 0, SEEK_CUR), buf);
	if (read(fds[2], &v, 8) != 8 || v != 5 || write(fds[2], &v, 8) != 8)
		t_check_fail(c, "closed: the eventfd in flight holds %llu, want 5",
			     (unsigned long long)v);
	memset(buf, 0, sizeof(buf));
	if (recv(fds[3], buf, 5, MSG_PEEK | MSG_DONTWAIT) != 5 || strcmp(buf, "inner"))
		t_check_fail(c, "closed: the socket in flight holds '%s', want 'inner'", buf);
	memset(buf, 0, sizeof(buf));
	if (send(fds[3], "pong", 4, MSG_DONTWAIT) != 4 ||
	    recv(inner_peer, buf, 4, MSG_DONTWAIT) != 4 || strcmp(buf, "pong"))
		t_check_fail(c, "closed: the socket in flight is not connected to its peer");
}

static void check_stream(struct t_check *c, bool consume)
{
	char data[64], b = 0;
	int fds[8], nr;
	struct ucred cr;
	bool has_cr;
	uint64_t v = 0;
	ssize_t n = take(st[0], consume, data, sizeof(data), fds, &nr, &cr, &has_cr);

	if (n < 0 || strcmp(data, "headfiles") || nr != 3 + closed) {
		t_check_fail(c, "stream: got %zd '%s' with %d fds, want 'headfiles' with %d", n,
			     n >= 0 ? data : strerror((int)-n), nr, 3 + closed);
		for (int i = 0; i < nr; i++)
			close(fds[i]);
		return;
	}
	/* The pipe: what is written now comes out of the end in flight. */
	if (write(pipe_w, "x", 1) != 1 || read(fds[0], &b, 1) != 1 || b != 'x')
		t_check_fail(c, "stream: the pipe end in flight does not read what is written");
	if (closed) {
		check_closed(c, fds);
		for (int i = 0; i < nr; i++)
			close(fds[i]);
		return;
	}
	/* The file: the process's own description, at offset 4. */
	if (lseek(fds[1], 0, SEEK_CUR) != 4)
		t_check_fail(c, "stream: the file in flight is at %lld, want 4",
			     (long long)lseek(fds[1], 0, SEEK_CUR));
	else if (!same_file(fds[1], file_fd) || lseek(fds[1], 6, SEEK_SET) != 6 ||
		 lseek(file_fd, 0, SEEK_CUR) != 6 || lseek(file_fd, 4, SEEK_SET) != 4)
		t_check_fail(c, "stream: the file in flight is not the process's own");
	if (!same_file(fds[2], ev_fd) || read(fds[2], &v, 8) != 8 || v != 5 ||
	    write(ev_fd, &v, 8) != 8)
		t_check_fail(c, "stream: the eventfd in flight is not the one holding 5 (%llu)",
			     (unsigned long long)v);
	for (int i = 0; i < nr; i++)
		close(fds[i]);
}

static void check_creds(struct t_check *c, bool consume, int *checked)
{
	char data[64];
	int fds[8], nr;
	struct ucred cr = { 0 };
	bool has_cr;
	ssize_t n = take(dg[0], consume, data, sizeof(data), fds, &nr, &cr, &has_cr);

	if (n < 0 || strcmp(data, "from-child") || !has_cr)
		t_check_fail(c, "dgram: got %zd '%s', credentials %d", n,
			     n >= 0 ? data : strerror((int)-n), has_cr);
	else if (cr.pid != child || cr.uid != child_uid || cr.gid != child_gid)
		t_check_fail(c, "dgram: credentials pid %d uid %u gid %u, want %d %u %u",
			     (int)cr.pid, cr.uid, cr.gid, (int)child, child_uid, child_gid);
	n = take(sq[0], consume, data, sizeof(data), fds, &nr, &cr, &has_cr);
	if (n < 0 || strcmp(data, "from-self") || !has_cr || nr != !(creds_only || closed))
		t_check_fail(c, "seqpacket: got %zd '%s', credentials %d, %d fds", n,
			     n >= 0 ? data : strerror((int)-n), has_cr, nr);
	else if (cr.pid != getpid() || cr.uid != getuid() || cr.gid != getgid())
		t_check_fail(c, "seqpacket: credentials pid %d uid %u gid %u, want %d %u %u",
			     (int)cr.pid, cr.uid, cr.gid, (int)getpid(), getuid(), getgid());
	else if (!creds_only && !closed && !same_file(fds[0], ev_fd))
		t_check_fail(c, "seqpacket: the descriptor in flight is not the eventfd");
	else
		*checked += 1;
	for (int i = 0; i < nr; i++)
		close(fds[i]);
}

static void check(struct t_check *c)
{
	bool consume = access("consume", F_OK) == 0;
	int checked = 3;

	if (!creds_only) {
		check_stream(c, consume);
		check_named(c, consume);
	}
	check_creds(c, consume, &checked);
	t_check_info(c, "scm=%d", checked);
	t_check_info(c, "creds=ok");
	t_check_info(c, "consumed=%d", consume);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { NULL, check };

	t_init(argc, argv);
	creds_only = argc > 2 && !strcmp(argv[2], "--creds-only");
	closed = argc > 2 && !strcmp(argv[2], "--closed");
	setup();
	t_run(&ops);
	return 0;
}
