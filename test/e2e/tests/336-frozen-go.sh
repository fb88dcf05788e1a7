#!/bin/bash
# 336-frozen-go.sh - the frozen time of a migration does not include the
# source's death: `ckpt dump --images - --handshake` says `go` as soon as
# its tree is killed (it never runs again), and the restore side lets the
# copy run while the source's memory is still being freed; the dump waits
# for the death after the restore side's `running`, before it exits.
# Seen in the dump's -v log: "the restore side says: running PID" comes
# before "the tree is dead" (before this, the dump waited for the death,
# in time growing with the memory, and only then said `go`). The copy
# runs with its memory, count and sequence carried on; the source ended
# killed.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/stream.sh
. "$E2E_DIR/stream.sh"
e2e_init
need_python

w=$T/w
start_target "$w" 330-migrate mib=64 pct=1
pid=$TARGET_PID
self_check "$pid" "$w"
stream_stages_mark

n0=$(wc -l <"$w/seq")
handshake_move "$pid" "dump -v --pid $pid"
copy=$COPY

running_at=$(grep -n "the restore side says: running $pid\$" "$T/dump.err" | cut -d: -f1)
dead_at=$(grep -n "the tree is dead\$" "$T/dump.err" | cut -d: -f1)
[[ -n $running_at ]] || fail "the dump's log has no 'running' from the restore side"
[[ -n $dead_at ]] || fail "the dump's log does not say when its tree was dead"
((running_at < dead_at)) ||
	fail "the dump waited for its tree's death (line $dead_at) before the restore side ran the copy (line $running_at)"

self_check "$copy" "$w"
[[ $(check_value pid) == "$pid" ]] || fail "the copy sees itself as pid $(check_value pid), want $pid"
wait_seq_beyond "$w/seq" $((n0 + 5))
assert_no_stage_left
kill_restored "$copy"
wait_for 10 "the copy's namespace to go" no_inner_pid "$pid" || fail "processes left in the copy's namespace"
