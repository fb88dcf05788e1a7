#!/bin/bash
# 130-unix-scm.sh - descriptors and credentials in flight in unix sockets
# (130-unix-scm): a pipe end, a regular file at offset 4 and an eventfd
# sent with SCM_RIGHTS over a stream socketpair and not received; the
# pipe's write end in a datagram from a socket bound to "snd.sock" to one
# bound to "dg.sock" (relative paths); a datagram with a child's credentials (its pid, uid/gid 65534) and a
# record with the process's own and an eventfd, both waiting for
# SO_PASSCRED receivers. Dump (kills the tree), restore: the same
# messages wait, the descriptors received are the tree's own files (the
# pipe reads what the tree writes after the restore, the file is at its
# offset, the eventfd holds its count) and the credentials name the same
# pid, uid and gid. Then they are received for real (recvmsg), once.
# Images edited (imgedit) to send a file that is not in the table, or
# credentials of pid 0, are refused before anything is made.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 130-unix-scm
root=$TARGET_PID
child=$(sed -n 's/^TREE root=[0-9]* child=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $child ]] || fail "no TREE line from the target"
track_pid "$child"
self_check "$root" "$w"
[[ $(check_value scm) == 4 && $(check_value creds) == ok ]] || fail "not all in flight before the dump"
ids0=$(tree_snapshot "$root")

dump_tree "$root" "$img"
"$CKPT" show --images "$img" | grep -Eq "queue of [0-9]+ messages \[[0-9]+: files [0-9]+,[0-9]+,[0-9]+\]" ||
	fail "ckpt show does not list the files in flight"
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
at=$("$IMGEDIT" "$img" files.img | sed -n 's/^\(files\[[0-9]*\]\.unix_sk\.queue\[[0-9]*\]\)\.fds\[0\]=.*/\1/p' | head -n 1)
[[ -n $at ]] || fail "no descriptors in flight in files.img"
cp -a "$img" "$T/bad1"
"$IMGEDIT" "$T/bad1" files.img "$at.fds[0]=4000" || fail "imgedit failed"
expect_restore_fail "$T/bad1" "$root" "with a file in flight not in the table"
grep -q "images are inconsistent (unix sockets)" "$CK_ERR" || fail "refused with: $(ck_err_line)"
at=$("$IMGEDIT" "$img" files.img | sed -n 's/^\(files\[[0-9]*\]\.unix_sk\.queue\[[0-9]*\]\)\.pid=[0-9]*$/\1/p' | head -n 1)
[[ -n $at ]] || fail "no credentials in files.img"
cp -a "$img" "$T/bad2"
"$IMGEDIT" "$T/bad2" files.img "$at.pid=0" || fail "imgedit failed"
expect_restore_fail "$T/bad2" "$root" "with credentials of pid 0"
grep -q "images are inconsistent (unix sockets)" "$CK_ERR" || fail "refused with: $(ck_err_line)"
restore_tree "$img" "$root"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$root")"
assert_tree_not_traced "$root" "$child"
self_check "$root" "$w"
[[ $(check_value scm) == 4 && $(check_value creds) == ok ]] || fail "not all in flight after the restore"
touch "$w/consume"
self_check "$root" "$w"
[[ $(check_value consumed) == 1 && $(check_value scm) == 4 ]] || fail "not received after the restore"
# Received once: nothing is left in the queues.
n=$(count_lines "$w/out" '^CHECK ')
kill -USR2 "$root"
wait_for 20 "a CHECK line" more_lines_than "$w/out" '^CHECK ' "$n" || fail "no answer to the last check"
last=$(grep -E '^CHECK ' "$w/out" | tail -n 1)
[[ $last == "CHECK FAIL stream: got -"*"dgram: got -"*"seqpacket: got -"* ]] ||
	fail "a message was left after being received: $last"
kill_tree "$root" "$child"
assert_no_strays
