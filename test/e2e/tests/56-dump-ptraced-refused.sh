#!/bin/bash
# 56-dump-ptraced-refused.sh - a tree (root, pt-traced, pt-plain ->
# pt-plain1) in which the root ptraces pt-traced (PTRACE_SEIZE), so ckpt
# cannot seize it: the dump must fail cleanly (exit 1, one "ckpt: " line,
# nothing left in the images' parent dir), and every process must go on
# untouched: same ids, pt-traced still traced by the root only and not
# stopped, the others not traced nor stopped, the root's sequence going on,
# and the self-check passing (it stops pt-traced with PTRACE_INTERRUPT,
# which only works while the root is still its tracer, and checks that no
# signal reached it).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 56-ptraced
root=$TARGET_PID
declare -A P
read -ra kvs < <(sed -n 's/^TREE //p' "$w/out")
for kv in "${kvs[@]}"; do P[${kv%%=*}]=${kv#*=}; done
((${#P[@]} == 3)) || fail "no TREE line with 3 pids: $(grep -m1 '^TREE' "$w/out")"
track_pids "${P[@]}"
send_usr1 "$root" "$w" 1
self_check "$root" "$w"
ids0=$(tree_snapshot "$root")
names0=$(thread_snapshot "$root")
log "tree:"$'\n'"$ids0"
(($(wc -l <<<"$ids0") == 4)) || fail "the tree has $(wc -l <<<"$ids0") processes, want 4"
assert_traced_by "${P[traced]}" "$root"

mkdir "$T/d"
ck_fails "dump of a tree with a ptraced process" dump --pid "$root" --images "$T/d/images"
log "refused with: $(cat "$CK_ERR")"
assert_dump_left_nothing "$T/d"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$root")"
assert_same "threads (pid tid name)" "$names0" "$(thread_snapshot "$root")"
assert_traced_by "${P[traced]}" "$root"
assert_tree_not_traced "${P[plain]}" "${P[plain1]}"
assert_still_fine "$root" "$w" 1
[[ $(check_value traced) == "${P[traced]}" ]] || fail "traced=$(check_value traced), want ${P[traced]}"
assert_traced_by "${P[traced]}" "$root"
assert_no_strays "$root" "${P[@]}"
