#!/bin/bash
# 228-mnt-wide-group.sh - binds of subdirectories of a filesystem that is
# mounted nowhere whole, peers of one group (systemd-nspawn's /sys: binds
# of /bus, /class, ... of a sysfs, shared): the kernel lets a mount join
# the peer group of one whose root holds its own only, and no member's
# root holds the others'. The tree's root is the init of its own pid
# namespace and owns its mount namespace. Dump by the init, restore: the
# target's view (mounts with their roots and their propagation, peer
# groups renumbered) is the same: the binds are peers again, of no other.
# Before: the restore failed ("cannot join the peer group of the mount").
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/ctr.sh
. "$(dirname "$0")/../ctr.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
img=$T/images
md=$T/m
mkdir -p "$w" "$md"
host0=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)
# shellcheck disable=SC2016 # expanded by the shell inside
spawn "$w" unshare --pid --fork unshare --mount --propagation private sh -c '
	set -e
	d=$1
	shift
	mount -t tmpfs ck228 "$d"
	mkdir -p "$d/whole" "$d/virt/bus" "$d/virt/class" "$d/virt/kernel"
	echo kept >"$d/f"
	mount -t sysfs sysfs "$d/whole"
	mount --make-shared "$d/whole"
	for x in bus class kernel; do mount --bind "$d/whole/$x" "$d/virt/$x"; done
	mount -o remount,bind,ro "$d/virt/kernel"
	umount "$d/whole"
	exec "$@"' sh "$md" "$E2E_TARGETS/220-mnt" "$w" "$md"
outer=$TARGET_PID
wait_for 20 "READY from the target" has_line "$w/out" '^(READY|FATAL)' || fail "no READY: $(head -c 300 "$w/err")"
has_line "$w/out" '^READY pid=1$' || fail "the target is not pid 1: $(head -c 200 "$w/out")"
init=$(cat "/proc/$outer/task/$outer/children")
init=${init%% *}
[[ -n $init ]] || fail "unshare has no child"
mi=$(grep " $md/virt/" "/proc/$init/mountinfo")
log "the binds:"$'\n'"$mi"
[[ $(grep -c ' shared:' <<<"$mi") == 3 && $(grep -o ' shared:[0-9]*' <<<"$mi" | sort -u | wc -l) == 1 ]] ||
	fail "the three binds are not peers of one group"
grep -q " / $md/whole " "/proc/$init/mountinfo" && fail "the sysfs is still mounted whole"
self_check "$init" "$w"
view0=$(check_value view)
ctr_dump "$init" "$img"
wait_for 20 "the outer unshare to end" is_dead "$outer" || fail "the outer unshare outlived its child"
ctr_restore "$img"
[[ $(ctr_inner_pid "$CTR_ROOT") == 1 ]] || fail "the restored init $CTR_ROOT is not pid 1 of its namespace"
self_check "$CTR_ROOT" "$w"
[[ $(check_value view) == "$view0" ]] || fail "view $(check_value view), want $view0"
mi=$(grep " $md/virt/" "/proc/$CTR_ROOT/mountinfo")
log "the binds after the restore:"$'\n'"$mi"
[[ $(grep -o ' shared:[0-9]*' <<<"$mi" | sort -u | wc -l) == 1 ]] || fail "the binds are not peers again"
g=$(grep -o ' shared:[0-9]*' <<<"$mi" | sort -u)
[[ $(grep -c "$g " "/proc/$CTR_ROOT/mountinfo") == 3 ]] || fail "the binds' peer group has other members"
host1=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)
[[ $host0 == "$host1" ]] || fail "the host's mounts changed"
ctr_kill_restored
assert_no_strays
