#!/bin/bash
# 332-migrate-tcp.sh - a server (target 330-migrate serve=) on machine a's
# service address 10.233.0.100 holds a TCP connection from a client in
# the lan namespace (target 330-migrate client=); `ckpt-migrate --live
# --move-address 10.233.0.100/24@eth0` moves the server and its address
# to b (added on b before the restore, taken off a while the tree is
# frozen, announced from b by a gratuitous ARP). The held connection goes
# on: the client's next PING is answered on the same socket by the same
# server, whose count of lines served goes on (its own view: n=2 after
# n=1); a new connection is answered too (n=3); the address is on b, not
# on a.
# e2e-timeout: 150
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/machines.sh
. "$E2E_DIR/machines.sh"
e2e_init
command -v arping >/dev/null || skip "no arping (apt-get install iputils-arping)"
machines_up

svc=$MACH_NET.100
port=$((33000 + RANDOM % 1000))
mach_run a ip addr add "$svc/24" dev eth0 || fail "cannot add $svc on a"

new_tmp SH /dev/shm
w=$SH/server
mach_start a "$w" 330-migrate mib=16 serve="$svc:$port"
inner=$JOB_INNER

# client_start W: a client in lan, connected to the server; sets CL_PID.
client_start() {
	mkdir -p "$1"
	spawn "$1" nsenter --net="/run/netns/$(mach_ns lan)" -- "$E2E_TARGETS/330-migrate" "$1" \
		client="$svc:$port"
	wait_ready "$TARGET_PID" "$1"
	CL_PID=$TARGET_PID
}

# ping_ok PID W K N: the client's Kth PING is answered with n=N.
ping_ok() {
	local pid=$1 cw=$2 k=$3 n=$4 line
	kill -USR1 "$pid" || fail "cannot signal client $pid"
	wait_for 60 "the answer to PING $k" has_line "$cw/out" "^(GOT $k |LOST)" ||
		fail "client $pid got no answer to PING $k"
	has_line "$cw/out" '^LOST' && fail "client $pid lost its connection: $(grep -m1 LOST "$cw/out")"
	line=$(grep -E "^GOT $k " "$cw/out")
	log "client $pid: $line"
	[[ $line == "GOT $k ECHO n=$n PING $k" ]] || fail "client $pid got '$line', want 'GOT $k ECHO n=$n PING $k'"
}

client_start "$SH/c1"
c1=$CL_PID
ping_ok "$c1" "$SH/c1" 1 1
self_check "$JOB_PID" "$w"
[[ $(check_value conns) == 1 ]] || fail "the server holds $(check_value conns) connections, want 1"

migrate_ok --pid "$inner" --to "root@${MACH_ADDR[b]}" --live --move-address "$svc/24@eth0"
gone_from a "$inner"
job_on b "$inner"
mach_run a ip -br addr show dev eth0 | grep -q "$svc/" && fail "$svc is still on a"
mach_run b ip -br addr show dev eth0 | grep -q "$svc/" || fail "$svc is not on b"

ping_ok "$c1" "$SH/c1" 2 2
self_check "$JOB_PID" "$w"
[[ $(check_value served) == 2 && $(check_value conns) == 1 ]] ||
	fail "the server on b: served=$(check_value served) conns=$(check_value conns), want 2 and 1"
client_start "$SH/c2"
ping_ok "$CL_PID" "$SH/c2" 1 3
ping_ok "$c1" "$SH/c1" 3 4
self_check "$JOB_PID" "$w"
[[ $(check_value conns) == 2 ]] || fail "the server holds $(check_value conns) connections, want 2"
assert_tmp_empty a
assert_tmp_empty b
