#!/bin/bash
# 132-unix-scm-closed.sh - files in flight that no process has open
# (130-unix-scm --closed): a pipe's read end, a regular file at offset 4,
# an eventfd and one end of a socketpair holding "inner", sent with
# SCM_RIGHTS and closed by the sender (which keeps the pipe's write end
# and the other end of the socketpair). Dump (kills the tree), restore:
# the message arrives with four working files: the pipe reads what the
# tree writes after the restore, the file is at offset 4 with its bytes,
# the eventfd holds 5, the socket still holds "inner" and talks to the
# end the tree kept. Received for real at the end, once. A dump with
# --leave-running first leaves every message and file where it was.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 130-unix-scm --closed
root=$TARGET_PID
child=$(sed -n 's/^TREE root=[0-9]* child=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $child ]] || fail "no TREE line from the target"
track_pid "$child"
self_check "$root" "$w"
ids0=$(tree_snapshot "$root")
# A dump that leaves the tree running takes nothing out of the queues.
ck_ok dump --pid "$root" --images "$T/lr" --leave-running
self_check "$root" "$w"

dump_tree "$root" "$img"
restore_tree "$img" "$root"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$root")"
assert_tree_not_traced "$root" "$child"
self_check "$root" "$w"
touch "$w/consume"
self_check "$root" "$w"
[[ $(check_value consumed) == 1 ]] || fail "not received after the restore"
# The files came only with the message: no process of the tree has them.
for p in "$root" "$child"; do
	ls -l "/proc/$p/fd" | grep -q 'data$' && fail "$p has the file 'data' open"
done
kill_tree "$root" "$child"
assert_no_strays
