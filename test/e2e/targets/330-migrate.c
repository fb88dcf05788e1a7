/*
 * 330-migrate.c - a job moved between two machines (tests 330-339, the
 * migration bench).
 *
 * Usage: 330-migrate WORKDIR [mib=N] [pct=P] [kids=K] [map=FILE]
 *                            [serve=ADDR:PORT] [client=ADDR:PORT]
 *
 *  mib=N    N MiB (default 8) of private anonymous memory, each page
 *           holding its number and a generation, the generations kept in
 *           memory too; the self-check verifies every page (the job's own
 *           checksum of its memory).
 *  pct=P    rewrite P per cent of those pages per second (a new
 *           generation each time, round robin), whatever happens: a job
 *           that keeps writing while it is pre-dumped. P may be a
 *           fraction (0.5).
 *  kids=K   fork K children first; each answers the root's checks (its
 *           PID, PPID, PGID, SID as at start, and its copy of the first
 *           MiB of the region as it was at the fork). "KIDS pids=..."
 *           comes before READY.
 *  map=FILE FILE mapped private read-only: its first line must still read
 *           as it did at start.
 *  serve=ADDR:PORT  a TCP server: answers each line "L" on any number of
 *           held connections with "ECHO n=N L", N counting every line
 *           served since start (in memory: it goes on across a restore).
 *  client=ADDR:PORT a TCP client: connects once; on each SIGUSR1 number k
 *           sends "PING k" and waits (up to 60 s) for its answer, logged
 *           as "GOT k ANSWER", or "LOST why" if the connection broke.
 *
 * The WORKDIR/seq file of target.h is written as always (its offset
 * checked by the test). Self-check info: pages= writes= gen= kids= served=
 * conns=.
 */
#include "target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define MAX_CONN 16
#define KIDS_MAX 8
#define KID_CHECK_PAGES 256

static unsigned char *mem;
static uint32_t *gens;
static size_t pages;
static double pct;
static int64_t t_start;
static uint64_t writes; /* pages rewritten since start */
static size_t cursor;

static struct t_board *board;
static int kids;

static const char *map_path;
static char *map_mem;
static char map_first[64];

static int listen_fd = -1;
static int conns[MAX_CONN];
static char conn_buf[MAX_CONN][512];
static size_t conn_len[MAX_CONN];
static unsigned long served;

static int client_fd = -1;
static int client_sent;

static void page_fill(size_t i, uint32_t gen)
{
	uint64_t *w = (uint64_t *)(mem + i * 4096);

	for (size_t k = 0; k < 4096 / 8; k++)
		w[k] = ((uint64_t)i << 32 | gen) * 0x9e3779b97f4a7c15ull + k;
}

static int page_ok(const unsigned char *base, size_t i, uint32_t gen)
{
	const uint64_t *w = (const uint64_t *)(base + i * 4096);

	for (size_t k = 0; k < 4096 / 8; k++)
		if (w[k] != (((uint64_t)i << 32 | gen) * 0x9e3779b97f4a7c15ull + k))
			return 0;
	return 1;
}

/* ---- memory ------------------------------------------------------------ */

static void mem_make(size_t mib)
{
	pages = mib * 256;
	mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gens = mmap(NULL, pages * sizeof(*gens), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || gens == MAP_FAILED)
		t_fatal("mmap %zu MiB", mib);
	for (size_t i = 0; i < pages; i++) {
		page_fill(i, 1);
		gens[i] = 1;
	}
}

/* As many page writes as P per cent a second since start asks for. */
static void mem_write_due(void)
{
	uint64_t due;

	if (pct <= 0)
		return;
	due = (uint64_t)((double)(t_now_ns() - t_start) / 1e9 * (double)pages * pct / 100.0);
	while (writes < due) {
		gens[cursor]++;
		page_fill(cursor, gens[cursor]);
		cursor = (cursor + 1) % pages;
		writes++;
	}
}

