# shellcheck shell=bash
# mnt.sh - helpers of the mount namespace tests (220-225), sourced after
# lib.sh.

# mnt_spawn W SCRIPT ARG...: `sh -c SCRIPT sh ARG...` (which sets up the
# container's mounts and execs the target) in a mount namespace of its
# own, private, spawned in W; waits for the target's READY (TARGET_PID).
mnt_spawn() {
	local w=$1
	shift
	spawn "$w" unshare --mount --propagation private sh -c "$@"
	wait_ready "$TARGET_PID" "$w"
}

# mnt_host: the host's mounts (mount point, type), sorted.
mnt_host() { awk '{ print $5, $9 }' /proc/self/mountinfo | sort; }

# mnt_host_unchanged BEFORE: fail unless the host's mounts are BEFORE
# (from mnt_host).
mnt_host_unchanged() {
	local now
	now=$(mnt_host)
	[[ $1 == "$now" ]] || fail "the host's mounts changed: $(diff <(echo "$1") <(echo "$now") | head -5)"
}
