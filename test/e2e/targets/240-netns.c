/*
 * 240-netns.c - a server in a network namespace of its own, and its
 * clients outside (tests 240-243).
 *
 * Usage: 240-netns WORKDIR server PORT
 *        240-netns WORKDIR server-here PORT
 *        240-netns WORKDIR client ADDR PORT
 *
 * server-here: the same in the network namespace it was started in (a
 * container made by unshare(1) around it).
 *
 * server: unshare(CLONE_NEWNET) first (the test then gives the namespace
 * its links, addresses and routes from outside), then a TCP socket
 * listening on [::]:PORT (IPv4 too). Each connection it accepts gets,
 * for every line "MSG n" it sends, the line "ECHO n count=C", C the
 * lines the server has had from all its clients so far. It also listens
 * on the abstract unix name "@ckpt-e2e-240-PORT" (abstract names belong
 * to the network namespace). Self-check: every
 * connection is still established; info: conns, lines, and the
 * namespace as the server sees it: its addresses (getifaddrs), its
 * default gateway (/proc/self/net/route), net.core.somaxconn and
 * net.ipv4.ip_forward.
 *
 * client: connects to ADDR:PORT (from the namespace it was started in),
 * says "CONNECTED", then for every SIGUSR1 sends "MSG n" (n = 1, 2, ...)
 * and logs "GOT n count=C" when the echo comes back, or "LOST why" if the
 * connection broke. Self-check: still established.
 */
#include "target.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#define MAX_CONNS 8
#define ECHO_WAIT_MS 60000

static int listen_fd = -1;
static struct conn {
	int fd;
	char buf[256];
	size_t len;
} conns[MAX_CONNS];
static int nr_conns;
static unsigned long lines;

static int client_fd = -1;
static int sent, lost;

static bool established(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	       ti.tcpi_state == TCP_ESTABLISHED;
}

static void server_line(struct conn *c, const char *line)
{
	char out[128];
	int n;

	if (strncmp(line, "MSG ", 4))
		return;
	lines++;
	n = snprintf(out, sizeof(out), "ECHO %s count=%lu\n", line + 4, lines);
	t_write_all(c->fd, out, (size_t)n);
}

static void server_iterate(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd >= 0) {
		if (nr_conns == MAX_CONNS)
			t_fatal("too many clients");
		conns[nr_conns++] = (struct conn){ .fd = fd };
	}
	for (int i = 0; i < nr_conns; i++) {
		struct conn *c = &conns[i];
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		char *nl;

		if (n <= 0)
			continue;
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		while ((nl = strchr(c->buf, '\n'))) {
			*nl = '\0';
			server_line(c, c->buf);
			c->len -= (size_t)(nl + 1 - c->buf);
			memmove(c->buf, nl + 1, c->len + 1);
		}
	}
}

static void read_sysctl(const char *name, char *buf, size_t size)
{
	char path[128];
	int fd, n = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/%s", name);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = (int)read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\t' || *p == ' ')
			*p = *p == '\n' ? '\0' : '-';
}

/* The addresses of the namespace, "name/address" sorted, comma-joined. */
static void addresses(char *out, size_t size)
{
	struct ifaddrs *ifa, *a;
	char items[32][80];
	int n = 0;

	out[0] = '\0';
	if (getifaddrs(&ifa) < 0)
		return;
	for (a = ifa; a && n < 32; a = a->ifa_next) {
		char addr[INET6_ADDRSTRLEN] = "";

		if (!a->ifa_addr)
			continue;
		if (a->ifa_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, addr,
				  sizeof(addr));
		else if (a->ifa_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr, addr,
				  sizeof(addr));
		else
			continue;
		snprintf(items[n++], sizeof(items[0]), "%s/%s", a->ifa_name, addr);
	}
	freeifaddrs(ifa);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (strcmp(items[i], items[j]) > 0) {
				char t[80];

				memcpy(t, items[i], sizeof(t));
				memcpy(items[i], items[j], sizeof(t));
				memcpy(items[j], t, sizeof(t));
			}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(out);

		snprintf(out + len, size - len, "%s%s", i ? "," : "", items[i]);
	}
}

