#!/bin/bash
# 281-userns-hostile.sh - hostile edits of a rootless container's images
# (test 280's) are refused at restore, before anything is made: no process
# left, the images untouched. Each edit would give the container more
# than its owner, the user, could have given it: a uid map or gid map
# reaching host root or wider than the user's own id, setgroups allowed
# with the user's own gid, another owner, a map the kernel refuses
# (overlapping), a nested namespace, credentials its namespace does not
# map (host root), a thread inside; and a copy of the set the user owns
# (only root's sets restore a user namespace). The pristine images then
# restore.
# e2e-timeout: 120
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/attack.sh
. "$E2E_DIR/attack.sh"
# shellcheck source=test/e2e/userns.sh
. "$E2E_DIR/userns.sh"
e2e_init
userns_init
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

w=$ATK_HOME/w
userns_start "$w" "ck281-$$"
pid=$USERNS_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$T/img"
uimg=$(cd "$T/img" && ls userns-*.img) || fail "no userns image in the set"
[[ $uimg == userns-+([0-9]).img ]] || fail "image '$uimg'"
log "user namespace image: $uimg"

# hostile FILE WHY EDIT...: a copy of the set with FILE edited must be
# refused with a line matching WHY.
hostile() {
	local file=$1 why=$2 d
	shift 2
	d=$(mktemp -d "$T/h.XXXXXX")
	cp -a "$T/img/." "$d/" || fail "cannot copy the images"
	"$IMGEDIT" "$d" "$file" "$@" || fail "imgedit $file $* failed"
	expect_restore_fail "$d" "$pid" "with $file: $*"
	grep -q -E -- "$why" "$CK_ERR" || fail "with $file: $*: the error does not say '$why': $(ck_err_line)"
	[[ $(wc -l <"$CK_ERR") == 1 ]] || fail "with $file: $*: more than one line on stderr"
	rm -rf -- "$d"
}

beyond="beyond its owner"
hostile "$uimg" "$beyond" "uid_map[0].lower_first=0"
hostile "$uimg" "$beyond" "uid_map[0].count=2"
hostile "$uimg" "$beyond" "uid_map[0].lower_first=$((ATK_UID + 1))"
hostile "$uimg" "$beyond" "gid_map[0].lower_first=0"
hostile "$uimg" "$beyond" "setgroups_allow=1"
hostile "$uimg" "$beyond" "owner_uid=1"
hostile "$uimg" "overlapping ranges" "uid_map[+]=@0"
hostile "$uimg" "empty map" "gid_map=[]"
hostile "$uimg" "nested" "parent_id=7"
hostile "$uimg" "id of another" "id=12345"
hostile "core-$pid.img" "does not map" "creds.uid=0"
hostile "core-$pid.img" "does not map" "creds.fsgid=0"
hostile "core-$pid.img" "has threads|thread pids" "threads[+]=@0" "threads[1].tid=$((pid + 1))"

# A copy the user owns is believed only as far as the user: its process
# claims capabilities (in its own namespace), which such a set may not.
d=$(mktemp -d "$T/u.XXXXXX")
cp -a "$T/img/." "$d/" || fail "cannot copy the images"
chown -R "$ATK_UID:$ATK_GID" "$d" || fail "cannot give the copy to the user"
expect_restore_fail "$d" "$pid" "of the user's own copy"
grep -q "owned by uid $ATK_UID" "$CK_ERR" || fail "the user's copy: $(ck_err_line)"
rm -rf -- "$d"

# The pristine set restores: the user again outside, root inside.
restore_detached "$T/img" "$pid"
userns_assert_host "$pid"
self_check "$pid" "$w"
[[ $(check_value uid) == 0 && $(check_value owner) == 0 ]] || fail "after the restore: $CHECK_LINE"
kill_restored "$pid"
log "PASS: every hostile edit refused, nothing made; the pristine set restores"
