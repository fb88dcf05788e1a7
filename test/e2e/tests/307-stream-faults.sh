#!/bin/bash
# 307-stream-faults.sh - every fault site of a stream (src/fault.h, sites
# marked "s"; the FAULT=1 build), on the side that reaches it, with
# 01-basic as the source:
#  - the dump side (its stage, a write of the stream at the header, early
#    and late): the dump fails with one line, the source runs on untouched;
#  - the restore side (its stage, a write of a received file, early and
#    late) and `ckpt receive` (the same write): it fails with one line and
#    leaves no process, no stage, no set; the dump then fails too (its
#    reader went away) and the source runs on;
#  - the handshake: the restore side cannot say `ready` (both fail, the
#    source runs on); the dump cannot say `go` with --leave-running (the
#    source runs on, the copy is killed); and without it, the window of
#    README: the source was killed at `ready`, the dump says in one line
#    that the job is lost, the copy is killed.
# Nothing is left in /dev/shm.
# e2e-timeout: 240
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/stream.sh
. "$E2E_DIR/stream.sh"
e2e_init
need_python

FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"

w=$T/w
start_target "$w" 01-basic 8
pid=$TARGET_PID
usr1=0
stream_stages_mark

# trial 'DUMP SIDE' 'RESTORE SIDE': each a command line (env and binary
# included), joined by a pipe; both must fail with one line; the source
# runs on as it was; nothing left.
trial() {
	local -a d r
	read -ra d <<<"$1"
	read -ra r <<<"$2"
	log "+ ${d[*]} | ${r[*]}"
	timeout -k 5 "$CKPT_TIMEOUT" "${d[@]}" 2>"$T/dump.err" </dev/null |
		timeout -k 5 "$CKPT_TIMEOUT" "${r[@]}" >/dev/null 2>"$T/rest.err"
	DUMP_RC=${PIPESTATUS[0]} REST_RC=${PIPESTATUS[1]}
	track_pid "$pid" # a copy made by mistake is killed at the end too
	log "  exits $DUMP_RC and $REST_RC"
	sed 's/^/  dump stderr: /' "$T/dump.err" >&2
	sed 's/^/  restore stderr: /' "$T/rest.err" >&2
	((DUMP_RC == 1 && REST_RC == 1)) || fail "$1 | $2: exits $DUMP_RC and $REST_RC, want 1 and 1"
	one_line_failure "$T/dump.err" "the dump side of '$1 | $2'"
	one_line_failure "$T/rest.err" "the restore side of '$1 | $2'"
	usr1=$((usr1 + 1))
	assert_still_fine "$pid" "$w" $((usr1 - 1))
	assert_no_stage_left
}

D="$CKPT dump --pid $pid --images -"
R="$CKPT restore --images - --detach"
for site in stream_stage stream_send@1 stream_send@3 stream_send@40; do
	trial "env CKPT_FAULT=$site $FCKPT dump --pid $pid --images -" "$R"
done
for site in stream_stage stream_recv_write@1 stream_recv_write@6; do
	trial "$D" "env CKPT_FAULT=$site $FCKPT restore --images - --detach"
done
mkdir "$T/rx"
trial "$D" "env CKPT_FAULT=stream_recv_write@4 $FCKPT receive --images $T/rx/set"
assert_dump_left_nothing "$T/rx"

stream_pair_with() { # MODE 'DUMP ARGS' 'RESTORE ARGS' with DUMP_BIN and REST_BIN
	local -a d r
	read -ra d <<<"$2"
	read -ra r <<<"$3"
	timeout -k 5 $((CKPT_TIMEOUT * 2)) "$PYTHON" "$E2E_DIR/stream-pair.py" "$1" "$T/pair.rc" \
		"$T/dump.err" "$T/rest.err" -- "${d[@]}" -- "${r[@]}" </dev/null >&2 ||
		fail "stream-pair.py failed"
	read -r DUMP_RC REST_RC <"$T/pair.rc"
	log "  exits $DUMP_RC and $REST_RC"
	sed 's/^/  dump stderr: /' "$T/dump.err" >&2
	sed 's/^/  restore stderr: /' "$T/rest.err" >&2
}
HR="restore --images - --handshake --new-pidns --detach"
stream_pair_with plain "$D --handshake" "env CKPT_FAULT=stream_ready $FCKPT $HR"
((DUMP_RC == 1 && REST_RC == 1)) || fail "no ready: exits $DUMP_RC and $REST_RC, want 1 and 1"
one_line_failure "$T/dump.err" "the dump with no ready"
one_line_failure "$T/rest.err" "the restore that could not say ready"
usr1=$((usr1 + 1))
assert_still_fine "$pid" "$w" $((usr1 - 1))
wait_for 10 "no copy of $pid" no_inner_pid "$pid" || fail "a copy is left: $(inner_pids "$pid")"

stream_pair_with plain "env CKPT_FAULT=stream_go $FCKPT dump --pid $pid --images - --handshake --leave-running" "$CKPT $HR"
((DUMP_RC == 1 && REST_RC == 1)) || fail "no go, --leave-running: exits $DUMP_RC and $REST_RC, want 1 and 1"
one_line_failure "$T/dump.err" "the dump that could not say go"
grep -q "runs on here" "$T/dump.err" || fail "the dump does not say the tree runs on: $(cat "$T/dump.err")"
usr1=$((usr1 + 1))
assert_still_fine "$pid" "$w" $((usr1 - 1))
wait_for 10 "no copy of $pid" no_inner_pid "$pid" || fail "a copy is left: $(inner_pids "$pid")"
assert_no_stage_left

# The window: the source is killed at ready, go is lost.
stream_pair_with plain "env CKPT_FAULT=stream_go $FCKPT dump --pid $pid --images - --handshake" "$CKPT $HR"
((DUMP_RC == 1 && REST_RC == 1)) || fail "no go: exits $DUMP_RC and $REST_RC, want 1 and 1"
one_line_failure "$T/dump.err" "the dump that could not say go after the kill"
grep -q "job is lost" "$T/dump.err" || fail "the dump does not say the job is lost: $(cat "$T/dump.err")"
reap "$pid"
((REAP_STATUS == 137)) || fail "the source ended with status $REAP_STATUS, want 137"
wait_for 10 "no copy of $pid" no_inner_pid "$pid" || fail "a copy is left: $(inner_pids "$pid")"
assert_no_stage_left
assert_no_strays
