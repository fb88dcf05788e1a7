#!/bin/bash
# 64-dump-namespace-refused.sh - a process in a UTS namespace of its own
# (namespaces are not saved): dump fails with exit 1 and one line naming
# the namespace; no image set is left behind; the process runs on, not
# traced and not stopped.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
mkdir -p "$w"
spawn "$w" unshare --uts sleep 1000
pid=$TARGET_PID
# Polled: the new namespace exists only once unshare(1) has run.
in_own_uts() { [[ $(readlink "/proc/$pid/ns/uts") != "$(readlink /proc/self/ns/uts)" ]]; }
wait_for 10 "sleep to run in its namespace" in_own_uts ||
	fail "no process in a new UTS namespace"
mkdir "$T/d"
ck_fails "dump of a process in another namespace" dump --pid "$pid" --images "$T/d/images"
grep -q "another uts namespace" "$CK_ERR" || fail "the error does not name the namespace: $(ck_err_line)"
assert_dump_left_nothing "$T/d"
is_dead "$pid" && fail "the process died"
assert_not_traced "$pid"
assert_no_strays "$pid"
