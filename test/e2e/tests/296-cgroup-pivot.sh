#!/bin/bash
# 296-cgroup-pivot.sh - a container of its own root (pivot_root into a
# tmpfs, no /sys inside) in v1 memory and pids cgroups of its own, with
# limits. Dump (kills), the cgroups removed, restore: ckpt makes them again
# with their limits, and the restored process, inside the container's
# mount namespace by then (where the host's /sys/fs/cgroup is not), joins
# them: the hierarchies reached through what ckpt handed down, not by
# their paths.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/cgroup.sh
. "$(dirname "$0")/../cgroup.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
for c in pids memory; do
	[[ -n $(cg_v1 $c) ]] || skip "no v1 $c hierarchy mounted"
done
PIDS=$(cg_v1 pids) MEM=$(cg_v1 memory)
N=$CG_NAME
w=$T/w
img=$T/images
r=$T/r
mkdir -p "$w" "$r"
make_cgroups() {
	cg_mkdir "$MEM/$N"
	cg_mkdir "$PIDS/$N"
	echo $((48 << 20)) >"$MEM/$N/memory.limit_in_bytes" || fail "cannot set the memory limit"
	echo 29 >"$PIDS/$N/pids.max" || fail "cannot set pids.max"
}
make_cgroups
# shellcheck disable=SC2016
setup='set -e
echo $$ >"$4/cgroup.procs"
echo $$ >"$5/cgroup.procs"
r=$1
mount -t tmpfs -o size=16m ck296 "$r"
mkdir "$r/old" "$r/w"
echo kept >"$r/keep"
cp "$2" "$r/t"
exec "$r/t" "$r" /w'
spawn "$w" unshare --mount --propagation private sh -c "$setup" sh "$r" \
	"$E2E_TARGETS/222-pivot-static" x "$MEM/$N" "$PIDS/$N"
pid=$TARGET_PID
wait_ready "$pid" "$w"
ln -s "/proc/$pid/root/w/seq" "$w/seq"
self_check "$pid" "$w"
[[ -z $(ls -A "/proc/$pid/root/sys" 2>/dev/null) ]] || fail "the container sees a /sys"
view() {
	awk -F: '$2 == "memory" || $2 == "pids" { print $2 ":" $3 }' "/proc/$1/cgroup" | sort
	printf 'limit %s max %s\n' "$(cat "$MEM/$N/memory.limit_in_bytes")" "$(cat "$PIDS/$N/pids.max")"
}
view0=$(view "$pid")
log "cgroups:"$'\n'"$view0"
{ grep -qx "memory:/$N" <<<"$view0" && grep -qx "pids:/$N" <<<"$view0"; } ||
	fail "the container is not in its cgroups: $view0"
mapfile -t TREE_PIDS < <(tree_pids "$pid")
track_pids "${TREE_PIDS[@]}"
ck_ok dump --pid "$pid" --images "$img"
reap "$pid"
wait_tree_gone "${TREE_PIDS[@]}"
rmdir "$MEM/$N" "$PIDS/$N" || fail "cannot remove the container's cgroups"
ck_ok restore --images "$img" --detach
track_pid "$pid"
self_check "$pid" "$w"
assert_same "the container's cgroups and limits" "$view0" "$(view "$pid")"
seq_verify "$w/seq"
n=$(wc -l <"$w/seq")
wait_seq_beyond "$w/seq" $((n + 20))
seq_verify "$w/seq"
kill_tree "$pid"
assert_no_strays
