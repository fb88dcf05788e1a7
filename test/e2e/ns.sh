# shellcheck shell=bash
# ns.sh - helpers of the namespace tests (200-206), sourced after lib.sh.

# ns_spawn W COMMAND...: COMMAND (unshare(1) around the 200-ns target)
# spawned in W; waits for the target's READY. Sets NS_ROOT (the process
# spawned, the root of the tree) and NS_PID (the target's pid as the host
# sees it, tracked).
ns_spawn() {
	local w=$1
	spawn "$@"
	# shellcheck disable=SC2034 # read by the tests
	NS_ROOT=$TARGET_PID
	wait_for 20 "the target to start" has_line "$w/out" '^(READY|FATAL)' || fail "the target never said READY"
	has_line "$w/out" '^FATAL' && fail "target set-up failed: $(grep -m1 '^FATAL' "$w/out")"
	NS_PID=$(sed -n 's/^HOST pid=\([0-9]*\) .*/\1/p' "$w/out")
	[[ -n $NS_PID ]] || fail "no HOST line from the target"
	track_pid "$NS_PID"
}
