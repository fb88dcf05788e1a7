#!/bin/bash
# 243-netns-hostile.sh - a network namespace image edited by a hostile
# writer is refused at restore with one line, no process left, the
# images untouched and nothing left in the host namespace: no link, the
# bridge as it was. Some edits are caught by the checks before anything
# is made (a link name with a slash, a sysctl outside the list, an
# attribute of a type not saved, bytes that are no JSON, a second
# loopback, an address on no link), others only when the host says no
# (the host end named like the host's bridge, a "bridge" that is lo):
# the namespace made so far goes, with the veth. So do failures made on
# purpose in each restore step of the namespace. The pristine images
# still restore, with the host end named by --external veth[eth0]:vh7@br0.
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/netns.sh
. "$(dirname "$0")/../netns.sh"
e2e_init

host_ns_new
W=$T/ct IMG=$T/img
ct_start "$W" 7243
ct_wire "$CT_PID"
ct_dump "$CT_PID" "$IMG"
NETIMG=$(cd "$IMG" && ls net-*.img) || fail "no net-*.img in the images"
build/tools/imgedit "$IMG" "$NETIMG" | grep -qx 'links\[1\].name=eth0' ||
	fail "links[1] is not eth0: $(build/tools/imgedit "$IMG" "$NETIMG" | head -n 20 | tr '\n' ' ')"
host_links=$(in_host ip -o link | awk '{print $2}')

host_as_before() { [[ $(in_host ip -o link | awk '{print $2}') == "$host_links" ]]; }

# failed_left_nothing WHAT DIR D0: the restore just run (WHAT) failed
# with its one line and left nothing: the container's PID free, the
# images in DIR as they were (digest D0), the host's links as before.
failed_left_nothing() {
	local what=$1 dir=$2 d0=$3
	[[ -e /proc/$CT_PID ]] && track_pid "$CT_PID"
	ck_assert_failed "$what"
	wait_for 10 "PID $CT_PID to be free" is_gone "$CT_PID" ||
		fail "$what: PID $CT_PID exists after the failed restore"
	[[ $(image_digest "$dir") == "$d0" ]] || fail "$what: the images changed"
	wait_for 20 "the host's links to be as before" host_as_before ||
		fail "$what left links in the host: $(in_host ip -o link | awk '{print $2}' | tr '\n' ' ')"
	assert_no_strays
}

# hostile WHAT EDIT...: the images with EDITs are refused, nothing left
hostile() {
	local what=$1 c=$T/case d0
	shift
	rm -rf "$c"
	cp -a "$IMG" "$c"
	build/tools/imgedit "$c" "$NETIMG" "$@" || fail "imgedit $*"
	d0=$(image_digest "$c")
	hck restore --images "$c" --detach
	failed_left_nothing "restore with $what" "$c" "$d0"
}

hostile "a link name with a slash" 'links[1].name=a/b'
hostile "a host end with a slash" 'links[1].outer_name=../x'
hostile "a sysctl outside the list" 'sysctls[0].name=../../kernel/core_pattern'
hostile "a sysctl value that is not numbers" 'sysctls[0].value=1; reboot'
hostile "a route attribute of an unknown type" 'routes[0].attrs[0].type=99'
hostile "a ruleset that is not JSON" 'nft_json=hex:7b00'
hostile "a second loopback" 'links[1].kind=1'
hostile "an address on no link" 'addrs[0].ifindex=99'
hostile "the host end named like the host's bridge" 'links[1].outer_name=br0'
hostile "a bridge that is no bridge" 'links[1].outer_master=lo'

# Each restore step of the namespace that can fail, failed on purpose
# (the FAULT=1 build): one line, nothing left, as above.
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
if [[ -x $FCKPT ]]; then
	for site in restore_ns_net restore_ns_net_ready; do
		d0=$(image_digest "$IMG")
		ck_cmd env CKPT_FAULT="$site" nsenter --net="$HNS" "$FCKPT" restore --images "$IMG" --detach
		failed_left_nothing "restore with CKPT_FAULT=$site" "$IMG" "$d0"
	done
else
	log "no fault build at $FCKPT: fault sites not walked"
fi

# the pristine images still restore, the host end named by --external
# (CRIU's spelling) this time; the server is fine and answers a client
hck_ok restore --images "$IMG" --detach --external 'veth[eth0]:vh7@br0'
[[ -e /proc/$CT_PID ]] || fail "the restored server $CT_PID does not exist"
track_pid "$CT_PID"
[[ $(in_host ip -o link show vh7) == *"master br0"*"state UP"* ]] ||
	fail "the host end is not vh7, in br0 and up: $(in_host ip -o link show vh7)"
host_gone vh0 || fail "vh0 is in the host too"
self_check "$CT_PID" "$W"
[[ $(check_value gw) == 10.240.0.1@eth0 ]] || fail "the restored server's gateway is $(check_value gw)"
client_start "$T/c" 10.240.0.2 7243
client_says "$CL_PID" "$T/c" 1
((ECHO_COUNT == 1)) || fail "the restored server counted $ECHO_COUNT lines, want 1"
kill_restored "$CT_PID"
log "OK"
