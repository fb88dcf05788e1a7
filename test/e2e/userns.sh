# shellcheck shell=bash
# userns.sh - helpers of the user namespace tests (280-289), sourced after
# lib.sh and attack.sh: a rootless container started by an ordinary user
# made for the test (attack_init: removed at exit with its processes).
#
#   userns_start W NAME [UNSHARE_ARGS...]   the user starts 280-userns in
#                     W (made, its own) as `unshare --user --map-root-user
#                     --uts --ipc [UNSHARE_ARGS...] 280-userns W NAME`, with its
#                     own group and USERNS_EXTRA_GID if set; sets
#                     USERNS_PID and waits for READY
#   userns_host_ids PID   "Uid: ... Gid: ... Groups: ..." as the host sees
#   userns_assert_host PID   the host sees PID as the user: every uid and
#                     gid the user's, its groups, the map of its root
#                     to the user, setgroups denied

userns_init() {
	command -v unshare >/dev/null || skip "no unshare(1)"
	[[ $(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0) -gt 0 ]] ||
		skip "user namespaces are off"
	attack_init
	USERNS_BIN=$(atk_bin 280-userns)
}

userns_start() {
	local w=$1 name=$2
	shift 2
	mkdir -m 0755 "$w"
	chown "$ATK_UID:$ATK_GID" "$w"
	spawn "$w" setpriv --reuid="$ATK_UID" --regid="$ATK_GID" \
		--groups="$(userns_groups ,)" --inh-caps=-all --bounding-set=-all -- \
		unshare --user --map-root-user --uts --ipc "$@" -- "$USERNS_BIN" "$w" "$name"
	USERNS_PID=$TARGET_PID
	wait_ready "$USERNS_PID" "$w"
}

# The user's groups, joined by $1: its own, and USERNS_EXTRA_GID (a
# supplementary group its namespace does not map) when set.
userns_groups() {
	local g
	g=$(printf '%s\n' "$ATK_GID" ${USERNS_EXTRA_GID:+"$USERNS_EXTRA_GID"} | sort -n | paste -s -d "$1")
	printf '%s\n' "$g"
}

userns_host_ids() {
	grep -E '^(Uid|Gid|Groups):' "/proc/$1/status" | tr -s '\t ' ' '
}

userns_assert_host() {
	local pid=$1 want have
	want=$(printf 'Uid: %s %s %s %s\nGid: %s %s %s %s\nGroups: %s ' \
		"$ATK_UID" "$ATK_UID" "$ATK_UID" "$ATK_UID" "$ATK_GID" "$ATK_GID" "$ATK_GID" "$ATK_GID" \
		"$(userns_groups ' ')")
	have=$(userns_host_ids "$pid")
	[[ $have == "$want" ]] || fail "the host sees $pid as '$have', want '$want'"
	have=$(tr -s ' ' <"/proc/$pid/uid_map")
	[[ $have == " 0 $ATK_UID 1" ]] || fail "uid_map of $pid is '$have', want '0 $ATK_UID 1'"
	have=$(tr -s ' ' <"/proc/$pid/gid_map")
	[[ $have == " 0 $ATK_GID 1" ]] || fail "gid_map of $pid is '$have', want '0 $ATK_GID 1'"
	[[ $(cat "/proc/$pid/setgroups") == deny ]] || fail "setgroups of $pid is not deny"
	[[ $(readlink "/proc/$pid/ns/user") != "$(readlink /proc/self/ns/user)" ]] ||
		fail "$pid is in the host's user namespace"
}
