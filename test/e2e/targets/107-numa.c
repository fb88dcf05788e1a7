/*
 * 107-numa.c - a NUMA memory policy of its own in every thread.
 *
 * Usage: 107-numa WORKDIR
 *
 * Before READY each of eight threads sets its policy by set_mempolicy, a
 * mode of its own on node 0 (default, preferred, bind with static nodes,
 * interleave with relative nodes, local, preferred-many, weighted
 * interleave, bind with NUMA balancing), and the main thread preferred
 * with relative nodes. Six slices of 1 MiB of one mapping get a policy
 * each by mbind (bind with static nodes, interleave with relative nodes,
 * preferred, local, preferred-many, weighted interleave), then a byte
 * pattern.
 *
 * Self-check (SIGUSR2): each thread reads its own policy back with
 * get_mempolicy, and the main thread each slice's (MPOL_F_ADDR): the same
 * mode, flags and nodes; the pattern as written. mode0=... gives the main
 * thread's mode word, slices=N the slices checked.
 */
#include "workers.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_WEIGHTED_INTERLEAVE 6
#define MPOL_F_ADDR (1 << 1)
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_STATIC_NODES (1 << 15)
#define NODE_BITS 1024

struct policy {
	int mode;
	unsigned long nodes; /* the first word; the others 0 */
};

static const struct policy table[] = {
	{ MPOL_DEFAULT, 0 },
	{ MPOL_PREFERRED, 1 },
	{ MPOL_BIND | MPOL_F_STATIC_NODES, 1 },
	{ MPOL_INTERLEAVE | MPOL_F_RELATIVE_NODES, 1 },
	{ MPOL_LOCAL, 0 },
	{ MPOL_PREFERRED_MANY, 1 },
	{ MPOL_WEIGHTED_INTERLEAVE, 1 },
	{ MPOL_BIND | MPOL_F_NUMA_BALANCING, 1 },
};
static const struct policy main_policy = { MPOL_PREFERRED | MPOL_F_RELATIVE_NODES, 1 };
static const struct policy slices[] = {
	{ MPOL_BIND | MPOL_F_STATIC_NODES, 1 },
	{ MPOL_INTERLEAVE | MPOL_F_RELATIVE_NODES, 1 },
	{ MPOL_PREFERRED, 1 },
	{ MPOL_LOCAL, 0 },
	{ MPOL_PREFERRED_MANY, 1 },
	{ MPOL_WEIGHTED_INTERLEAVE, 1 },
};
#define NR_SLICES (sizeof(slices) / sizeof(slices[0]))
#define SLICE (1UL << 20)
static unsigned char *area;

struct worker {
	struct t_worker base; /* first */
	char why[160]; /* what its last answer found wrong, "" if nothing */
};

static int nr;
static struct worker *workers;

static void set_own(const struct policy *p)
{
	unsigned long nodes[NODE_BITS / 64] = { p->nodes };

	if (syscall(SYS_set_mempolicy, p->mode, p->nodes ? nodes : NULL,
		    p->nodes ? NODE_BITS + 1 : 0))
		t_fatal("set_mempolicy %#x: %s", p->mode, strerror(errno));
}

/* "" if this thread's policy is @p (@addr NULL) or the mapping's at
 * @addr, else what differs, into @why. */
static void verify_at(const struct policy *p, void *addr, char *why, size_t size)
{
	unsigned long nodes[NODE_BITS / 64];
	int mode = -1;

	why[0] = 0;
	memset(nodes, 0xff, sizeof(nodes));
	if (syscall(SYS_get_mempolicy, &mode, nodes, NODE_BITS + 1, addr, addr ? MPOL_F_ADDR : 0)) {
		snprintf(why, size, "get_mempolicy: %s", strerror(errno));
		return;
	}
	if (mode != p->mode || nodes[0] != p->nodes)
		snprintf(why, size, "policy %#x nodes %#lx, want %#x nodes %#lx", mode, nodes[0],
			 p->mode, p->nodes);
	for (size_t i = 1; i < NODE_BITS / 64 && !why[0]; i++)
		if (nodes[i])
			snprintf(why, size, "nodes word %zu is %#lx", i, nodes[i]);
}

static void verify(const struct policy *p, char *why, size_t size)
{
	verify_at(p, NULL, why, size);
}

static void set_slices(void)
{
	area = mmap(NULL, NR_SLICES * SLICE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (area == MAP_FAILED)
		t_fatal("mmap: %s", strerror(errno));
	for (size_t i = 0; i < NR_SLICES; i++) {
		unsigned long nodes[NODE_BITS / 64] = { slices[i].nodes };

		if (syscall(SYS_mbind, area + i * SLICE, SLICE, slices[i].mode,
			    slices[i].nodes ? nodes : NULL, slices[i].nodes ? NODE_BITS + 1 : 0, 0))
			t_fatal("mbind %#x: %s", slices[i].mode, strerror(errno));
	}
	for (size_t i = 0; i < NR_SLICES * SLICE; i++)
		area[i] = (unsigned char)(i * 7 + i / 4096);
}

static void check_slices(struct t_check *c)
{
	char why[160];

	for (size_t i = 0; i < NR_SLICES; i++) {
		verify_at(&slices[i], area + i * SLICE, why, sizeof(why));
		if (why[0])
			t_check_fail(c, "slice %zu: %s", i, why);
	}
	for (size_t i = 0; i < NR_SLICES * SLICE; i++)
		if (area[i] != (unsigned char)(i * 7 + i / 4096)) {
			t_check_fail(c, "byte %zu of the slices is %u", i, area[i]);
			break;
		}
	t_check_info(c, "slices=%zu", NR_SLICES);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct policy *p = &table[w->base.idx % 8];

	atomic_store(&w->base.tid0, gettid());
	set_own(p);
	for (;;) {
		uint32_t g = w_next(&w->base, false);

		verify(p, w->why, sizeof(w->why));
		w_answered(&w->base, g);
	}
	return NULL;
}

static bool answer_wrong(int i, char *why, size_t size)
{
	if (!workers[i].why[0])
		return false;
	snprintf(why, size, "%s (mode %#x)", workers[i].why, table[i % 8].mode);
	return true;
}

static void ask_all(struct t_check *c)
{
	char why[160];

	verify(&main_policy, why, sizeof(why));
	if (why[0])
		t_check_fail(c, "main thread: %s", why);
	check_slices(c);
	w_report(c, w_ask(), "n", answer_wrong);
	t_check_info(c, "mode0=%#x", main_policy.mode);
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	set_own(&main_policy);
	set_slices();
	workers = w_alloc(argc, argv, 8, sizeof(*workers), &nr);
	w_start(workers, sizeof(*workers), nr, "n", worker_main);
	w_run(ask_all);
}
