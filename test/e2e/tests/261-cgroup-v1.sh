#!/bin/bash
# 261-cgroup-v1.sh - a tree in v1 cgroups of its own (pids, cpu, memory,
# cpuset, freezer, devices with a few device rules): the root and cg-a in cgroup N, cg-b in N/sub (pids),
# the second thread of cg-a alone in N/thr (cpu: v1 membership is per
# thread), with limits set on each. Dump (kills), the cgroups removed,
# restore: ckpt makes them again with their limits, and every process
# and the thread find themselves (in /proc/thread-self/cgroup) where they
# were. Restored again over cgroups that exist with a lower pids.max and
# another cpu.shares: the lower limit stays, the rest is the image's.
# Restored with --cgroup-root /M and --cgroup-root pids:/P: the tree is
# in M (P for pids) in every hierarchy, with N's limits there.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/cgroup.sh
. "$(dirname "$0")/../cgroup.sh"
e2e_init

for c in pids cpu memory cpuset freezer devices; do
	[[ -n $(cg_v1 $c) ]] || skip "no v1 $c hierarchy mounted"
done
PIDS=$(cg_v1 pids) CPU=$(cg_v1 cpu) MEM=$(cg_v1 memory) SET=$(cg_v1 cpuset) FRZ=$(cg_v1 freezer)
DEV=$(cg_v1 devices)
N=$CG_NAME

make_cgroups() {
	cg_mkdir "$PIDS/$N"
	cg_mkdir "$PIDS/$N/sub"
	cg_mkdir "$CPU/$N"
	cg_mkdir "$CPU/$N/thr"
	cg_mkdir "$MEM/$N"
	cg_mkdir "$SET/$N"
	cg_mkdir "$FRZ/$N"
	cg_mkdir "$DEV/$N"
}
make_cgroups
echo 64 >"$PIDS/$N/pids.max"
echo 20 >"$PIDS/$N/sub/pids.max"
echo 100000 >"$CPU/$N/cpu.cfs_period_us"
echo 50000 >"$CPU/$N/cpu.cfs_quota_us"
echo 512 >"$CPU/$N/cpu.shares"
echo 300 >"$CPU/$N/thr/cpu.shares"
echo 268435456 >"$MEM/$N/memory.limit_in_bytes"
echo 134217728 >"$MEM/$N/memory.soft_limit_in_bytes"
cat "$SET/cpuset.cpus" >"$SET/$N/cpuset.cpus"
cat "$SET/cpuset.mems" >"$SET/$N/cpuset.mems"
CPUS=$(cat "$SET/$N/cpuset.cpus")
# Device rules: /dev/null, /dev/zero, /dev/urandom read only, and any
# block device's mknod.
echo a >"$DEV/$N/devices.deny"
for r in "c 1:3 rwm" "c 1:5 rwm" "c 1:9 r" "b *:* m"; do echo "$r" >"$DEV/$N/devices.allow"; done
RULES=$(cat "$DEV/$N/devices.list")

cg_tree_start
for d in "$PIDS/$N" "$CPU/$N" "$MEM/$N" "$SET/$N" "$FRZ/$N" "$DEV/$N"; do cg_join "$d" "$ROOT" "$A" "$B"; done
cg_join "$PIDS/$N/sub" "$B"
echo "$THR" >"$CPU/$N/thr/tasks" || fail "cannot move thread $THR"

# want ROOT_PATH PIDS_ROOT: what each process must see.
want() {
	local r=$1 p=$2
	cg_want 0 "pids:$p" "cpu:$r" "memory:$r" "cpuset:$r" "freezer:$r" "devices:$r"
	cg_want 1 "pids:$p" "cpu:$r" "memory:$r" "cpuset:$r" "freezer:$r" "devices:$r"
	cg_want 1t "pids:$p" "cpu:$r/thr" "memory:$r"
	cg_want 2 "pids:$p/sub" "cpu:$r" "memory:$r" "cpuset:$r"
}
# limits ROOT_PATH PIDS_ROOT: N's limits are there.
limits() {
	cg_value "$PIDS$2/pids.max" 64
	cg_value "$PIDS$2/sub/pids.max" 20
	cg_value "$CPU$1/cpu.cfs_quota_us" 50000
	cg_value "$CPU$1/cpu.cfs_period_us" 100000
	cg_value "$CPU$1/cpu.shares" 512
	cg_value "$CPU$1/thr/cpu.shares" 300
	cg_value "$MEM$1/memory.limit_in_bytes" 268435456
	cg_value "$MEM$1/memory.soft_limit_in_bytes" 134217728
	cg_value "$SET$1/cpuset.cpus" "$CPUS"
	cg_value "$DEV$1/devices.list" "$RULES"
}
want "/$N" "/$N"
self_check "$ROOT" "$w"
dump_tree "$ROOT" "$T/img"

