#!/bin/bash
# 61-files.sh - open files of many kinds (61-files): flock, POSIX and OFD
# locks, a FIFO with data in it and a larger buffer, O_PATH fds (one on a
# symlink itself), a directory fd part-read, a sparse deleted file still
# open, memfds held open, mapped, sealed, mapped only, mapped private.
# Dump (kills it), restore: every fd comes back at its number, and the
# target's self-check finds each as it was (locks held against another
# process, data, sizes, offsets, sharing); the deleted file is not left
# behind on disk.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 61-files
pid=$TARGET_PID
self_check "$pid" "$w"
fds0=$(cd "/proc/$pid/fd" && for f in *; do printf '%s %s\n' "$f" "$(readlink "$f")"; done | sort -n)
maps0=$(grep -o '/memfd:.*\|/dev/zero.*' "/proc/$pid/maps" | sort)
dump_tree "$pid" "$img"
[[ -e $w/ghost ]] && fail "the dump left the deleted file on disk"
restore_tree "$img" "$pid"
fds1=$(cd "/proc/$pid/fd" && for f in *; do printf '%s %s\n' "$f" "$(readlink "$f")"; done | sort -n)
assert_same "fds (number target)" "$fds0" "$fds1"
assert_same "memfd mappings" "$maps0" "$(grep -o '/memfd:.*\|/dev/zero.*' "/proc/$pid/maps" | sort)"
[[ -e $w/ghost ]] && fail "the restore left the deleted file on disk"
self_check "$pid" "$w"
self_check "$pid" "$w"
kill_tree "$pid"
assert_no_strays
