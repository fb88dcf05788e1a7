# shellcheck shell=bash
# 55-unix.sh - what root sends again into the unix sockets of a user's
# image set (sourced by tests/45-attacks.sh):
#  - credentials: the user edits a queued datagram (130-unix-scm, a
#    receiver with SO_PASSCRED) to say it came from uid 0, gid 0 and pid 1;
#    root, which may send any credentials, must not: the receiver sees the
#    user's own ids and no process outside the tree;
#  - files in flight: the user points a message's descriptor at a file of
#    the table that is not in flight, past the end of the table: refused.
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"

# unix_scm_set W IMAGES: the user's 130-unix-scm tree (messages with files
# and credentials queued) dumped into IMAGES, which the user owns; its
# root's PID in ATK_PID.
unix_scm_set() {
	local w=$1 img=$2 child
	atk_spawn "$w" 130-unix-scm
	ATK_PID=$TARGET_PID
	child=$(sed -n 's/^TREE root=[0-9]* child=\([0-9]*\)$/\1/p' "$w/out")
	[[ -n $child ]] || fail "no TREE line from the target"
	track_pid "$child"
	self_check "$ATK_PID" "$w"
	atk_dump "$ATK_PID" "$img"
	wait_for 10 "the child to be gone" is_gone "$child" || fail "$child outlived the dump"
	chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
}

atk_unix_creds() {
	local w=$ATK_HOME/ucreds img=$ATK_HOME/ucreds.img pid at n line
	unix_scm_set "$w" "$img"
	pid=$ATK_PID
	at=$("$IMGEDIT" "$img" files.img |
		sed -n "s/^\(files\[[0-9]*\]\.unix_sk\.queue\[[0-9]*\]\)\.uid=$ATK_UID\$/\1/p" | head -n 1)
	[[ -n $at ]] || fail "no credentials of uid $ATK_UID in the images"
	atk_imgedit "$img" files.img "$at.uid=0" "$at.gid=0" "$at.pid=1"
	ck restore --images "$img" --detach
	if ((CK_RC == 0)); then
		track_pid "$pid"
		# Its own check fails (the pid is ckpt's, not its child's):
		# what matters is what it was told.
		n=$(count_lines "$w/out" '^CHECK ')
		kill -USR2 "$pid"
		wait_for 20 "a CHECK line" more_lines_than "$w/out" '^CHECK ' "$n" ||
			fail "no answer to the self-check"
		line=$(grep -E '^CHECK ' "$w/out" | tail -n 1)
		log "$pid: $line"
		if [[ $line == *"uid 0 gid 0"* || $line == *"credentials pid 1 "* ]]; then
			log "the user's receiver was told root's credentials"
			exit 1
		fi
		[[ $line == *"dgram: credentials pid "*" uid $ATK_UID gid $ATK_GID,"* ]] ||
			fail "unexpected answer: $line"
		return 0
	fi
	ck_assert_failed "restore of a set with root's credentials on a message"
	wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "PID $pid left after the failed restore"
}

atk_unix_fd_range() {
	local w=$ATK_HOME/ufd img=$ATK_HOME/ufd.img pid at
	unix_scm_set "$w" "$img"
	pid=$ATK_PID
	at=$("$IMGEDIT" "$img" files.img |
		sed -n 's/^\(files\[[0-9]*\]\.unix_sk\.queue\[[0-9]*\]\)\.fds\[0\]=.*/\1/p' | head -n 1)
	[[ -n $at ]] || fail "no descriptors in flight in the images"
	atk_imgedit "$img" files.img "$at.fds[0]=100000"
	ck restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	((CK_RC == 0)) && {
		log "a message with file 100000 in flight was restored"
		exit 1
	}
	ck_assert_failed "restore of a message with a file past the table in flight"
	wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "PID $pid left after the failed restore"
}

attack unix-creds atk_unix_creds
attack unix-fd-range atk_unix_fd_range
