# shellcheck shell=bash
# 60-review.sh - what a review of root's dump and restore found a local user
# could still do (sourced by tests/45-attacks.sh).
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"

# has_ctl FILE: does FILE hold a control character other than a newline
# or a tab (an escape sequence for the terminal it is shown on)?
has_ctl() { LC_ALL=C grep -q -P '[\x00-\x08\x0b-\x1f\x7f]' "$1"; }

# The user names a file of their set's inventory with a terminal escape
# sequence (here one that clears the screen and sets the window title);
# root's restore reports the missing file on root's terminal.
atk_escape_stderr() {
	local w=$ATK_HOME/esc img=$ATK_HOME/esc.img pid
	atk_set "$w" "$img"
	pid=$ATK_PID
	atk_imgedit "$img" inventory.img "files[0].name=$(printf '\033[2J\033]0;owned\007x')"
	ck restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	if has_ctl "$CK_ERR"; then
		log "root's restore printed the user's escape sequence raw: $(od -c "$CK_ERR" | head -2 | tr -s ' ')"
		exit 1
	fi
	ck_assert_failed "restore of a set with an escape sequence in a file name"
	grep -q 'x1b' "$CK_ERR" || fail "the message does not show the escaped name: $(ck_err_line)"
}

# The user runs a program of theirs under a name holding an escape
# sequence (its comm and exe path are the user's to choose); root dumps
# it and looks at the set with ckpt show.
atk_escape_show() {
	local w=$ATK_HOME/escshow bin img dir pid
	bin=$ATK_HOME/$(printf '\033[2Jx')
	as_user cp "$(atk_bin 41-trust)" "$bin" || fail "cannot copy the target to '$bin'"
	as_user mkdir -p "$w" || fail "cannot make $w"
	as_user touch "$w/out" "$w/err" || fail "cannot make $w/out"
	spawn "$w" setpriv --reuid="$ATK_UID" --regid="$ATK_GID" --init-groups \
		--inh-caps=-all --bounding-set=-all -- "$bin" "$w"
	wait_ready "$TARGET_PID" "$w"
	pid=$TARGET_PID
	new_tmp dir
	img=$dir/img
	atk_dump "$pid" "$img"
	ck show --images "$img"
	((CK_RC == 0)) || fail "ckpt show failed: $(ck_err_line)"
	if has_ctl "$CK_OUT"; then
		log "root's ckpt show printed the process name raw: $(grep -a "^process" "$CK_OUT" | od -c | head -1 | tr -s ' ')"
		exit 1
	fi
	grep -q "^process $pid '\\\\x1b\\[2Jx'" "$CK_OUT" ||
		fail "ckpt show does not show the escaped name: $(grep -a '^process' "$CK_OUT")"
}

attack escape-stderr atk_escape_stderr
attack escape-show atk_escape_show
