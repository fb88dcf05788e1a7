# shellcheck shell=bash
# robust.sh - helpers for the tests of ckpt being interrupted or killed
# (18, 19, 27, 28 and long/kill-random.sh), sourced after lib.sh.

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
