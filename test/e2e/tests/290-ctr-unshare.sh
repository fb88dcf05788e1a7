#!/bin/bash
# 290-ctr-unshare.sh - the container of issue 12 made with
#     unshare --fork --pid --mount-proc --mount --uts --ipc --net
# around the server of targets/290-ctr-server-static.c: its own hostname, a
# tmpfs on /srv with a file written before the server starts and one the
# server writes, a System V shm segment, a veth into a bridge of the host
# with an address and a default route, this shell connected over TCP. The
# container is dumped by its root process (unshare itself: it owns the mnt,
# uts, ipc and net namespaces, and its child is pid 1 of the new pid
# namespace) with the veth's host end named (--external veth[eth0]:HOSTIF),
# must be gone, is restored with that end put back into the bridge
# (--external veth[eth0]:HOSTIF@BRIDGE), and must look the same from
# outside and to the server itself (PIDs inside, hostname, files, shm,
# addresses, routes), answer on the connection held across the dump with
# its request counter going on, and accept a new one.
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/ctr.sh
. "$(dirname "$0")/../ctr.sh"
e2e_init

ctr_need unshare util-linux
ctr_need nsenter util-linux
ctr_need ip iproute2
[[ -x $CTR_SERVER ]] || fail "target $CTR_SERVER not built"

w=$T/w
img=$T/images
port=8290
note=note-290-$CTR_RUN
mkdir -p "$w"
ctr_bridge

# The container, as a user starts it (the shell inside sets it up, then
# becomes the server).
# shellcheck disable=SC2016 # expanded by the shell inside
spawn "$w" unshare --fork --pid --mount-proc --mount --uts --ipc --net \
	sh -c 'set -e; hostname ctr290; mount -t tmpfs -o size=8m tmpfs /srv
		printf "%s\n" "$1" >/srv/note.txt; exec "$0" "$2" /srv' \
	"$CTR_SERVER" "$note" "$port"
root=$TARGET_PID
wait_for 20 "the server to be READY" has_line "$w/out" '^(READY|FATAL)' ||
	fail "the server never said READY: $(head -c 300 "$w/err")"
has_line "$w/out" '^READY pid=1$' || fail "the server is not pid 1 of its namespace: $(head -n 3 "$w/out")"
server=$(ctr_find_inner "$root" 1 290-ctr-server-) || fail "no server under unshare $root"
log "unshare $root, server $server (pid 1 inside)"
ctr_veth "$server" eth0

# State, from outside and from the server's own view; a connection held.
ctr_session_start "$port" 290 "$note" pid 1
outside0=$(ctr_outside_view "$root" "$server" /srv)
log "outside view:"$'\n'"$outside0"
grep -q "^shm $((0x290290)) " <<<"$outside0" || fail "no shm segment with key 0x290290 in the container"
grep -q "^addr eth0 $CTR_NET.2/24" <<<"$outside0" || fail "eth0 has no address in the container"

# Dump: the container is gone (and with its net namespace the veth).
ctr_dump "$root" "$img" --external "veth[eth0]:$CTR_HOSTIF"
ctr_link_gone "$CTR_HOSTIF"

# Restore, the veth's host end back in the bridge.
ctr_restore "$img" --external "veth[eth0]:$CTR_HOSTIF@$CTR_BR"
[[ $CTR_ROOT == "$root" ]] || fail "the restored root is $CTR_ROOT, was $root (a PID of the host's namespace)"
server=$(ctr_find_inner "$CTR_ROOT" 1 290-ctr-server-) || fail "no server (pid 1 inside) in the restored container"
assert_same "the container seen from outside" "$outside0" "$(ctr_outside_view "$CTR_ROOT" "$server" /srv)"
ctr_session_after "$port"
ctr_check "$CTR_CONN"
ctr_kill_restored
ctr_close "$CTR_CONN"
assert_no_strays