static void mem_check(struct t_check *c)
{
	size_t bad = 0, first = 0;

	for (size_t i = 0; i < pages; i++)
		if (!page_ok(mem, i, gens[i]) && !bad++)
			first = i;
	if (bad)
		t_check_fail(
			c,
			"%zu of %zu pages hold the wrong data (first: page %zu, want generation %u)",
			bad, pages, first, gens[first]);
}

/* ---- children ---------------------------------------------------------- */

/* A child's copy of the first pages is the one it got at the fork. */
static void kid_check(struct t_check *c, int i)
{
	size_t n = pages < KID_CHECK_PAGES ? pages : KID_CHECK_PAGES;

	(void)i;
	for (size_t p = 0; p < n; p++)
		if (!page_ok(mem, p, 1)) {
			t_check_fail(c, "page %zu of its copy changed", p);
			return;
		}
}

static const char *kid_name(int i)
{
	static char name[32];

	snprintf(name, sizeof(name), "kid %d", i);
	return name;
}

static void kids_start(void)
{
	char line[256] = "KIDS pids=";

	board = t_board_new(kids + 1);
	t_slot_record(board, 0);
	for (int i = 1; i <= kids; i++) {
		pid_t p = fork();

		if (p < 0)
			t_fatal("fork");
		if (p == 0) {
			t_slot_record(board, i);
			t_board_serve(board, i, kid_check);
		}
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%d", i > 1 ? "," : "",
			 (int)p);
	}
	t_log("%s", line);
}

static void kids_check(struct t_check *c)
{
	uint32_t gen;

	if (!kids)
		return;
	gen = t_board_ask(board);
	t_board_wait(board, 1, gen, 10LL * 1000000000);
	t_board_report(board, 1, gen, c, kid_name);
	for (int i = 1; i <= kids; i++) {
		int st;

		if (waitpid(board->slot[i].pid0, &st, WNOHANG) != 0)
			t_check_fail(c, "kid %d (pid %d) is gone", i, board->slot[i].pid0);
	}
}

/* ---- the mapped file --------------------------------------------------- */

static void map_open(void)
{
	int fd = open(map_path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || st.st_size == 0)
		t_fatal("open %s", map_path);
	map_mem = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map_mem == MAP_FAILED)
		t_fatal("mmap %s", map_path);
	close(fd);
	snprintf(map_first, sizeof(map_first), "%.*s", (int)strcspn(map_mem, "\n"), map_mem);
}

static void map_check(struct t_check *c)
{
	if (map_mem && strncmp(map_mem, map_first, strlen(map_first)))
		t_check_fail(c, "the mapped file does not read '%s' any more", map_first);
}

/* ---- TCP --------------------------------------------------------------- */

static void addr_parse(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		t_fatal("bad ADDR:PORT '%s'", s);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		t_fatal("bad address '%s'", host);
}

static void serve_start(const char *spec)
{
	struct sockaddr_in a;
	int one = 1;

	addr_parse(spec, &a);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) || listen(listen_fd, 8))
		t_fatal("listen on %s", spec);
	for (int i = 0; i < MAX_CONN; i++)
		conns[i] = -1;
}

static void conn_drop(int i)
{
	close(conns[i]);
	conns[i] = -1;
	conn_len[i] = 0;
}

static void conn_lines(int i)
{
	char *nl;

	while ((nl = memchr(conn_buf[i], '\n', conn_len[i]))) {
		char reply[600];
		size_t len = (size_t)(nl - conn_buf[i]);
		int n;

		n = snprintf(reply, sizeof(reply), "ECHO n=%lu %.*s\n", ++served, (int)len,
			     conn_buf[i]);
		if (send(conns[i], reply, (size_t)n, MSG_NOSIGNAL) != n) {
			conn_drop(i);
			return;
		}
		memmove(conn_buf[i], nl + 1, conn_len[i] - len - 1);
		conn_len[i] -= len + 1;
	}
}

