#!/bin/bash
# 131-unix-passcred.sh - credentials of queued messages (130-unix-scm
# --creds-only): a datagram a child sent with its pid and uid/gid 65534,
# and a record the process sent itself, wait for receivers with
# SO_PASSCRED. Dump (kills the tree), restore: each receiver sees the same
# pid, uid and gid as before (not ckpt's), first peeking, then receiving.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 130-unix-scm --creds-only
root=$TARGET_PID
child=$(sed -n 's/^TREE root=[0-9]* child=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $child ]] || fail "no TREE line from the target"
track_pid "$child"
self_check "$root" "$w"
[[ $(check_value creds) == ok ]] || fail "no credentials before the dump"

dump_tree "$root" "$img"
restore_tree "$img" "$root"
assert_tree_not_traced "$root" "$child"
self_check "$root" "$w"
[[ $(check_value creds) == ok ]] || fail "not the same credentials after the restore"
touch "$w/consume"
self_check "$root" "$w"
[[ $(check_value consumed) == 1 ]] || fail "not received after the restore"
kill_tree "$root" "$child"
assert_no_strays
