#!/bin/bash
# 200-ns-container.sh - a container made with `unshare --fork --pid --uts
# --ipc` around a target of ours: the target is pid 1 of its pid namespace
# with two children (pids 2 and 3 inside) and a child that exited and was
# not reaped (4), its own host name, a System V shm segment and semaphore
# set made inside its IPC namespace that no process has attached (one
# semaphore moved with SEM_UNDO), a message queue with two messages, and what
# names a process by pid (an F_SETOWN owner, a pidfd, a thread timer, a
# queued signal). Dump the whole tree (unshare first), restore: every
# process has the pids it had at every level (NSpid), the same parents,
# groups and sessions; the target finds getpid() == 1, its children alive
# and its zombie with their pids, its host name, the segment and set by
# key with their ids, contents and values, and the same processes named.
# The host sees none of them.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/ns.sh
. "$(dirname "$0")/../ns.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
img=$T/images
key=$((200000 + $$ % 10000))
name=ck200-$$
mkdir -p "$w"
ns_spawn "$w" unshare --fork --pid --uts --ipc "$E2E_TARGETS/200-ns" "$w" hostname "$name" \
	children 2 sysv "$key" refs zombie
uns=$NS_ROOT pid=$NS_PID
self_check "$pid" "$w"
[[ $(check_value pid) == 1 && $(check_value kids) == 2,3 && $(check_value zombie) == 4 ]] ||
	fail "inside: pid=$(check_value pid) kids=$(check_value kids) zombie=$(check_value zombie), want 1, 2,3 and 4"
nspids() { local p; for p in $(tree_pids "$uns"); do printf '%s %s\n' "$p" "$(sed -n 's/^NSpid:\s*//p' "/proc/$p/status" | tr -s '\t ' ' ')"; done; }
ids0=$(tree_snapshot "$uns")
ns0=$(nspids)
log "before: $ns0"
ipcs -m | grep -q "$(printf '0x%08x' "$key")" && fail "the host sees the container's segment"
dump_tree "$uns" "$img"
ck_ok show --images "$img"
grep -q "pid namespace [0-9]*, made by $pid" "$CK_OUT" || fail "ckpt show does not list the pid namespace"
grep -q "1 System V shm segments, 1 semaphore sets, 1 message queues" "$CK_OUT" ||
	fail "ckpt show does not list the ipc namespace's objects"
if [[ -n $PYTHON ]]; then
	ck_ok show --json --images "$img"
	kinds=$("$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted(n["kind"] for n in d["namespaces"])),
      [p["nspid"] for p in d["nspids"] if p["pid"] == int(sys.argv[2])][0])' "$CK_OUT" "$pid") ||
		fail "ckpt show --json is not JSON with namespaces"
	[[ $kinds == "ipc pid uts [$pid, 1]" ]] || fail "ckpt show --json gives '$kinds'"
fi
restore_tree "$img" "$uns"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$uns")"
assert_same "pids at every level (NSpid)" "$ns0" "$(nspids)"
[[ $(readlink "/proc/$pid/ns/pid") != "$(readlink /proc/self/ns/pid)" ]] ||
	fail "the target is in the host's pid namespace"
[[ $(readlink "/proc/$pid/ns/ipc") != "$(readlink /proc/self/ns/ipc)" ]] ||
	fail "the target is in the host's IPC namespace"
self_check "$pid" "$w"
[[ $(check_value pid) == 1 && $(check_value kids) == 2,3 && $(check_value zombie) == 4 &&
	$(check_value hostname) == "$name" ]] ||
	fail "after the restore: pid=$(check_value pid) kids=$(check_value kids) zombie=$(check_value zombie) hostname=$(check_value hostname)"
ipcs -m | grep -q "$(printf '0x%08x' "$key")" && fail "the host sees the container's segment after the restore"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
