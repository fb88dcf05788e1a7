#!/bin/bash
# 240-netns-tcp.sh - a container with a network namespace of its own: lo
# up, a veth to the host's bridge with IPv4 and IPv6 addresses, default
# routes through it, a routing table and a rule of its own, and a TCP
# server with two clients on the host (one over IPv4, one over IPv6)
# connected across the veth. After a dump and a restore (ckpt in the host
# namespace; the veth's host end named and bridged as at the dump) the
# connections go on: each client's next message is echoed with the
# server's line count going on from where it was (a message sent right
# after the dump, while the dead container's namespace may still be
# there, is answered after the restore: no reset), the namespace looks
# the same from inside, to `ip` and to the server itself, and the
# server's abstract unix socket is back in the container's namespace, not
# the host's.
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/netns.sh
. "$(dirname "$0")/../netns.sh"
e2e_init

host_ns_new
W=$T/ct W4=$T/c4 W6=$T/c6 IMG=$T/img
ct_start "$W" 7240
ct_wire "$CT_PID"
client_start "$W4" 10.240.0.2 7240
C4=$CL_PID
client_start "$W6" fd40::2 7240
C6=$CL_PID
client_says "$C4" "$W4" 1
client_says "$C6" "$W6" 1
((ECHO_COUNT == 2)) || fail "the server counted $ECHO_COUNT lines, want 2"

view_before=$(ct_view "$CT_PID")
log "the container's network: $view_before"
self_check "$CT_PID" "$W"
check_before=$CHECK_LINE
[[ $(check_value conns) == 2 ]] || fail "the server has $(check_value conns) clients, want 2"
[[ $(check_value gw) == 10.240.0.1@eth0 ]] || fail "the server's gateway is $(check_value gw)"

# The IPv4 client sends as soon as the dump is done, while the dead
# container's namespace may still be there: nothing must answer it with
# a reset (ckpt takes the veth's host end down before the kill).
send_early() { kill -USR1 "$C4"; }
CT_AFTER_DUMP=send_early
unix_in() { "$@" ss -Hxl | grep -c "@ckpt-e2e-240-7240"; }
[[ $(unix_in in_ct "$CT_PID") == 1 && $(unix_in in_host) == 0 ]] ||
	fail "the abstract unix socket is not in the container's namespace only"
ct_dump "$CT_PID" "$IMG"
CT_AFTER_DUMP=''
has_line "$W4/out" '^LOST' && fail "the IPv4 client lost its connection after the dump: $(grep -m1 LOST "$W4/out")"
in_host ip -br link >&2

hck_ok restore --images "$IMG" --detach
[[ -e /proc/$CT_PID ]] || fail "the restored server $CT_PID does not exist"
track_pid "$CT_PID"
in_host ip -br link >&2

view_after=$(ct_view "$CT_PID")
[[ $view_after == "$view_before" ]] ||
	fail "the container's network changed: $(diff <(echo "$view_before") <(echo "$view_after") | tr '\n' ' ')"
# abstract unix names are the namespace's: made again in it, not the host's
[[ $(unix_in in_ct "$CT_PID") == 1 && $(unix_in in_host) == 0 ]] ||
	fail "after the restore the abstract unix socket is not in the container's namespace only"
[[ $(in_host ip -o link show vh0) == *"master br0"*"state UP"* ]] ||
	fail "the host end is not back in br0 and up: $(in_host ip -o link show vh0)"

# the connections from the host go on, both ways, from where they were:
# the message sent during the restore gets its echo
wait_for 90 "the echo of the message sent after the dump" has_line "$W4/out" '^(GOT 2 |LOST)' ||
	fail "the IPv4 client got no echo of its message: $(tail -n 2 "$W4/out")"
has_line "$W4/out" '^LOST' && fail "the IPv4 client lost its connection: $(grep -m1 LOST "$W4/out")"
ECHO_COUNT=$(sed -n 's/^GOT 2 count=//p' "$W4/out")
((ECHO_COUNT == 3)) || fail "after the restore the server counted $ECHO_COUNT lines, want 3"
client_says "$C6" "$W6" 2
((ECHO_COUNT == 4)) || fail "after the restore the server counted $ECHO_COUNT lines, want 4"
self_check "$C4" "$W4"
self_check "$C6" "$W6"
self_check "$CT_PID" "$W"
for k in conns addrs gw somaxconn fwd ports; do
	v=$(check_value "$k")
	CHECK_LINE=$check_before
	[[ $(check_value "$k") == "$v" ]] || fail "the server sees $k=$v, it saw $(check_value "$k") before"
	CHECK_LINE=$(grep -E '^CHECK ' "$W/out" | tail -n 1)
done
[[ $(check_value lines) == 4 ]] || fail "the server counted $(check_value lines) lines, want 4"

kill_restored "$CT_PID"
log "OK"
