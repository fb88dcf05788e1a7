#!/bin/bash
# 71-epoll.sh - an epoll (71-epoll) with level- and edge-triggered,
# one-shot (disarmed) and exclusive items, 64-bit data, nested in another
# epoll, and one item added by a child on an fd number only the child has.
# Dump (kills both), restore; every item comes back (tfd, events, data in
# fdinfo), and the self-check passes twice: the epolls report the right
# items with the right data, and EPOLL_CTL_MOD/DEL/ADD by the application
# on its own fd numbers (the child's too) behave as before the dump.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/anon.sh
. "$(dirname "$0")/../anon.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 71-epoll
pid=$TARGET_PID
child=$(sed -n 's/^CHILD pid=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $child ]] || fail "no CHILD line from the target"
track_pid "$child"
self_check "$pid" "$w"
view0=$(fdinfo_view "$pid" 20 21)
log "epolls before the dump:"$'\n'"$view0"
(($(grep -c '^tfd:' <<<"$view0") == 6)) || fail "want 5 items in P and 1 in Q"
ids0=$(tree_snapshot "$pid")

dump_tree "$pid" "$img"
restore_tree "$img" "$pid"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$pid")"
assert_same "the target's epolls" "$view0" "$(fdinfo_view "$pid" 20 21)"
assert_tree_not_traced "${TREE_PIDS[@]}"
self_check "$pid" "$w"
self_check "$pid" "$w"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
