#!/bin/bash
# 202-ns-time.sh - a target in a time namespace of its own (`unshare --fork
# --time --monotonic 100000000 --boottime 200000000`: its clocks about
# three and six years ahead of the host's). Dump, restore: it is in a time
# namespace of its own again, its CLOCK_MONOTONIC and CLOCK_BOOTTIME read
# on from where they were (never lower than its last reading before the
# dump) and still far ahead of the host's; ckpt show gives the offsets.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/ns.sh
. "$(dirname "$0")/../ns.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
[[ -e /proc/self/ns/time ]] || skip "no time namespaces in this kernel"
w=$T/w
img=$T/images
mkdir -p "$w"
ns_spawn "$w" unshare --fork --time --monotonic 100000000 --boottime 200000000 \
	"$E2E_TARGETS/200-ns" "$w" clocks
uns=$NS_ROOT pid=$NS_PID
self_check "$pid" "$w"
mono0=$(check_value mono_s)
((mono0 >= 100000000)) || fail "the target's monotonic clock reads ${mono0}s: no offset"
[[ $(readlink "/proc/$pid/ns/time") != "$(readlink /proc/self/ns/time)" ]] ||
	fail "the target is in the host's time namespace"
ids0=$(tree_snapshot "$uns")
dump_tree "$uns" "$img"
restore_tree "$img" "$uns"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$uns")"
[[ $(readlink "/proc/$pid/ns/time") != "$(readlink /proc/self/ns/time)" ]] ||
	fail "the restored target is in the host's time namespace"
# The self-check fails if either clock reads less than at its last check.
self_check "$pid" "$w"
mono1=$(check_value mono_s)
((mono1 >= mono0)) || fail "the monotonic clock went back from ${mono0}s to ${mono1}s"
read -r _ off _ < <(grep monotonic "/proc/$pid/timens_offsets")
((off > 90000000)) || fail "the restored namespace's monotonic offset is ${off}s"
ck_ok show --images "$img"
grep -q "time namespace [0-9]*, made by $pid" "$CK_OUT" || fail "ckpt show does not list the time namespace"
grep -q "offsets: monotonic 100000000.000000000 s, boottime 200000000.000000000 s" "$CK_OUT" ||
	fail "ckpt show does not give the offsets"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
