/*
 * 53-fork-ring.c - five processes passing a token round a ring of pipes.
 *
 * Usage: 53-fork-ring WORKDIR
 *
 * The tree: the root (index 0) forks ring-a (1), which forks ring-b (2), and
 * ring-c (3), which forks ring-d (4). Process i reads the token (a 64-bit
 * counter) from pipe i-1 and writes it, incremented, to pipe i; the root
 * passes it on from its main loop (its end is O_NONBLOCK), so the token goes
 * round at most once per iteration. Made before the forks:
 *  - a MAP_SHARED|MAP_ANONYMOUS mapping with the total number of hops and
 *    each process's hops (atomics), and the board of target.h;
 *  - a MAP_PRIVATE|MAP_ANONYMOUS region of 256 pages written with one
 *    pattern; after the forks process i rewrites the pages p with
 *    p % 5 == i with its own pattern: each must keep exactly its own copy;
 *  - WORKDIR/records, opened once (no O_APPEND) and dup()ed: all five share
 *    one open file description and write, at each hop, one 32-byte record
 *    "TOKEN INDEX PID" through it, so record k holds token k: separate
 *    offsets would overwrite records;
 *  - the "stash" pipe: ring-b fills it with 40000 bytes of a known pattern
 *    (ring-a and ring-b hold its write end); the root reads 500 bytes at
 *    each self-check (O_NONBLOCK read end), so data sits in it at the dump.
 *
 * At every hop the holder checks that the token equals the shared hop count
 * (token lost or duplicated, or the mapping not shared); when the root holds
 * the token it also checks that the hops of the five add up and that the
 * shared offset of the records file is token * 32.
 *
 * Self-check (SIGUSR2): the root asks the others through the board; each
 * answers when the token reaches it: its PID, PPID, PGID and SID are the
 * ones it had at start, its private pages hold what it wrote, its name is
 * right and no hop check failed. The root checks its own pages and hops,
 * and the next 500 bytes of the stash (and that exactly the rest is still
 * buffered). Reports token=, stash_left=.
 * Before READY it writes "RING pids=ROOT,A,B,C,D".
 */
#include "target.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#define N 5
#define PRIV_PAGES 256
#define RECSZ 32
#define STASH_BYTES 40000
#define STASH_CHUNK 500
#define STASH_WRITER 2

static const int parent_of[N] = { -1, 0, 1, 0, 3 };
static const char *const names[N] = { "ring-root", "ring-a", "ring-b", "ring-c", "ring-d" };

struct ring_shared {
	_Atomic uint64_t hops;
	_Atomic uint64_t slot_hops[N];
};

static struct ring_shared *sh;
static struct t_board *board;
static uint64_t *priv;
static size_t page_size;
static int ring[N][2]; /* ring[i]: from process i to process i + 1 */
static int stash[2];
static int rec_fd, rec_fd2; /* one open file description */
static int me; /* our index */
static char hop_error[160]; /* first hop check that failed, in this process */
static uint64_t stash_off; /* bytes of the stash read so far (root) */
static uint64_t token; /* last value the root passed on */

static const char *name_of(int i)
{
	return names[i];
}

/* ---- private copy-on-write pages ------------------------------------------ */

static uint64_t priv_word(int who, size_t page, size_t word)
{
	return (uint64_t)(who + 1) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)page << 24) ^ word;
}

static void priv_fill(int who)
{
	size_t words = page_size / 8;

	for (size_t p = 0; p < PRIV_PAGES; p++)
		if (who == N || (int)(p % N) == who)
			for (size_t w = 0; w < words; w++)
				priv[p * words + w] = priv_word(who, p, w);
}

static void priv_check(struct t_check *c, int i)
{
	size_t words = page_size / 8;

	for (size_t p = 0; p < PRIV_PAGES; p++) {
		int who = (int)(p % N) == i ? i : N;

		for (size_t w = 0; w < words; w++)
			if (priv[p * words + w] != priv_word(who, p, w)) {
				t_check_fail(c, "private page %zu word %zu is 0x%llx, want %s's", p,
					     w, (unsigned long long)priv[p * words + w],
					     who == N ? "the pre-fork pattern" : "its own pattern");
				return;
			}
	}
}

/* ---- the ring ----------------------------------------------------------- */

