#!/bin/bash
# 03-nanosleep.sh - a target dumped while in one long nanosleep (10 s, for
# the dump to fall within it even on a loaded machine): after the restore
# the sleep must finish normally, not return early or with EINTR.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

# In nanosleep: the syscall in /proc/PID/syscall is nanosleep (35) or
# clock_nanosleep (230, what glibc's nanosleep() calls).
in_sleep() {
	local nr rest
	read -r nr rest <"/proc/$1/syscall" 2>/dev/null || return 1
	[[ $nr == 35 || $nr == 230 ]]
}

w=$T/w
start_target "$w" 03-nanosleep 10
pid=$TARGET_PID
wait_for 5 "$pid to sleep in nanosleep" in_sleep "$pid" || fail "target never got into nanosleep"
log "$pid sleeping: $(cat "/proc/$pid/syscall")"
dump_and_reap "$pid" "$T/images"
has_line "$w/out" '^DONE' && fail "the sleep ended before the dump: $(grep '^DONE' "$w/out")"
restore_detached "$T/images" "$pid"
wait_for 20 "DONE from $pid" has_line "$w/out" '^DONE' || fail "the restored sleep never ended"
line=$(grep -m1 '^DONE' "$w/out")
log "$pid: $line"
[[ $line == "DONE OK"* ]] || fail "nanosleep after the restore: ${line#DONE }"
wait_for 10 "$pid to exit" is_dead "$pid" || fail "$pid did not exit after DONE"
assert_no_strays
