#!/bin/bash
# 365-sigactions-at-once.sh - the dump reads the signal actions and
# resource limits of every process of a tree at once (their remote calls
# overlap: lane perf2).
# 365-sigactions-tree is a root and five children, each with its own mix
# over all 64 signals: default actions with flags and a mask (glibc's
# signal(SIG, SIG_DFL), sigaction() with SIG_DFL, the two signals glibc
# keeps by the raw syscall), ignored ones, handlers with flags and masks;
# and limits of its own (RLIMIT_NOFILE, RLIMIT_CORE). Each process writes
# the kernel's view of its 64 actions and its limits on request. After a
# dump --leave-running and after a dump and restore, every process sees
# exactly the actions and limits it had; the -v log of each dump says
# the six were read together. ckpt killed inside those calls and between
# two of them (the FAULT=1 build) leaves the six running free with their
# actions, limits and mappings as before.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/robust.sh
. "$(dirname "$0")/../robust.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 365-sigactions-tree
pid=$TARGET_PID
read -r -a pids < <(sed -n 's/^TREE pids=//p' "$w/out")
((${#pids[@]} == 6)) || fail "TREE line: ${pids[*]}"
track_pids "${pids[@]}"

all_answered() { # GEN
	local i
	for ((i = 0; i < 6; i++)); do [[ -e $w/sa.$i.$1 ]] || return 1; done
}

# ask GEN: every process writes its actions as answer GEN.
ask() {
	touch "$w/go.$1"
	wait_for 20 "the six processes to write their actions ($1)" all_answered "$1" ||
		fail "answers $1 missing: $(ls "$w")"
}

# same_actions GEN: answers GEN are those of 1, process by process.
same_actions() {
	local i
	for ((i = 0; i < 6; i++)); do
		assert_same "signal actions and limits of process $i (${pids[$i]}), answer $1" \
			"$(cat "$w/sa.$i.1")" "$(cat "$w/sa.$i.$1")"
	done
}

ask 1
# The mix is what the target says it set (a test of the target).
grep -q '^17 0 14000000 ' "$w/sa.2.1" ||
	fail "process 2: SIGCHLD is not signal(SIG_DFL)'s: $(grep '^17 ' "$w/sa.2.1")"
grep -q '^17 0 c4000001 ' "$w/sa.3.1" ||
	fail "process 3: SIGCHLD is not SIG_DFL with SA_NOCLDSTOP: $(grep '^17 ' "$w/sa.3.1")"
[[ $(grep -c ' 0 0 0 0$' "$w/sa.0.1") -lt 20 ]] ||
	fail "the root has too many untouched actions"
grep -q '^rlim 7 69 ' "$w/sa.5.1" || fail "process 5: RLIMIT_NOFILE: $(grep '^rlim 7 ' "$w/sa.5.1")"
grep -q '^rlim 4 3000 100000$' "$w/sa.3.1" || fail "process 3: RLIMIT_CORE: $(grep '^rlim 4 ' "$w/sa.3.1")"

ck_ok dump -v --pid "$pid" --images "$img.live" --leave-running
grep -q 'read the signal actions and limits of 6 processes at once' "$CK_ERR" ||
	fail "the dump did not read the six processes' actions at once: $(grep -m1 'signal actions' "$CK_ERR")"
ask 2
same_actions 2

# ckpt killed inside the calls of the six (CKPT_FAULT=rcall-kill@N: the
# Nth call started, some of the others' started too) and between two of
# them (rcall-kill-away@N): every process goes home by itself, runs
# free, with its actions, limits and mappings as they were.
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
maps0=()
for ((i = 0; i < 6; i++)); do maps0[i]=$(cat "/proc/${pids[$i]}/maps"); done
gen=2
for fault in rcall-kill@3 rcall-kill@200 rcall-kill-away@4 rcall-kill-away@150; do
	ck_cmd env CKPT_FAULT="$fault" "$FCKPT" dump --pid "$pid" --images "$T/k" --leave-running
	rm -rf "$T/k" "$T"/.k.ckpt-*
	((CK_RC == 137)) || fail "$fault: the dump was not killed (exit $CK_RC): $(ck_err_line)"
	for ((i = 0; i < 6; i++)); do
		is_dead "${pids[$i]}" && fail "$fault: process $i died with ckpt"
		wait_for 10 "${pids[$i]} to run free" runs_free "${pids[$i]}" ||
			fail "$fault: ${pids[$i]} is still traced or stopped"
		assert_same "$fault: mappings of process $i" "${maps0[$i]}" "$(cat "/proc/${pids[$i]}/maps")"
	done
	gen=$((gen + 1))
	ask "$gen"
	same_actions "$gen"
done

mapfile -t TREE_PIDS < <(tree_pids "$pid")
ck_ok dump -v --pid "$pid" --images "$img"
grep -q 'read the signal actions and limits of 6 processes at once' "$CK_ERR" ||
	fail "the second dump did not read the actions at once"
reap "$pid"
((REAP_STATUS == 137)) || fail "after the dump $pid ended with status $REAP_STATUS, want 137"
wait_tree_gone "${TREE_PIDS[@]}"
restore_tree "$img" "$pid"
[[ $(tree_pids "$pid" | sort -n | tr '\n' ' ') == "$(printf '%s\n' "${pids[@]}" | sort -n | tr '\n' ' ')" ]] ||
	fail "restored tree: $(tree_pids "$pid" | tr '\n' ' '), want ${pids[*]}"
gen=$((gen + 1))
ask "$gen"
same_actions "$gen"
kill_tree "${pids[@]}"
assert_no_strays