# The cgroups are gone: ckpt makes them again.
for d in "$PIDS/$N" "$CPU/$N" "$MEM/$N" "$SET/$N" "$FRZ/$N" "$DEV/$N"; do
	find "$d" -depth -type d -exec rmdir {} \; || fail "cannot remove $d"
done
restore_tree "$T/img" "$ROOT"
self_check "$ROOT" "$w"
limits "/$N" "/$N"
kill_tree "${TREE_PIDS[@]}"
ck_ok show --images "$T/img"
grep -q "cgroup pids:/$N/sub (the tree's own): pids.max=20" "$CK_OUT" ||
	fail "ckpt show does not list the owned cgroup pids:/$N/sub"
ck_ok show --json --images "$T/img"
grep -qF "{\"hierarchy\":\"pids\",\"path\":\"/$N/sub\",\"settings\":{\"pids.max\":\"20\"}}" "$CK_OUT" ||
	fail "ckpt show --json does not list the owned cgroup pids:/$N/sub"

# A restore that cannot move the thread (the FAULT=1 build): one line,
# nothing left.
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
wait_tree_gone "${TREE_PIDS[@]}"
ck_cmd env CKPT_FAULT=restore_cgroup_threads "$FCKPT" restore --images "$T/img" --detach
ck_assert_failed "restore failing to move a thread"
grep -q "cannot move thread $THR into cgroup '/$N/thr'" "$CK_ERR" || fail "the failure does not name the thread: $(ck_err_line)"
wait_for 10 "PID $ROOT to be free" is_gone "$ROOT" || fail "PID $ROOT left by the failed restore"
assert_no_strays

# Over cgroups that exist: a lower limit stays, the rest is the image's.
echo 10 >"$PIDS/$N/pids.max"
echo 1024 >"$CPU/$N/cpu.shares"
restore_tree "$T/img" "$ROOT"
self_check "$ROOT" "$w"
cg_value "$PIDS/$N/pids.max" 10
cg_value "$CPU/$N/cpu.shares" 512
kill_tree "${TREE_PIDS[@]}"

# --cgroup-root: below M (P for pids), in every hierarchy of the images.
M=/$N-moved P=/$N-pids
while read -r mnt; do
	CG_MADE+=("$mnt$M")
	CG_MADE+=("$mnt$P")
done < <(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts)
wait_tree_gone "${TREE_PIDS[@]}"
ck_ok restore --images "$T/img" --detach --cgroup-root "$M" --cgroup-root "pids:$P"
mapfile -t TREE_PIDS < <(tree_pids "$ROOT")
track_pids "${TREE_PIDS[@]}"
want "$M" "$P"
self_check "$ROOT" "$w"
limits "$M" "$P"
[[ -z $(cg_procs "$PIDS/$N") ]] || fail "processes in $PIDS/$N after a restore into $P"
kill_tree "${TREE_PIDS[@]}"

# A --cgroup-root that is no cgroup path, or names no hierarchy of the
# images: refused, nothing made.
ck_fails "--cgroup-root with .." restore --images "$T/img" --detach --cgroup-root "/a/../b"
ck_fails "--cgroup-root of an unknown controller" restore --images "$T/img" --detach \
	--cgroup-root "nosuch:/x"
[[ ! -e $PIDS/b && ! -e $PIDS/x ]] || fail "a refused --cgroup-root made a cgroup"
assert_no_strays
