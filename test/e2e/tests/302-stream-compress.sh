#!/bin/bash
# 302-stream-compress.sh - --compress applies to what travels: the stream of
# a dump of 65-dirty (16 MiB of pages, compressible) with --compress (lz4)
# is much smaller than the plain one, with --compress=zstd smaller still;
# a zstd stream piped into `ckpt restore --images -` restores the target,
# which checks every page (and counts on).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/stream.sh
. "$E2E_DIR/stream.sh"
e2e_init

w=$T/w
start_target "$w" 65-dirty 16
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
stream_stages_mark

stream_bytes() { # ARGS...: the size of the stream of dump --leave-running ARGS
	local n
	n=$(timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" dump --pid "$pid" --leave-running --images - "$@" </dev/null 2>"$T/dump.err" | wc -c)
	[[ -s $T/dump.err ]] && fail "dump $*: $(head -c 300 "$T/dump.err")"
	printf '%s\n' "$n"
}
plain=$(stream_bytes)
lz4=$(stream_bytes --compress)
zstd=$(stream_bytes --compress=zstd)
log "stream bytes: plain $plain, lz4 $lz4, zstd $zstd"
((plain > 15 * 1024 * 1024)) || fail "the plain stream is $plain bytes, less than the pages (16 MiB, a few zeroed)"
((lz4 * 3 < plain * 2)) || fail "the lz4 stream ($lz4 bytes) is not much smaller than the plain one ($plain)"
((zstd < lz4)) || fail "the zstd stream ($zstd bytes) is not smaller than the lz4 one ($lz4)"
self_check "$pid" "$w"

stream_pipe_bg "$pid" "dump --pid $pid --compress=zstd" "restore --detach"
((DUMP_RC == 0 && REST_RC == 0)) || fail "zstd stream: dump exit $DUMP_RC, restore exit $REST_RC: $(head -c 300 "$T/rest.err")"
track_pid "$pid"
assert_no_stage_left
self_check "$pid" "$w"
send_usr1 "$pid" "$w" 2
self_check "$pid" "$w"
kill_restored "$pid"
assert_no_strays
