#!/bin/bash
# 226-mnt-pivot.sh - a container of its own root: pivot_root into a tmpfs
# that holds its program, its working directory and its sequence file, a
# directory of the host bound in as an external mount. Dump with
# --external mnt[/data]:KEY, restore onto another host directory: the
# target runs on from its own root (program, cwd and open file on the
# tmpfs found again there, its sequence going on without a gap), reads the
# other directory under /data, and the host's mounts are untouched.
# The container is in v1 pids and memory cgroups of its own, removed
# after the dump: the restore makes them again and the target, whose
# root has none of the host's cgroup mounts, is found in them (and its
# memory charged there).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/cgroup.sh
. "$(dirname "$0")/../cgroup.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
PIDS=$(cg_v1 pids) MEM=$(cg_v1 memory)
[[ -n $PIDS && -n $MEM ]] || skip "no v1 pids and memory hierarchies mounted"
N=$CG_NAME
cg_mkdir "$PIDS/$N"
cg_mkdir "$MEM/$N"
w=$T/w
img=$T/images
r=$T/r
mkdir -p "$w" "$r" "$T/hostA" "$T/hostB"
echo "A-$$" >"$T/hostA/content"
echo "B-$$" >"$T/hostB/content"
host0=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)
# shellcheck disable=SC2016
setup='set -e
echo $$ >"$4/cgroup.procs"
echo $$ >"$5/cgroup.procs"
r=$1
mount -t tmpfs -o size=16m ck226 "$r"
mkdir "$r/old" "$r/w" "$r/data"
echo kept >"$r/keep"
cp "$3" "$r/t"
mount --bind "$2" "$r/data"
exec "$r/t" "$r" /w'
spawn "$w" unshare --mount --propagation private sh -c "$setup" sh "$r" "$T/hostA" \
	"$E2E_TARGETS/222-pivot-static" "$PIDS/$N" "$MEM/$N"
pid=$TARGET_PID
wait_ready "$pid" "$w"
ln -s "/proc/$pid/root/w/seq" "$w/seq" # its sequence, inside its root
self_check "$pid" "$w"
[[ $(check_value data) == "A-$$" ]] || fail "data=$(check_value data) before the dump"
[[ $(readlink "/proc/$pid/exe") == /t ]] || fail "the program is $(readlink "/proc/$pid/exe"), not /t of its root"
# in_cgroups PID: PID is in cgroup N of both hierarchies.
in_cgroups() {
	grep -qx "[0-9]*:pids:/$N" "/proc/$1/cgroup" && grep -qx "[0-9]*:memory:/$N" "/proc/$1/cgroup"
}
in_cgroups "$pid" || fail "the container is not in its cgroups: $(tr '\n' ' ' <"/proc/$pid/cgroup")"
mapfile -t TREE_PIDS < <(tree_pids "$pid")
track_pids "${TREE_PIDS[@]}"
ck_ok dump --pid "$pid" --images "$img" --external "mnt[/data]:d226"
reap "$pid"
wait_tree_gone "${TREE_PIDS[@]}"
wait_for 10 "the cgroups to be empty" cg_empty "$PIDS/$N" || fail "pids cgroup $N not empty"
wait_for 10 "the cgroups to be empty" cg_empty "$MEM/$N" || fail "memory cgroup $N not empty"
rmdir "$PIDS/$N" "$MEM/$N" || fail "cannot remove cgroup $N"
n=$(wc -l <"$w/out")
ck_ok restore --images "$img" --detach --external "mnt[d226]:$T/hostB"
track_pid "$pid"
self_check "$pid" "$w"
in_cgroups "$pid" || fail "after the restore, the container is not in its cgroups: $(tr '\n' ' ' <"/proc/$pid/cgroup")"
[[ $(cat "$PIDS/$N/cgroup.procs") == "$pid" ]] || fail "pids cgroup $N holds '$(cat "$PIDS/$N/cgroup.procs")'"
(($(cat "$MEM/$N/memory.usage_in_bytes") > 0)) || fail "nothing charged to memory cgroup $N"
[[ $(check_value data) == "B-$$" ]] || fail "data=$(check_value data) after the restore, want B-$$"
[[ $(readlink "/proc/$pid/cwd") == /w ]] || fail "cwd $(readlink "/proc/$pid/cwd")"
seq_verify "$w/seq"
n=$(wc -l <"$w/seq")
wait_seq_beyond "$w/seq" $((n + 20))
seq_verify "$w/seq"
host1=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)
[[ $host0 == "$host1" ]] || fail "the host's mounts changed"
[[ -z $(ls -A "$r") ]] || fail "the container's root shows on the host in $r"
kill_tree "$pid"
assert_no_strays