static void serve_iterate(void)
{
	int fd;

	while ((fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int i;

		for (i = 0; i < MAX_CONN && conns[i] >= 0; i++)
			;
		if (i == MAX_CONN) {
			close(fd);
			continue;
		}
		conns[i] = fd;
	}
	for (int i = 0; i < MAX_CONN; i++) {
		ssize_t n;

		if (conns[i] < 0)
			continue;
		n = recv(conns[i], conn_buf[i] + conn_len[i], sizeof(conn_buf[i]) - conn_len[i], 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_drop(i);
			continue;
		}
		if (n > 0) {
			conn_len[i] += (size_t)n;
			conn_lines(i);
			if (conns[i] >= 0 && conn_len[i] == sizeof(conn_buf[i]))
				conn_drop(i); /* a line too long */
		}
	}
}

static void client_start(const char *spec)
{
	struct sockaddr_in a;

	addr_parse(spec, &a);
	client_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (client_fd < 0 || connect(client_fd, (struct sockaddr *)&a, sizeof(a)))
		t_fatal("connect to %s", spec);
}

/* One PING per SIGUSR1 counted, each waiting for its answer. */
static void client_iterate(void)
{
	while (client_fd >= 0 && client_sent < t_usr1_count) {
		char msg[64], buf[600];
		size_t len = 0;
		int64_t end = t_now_ns() + 60LL * 1000000000;
		int n = snprintf(msg, sizeof(msg), "PING %d\n", ++client_sent);

		if (send(client_fd, msg, (size_t)n, MSG_NOSIGNAL) != n) {
			t_log("LOST send: %s", strerror(errno));
			client_fd = -1;
			return;
		}
		while (!memchr(buf, '\n', len)) {
			struct pollfd p = { client_fd, POLLIN, 0 };
			int64_t left = end - t_now_ns();
			ssize_t r;

			if (left <= 0 ||
			    (poll(&p, 1, (int)(left / 1000000)) < 0 && errno != EINTR)) {
				t_log("LOST no answer to PING %d in 60 s", client_sent);
				client_fd = -1;
				return;
			}
			if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = recv(client_fd, buf + len, sizeof(buf) - 1 - len, 0);
			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				t_log("LOST recv: %s", r ? strerror(errno) : "end of file");
				client_fd = -1;
				return;
			}
			len += (size_t)r;
			if (len == sizeof(buf) - 1)
				break;
		}
		t_log("GOT %d %.*s", client_sent, (int)strcspn(buf, "\n"), buf);
	}
}

/* ---- the loop ---------------------------------------------------------- */

static void job_iterate(void)
{
	mem_write_due();
	if (listen_fd >= 0)
		serve_iterate();
	if (client_fd >= 0 || client_sent < t_usr1_count)
		client_iterate();
}

static void job_check(struct t_check *c)
{
	int open_conns = 0;

	mem_check(c);
	kids_check(c);
	map_check(c);
	for (int i = 0; i < MAX_CONN; i++)
		open_conns += listen_fd >= 0 && conns[i] >= 0;
	t_check_info(c, "pages=%zu writes=%llu kids=%d served=%lu conns=%d", pages,
		     (unsigned long long)writes, kids, served, open_conns);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = job_iterate, .check = job_check };
	const char *serve = NULL, *client = NULL;
	size_t mib = 8;

	t_init(argc, argv);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "mib=", 4))
			mib = (size_t)atol(a + 4);
		else if (!strncmp(a, "pct=", 4))
			pct = atof(a + 4);
		else if (!strncmp(a, "kids=", 5))
			kids = atoi(a + 5);
		else if (!strncmp(a, "map=", 4))
			map_path = a + 4;
		else if (!strncmp(a, "serve=", 6))
			serve = a + 6;
		else if (!strncmp(a, "client=", 7))
			client = a + 7;
		else
			t_fatal("unknown argument '%s'", a);
	}
	if (mib == 0 || kids < 0 || kids > KIDS_MAX || pct < 0 || pct > 100)
		t_fatal("bad arguments");
	mem_make(mib);
	if (map_path)
		map_open();
	if (kids)
		kids_start();
	if (serve)
		serve_start(serve);
	if (client)
		client_start(client);
	t_start = t_now_ns();
	t_run(&ops);
	return 0;
}
