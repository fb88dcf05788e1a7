#!/bin/bash
# 244-netns-unshare.sh - a container as unshare(1) makes one: `unshare
# --net --pid --fork` around the server (pid 1 inside), its namespace
# wired from outside with a veth to the host's bridge, a client on the
# host connected to it. The tree is unshare and the server; after a dump
# and a restore both are back in one new network namespace (and pid
# namespace), the server is pid 1 there, sees the same addresses and
# gateway, and the client's connection goes on.
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/netns.sh
. "$(dirname "$0")/../netns.sh"
e2e_init

host_ns_new
W=$T/ct WC=$T/c IMG=$T/img
mkdir -p "$W"
spawn "$W" nsenter --net="$HNS" unshare --net --pid --fork "$E2E_TARGETS/240-netns" "$W" server-here 7244
U=$TARGET_PID
wait_for 20 "READY from the server" has_line "$W/out" '^(READY|FATAL)' || fail "the server never said READY"
has_line "$W/out" '^READY pid=1$' || fail "the server is not pid 1 of its namespace: $(head -n 2 "$W/out")"
S=$(cut -d' ' -f1 "/proc/$U/task/$U/children")
[[ -n $S ]] || fail "unshare $U has no child"
track_pid "$S"
[[ $(readlink "/proc/$S/ns/net") == "$(readlink "/proc/$U/ns/net")" ]] || fail "unshare and the server differ"
ct_wire "$U"
client_start "$WC" 10.240.0.2 7244
C=$CL_PID
client_says "$C" "$WC" 1
view_before=$(ct_view "$U")
self_check "$S" "$W"
gw=$(check_value gw) addrs=$(check_value addrs)

hck_ok dump --pid "$U" --images "$IMG"
reap "$U"
wait_gone "$S"
wait_for 20 "the host end of the veth to go" host_gone vh0 || fail "vh0 is still in the host after the dump"

hck_ok restore --images "$IMG" --detach
track_pid "$U"
track_pid "$S"
[[ -e /proc/$S ]] || fail "the server $S is not back"
[[ $(readlink "/proc/$S/ns/net") == "$(readlink "/proc/$U/ns/net")" ]] ||
	fail "after the restore unshare and the server are in different network namespaces"
[[ $(readlink "/proc/$S/ns/net") != "$(readlink /proc/self/ns/net)" ]] || fail "the server is in ours"
view_after=$(ct_view "$U")
[[ $view_after == "$view_before" ]] ||
	fail "the container's network changed: $(diff <(echo "$view_before") <(echo "$view_after") | tr '\n' ' ')"
self_check "$S" "$W"
[[ $(check_value pid) == 1 && $(check_value gw) == "$gw" && $(check_value addrs) == "$addrs" ]] ||
	fail "the server sees another pid, gateway or addresses: $CHECK_LINE"
client_says "$C" "$WC" 2
((ECHO_COUNT == 2)) || fail "after the restore the server counted $ECHO_COUNT lines, want 2"
kill_restored "$S"
kill_restored "$U"
log "OK"
