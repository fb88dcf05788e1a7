#!/bin/bash
# 204-ns-new-pidns.sh - `ckpt restore --new-pidns` escapes "pid in use":
# a process with a child (05-child) is dumped, and its pid is taken by
# another process before the restore. A plain restore fails ("pid N is in
# use"), leaving nothing; with --new-pidns the tree comes back in a pid
# namespace of its own, under an init of ckpt's (pid 1 there), where the
# target and its child have their saved pids: its self-check (getpid() the
# pid it had at start, its child alive with the pid it had) passes, and
# so does the child's parent-death signal; the init goes once the tree is
# gone. Without --detach, ckpt exits with the restored root's status (42
# after SIGTERM). Its own steps failed in turn leave nothing. A container
# (pid namespace of its own) whose host pid is taken comes back the same
# way, one level deeper, with its pids inside (1, 2, 3) its own.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/ns.sh
. "$(dirname "$0")/../ns.sh"
e2e_init

[[ -w /proc/sys/kernel/ns_last_pid ]] || skip "no /proc/sys/kernel/ns_last_pid"
w=$T/w
img=$T/images
start_target "$w" 05-child
pid=$TARGET_PID
child=$(sed -n 's/^CHILD pid=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $child ]] || fail "no CHILD line from the target"
track_pid "$child"
self_check "$pid" "$w"
dump_tree "$pid" "$img"

# take PID: a sleep gets PID (the next fork after ns_last_pid = PID - 1
# does, unless another process of this busy machine forks first: then
# again). Sets TAKER.
take() {
	local i
	TAKER=
	for ((i = 0; i < 50; i++)); do
		echo $(($1 - 1)) >/proc/sys/kernel/ns_last_pid
		sleep 1000 </dev/null >/dev/null 2>&1 &
		track_pid $!
		[[ $! == "$1" ]] && { TAKER=$!; return; }
		kill -9 $! 2>/dev/null
	done
	skip "could not take pid $1 for the test"
}
take "$pid"
taker=$TAKER

ck_fails "a restore whose root's pid is taken" restore --images "$img" --detach
grep -q "pid $pid is in use" "$CK_ERR" || fail "the plain restore fails otherwise: $(ck_err_line)"
[[ $(readlink "/proc/$taker/exe") == */sleep ]] || fail "the plain restore disturbed the taker"
assert_no_strays "$taker"

# The restored processes: NSpid "HOST SAVED" with SAVED one of ours.
host_of() {
	local s
	for s in /proc/[0-9]*/status; do
		grep -qE "^NSpid:\s+[0-9]+\s+$1\$" "$s" 2>/dev/null &&
			grep -q "^Name:\s*05-child" "$s" 2>/dev/null && { sed -n 's/^Pid:\s*//p' "$s"; return; }
	done
}
ck_ok restore --images "$img" --detach --new-pidns
hpid=$(host_of "$pid")
hchild=$(host_of "$child")
[[ -n $hpid && -n $hchild ]] || fail "no restored processes with pids $pid and $child in a namespace"
track_pids "$hpid" "$hchild"
init=$(proc_stat_field "$hpid" 4)
track_pid "$init"
[[ $(sed -n 's/^NSpid:\s*//p' "/proc/$init/status" | awk '{print $NF}') == 1 ]] ||
	fail "the restored root's parent $init is not pid 1 of the namespace"
[[ $(readlink "/proc/$hpid/ns/pid") != "$(readlink /proc/self/ns/pid)" ]] ||
	fail "the restored root is in the host's pid namespace"
self_check "$hpid" "$w"
[[ $(check_value pid) == "$pid" && $(check_value child) == "$child" ]] ||
	fail "inside: pid=$(check_value pid) child=$(check_value child), want $pid and $child"
kill_restored "$hpid"
wait_for 10 "child $hchild to die with its parent" is_dead "$hchild" ||
	fail "the child survived its parent: $(describe_pid "$hchild")"
wait_for 10 "the init $init to go once the tree is gone" is_dead "$init" ||
	fail "the namespace's init stayed: $(describe_pid "$init")"

# Without --detach: ckpt waits, and exits with the root's status.
timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" restore --images "$img" --new-pidns </dev/null \
	>"$T/attached.out" 2>"$T/attached.err" &
ckpid=$!
hpid=
wait_for 20 "the restored root" eval 'hpid=$(host_of "$pid"); [[ -n $hpid ]]' ||
	fail "no restored root"
track_pid "$hpid"
wait_for 20 "the restored root to run" eval '[[ $(proc_state "$hpid") == [RS] ]]'
kill -TERM "$hpid"
wait "$ckpid"
rc=$?
((rc == 42)) || fail "ckpt restore --new-pidns exited with $rc, want 42 (the root's status): $(head -c 300 "$T/attached.err")"
# Each step of its own failed (the fault build): one line, nothing left.
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
if [[ -x $FCKPT ]]; then
	for site in restore_pidns_clone restore_pidns_proc; do
		ck_cmd env CKPT_FAULT="$site" "$FCKPT" restore --images "$img" --detach --new-pidns
		ck_assert_failed "restore --new-pidns with a fault at $site"
		[[ -z $(host_of "$pid") ]] || fail "a fault at $site left a restored process"
		assert_no_strays "$taker"
	done
fi
kill -9 "$taker"

# A container (test 200's) whose host pids are taken: in a new pid
# namespace, one level deeper, its pids inside are its own again.
w=$T/c
mkdir -p "$w"
ns_spawn "$w" unshare --fork --pid --uts "$E2E_TARGETS/200-ns" "$w" hostname ck204 children 2
uns=$NS_ROOT cpid=$NS_PID
dump_tree "$uns" "$T/cimages"
take "$uns"
ck_fails "a container's restore with its pid taken" restore --images "$T/cimages" --detach
ck_ok restore --images "$T/cimages" --detach --new-pidns
hc=
for s in /proc/[0-9]*/status; do
	grep -qE "^NSpid:\s+[0-9]+\s+$cpid\s+1\$" "$s" 2>/dev/null && hc=$(sed -n 's/^Pid:\s*//p' "$s")
done
[[ -n $hc ]] || fail "no restored container target with pids $cpid and 1 in a new namespace"
track_pid "$hc"
self_check "$hc" "$w"
[[ $(check_value pid) == 1 && $(check_value kids) == 2,3 && $(check_value hostname) == ck204 ]] ||
	fail "in the container: pid=$(check_value pid) kids=$(check_value kids) hostname=$(check_value hostname)"
init=$(proc_stat_field "$(proc_stat_field "$hc" 4)" 4)
track_pid "$init"
kill -9 "$init"
wait_for 10 "the container to go with its init" is_dead "$hc" || fail "the container outlived its init"
kill -9 "$TAKER"
assert_no_strays
