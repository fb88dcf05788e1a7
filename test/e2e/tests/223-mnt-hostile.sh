#!/bin/bash
# 223-mnt-hostile.sh - hostile mount namespace images: a mount point with
# '..', one through a symlink the tree holds (to '/'), a bind root with
# '..', a tmpfs of a petabyte, a mount before its parent, a mount of an
# unknown kind, a host path swapped for /etc. Each restore is refused with
# one line, leaves no process and the images untouched, and the host's
# mount table is what it was; the pristine images still restore.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/mnt.sh
. "$(dirname "$0")/../mnt.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
w=$T/w
img=$T/images
md=$T/m
mkdir -p "$w" "$md"
host_mounts() { awk '{ print $5, $9, $10 }' /proc/self/mountinfo | sort; }
host0=$(host_mounts)

# shellcheck disable=SC2016
setup='set -e
md=$1
mount -t tmpfs -o size=1m ck223 "$md"
mkdir "$md/a" "$md/b"
echo hello >"$md/a/f"
ln -s / "$md/esc"
mount --bind "$md/a" "$md/b"
shift
exec "$@"'
mnt_spawn "$w" "$setup" sh "$md" \
	"$E2E_TARGETS/220-mnt" "$w" "$md"
pid=$TARGET_PID
mapfile -t TREE_PIDS < <(tree_pids "$pid")
dump_tree "$pid" "$img"
mnt=$(cd "$img" && ls mnt-[0-9]*.img)
[[ -n $mnt ]] || fail "no mount namespace image"
"$IMGEDIT" "$img" "$mnt" >"$T/fields"
idx() { # FIELD=VALUE: the index of the mount with it
	grep -m1 -F "].$1" "$T/fields" | sed 's/^mounts\[\([0-9]*\)\].*/\1/'
}
b=$(idx "mountpoint=$md/b")
top=$(idx "mountpoint=$md")
rootfs=$(idx "mountpoint=/")
[[ -n $b && -n $top && -n $rootfs ]] || fail "cannot find the mounts in $mnt"

n=0
attack() { # WHAT EDIT...
	local what=$1 bad=$T/bad$n
	shift
	n=$((n + 1))
	cp -a "$img" "$bad"
	"$IMGEDIT" "$bad" "$mnt" "$@" || fail "imgedit $*"
	expect_restore_fail "$bad" "$pid" "$what"
	[[ $(host_mounts) == "$host0" ]] || fail "$what: the host's mounts changed"
}
attack "a mount point with '..'" "mounts[$b].mountpoint=$md/../../etc"
attack "a mount point through a symlink to /" "mounts[$b].mountpoint=$md/esc/etc"
grep -q "cannot find the mount point of the mount at '$md/esc/etc'" "$CK_ERR" ||
	fail "the symlink is not what was refused: $(ck_err_line)"
attack "a bind root with '..'" "mounts[$b].root=/a/../../etc"
attack "a tmpfs of a petabyte" "sbs[0].size=1125899906842624"
attack "a mount before its parent" "mounts[$b].parent_id=999999"
attack "a mount of an unknown kind" "mounts[$b].kind=9"
attack "a host path swapped" "mounts[$rootfs].host_path=/etc"
attack "the root not first" "mounts[$rootfs].mountpoint=/x"

# The pristine images restore, the target sees its files.
restore_tree "$img" "$pid"
self_check "$pid" "$w"
kill_tree "${TREE_PIDS[@]}"
[[ $(host_mounts) == "$host0" ]] || fail "the host's mounts changed"
assert_no_strays
