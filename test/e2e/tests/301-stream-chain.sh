#!/bin/bash
# 301-stream-chain.sh - a pre-dump chain streamed into `ckpt receive`: two
# pre-dumps and a final dump of 65-dirty (which rewrites a known tenth of
# its pages, zeroes some, drops one, maps a new region between two), each
# `--images - --meta DIR` piped into `ckpt receive --images r/dN`, each
# dump taking the last --meta set as --parent. The --meta sets hold no page
# image and are refused by restore; the increments carry far fewer pages
# than the first; the received chain restores (each parent found in r/ by
# its id, not at the --meta path recorded) and the target checks every page.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/stream.sh
. "$E2E_DIR/stream.sh"
e2e_init

w=$T/w
start_target "$w" 65-dirty 32
pid=$TARGET_PID
self_check "$pid" "$w"
mkdir "$T/r"
pages_size() { stat -c %s "$1/pages-$pid.img"; }

stream_receive "pre-dump --pid $pid --meta $T/m1" "$T/r/d1"
base=$(pages_size "$T/r/d1")
[[ -e $T/m1/pages-$pid.img ]] && fail "the --meta set holds the page image"
[[ -e $T/m1/mm-$pid.img ]] || fail "the --meta set has no mm image"
send_usr1 "$pid" "$w" 1
stream_receive "pre-dump --pid $pid --meta $T/m2 --parent $T/m1" "$T/r/d2"
size=$(pages_size "$T/r/d2")
log "pre-dump 2: $size bytes of pages (the first: $base)"
((size * 4 < base)) || fail "pre-dump 2 sent $size bytes of pages, not much less than $base"
send_usr1 "$pid" "$w" 2
self_check "$pid" "$w"
[[ $(check_value epochs) == 2 ]] || fail "epochs=$(check_value epochs) before the dump"
stream_receive "dump --pid $pid --parent $T/m2" "$T/r/d3"
reap "$pid"
wait_gone "$pid"

# The --meta sets are parents, not image sets to restore.
expect_restore_fail "$T/m2" "$pid" "of a --meta set"
grep -q "no memory pages" "$CK_ERR" || fail "the refusal does not say why: $(ck_err_line)"

restore_detached "$T/r/d3" "$pid"
self_check "$pid" "$w"
[[ $(check_value epochs) == 2 ]] || fail "epochs=$(check_value epochs) after the restore"
send_usr1 "$pid" "$w" 3
self_check "$pid" "$w"
kill_restored "$pid"
assert_no_strays
