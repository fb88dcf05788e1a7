#!/bin/bash
# 115-file-attrs.sh - a deleted file with inode flags (no atime, no dump)
# and extended attributes (two user.* ones, one of binary bytes, and an
# access ACL granting uid 4242 read access), and a removed directory
# held as an fd with an attribute, a default ACL and flags (no atime,
# synchronous directory updates) (115-file-attrs, as root). Dump
# (kills), restore: the target's own fgetxattr, flistxattr and
# FS_IOC_GETFLAGS give what it set up, and its bytes are there. Before,
# the file and the directory came back with no attribute and no flag. An image edited
# (imgedit) to give the file file capabilities or an attribute of another
# namespace is refused, nothing made. Then a deleted file made append-only
# and one with file capabilities: refused at dump with a line that says
# why, and the target runs on.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init
(($(id -u) == 0)) || skip "needs root (an ACL entry of another user, chattr)"

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

w=$T/w
img=$T/images
start_target "$w" 115-file-attrs
pid=$TARGET_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$img"
restore_detached "$img" "$pid"
self_check "$pid" "$w"
[[ $(check_value xattrs) == 3 && $(check_value dir) == ok ]] || fail "xattrs=$(check_value xattrs) dir=$(check_value dir)"
[[ $(readlink "/proc/$pid/fd/10") == "$w/attrs (deleted)" ]] ||
	fail "fd 10 is $(readlink "/proc/$pid/fd/10")"
[[ ! -e $w/attrs && ! -e $w/adir ]] || fail "the restore left $(ls "$w")"
self_check "$pid" "$w"
kill_restored "$pid"
for name in security.capability security.selinux; do
	idx=$("$IMGEDIT" "$img" files.img | sed -n 's/^files\[\([0-9]*\)\]\.attrs\.xattrs\[0\]\.name=user\.one$/\1/p')
	[[ -n $idx ]] || fail "no user.one in files.img: $("$IMGEDIT" "$img" files.img | grep attrs | head -3)"
	bad=$T/bad
	rm -rf "$bad"
	cp -a "$img" "$bad"
	"$IMGEDIT" "$bad" files.img "files[$idx].attrs.xattrs[0].name=$name" || fail "imgedit failed"
	expect_restore_fail "$bad" "$pid" "with a $name attribute"
	grep -q "images are inconsistent (file attributes)" "$CK_ERR" ||
		fail "the refusal does not say why: $(ck_err_line)"
done

for mode in append caps; do
	md=$T/$mode
	start_target "$md" 115-file-attrs "$mode"
	mpid=$TARGET_PID
	self_check "$mpid" "$md"
	ck_fails "dump of a deleted file ($mode)" dump --pid "$mpid" --images "$T/$mode-images"
	case $mode in
	append) why="is append-only" ;;
	caps) why="has file capabilities (security.capability)" ;;
	esac
	grep -q "fd 10, the deleted file '$md/attrs (deleted)', $why" "$CK_ERR" ||
		fail "the refusal does not say why: $(ck_err_line)"
	assert_still_fine "$mpid" "$md" 0
	kill -9 "$mpid"
	reap "$mpid"
done
assert_no_strays
