#!/bin/bash
# 70-eventfd.sh - eventfds (70-eventfd): a counter holding 2^40 + 12345
# (O_NONBLOCK, close-on-exec) shared with a child, a semaphore holding 3
# with a dup, an empty semaphore. Dump (kills both), restore; the PIDs,
# what fdinfo says of every eventfd (count, semaphore mode, flags) and the
# fd numbers come back, and the target's self-check passes twice: it reads
# each count and mode back, and the child still shares the counter.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/anon.sh
. "$(dirname "$0")/../anon.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 70-eventfd
pid=$TARGET_PID
child=$(sed -n 's/^CHILD pid=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $child ]] || fail "no CHILD line from the target"
track_pid "$child"
self_check "$pid" "$w"
[[ $(check_value sem) == 3 ]] || fail "the semaphore holds $(check_value sem) before the dump, want 3"
view0=$(fdinfo_view "$pid" 10 11 12 13)
cview0=$(fdinfo_view "$child" 10 11 12 13)
log "eventfds before the dump:"$'\n'"$view0"
grep -q '^eventfd-semaphore: *1' <<<"$view0" || fail "no semaphore in the fdinfo of the target"
ids0=$(tree_snapshot "$pid")

dump_tree "$pid" "$img"
restore_tree "$img" "$pid"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$pid")"
assert_same "the target's eventfds" "$view0" "$(fdinfo_view "$pid" 10 11 12 13)"
assert_same "the child's eventfds" "$cview0" "$(fdinfo_view "$child" 10 11 12 13)"
assert_tree_not_traced "${TREE_PIDS[@]}"
self_check "$pid" "$w"
self_check "$pid" "$w"
[[ $(check_value big) == $(((1 << 40) + 12345)) ]] || fail "big=$(check_value big)"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