/* The default route's gateway and device, from the namespace's own table. */
static void default_gw(char *out, size_t size)
{
	FILE *f = fopen("/proc/self/net/route", "r");
	char line[256], dev[32];
	unsigned int dst, gw;

	snprintf(out, size, "none");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %x %x", dev, &dst, &gw) == 3 && dst == 0) {
			struct in_addr a = { gw };

			snprintf(out, size, "%s@%s", inet_ntoa(a), dev);
		}
	fclose(f);
}

static void server_check(struct t_check *c)
{
	char buf[800];

	for (int i = 0; i < nr_conns; i++)
		if (!established(conns[i].fd))
			t_check_fail(c, "connection %d is not established", i);
	t_check_info(c, "conns=%d lines=%lu", nr_conns, lines);
	addresses(buf, sizeof(buf));
	t_check_info(c, "addrs=%s", buf);
	default_gw(buf, sizeof(buf));
	t_check_info(c, "gw=%s", buf);
	read_sysctl("core/somaxconn", buf, sizeof(buf));
	t_check_info(c, "somaxconn=%s", buf);
	read_sysctl("ipv4/ip_forward", buf, sizeof(buf));
	t_check_info(c, "fwd=%s", buf);
	read_sysctl("ipv4/ip_local_port_range", buf, sizeof(buf));
	t_check_info(c, "ports=%s", buf);
}

static int server(int port, bool own_netns)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	int one = 1, zero = 0;
	struct t_ops ops = { server_iterate, server_check };

	struct sockaddr_un u = { .sun_family = AF_UNIX };
	int ufd, ulen;

	if (own_netns && unshare(CLONE_NEWNET) < 0)
		t_fatal("unshare(CLONE_NEWNET)");
	ulen = snprintf(u.sun_path + 1, sizeof(u.sun_path) - 1, "ckpt-e2e-240-%d", port);
	ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ufd < 0 ||
	    bind(ufd, (struct sockaddr *)&u, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + ulen)) < 0 ||
	    listen(ufd, 1) < 0)
		t_fatal("abstract unix socket");
	listen_fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 ||
	    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(listen_fd, 8) < 0)
		t_fatal("listen on port %d", port);
	t_run(&ops);
	return 0;
}

/* One echo, whole, within ECHO_WAIT_MS. */
static int read_echo(char *line, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		struct pollfd p = { client_fd, POLLIN, 0 };
		int r = poll(&p, 1, ECHO_WAIT_MS);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		n = read(client_fd, line + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		if (line[len] == '\n') {
			line[len] = '\0';
			return 0;
		}
		len++;
	}
	return -E2BIG;
}

static void client_iterate(void)
{
	char msg[64], line[128];
	int n, r;

	if (lost || sent >= t_usr1_count)
		return;
	sent++;
	n = snprintf(msg, sizeof(msg), "MSG %d\n", sent);
	if (write(client_fd, msg, (size_t)n) != n) {
		lost = 1;
		t_log("LOST write: %s", strerror(errno));
		return;
	}
	r = read_echo(line, sizeof(line));
	if (r < 0) {
		lost = 1;
		t_log("LOST read: %s", strerror(-r));
		return;
	}
	if (strncmp(line, "ECHO ", 5)) {
		lost = 1;
		t_log("LOST garbage: %.40s", line);
		return;
	}
	t_log("GOT %s", line + 5);
}

static void client_check(struct t_check *c)
{
	if (lost || !established(client_fd))
		t_check_fail(c, "the connection is lost");
	t_check_info(c, "sent=%d", sent);
}

static int client(const char *addr, int port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	struct t_ops ops = { client_iterate, client_check };

	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		len = sizeof(*a6);
	} else {
		t_fatal("bad address %s", addr);
	}
	client_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (client_fd < 0 || connect(client_fd, (struct sockaddr *)&ss, len) < 0)
		t_fatal("connect to %s port %d", addr, port);
	t_log("CONNECTED");
	t_run(&ops);
	return 0;
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	if (argc == 4 && !strcmp(argv[2], "server"))
		return server(atoi(argv[3]), true);
	if (argc == 4 && !strcmp(argv[2], "server-here"))
		return server(atoi(argv[3]), false);
	if (argc == 5 && !strcmp(argv[2], "client"))
		return client(argv[3], atoi(argv[4]));
	t_fatal("usage: 240-netns WORKDIR server PORT | client ADDR PORT");
}
