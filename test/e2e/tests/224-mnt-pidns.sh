#!/bin/bash
# 224-mnt-pidns.sh - the container of `unshare --mount --pid --fork
# --mount-proc`: unshare (the root of the tree) owns the mount namespace,
# its child is the init of a new pid namespace and mounted /proc there, a
# tmpfs with a file beside. Dump the tree from unshare, restore: the proc
# on /proc is again the one of the new pid namespace (made by the process
# inside it: the target reads /proc/self as 1), the tmpfs holds its file,
# and the host's mounts are untouched.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/mnt.sh
. "$(dirname "$0")/../mnt.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
img=$T/images
md=$T/m
mkdir -p "$w" "$md"
host0=$(mnt_host)
# shellcheck disable=SC2016
spawn "$w" unshare --mount --pid --fork --mount-proc --propagation private sh -c \
	'mount -t tmpfs ck224 "$1" && echo kept >"$1/f" && shift && exec "$@"' \
	sh "$md" "$E2E_TARGETS/220-mnt" "$w" "$md"
root=$TARGET_PID
# The target is the init of its pid namespace: READY pid=1.
wait_for 20 "READY from the target" has_line "$w/out" '^(READY|FATAL)' || fail "no READY"
has_line "$w/out" '^READY pid=1$' || fail "the target is not pid 1: $(head -c 200 "$w/out")"
pid=$(cat "/proc/$root/task/$root/children")
pid=${pid%% *}
[[ -n $pid ]] || fail "unshare has no child"
self_check "$pid" "$w"
[[ $(check_value procself) == 1 ]] || fail "procself=$(check_value procself) before the dump"
view0=$(check_value view)
dump_tree "$root" "$img"
ck_ok show --images "$img"
grep -q "'/proc' proc root '/' .*(new)" "$CK_OUT" || fail "ckpt show does not list the new proc"
restore_tree "$img" "$root"
self_check "$pid" "$w"
[[ $(check_value procself) == 1 ]] || fail "procself=$(check_value procself) after the restore, want 1"
[[ $(check_value view) == "$view0" ]] || fail "view $(check_value view), want $view0"
mnt_host_unchanged "$host0"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
