#!/bin/bash
# 142-epoll-stale.sh - an epoll whose items outlived their fds
# (142-epoll-stale): one whose file was moved to another fd, its number
# then taken by another file registered too, and one whose file only a
# child still holds. Dumped with the child and restored, the target's own
# check passes as before the dump: each item reports its own file with
# its own data, A is still keyed on its old number (EPOLL_CTL_MOD on its
# new one says ENOENT), the fd numbers hold what they held. Twice in a
# row (the restored epoll dumps again the same way). A stale item edited to
# point at no description is refused.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 142-epoll-stale
pid=$TARGET_PID
child=$(sed -n 's/^CHILD pid=//p' "$w/out")
[[ -n $child ]] || fail "no CHILD line"
self_check "$pid" "$w"

dump_tree "$pid" "$T/img1"
ck_ok show --images "$T/img1"

# A stale item pointing at no description of the set: refused.
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
item=$("$IMGEDIT" "$T/img1" files.img | sed -n 's/^\(files\[[0-9]*\]\.epoll\.tfds\[[0-9]*\]\)\.file_id=.*/\1/p' | head -n 1)
[[ -n $item ]] || fail "no stale epoll item in the images"
mkdir "$T/bad" && cp -a "$T/img1/." "$T/bad/"
"$IMGEDIT" "$T/bad" files.img "$item.file_id=100000" || fail "imgedit failed"
expect_restore_fail "$T/bad" "$pid" "with a stale item on no file"
grep -qF "images are inconsistent" "$CK_ERR" || fail "refused with: $(ck_err_line)"
restore_tree "$T/img1" "$pid"
[[ -e /proc/$child ]] || fail "the child is not back"
self_check "$pid" "$w"
self_check "$pid" "$w"

# The restored tree dumps and restores again.
ck_ok dump --pid "$pid" --images "$T/img2"
wait_tree_gone "${TREE_PIDS[@]}"
restore_tree "$T/img2" "$pid"
self_check "$pid" "$w"
kill_tree "${TREE_PIDS[@]}"
