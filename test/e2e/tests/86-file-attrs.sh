#!/bin/bash
# 86-file-attrs.sh - the mode and owner of a memfd, of a deleted file and
# of a pty slave, and the status flags of an open file (O_APPEND, O_SYNC,
# O_NOATIME, O_DIRECT where the filesystem has it) across a restore
# (86-file-attrs, as root, owned by a uid and gid of nobody on the
# system). Dump (kills), restore: the target's fstat and F_GETFL give what
# it set up. Before, the memfd came back 0777 root's, the deleted file and
# the slave root's (and the memfd and the deleted file lost their bytes:
# a last page shorter than a page was not saved). An image edited
# (imgedit) into a mode with bits no file has is refused, nothing made.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init
(($(id -u) == 0)) || skip "needs root (files owned by another user)"

w=$T/w
img=$T/images
start_target "$w" 86-file-attrs 4242 4343
pid=$TARGET_PID
self_check "$pid" "$w"
log "O_DIRECT: $(check_value direct)"
dump_and_reap "$pid" "$img"
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
owned=$("$IMGEDIT" "$img" files.img | sed -n 's/^files\[\([0-9]*\)\]\.uid=4242$/\1/p' | head -n 1)
[[ -n $owned ]] || fail "no file owned by 4242 in files.img"
bad=$T/bad
cp -a "$img" "$bad"
"$IMGEDIT" "$bad" files.img "files[$owned].mode=0x7fffffff" || fail "imgedit failed"
expect_restore_fail "$bad" "$pid" "with a mode of every bit"
grep -q "images are inconsistent (owner of " "$CK_ERR" || fail "the refusal does not name the owner: $(ck_err_line)"
restore_detached "$img" "$pid"
self_check "$pid" "$w"
self_check "$pid" "$w"
kill_restored "$pid"
assert_no_strays
