#!/bin/bash
# 06-real-sleep.sh - coreutils `sleep 1000`: dump, restore; same PID, same
# cmdline, back asleep (state S), still alive a little later.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

# /proc/PID/cmdline with NULs shown as |
cmdline() { tr '\0' '|' <"/proc/$1/cmdline" 2>/dev/null; }

asleep() { # PID: sleep has exec'd and sleeps
	[[ $(cmdline "$1") == 'sleep|1000|' && $(proc_state "$1") == S ]]
}

command -v sleep >/dev/null || skip "no sleep command"
w=$T/w
mkdir -p "$w"
spawn "$w" sleep 1000
pid=$TARGET_PID
wait_for 10 "sleep 1000 to be asleep" asleep "$pid" || fail "sleep 1000 never got asleep: $(describe_pid "$pid")"
id0=$(proc_identity "$pid")
dump_and_reap "$pid" "$T/images"
restore_detached "$T/images" "$pid"
[[ $(cmdline "$pid") == 'sleep|1000|' ]] ||
	fail "restored cmdline is '$(cmdline "$pid")' (| for NUL), want 'sleep|1000|'"
[[ $(proc_identity "$pid") == "$id0" ]] || fail "restored process differs: $(proc_identity "$pid"), was $id0"
wait_for 5 "restored sleep to be asleep" asleep "$pid" || fail "restored sleep not asleep: $(describe_pid "$pid")"
# Watch it for half a second: it must stay alive and asleep.
for _ in $(seq 25); do
	is_dead "$pid" && fail "restored sleep died: $(describe_pid "$pid")"
	sleep 0.02
done
asleep "$pid" || fail "restored sleep not asleep any more: $(describe_pid "$pid")"
kill_restored "$pid"
assert_no_strays
