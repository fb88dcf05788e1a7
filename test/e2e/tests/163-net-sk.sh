#!/bin/bash
# 163-net-sk.sh - ICMP ("ping"), raw IP, packet and netlink sockets (the
# 163-net-sk target: see targets/163-net-sk.c), each used by the target
# before the dump and after the restore: a ping to 127.0.0.1 through the
# ICMP socket gets its reply with the same identifier, the raw socket's
# ICMP_FILTER and the packet socket's classic filter (bound to lo) let
# that reply alone through, an echo request built whole (IP_HDRINCL) is
# answered, the netlink route dump works with the same portid and groups,
# the uevent and generic sockets keep their portids (same values in the
# CHECK lines before and after; ckpt show tells them). A ckpt without
# CAP_NET_RAW fails to restore them, with one line. The same images with an option entry
# edited (a name or level not in the table, a value too long or empty)
# are refused at load. Then a packet socket in a fanout group, one that
# joined an interface's multicast, and a netlink socket with a dump not
# read to its end are refused at dump, the target running on untouched. (A user's set claiming a raw
# or packet socket: test 164.)
# net.ipv4.ping_group_range is set to let the target's group (a group of
# its own, not ckpt's) make ICMP sockets, and put back at exit.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

# The target runs as root with a group of its own, the only one the range
# lets make ICMP sockets (unless it let more already): neither ckpt's
# group at the dump nor at the restore may.
grp=$((40000 + RANDOM % 20000))
range_file=/proc/sys/net/ipv4/ping_group_range
range0=$(tr '\t' ' ' <"$range_file") || skip "no $range_file"
put_range_back() { printf '%s\n' "$range0" >"$range_file"; }
CLEANUP_HOOKS+=(put_range_back)
read -r lo hi <<<"$range0"
((lo <= grp && hi >= grp)) || printf '%s %s\n' "$grp" "$grp" >"$range_file" ||
	fail "cannot set $range_file"
log "ping_group_range: $(cat "$range_file"), the target's group $grp"
start_net() { # WORKDIR [MODE]: the target, as root with group $grp
	mkdir -p "$1"
	spawn "$1" setpriv --regid="$grp" --clear-groups -- "$E2E_TARGETS/163-net-sk" "$@"
	wait_ready "$TARGET_PID" "$1"
}

w=$T/w
start_net "$w"
pid=$TARGET_PID
self_check "$pid" "$w"
socks() { printf '%s\n' "${CHECK_LINE#* usr1=* }"; } # the sockets' part of the CHECK line
before=$(socks)
for k in ident portid14 portid15 portid16; do
	[[ $(check_value "$k") =~ ^[1-9][0-9]*$ ]] || fail "$k is '$(check_value "$k")' before the dump"
done

dump_and_reap "$pid" "$T/images"
ck_ok show --images "$T/images"
for want in " ICMP on 127.0.0.1 ident $(check_value ident)\$" \
	" netlink protocol 0 portid $(check_value portid14), " \
	" packet dgram protocol [0-9a-fx]*, bound to interface [1-9][0-9]* protocol 0x800\$"; do
	grep -q "$want" "$CK_OUT" ||
		fail "ckpt show does not say '$want': $(grep -E ' 1[0-7] socket' "$CK_OUT" | head -n 3)"
done
restore_detached "$T/images" "$pid"
self_check "$pid" "$w"
[[ $(socks) == "$before" ]] || fail "the sockets changed: '$(socks)', was '$before'"
# Seen from outside too: the kernel's table of netlink sockets.
awk -v p="$(check_value portid14)" '$3 == p { f = 1 } END { exit !f }' /proc/net/netlink ||
	fail "no netlink socket with portid $(check_value portid14) in /proc/net/netlink"
self_check "$pid" "$w"
kill_restored "$pid"
wait_gone "$pid"

# A ckpt without CAP_NET_RAW (ckpt check says so) cannot make the raw and
# packet sockets: the restore fails with one line, nothing left.
if command -v capsh >/dev/null; then
	d0=$(image_digest "$T/images")
	# shellcheck disable=SC2016 # expanded by the shell capsh runs
	ck_cmd capsh --drop=cap_net_raw -- -c 'exec "$0" restore --images "$1" --detach' \
		"$CKPT" "$T/images"
	[[ -e /proc/$pid ]] && track_pid "$pid"
	ck_assert_failed "restore by a ckpt without CAP_NET_RAW"
	# The process had CAP_NET_RAW: the check of its credentials says it
	# first; else making the socket would.
	grep -qE "capabilities 0x2000 that ckpt itself lacks|cannot make the (raw IP|packet) socket .*: Operation not permitted" "$CK_ERR" ||
		fail "the refusal does not say why: $(ck_err_line)"
	wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "PID $pid left after the failed restore"
	[[ $(image_digest "$T/images") == "$d0" ]] || fail "the failed restore changed the images"
fi

# Hostile option entries (the raw socket's IP_TTL, edited) are refused at load.
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
read -r i k < <("$IMGEDIT" "$T/images" files.img |
	sed -n 's/^files\[\([0-9]*\)\]\.net_sk\.opts\[\([0-9]*\)\]\.name=2$/\1 \2/p' | head -n 1)
[[ -n $i && -n $k ]] || fail "no IP_TTL saved in the images"
hostile() { # WHAT EDIT...
	local bad=$T/bad.$RANDOM what=$1
	shift
	cp -a "$T/images" "$bad" || fail "cannot copy the images"
	"$IMGEDIT" "$bad" files.img "$@" || fail "imgedit $*"
	log "==== an option with $what"
	expect_restore_fail "$bad" "$pid" "a socket option with $what"
	grep -q "images are inconsistent (socket 'socket:" "$CK_ERR" ||
		fail "the refusal does not say the images are inconsistent: $(ck_err_line)"
}
hostile "a name not in the table (SO_DEBUG)" "files[$i].net_sk.opts[$k].level=1" \
	"files[$i].net_sk.opts[$k].name=1"
hostile "a level of another family (SOL_PACKET)" "files[$i].net_sk.opts[$k].level=263" \
	"files[$i].net_sk.opts[$k].name=2"
hostile "a value of 40 bytes" "files[$i].net_sk.opts[$k].value=hex:$(printf '%080d' 1)"
hostile "an empty value" "files[$i].net_sk.opts[$k].value="

refused() { # MODE WHAT: the target with fd 18 so is refused at dump, untouched
	local w2=$T/w-$1 pid2
	log "==== a $2: refused, untouched"
	start_net "$w2" "$1"
	pid2=$TARGET_PID
	send_usr1 "$pid2" "$w2" 1
	mkdir "$T/d-$1"
	ck_fails "dump of a $2" dump --pid "$pid2" --images "$T/d-$1/images"
	grep -qF "fd 18 is a $2 (not supported)" "$CK_ERR" ||
		fail "the refusal does not name fd 18 and what it is: $(ck_err_line)"
	assert_dump_left_nothing "$T/d-$1"
	assert_still_fine "$pid2" "$w2" 1
	kill -9 "$pid2"
	reap "$pid2"
}
refused fanout "packet socket with a fanout group (PACKET_FANOUT)"
refused member "packet socket with interface memberships (PACKET_ADD_MEMBERSHIP)"
refused dumping "netlink socket with a dump in progress (NLM_F_DUMP), whose rest would never come"
assert_no_strays
