#!/bin/bash
# 221-mnt-external.sh - a container (unshare --mount) with a directory of
# the host bound into its tmpfs: named at dump with --external
# mnt[MOUNTPOINT]:KEY, it is an external mount; the restore maps KEY onto a
# host directory given with --external mnt[KEY]:HOSTPATH, here another one
# than at dump, and the target then reads that directory's contents there.
# Its other mounts come back as they were; the host's mounts are untouched.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/mnt.sh
. "$(dirname "$0")/../mnt.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
img=$T/images
md=$T/m
mkdir -p "$w" "$md" "$T/hostA" "$T/hostB"
echo "from-A-$$" >"$T/hostA/content"
echo "from-B-$$" >"$T/hostB/content"
host0=$(mnt_host)

# shellcheck disable=SC2016
setup='set -e
md=$1
mount -t tmpfs -o size=2m ck221 "$md"
mkdir "$md/data" "$md/x"
echo inside >"$md/x/f"
mount --bind "$2" "$md/data"
shift 2
exec "$@"'
mnt_spawn "$w" "$setup" sh "$md" "$T/hostA" \
	"$E2E_TARGETS/220-mnt" "$w" "$md"
pid=$TARGET_PID
self_check "$pid" "$w"
[[ $(check_value data) == "from-A-$$" ]] || fail "data=$(check_value data) before the dump"
mapfile -t TREE_PIDS < <(tree_pids "$pid")
track_pids "${TREE_PIDS[@]}"
ck_ok dump --pid "$pid" --images "$img" --external "mnt[$md/data]:data221"
reap "$pid"
wait_tree_gone "${TREE_PIDS[@]}"
ck_ok show --images "$img"
grep -q "'$md/data' ext4 root '.*' rw,relatime (external) key 'data221'" "$CK_OUT" ||
	fail "ckpt show does not list the external mount"
ck_ok restore --images "$img" --detach --external "mnt[data221]:$T/hostB"
wait_for 20 "the restored $pid" test -e "/proc/$pid"
mapfile -t TREE_PIDS < <(tree_pids "$pid")
track_pids "${TREE_PIDS[@]}"
self_check "$pid" "$w"
[[ $(check_value data) == "from-B-$$" ]] || fail "data=$(check_value data) after the restore, want from-B-$$"
# The target's own tmpfs is there with its file, the host dirs untouched.
inside=$(nsenter -t "$pid" -m cat "$md/x/f") || fail "cannot read $md/x/f in the restored namespace"
[[ $inside == inside ]] || fail "$md/x/f holds '$inside'"
[[ $(cat "$T/hostA/content") == "from-A-$$" && $(cat "$T/hostB/content") == "from-B-$$" ]] ||
	fail "a host directory changed"
[[ -z $(ls -A "$md") ]] || fail "the container's mounts show on the host in $md"
mnt_host_unchanged "$host0"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
