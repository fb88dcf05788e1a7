#!/bin/bash
# 121-udp-queue.sh - datagrams waiting in UDP sockets (121-udp-queue): IPv4,
# IPv6, a dual-stack socket and a connected one, each with datagrams from
# three senders (one of them gone), an empty one and a big one among them.
# After the restore each socket gives, to recvfrom, the same datagrams in
# the same order from the same addresses and ports, and nothing more; the
# connected one still takes its peer's.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w img=$T/images
start_target "$w" 121-udp-queue
pid=$TARGET_PID
self_check "$pid" "$w"
dump_tree "$pid" "$img"
restore_tree "$img" "$pid"
self_check "$pid" "$w"
touch "$w/final"
self_check "$pid" "$w"
[[ $(check_value final) == 1 ]] || fail "the target did not read its queues"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
