# shellcheck shell=bash
# 20-keeper.sh - the page tracker of incremental dumps (the keeper,
# `ckpt-track`) taken over by a local user (sourced by tests/45-attacks.sh).
#
# The keeper holds the userfaultfds of a tracked tree between two dumps:
# whoever holds one can write-protect and so watch the process's memory,
# and whoever answers for the keeper decides what a dump on its parent
# stores. ckpt 0.1 named it by an abstract unix socket that anyone may
# bind, ckpt-track-ROOTPID-STARTTIME (start time: field 22 of the root's
# /proc/PID/stat), and spoke to whoever held the name. The user squats the
# names a keeper of a root-owned target will use (py/keeper_squat.py: it
# logs every connection, request and fd it gets) before root runs ckpt.
#
#   keeper-squat-predump        root's pre-dump must not give the squatter
#                               anything; it uses the real keeper or fails
#                               with one line, and the target runs on as it was
#   keeper-squat-leave-running  a squatter that never answers must not hang
#                               a dump --leave-running (with the target
#                               frozen, killed when ckpt is ended)
#   keeper-impersonate          a squatter at every name a keeper may use
#                               (the abstract one, and the path in /run/ckpt
#                               if it can bind there), playing the keeper for
#                               a whole chain: pre-dump, then a dump on it;
#                               then it asks the keeper's path for its fds

atk_keeper_name() { # PID: the name ckpt 0.1 gave the keeper of PID
	printf 'ckpt-track-%s-%s\n' "$1" "$(proc_starttime "$1")"
}

# atk_keeper_squat LOG MODE NAME...: start py/keeper_squat.py as the user,
# wait until it has tried every name. Sets ATK_SQUAT_PID.
atk_keeper_squat() {
	local py=$ATK_HOME/bin/keeper_squat.py log=$1
	[[ -e $py ]] || install -m 0644 "$E2E_DIR/py/keeper_squat.py" "$py" || fail "cannot copy keeper_squat.py"
	(
		for fd in /proc/"$BASHPID"/fd/*; do
			fd=${fd##*/}
			((fd > 2)) && exec {fd}>&-
		done
		as_user "$PYTHON" -I -S "$py" "$@"
	) </dev/null >/dev/null 2>>"$ATK_HOME/squat.err" &
	ATK_SQUAT_PID=$!
	track_pid "$ATK_SQUAT_PID"
	wait_for 10 "the squatter to listen" has_line "$log" '^READY$' ||
		fail "the squatter did not start: $(tail -n 3 "$ATK_HOME/squat.err" 2>/dev/null)"
	log "squatter: $(grep -E '^(BOUND|NOBIND)' "$log" | tr '\n' ' ')"
}

# The squatter must have been told nothing: no connection, no request, no fd.
atk_keeper_told_nothing() { # LOG
	if has_line "$1" '^(CONN|MSG|FD)'; then
		log "the squatter was reached: $(grep -E '^(CONN|MSG|FD|ANSWERED)' "$1" | tr '\n' ' ')"
		return 1
	fi
	log "the squatter got nothing"
}

# The target runs on untouched: not traced, not stopped, its sequence goes
# on, its self-check (every page of its heap) passes.
atk_keeper_target_fine() { # PID WORKDIR
	local n
	if is_dead "$1"; then
		fail "the target $1 is dead"
	fi
	assert_not_traced "$1"
	n=$(wc -l <"$2/seq")
	wait_seq_beyond "$2/seq" $((n + 20))
	self_check "$1" "$2"
}

keeper_path_gone() { ! grep -q " /run/ckpt/$1\$" /proc/net/unix; }

# Kill the target: its keeper (if any) ends with it.
atk_keeper_end() { # PID NAME
	kill -9 "$1" 2>/dev/null
	wait_for 10 "the target to die" is_dead "$1" || fail "target $1 survived SIGKILL"
	wait_for 10 "its keeper to end" keeper_path_gone "$2" || fail "the keeper of $1 outlived it"
}

atk_keeper_squat_predump() {
	local w=$T/kp1 log=$ATK_HOME/kp1.log pid name
	trap kill_tracked EXIT
	start_target "$w" 01-basic 8
	pid=$TARGET_PID name=$(atk_keeper_name "$pid")
	atk_keeper_squat "$log" serve "@$name" "/run/ckpt/$name"
	ck pre-dump --pid "$pid" --images "$T/kp1.img"
	if ((CK_RC != 0)); then
		ck_assert_failed "pre-dump with the keeper's name squatted"
	fi
	atk_keeper_told_nothing "$log" || exit 1
	atk_keeper_target_fine "$pid" "$w"
	atk_keeper_end "$pid" "$name"
}

atk_keeper_squat_leave_running() {
	local w=$T/kp2 log=$ATK_HOME/kp2.log pid name
	trap kill_tracked EXIT
	start_target "$w" 01-basic 8
	pid=$TARGET_PID name=$(atk_keeper_name "$pid")
	atk_keeper_squat "$log" hang "@$name" "/run/ckpt/$name"
	CKPT_TIMEOUT=10 ck dump --leave-running --pid "$pid" --images "$T/kp2.img"
	if ((CK_RC == 124 || CK_RC == 137)); then
		log "ckpt dump --leave-running hung (ended by its time limit, 10 s)"
		is_dead "$pid" && log "and the target $pid is dead: $(describe_pid "$pid")"
		exit 1
	fi
	((CK_RC == 0)) || ck_assert_failed "dump --leave-running with the keeper's name squatted"
	atk_keeper_told_nothing "$log" || exit 1
	atk_keeper_target_fine "$pid" "$w"
	atk_keeper_end "$pid" "$name"
}

atk_keeper_impersonate() {
	local w=$T/kp3 log=$ATK_HOME/kp3.log glog=$ATK_HOME/kp3-get.log pid name
	trap kill_tracked EXIT
	start_target "$w" 01-basic 8
	pid=$TARGET_PID name=$(atk_keeper_name "$pid")
	atk_keeper_squat "$log" serve "@$name" "/run/ckpt/$name"
	ck_ok pre-dump --pid "$pid" --images "$T/kp3.1"
	# Whoever holds the keeper's place now: the user asks it for the fds.
	as_user "$PYTHON" -I -S "$ATK_HOME/bin/keeper_squat.py" "$glog" get "/run/ckpt/$name" \
		</dev/null >/dev/null 2>>"$ATK_HOME/squat.err"
	log "the user asking the keeper: $(tr '\n' ' ' <"$glog")"
	if has_line "$glog" '^FD'; then
		log "the keeper gave the user its fds"
		exit 1
	fi
	send_usr1 "$pid" "$w" 1
	ck_ok dump --leave-running --pid "$pid" --images "$T/kp3.2" --parent "$T/kp3.1"
	atk_keeper_told_nothing "$log" || exit 1
	atk_keeper_target_fine "$pid" "$w"
	atk_keeper_end "$pid" "$name"
}

attack keeper-squat-predump atk_keeper_squat_predump
attack keeper-squat-leave-running atk_keeper_squat_leave_running
attack keeper-impersonate atk_keeper_impersonate
