# shellcheck shell=bash
# robust.sh - helpers for the tests of ckpt being interrupted or killed
# (18, 19, 27, 28, 98, 105, 106 and long/kill-random.sh), sourced after
# lib.sh.

# The temporary directory of a dump into PARENT/NAME, if there is one.
tmp_dir_of() { # PARENT NAME
	local d
	for d in "$1"/."$2".ckpt-*; do
		[[ -d $d ]] && printf '%s\n' "$d" && return 0
	done
	return 1
}

# Bytes written so far in the temporary directory of PARENT/NAME.
tmp_bytes() { # PARENT NAME
	local d
	d=$(tmp_dir_of "$1" "$2") || {
		echo 0
		return
	}
	du -sb "$d" 2>/dev/null | cut -f1 || echo 0
}

# The dump started in the background (BG_PID) has its temporary directory
# with at least BYTES in it, or has ended.
bg_reached() { # PARENT NAME BYTES
	is_gone "$BG_PID" && return 0
	kill -0 "$BG_PID" 2>/dev/null || return 0
	tmp_dir_of "$1" "$2" >/dev/null || return 1
	(($(tmp_bytes "$1" "$2") >= $3))
}

# bg_ck ARGS...: ckpt ARGS in the background; BG_PID, its stderr in BG_ERR.
bg_ck() {
	BG_ERR=${TMPDIRS[0]}/bg.err
	log "+ (background) $CKPT $*"
	"$CKPT" "$@" </dev/null >/dev/null 2>"$BG_ERR" &
	BG_PID=$!
	track_pid "$BG_PID"
}

# bg_wait: wait for the background ckpt; BG_RC its exit status.
bg_wait() {
	wait "$BG_PID"
	BG_RC=$?
	log "  background ckpt exit $BG_RC"
	sed 's/^/  stderr: /' "$BG_ERR" >&2
}

# A point at random in the first half of a copy of MIB mebibytes.
random_bytes() { # MIB
	echo $((RANDOM % ($1 * 512) * 1024))
}

# The target PID of WORKDIR runs on as it was: not traced nor stopped, its
# memory as it recorded it (self-check), and it goes on writing.
busy_fine() { # PID WORKDIR
	local before
	if [[ ! -e /proc/$1 ]] || is_dead "$1"; then
		fail "the target $1 did not survive"
	fi
	assert_not_traced "$1"
	self_check "$1" "$2"
	before=$(check_value writes)
	self_check "$1" "$2"
	(($(check_value writes) > before)) || fail "the target $1 stopped writing"
}

# Every thread of PID runs free: no tracer, not stopped.
runs_free() { # PID
	local t
	for t in /proc/"$1"/task/*; do
		status_fields "$t/status"
		[[ -z $ST_TRACER || $ST_TRACER == 0 ]] || return 1
		[[ $ST_STATE != t && $ST_STATE != T ]] || return 1
	done
}

# A --leave-running dump of PID with ckpt (the FAULT=1 build, FCKPT)
# killed inside each of its remote calls in turn (CKPT_FAULT=rcall-kill@N,
# as test 98), until one goes to its end: after each kill PID lives, runs
# free and passes its self-check, then FN N runs if given. KILLED: how
# many calls ckpt was killed in.
rcall_kill_each() { # PID WORKDIR [FN]
	local n
	KILLED=0
	for ((n = 1; ; n++)); do
		((n <= 500)) || fail "more than 500 remote calls in one dump"
		ck_cmd env CKPT_FAULT="rcall-kill@$n" "$FCKPT" dump --pid "$1" --images "$T/k$n" \
			--leave-running
		rm -rf "$T/k$n" "$T"/.k"$n".ckpt-*
		((CK_RC == 0)) && break
		((CK_RC == 137)) || fail "call $n: the dump failed (exit $CK_RC): $(ck_err_line)"
		KILLED=$((KILLED + 1))
		is_dead "$1" && fail "call $n: the target died with ckpt"
		wait_for 10 "$1 to run free" runs_free "$1" || fail "call $n: $1 is still traced or stopped"
		self_check "$1" "$2"
		[[ -z ${3:-} ]] || "$3" "$n"
	done
}
