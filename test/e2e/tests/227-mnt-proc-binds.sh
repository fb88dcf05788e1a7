#!/bin/bash
# 227-mnt-proc-binds.sh - what container runtimes put on a proc of their
# own (systemd-nspawn's shape): a removed file of a tmpfs bound over
# PROC/sys/kernel/random/boot_id, a removed FIFO bound over PROC/kmsg, then
# a null device of the tmpfs over PROC/keys and a file of the host over
# PROC/version (podman's masks), PROC/sys bound over itself (taking a copy
# of the boot_id bind along, hidden under it) and made read-only. The tree's root is the init of its
# own pid namespace and owns its mount namespace (unshare --pid --fork,
# then unshare --mount in the child), as nspawn's init. Dump by the init,
# restore: the target's view of the mounts and files is the same (types,
# roots with //deleted and the removed files' own names, options, the
# read-only binds, propagation), the boot_id bind still shows its contents
# kmsg is a FIFO, keys a device and version the host's file.
# The handover's fault site fails the restore cleanly first.
# Before: refused at dump ("the tmpfs at ... is hidden and out of reach").
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
echo "host-227-$CTR_RUN" >"$T/hostfile"
host0=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)
# shellcheck disable=SC2016 # expanded by the shell inside
spawn "$w" unshare --pid --fork unshare --mount --propagation private sh -c '
	set -e
	d=$1 tag=$2 hostfile=$3
	shift 3
	mount -t tmpfs ck227 "$d"
	mkdir "$d/virt" "$d/run"
	echo kept >"$d/f"
	mount -t tmpfs -o mode=755 ck227run "$d/run"
	mount -t proc proc "$d/virt"
	echo "$tag" >"$d/run/bootid"
	mount --bind "$d/run/bootid" "$d/virt/sys/kernel/random/boot_id"
	mount -o remount,bind,ro "$d/virt/sys/kernel/random/boot_id"
	rm "$d/run/bootid"
	mkfifo "$d/run/kmsg"
	mount --bind "$d/run/kmsg" "$d/virt/kmsg"
	rm "$d/run/kmsg"
	mknod -m 666 "$d/run/null" c 1 3
	mount --bind "$d/run/null" "$d/virt/keys"
	mount --bind "$hostfile" "$d/virt/version"
	mount --rbind "$d/virt/sys" "$d/virt/sys"
	mount -o remount,bind,ro "$d/virt/sys"
	exec "$@"' sh "$md" "boot-227-$CTR_RUN" "$T/hostfile" "$E2E_TARGETS/220-mnt" "$w" "$md"
outer=$TARGET_PID
wait_for 20 "READY from the target" has_line "$w/out" '^(READY|FATAL)' || fail "no READY: $(head -c 300 "$w/err")"
has_line "$w/out" '^READY pid=1$' || fail "the target is not pid 1: $(head -c 200 "$w/out")"
init=$(cat "/proc/$outer/task/$outer/children")
init=${init%% *}
[[ -n $init ]] || fail "unshare has no child"
log "mounts of the container:"$'\n'"$(cat "/proc/$init/mountinfo")"
[[ $(grep -c '/bootid//deleted .*/virt/sys/kernel/random/boot_id ' "/proc/$init/mountinfo") == 2 ]] ||
	fail "not two binds of a removed file over boot_id (one hidden)"
self_check "$init" "$w"
view0=$(check_value view)
[[ $(cat "/proc/$init/root$md/virt/sys/kernel/random/boot_id") == "boot-227-$CTR_RUN" ]] ||
	fail "boot_id does not show the bound file before the dump"
ctr_dump "$init" "$img"
wait_for 20 "the outer unshare to end" is_dead "$outer" || fail "the outer unshare outlived its child"
ck_ok show --images "$img"
grep -q "virt/kmsg' tmpfs .*removed" "$CK_OUT" || fail "ckpt show does not list the removed FIFO bound over kmsg"
# The fault site of the handover (the FAULT=1 build): one line, nothing
# left, the images untouched.
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
digest=$(image_digest "$img")
ck_cmd env CKPT_FAULT=restore_mnt_premade "$FCKPT" restore --images "$img" --detach
ck_assert_failed "restore with a fault at restore_mnt_premade"
grep -q "cannot take a mount made for it" "$CK_ERR" || fail "not the handover that failed: $(ck_err_line)"
[[ $(image_digest "$img") == "$digest" ]] || fail "the images changed"
assert_no_strays
ctr_restore "$img"
[[ $(ctr_inner_pid "$CTR_ROOT") == 1 ]] || fail "the restored init $CTR_ROOT is not pid 1 of its namespace"
self_check "$CTR_ROOT" "$w"
[[ $(check_value view) == "$view0" ]] || fail "view $(check_value view), want $view0"
[[ $(cat "/proc/$CTR_ROOT/root$md/virt/sys/kernel/random/boot_id") == "boot-227-$CTR_RUN" ]] ||
	fail "boot_id does not show the bound file after the restore"
[[ -p /proc/$CTR_ROOT/root$md/virt/kmsg ]] || fail "kmsg is not a FIFO after the restore"
[[ -c /proc/$CTR_ROOT/root$md/virt/keys ]] || fail "keys is not a device after the restore"
[[ $(cat "/proc/$CTR_ROOT/root$md/virt/version") == "host-227-$CTR_RUN" ]] ||
	fail "version does not show the host's file after the restore"
grep -q '/virt/kmsg .* - tmpfs ' "/proc/$CTR_ROOT/mountinfo" || fail "kmsg is not a bind of a tmpfs file"
host1=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)
[[ $host0 == "$host1" ]] || fail "the host's mounts changed"
ctr_kill_restored
assert_no_strays
