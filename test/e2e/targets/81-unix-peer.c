/*
 * 81-unix-peer.c - a server outside the tree being dumped, for the tests
 * of unix sockets connected across the tree's edge.
 *
 * Usage: 81-unix-peer WORKDIR
 *
 * Listens on WORKDIR/server.sock (stream): every connection it accepts is
 * numbered 1, 2, ...; what a client sends on it comes back as
 * "echo:WHAT conn=N". Receives datagrams on WORKDIR/log.sock (a
 * syslog-like socket). All of it from its main loop, without blocking.
 * Self-check: reports conns= (accepted so far), open= (still connected),
 * dgrams= (received), last= (the last datagram, up to its first space
 * replaced by '_') and peers= (the uid each connection came from, as
 * SO_PEERCRED says at its accept, in order: "1001,0").
 */
#include "target.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define MAX_CONNS 64

static int lsk, dsk;
static int conns[MAX_CONNS], conn_no[MAX_CONNS];
static int nr_accepted, nr_dgrams;
static char last[128] = "-";
static char peers[256];

static int bound(int type, const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", t_workdir, name);
	if (strlen(path) >= sizeof(a.sun_path))
		t_fatal("'%s' is too long for a socket", path);
	memcpy(a.sun_path, path, strlen(path) + 1);
	unlink(a.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		t_fatal("bind %s", a.sun_path);
	return fd;
}

static void serve_conn(int i)
{
	char buf[256], reply[320];
	ssize_t n = recv(conns[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);
	int len;

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		close(conns[i]);
		conns[i] = -1;
		return;
	}
	buf[n] = 0;
	len = snprintf(reply, sizeof(reply), "echo:%s conn=%d", buf, conn_no[i]);
	if (send(conns[i], reply, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) != len) {
		close(conns[i]);
		conns[i] = -1;
	}
}

static void serve(void)
{
	struct ucred cred;
	char buf[128];
	size_t len;
	ssize_t n;
	int fd;

	while ((fd = accept4(lsk, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		int i = 0;

		while (i < MAX_CONNS && conns[i] >= 0)
			i++;
		if (i == MAX_CONNS) {
			close(fd);
			continue;
		}
		conns[i] = fd;
		conn_no[i] = ++nr_accepted;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &(socklen_t){ sizeof(cred) }))
			cred.uid = (uid_t)-1;
		len = strlen(peers);
		snprintf(peers + len, sizeof(peers) - len, "%s%d", len ? "," : "", (int)cred.uid);
	}
	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i] >= 0)
			serve_conn(i);
	while ((n = recv(dsk, buf, sizeof(buf) - 1, MSG_DONTWAIT)) >= 0) {
		buf[n] = 0;
		for (char *p = buf; *p; p++)
			if (*p == ' ')
				*p = '_';
		snprintf(last, sizeof(last), "%s", n ? buf : "(empty)");
		nr_dgrams++;
	}
}

static void check(struct t_check *c)
{
	int open = 0;

	for (int i = 0; i < MAX_CONNS; i++)
		open += conns[i] >= 0;
	t_check_info(c, "conns=%d", nr_accepted);
	t_check_info(c, "open=%d", open);
	t_check_info(c, "dgrams=%d", nr_dgrams);
	t_check_info(c, "last=%s", last);
	t_check_info(c, "peers=%s", peers[0] ? peers : "-");
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = serve, .check = check };

	t_init(argc, argv);
	for (int i = 0; i < MAX_CONNS; i++)
		conns[i] = -1;
	lsk = bound(SOCK_STREAM, "server.sock");
	if (listen(lsk, 16))
		t_fatal("listen");
	dsk = bound(SOCK_DGRAM, "log.sock");
	t_run(&ops);
	return 0;
}
