#!/bin/bash
# 64-dump-namespace-refused.sh - a process in a UTS namespace of its own
# whose child went back into ckpt's (setns, with nsenter): a namespace
# entered that way cannot be made again, so the dump fails with exit 1 and
# one line naming the process and the namespace; no image set is left
# behind; both run on, not traced and not stopped.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
command -v nsenter >/dev/null || skip "no nsenter(1)"
w=$T/w
mkdir -p "$w"
spawn "$w" unshare --uts sh -c "nsenter --uts=/proc/$$/ns/uts sleep 1000 & wait"
pid=$TARGET_PID
child=
# Polled: the child exists only once sh has forked it and nsenter has run.
entered() {
	local k
	k=()
	{ read -ra k <"/proc/$pid/task/$pid/children"; } 2>/dev/null
	child=${k[0]:-}
	[[ -n $child && $(readlink "/proc/$child/exe") == */sleep ]] &&
		[[ $(readlink "/proc/$child/ns/uts") == "$(readlink /proc/self/ns/uts)" ]] &&
		[[ $(readlink "/proc/$pid/ns/uts") != "$(readlink /proc/self/ns/uts)" ]]
}
wait_for 10 "sleep to run back in the host's namespace" entered ||
	fail "no child back in the host's UTS namespace"
track_pid "$child"
mkdir "$T/d"
ck_fails "dump of a process that entered another namespace" dump --pid "$pid" --images "$T/d/images"
grep -q "process $child ('sleep') entered ckpt's uts namespace" "$CK_ERR" ||
	fail "the error does not name the process and the namespace: $(ck_err_line)"
assert_dump_left_nothing "$T/d"
is_dead "$pid" && fail "the process died"
is_dead "$child" && fail "the child died"
assert_not_traced "$pid"
assert_not_traced "$child"
assert_no_strays "$pid" "$child"
