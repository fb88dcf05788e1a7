#!/bin/bash
# 315-lazy-trees.sh - restore --lazy of processes with several threads
# (50-pthreads: each thread's stack and TLS come lazily, faulted by the
# kernel's own accesses while ckpt rebuilds the threads, next to other
# lazy VMAs) and of trees of processes (53-fork-ring: five, whose memory is
# mostly still shared copy-on-write with their parents: that part is
# restored in place; 58-many-procs), and of a process under a seccomp
# filter (40-sandbox: the daemon's copies and the kernel's faults are no
# syscalls of its), with the fault build's daemon serving faults only, then
# with the normal one. Each checks itself (ids, threads, memory); the
# daemon ends with the tree.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/lazy.sh
. "$E2E_DIR/lazy.sh"
e2e_init

lazy_fault_build

for t in 50-pthreads 53-fork-ring 58-many-procs 40-sandbox; do
	w=$T/w-$t
	img=$T/img-$t
	start_target "$w" "$t"
	pid=$TARGET_PID
	mapfile -t all < <(tree_pids "$pid")
	ck_ok dump --pid "$pid" --images "$img"
	reap "$pid"
	for p in "${all[@]}"; do wait_gone "$p"; done

	ck_cmd env CKPT_FAULT=lazy_background "$FCKPT" restore --images "$img" --detach --lazy
	((CK_RC == 0)) || fail "restore --lazy of $t failed (exit $CK_RC): $(ck_err_line)"
	track_pids "${all[@]}"
	if daemon=$(lazy_daemon "$img"); then
		log "$t: page daemon $daemon"
		track_pid "$daemon"
	elif [[ $t == 50-pthreads ]]; then
		fail "no page daemon serves $t"
	fi
	self_check "$pid" "$w" 60
	kill_tree "${all[@]}"
	wait_for 10 "the daemon to leave with the tree" no_daemon "$img" || fail "the page daemon stays"
	for p in "${all[@]}"; do wait_gone "$p"; done

	restore_detached "$img" "$pid" --lazy
	track_pids "${all[@]}"
	self_check "$pid" "$w" 60
	wait_for 60 "the daemon to finish" no_daemon "$img" || fail "the page daemon does not finish"
	self_check "$pid" "$w" 60
	kill_tree "${all[@]}"
	for p in "${all[@]}"; do wait_gone "$p"; done
done
assert_no_strays
