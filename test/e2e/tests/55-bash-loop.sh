#!/bin/bash
# 55-bash-loop.sh - bash itself, running a loop that starts three children
# per iteration ($(expr) through a pipe, /bin/echo through bash's own
# non-append fd, /bin/sleep): dump (kills bash and whatever child it had at
# that moment), restore; bash comes back with its PID and ids, its children
# of the moment with it, and the sequence goes on with no gap or repeat; the
# self-check finds the shared fd offset exactly at the end of the sequence.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

[[ -x /bin/bash && -x /usr/bin/expr && -x /bin/echo && -x /bin/sleep ]] || skip "no bash, expr, echo or sleep"
w=$T/w
img=$T/images
mkdir -p "$w"
spawn "$w" /bin/bash "$E2E_DIR/targets/bash-loop.sh" "$w"
pid=$TARGET_PID
wait_ready "$pid" "$w"
wait_seq_beyond "$w/seq" 20
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
root0=$(tree_snapshot "$pid" | grep "^$pid ")

dump_tree "$pid" "$img"
seq_verify "$w/seq"
m0=$SEQ_N
log "sequence at the dump: 1..$m0"

restore_tree "$img" "$pid"
ids1=$(tree_snapshot "$pid")
log "restored tree:"$'\n'"$ids1"
assert_same "bash's ids (pid ppid pgid sid state)" "$root0" "$(grep "^$pid " <<<"$ids1")"
# Whatever child bash had at the dump is its child again, in its group.
while read -r p ppid pgid sid st; do
	[[ $p == "$pid" || $ppid == gone ]] && continue # gone: ended since
	[[ "$ppid $pgid $sid" == "$pid rootpg rootsid" ]] ||
		fail "restored child $p: ppid $ppid pgid $pgid sid $sid state $st, want $pid rootpg rootsid"
done <<<"$ids1"
assert_in_caller_session "$pid"
assert_not_traced "$pid"
send_usr1 "$pid" "$w" 2
self_check "$pid" "$w"
wait_seq_beyond "$w/seq" $((m0 + 50))
self_check "$pid" "$w"
[[ $(check_value usr1) == 2 ]] || fail "usr1 count $(check_value usr1), want 2"
kill_tree "$pid"
if own_session; then
	wait_for 10 "the last children of the loop to end" session_empty ||
		fail "left after bash was killed: $(describe_pid "${SESSION_PIDS[0]}")"
fi
seq_verify "$w/seq"
log "sequence after the restore: 1..$SEQ_N"
assert_no_strays
