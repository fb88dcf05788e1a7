# shellcheck shell=bash
# netns.sh - helpers of the network namespace tests (240-243), sourced
# after lib.sh.
#
# Nothing touches the machine's own network: each test makes a network
# namespace of its own, "the host" (HNS, removed at exit whatever
# happens, with every link in it), and runs ckpt, the clients and the
# bridge there. The container is the 240-netns target started in the host
# namespace, which then unshares one of its own; its veth has one end in
# the container and the other in the host's bridge.

NS_NAME=ckpt-e2e-$TEST_NAME-$$
HNS=/run/netns/$NS_NAME

host_ns_del() {
	ip netns del "$NS_NAME" 2>/dev/null
	return 0
}

# host_ns_new: the host namespace, lo up; removed at exit.
host_ns_new() {
	command -v ip >/dev/null && command -v nsenter >/dev/null || skip "no ip or nsenter"
	ip netns add "$NS_NAME" || fail "cannot make network namespace $NS_NAME"
	CLEANUP_HOOKS+=(host_ns_del)
	in_host ip link set lo up || fail "cannot bring lo up in $NS_NAME"
}

# in_host CMD...: CMD in the host namespace (only its network: its
# mounts are ours, unlike `ip netns exec`).
in_host() { nsenter --net="$HNS" "$@"; }

# in_ct PID CMD...: CMD in the network namespace of process PID.
in_ct() {
	local pid=$1
	shift
	nsenter --net="/proc/$pid/ns/net" "$@"
}

# hck ARGS...: ckpt ARGS in the host namespace; hck_ok: it must succeed.
hck() { ck_cmd nsenter --net="$HNS" "$CKPT" "$@"; }
hck_ok() {
	hck "$@"
	((CK_RC == 124 || CK_RC == 137)) && fail "ckpt $1 timed out after ${CKPT_TIMEOUT}s"
	((CK_RC == 0)) || fail "ckpt $1 failed (exit $CK_RC): $(ck_err_line)"
}

# ct_start W PORT: the container's server in W, listening on PORT; sets
# CT_PID.
ct_start() {
	mkdir -p "$1"
	spawn "$1" nsenter --net="$HNS" "$E2E_TARGETS/240-netns" "$1" server "$2"
	wait_ready "$TARGET_PID" "$1"
	CT_PID=$TARGET_PID
}

# ct_wire PID: bridge br0 in the host (10.240.0.1/24, fd40::1/64); veth
# vh0 in it, whose peer is eth0 in the container (10.240.0.2/24,
# fd40::2/64, MTU 1400, a MAC of its own) with lo up and default routes
# through the bridge.
ct_wire() {
	local pid=$1
	in_host sh -ec '
		ip link add br0 type bridge
		ip addr add 10.240.0.1/24 dev br0
		ip addr add fd40::1/64 dev br0 nodad
		ip link set br0 up
		ip link add vh0 type veth peer name eth0 netns '"$pid"'
		ip link set vh0 master br0 up' || fail "cannot make the host's bridge and veth"
	in_ct "$pid" sh -ec '
		ip link set lo up
		ip link set eth0 mtu 1400 address 02:40:00:00:00:02
		ip addr add 10.240.0.2/24 dev eth0
		ip addr add fd40::2/64 dev eth0 nodad
		ip link set eth0 up
		ip route add default via 10.240.0.1
		ip -6 route add default via fd40::1
		ip route add 192.0.2.0/24 via 10.240.0.1 table 42
		ip rule add from 10.240.0.2 table 42 prio 420' ||
		fail "cannot set up the container's network"
}

# ct_view PID: the container's network as `ip` shows it from inside
# (the routes the kernel makes from addresses left out).
ct_view() {
	in_ct "$1" sh -c '
		ip -br link; ip -br addr; ip -d link show eth0 2>/dev/null | grep -o "mtu [0-9]*"
		ip route show table all | grep -v "proto kernel"
		ip -6 route show table all | grep -v "proto kernel"
		ip rule; ip -6 rule'
}

# client_start W ADDR PORT: a client in the host namespace; sets CL_PID.
client_start() {
	mkdir -p "$1"
	spawn "$1" nsenter --net="$HNS" "$E2E_TARGETS/240-netns" "$1" client "$2" "$3"
	wait_ready "$TARGET_PID" "$1"
	CL_PID=$TARGET_PID
}

# client_says PID W N: SIGUSR1 to the client, wait for its Nth echo; sets
# ECHO_COUNT (the server's line count in it).
client_says() {
	local pid=$1 w=$2 n=$3 line
	kill -USR1 "$pid" || fail "cannot signal client $pid"
	wait_for 90 "echo $n to client $pid" has_line "$w/out" "^(GOT $n |LOST)" ||
		fail "client $pid got no echo $n: $(tail -n 2 "$w/out")"
	has_line "$w/out" '^LOST' && fail "client $pid lost its connection: $(grep -m1 LOST "$w/out")"
	line=$(grep -E "^GOT $n " "$w/out" | tail -n 1)
	ECHO_COUNT=${line##*count=}
	log "client $pid: $line"
}

# host_gone LINK: no link LINK in the host namespace.
host_gone() { ! in_host ip link show "$1" >/dev/null 2>&1; }

# ct_dump PID IMG [ARGS...]: dump the container from the host namespace,
# reap it, wait until its namespace (and the host end of its veth) is gone.
# CT_AFTER_DUMP, if set, is run as soon as the dump returns.
ct_dump() {
	local pid=$1 img=$2
	shift 2
	hck_ok dump --pid "$pid" --images "$img" "$@"
	[[ -n ${CT_AFTER_DUMP:-} ]] && $CT_AFTER_DUMP
	reap "$pid"
	((REAP_STATUS == 137)) || fail "after the dump $pid ended with status $REAP_STATUS, want 137"
	wait_gone "$pid"
	wait_for 20 "the host end of the veth to go" host_gone vh0 ||
		fail "vh0 is still in the host after the dump"
}
