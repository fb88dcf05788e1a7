#!/bin/bash
# 292-ctr-rootless.sh - a rootless container: an ordinary user (made here,
# removed at the end) runs
#     unshare --user --map-root-user --fork --pid --mount-proc --mount --uts --ipc
# around the server of targets/290-ctr-server-static.c: root inside a user
# namespace that maps only that user, its own hostname, a tmpfs the user
# mounts inside, a System V shm segment; the network is the host's (an
# ordinary user makes no veth), so this shell connects over loopback. Root
# dumps the container by its root process (unshare: it owns the user, mnt,
# uts and ipc namespaces; its child is pid 1 of the pid namespace), checks
# that it is gone, restores it; then it must look the same from outside
# (the user outside, the maps, the capabilities inside its namespace, PIDs
# inside, hostname, files, shm) and to the server itself, and answer on the
# connection held across the dump with its counter going on. Nothing may
# gain privilege: the processes stay the user's, in a user namespace that
# is not the host's, with the same one-line maps.
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/ctr.sh
. "$(dirname "$0")/../ctr.sh"
e2e_init

ctr_need unshare util-linux
ctr_need setpriv util-linux
ctr_need nsenter util-linux
ctr_need useradd passwd
[[ -x $CTR_SERVER ]] || fail "target $CTR_SERVER not built"
if [[ -r /proc/sys/kernel/unprivileged_userns_clone &&
	$(cat /proc/sys/kernel/unprivileged_userns_clone) == 0 ]]; then
	skip "user namespaces are disabled for ordinary users on this machine"
fi

w=$T/w
img=$T/images
user=ctr292-$CTR_RUN
note=note-292-$CTR_RUN
port=$(ctr_free_port)
mkdir -p "$w"

# The user's processes first (the container, first or restored), then the user.
rootless_cleanup() {
	ctr_kill_now ${root:+"$root"} "${CTR_PIDS[@]}"
	id "$user" >/dev/null 2>&1 && userdel -f "$user" 2>/dev/null
	return 0
}
CTR_PIDS=()
root=
ctr_on_exit rootless_cleanup
useradd -M -N -g nogroup -s /bin/sh -d /nonexistent "$user" || fail "cannot make user $user"
uid=$(id -u "$user")
# The user's own directory: the server and the tmpfs's mount point.
u=$T/u
chmod 711 "$T"
mkdir -p "$u/state" || fail "cannot make $u"
cp "$CTR_SERVER" "$u/server" || fail "cannot copy the server into $u"
chown -R "$user" "$u" || fail "cannot give $u to $user"

# shellcheck disable=SC2016 # expanded by the shell inside
spawn "$w" setpriv --reuid "$uid" --regid nogroup --clear-groups -- \
	unshare --user --map-root-user --fork --pid --mount-proc --mount --uts --ipc \
	sh -c 'set -e; hostname ctr292; mount -t tmpfs -o size=8m tmpfs "$1"
		printf "%s\n" "$2" >"$1/note.txt"; exec "$0" "$3" "$1"' \
	"$u/server" "$u/state" "$note" "$port"
root=$TARGET_PID
wait_for 20 "the server to be READY" has_line "$w/out" '^(READY|FATAL)' ||
	fail "the server never said READY: $(head -c 300 "$w/err")"
has_line "$w/out" '^READY pid=1$' || fail "the server is not pid 1 of its namespace: $(head -n 3 "$w/out")"
[[ $(cat "/proc/$root/comm") == unshare ]] || fail "the root $root is not unshare"
server=$(ctr_find_inner "$root" 1 server) || fail "no server under unshare $root"
log "unshare $root, server $server (pid 1 inside), user $user ($uid)"

conn=
ctr_connect conn 127.0.0.1 "$port"
ctr_pong "$conn" 1
ctr_req "$conn" "PUT put-292-$CTR_RUN"
ctr_check "$conn"
[[ $(ctr_value host "$CTR_REPLY") == ctr292 && $(ctr_value note "$CTR_REPLY") == "$note" &&
	$(ctr_value pid "$CTR_REPLY") == 1 ]] || fail "the server's view is not the container's: $CTR_REPLY"
view0=$CTR_VIEW n0=$CTR_N
outside0=$(ctr_outside_view "$root" "$server" "$u/state")
log "outside view:"$'\n'"$outside0"
grep -q "^shm $((0x290290)) " <<<"$outside0" || fail "no shm segment with key 0x290290 in the container"
# Every process: the user outside, root of a namespace mapping only it.
n=$(grep -c "^proc .* Uid:$uid Gid:65534 .* uidmap=\[0 $uid 1\] gidmap=\[0 65534 1\] .*" <<<"$outside0")
((n == 3)) || fail "$n of the 3 processes run as $user in its user namespace"
grep -q '^proc .*host-ns:.* user' <<<"$outside0" && fail "a process of the container is in the host's user namespace"

ctr_dump "$root" "$img"
ctr_restore "$img"
[[ $CTR_ROOT == "$root" ]] || fail "the restored root is $CTR_ROOT, was $root (a PID of the host's namespace)"
server=$(ctr_find_inner "$CTR_ROOT" 1 server) || fail "no server (pid 1 inside) in the restored container"
assert_same "the container seen from outside" "$outside0" "$(ctr_outside_view "$CTR_ROOT" "$server" "$u/state")"
ctr_pong "$conn" $((n0 + 1))
ctr_check "$conn"
assert_same "the server's own view" "$view0" "$CTR_VIEW"
conn2=
ctr_connect conn2 127.0.0.1 "$port"
ctr_pong "$conn2" $((n0 + 3))
ctr_close "$conn2"
ctr_kill_restored
ctr_close "$conn"
assert_no_strays
