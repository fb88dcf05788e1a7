#!/bin/bash
# 316-lazy-stream.sh - restore --lazy with lane stream's images: (1) `dump
# --images - | restore --images - --lazy` (the page daemon reads the page
# images of the received stage, kept open after the stage is removed):
# 310-lazy's every page right, all in once the daemon is done, no stage
# left; (2) post-copy: `dump --images - --meta META` whose stream a `ckpt
# receive` keeps as the full set, then `restore --images META --lazy
# --page-server 'ckpt serve-pages --images FULL'`: the --meta set's page
# images are holes, every page comes from the server.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/stream.sh"
# shellcheck source=test/e2e/lazy.sh
. "$E2E_DIR/lazy.sh"
e2e_init

w=$T/w
start_target "$w" 310-lazy 64 2
pid=$TARGET_PID
pages=$((64 * 256))
stream_stages_mark
stream_pipe_bg "$pid" "dump --pid $pid" "restore --detach --lazy"
((DUMP_RC == 0)) || fail "dump failed (exit $DUMP_RC): $(head -c 300 "$T/dump.err")"
((REST_RC == 0)) || fail "restore --lazy failed (exit $REST_RC): $(head -c 300 "$T/rest.err")"
track_pid "$pid"
self_check "$pid" "$w" 120
wait_for 60 "the page daemon to finish" no_daemon_of "$pid" || fail "the page daemon does not finish"
self_check "$pid" "$w" 120
[[ $(check_value resident) == "$pages" ]] || fail "$(check_value resident) of $pages pages resident"
assert_no_stage_left
kill_restored "$pid"
wait_gone "$pid"

w=$T/w2
start_target "$w" 310-lazy 64 2
pid=$TARGET_PID
ck_cmd bash -c "exec '$CKPT' dump --pid $pid --images - --meta '$T/meta' >'$T/stream'"
((CK_RC == 0)) || fail "dump --meta failed: $(ck_err_line)"
reap "$pid"
wait_gone "$pid"
ck_cmd bash -c "exec '$CKPT' receive --images '$T/full' <'$T/stream'"
((CK_RC == 0)) || fail "receive failed: $(ck_err_line)"
expect_restore_fail "$T/meta" "$pid" "of a --meta set without a page server"
restore_detached "$T/meta" "$pid" --lazy --page-server "$CKPT serve-pages --images $T/full"
self_check "$pid" "$w" 120
wait_for 60 "the page server to end (every page over)" no_server "$T/full" ||
	fail "the page server does not end"
self_check "$pid" "$w" 120
[[ $(check_value resident) == "$pages" ]] || fail "$(check_value resident) of $pages pages resident"
kill_restored "$pid"
assert_no_strays
