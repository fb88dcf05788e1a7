#!/bin/bash
# 143-lease.sh - file leases (143-lease: a read lease at fd 10, a write
# lease at fd 11 whose breaks come as SIGRTMIN+1): dumped and restored,
# the target still holds both (F_GETLEASE), owns them (F_GETOWN) and keeps
# its F_SETSIG; an open from outside then breaks each lease, the target is
# told by its signal (with fd 11 in it for the write lease), gives the
# lease up and the opener goes on.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 143-lease
pid=$TARGET_PID
self_check "$pid" "$w"
[[ $(check_value leases) == r,w ]] || fail "before the dump: $CHECK_LINE"
dump_and_reap "$pid" "$T/img"
restore_detached "$T/img" "$pid"
self_check "$pid" "$w"
[[ $(check_value leases) == r,w ]] || fail "after the restore: $CHECK_LINE"
grep -q '^BROKEN' "$w/out" && fail "a lease was broken before anyone opened the files"

# A read breaks the write lease: the open waits until the target gives it up.
rtmin1=$(kill -l SIGRTMIN+1)
timeout 20 cat "$w/wlease" >/dev/null || fail "the open of wlease did not go through"
has_line "$w/out" "^BROKEN fd=11 sig=$rtmin1\$" || fail "the target was not told of the break: $(grep BROKEN "$w/out")"
self_check "$pid" "$w"
[[ $(check_value leases) == r,- ]] || fail "after the write lease broke: $CHECK_LINE"
# A write breaks the read lease (SIGIO).
# shellcheck disable=SC2016 # $1 is the inner shell's
timeout 20 bash -c 'echo x >>"$1"' _ "$w/rlease" || fail "the open of rlease did not go through"
has_line "$w/out" "^BROKEN fd=10 sig=$(kill -l SIGIO)\$" || fail "the target was not told of the break: $(grep BROKEN "$w/out")"
self_check "$pid" "$w"
[[ $(check_value leases) == -,- ]] || fail "after both broke: $CHECK_LINE"
kill_restored "$pid"
