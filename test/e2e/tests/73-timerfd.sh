#!/bin/bash
# 73-timerfd.sh - timerfds (73-timerfd): relative and absolute, periodic,
# on CLOCK_MONOTONIC, CLOCK_REALTIME and CLOCK_BOOTTIME, one expired and not
# read, one piling up ticks, one disarmed. Dump (kills), keep the images for
# a second and past the moment of G (time the relative timers must not
# count and the absolute ones must), restore; clocks, flags and intervals come back (fdinfo), and the
# target's self-check passes twice: on its own clock, the relative timer
# still had the time it had left and expires on time, then periodically;
# the absolute ones expire at their CLOCK_REALTIME moment, or at once with
# the ticks missed meanwhile; the pending tick and the piled-up ticks are
# all there. Expiries are checked never early, and at most a second late
# (the target may not run for a while on a loaded machine: E2E_LOAD).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/anon.sh
. "$(dirname "$0")/../anon.sh"
e2e_init

# True once $2 ms have passed since the time $1 (now_us).
ms_passed() { (($(now_us) - $1 >= $2 * 1000)); }

fired() {
	has_line "$w/out" '^FIRE A 2 ' && has_line "$w/out" '^FIRE B 1 ' &&
		has_line "$w/out" '^FIRE G 1 ' && has_line "$w/out" '^FIRE H 1 '
}

w=$T/w
img=$T/images
start_target "$w" 73-timerfd
t_ready=$(now_us) # after the target's start: G falls before t_ready + 2500 ms
pid=$TARGET_PID
self_check "$pid" "$w"
[[ $(check_value resumed) == 0 ]] || fail "the target saw a long pause before the dump"
view0=$(fdinfo_view "$pid" 10 11 12 13 14 15 16)
log "timerfds before the dump:"$'\n'"$view0"

dump_tree "$pid" "$img"
t_dump=$(now_us)
has_line "$w/out" '^FIRE' && fail "a timer expired before the dump (too slow a machine for this test): $(grep -m1 '^FIRE' "$w/out")"
# Time passes while the process does not exist: part of what is tested.
# G's moment (start + 2500 ms) falls meanwhile.
wait_for 5 "a second to pass since the dump" ms_passed "$t_dump" 1000
wait_for 5 "G's moment to pass" ms_passed "$t_ready" 2600
restore_tree "$img" "$pid"
assert_same "the target's timerfds" "$view0" "$(fdinfo_view "$pid" 10 11 12 13 14 15 16)"
assert_not_traced "$pid"
wait_for 15 "A to expire twice, B, G and H once" fired || fail "timers did not expire: $(grep '^FIRE' "$w/out" | tr '\n' ' ')"
log "$(grep '^FIRE' "$w/out" | tr '\n' ' ')"
self_check "$pid" "$w"
[[ $(check_value resumed) == 1 ]] || fail "the target did not see the pause of the dump"
(($(check_value gap_ms) >= 1000)) || fail "the target saw a pause of $(check_value gap_ms) ms, want the dump's (over 1000 ms)"
self_check "$pid" "$w"
kill_restored "$pid"
assert_no_strays
