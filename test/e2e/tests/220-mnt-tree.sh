#!/bin/bash
# 220-mnt-tree.sh - a process in a mount namespace of its own (unshare
# --mount, its root the host's /) that made a tree of mounts under a
# directory: a tmpfs with files (contents, modes, owners, a symlink, a
# FIFO, a hard link, a read-only directory), a bind of a directory and of a
# file, a read-only nosuid,nodev,noexec bind, a tmpfs hidden under another
# one (both with files), a shared tmpfs with a peer and a slave, an
# unbindable one, mqueue, proc, sysfs, cgroup2, the v1 memory hierarchy
# (where the host has it), a devpts instance. Dump, restore: the target sees the same mounts
# (type, root, options, propagation with its peer groups) and the same
# files as before, the read-only bind still refuses writes, and the host's
# mount table has not changed. ckpt show prints the mount tree.
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
setup='set -e
md=$1
mount -t tmpfs -o size=8m,mode=0751,nr_inodes=1000 ck220 "$md"
mkdir "$md/a" "$md/b" "$md/c" "$md/d" "$md/ro" "$md/sh" "$md/sh2" "$md/sl" "$md/ub" "$md/mq"
echo hello >"$md/a/f"
chmod 640 "$md/a/f"
chown 1234:2345 "$md/a/f"
ln -s f "$md/a/lnk"
ln "$md/a/f" "$md/a/hard"
mkfifo -m 0604 "$md/a/fifo"
mkdir -m 0555 "$md/a/rdir"
head -c 300000 /dev/urandom >"$md/a/big"
touch -d "2001-02-03 04:05:06" "$md/a/big"
mount --bind "$md/a" "$md/b"
touch "$md/c/file"
mount --bind "$md/a/f" "$md/c/file"
mount -t tmpfs -o mode=0700 ck220-under "$md/d"
echo under >"$md/d/x"
mount -t tmpfs -o mode=0755 ck220-over "$md/d"
echo over >"$md/d/y"
mount --bind "$md/a" "$md/ro"
mount -o remount,bind,ro,nosuid,nodev,noexec "$md/ro"
mount -t tmpfs ck220-sh "$md/sh"
mount --make-shared "$md/sh"
mkdir "$md/sh/x"
mount --bind "$md/sh" "$md/sh2"
mount --bind "$md/sh" "$md/sl"
mount --make-slave "$md/sl"
mount -t tmpfs ck220-ub "$md/ub"
mount --make-unbindable "$md/ub"
mount -t mqueue ck220-mq "$md/mq"
mkdir "$md/virt"
mkdir "$md/virt/proc" "$md/virt/sys" "$md/virt/cg" "$md/virt/pts" "$md/virt/mem"
mount -t proc ck220-proc "$md/virt/proc"
mount -t sysfs ck220-sys "$md/virt/sys"
mount -t cgroup2 ck220-cg "$md/virt/cg"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 ck220-pts "$md/virt/pts"
mount -t cgroup -o memory ck220-mem "$md/virt/mem" 2>/dev/null || rmdir "$md/virt/mem"
shift
exec "$@"'
mnt_spawn "$w" "$setup" sh "$md" \
	"$E2E_TARGETS/220-mnt" "$w" "$md" "$md/ro"
pid=$TARGET_PID
self_check "$pid" "$w"
view0=$(check_value view)
[[ $(check_value mounts) -ge 15 ]] || fail "only $(check_value mounts) mounts under $md"
[[ $(readlink "/proc/$pid/ns/mnt") != "$(readlink /proc/self/ns/mnt)" ]] ||
	fail "the target is in the host's mount namespace"
dump_tree "$pid" "$img"
ck_ok show --images "$img"
grep -q "'$md/d' tmpfs root '/' rw,relatime (new, files saved)" "$CK_OUT" ||
	fail "ckpt show does not list the hidden tmpfs"
grep -q "'$md/ro' tmpfs root '/a' ro,nosuid,nodev,noexec,relatime (new)" "$CK_OUT" ||
	fail "ckpt show does not list the read-only bind"
grep -q "'$md/virt/pts' devpts root '/' .*(new)" "$CK_OUT" || fail "ckpt show does not list the devpts"
restore_tree "$img" "$pid"
[[ $(readlink "/proc/$pid/ns/mnt") != "$(readlink /proc/self/ns/mnt)" ]] ||
	fail "the restored target is in the host's mount namespace"
self_check "$pid" "$w"
[[ $(check_value view) == "$view0" ]] || fail "view $(check_value view), want $view0"
# The hidden tmpfs came back with its files: seen from inside once the
# one over it is gone (in a copy of the namespace).
# shellcheck disable=SC2016
under=$(nsenter -t "$pid" -m unshare --mount --propagation private \
	sh -c 'umount "$1/d" && cat "$1/d/x"' sh "$md") || fail "cannot look under $md/d"
[[ $under == under ]] || fail "the hidden tmpfs holds '$under'"
# The devpts is one of its own again, with its options.
pts=$(grep " $md/virt/pts " "/proc/$pid/mountinfo") || fail "no devpts in the restored namespace"
[[ $pts == *"ptmxmode=666"* && $pts == *"mode=620"* ]] || fail "devpts options: $pts"
mnt_host_unchanged "$host0"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
