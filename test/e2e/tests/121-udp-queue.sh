#!/bin/bash
# 121-udp-queue.sh - datagrams waiting in UDP sockets (121-udp-queue): IPv4,
# IPv6, a dual-stack socket and a connected one, each with datagrams from
# three senders (one of them gone), an empty one and a big one among them.
# After the restore each socket gives, to recvfrom, the same datagrams in
# the same order from the same addresses and ports, and nothing more; the
# connected one still takes its peer's. Images with a datagram from port 0,
# or with a sender's address of the wrong size, are refused at restore.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

w=$T/w img=$T/images
start_target "$w" 121-udp-queue
pid=$TARGET_PID
self_check "$pid" "$w"
dump_tree "$pid" "$img"

# hostile_copy NAME EDIT...: a copy of the images with EDIT applied; its
# restore must fail cleanly.
hostile_copy() {
	local name=$1 bad=$T/bad-$1
	shift
	cp -a "$img" "$bad"
	"$IMGEDIT" "$bad" files.img "$@" || fail "imgedit $* failed"
	expect_restore_fail "$bad" "$pid" "of a UDP queue with $name"
}
i=$("$IMGEDIT" "$img" files.img | sed -n 's/^files\[\([0-9]*\)\]\.inet_sk\.queue\[0\]\.src_port=.*/\1/p' | head -n 1)
[[ -n $i ]] || fail "no UDP queue in the images"
hostile_copy port0 "files[$i].inet_sk.queue[0].src_port=0"
hostile_copy addr3 "files[$i].inet_sk.queue[0].src_addr=hex:7f0000"
restore_tree "$img" "$pid"
self_check "$pid" "$w"
touch "$w/final"
self_check "$pid" "$w"
[[ $(check_value final) == 1 ]] || fail "the target did not read its queues"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
