#!/bin/bash
# 242-netns-refused.sh - what a network namespace can hold that ckpt does
# not restore is refused at dump with one line naming it, and the
# container runs on untouched: a bridge and a tap device inside, a qdisc
# added to a link (traffic control), a veth
# whose peer is in a namespace that is not ckpt's (the line says which
# --external to add), an --external veth[...] that names no such veth,
# an nftables ruleset nft cannot read back (an iptables-nft rule with an
# xtables match), tables of legacy iptables.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/netns.sh
. "$(dirname "$0")/../netns.sh"
e2e_init

host_ns_new
NS2=$NS_NAME-2
ns2_del() {
	ip netns del "$NS2" 2>/dev/null
	return 0
}
ip netns add "$NS2" || fail "cannot make network namespace $NS2"
CLEANUP_HOOKS+=(ns2_del)
W=$T/ct
ct_start "$W" 7242
ct_wire "$CT_PID"
usr1=0

# refused REGEX DESCRIPTION [ARGS...]: the dump fails with one line
# matching REGEX, and the container is as it was
refused() {
	local re=$1 what=$2
	shift 2
	hck dump --pid "$CT_PID" --images "$T/img" "$@"
	ck_assert_failed "dump with $what"
	grep -qE -- "$re" "$CK_ERR" || fail "dump with $what: '$(ck_err_line)' does not match '$re'"
	[[ ! -e $T/img ]] || fail "dump with $what left $T/img"
	assert_still_fine "$CT_PID" "$W" "$usr1"
	usr1=$((usr1 + 1))
}

in_ct "$CT_PID" ip link add br9 type bridge || fail "cannot add a bridge"
refused "link 'br9' is a bridge \(not supported" "a bridge"
in_ct "$CT_PID" ip link del br9

in_ct "$CT_PID" tc qdisc add dev eth0 root pfifo || fail "cannot add a qdisc"
refused "link 'eth0' has a pfifo qdisc \(traffic control is not supported" "a qdisc"
in_ct "$CT_PID" tc qdisc del dev eth0 root

in_ct "$CT_PID" ip tuntap add tap9 mode tap || fail "cannot add a tap"
refused "link 'tap9' is a tun \(not supported" "a tap device"
in_ct "$CT_PID" ip link del tap9

ip -n "$NS2" link add vx0 type veth peer name eth1 netns "$CT_PID" || fail "cannot add a veth to $NS2"
refused "the peer of veth 'eth1' is in a namespace that is not ckpt's \(add --external veth\[eth1\]:OUTER\[@BRIDGE\]\)" \
	"a veth to another namespace"
refused "--external veth\[eth7\]: no veth of that name" "an --external veth that is not there" \
	--external 'veth[eth7]:vh7' --external 'veth[eth1]:vh1'
in_ct "$CT_PID" ip link del eth1

if command -v nft >/dev/null && command -v iptables-nft >/dev/null; then
	# an xtables match nft prints but does not read back
	in_ct "$CT_PID" iptables-nft -A INPUT -p tcp --dport 9 -m comment --comment c242 -j DROP ||
		fail "cannot add an iptables-nft rule"
	refused "its nftables ruleset does not read back" "an iptables-nft rule with an xtables match"
	in_ct "$CT_PID" nft flush ruleset
fi

if command -v iptables-legacy >/dev/null && in_ct "$CT_PID" iptables-legacy -A INPUT -p tcp --dport 9 -j DROP 2>/dev/null; then
	refused "legacy iptables tables \(ip_tables_names" "legacy iptables rules"
else
	log "no legacy iptables here: not tried"
fi

self_check "$CT_PID" "$W"
log "OK"
