#!/bin/bash
# 164-net-sk-trust.sh - ckpt, root, could make a raw or packet socket for
# anyone: a user's image set gets one only for a process that had
# CAP_NET_RAW. The user's own process (88-sockopts, no capability) is
# dumped, its set handed to the user, who edits its UDP socket into a
# packet socket (bound to lo, ETH_P_IP), then into a raw ICMP socket:
# each restore is refused with one line saying so, no process left.
# Entries that make no sense (an unknown family, a netlink socket without
# portid or with a port, a packet socket without interface, an address of
# 5 bytes) are refused at load as inconsistent. The same set unedited
# restores (the edit is what is refused).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/attack.sh
. "$E2E_DIR/attack.sh"
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"
e2e_init
attack_init

w=$ATK_HOME/own img=$ATK_HOME/own.img
atk_spawn "$w" 88-sockopts
pid=$TARGET_PID
self_check "$pid" "$w"
atk_dump "$pid" "$img"
chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
i=$("$IMGEDIT" "$img" files.img | sed -n 's/^files\[\([0-9]*\)\]\.inet_sk\.protocol=17$/\1/p' | head -n 1)
[[ -n $i ]] || fail "no UDP socket in the user's images"

claims() { # WHAT EDIT...: the user's set with the UDP socket edited is refused
	local what=$1 bad=$ATK_HOME/bad.$RANDOM
	shift
	cp -a "$img" "$bad" || fail "cannot copy $img"
	atk_imgedit "$bad" files.img "files[$i].kind=29" "files[$i].net_sk.family=$1" \
		"files[$i].net_sk.type=$2" "files[$i].net_sk.protocol=$3" "${@:4}"
	log "==== a user's set claiming a $what"
	expect_restore_fail "$bad" "$pid" "a user's set with a $what"
	grep -q "is a $what, which takes CAP_NET_RAW, and the process that has it did not have it" "$CK_ERR" ||
		fail "the refusal does not say why: $(ck_err_line)"
}
claims "packet socket" 17 2 8 "files[$i].net_sk.ifindex=1" "files[$i].net_sk.pkt_protocol=8"
claims "raw IP socket" 2 3 1 "files[$i].net_sk.src_addr=hex:00000000"

hostile() { # WHAT EDIT...: a nonsensical entry is refused at load, as inconsistent
	local what=$1 bad=$ATK_HOME/bad.$RANDOM
	shift
	cp -a "$img" "$bad" || fail "cannot copy $img"
	atk_imgedit "$bad" files.img "files[$i].kind=29" "$@"
	log "==== an entry with $what"
	expect_restore_fail "$bad" "$pid" "a socket entry with $what"
	grep -q "images are inconsistent (socket 'socket:" "$CK_ERR" ||
		fail "the refusal does not say the images are inconsistent: $(ck_err_line)"
}
nl=("files[$i].net_sk.family=16" "files[$i].net_sk.type=3" "files[$i].net_sk.protocol=0")
hostile "an unknown family" "files[$i].net_sk.family=99" "files[$i].net_sk.type=3" \
	"files[$i].net_sk.protocol=0"
hostile "no portid" "${nl[@]}"
hostile "a packet socket with no interface" "files[$i].net_sk.family=17" \
	"files[$i].net_sk.type=2" "files[$i].net_sk.protocol=8"
hostile "an address of 5 bytes" "files[$i].net_sk.family=2" "files[$i].net_sk.type=2" \
	"files[$i].net_sk.protocol=1" "files[$i].net_sk.src_addr=hex:0000000000"
hostile "a port on a netlink socket" "${nl[@]}" "files[$i].net_sk.portid=7" \
	"files[$i].net_sk.src_port=9"
log "==== the user's set as it was"
restore_detached "$img" "$pid"
self_check "$pid" "$w"
kill_restored "$pid"
assert_no_strays
