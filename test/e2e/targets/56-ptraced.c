/*
 * 56-ptraced.c - a tree in which the root ptraces one of its children, so
 * that nobody else can: ckpt dump must refuse the tree and leave it as it
 * was.
 *
 * Usage: 56-ptraced WORKDIR
 *
 * The root forks "pt-traced", which it attaches with PTRACE_SEIZE (and
 * PTRACE_O_EXITKILL: it dies with its tracer), and "pt-plain", which forks
 * "pt-plain1". pt-traced counts in a loop paced by nanosleep, keeping its
 * count both in a private variable and in shared memory; the other two
 * wait on the board of target.h.
 *
 * Self-check (SIGUSR2): the three others answer on the board (same PID,
 * PPID, PGID, SID and name as at start); pt-traced still counts, is traced
 * by the root (TracerPid) and not stopped; then the root stops it with
 * PTRACE_INTERRUPT, checks that the first stop it sees is that interrupt
 * (no signal was sent to it meanwhile), reads its private count with
 * PTRACE_PEEKDATA (equal to the shared one, or one ahead) and lets it go
 * with PTRACE_CONT. Reports traced=PID count=N.
 * Before READY it writes "TREE traced=N plain=N plain1=N".
 */
#include "target.h"

#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

enum { P_ROOT, P_TRACED, P_PLAIN, P_PLAIN1, P_NR };

static const char *const names[P_NR] = { "root", "pt-traced", "pt-plain", "pt-plain1" };

static struct t_board *board;
static _Atomic uint64_t *shared_count;
static volatile uint64_t private_count;
static pid_t traced;

static const char *name_of(int i)
{
	return names[i];
}

static void name_check(struct t_check *c, int i)
{
	char comm[17] = "";

	prctl(PR_GET_NAME, comm);
	if (strcmp(comm, names[i]))
		t_check_fail(c, "name is '%s', want '%s'", comm, names[i]);
}

static __attribute__((noreturn)) void traced_main(void)
{
	if (prctl(PR_SET_NAME, names[P_TRACED]))
		_exit(2);
	t_slot_record(board, P_TRACED);
	for (;;) {
		struct timespec pause = { 0, T_LOOP_PAUSE_NS };

		private_count++;
		atomic_store(shared_count, private_count);
		if (atomic_load(&board->gen) != atomic_load(&board->slot[P_TRACED].ack))
			t_slot_answer(board, P_TRACED, name_check);
		nanosleep(&pause, NULL);
	}
}

static __attribute__((noreturn)) void plain_main(int i)
{
	if (prctl(PR_SET_NAME, names[i]))
		_exit(2);
	if (i == P_PLAIN) {
		pid_t pid = fork();

		if (pid < 0)
			_exit(2);
		if (pid == 0)
			plain_main(P_PLAIN1);
	}
	t_slot_record(board, i);
	t_board_serve(board, i, name_check);
}

static int tracer_of(pid_t pid, char *state)
{
	char path[64], line[256];
	int tracer = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "TracerPid: %d", &tracer);
		sscanf(line, "State: %c", state);
	}
	fclose(f);
	return tracer;
}

static void ptrace_check(struct t_check *c)
{
	uint64_t shared, before = atomic_load(shared_count);
	int64_t deadline = t_now_ns() + 2000000000LL;
	char state = '?';
	int tracer = tracer_of(traced, &state), status = 0;
	long word;
	pid_t r;

	if (tracer != getpid())
		t_check_fail(c, "pt-traced %d has tracer %d, want %d", (int)traced, tracer,
			     (int)getpid());
	if (state != 'S' && state != 'R')
		t_check_fail(c, "pt-traced %d is in state %c", (int)traced, state);
	while (atomic_load(shared_count) == before && t_now_ns() < deadline) {
		struct timespec pause = { 0, 1000000 };

		nanosleep(&pause, NULL);
	}
	if (atomic_load(shared_count) == before)
		t_check_fail(c, "pt-traced stopped counting at %llu", (unsigned long long)before);

	if (ptrace(PTRACE_INTERRUPT, traced, 0, 0)) {
		t_check_fail(c, "PTRACE_INTERRUPT pt-traced: %s", strerror(errno));
		return;
	}
	r = waitpid(traced, &status, __WALL);
	if (r != traced || !WIFSTOPPED(status)) {
		t_check_fail(c, "waitpid(pt-traced): %d status 0x%x", (int)r, status);
		return;
	}
	if (status >> 16 != PTRACE_EVENT_STOP || WSTOPSIG(status) != SIGTRAP)
		t_check_fail(c,
			     "pt-traced stopped with status 0x%x (signal %d), not by our interrupt",
			     status, WSTOPSIG(status));
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, traced, (void *)&private_count, 0);
	shared = atomic_load(shared_count);
	if (errno)
		t_check_fail(c, "PTRACE_PEEKDATA: %s", strerror(errno));
	else if ((uint64_t)word != shared && (uint64_t)word != shared + 1)
		t_check_fail(c, "pt-traced's private count %ld, shared %llu", word,
			     (unsigned long long)shared);
	/* a signal-delivery stop is resumed with its signal, ours without */
	if (ptrace(PTRACE_CONT, traced, 0,
		   status >> 16 == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status)))
		t_check_fail(c, "PTRACE_CONT: %s", strerror(errno));
	t_check_info(c, "traced=%d", (int)traced);
	t_check_info(c, "count=%llu", (unsigned long long)shared);
}

static void root_check(struct t_check *c)
{
	uint32_t gen = t_board_ask(board);

	t_board_wait(board, 1, gen, 5000000000LL);
	t_board_report(board, 1, gen, c, name_of);
	ptrace_check(c);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = root_check };
	struct t_check c;
	pid_t plain;
	uint32_t gen;

	t_init(argc, argv);
	board = t_board_new(P_NR);
	shared_count = mmap(NULL, sizeof(*shared_count), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared_count == MAP_FAILED)
		t_fatal("mmap");
	traced = fork();
	if (traced < 0)
		t_fatal("fork");
	if (traced == 0)
		traced_main();
	if (ptrace(PTRACE_SEIZE, traced, 0, PTRACE_O_EXITKILL))
		t_fatal("PTRACE_SEIZE %d", (int)traced);
	plain = fork();
	if (plain < 0)
		t_fatal("fork");
	if (plain == 0)
		plain_main(P_PLAIN);

	gen = t_board_ask(board);
	t_board_wait(board, 1, gen, 10000000000LL);
	memset(&c, 0, sizeof(c));
	t_board_report(board, 1, gen, &c, name_of);
	ptrace_check(&c);
	if (c.failed) {
		errno = 0;
		t_fatal("set-up: %s", c.fail);
	}
	t_log("TREE traced=%d plain=%d plain1=%d", (int)traced, (int)plain,
	      board->slot[P_PLAIN1].pid0);
	t_run(&ops);
	return 0;
}
