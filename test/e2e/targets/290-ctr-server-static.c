/*
 * 290-ctr-server-static.c - the small server run inside the containers of
 * tests 290-299 (statically linked: it also runs in a busybox rootfs).
 *
 *     290-ctr-server-static PORT STATEDIR [SHMKEY]
 *
 * Set-up: forks one worker child (it only waits for the server's signal),
 * creates a System V shared memory segment (SHMKEY, default 0x290290) with
 * a pattern and a counter, writes STATEDIR/server.txt, records its PID, its
 * parent's, its worker's, its hostname and what STATEDIR/note.txt holds
 * (the test writes it before starting us, from outside), then listens on
 * TCP PORT (any address) and prints "READY pid=N" on stdout.
 *
 * One line per request, one line per answer, on any number of held
 * connections (poll loop):
 *
 *     PING          -> PONG n=N          N counts every request served
 *     INFO          -> INFO pid=.. ppid=.. worker=.. host=.. shmid=..
 *     CHECK         -> CHECK OK n=.. pid=.. host=.. ... | CHECK FAIL what
 *     PUT TEXT      -> PUT OK            TEXT into the shm segment
 *
 * CHECK is the server's own view of its state: its PID, its parent's and
 * its worker's (alive, still its child) as at start, the hostname as at
 * start, the shm segment at the same id with its pattern intact and its
 * counter equal to the server's own, server.txt and note.txt as written.
 * The test compares that view before the dump and after the restore.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CONN 32
#define SHM_SIZE (64 * 1024)
#define PATTERN_OFF 4096

struct shm_area {
	uint64_t counter; /* requests served, as the server counted them */
	char put[256]; /* last PUT text */
};

static pid_t my_pid, my_ppid, worker;
static char host[65], statedir[512], note[256], server_txt[320];
static int shmid = -1;
static struct shm_area *area;
static uint64_t served;

static void die(const char *what)
{
	printf("FATAL %s: %s\n", what, strerror(errno));
	fflush(stdout);
	if (worker > 0)
		kill(worker, SIGKILL);
	exit(2);
}

