# shellcheck shell=bash
# 30-images.sh - image sets the user owns are believed only as far as the
# user: the user edits a set of one of their own processes, root restores
# it (sourced by tests/45-attacks.sh).
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"

# After an attacker's restore: the restore must have failed cleanly and
# left no process.
refused_cleanly() { # PID WHAT
	[[ -e /proc/$1 ]] && track_pid "$1"
	((CK_RC == 0)) && {
		log "root's restore of $2 succeeded"
		return 1
	}
	ck_assert_failed "restore of $2"
	wait_for 10 "PID $1 to be free" is_gone "$1" || fail "PID $1 left after the failed restore"
}

# The user sets every uid and gid of their process to 0.
atk_creds_uid0() {
	local w=$ATK_HOME/creds img=$ATK_HOME/creds.img pid uid capeff
	atk_set "$w" "$img"
	pid=$ATK_PID
	atk_imgedit "$img" "core-$pid.img" creds.uid=0 creds.euid=0 creds.suid=0 \
		creds.fsuid=0 creds.gid=0 creds.egid=0 creds.sgid=0 creds.fsgid=0
	ck restore --images "$img" --detach
	if ((CK_RC == 0)); then
		track_pid "$pid"
		self_check "$pid" "$w"
		uid=$(check_value uid) capeff=$(check_value capeff)
		if [[ /$uid/ == */0/* || $capeff != 0000000000000000 ]]; then
			log "the user's process $pid came back with uid $uid, capabilities $capeff"
			exit 1
		fi
	fi
	refused_cleanly "$pid" "a user's set claiming uid 0"
}

# The user points a file entry of their set at /etc/shadow.
atk_shadow_path() {
	local w=$ATK_HOME/shadow img=$ATK_HOME/shadow.img pid i
	[[ -e /etc/shadow ]] || fail "no /etc/shadow"
	atk_set "$w" "$img"
	pid=$ATK_PID
	i=$(file_index "$img" "$w/data")
	atk_imgedit "$img" files.img "files[$i].path=/etc/shadow" "files[$i].size=0"
	ck restore --images "$img" --detach
	if fd_on "$pid" /etc/shadow; then
		log "the user's process $pid holds /etc/shadow open"
		exit 1
	fi
	refused_cleanly "$pid" "a user's set naming /etc/shadow"
}

# The same with a path that climbs out of the user's directory.
atk_dotdot_path() {
	local w=$ATK_HOME/dotdot img=$ATK_HOME/dotdot.img pid i
	local up=$w/../../../../../../../../etc/shadow
	atk_set "$w" "$img"
	pid=$ATK_PID
	i=$(file_index "$img" "$w/data")
	atk_imgedit "$img" files.img "files[$i].path=$up" "files[$i].size=0"
	ck restore --images "$img" --detach
	if fd_on "$pid" /etc/shadow; then
		log "the user's process $pid holds /etc/shadow open (through '$up')"
		exit 1
	fi
	refused_cleanly "$pid" "a user's set naming '$up'"
}

# After the dump, the user replaces their open file by a symlink to a
# root-only file.
atk_symlink_swap() {
	local w=$ATK_HOME/swap img=$ATK_HOME/swap.img pid secret
	root_secret secret
	atk_set "$w" "$img"
	pid=$ATK_PID
	{ as_user rm -f "$w/data" && as_user ln -s "$secret" "$w/data"; } || fail "cannot plant the symlink"
	opened_during "$secret" "$CKPT" restore --images "$img" --detach
	if fd_on "$pid" "$secret"; then
		log "the user's process $pid holds the root-only $secret open"
		exit 1
	fi
	if ((OPENED > 0)); then
		log "root's restore opened the root-only $secret"
		exit 1
	fi
	refused_cleanly "$pid" "a user's set whose file is now a symlink"
}

# The user names another uid (root's) as the one who logged in, to put
# their process's deeds on root in the audit trail.
atk_loginuid() {
	local w=$ATK_HOME/loginuid img=$ATK_HOME/loginuid.img pid got
	atk_set "$w" "$img"
	pid=$ATK_PID
	atk_imgedit "$img" "core-$pid.img" loginuid=0
	ck restore --images "$img" --detach
	if ((CK_RC == 0)); then
		track_pid "$pid"
		got=$(cat "/proc/$pid/loginuid")
		if [[ $got == 0 ]]; then
			log "the user's process $pid came back with loginuid 0"
			exit 1
		fi
	fi
	refused_cleanly "$pid" "a user's set claiming loginuid 0"
}

attack creds-uid0 atk_creds_uid0
attack loginuid atk_loginuid
attack shadow-path atk_shadow_path
attack dotdot-path atk_dotdot_path
attack symlink-swap atk_symlink_swap
