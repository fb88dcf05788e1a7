#!/bin/bash
# 304-stream-reader-dies.sh - the reader of a stream goes away halfway
# (what a dead ssh or a full disk on the other side look like: the pipe
# closes). `ckpt dump --images -` of 01-basic (64 MiB of heap) into `head
# -c 1M`: the dump fails with one line, the target runs on untouched (not
# traced or stopped, its sequence goes on with no gap, its own check and
# count are right); the same for a pre-dump with --meta, which leaves no
# --meta set behind; no stage is left in /dev/shm. Then a whole dump and
# restore through a pipe still works.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/stream.sh
. "$E2E_DIR/stream.sh"
e2e_init

w=$T/w
start_target "$w" 01-basic 64
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
stream_stages_mark

# cut_reader ARGS...: ckpt ARGS --images - | head -c 1M; sets DUMP_RC.
cut_reader() {
	log "+ ckpt $* --images - | head -c 1M"
	timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" "$@" --images - </dev/null 2>"$T/dump.err" | head -c 1048576 >/dev/null
	DUMP_RC=${PIPESTATUS[0]}
	log "  exit $DUMP_RC"
	sed 's/^/  stderr: /' "$T/dump.err" >&2
}

cut_reader dump --pid "$pid"
((DUMP_RC == 1)) || fail "the dump whose reader died: exit $DUMP_RC, want 1"
one_line_failure "$T/dump.err" "the dump whose reader died"
assert_still_fine "$pid" "$w" 1
assert_no_stage_left

mkdir "$T/m"
cut_reader pre-dump --pid "$pid" --meta "$T/m/meta"
((DUMP_RC == 1)) || fail "the pre-dump whose reader died: exit $DUMP_RC, want 1"
one_line_failure "$T/dump.err" "the pre-dump whose reader died"
assert_dump_left_nothing "$T/m"
assert_still_fine "$pid" "$w" 2
assert_no_stage_left

stream_pipe_bg "$pid" "dump --pid $pid" "restore --detach"
((DUMP_RC == 0 && REST_RC == 0)) || fail "dump | restore: exits $DUMP_RC and $REST_RC: $(head -c 300 "$T/rest.err")"
track_pid "$pid"
self_check "$pid" "$w"
send_usr1 "$pid" "$w" 4
kill_restored "$pid"
assert_no_stage_left
assert_no_strays
