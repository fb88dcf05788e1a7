#!/bin/bash
# 33-ruby-thread.sh - ruby (3.x, with its timer thread and a POSIX timer)
# running a thread that counts while the main thread counts too: dump,
# restore, SIGUSR1s (ruby arms its timer to handle a signal); both
# counters go on with no gap, the signals are counted, the POSIX timer is there again
# under its id, and ruby never reports an [ASYNC BUG] (before POSIX timers
# were restored it died on timer_settime EINVAL).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

RUBY=$(command -v ruby) || skip "no ruby (apt-get install ruby)"
w=$T/w
mkdir -p "$w"
spawn "$w" "$RUBY" "$E2E_DIR/rb/thread_counter.rb" "$w"
pid=$TARGET_PID
wait_ready "$pid" "$w"
wait_seq_beyond "$w/seq" 20
wait_seq_beyond "$w/main" 10
send_usr1 "$pid" "$w" 1
timers0=$(cat "/proc/$pid/timers")
log "ruby's POSIX timers:"$'\n'"$timers0"
[[ -n $timers0 ]] || log "note: this ruby uses no POSIX timer"

dump_and_reap "$pid" "$T/images"
seq_verify "$w/seq"
n0=$SEQ_N
seq_verify "$w/main"
m0=$SEQ_N
restore_detached "$T/images" "$pid"
kill -USR1 "$pid"
wait_for 20 "both counters to go on" seq_beyond "$w/main" $((m0 + 50)) ||
	fail "ruby's main thread stopped counting after the restore: $(head -c 300 "$w/err")"
wait_for 20 "the thread to count on" seq_beyond "$w/seq" $((n0 + 100)) ||
	fail "ruby's thread stopped counting after the restore: $(head -c 300 "$w/err")"
grep -q 'ASYNC BUG' "$w/err" && fail "ruby: $(grep -m1 'ASYNC BUG' "$w/err")"
is_dead "$pid" && fail "ruby died after the restore: $(head -c 300 "$w/err")"
seq_verify "$w/seq"
seq_verify "$w/main"
send_usr1 "$pid" "$w" 3
assert_same "ruby's POSIX timers" "$timers0" "$(cat "/proc/$pid/timers")"
assert_not_traced "$pid"
[[ ! -s $w/err ]] || fail "ruby wrote on stderr: $(head -c 300 "$w/err")"
kill_restored "$pid"
assert_no_strays
