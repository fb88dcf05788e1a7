#!/bin/bash
# 229-mnt-cgroupns.sh - a cgroup v1 hierarchy mounted in a container with a
# cgroup namespace of its own (systemd-nspawn's /sys/fs/cgroup/*): the
# mount's root is the namespace's root, which the host sees as the
# container's cgroup (/ck229-RUN) and the container as "/". The tree's
# root is the init of its own pid namespace and owns its mount and cgroup
# namespaces; its cgroup (pids) is the test's, made here. Dump by the init,
# restore: the mount is there again with the same root seen from the
# container and from the host, and the target's view is the same.
# Before: the restore failed ("cannot find the root of the mount").
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/ctr.sh
. "$(dirname "$0")/../ctr.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
h=/sys/fs/cgroup/pids
[[ -f $h/cgroup.procs && ! -f $h/cgroup.controllers ]] || skip "no cgroup v1 pids hierarchy at $h"
w=$T/w
img=$T/images
md=$T/m
cg=ck229-$CTR_RUN
mkdir -p "$w" "$md"
cg_cleanup() {
	ctr_kill_now ${outer:+"$outer"} "${CTR_PIDS[@]}"
	rmdir "$h/$cg" 2>/dev/null
	return 0
}
outer=
CTR_PIDS=()
ctr_on_exit cg_cleanup
mkdir "$h/$cg" || fail "cannot make cgroup $h/$cg"
host0=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)
# shellcheck disable=SC2016 # expanded by the shell inside
spawn "$w" sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$h/$cg" \
	unshare --pid --fork unshare --mount --cgroup --propagation private sh -c '
	set -e
	d=$1
	shift
	mount -t tmpfs ck229 "$d"
	mkdir -p "$d/virt/pids"
	echo kept >"$d/f"
	mount -t cgroup -o pids cgroup "$d/virt/pids"
	exec "$@"' sh "$md" "$E2E_TARGETS/220-mnt" "$w" "$md"
outer=$TARGET_PID
wait_for 20 "READY from the target" has_line "$w/out" '^(READY|FATAL)' || fail "no READY: $(head -c 300 "$w/err")"
has_line "$w/out" '^READY pid=1$' || fail "the target is not pid 1: $(head -c 200 "$w/out")"
init=$(cat "/proc/$outer/task/$outer/children")
init=${init%% *}
[[ -n $init ]] || fail "unshare has no child"
[[ $(readlink "/proc/$init/ns/cgroup") != "$(readlink /proc/self/ns/cgroup)" ]] ||
	fail "the container has no cgroup namespace of its own"
inside0=$(nsenter -t "$init" -C cat "/proc/$init/mountinfo" | awk -v p="$md/virt/pids" '$5 == p { print $4 }')
outside0=$(awk -v p="$md/virt/pids" '$5 == p { print $4 }' "/proc/$init/mountinfo")
log "the pids mount's root: '$inside0' inside, '$outside0' from the host"
[[ $inside0 == / && $outside0 == "/$cg" ]] || fail "the pids mount's root is not the namespace's"
self_check "$init" "$w"
view0=$(check_value view)
ctr_dump "$init" "$img"
wait_for 20 "the outer unshare to end" is_dead "$outer" || fail "the outer unshare outlived its child"
ctr_restore "$img"
[[ $(ctr_inner_pid "$CTR_ROOT") == 1 ]] || fail "the restored init $CTR_ROOT is not pid 1 of its namespace"
self_check "$CTR_ROOT" "$w"
[[ $(check_value view) == "$view0" ]] || fail "view $(check_value view), want $view0"
inside1=$(nsenter -t "$CTR_ROOT" -C cat "/proc/$CTR_ROOT/mountinfo" | awk -v p="$md/virt/pids" '$5 == p { print $4 }')
outside1=$(awk -v p="$md/virt/pids" '$5 == p { print $4 }' "/proc/$CTR_ROOT/mountinfo")
[[ $inside1 == "$inside0" && $outside1 == "$outside0" ]] ||
	fail "the pids mount's root is '$inside1' inside, '$outside1' from the host after the restore"
grep -qx "[0-9]*:pids:/$cg" "/proc/$CTR_ROOT/cgroup" || fail "the init is not in /$cg after the restore"
host1=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)
[[ $host0 == "$host1" ]] || fail "the host's mounts changed"
ctr_kill_restored
assert_no_strays
