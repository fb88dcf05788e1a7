#!/bin/bash
# 311-lazy-daemon-killed.sh - the page daemon of a lazy restore dies before
# every page is in. Its guard (ckpt-lazy-guard, a child of the daemon)
# still holds the userfaultfds, so a thread that touches a missing page
# waits rather than reads zeros; then the guard kills the processes. Here
# the daemon is stopped, the process (310-lazy, fault build without the
# background copy) is asked to check its memory and waits on a missing
# page; the daemon is killed: the process dies without
# having answered (it never saw a wrong page), the child with it, and
# neither the daemon nor its guard is left.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/lazy.sh
. "$E2E_DIR/lazy.sh"
e2e_init

lazy_fault_build

# A thread of PID waits on a missing page (in the kernel's userfaultfd code).
waits_on_page() { cat /proc/"$1"/task/*/wchan 2>/dev/null | grep -q userfault; }

w=$T/w
start_target "$w" 310-lazy 64 4
pid=$TARGET_PID
dump_and_reap "$pid" "$T/img"

ck_cmd env CKPT_FAULT=lazy_background "$FCKPT" restore --images "$T/img" --detach --lazy
((CK_RC == 0)) || fail "restore --lazy failed (exit $CK_RC): $(ck_err_line)"
track_pid "$pid"
daemon=$(lazy_daemon "$T/img") || fail "no page daemon serves $T/img"
track_pid "$daemon"
guard=$(cat /proc/"$daemon"/task/*/children)
guard=${guard%% *}
[[ -n $guard && $(cat "/proc/$guard/comm") == ckpt-lazy-guard ]] ||
	fail "the page daemon has no guard: children [$guard]"
track_pid "$guard"

kill -STOP "$daemon"
n=$(count_lines "$w/out" '^CHECK ')
kill -USR2 "$pid"
wait_for 20 "the process to wait on a missing page" waits_on_page "$pid" ||
	fail "the target does not wait on a page: $(cat /proc/"$pid"/task/*/wchan)"
kill -KILL "$daemon"
wait_for 20 "the process to be killed" is_dead "$pid" ||
	fail "the process runs on without its page daemon: $(describe_pid "$pid")"
wait_for 10 "the guard to leave" is_gone "$guard" || fail "the guard stays: $(describe_pid "$guard")"
more_lines_than "$w/out" '^CHECK ' "$n" && fail "the process answered: $(grep '^CHECK ' "$w/out" | tail -n 1)"
wait_gone "$pid"
assert_no_strays
