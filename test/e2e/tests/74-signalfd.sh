#!/bin/bash
# 74-signalfd.sh - signalfds (74-signalfd) on blocked signals: one for
# SIGURG and SIGRTMIN+3 (O_NONBLOCK, close-on-exec), one for SIGPWR with a
# dup. A SIGRTMIN+3 and a SIGPWR sent before the dump stay pending across
# it; dump (kills), restore; the masks and flags come back (fdinfo), and
# with a SIGRTMIN+3 and a SIGURG sent after the restore, the self-check
# reads from each signalfd exactly the signals of its mask: SIGURG, then
# SIGRTMIN+3 twice (real-time signals queue), and SIGPWR.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/anon.sh
. "$(dirname "$0")/../anon.sh"
e2e_init

# Bit of signal $2 in the pending set (ShdPnd) of $1.
pending() {
	local mask
	mask=$(sed -n 's/^ShdPnd:\t//p' "/proc/$1/status")
	(((16#$mask >> ($2 - 1)) & 1))
}

w=$T/w
img=$T/images
start_target "$w" 74-signalfd
pid=$TARGET_PID
self_check "$pid" "$w"
[[ $(check_value s) == - && $(check_value t) == - ]] || fail "signals read before any was sent"
rt3=$(($(kill -l RTMIN) + 3))
kill -s RTMIN+3 "$pid"
kill -s PWR "$pid"
if ! pending "$pid" "$rt3" || ! pending "$pid" "$(kill -l PWR)"; then
	fail "the signals sent are not pending"
fi
view0=$(fdinfo_view "$pid" 10 11 12)
log "signalfds before the dump:"$'\n'"$view0"

dump_tree "$pid" "$img"
restore_tree "$img" "$pid"
assert_same "the target's signalfds" "$view0" "$(fdinfo_view "$pid" 10 11 12)"
assert_not_traced "$pid"
if ! pending "$pid" "$rt3" || ! pending "$pid" "$(kill -l PWR)"; then
	fail "the pending signals were lost"
fi
kill -s RTMIN+3 "$pid"
kill -s URG "$pid"
self_check "$pid" "$w"
want_s="$(kill -l URG),$rt3,$rt3"
[[ $(check_value s) == "$want_s" ]] || fail "the first signalfd gave $(check_value s), want $want_s"
[[ $(check_value t) == "$(kill -l PWR)" ]] || fail "the second signalfd gave $(check_value t), want $(kill -l PWR)"
self_check "$pid" "$w"
[[ $(check_value s) == - && $(check_value t) == - ]] || fail "signals read twice"
kill_restored "$pid"
assert_no_strays
