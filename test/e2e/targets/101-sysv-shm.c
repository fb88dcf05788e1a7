/*
 * 101-sysv-shm - System V shared memory held by a process and its child.
 * Args: WORKDIR KEY (KEY and KEY+1 are this run's keys).
 *
 *  A: key KEY, 2 pages + 100 bytes, mode 0640, attached by the parent and
 *     the child: the parent asks (A->req = n) and the child answers
 *     (A->ack = n) through it, every iteration; a pattern fills the last
 *     partial page.
 *  B: IPC_PRIVATE, one page, attached twice by the parent (read-write and
 *     SHM_RDONLY), then removed (IPC_RMID: SHM_DEST, key private): every
 *     write through the first shows in the second.
 *  C: key KEY+1, made by the child, filled and detached: nobody attaches
 *     it; the parent reads it at each check (attach, compare, detach).
 *
 * Prints "IDS a=.. b=.. c=.." before READY. The check: the ids still name
 * the same segments (key, size, mode, SHM_DEST), contents as written, the
 * read-only attach still r--s, and the child answering (req - ack <= 1).
 */
#include "target.h"

#include <stdbool.h>
#include <sys/shm.h>
#include <sys/wait.h>

#define PAGE 4096
#define A_SIZE (2 * PAGE + 100)
#define C_SIZE (3 * PAGE)

struct a_seg {
	_Atomic uint32_t req, ack;
	uint32_t child_pid;
};

static int id_a, id_b, id_c;
static key_t key;
static struct a_seg *a;
static unsigned char *b_rw, *b_ro;
static uint32_t b_counter;

static unsigned char pattern(size_t i, int salt)
{
	return (unsigned char)(i * 7 + (size_t)salt);
}

static void child_loop(void)
{
	void *mem;
	unsigned char *c;

	id_c = shmget(key + 1, C_SIZE, IPC_CREAT | IPC_EXCL | 0600);
	if (id_c < 0)
		t_fatal("shmget C");
	c = shmat(id_c, NULL, 0);
	if (c == (void *)-1)
		t_fatal("shmat C");
	for (size_t i = PAGE; i < C_SIZE; i++) /* page 0 left a hole */
		c[i] = pattern(i, 3);
	shmdt(c);
	mem = shmat(id_a, NULL, 0);
	if (mem == (void *)-1)
		t_fatal("child shmat A");
	a = mem;
	a->child_pid = (uint32_t)getpid();
	for (;;) {
		uint32_t r = a->req;

		if (a->ack != r)
			a->ack = r;
		t_futex_wait(&a->req, r, 50 * 1000 * 1000);
	}
}

static void iterate(void)
{
	if (a->ack == a->req) {
		a->req++;
		t_futex_wake(&a->req);
	}
	b_rw[100] = (unsigned char)++b_counter;
}

static void check_seg(struct t_check *c, const char *name, int id, key_t want_key, size_t size,
		      unsigned int mode, bool dest)
{
	struct shmid_ds ds;

	if (shmctl(id, IPC_STAT, &ds) < 0) {
		t_check_fail(c, "%s: shmctl(%d): %s", name, id, strerror(errno));
		return;
	}
	if (ds.shm_perm.__key != want_key)
		t_check_fail(c, "%s: key %#x, want %#x", name, ds.shm_perm.__key, want_key);
	if (ds.shm_segsz != size)
		t_check_fail(c, "%s: size %zu, want %zu", name, ds.shm_segsz, size);
	if ((ds.shm_perm.mode & 0777) != mode)
		t_check_fail(c, "%s: mode %#o, want %#o", name, ds.shm_perm.mode & 0777, mode);
	if (!!(ds.shm_perm.mode & SHM_DEST) != dest)
		t_check_fail(c, "%s: SHM_DEST is %s", name, dest ? "off" : "on");
}

static bool maps_has(uintptr_t addr, const char *perms)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], want[64];
	bool found = false;

	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			found = strstr(line, perms) && strstr(line, "/SYSV");
	if (f)
		fclose(f);
	return found;
}

static void check(struct t_check *c)
{
	unsigned char *mem;

	check_seg(c, "A", id_a, key, A_SIZE, 0640, false);
	check_seg(c, "B", id_b, IPC_PRIVATE, PAGE, 0600, true);
	check_seg(c, "C", id_c, key + 1, C_SIZE, 0600, false);
	if (a->req - a->ack > 1)
		t_check_fail(c, "A: the child does not answer (req %u ack %u)", a->req, a->ack);
	for (size_t i = 2 * PAGE; i < A_SIZE; i++)
		if (((unsigned char *)a)[i] != pattern(i, 1)) {
			t_check_fail(c, "A: byte %zu", i);
			break;
		}
	for (size_t i = 0; i < PAGE; i++)
		if (b_ro[i] != b_rw[i] || (i != 100 && b_ro[i] != pattern(i, 2))) {
			t_check_fail(c, "B: byte %zu differs between its attaches", i);
			break;
		}
	if (!maps_has((uintptr_t)b_ro, "r--s"))
		t_check_fail(c, "B: the read-only attach is not r--s");
	if (!maps_has((uintptr_t)b_rw, "rw-s"))
		t_check_fail(c, "B: the read-write attach is not rw-s");
	mem = shmat(id_c, NULL, SHM_RDONLY);
	if (mem == (void *)-1) {
		t_check_fail(c, "C: shmat: %s", strerror(errno));
	} else {
		for (size_t i = 0; i < C_SIZE; i++)
			if (mem[i] != (i < PAGE ? 0 : pattern(i, 3))) {
				t_check_fail(c, "C: byte %zu", i);
				break;
			}
		shmdt(mem);
	}
	t_check_info(c, "req=%u", a->req);
	t_check_info(c, "ids=%d,%d,%d", id_a, id_b, id_c);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = iterate, .check = check };
	pid_t child;

	t_init(argc, argv);
	if (argc < 3)
		t_fatal("usage: 101-sysv-shm WORKDIR KEY");
	key = (key_t)strtol(argv[2], NULL, 0);
	id_a = shmget(key, A_SIZE, IPC_CREAT | IPC_EXCL | 0640);
	if (id_a < 0)
		t_fatal("shmget A");
	a = shmat(id_a, NULL, 0);
	if (a == (void *)-1)
		t_fatal("shmat A");
	for (size_t i = 2 * PAGE; i < A_SIZE; i++)
		((unsigned char *)a)[i] = pattern(i, 1);
	id_b = shmget(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	if (id_b < 0)
		t_fatal("shmget B");
	b_rw = shmat(id_b, NULL, 0);
	b_ro = shmat(id_b, NULL, SHM_RDONLY);
	if (b_rw == (void *)-1 || b_ro == (void *)-1)
		t_fatal("shmat B");
	for (size_t i = 0; i < PAGE; i++)
		b_rw[i] = pattern(i, 2);
	if (shmctl(id_b, IPC_RMID, NULL) < 0)
		t_fatal("IPC_RMID B");
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0) {
		shmdt(a);
		child_loop();
	}
	/* The child has made C once it answers. */
	for (int i = 0; a->child_pid == 0; i++) {
		if (i > 10000 || waitpid(child, NULL, WNOHANG) != 0)
			t_fatal("the child did not start");
		usleep(1000);
	}
	id_c = shmget(key + 1, 0, 0);
	if (id_c < 0)
		t_fatal("shmget C");
	t_log("IDS a=%d b=%d c=%d child=%d", id_a, id_b, id_c, (int)child);
	t_run(&ops);
}
