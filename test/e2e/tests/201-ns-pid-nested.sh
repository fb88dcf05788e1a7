#!/bin/bash
# 201-ns-pid-nested.sh - pid namespaces two deep: `unshare --fork --pid
# unshare --fork --pid` around a target of ours with two children. The
# inner unshare is pid 1 of the outer namespace, the target pid 1 of the
# inner one (and 2 of the outer), its children 2 and 3 inside (3 and 4 in
# the outer). Dump the whole tree, restore: every process has the pids it
# had at every level, the same parents, groups and sessions, both
# unshare(1)s still make their children in the namespace below (their
# pid_for_children), and the target finds getpid() == 1 and its children
# alive with their pids.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
img=$T/images
mkdir -p "$w"
spawn "$w" unshare --fork --pid unshare --fork --pid "$E2E_TARGETS/200-ns" "$w" children 2 refs
uns=$TARGET_PID
wait_for 20 "the target to start" has_line "$w/out" '^(READY|FATAL)' || fail "the target never said READY"
has_line "$w/out" '^FATAL' && fail "target set-up failed: $(grep -m1 '^FATAL' "$w/out")"
pid=$(sed -n 's/^HOST pid=\([0-9]*\) .*/\1/p' "$w/out")
[[ -n $pid ]] || fail "no HOST line from the target"
track_pid "$pid"
self_check "$pid" "$w"
[[ $(check_value pid) == 1 && $(check_value kids) == 2,3 && $(check_value nspid) == "$pid/2/1" ]] ||
	fail "inside: pid=$(check_value pid) kids=$(check_value kids) nspid=$(check_value nspid)"
nspids() {
	local p
	for p in $(tree_pids "$uns"); do
		printf '%s %s %s\n' "$p" "$(sed -n 's/^NSpid:\s*//p' "/proc/$p/status" | tr -s '\t ' ' ')" \
			"$([[ $(readlink "/proc/$p/ns/pid_for_children") == "$(readlink "/proc/$p/ns/pid")" ]] && echo own || echo below)"
	done
}
ids0=$(tree_snapshot "$uns")
ns0=$(nspids)
log "before: $ns0"
[[ $(grep -c below <<<"$ns0") == 2 ]] || fail "not two unshare(1)s making their children below: $ns0"
dump_tree "$uns" "$img"
ck_ok show --images "$img"
[[ $(grep -c "pid namespace [0-9]*, made by" "$CK_OUT") == 2 ]] || fail "ckpt show does not list two pid namespaces"
grep -q "process $pid: pids $pid > 2 > 1" "$CK_OUT" || fail "ckpt show does not give the target's pids"
restore_tree "$img" "$uns"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$uns")"
assert_same "pids at every level (NSpid), pid_for_children" "$ns0" "$(nspids)"
self_check "$pid" "$w"
[[ $(check_value pid) == 1 && $(check_value kids) == 2,3 && $(check_value nspid) == "$pid/2/1" ]] ||
	fail "after the restore: pid=$(check_value pid) kids=$(check_value kids) nspid=$(check_value nspid)"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
