#!/bin/bash
# 66-dump-full-disk.sh - a dump that runs out of space halfway: the images
# go to a 100 MiB tmpfs, the target (01-basic) has 160 MiB of memory. A
# dump --free-memory frees the target's pages as they are stored (from its
# third batch of 32 MiB on); this one
# fails after some were, and must give them back: exit 1 with one line, no
# image set left, and the target runs on with every byte of its memory
# (its self-check verifies its heap pattern), not traced, not stopped.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

mnt=$T/small
mkdir -p "$mnt"
mount -t tmpfs -o size=100m ckpt-e2e-small "$mnt" || skip "cannot mount a tmpfs"
unmount_small() { umount -l "$mnt" 2>/dev/null; }
trap 'unmount_small; cleanup' EXIT

w=$T/w
start_target "$w" 01-basic 160
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
ck_fails "dump into a full tmpfs" dump --pid "$pid" --images "$mnt/images" --free-memory
assert_dump_left_nothing "$mnt"
assert_still_fine "$pid" "$w" 1
self_check "$pid" "$w"
# The same without freeing, and a pre-dump: one line each, nothing left.
ck_fails "dump into a full tmpfs" dump --pid "$pid" --images "$mnt/images"
assert_dump_left_nothing "$mnt"
assert_still_fine "$pid" "$w" 2
ck_fails "pre-dump into a full tmpfs" pre-dump --pid "$pid" --images "$mnt/images"
assert_dump_left_nothing "$mnt"
assert_still_fine "$pid" "$w" 3
self_check "$pid" "$w"
assert_no_strays "$pid"
