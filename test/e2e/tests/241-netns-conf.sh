#!/bin/bash
# 241-netns-conf.sh - what a container sets in its network namespace
# besides links: sysctls (forwarding, listen backlog, port range, ping
# group range, per-link forwarding and rp_filter), an nftables ruleset
# (a table with a set, a counter and rules, as `nft list ruleset` shows
# it, counters included), an address and a route of a table of its own
# on lo. After a dump and a restore the namespace has them all, from
# inside to `sysctl`, `nft` and `ip`, and the server sees the same values
# through /proc/sys/net.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/netns.sh
. "$(dirname "$0")/../netns.sh"
e2e_init

command -v nft >/dev/null || skip "no nft (apt-get install nftables)"
command -v sysctl >/dev/null || skip "no sysctl"
host_ns_new
W=$T/ct IMG=$T/img
ct_start "$W" 7241
SYSCTLS="net.ipv4.ip_forward net.core.somaxconn net.ipv4.ip_local_port_range"
SYSCTLS+=" net.ipv4.ping_group_range net.ipv4.conf.all.rp_filter net.ipv4.conf.lo.forwarding"
SYSCTLS+=" net.ipv6.conf.all.forwarding net.ipv4.ip_unprivileged_port_start"
in_ct "$CT_PID" sh -ec '
	ip link set lo up
	ip addr add 10.241.0.1/32 dev lo
	ip route add 10.241.1.0/24 dev lo table 5
	sysctl -qw net.ipv4.ip_forward=1 net.core.somaxconn=777 \
		net.ipv4.ip_local_port_range="30000 40000" net.ipv4.ping_group_range="0 100" \
		net.ipv4.conf.all.rp_filter=2 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.ip_unprivileged_port_start=80
	nft -f - <<NFT
table inet t241 {
	set blocked { type ipv4_addr; elements = { 192.0.2.7, 192.0.2.9 } }
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr @blocked drop
		tcp dport 7999 counter reject with tcp reset
	}
}
NFT
	# some traffic for the counter: refused by the rule, not by the stack
	! bash -c "exec 3<>/dev/tcp/127.0.0.1/7999" 2>/dev/null' || fail "cannot configure the namespace"

conf() {
	in_ct "$1" sh -c "sysctl $SYSCTLS; nft list ruleset; ip -br addr; ip route show table 5"
}
before=$(conf "$CT_PID")
log "before: $before"
[[ $before == *"counter packets 1 "* ]] || fail "the rule's counter did not count: $before"
self_check "$CT_PID" "$W"
[[ $(check_value somaxconn) == 777 && $(check_value fwd) == 1 && $(check_value ports) == 30000-40000 ]] ||
	fail "the server does not see the sysctls it was given: $CHECK_LINE"

ct_dump "$CT_PID" "$IMG"
hck_ok restore --images "$IMG" --detach
[[ -e /proc/$CT_PID ]] || fail "the restored server $CT_PID does not exist"
track_pid "$CT_PID"

after=$(conf "$CT_PID")
[[ $after == "$before" ]] ||
	fail "the namespace's settings changed: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
self_check "$CT_PID" "$W"
[[ $(check_value somaxconn) == 777 && $(check_value fwd) == 1 && $(check_value ports) == 30000-40000 ]] ||
	fail "after the restore the server sees other values: $CHECK_LINE"
# the rule still works: the connection is refused by it, and counted
in_ct "$CT_PID" bash -c '! bash -c "exec 3<>/dev/tcp/127.0.0.1/7999" 2>/dev/null' ||
	fail "a connection to port 7999 went through"
[[ $(in_ct "$CT_PID" nft list ruleset) == *"counter packets 2 "* ]] ||
	fail "the restored rule did not count: $(in_ct "$CT_PID" nft list ruleset | tr '\n' ' ')"

kill_restored "$CT_PID"
log "OK"
