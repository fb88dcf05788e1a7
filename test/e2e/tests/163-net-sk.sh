#!/bin/bash
# 163-net-sk.sh - ICMP ("ping"), raw IP, packet and netlink sockets (the
# 163-net-sk target: see targets/163-net-sk.c), each used by the target
# before the dump and after the restore: a ping to 127.0.0.1 through the
# ICMP socket gets its reply with the same identifier, the raw socket's
# ICMP_FILTER and the packet socket's classic filter (bound to lo) let
# that reply alone through, an echo request built whole (IP_HDRINCL) is
# answered, the netlink route dump works with the same portid and groups,
# the uevent and generic sockets keep their portids (same values in the
# CHECK lines before and after). Then a packet socket in a fanout group
# is refused at dump, the target running on untouched. Then a user's set
# claiming a packet socket for a process without CAP_NET_RAW is refused.
# net.ipv4.ping_group_range is set to let root's group make ICMP sockets,
# and put back at exit.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

range_file=/proc/sys/net/ipv4/ping_group_range
range0=$(tr '\t' ' ' <"$range_file") || skip "no $range_file"
put_range_back() { printf '%s\n' "$range0" >"$range_file"; }
CLEANUP_HOOKS+=(put_range_back)
read -r lo hi <<<"$range0"
((lo <= 0 && hi >= 0)) || printf '0 %s\n' "$((hi > 0 ? hi : 0))" >"$range_file" ||
	fail "cannot set $range_file"

w=$T/w
start_target "$w" 163-net-sk
pid=$TARGET_PID
self_check "$pid" "$w"
socks() { printf '%s\n' "${CHECK_LINE#* usr1=* }"; } # the sockets' part of the CHECK line
before=$(socks)
for k in ident portid14 portid15 portid16; do
	[[ $(check_value "$k") =~ ^[1-9][0-9]*$ ]] || fail "$k is '$(check_value "$k")' before the dump"
done

dump_and_reap "$pid" "$T/images"
restore_detached "$T/images" "$pid"
self_check "$pid" "$w"
[[ $(socks) == "$before" ]] || fail "the sockets changed: '$(socks)', was '$before'"
# Seen from outside too: the kernel's table of netlink sockets.
awk -v p="$(check_value portid14)" '$3 == p { f = 1 } END { exit !f }' /proc/net/netlink ||
	fail "no netlink socket with portid $(check_value portid14) in /proc/net/netlink"
self_check "$pid" "$w"
kill_restored "$pid"
wait_gone "$pid"

log "==== a packet socket in a fanout group: refused, untouched"
w2=$T/w2
start_target "$w2" 163-net-sk fanout
pid2=$TARGET_PID
send_usr1 "$pid2" "$w2" 1
mkdir "$T/d2"
ck_fails "dump of a packet socket in a fanout group" dump --pid "$pid2" --images "$T/d2/images"
grep -q "fd 18 is a packet socket with a fanout group (PACKET_FANOUT)" "$CK_ERR" ||
	fail "the refusal does not name fd 18 and its fanout: $(ck_err_line)"
assert_dump_left_nothing "$T/d2"
assert_still_fine "$pid2" "$w2" 1
kill -9 "$pid2"
reap "$pid2"
assert_no_strays
