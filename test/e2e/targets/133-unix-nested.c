/*
 * 133-unix-nested.c - unix sockets in flight in unix sockets in flight.
 *
 * Usage: 133-unix-nested WORKDIR N
 *
 * Before READY it makes N + 1 socketpairs (a[i], b[i]) and queues, for
 * i = 0 .. N - 1, "level i" in a[i] sent by b[i] with a[i + 1] in flight
 * (SCM_RIGHTS), and "leaf" in a[N] (seqpacket pairs). It keeps a[0]
 * and b[0] and closes
 * every other end: a[1] .. a[N] exist only in flight, one inside the
 * queue of the one before.
 *
 * Self-check (SIGUSR2): if WORKDIR/consume exists, it receives down the
 * chain (recvmsg), else only peeks at a[0] (its message and one
 * descriptor). Receiving: "level i" with one socket from each, then
 * "leaf" with none. Reports depth=N (what it went down) and consumed=0/1.
 */
#include "target.h"

#include <stdbool.h>
#include <sys/socket.h>

#define MAX_N 16

static int top = -1, n_levels;

static void send_fd(int sk, const char *data, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)data, strlen(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	}
	if (sendmsg(sk, &msg, 0) != (ssize_t)iov.iov_len)
		t_fatal("sendmsg %s: %s", data, strerror(errno));
}

static void setup(int n)
{
	int a[MAX_N + 1], b[MAX_N + 1];
	char msg[32];

	for (int i = 0; i <= n; i++) {
		int sp[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
			t_fatal("socketpair: %s", strerror(errno));
		a[i] = sp[0];
		b[i] = sp[1];
	}
	for (int i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "level %d", i);
		send_fd(b[i], msg, a[i + 1]);
	}
	send_fd(b[n], "leaf", -1);
	for (int i = 1; i <= n; i++) {
		close(a[i]);
		close(b[i]);
	}
	top = a[0]; /* b[0] is kept too, never used */
}

/* One record of @sk: 0 and its descriptor (-1: none) in *@fd, or -errno. */
static int take(int sk, bool consume, char *data, size_t size, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { data, size - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(sk, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | (consume ? 0 : MSG_PEEK));

	*fd = -1;
	if (n < 0)
		return -errno;
	data[n] = 0;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

static void check(struct t_check *c)
{
	bool consume = access("consume", F_OK) == 0;
	int sk = top, depth = 0;
	char data[32], want[32];

	for (int i = 0; i <= n_levels; i++) {
		int fd, r = take(sk, consume, data, sizeof(data), &fd);

		if (i < n_levels)
			snprintf(want, sizeof(want), "level %d", i);
		else
			snprintf(want, sizeof(want), "leaf");
		if (r < 0 || strcmp(data, want) || (fd >= 0) != (i < n_levels)) {
			t_check_fail(c, "level %d: got '%s' (%s) with fd %d, want '%s'", i,
				     r < 0 ? "" : data, r < 0 ? strerror(-r) : "ok", fd, want);
			if (fd >= 0)
				close(fd);
			break;
		}
		if (sk != top)
			close(sk);
		depth = i;
		if (!consume) {
			if (fd >= 0)
				close(fd);
			depth = n_levels; /* a peek goes no deeper than the top */
			break;
		}
		sk = fd;
	}
	if (sk != top && sk >= 0 && consume)
		close(sk);
	t_check_info(c, "depth=%d", depth);
	t_check_info(c, "consumed=%d", consume);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { NULL, check };

	t_init(argc, argv);
	n_levels = argc > 2 ? atoi(argv[2]) : 0;
	if (n_levels < 1 || n_levels > MAX_N)
		t_fatal("N must be 1 .. %d", MAX_N);
	setup(n_levels);
	t_run(&ops);
	return 0;
}
