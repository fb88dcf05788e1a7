#!/bin/bash
# 200-ns-container.sh - a container made with `unshare --fork --pid --uts
# --ipc` around a target of ours: the target is pid 1 of its pid namespace
# with two children (pids 2 and 3 inside), its own host name, and a System
# V shm segment and semaphore set made inside its IPC namespace that no
# process has attached. Dump the whole tree (unshare first), restore: every
# process has the pids it had at every level (NSpid), the same parents,
# groups and sessions; the target finds getpid() == 1, its children alive
# with their pids, its host name, and the segment and set by key, with
# their ids, contents and values. The host sees none of them.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
img=$T/images
key=$((200000 + $$ % 10000))
name=ck200-$$
mkdir -p "$w"
spawn "$w" unshare --fork --pid --uts --ipc "$E2E_TARGETS/200-ns" "$w" hostname "$name" \
	children 2 sysv "$key" refs
uns=$TARGET_PID
wait_for 20 "the target to start" has_line "$w/out" '^(READY|FATAL)' || fail "the target never said READY"
has_line "$w/out" '^FATAL' && fail "target set-up failed: $(grep -m1 '^FATAL' "$w/out")"
pid=$(sed -n 's/^HOST pid=\([0-9]*\) .*/\1/p' "$w/out")
[[ -n $pid ]] || fail "no HOST line from the target"
track_pid "$pid"
self_check "$pid" "$w"
[[ $(check_value pid) == 1 && $(check_value kids) == 2,3 ]] ||
	fail "inside: pid=$(check_value pid) kids=$(check_value kids), want 1 and 2,3"
nspids() { local p; for p in $(tree_pids "$uns"); do printf '%s %s\n' "$p" "$(sed -n 's/^NSpid:\s*//p' "/proc/$p/status" | tr -s '\t ' ' ')"; done; }
ids0=$(tree_snapshot "$uns")
ns0=$(nspids)
log "before: $ns0"
ipcs -m | grep -q "$(printf '0x%08x' "$key")" && fail "the host sees the container's segment"
dump_tree "$uns" "$img"
ck_ok show --images "$img"
grep -q "pid namespace [0-9]*, made by $pid" "$CK_OUT" || fail "ckpt show does not list the pid namespace"
grep -q "1 System V shm segments, 1 semaphore sets, 0 message queues" "$CK_OUT" ||
	fail "ckpt show does not list the ipc namespace's objects"
restore_tree "$img" "$uns"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$uns")"
assert_same "pids at every level (NSpid)" "$ns0" "$(nspids)"
[[ $(readlink "/proc/$pid/ns/pid") != "$(readlink /proc/self/ns/pid)" ]] ||
	fail "the target is in the host's pid namespace"
[[ $(readlink "/proc/$pid/ns/ipc") != "$(readlink /proc/self/ns/ipc)" ]] ||
	fail "the target is in the host's IPC namespace"
self_check "$pid" "$w"
[[ $(check_value pid) == 1 && $(check_value kids) == 2,3 && $(check_value hostname) == "$name" ]] ||
	fail "after the restore: pid=$(check_value pid) kids=$(check_value kids) hostname=$(check_value hostname)"
ipcs -m | grep -q "$(printf '0x%08x' "$key")" && fail "the host sees the container's segment after the restore"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
