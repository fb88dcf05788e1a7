#!/bin/bash
# 260-cgroup-v2.sh - a tree in a cgroup2 cgroup of its own, N: the root
# and cg-a in N, cg-b and the second thread of cg-a in N/thr, a threaded
# cgroup (cgroup2's per-thread membership). N has cgroup.max.descendants
# and cgroup.max.depth set, and memory.max, pids.max, cpu.max where the
# hierarchy has those controllers (this machine binds them to v1: then
# 261 has them). The dump freezes N with cgroup.freeze before it seizes
# the tree (-v says so). The cgroups removed, restore: ckpt makes them
# again, N/thr threaded, with their limits, and every process and the
# thread find themselves (in /proc/thread-self/cgroup) where they were.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/cgroup.sh
. "$(dirname "$0")/../cgroup.sh"
e2e_init

cg_v2
N=$CG_NAME
cg_mkdir "$CG2/$N"
cg_mkdir "$CG2/$N/thr"
echo threaded >"$CG2/$N/thr/cgroup.type" || fail "cannot make $N/thr threaded"
echo 3 >"$CG2/$N/cgroup.max.descendants"
echo 4 >"$CG2/$N/cgroup.max.depth"
echo 0 >"$CG2/$N/thr/cgroup.max.descendants"
# The controllers this hierarchy gives N, and their limits.
declare -A LIMIT=([memory.max]=268435456 [pids.max]=64 [cpu.max]="50000 100000")
have=()
for f in "${!LIMIT[@]}"; do
	[[ -f $CG2/$N/$f ]] || continue
	echo "${LIMIT[$f]}" >"$CG2/$N/$f" || fail "cannot set $f"
	have+=("$f")
done
log "controller limits set on $N: ${have[*]:-none (no controllers in this cgroup2 hierarchy)}"

cg_tree_start
cg_join "$CG2/$N" "$ROOT" "$A"
cg_join "$CG2/$N/thr" "$B"
echo "$THR" >"$CG2/$N/thr/cgroup.threads" || fail "cannot move thread $THR"
cg_want 0 ":/$N"
cg_want 1 ":/$N"
cg_want 1t ":/$N/thr"
cg_want 2 ":/$N/thr"
self_check "$ROOT" "$w"

mapfile -t TREE_PIDS < <(tree_pids "$ROOT")
track_pids "${TREE_PIDS[@]}"
ck_ok dump -v --pid "$ROOT" --images "$T/img"
grep -q "froze the cgroup2 cgroup of $ROOT" "$CK_ERR" || fail "the dump did not freeze $N"
reap "$ROOT"
wait_tree_gone "${TREE_PIDS[@]}"
cg_empty "$CG2/$N" || fail "tasks left in $N after the dump: $(cg_procs "$CG2/$N")"
cg_value "$CG2/$N/cgroup.freeze" 0

rmdir "$CG2/$N/thr" "$CG2/$N" || fail "cannot remove $N"
restore_tree "$T/img" "$ROOT"
self_check "$ROOT" "$w"
cg_value "$CG2/$N/thr/cgroup.type" threaded
cg_value "$CG2/$N/cgroup.max.descendants" 3
cg_value "$CG2/$N/cgroup.max.depth" 4
cg_value "$CG2/$N/thr/cgroup.max.descendants" 0
for f in "${have[@]}"; do cg_value "$CG2/$N/$f" "${LIMIT[$f]}"; done
ck_ok show --images "$T/img"
grep -q "cgroup cgroup2:/$N (the tree's own): cgroup.max.descendants=3, cgroup.max.depth=4" "$CK_OUT" ||
	fail "ckpt show does not list cgroup2:/$N with its limits"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
