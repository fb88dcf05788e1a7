#!/bin/bash
# 35-sched.sh - scheduling state (35-sched): per thread nice, SCHED_BATCH
# with reset-on-fork, SCHED_FIFO, CPU affinity, I/O priorities, TSC
# disabled, machine-check kill policy; per process oom_score_adj, THP
# disabled, timer slack, MDWE, KSM. Dump (kills), restore:
# every thread's own view of its settings is as set. Then what is not
# saved is refused at dump with one line, the process running on:
# SCHED_DEADLINE, where this kernel lets us make it (an AIO ring is saved
# now: test 152). A NUMA memory policy, the process's or one VMA's
# (mbind, in a process with few mappings, asked by remote calls, and in
# one with over a hundred, found in numa_maps), is saved and restored
# (all modes: test 107).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 35-sched
pid=$TARGET_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$T/images"
restore_detached "$T/images" "$pid"
self_check "$pid" "$w"
n=$(wc -l <"$w/seq")
wait_seq_beyond "$w/seq" $((n + 20))
kill_restored "$pid"
assert_no_strays

# refused MODE WHAT: a small program in state MODE is refused at dump,
# the message naming WHAT, and runs on untouched.
cat >"$T/state.c" <<'C'
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
int main(int argc, char **argv)
{
	unsigned long node0 = 1;
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* 1 GiB never touched: a few large mappings, whose policies ckpt
	 * asks by remote calls (numa_maps for many or small ones). */
	void *big = mmap(NULL, 1UL << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (!strcmp(argv[1], "mempolicy")) {
		if (syscall(SYS_set_mempolicy, MPOL_PREFERRED, &node0, 64))
			return 3;
	} else if (!strcmp(argv[1], "mbind")) {
		if (big == MAP_FAILED || syscall(SYS_mbind, p, 1 << 20, MPOL_BIND, &node0, 64, 0))
			return 3;
	} else if (!strcmp(argv[1], "mbind-many")) {
		/* 100 more mappings: ckpt reads numa_maps then, not a
		 * remote call per mapping. */
		char *m = mmap(NULL, 200 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		for (int i = 0; i < 200; i += 2)
			if (mprotect(m + i * 4096, 4096, PROT_READ | PROT_WRITE))
				return 3;
		if (syscall(SYS_mbind, p, 1 << 20, MPOL_BIND, &node0, 64, 0))
			return 3;
	} else if (!strcmp(argv[1], "deadline")) {
		struct { uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t prio;
			 uint64_t runtime, deadline, period; } a = { sizeof(a), 6, 0, 0, 0,
			 1000000, 10000000, 10000000 };
		if (syscall(SYS_sched_setattr, 0, &a, 0))
			return 3;
	}
	printf("READY pid=%d\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}
C
cc -o "$T/state" "$T/state.c" || fail "cannot build the state program"
refused() { # MODE WHAT
	local w=$T/$1 pid
	mkdir -p "$w"
	spawn "$w" "$T/state" "$1"
	pid=$TARGET_PID
	wait_ready "$pid" "$w"
	ck_fails "dump of a process with $2" dump --pid "$pid" --images "$T/img-$1"
	grep -qi "$2" "$CK_ERR" || fail "the refusal does not name $2: $(ck_err_line)"
	[[ ! -e $T/img-$1 ]] || fail "the refused dump left $T/img-$1"
	assert_not_traced "$pid"
	[[ $(proc_state "$pid") == S ]] || fail "the refused process is not running: $(describe_pid "$pid")"
	kill -9 "$pid"
}
# saved MODE POLICY: a small program in state MODE is dumped (killed)
# and restored, and /proc/PID/numa_maps shows POLICY after as before (the
# 1 MiB mapping's for mbind, every mapping's for the process's policy).
saved() { # MODE POLICY
	local w=$T/$1 pid
	mkdir -p "$w"
	spawn "$w" "$T/state" "$1"
	pid=$TARGET_PID
	wait_ready "$pid" "$w"
	grep -qE " $2( |$)" "/proc/$pid/numa_maps" || fail "$1: numa_maps shows no '$2' before the dump"
	dump_and_reap "$pid" "$T/img-$1"
	restore_detached "$T/img-$1" "$pid"
	grep -qE " $2( |$)" "/proc/$pid/numa_maps" || fail "$1: numa_maps shows no '$2' after the restore"
	kill_restored "$pid"
}
saved mempolicy "prefer:0"
saved mbind "bind:0"
saved mbind-many "bind:0"
refused deadline "SCHED_DEADLINE"