static __attribute__((format(printf, 1, 2))) void hop_fail(const char *fmt, ...)
{
	va_list ap;

	if (hop_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(hop_error, sizeof(hop_error), fmt, ap);
	va_end(ap);
}

/* We hold the token and make it T: count the hop, write its record. */
static void hop(uint64_t t)
{
	uint64_t h = atomic_fetch_add(&sh->hops, 1) + 1;
	char rec[RECSZ + 1];

	if (h != t)
		hop_fail("hop %llu carried token %llu", (unsigned long long)h,
			 (unsigned long long)t);
	atomic_fetch_add(&sh->slot_hops[me], 1);
	snprintf(rec, sizeof(rec), "%020llu %d %08d\n", (unsigned long long)t, me, (int)getpid());
	t_write_all(me % 2 ? rec_fd2 : rec_fd, rec, RECSZ);
}

static void ring_check(struct t_check *c, int i)
{
	char comm[17] = "";

	priv_check(c, i);
	if (hop_error[0])
		t_check_fail(c, "%s", hop_error);
	if (atomic_load(&sh->slot_hops[i]) == 0)
		t_check_fail(c, "never held the token");
	prctl(PR_GET_NAME, comm);
	if (strcmp(comm, names[i]))
		t_check_fail(c, "name is '%s', want '%s'", comm, names[i]);
}

static int read_token(int fd, uint64_t *t)
{
	size_t got = 0;

	while (got < sizeof(*t)) {
		ssize_t n = read(fd, (char *)t + got, sizeof(*t) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && got == 0)
			return 0;
		if (n < 0 && errno == EAGAIN)
			continue; /* never split in practice: 8 bytes < PIPE_BUF */
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 1;
}

static __attribute__((noreturn)) void child_loop(void)
{
	int in = ring[(me + N - 1) % N][0], out = ring[me][1];

	for (;;) {
		uint64_t t;

		if (read_token(in, &t) <= 0)
			_exit(0); /* the ring is broken: the tree is going away */
		hop(++t);
		if (atomic_load(&board->gen) != atomic_load(&board->slot[me].ack))
			t_slot_answer(board, me, ring_check);
		t_write_all(out, (const char *)&t, sizeof(t));
	}
}

/* Root: take the token if it is there, check, pass it on. */
static void root_step(void)
{
	uint64_t t, sum = 0;
	off_t off;
	int r = read_token(ring[N - 1][0], &t);

	if (r == 0)
		return;
	if (r < 0) {
		hop_fail("the ring is broken (end of file or error after token %llu)",
			 (unsigned long long)token);
		return;
	}
	if (t != token + N - 1)
		hop_fail("the token came back as %llu, want %llu", (unsigned long long)t,
			 (unsigned long long)(token + N - 1));
	for (int i = 0; i < N; i++)
		sum += atomic_load(&sh->slot_hops[i]);
	if (sum != atomic_load(&sh->hops))
		hop_fail("the processes made %llu hops, the shared count is %llu",
			 (unsigned long long)sum, (unsigned long long)atomic_load(&sh->hops));
	off = lseek(rec_fd, 0, SEEK_CUR);
	if (off != (off_t)(t * RECSZ))
		hop_fail("records offset %llu, want %llu", (unsigned long long)off,
			 (unsigned long long)(t * RECSZ));
	hop(++t);
	token = t;
	t_write_all(ring[0][1], (const char *)&t, sizeof(t));
}

/* Root: ask every other process to check itself; pump the ring meanwhile. */
static uint32_t ring_collect(int64_t timeout_ns)
{
	uint32_t gen = t_board_ask(board);
	int64_t end = t_now_ns() + timeout_ns;
	struct pollfd pfd = { .fd = ring[N - 1][0], .events = POLLIN };

	while (t_board_missing(board, 1, gen) && t_now_ns() < end) {
		if (poll(&pfd, 1, 10) > 0)
			root_step();
	}
	return gen;
}

/* ---- the stash pipe ----------------------------------------------------- */

static unsigned char stash_byte(uint64_t k)
{
	return (unsigned char)(k * 7 + (k >> 8) + 3);
}

static void stash_fill(void)
{
	unsigned char buf[STASH_BYTES];

	for (uint64_t k = 0; k < STASH_BYTES; k++)
		buf[k] = stash_byte(k);
	t_write_all(stash[1], (const char *)buf, sizeof(buf));
}

static void stash_check(struct t_check *c)
{
	unsigned char buf[STASH_CHUNK];
	int avail = -1;
	ssize_t n;

	if (ioctl(stash[0], FIONREAD, &avail) || avail != (int)(STASH_BYTES - stash_off)) {
		t_check_fail(c, "the stash pipe holds %d bytes, want %d", avail,
			     (int)(STASH_BYTES - stash_off));
		return;
	}
	if (avail < STASH_CHUNK)
		return; /* drained (after 80 checks) */
	n = read(stash[0], buf, sizeof(buf));
	if (n != STASH_CHUNK) {
		t_check_fail(c, "stash read gave %zd bytes (%s)", n, n < 0 ? strerror(errno) : "");
		return;
	}
	for (int k = 0; k < STASH_CHUNK; k++)
		if (buf[k] != stash_byte(stash_off + k)) {
			t_check_fail(c, "stash byte %llu is 0x%02x, want 0x%02x",
				     (unsigned long long)(stash_off + k), buf[k],
				     stash_byte(stash_off + k));
			break;
		}
	stash_off += STASH_CHUNK;
}

/* ---- set-up ------------------------------------------------------------- */

/* Close every ring, stash and records fd process ME does not use. */
static void keep_own_fds(void)
{
	for (int i = 0; i < N; i++) {
		if (i != (me + N - 1) % N)
			close(ring[i][0]);
		if (i != me)
			close(ring[i][1]);
	}
	if (me != 0)
		close(stash[0]);
	if (me != parent_of[STASH_WRITER] && me != STASH_WRITER)
		close(stash[1]);
}

static void start_children(void);

static __attribute__((noreturn)) void child_main(int i)
{
	me = i;
	if (prctl(PR_SET_NAME, names[i]))
		_exit(2);
	start_children();
	keep_own_fds();
	priv_fill(me);
	if (me == STASH_WRITER)
		stash_fill();
	t_slot_record(board, me);
	child_loop();
}

static void start_children(void)
{
	for (int i = 0; i < N; i++) {
		pid_t pid;

		if (parent_of[i] != me)
			continue;
		pid = fork();
		if (pid < 0)
			t_fatal("fork");
		if (pid == 0)
			child_main(i);
	}
}

static void root_check(struct t_check *c)
{
	uint32_t gen = ring_collect(5000000000LL);

	t_board_report(board, 1, gen, c, name_of);
	priv_check(c, 0);
	if (hop_error[0])
		t_check_fail(c, "root: %s", hop_error);
	stash_check(c);
	t_check_info(c, "token=%llu", (unsigned long long)token);
	t_check_info(c, "stash_left=%llu", (unsigned long long)(STASH_BYTES - stash_off));
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = root_step, .check = root_check };
	struct t_check c;
	uint32_t gen;
	char line[128];
	int len;

	t_init(argc, argv);
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	priv = mmap(NULL, PRIV_PAGES * page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || priv == MAP_FAILED)
		t_fatal("mmap");
	board = t_board_new(N);
	priv_fill(N);
	for (int i = 0; i < N; i++)
		if (pipe2(ring[i], O_CLOEXEC))
			t_fatal("pipe");
	if (pipe2(stash, O_CLOEXEC))
		t_fatal("pipe");
	rec_fd = open("records", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (rec_fd < 0)
		t_fatal("open records");
	rec_fd2 = dup(rec_fd);
	if (rec_fd2 < 0)
		t_fatal("dup");

	me = 0;
	t_slot_record(board, 0);
	start_children();
	keep_own_fds();
	if (fcntl(ring[N - 1][0], F_SETFL, O_NONBLOCK) || fcntl(stash[0], F_SETFL, O_NONBLOCK))
		t_fatal("fcntl O_NONBLOCK");
	priv_fill(0);

	/* first lap: the token starts, every process answers once */
	token = 1;
	hop(token);
	t_write_all(ring[0][1], (const char *)&token, sizeof(token));
	gen = ring_collect(10000000000LL);
	memset(&c, 0, sizeof(c));
	t_board_report(board, 1, gen, &c, name_of);
	if (c.failed) {
		errno = 0;
		t_fatal("ring set-up: %s", c.fail);
	}
	len = snprintf(line, sizeof(line), "RING pids=%d", (int)getpid());
	for (int i = 1; i < N; i++)
		len += snprintf(line + len, sizeof(line) - len, ",%d", board->slot[i].pid0);
	t_log("%s", line);
	t_run(&ops);
	return 0;
}
