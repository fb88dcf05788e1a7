#!/bin/bash
# 165-ping-ip-monitor.sh - real programs on the other socket families, as
# Debian packages them: ping (iputils-ping, run by root: raw ICMP and
# ICMPv6 sockets with their filters) pinging 127.0.0.1 every 0.2 s, and
# `ip monitor address` (iproute2: a NETLINK_ROUTE socket in the address
# groups). Each is dumped (killed) and restored: ping goes on with the
# next sequence numbers and gets every reply from then on, and its
# summary at SIGINT counts at most the one reply that was in flight at
# the dump as lost; ip monitor reports an address added to lo after the
# restore, then its removal (the address, 127.a.b.c/32 of this run, is
# removed at exit whatever happens). Skipped only if ping or ip is
# missing (apt-get install iputils-ping iproute2).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init
command -v ping >/dev/null || skip "ping is not installed (apt-get install iputils-ping)"
command -v ip >/dev/null || skip "ip is not installed (apt-get install iproute2)"

addr=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
drop_addr() { ip addr del "$addr/32" dev lo 2>/dev/null || true; }
CLEANUP_HOOKS+=(drop_addr)

# ---- ping
w=$T/ping
mkdir -p "$w"
spawn "$w" ping -n -i 0.2 127.0.0.1
pid=$TARGET_PID
replies() { grep -c '^64 bytes from 127.0.0.1: icmp_seq=' "$w/out"; }
last_seq() { sed -n 's/^64 bytes from 127.0.0.1: icmp_seq=\([0-9]*\) .*/\1/p' "$w/out" | tail -n 1; }
more_replies() { (($(replies) >= $1)); }
wait_for 20 "ping's first replies" more_replies 3 || fail "ping gets no replies: $(tail -n 2 "$w/out" "$w/err")"
dump_and_reap "$pid" "$T/ping.img"
seq0=$(last_seq) n0=$(replies)
restore_detached "$T/ping.img" "$pid"
wait_for 20 "ping's replies after the restore" more_replies $((n0 + 5)) ||
	fail "ping gets no replies after the restore: $(tail -n 2 "$w/out")"
first=$(sed -n 's/^64 bytes from 127.0.0.1: icmp_seq=\([0-9]*\) .*/\1/p' "$w/out" | sed -n "$((n0 + 1))p")
((first == seq0 + 1 || first == seq0 + 2)) ||
	fail "after the restore ping's first reply is icmp_seq=$first, the last before was $seq0"
grep -qiE 'unreachable|error|wrong' "$w/out" "$w/err" && fail "ping complains: $(grep -iE 'unreachable|error|wrong' "$w/out" "$w/err" | head -n 2)"
kill -INT "$pid"
wait_for 10 "ping's summary" has_line "$w/out" 'packets transmitted' || fail "ping did not sum up"
read -r sent got < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$w/out")
log "ping: $sent sent, $got received"
((got >= sent - 1 && got >= n0 + 5)) || fail "ping sent $sent and got $got replies"
wait_for 10 "ping to end" is_dead "$pid" || fail "ping did not end on SIGINT"

# ---- ip monitor
w=$T/mon
mkdir -p "$w"
spawn "$w" ip monitor address
pid=$TARGET_PID
wait_for 10 "ip monitor to listen" has_line /proc/net/netlink "^[0-9a-f]+ +0 +$pid " ||
	fail "ip monitor has no netlink socket"
dump_and_reap "$pid" "$T/mon.img"
restore_detached "$T/mon.img" "$pid"
ip addr add "$addr/32" dev lo || fail "cannot add $addr to lo"
wait_for 10 "ip monitor to see $addr" has_line "$w/out" "^[0-9]+: lo +inet $addr/32 " ||
	fail "ip monitor did not see $addr added: $(tail -n 2 "$w/out")"
drop_addr
wait_for 10 "ip monitor to see $addr go" has_line "$w/out" "^Deleted [0-9]+: lo +inet $addr/32 " ||
	fail "ip monitor did not see $addr removed: $(tail -n 2 "$w/out")"
kill_restored "$pid"
assert_no_strays
