#!/bin/bash
# 205-ns-uts.sh - a process in a UTS namespace of its own (unshare --uts,
# host and domain names set inside): dump, restore; it comes back in a
# UTS namespace of its own again, not the host's, and reads back the names
# it set; the host's names are untouched. ckpt show names the namespace.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
img=$T/images
name=ck205-$$
host0=$(hostname)
mkdir -p "$w"
spawn "$w" unshare --uts "$E2E_TARGETS/200-ns" "$w" hostname "$name"
pid=$TARGET_PID
wait_ready "$pid" "$w"
self_check "$pid" "$w"
[[ $(check_value hostname) == "$name" ]] || fail "hostname=$(check_value hostname) before the dump"
uts0=$(readlink "/proc/$pid/ns/uts")
[[ $uts0 != "$(readlink /proc/self/ns/uts)" ]] || fail "the target is in the host's UTS namespace"
dump_tree "$pid" "$img"
ck_ok show --images "$img"
grep -q "uts namespace [0-9]*, made by $pid" "$CK_OUT" || fail "ckpt show does not list the namespace"
grep -q "hostname '$name', domainname '$name.dom'" "$CK_OUT" || fail "ckpt show does not give the names"
restore_tree "$img" "$pid"
uts1=$(readlink "/proc/$pid/ns/uts")
[[ $uts1 != "$(readlink /proc/self/ns/uts)" ]] || fail "the restored process is in the host's UTS namespace"
self_check "$pid" "$w"
[[ $(check_value hostname) == "$name" ]] || fail "hostname=$(check_value hostname) after the restore"
[[ $(hostname) == "$host0" ]] || fail "the host's name changed to $(hostname)"
kill_restored "$pid"
wait_tree_gone "$pid"
assert_no_strays
