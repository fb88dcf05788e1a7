/*
 * 82-unix-client.c - a process with unix sockets whose peers are outside
 * its tree, or with file descriptors in flight.
 *
 * Usage: 82-unix-client WORKDIR [--server DIR] [--scm]
 *
 * --server DIR: connects a stream socket to DIR/server.sock and a
 * datagram socket to DIR/log.sock (81-unix-peer). Each self-check k sends
 * "ping k" on the stream and waits (up to 5 s) for "echo:ping k conn=N",
 * then sends "log k" on the datagram socket; reports round=k and conn=N
 * (which connection of the server's it is on).
 * --scm: a socketpair with a file descriptor (of /dev/null) sent through
 * it and not received: in flight. Each self-check peeks at it: the
 * descriptor must still be there. Reports scm=ok.
 * Before READY it writes "SOCKETS stream=FD dgram=FD" (with --server).
 */
#include "target.h"

#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static int ssk = -1, dsk = -1, scm[2] = { -1, -1 };
static unsigned int round_no;

static int connected(int type, const char *dir, const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", dir, name);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		t_fatal("connect %s", a.sun_path);
	return fd;
}

static void check_server(struct t_check *c)
{
	char msg[64], want[80], buf[128];
	struct pollfd p = { .fd = ssk, .events = POLLIN };
	int len = snprintf(msg, sizeof(msg), "ping %u", round_no), conn = 0;
	ssize_t n;

	if (send(ssk, msg, (size_t)len, MSG_NOSIGNAL) != len) {
		t_check_fail(c, "stream: send: %s", strerror(errno));
		return;
	}
	if (poll(&p, 1, 5000) != 1) {
		t_check_fail(c, "stream: no answer from the server");
		return;
	}
	n = recv(ssk, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "echo:%s conn=", msg);
	if (n <= 0 || strncmp(buf, want, strlen(want)) ||
	    sscanf(buf + strlen(want), "%d", &conn) != 1)
		t_check_fail(c, "stream: answer '%s', want '%s'N", buf, want);
	t_check_info(c, "conn=%d", conn);
	len = snprintf(msg, sizeof(msg), "log %u", round_no);
	if (send(dsk, msg, (size_t)len, MSG_NOSIGNAL) != len)
		t_check_fail(c, "dgram: send: %s", strerror(errno));
}

static void setup_scm(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { "fd", 2 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, scm))
		t_fatal("scm set-up");
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	if (sendmsg(scm[1], &msg, 0) != 2)
		t_fatal("sendmsg SCM_RIGHTS");
	close(fd);
}

/* The descriptor is still in flight: a peek gets a copy of it. */
static void check_scm(struct t_check *c)
{
	char cbuf[CMSG_SPACE(sizeof(int))], data[2];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(scm[0], &msg, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 2 ||
	    !(cm = CMSG_FIRSTHDR(&msg)) || cm->cmsg_type != SCM_RIGHTS) {
		t_check_fail(c, "scm: the descriptor in flight is gone");
		return;
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	close(fd);
	t_check_info(c, "scm=ok");
}

static void check(struct t_check *c)
{
	round_no++;
	if (ssk >= 0)
		check_server(c);
	if (scm[0] >= 0)
		check_scm(c);
	t_check_info(c, "round=%u", round_no);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = check };

	t_init(argc, argv);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--server") && i + 1 < argc) {
			ssk = connected(SOCK_STREAM, argv[i + 1], "server.sock");
			dsk = connected(SOCK_DGRAM, argv[i + 1], "log.sock");
			i++;
		} else if (!strcmp(argv[i], "--scm")) {
			setup_scm();
		} else {
			errno = EINVAL;
			t_fatal("unknown argument '%s'", argv[i]);
		}
	}
	if (ssk >= 0)
		t_log("SOCKETS stream=%d dgram=%d", ssk, dsk);
	t_run(&ops);
	return 0;
}
