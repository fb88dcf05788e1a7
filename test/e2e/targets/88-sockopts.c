/*
 * 88-sockopts.c - a UDP socket with an option an ordinary user may set
 * (IP_TOS 0x10), for the attack that edits it into one only a privileged
 * process may set (attacks/50-sockopts.sh).
 *
 * Usage: 88-sockopts WORKDIR
 *
 * Set up before READY: fd 10, a UDP socket bound to 127.0.0.1, IP_TOS
 * 0x10; fd 11/12, a unix socketpair, 11 with SO_KEEPALIVE.
 *
 * Self-check (SIGUSR2): reports tos=IP_TOS and what an attacker would
 * want, mark=SO_MARK prio=SO_PRIORITY sndbuf=SO_SNDBUF of fd 10 and
 * umark=SO_MARK and usndbuf=SO_SNDBUF of fd 11.
 */
#include "target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int getint_of(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int v = -1;

	getsockopt(fd, level, name, &v, &len);
	return v;
}

static int getint(int level, int name)
{
	return getint_of(10, level, name);
}

static void opts_check(struct t_check *c)
{
	t_check_info(c, "tos=%d", getint(SOL_IP, IP_TOS));
	t_check_info(c, "mark=%d", getint(SOL_SOCKET, SO_MARK));
	t_check_info(c, "prio=%d", getint(SOL_SOCKET, SO_PRIORITY));
	t_check_info(c, "sndbuf=%d", getint(SOL_SOCKET, SO_SNDBUF));
	t_check_info(c, "umark=%d", getint_of(11, SOL_SOCKET, SO_MARK));
	t_check_info(c, "usndbuf=%d", getint_of(11, SOL_SOCKET, SO_SNDBUF));
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = opts_check };
	struct sockaddr_in lo = { .sin_family = AF_INET };
	int tos = 0x10, one = 1, sk[2];

	t_init(argc, argv);
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t_fd_at(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 10);
	if (bind(10, (struct sockaddr *)&lo, sizeof(lo)) ||
	    setsockopt(10, SOL_IP, IP_TOS, &tos, sizeof(tos)))
		t_fatal("socket set-up");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sk))
		t_fatal("socketpair");
	t_fd_at(sk[0], 11);
	t_fd_at(sk[1], 12);
	if (setsockopt(11, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)))
		t_fatal("SO_KEEPALIVE");
	t_run(&ops);
	return 0;
}
