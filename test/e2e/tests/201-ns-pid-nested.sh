#!/bin/bash
# 201-ns-pid-nested.sh - pid namespaces two deep: `unshare --fork --pid
# unshare --fork --pid` around a target of ours with two children. The
# inner unshare is pid 1 of the outer namespace, the target pid 1 of the
# inner one (and 2 of the outer), its children 2 and 3 inside (3 and 4 in
# the outer). Dump the whole tree, restore: every process has the pids it
# had at every level, the same parents, groups and sessions, both
# unshare(1)s still make their children in the namespace below (their
# pid_for_children), and the target finds getpid() == 1, its children
# alive with their pids, and its two threads with the tids they had inside
# (4 and 5); what names a process by pid inside names the same process.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/ns.sh
. "$(dirname "$0")/../ns.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
img=$T/images
mkdir -p "$w"
ns_spawn "$w" unshare --fork --pid unshare --fork --pid "$E2E_TARGETS/200-ns" "$w" children 2 refs threads 2
uns=$NS_ROOT pid=$NS_PID
self_check "$pid" "$w"
[[ $(check_value pid) == 1 && $(check_value kids) == 2,3 && $(check_value nspid) == "$pid/2/1" ]] ||
	fail "inside: pid=$(check_value pid) kids=$(check_value kids) nspid=$(check_value nspid)"
tids0=$(check_value tids)
nspids() {
	local p t
	for p in $(tree_pids "$uns"); do
		for t in /proc/"$p"/task/*; do
			[[ ${t##*/} == "$p" ]] || printf 'thread %s\n' "$(sed -n 's/^NSpid:\s*//p' "$t/status" | tr -s '\t ' ' ')"
		done
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
[[ $(check_value tids) == "$tids0" ]] || fail "the threads' tids are $(check_value tids), were $tids0"
[[ $(check_value pid) == 1 && $(check_value kids) == 2,3 && $(check_value nspid) == "$pid/2/1" ]] ||
	fail "after the restore: pid=$(check_value pid) kids=$(check_value kids) nspid=$(check_value nspid)"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
