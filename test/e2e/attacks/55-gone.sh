# shellcheck shell=bash
# 55-gone.sh - nodes removed from their paths, made again by root's
# restore of a user's image set (sourced by tests/45-attacks.sh): the user
# holds a removed directory (112-deleted-nodes as the user) and edits its
# entry into a removed character device, of a disk or of /dev/null's
# numbers. mknod needs CAP_MKNOD: root's restore must make no device node
# for a user's set, whatever its numbers (the set unedited restores).
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"

# atk_gone_chr NAME MAJOR MINOR
atk_gone_chr() {
	local w=$ATK_HOME/$1 img=$ATK_HOME/$1.img pid i
	atk_spawn "$w" 112-deleted-nodes
	pid=$TARGET_PID
	self_check "$pid" "$w"
	atk_dump "$pid" "$img"
	chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
	# Unedited, the user's set restores: the directories are made again
	# with the user's access.
	cp -a "$img" "$img.ctl" || fail "cannot copy $img"
	control_restore "$img.ctl" "$pid" "$w"
	wait_gone "$pid"
	i=$("$IMGEDIT" "$img" files.img |
		sed -n "s|^files\\[\\([0-9]*\\)\\]\\.path=$w/gone (deleted)\$|\\1|p" | head -n 1)
	[[ -n $i ]] || fail "no removed directory in $img/files.img"
	atk_imgedit "$img" files.img "files[$i].kind=3" "files[$i].mode=$((8#20666))" \
		"files[$i].rdev=$(($2 * 256 + $3))" "files[$i].flags=2" "files[$i].path=$w/dev (deleted)"
	ck restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	if ((CK_RC == 0)); then
		log "root's restore of the user's set made a device node $2:$3"
		exit 1
	fi
	ck_assert_failed "restore of a user's set with a removed device node $2:$3"
	grep -q -e "only from root's image set" -e "images are inconsistent" "$CK_ERR" ||
		fail "the refusal does not say why: $(ck_err_line)"
	[[ -z $(find "$w" -type c) ]] || fail "a device node was left in $w"
	wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "PID $pid left after the failed restore"
}

atk_gone_disk() { atk_gone_chr gone-disk 8 0; }
atk_gone_null() { atk_gone_chr gone-null 1 3; }

attack gone-chr-disk atk_gone_disk
attack gone-chr-null atk_gone_null
