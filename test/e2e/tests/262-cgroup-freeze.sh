#!/bin/bash
# 262-cgroup-freeze.sh - a tree that forks without end (260-cgroup
# forks: the root forks and reaps a child at every iteration), alone in a
# cgroup2 cgroup N: a dump freezes N with one write before it seizes it.
# ckpt killed (the FAULT=1 build) while N is frozen, once frozen
# (freeze-kill@1) and once the tree is seized (@2), and in a few remote
# calls picked at random (rcall-kill@K): every time the guardian has N
# thawed, the tree is not traced, runs on and passes its self-check. Then
# a full dump: nothing is left in N (no process of the tree missed),
# and the restored tree passes its self-check and forks on. The same with
# the v1 freezer, for a tree alone in a freezer cgroup (its cgroup2 one
# not its own): killed while frozen (@1) and once every task was seized
# ahead (@2), thawed each time; then dumped whole and restored.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/cgroup.sh
. "$(dirname "$0")/../cgroup.sh"
e2e_init

FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
cg_v2
FRZ=$(cg_v1 freezer)
N=$CG_NAME

v2_thawed() { grep -q '^frozen 0$' "$CG2/$N/cgroup.events" && [[ $(cat "$CG2/$N/cgroup.freeze") == 0 ]]; }
v1_thawed() { [[ $(cat "$FRZ/$N/freezer.state") == THAWED ]]; }

# killed THAWED WHAT FAULT: a dump killed at FAULT leaves the tree thawed,
# free and well.
killed() {
	local thawed=$1 what=$2 n
	ck_cmd env CKPT_FAULT="$3" "$FCKPT" dump --leave-running --pid "$ROOT" --images "$T/k"
	rm -rf "$T/k" "$T"/.k.ckpt-*
	if ((CK_RC == 0)) && [[ $3 == rcall-* ]]; then
		log "$what: the dump made fewer remote calls"
	else
		((CK_RC == 137)) || fail "$what: the dump was not killed at $3 (exit $CK_RC): $(ck_err_line)"
	fi
	wait_for 10 "the guardian to thaw $N ($what)" "$thawed" || fail "$what: $N is still frozen"
	for p in "$ROOT" "$A" "$B"; do assert_not_traced "$p"; done
	n=$(wc -l <"$w/seq")
	wait_seq_beyond "$w/seq" $((n + 20))
	self_check "$ROOT" "$w"
}

# dump_whole WHAT: a dump of the forking tree (-v says WHAT froze it);
# nothing is left in cgroup DIR; the restored tree is well and forks on.
dump_whole() {
	local what=$1 dir=$2 n
	mapfile -t TREE_PIDS < <(tree_pids "$ROOT")
	track_pids "${TREE_PIDS[@]}"
	ck_ok dump -v --pid "$ROOT" --images "$T/img"
	grep -q "froze the $what cgroup of $ROOT" "$CK_ERR" || fail "the dump did not freeze the tree ($what)"
	grep -E "seized [0-9]+ processes" "$CK_ERR" | sed 's/^/  /' >&2
	reap "$ROOT"
	wait_tree_gone "${TREE_PIDS[@]}"
	wait_for 10 "$dir to be empty" cg_empty "$dir" ||
		fail "tasks of the tree left in $dir after the dump: $(cg_procs "$dir")"
	restore_tree "$T/img" "$ROOT"
	self_check "$ROOT" "$w"
	n=$(wc -l <"$w/seq")
	wait_seq_beyond "$w/seq" $((n + 20))
	mapfile -t TREE_PIDS < <(tree_pids "$ROOT")
	kill_tree "${TREE_PIDS[@]}"
	rm -rf "$T/img"
}

cg_mkdir "$CG2/$N"
cg_tree_start forks
cg_join "$CG2/$N" "$ROOT" "$A" "$B"
self_check "$ROOT" "$w"
killed v2_thawed "killed once frozen" freeze-kill@1
killed v2_thawed "killed once seized" freeze-kill@2
for i in 1 2 3; do
	k=$((RANDOM % 40 + 1))
	killed v2_thawed "killed in remote call $k" "rcall-kill@$k"
done
dump_whole cgroup2 "$CG2/$N"

# The v1 freezer: the tree's cgroup2 cgroup is the harness's, not its own.
[[ -n $FRZ ]] || {
	log "no v1 freezer hierarchy: its half is left out"
	assert_no_strays
	exit 0
}
cg_mkdir "$FRZ/$N"
rm -f "$w/out" "$w/seq"
cg_tree_start forks
cg_join "$FRZ/$N" "$ROOT" "$A" "$B"
self_check "$ROOT" "$w"
killed v1_thawed "v1: killed once frozen" freeze-kill@1
killed v1_thawed "v1: killed with every task seized ahead" freeze-kill@2
dump_whole "v1 freezer" "$FRZ/$N"
assert_no_strays
