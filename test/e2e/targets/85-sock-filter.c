/*
 * 85-sock-filter.c - what every socket has whatever its family: a classic
 * socket filter (SO_ATTACH_FILTER), its lock (SO_LOCK_FILTER), and
 * SO_BUF_LOCK.
 *
 * Usage: 85-sock-filter WORKDIR [ebpf]
 *
 * Set up before READY:
 *  - fd 10/11: a unix datagram socketpair; 10 has a filter that keeps
 *    only datagrams starting with 'A' (4 instructions), locked;
 *  - fd 12: a UDP socket on 127.0.0.1 with the same filter, not locked,
 *    and SO_BUF_LOCK SOCK_RCVBUF_LOCK;
 *  - fd 13/14: a unix stream socketpair; 13 has SO_BUF_LOCK with both
 *    locks and no size of its own, and SO_LINGER {1, 3};
 *  - options the socket kinds do not save themselves (extras[]):
 *    SO_TIMESTAMP and SO_RCVMARK on 10, SO_RXQ_OVFL on 12, SO_PRIORITY 5,
 *    SO_KEEPALIVE, SO_OOBINLINE, SO_MARK 7, SO_DONTROUTE on 13.
 * With "ebpf", fd 10 has an eBPF filter (SO_ATTACH_BPF) instead, which
 * ckpt cannot read back: the dump must be refused.
 *
 * Self-check (SIGUSR2): SO_GET_FILTER gives back the same program (EACCES
 * for the eBPF one),
 * SO_LOCK_FILTER, SO_BUF_LOCK and the other options read as set up, and
 * the filters still
 * work: "B..." then "A..." sent to 10 (from 11) and to 12 (from itself)
 * arrive as "A..." alone.
 */
#include "target.h"

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif
#ifndef SO_RCVMARK
#define SO_RCVMARK 75
#endif

/* Options no kind saves itself: fd, option, value. */
static const struct {
	int fd, name, value;
} extras[] = {
	{ 10, SO_TIMESTAMP, 1 }, { 10, SO_RCVMARK, 1 },	 { 12, SO_RXQ_OVFL, 1 },
	{ 13, SO_PRIORITY, 5 },	 { 13, SO_KEEPALIVE, 1 }, { 13, SO_OOBINLINE, 1 },
	{ 13, SO_MARK, 7 },	 { 13, SO_DONTROUTE, 1 },
};

/* The first byte of the data: UDP sockets see their header first. */
#define ONLY_A(off)                                                                                \
	{                                                                                          \
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, off),                                           \
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 'A', 0, 1),                            \
			BPF_STMT(BPF_RET | BPF_K, 0xffff), BPF_STMT(BPF_RET | BPF_K, 0),           \
	}
static struct sock_filter only_a[2][4] = { ONLY_A(0), ONLY_A(8) };
static int ebpf;
static unsigned long round_no;

static void attach(int fd, int udp)
{
	struct sock_fprog p = { 4, only_a[udp] };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p)))
		t_fatal("SO_ATTACH_FILTER on %d", fd);
}

static void setint(int fd, int name, int v)
{
	if (setsockopt(fd, SOL_SOCKET, name, &v, sizeof(v)))
		t_fatal("setsockopt %d on %d", name, fd);
}

static int getint(int fd, int name)
{
	socklen_t len = sizeof(int);
	int v = -1;

	getsockopt(fd, SOL_SOCKET, name, &v, &len);
	return v;
}

static void attach_ebpf(int fd)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a = { .prog_type = BPF_PROG_TYPE_SOCKET_FILTER, .insn_cnt = 2 };
	int pfd;

	a.insns = (uint64_t)(uintptr_t)prog;
	a.license = (uint64_t)(uintptr_t) "GPL";
	pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (pfd < 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &pfd, sizeof(pfd)) || close(pfd))
		t_fatal("SO_ATTACH_BPF");
}

static void expect_filter(struct t_check *c, int fd, int udp)
{
	struct sock_filter got[8];
	socklen_t n = 8;

	if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, got, &n))
		t_check_fail(c, "SO_GET_FILTER of fd %d: %s", fd, strerror(errno));
	else if (n != 4 || memcmp(got, only_a[udp], sizeof(only_a[udp])))
		t_check_fail(c, "fd %d has a filter of %u instructions, not its own", fd,
			     (unsigned int)n);
}