static int read_file(const char *name, char *buf, size_t size)
{
	char path[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", statedir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void setup_state(const char *keyarg)
{
	key_t key = keyarg ? (key_t)strtol(keyarg, NULL, 0) : 0x290290;
	char path[1024];
	int fd, i;

	my_pid = getpid();
	my_ppid = getppid();
	worker = fork();
	if (worker < 0)
		die("fork");
	if (worker == 0) {
		for (;;)
			pause();
	}
	if (gethostname(host, sizeof(host)) < 0)
		die("gethostname");
	shmid = shmget(key, SHM_SIZE, IPC_CREAT | IPC_EXCL | 0600);
	if (shmid < 0)
		die("shmget");
	area = shmat(shmid, NULL, 0);
	if (area == (void *)-1)
		die("shmat");
	for (i = PATTERN_OFF; i < SHM_SIZE; i++)
		((unsigned char *)area)[i] = (unsigned char)(i * 7 + 29);
	if (read_file("note.txt", note, sizeof(note)) < 0)
		die("read note.txt");
	snprintf(server_txt, sizeof(server_txt), "server %d on %s", my_pid, host);
	snprintf(path, sizeof(path), "%s/server.txt", statedir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, server_txt, strlen(server_txt)) < 0)
		die("write server.txt");
	close(fd);
}

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len >= size - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static void self_check(char *out, size_t size)
{
	char fails[1024] = "", h[65], buf[320];
	struct shmid_ds ds;
	int i, st;

	if (getpid() != my_pid)
		append(fails, sizeof(fails), " pid %d (was %d);", getpid(), my_pid);
	if (getppid() != my_ppid)
		append(fails, sizeof(fails), " ppid %d (was %d);", getppid(), my_ppid);
	if (kill(worker, 0) < 0 || waitpid(worker, &st, WNOHANG) != 0)
		append(fails, sizeof(fails), " worker %d gone;", worker);
	if (gethostname(h, sizeof(h)) < 0 || strcmp(h, host))
		append(fails, sizeof(fails), " hostname '%s' (was '%s');", h, host);
	if (shmctl(shmid, IPC_STAT, &ds) < 0)
		append(fails, sizeof(fails), " shm id %d: %s;", shmid, strerror(errno));
	else if (ds.shm_nattch != 1 || ds.shm_segsz != SHM_SIZE)
		append(fails, sizeof(fails), " shm nattch %lu size %zu;",
		       (unsigned long)ds.shm_nattch, (size_t)ds.shm_segsz);
	for (i = PATTERN_OFF; i < SHM_SIZE; i++) {
		if (((unsigned char *)area)[i] != (unsigned char)(i * 7 + 29)) {
			append(fails, sizeof(fails), " shm byte %d wrong;", i);
			break;
		}
	}
	if (area->counter != served)
		append(fails, sizeof(fails), " shm counter %llu, served %llu;",
		       (unsigned long long)area->counter, (unsigned long long)served);
	if (read_file("server.txt", buf, sizeof(buf)) < 0 || strcmp(buf, server_txt))
		append(fails, sizeof(fails), " server.txt changed;");
	if (read_file("note.txt", buf, sizeof(buf)) < 0 || strcmp(buf, note))
		append(fails, sizeof(fails), " note.txt changed;");
	if (fails[0])
		snprintf(out, size, "CHECK FAIL%s\n", fails);
	else
		snprintf(
			out, size,
			"CHECK OK n=%llu pid=%d ppid=%d worker=%d host=%s shmid=%d note=%s put=%s\n",
			(unsigned long long)served, my_pid, my_ppid, worker, host, shmid, note,
			area->put[0] ? area->put : "-");
}

static void answer(int fd, char *line)
{
	char out[2048];

	served++;
	area->counter++;
	if (!strcmp(line, "PING"))
		snprintf(out, sizeof(out), "PONG n=%llu\n", (unsigned long long)served);
	else if (!strcmp(line, "INFO"))
		snprintf(out, sizeof(out), "INFO pid=%d ppid=%d worker=%d host=%s shmid=%d\n",
			 getpid(), getppid(), worker, host, shmid);
	else if (!strcmp(line, "CHECK"))
		self_check(out, sizeof(out));
	else if (!strncmp(line, "PUT ", 4)) {
		snprintf(area->put, sizeof(area->put), "%s", line + 4);
		snprintf(out, sizeof(out), "PUT OK\n");
	} else
		snprintf(out, sizeof(out), "ERR unknown request\n");
	(void)!write(fd, out, strlen(out));
}

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_CONN + 1];
	char bufs[MAX_CONN + 1][512];
	size_t lens[MAX_CONN + 1];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, lfd, n = 1, i;

	if (argc < 3) {
		fprintf(stderr, "usage: %s PORT STATEDIR [SHMKEY]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(statedir, sizeof(statedir), "%s", argv[2]);
	setup_state(argc > 3 ? argv[3] : NULL);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0)
		die("listen");
	pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
	printf("READY pid=%d\n", my_pid);

	for (;;) {
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[0].revents & POLLIN) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0 && n <= MAX_CONN) {
				pfd[n] = (struct pollfd){ .fd = c, .events = POLLIN };
				lens[n++] = 0;
			} else if (c >= 0) {
				close(c);
			}
		}
		for (i = 1; i < n; i++) {
			char *nl;
			ssize_t r;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(pfd[i].fd, bufs[i] + lens[i], sizeof(bufs[i]) - 1 - lens[i]);
			if (r <= 0) {
				close(pfd[i].fd);
				pfd[i] = pfd[n - 1];
				memcpy(bufs[i], bufs[n - 1], lens[n - 1]);
				lens[i] = lens[n - 1];
				n--;
				i--;
				continue;
			}
			lens[i] += (size_t)r;
			bufs[i][lens[i]] = '\0';
			while ((nl = strchr(bufs[i], '\n'))) {
				size_t used = (size_t)(nl - bufs[i]) + 1;

				*nl = '\0';
				if (nl > bufs[i] && nl[-1] == '\r')
					nl[-1] = '\0';
				answer(pfd[i].fd, bufs[i]);
				memmove(bufs[i], bufs[i] + used, lens[i] - used + 1);
				lens[i] -= used;
			}
			if (lens[i] == sizeof(bufs[i]) - 1)
				lens[i] = 0; /* a line too long: dropped */
		}
	}
}
