# shellcheck shell=bash
# 70-sysv.sh - System V IPC in a set the user owns (sourced by
# tests/45-attacks.sh): the user's process attaches a segment of its own;
# the user edits the set so that the segment is root's (its id, key, size,
# creator and owner), for root's restore to attach root's segment in the
# user's processes. It must be refused, root's segment untouched.
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"

atk_sysv_steal() {
	local w=$ATK_HOME/sysv img=$ATK_HOME/sysv.img pid key rootkey rootid f k v a before after tree
	key=$(( (($$ & 0xffff) << 12) | (RANDOM & 0xfff) | 0x50000000 ))
	rootkey=$((key + 7))
	# Root's segment, the size of the user's A (2 pages + 100 bytes).
	rootid=$(python3 -c "
import ctypes
libc = ctypes.CDLL(None)
libc.shmat.restype = ctypes.c_void_p
i = libc.shmget($rootkey, 8292, 0o1600)
p = libc.shmat(i, None, 0)
ctypes.memmove(p, b'ROOT SECRET', 11)
libc.shmdt(ctypes.c_void_p(p))
print(i)")
	((rootid >= 0)) || fail "cannot make root's segment"
	atk_spawn "$w" 101-sysv-shm "$key"
	pid=$TARGET_PID
	self_check "$pid" "$w"
	mapfile -t tree < <(tree_pids "$pid")
	atk_dump "$pid" "$img"
	wait_tree_gone "${tree[@]}"
	chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
	a=$(sed -n 's/^IDS a=\([0-9]*\) .*/\1/p' "$w/out")
	k=$("$IMGEDIT" "$img" ipc.img | sed -n "s/^shm\[\([0-9]*\)\]\.shmid=$a\$/\1/p")
	before=$(grep -E "^ *[0-9-]+ +$rootid " /proc/sysvipc/shm | awk '{ print $3, $7, $8, $10 }')
	atk_imgedit "$img" ipc.img "shm[$k].shmid=$rootid" "shm[$k].key=$rootkey" \
		"shm[$k].uid=0" "shm[$k].gid=0" "shm[$k].cuid=0" "shm[$k].cgid=0"
	for f in "$img"/mm-*.img; do
		f=${f##*/}
		for v in $("$IMGEDIT" "$img" "$f" | sed -n "s/^vmas\[\([0-9]*\)\]\.sysv_shmid=$a\$/\1/p"); do
			atk_imgedit "$img" "$f" "vmas[$v].sysv_shmid=$rootid"
		done
	done
	ck restore --images "$img" --detach
	after=$(grep -E "^ *[0-9-]+ +$rootid " /proc/sysvipc/shm | awk '{ print $3, $7, $8, $10 }')
	ipcrm -m "$rootid" 2>/dev/null
	ipcrm -M "$key" 2>/dev/null
	ipcrm -M "$((key + 1))" 2>/dev/null
	if [[ $after != "$before" ]]; then
		log "root's segment changed: '$before' -> '$after' (perms nattch uid cuid)"
		exit 1
	fi
	((CK_RC == 0)) && {
		log "root's restore of a set attaching root's segment succeeded"
		exit 1
	}
	ck_assert_failed "restore of a user's set attaching root's System V segment"
	wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "PID $pid left after the failed restore"
	grep -q "not the image owner's" "$CK_ERR" || fail "not the refusal wanted: $(ck_err_line)"
}

attack sysv-steal atk_sysv_steal