/* "B" then "A" through @wfd (to @to): only "A" reaches @rfd. */
static void through(struct t_check *c, int rfd, int wfd, const struct sockaddr_in *to)
{
	char b[32], a[32], got[32];
	socklen_t tl = to ? sizeof(*to) : 0;
	ssize_t n;

	snprintf(b, sizeof(b), "B%lu", round_no);
	snprintf(a, sizeof(a), "A%lu", round_no);
	if (sendto(wfd, b, strlen(b), 0, (const struct sockaddr *)to, tl) < 0 ||
	    sendto(wfd, a, strlen(a), 0, (const struct sockaddr *)to, tl) < 0) {
		t_check_fail(c, "send to fd %d: %s", rfd, strerror(errno));
		return;
	}
	/* Loopback UDP is queued by the send itself; wait a little anyway. */
	for (int i = 0; i < 1000; i++) {
		n = recv(rfd, got, sizeof(got) - 1, MSG_DONTWAIT);
		if (n >= 0 || errno != EAGAIN)
			break;
		usleep(1000);
	}
	if (n < 0) {
		t_check_fail(c, "nothing arrived at fd %d: %s", rfd, strerror(errno));
		return;
	}
	got[n] = 0;
	if (strcmp(got, a))
		t_check_fail(c, "fd %d received '%s', want '%s' (the filter is gone)", rfd, got, a);
	while (recv(rfd, got, sizeof(got), MSG_DONTWAIT) >= 0)
		;
}

static void filter_check(struct t_check *c)
{
	struct linger ln = { 0, 0 };
	struct sockaddr_in me;
	socklen_t len = sizeof(me), ln_len;

	round_no++;
	if (ebpf) {
		/* Still the eBPF filter, which keeps everything. */
		if (getsockopt(10, SOL_SOCKET, SO_GET_FILTER, NULL, &len) == 0 || errno != EACCES)
			t_check_fail(c, "fd 10 no longer has its eBPF filter");
	} else {
		expect_filter(c, 10, 0);
		through(c, 10, 11, NULL);
	}
	expect_filter(c, 12, 1);
	if (getint(10, SO_LOCK_FILTER) != !ebpf || getint(12, SO_LOCK_FILTER) != 0)
		t_check_fail(c, "SO_LOCK_FILTER %d and %d, want %d and 0", getint(10, SO_LOCK_FILTER),
			     getint(12, SO_LOCK_FILTER), !ebpf);
	if (getint(12, SO_BUF_LOCK) != 2 || getint(13, SO_BUF_LOCK) != 3)
		t_check_fail(c, "SO_BUF_LOCK %d and %d, want 2 and 3", getint(12, SO_BUF_LOCK),
			     getint(13, SO_BUF_LOCK));
	for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++)
		if (getint(extras[i].fd, extras[i].name) != extras[i].value)
			t_check_fail(c, "option %d of fd %d is %d, want %d", extras[i].name,
				     extras[i].fd, getint(extras[i].fd, extras[i].name),
				     extras[i].value);
	ln_len = sizeof(ln);
	if (getsockopt(13, SOL_SOCKET, SO_LINGER, &ln, &ln_len) || !ln.l_onoff || ln.l_linger != 3)
		t_check_fail(c, "SO_LINGER of fd 13 is {%d, %d}, want {1, 3}", ln.l_onoff,
			     ln.l_linger);
	len = sizeof(me);
	if (getsockname(12, (struct sockaddr *)&me, &len))
		t_check_fail(c, "getsockname: %s", strerror(errno));
	else
		through(c, 12, 12, &me);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = filter_check };
	struct sockaddr_in lo = { .sin_family = AF_INET };
	int sk[2];

	t_init(argc, argv);
	ebpf = argc > 2 && !strcmp(argv[2], "ebpf");
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sk))
		t_fatal("socketpair");
	t_fd_at(sk[0], 10);
	t_fd_at(sk[1], 11);
	if (ebpf) {
		attach_ebpf(10);
	} else {
		attach(10, 0);
		setint(10, SO_LOCK_FILTER, 1);
	}
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t_fd_at(socket(AF_INET, SOCK_DGRAM, 0), 12);
	if (bind(12, (struct sockaddr *)&lo, sizeof(lo)))
		t_fatal("bind");
	attach(12, 1);
	setint(12, SO_BUF_LOCK, 2);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sk))
		t_fatal("socketpair");
	t_fd_at(sk[0], 13);
	t_fd_at(sk[1], 14);
	setint(13, SO_BUF_LOCK, 3);
	for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++)
		setint(extras[i].fd, extras[i].name, extras[i].value);
	if (setsockopt(13, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 3 }, sizeof(struct linger)))
		t_fatal("SO_LINGER");
	t_run(&ops);
	return 0;
}
