#!/bin/bash
# 206-ns-cgroup.sh - a target in a cgroup namespace of its own (`unshare
# --fork --cgroup`): it reads every cgroup path of /proc/self/cgroup as
# "/", the root of its namespace. Dump, restore: it is in a cgroup
# namespace of its own again, rooted where it was (it reads the same
# /proc/self/cgroup, "/" everywhere); ckpt show gives the roots.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/ns.sh
. "$(dirname "$0")/../ns.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
img=$T/images
mkdir -p "$w"
ns_spawn "$w" unshare --fork --cgroup "$E2E_TARGETS/200-ns" "$w" cgroup
uns=$NS_ROOT pid=$NS_PID
self_check "$pid" "$w"
[[ $(check_value cgroup) == / ]] || fail "inside, the target's cgroup is $(check_value cgroup)"
outside=$(sed -n 's/^[0-9]*:memory://p; s/^0:://p' "/proc/$pid/cgroup" | head -n 1)
ids0=$(tree_snapshot "$uns")
dump_tree "$uns" "$img"
restore_tree "$img" "$uns"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$uns")"
[[ $(readlink "/proc/$pid/ns/cgroup") != "$(readlink /proc/self/ns/cgroup)" ]] ||
	fail "the restored target is in the host's cgroup namespace"
self_check "$pid" "$w"
[[ $(check_value cgroup) == / ]] || fail "after the restore, the target's cgroup is $(check_value cgroup)"
ck_ok show --images "$img"
grep -q "cgroup namespace [0-9]*, made by $uns" "$CK_OUT" || fail "ckpt show does not list the cgroup namespace"
grep -qF "root in hierarchy '$(sed -n 's/^[0-9]*:\(memory\):.*/\1/p; s/^0::.*/cgroup2/p' "/proc/$pid/cgroup" | head -n 1)': '$outside'" "$CK_OUT" ||
	fail "ckpt show does not give the root '$outside'"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
