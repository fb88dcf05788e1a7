#!/bin/bash
# 225-mnt-fault.sh - the fault sites of mount namespaces (src/fault.h, the
# FAULT=1 build): the image of a mount namespace not written (dump), a
# mount not put in place, the first one and a later one (restore). The
# dump fails with one line and the target runs on as it was; the restore
# fails with one line, leaves no process, the images untouched and the
# host's mounts as they were; then the images restore with the normal
# binary and the target sees its mounts as before.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/mnt.sh
. "$(dirname "$0")/../mnt.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
w=$T/w
img=$T/images
md=$T/m
mkdir -p "$w" "$md" "$T/d"
host_mounts() { awk '{ print $5, $9, $10 }' /proc/self/mountinfo | sort; }
host0=$(host_mounts)
# shellcheck disable=SC2016
setup='set -e
md=$1
mount -t tmpfs ck225 "$md"
mkdir "$md/a" "$md/b" "$md/c"
echo hello >"$md/a/f"
mount --bind "$md/a" "$md/b"
mount -t tmpfs ck225-c "$md/c"
shift
exec "$@"'
mnt_spawn "$w" "$setup" sh "$md" \
	"$E2E_TARGETS/220-mnt" "$w" "$md"
pid=$TARGET_PID
self_check "$pid" "$w"
view0=$(check_value view)

ck_cmd env CKPT_FAULT=dump_mnt_ns "$FCKPT" dump --pid "$pid" --images "$T/d/set"
ck_assert_failed "dump with the mount namespace image not written"
assert_dump_left_nothing "$T/d"
assert_still_fine "$pid" "$w" 0

dump_tree "$pid" "$img"
digest=$(image_digest "$img")
for site in restore_mnt_mount restore_mnt_mount@3; do
	ck_cmd env CKPT_FAULT="$site" "$FCKPT" restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	ck_assert_failed "restore with a fault at $site"
	grep -q "cannot restore: cannot attach the mount at" "$CK_ERR" ||
		fail "$site: not the attach that failed: $(ck_err_line)"
	wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "$site: $pid is left"
	[[ $(image_digest "$img") == "$digest" ]] || fail "$site: the images changed"
	[[ $(host_mounts) == "$host0" ]] || fail "$site: the host's mounts changed"
	assert_no_strays
done
restore_tree "$img" "$pid"
self_check "$pid" "$w"
[[ $(check_value view) == "$view0" ]] || fail "view $(check_value view), want $view0"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
