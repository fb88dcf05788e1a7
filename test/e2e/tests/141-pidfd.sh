#!/bin/bash
# 141-pidfd.sh - a process holding pidfds of its child (clone3
# CLONE_PIDFD, non-blocking), of its own second thread (PIDFD_THREAD) and
# of a zombie child: dumped with its tree and restored, each pidfd names
# the same process or thread (fdinfo), with its flags; through them
# pidfd_send_signal reaches the child and the thread, the zombie's polls
# readable and waitid(P_PIDFD) gives its status 7, and once the test kills
# the child with SIGTERM its pidfd polls readable and waitid says so.
# A pidfd whose process the images put outside the set is refused.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

w=$T/w
start_target "$w" 141-pidfd
pid=$TARGET_PID
line=$(grep -m1 '^TREE ' "$w/out")
child=$(sed -n 's/.* child=\([0-9]*\).*/\1/p' <<<"$line")
zombie=$(sed -n 's/.* zombie=\([0-9]*\).*/\1/p' <<<"$line")
thread=$(sed -n 's/.* thread=\([0-9]*\).*/\1/p' <<<"$line")
[[ -n $child && -n $zombie && -n $thread ]] || fail "no TREE line: $line"
log "child $child zombie $zombie thread $thread"
self_check "$pid" "$w"
[[ $(check_value child) == alive && $(check_value child_usr1) == 1 ]] || fail "before the dump: $CHECK_LINE"

img=$T/img
dump_tree "$pid" "$img"
ck_ok show --images "$img"
grep -qE "^ +10 pidfd .* of process $child\$" "$CK_OUT" || fail "ckpt show: no pidfd of $child at fd 10"
grep -qE "^ +11 pidfd .* of thread $thread\$" "$CK_OUT" || fail "ckpt show: no pidfd of thread $thread at fd 11"

# An image whose pidfd names a process outside the set.
bad=$T/bad
cp -a "$img/." "$bad/"
id=$("$IMGEDIT" "$bad" "fdinfo-$pid.img" | sed -n 's/^fds\[\([0-9]*\)\]\.fd=12$/\1/p')
file=$("$IMGEDIT" "$bad" "fdinfo-$pid.img" "fds[$id].file_id" | sed "s/.*=//")
"$IMGEDIT" "$bad" files.img "files[$file].pidfd_pid=1" || fail "imgedit failed"
expect_restore_fail "$bad" "$pid" "with a pidfd of pid 1"
grep -qF "a pidfd of 1, which is not in the image set" "$CK_ERR" || fail "refused with: $(ck_err_line)"

restore_tree "$img" "$pid"
[[ -e /proc/$child && -e /proc/$zombie ]] || fail "the children are not back"
self_check "$pid" "$w"
[[ $(check_value child) == alive && $(check_value child_usr1) == 2 ]] || fail "after the restore: $CHECK_LINE"
kill -TERM "$child"
wait_for 10 "the child to die" is_dead "$child" || fail "the child survived SIGTERM"
self_check "$pid" "$w"
[[ $(check_value child) == killed ]] || fail "after the child died: $CHECK_LINE"
kill_tree "${TREE_PIDS[@]}"
