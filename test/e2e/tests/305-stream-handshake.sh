#!/bin/bash
# 305-stream-handshake.sh - migration's handshake on one machine: `ckpt dump
# --images - --handshake` and `ckpt restore --images - --handshake
# --new-pidns` (the source's pids are still taken while it waits: the copy
# gets them in a pid namespace of its own) joined both ways by a relay.
# - The restore side fails before `ready` (without --new-pidns: the pids
#   are the source's, still taken): the dump resumes its tree, which goes on unchanged (its own
#   count and sequence), both exit 1 with one line, no copy is left.
# - The connection is cut once the restore side said `ready`, before `go`:
#   the same, the restored copy is killed.
# - Success: `ready`, `go`, `running PID`; the source is killed only then,
#   the copy runs with the same pid in its namespace, its count, sequence
#   and memory carried on.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/stream.sh
. "$E2E_DIR/stream.sh"
e2e_init
need_python

w=$T/w
start_target "$w" 01-basic
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
stream_stages_mark

stream_pair plain "dump --pid $pid" "restore --detach"
((DUMP_RC == 1 && REST_RC == 1)) || fail "a restore failing before ready: exits $DUMP_RC and $REST_RC, want 1 and 1"
one_line_failure "$T/dump.err" "the dump whose restore side failed"
one_line_failure "$T/rest.err" "the failed restore side"
grep -q "did not get ready" "$T/dump.err" || fail "the dump does not say the restore side failed: $(cat "$T/dump.err")"
[[ $SAID != *ready* ]] || fail "the restore side said ready: $SAID"
grep -q "in use" "$T/rest.err" || fail "the restore side did not fail on the pid in use: $(cat "$T/rest.err")"
assert_still_fine "$pid" "$w" 1
wait_for 10 "no copy of $pid" no_inner_pid "$pid" || fail "a copy of $pid is left: $(inner_pids "$pid")"

stream_pair cut-ready "dump --pid $pid" "restore --new-pidns --detach"
((DUMP_RC == 1 && REST_RC == 1)) || fail "a cut after ready: exits $DUMP_RC and $REST_RC, want 1 and 1"
[[ $SAID == "ready "* ]] || fail "the restore side did not say ready first: $SAID"
one_line_failure "$T/dump.err" "the dump cut after ready"
one_line_failure "$T/rest.err" "the restore cut after ready"
grep -q "instead of saying go" "$T/rest.err" || fail "the restore side does not say it got no go: $(cat "$T/rest.err")"
assert_still_fine "$pid" "$w" 2
wait_for 10 "no copy of $pid" no_inner_pid "$pid" || fail "a copy of $pid is left: $(inner_pids "$pid")"
assert_no_stage_left

n0=$(wc -l <"$w/seq")
handshake_move "$pid" "dump --pid $pid"
copy=$COPY
self_check "$copy" "$w"
[[ $(check_value pid) == "$pid" ]] || fail "the copy sees itself as pid $(check_value pid), want $pid"
send_usr1 "$copy" "$w" 4
wait_seq_beyond "$w/seq" $((n0 + 20))
assert_no_stage_left
kill_restored "$copy"
wait_for 10 "the copy's namespace to go" no_inner_pid "$pid" || fail "processes left in the copy's namespace"
