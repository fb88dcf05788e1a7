#!/bin/bash
# 303-stream-hostile.sh - a stream is hostile input. From the stream of a
# dump --leave-running of 01-basic: a byte flipped in the middle, the
# stream cut short (by 1000 bytes, and by half), a file record renamed to
# '../pages-1.img' and to the name of another kind, all with every checksum
# made right again (stream-craft.py): `ckpt restore --images -` and `ckpt
# receive` each refuse with one line, exit 1, create no process, leave no
# stage in /dev/shm and nothing in the receiver's directory (no set, no
# temporary directory, no file outside it). A `ckpt restore --images -`
# killed outright while it reads leaves no stage either (its remover). The
# intact stream is received and restores; the source never noticed.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/stream.sh
. "$E2E_DIR/stream.sh"
e2e_init
need_python

w=$T/w
start_target "$w" 01-basic 16
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
stream_stages_mark
s=$T/stream
timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" dump --pid "$pid" --leave-running --images - </dev/null >"$s" 2>"$T/dump.err" ||
	fail "dump --leave-running --images - failed: $(head -c 300 "$T/dump.err")"
size=$(stat -c %s "$s")
log "stream of $size bytes"

# refused FILE WHAT: restore and receive both refuse the stream in FILE.
refused() {
	local f=$1 what=$2 rc
	mkdir "$T/rx"
	timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" restore --images - --detach <"$f" >"$T/r.out" 2>"$T/r.err"
	rc=$?
	log "  restore of $what: exit $rc: $(head -c 300 "$T/r.err")"
	((rc == 1)) || fail "restore of $what: exit $rc, want 1"
	one_line_failure "$T/r.err" "restore of $what"
	timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" receive --images "$T/rx/set" <"$f" >"$T/r.out" 2>"$T/r.err"
	rc=$?
	log "  receive of $what: exit $rc: $(head -c 300 "$T/r.err")"
	((rc == 1)) || fail "receive of $what: exit $rc, want 1"
	one_line_failure "$T/r.err" "receive of $what"
	assert_dump_left_nothing "$T/rx"
	rmdir "$T/rx"
	[[ -e $T/pages-1.img ]] && fail "receive of $what wrote outside its directory"
	assert_no_stage_left
}

cp "$s" "$T/flip"
flip_byte "$T/flip" $((size / 2))
refused "$T/flip" "a stream with a byte flipped"
grep -q checksum "$T/r.err" || fail "the flipped byte is not reported as a checksum error: $(cat "$T/r.err")"
head -c $((size - 1000)) "$s" >"$T/short"
refused "$T/short" "a stream cut short"
grep -q "ends early" "$T/r.err" || fail "the cut is not reported: $(cat "$T/r.err")"
head -c $((size / 2)) "$s" >"$T/half"
refused "$T/half" "half a stream"
"$PYTHON" "$E2E_DIR/stream-craft.py" "$s" "$T/evil1" rename "pages-$pid.img" "../pages-1.img" ||
	fail "stream-craft.py failed"
refused "$T/evil1" "a file named ../pages-1.img"
"$PYTHON" "$E2E_DIR/stream-craft.py" "$s" "$T/evil2" rename "pages-$pid.img" "core-$pid.img" ||
	fail "stream-craft.py failed"
refused "$T/evil2" "page images named as a core image"
"$PYTHON" "$E2E_DIR/stream-craft.py" "$s" "$T/evil3" rename "pages-$pid.img" "pages-0$pid.img" ||
	fail "stream-craft.py failed"
refused "$T/evil3" "a file name no dump makes"

# A restore killed while it reads: its stage goes all the same.
mkfifo "$T/fifo"
"$CKPT" restore --images - --detach <"$T/fifo" 2>"$T/k.err" &
rpid=$!
track_pid "$rpid"
exec 7>"$T/fifo"
head -c $((size / 2)) "$s" >&7
has_new_stage() { ! stream_no_new_stage; }
wait_for 10 "the restore's stage" has_new_stage || fail "no stage in /dev/shm while the restore reads"
kill -9 "$rpid"
wait "$rpid" 2>/dev/null
exec 7>&-
assert_no_stage_left

self_check "$pid" "$w"
timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" receive --images "$T/good" <"$s" 2>"$T/r.err" ||
	fail "the intact stream was not received: $(head -c 300 "$T/r.err")"
kill -9 "$pid"
reap "$pid"
wait_gone "$pid"
restore_detached "$T/good" "$pid"
self_check "$pid" "$w"
kill_restored "$pid"
assert_no_strays
