# shellcheck shell=bash
# stream.sh - helpers of the image stream tests (300-309), sourced after
# lib.sh: ckpt on both ends of a pipe, and the private stages it leaves
# (or must not leave) in /dev/shm.

# stream_stages: the private stages of ckpt in /dev/shm, one a line.
stream_stages() {
	find /dev/shm -maxdepth 1 -name '.ckpt-stream-*' -printf '%f\n' 2>/dev/null | LC_ALL=C sort
}

# stream_stages_mark: remember the stages there are now (other tests').
stream_stages_mark() { STAGES0=$(stream_stages); }

# No stage of ours left: only those there were at the mark (bounded wait:
# the remover of a ckpt that was killed takes a moment).
stream_no_new_stage() { ! comm -13 <(printf '%s\n' "$STAGES0") <(stream_stages) | grep -q .; }
assert_no_stage_left() {
	wait_for 10 "the stages in /dev/shm to go" stream_no_new_stage ||
		fail "left in /dev/shm: $(comm -13 <(printf '%s\n' "$STAGES0") <(stream_stages) | tr '\n' ' ')"
}

# stream_pipe 'DUMP ARGS' 'RESTORE ARGS': ckpt dump ... --images - | ckpt
# restore --images - ..., each bounded; sets DUMP_RC and REST_RC, their
# stderr in $T/dump.err and $T/rest.err.
stream_pipe() {
	local -a d r
	read -ra d <<<"$1"
	read -ra r <<<"$2"
	log "+ ckpt ${d[*]} --images - | ckpt ${r[*]} --images -"
	timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" "${d[@]}" --images - 2>"$T/dump.err" </dev/null |
		timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" "${r[@]}" --images - >"$T/rest.out" 2>"$T/rest.err"
	DUMP_RC=${PIPESTATUS[0]} REST_RC=${PIPESTATUS[1]}
	echo "$DUMP_RC $REST_RC" >"$T/pipe.rc"
	log "  dump exit $DUMP_RC, restore exit $REST_RC"
	sed 's/^/  dump stderr: /' "$T/dump.err" >&2
	sed 's/^/  restore stderr: /' "$T/rest.err" >&2
}

# stream_pipe_bg ROOT 'DUMP ARGS' 'RESTORE ARGS': stream_pipe in the
# background while this shell reaps ROOT (its child, killed by the dump:
# its pid must be free for the restore, which waits for it); sets DUMP_RC
# and REST_RC once both ended.
stream_pipe_bg() {
	local root=$1 bg
	rm -f "$T/pipe.rc"
	stream_pipe "$2" "$3" &
	bg=$!
	wait_for 60 "the dump to end or $root to die" stream_root_dead_or "$root" "$bg" ||
		fail "neither the stream nor $root ended"
	if is_dead "$root"; then
		wait "$root"
		# shellcheck disable=SC2034 # for the caller, as reap() sets it
		REAP_STATUS=$?
	fi
	wait "$bg"
	read -r DUMP_RC REST_RC <"$T/pipe.rc" || fail "the stream pipe said nothing"
}
stream_root_dead_or() { is_dead "$1" || ! kill -0 "$2" 2>/dev/null; }

# one_line_failure FILE WHAT: FILE is exactly one line "ckpt: cannot ...".
one_line_failure() {
	local n
	n=$(wc -l <"$1")
	((n == 1)) || fail "$2: $n lines on stderr, want one: $(head -c 300 "$1")"
	grep -q '^ckpt: cannot ' "$1" || fail "$2: stderr is not 'ckpt: cannot ...': $(head -c 300 "$1")"
}

# stream_receive 'DUMP ARGS' DIR: ckpt DUMP ARGS --images - | ckpt receive
# --images DIR, both must succeed.
stream_receive() {
	stream_receive_try "$@"
	((DUMP_RC == 0)) || fail "ckpt $1 failed (exit $DUMP_RC): $(head -c 300 "$T/dump.err")"
	((REST_RC == 0)) || fail "ckpt receive failed (exit $REST_RC): $(head -c 300 "$T/rest.err")"
}

# stream_receive_try 'DUMP ARGS' DIR: the same, setting DUMP_RC and REST_RC.
stream_receive_try() {
	local -a d
	read -ra d <<<"$1"
	log "+ ckpt ${d[*]} --images - | ckpt receive --images $2"
	timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" "${d[@]}" --images - 2>"$T/dump.err" </dev/null |
		timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" receive --images "$2" >"$T/rest.out" 2>"$T/rest.err"
	DUMP_RC=${PIPESTATUS[0]} REST_RC=${PIPESTATUS[1]}
	log "  dump exit $DUMP_RC, receive exit $REST_RC"
	sed 's/^/  dump stderr: /' "$T/dump.err" >&2
	sed 's/^/  receive stderr: /' "$T/rest.err" >&2
}

# stream_pair MODE 'DUMP ARGS' 'RESTORE ARGS': dump --images - --handshake
# and restore --images - --handshake joined both ways by stream-pair.py
# (MODE: plain or cut-ready); sets DUMP_RC, REST_RC and SAID (what the
# restore side wrote on its stdout, one line each).
stream_pair() {
	local -a d r
	read -ra d <<<"$2"
	read -ra r <<<"$3"
	log "+ ckpt ${d[*]} --images - --handshake <=> ckpt ${r[*]} --images - --handshake ($1)"
	timeout -k 5 $((CKPT_TIMEOUT * 2)) "$PYTHON" "$E2E_DIR/stream-pair.py" "$1" "$T/pair.rc" \
		"$T/dump.err" "$T/rest.err" -- "$CKPT" "${d[@]}" --images - --handshake \
		-- "$CKPT" "${r[@]}" --images - --handshake </dev/null >&2 || fail "stream-pair.py failed (exit $?)"
	read -r DUMP_RC REST_RC <"$T/pair.rc"
	SAID=$(tail -n +2 "$T/pair.rc" | tr '\n' ' ')
	log "  dump exit $DUMP_RC, restore exit $REST_RC, the restore said: $SAID"
	sed 's/^/  dump stderr: /' "$T/dump.err" >&2
	sed 's/^/  restore stderr: /' "$T/rest.err" >&2
}

# handshake_move PID DUMP_ARGS: a whole move of the tree PID on this
# machine (dump DUMP_ARGS with --handshake into restore --new-pidns
# --detach): both sides exit 0, the restore side says ready then running
# PID, the source ends killed by the dump (137), and one copy of PID runs
# in a new pid namespace: COPY, its host pid, tracked.
handshake_move() {
	stream_pair plain "$2" "restore --new-pidns --detach"
	((DUMP_RC == 0 && REST_RC == 0)) || fail "the handshake failed: exits $DUMP_RC and $REST_RC"
	[[ $SAID == "ready running $1 " ]] || fail "the restore side said '$SAID', want 'ready running $1'"
	reap "$1"
	((REAP_STATUS == 137)) || fail "the source ended with status $REAP_STATUS, want 137 (killed by the dump)"
	COPY=$(inner_pids "$1")
	[[ -n $COPY && $COPY != *$'\n'* ]] || fail "want one copy of $1 in a new pid namespace, found '$COPY'"
	track_pid "$COPY"
}

# inner_pids PID: the host pids of processes whose pid in their own (child)
# pid namespace is PID, one a line.
inner_pids() {
	grep -l -E "^NSpid:[[:space:]]+[0-9]+[[:space:]]+$1\$" /proc/[0-9]*/status 2>/dev/null |
		sed 's|/proc/\([0-9]*\)/status|\1|'
}
no_inner_pid() { [[ -z $(inner_pids "$1") ]]; }
