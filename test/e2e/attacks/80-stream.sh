# shellcheck shell=bash
# 80-stream.sh - images as a stream (sourced by tests/45-attacks.sh).
#
#   stream-stage    root's `ckpt restore --images -` reads a stream (half
#                   of it, then it waits) into its stage in /dev/shm, a
#                   directory anyone may create entries in: the user tries
#                   to list the stage, read an image in it, plant a file in
#                   it and remove it. Stopped when none of it works, and
#                   the stage goes with the restore.
#   stream-listen   root's `ckpt receive --listen` on a socket in a
#                   directory of the user's: the user connects and sends a
#                   valid stream (root's own, copied to the user). Stopped
#                   when the receive stores nothing (the socket is root's
#                   only; SO_PEERCRED turns other uids away: test 306).

# A stream of a root-owned target, and where it is. Sets ATK_STREAM.
atk_stream_make() {
	local w=$1
	start_target "$w" 01-basic 4
	ATK_STREAM=$ATK_HOME/stream-$$
	timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" dump --pid "$TARGET_PID" --leave-running --images - \
		</dev/null >"$ATK_STREAM" 2>"$T/atk-dump.err" || fail "dump --images -: $(cat "$T/atk-dump.err")"
	chmod 0644 "$ATK_STREAM"
}

atk_stream_stage() {
	local w=$T/atk-stage before stage worked=0 rpid size
	atk_stream_make "$w"
	size=$(stat -c %s "$ATK_STREAM")
	before=$(find /dev/shm -maxdepth 1 -name '.ckpt-stream-*' | LC_ALL=C sort)
	mkfifo "$T/atk-fifo"
	"$CKPT" restore --images - --detach <"$T/atk-fifo" 2>/dev/null &
	rpid=$!
	track_pid "$rpid"
	exec 7>"$T/atk-fifo"
	head -c $((size / 2)) "$ATK_STREAM" >&7
	new_stage() {
		stage=$(comm -13 <(printf '%s\n' "$before") \
			<(find /dev/shm -maxdepth 1 -name '.ckpt-stream-*' | LC_ALL=C sort) | head -n 1)
		[[ -n $stage ]]
	}
	wait_for 10 "root's stage" new_stage || fail "no stage while root's restore reads"
	log "root's stage: $stage"
	if as_user ls "$stage" >/dev/null 2>&1; then
		log "the user listed $stage"
		worked=1
	fi
	if as_user sh -c 'cat "$1"/*/* "$1"/*/.*/* 2>/dev/null | head -c 1 | grep -q .' sh "$stage"; then
		log "the user read an image in $stage"
		worked=1
	fi
	if as_user touch "$stage/planted" 2>/dev/null; then
		log "the user planted a file in $stage"
		worked=1
	fi
	if as_user rm -rf "$stage" 2>/dev/null || [[ ! -e $stage ]]; then
		log "the user removed $stage"
		worked=1
	fi
	kill -9 "$rpid"
	wait "$rpid" 2>/dev/null
	exec 7>&-
	gone() { [[ ! -e $stage ]]; }
	wait_for 10 "the stage to go with the restore" gone || {
		log "the stage outlived the restore"
		worked=1
	}
	exit "$worked"
}

atk_stream_listen() {
	local w=$T/atk-listen dir=$ATK_HOME/rx worked=0 rpid
	atk_stream_make "$w"
	as_user mkdir -m 0755 "$dir" || fail "cannot make $dir"
	timeout -k 5 60 "$CKPT" receive --images "$T/atk-set" --listen "$dir/sock" \
		</dev/null >/dev/null 2>"$T/atk-recv.err" &
	rpid=$!
	track_pid "$rpid"
	wait_for 10 "root's socket" test -S "$dir/sock" || fail "no socket: $(cat "$T/atk-recv.err")"
	as_user "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
    s.sendall(open(sys.argv[2], "rb").read())
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
except OSError as e:
    print("refused:", e, file=sys.stderr)
' "$dir/sock" "$ATK_STREAM"
	# Had the receive taken the stream, it would have stored the set
	# before closing the connection, which the user waits for (recv).
	if [[ -e $T/atk-set ]]; then
		log "root's receive stored the user's stream"
		worked=1
	fi
	kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
	exit "$worked"
}

attack stream-stage atk_stream_stage
attack stream-listen atk_stream_listen
