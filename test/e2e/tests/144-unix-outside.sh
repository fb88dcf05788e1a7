#!/bin/bash
# 144-unix-outside.sh - a service whose stdout is a unix stream socket to a
# journald-like reader outside its tree (which wants a header first on
# each connection, as journald's stdout socket does), and whose fd 6 is a
# seqpacket socket to that reader (test/e2e/py/unix_outside.py):
# - the dump succeeds (the two sockets are outside ends; the reader sees
#   EOF after the last lines) and `ckpt show` lists both with their IDs;
# - the restore refuses, with one line naming the process, fd 6 and
#   --inherit-fd, when no fd is given for fd 6; it refuses an --inherit-fd
#   for the socket that is not a socket;
# - restored with its stdout on a new stream socketpair and
#   --inherit-fd fd[7]:socket:[INO] on a new seqpacket socketpair: the
#   counter goes on on both exactly from where it was (the first line and
#   record follow the last the reader got), a record sent on the new pair
#   reaches the target, its own check (fd 6 a non-blocking seqpacket
#   socket) passes, and the reader saw no new connection;
# - dumped again with --ext-unix-sk from a new start: fd 1 is still an
#   outside end (a new connection would lack the header), restored on a
#   pipe (write-only: the target checks), fd 6 is connected again to the
#   reader's address, which sees a new connection and gets the counter
#   on it.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/outside.sh
. "$(dirname "$0")/../outside.sh"
e2e_init
need_python

bin=$E2E_TARGETS/144-unix-outside
py=$E2E_DIR/py/unix_outside.py
[[ -x $bin ]] || fail "target $bin not built"
j=$T/j
mkdir "$j"
# In a session of its own: not a stray of the refused restores below.
spawn "$j" setsid "$PYTHON" -I -S "$py" journal "$j"
wait_ready "$TARGET_PID" "$j"

# launch W: the target on W, its stdout and fd 6 to the reader; sets pid.
launch() {
	local w=$1
	mkdir "$w"
	"$PYTHON" -I -S "$py" launch "$j" "$bin" "$w" </dev/null || fail "the launcher failed"
	pid=$(cat "$w/pid")
	track_pid "$pid"
	wait_for 20 "READY" has_line "$w/state" "^READY pid=$pid\$" || fail "the target never said READY: $(cat "$w/err")"
}

w=$T/w
launch "$w"
log "target $pid"
wait_for 20 "the counter on stdout" n_beyond "$j/j1.log" 50 || fail "no counter on the journal"
wait_for 20 "the counter on fd 6" n_beyond "$j/j6.log" 50 || fail "no counter on fd 6"
wait_for 20 "the reader's hello" has_line "$w/got" '^GOT hello 1$' || fail "the target did not read fd 6"
checked "$w"

img=$T/img
ck_ok dump --pid "$pid" --images "$img"
wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "the target survived its dump"
# The reader sees EOF on both after the last lines written before the dump.
wait_for 20 "EOF on the journal" has_line "$j/events" '^EOF stream 1$' || fail "no EOF on the stdout socket"
wait_for 20 "EOF on fd 6" has_line "$j/events" '^EOF six 1$' || fail "no EOF on the fd 6 socket"

ck_ok show --images "$img"
id6=$(sed -n "s/^  outside end \(socket:\[[0-9]*\]\): socket end of process $pid's fd 6 .*/\1/p" "$CK_OUT")
[[ -n $id6 ]] || fail "ckpt show lists no outside end for fd 6: $(grep outside "$CK_OUT")"
grep -q "^  outside end socket:\[[0-9]*\]: socket end of process $pid's fd 1 (restore: the restoring command's own fd" "$CK_OUT" ||
	fail "ckpt show lists no outside end for fd 1"
log "fd 6 was $id6"

# Without a socket for fd 6: refused, nothing left, images untouched.
expect_restore_fail "$img" "$pid" "without --inherit-fd for fd 6"
grep -qF "process $pid has at fd 6 a socket to a process outside the tree: give it with --inherit-fd fd[N]:$id6" "$CK_ERR" ||
	fail "refused with '$(cat "$CK_ERR")'"
ck restore --images "$img" --detach --inherit-fd "fd[0]:$id6"
ck_assert_failed "an --inherit-fd that is no socket (/dev/null)"
grep -qF "fd 0 is not a socket" "$CK_ERR" || fail "refused with '$(cat "$CK_ERR")'"
assert_no_strays

# The restore with its stdout and fd 7 on new socketpairs.
last1=$(last_n "$j/j1.log") last6=$(last_n "$j/j6.log")
log "stdout stopped at $last1, fd 6 at $last6"
"$PYTHON" -I -S "$py" restore "$T" 7 "$CKPT" restore --images "$img" --detach \
	--inherit-fd "fd[7]:$id6" </dev/null &
restorer=$!
track_pid $restorer
restore_returned "$pid"

goes_on "$T/n2" "$T/f2" "$last1" "$last6" 6
kill -USR1 $restorer
wait_for 20 "the record sent after the restore" has_line "$w/got" '^GOT hello 2$' ||
	fail "the restored target does not read its new fd 6"
checked "$w"
[[ $(grep -c '^CONN' "$j/events") == 2 ]] || fail "the reader saw new connections: $(cat "$j/events")"
kill_restored "$pid"
wait "$restorer"

# --ext-unix-sk: fd 6 connected again to six.sock, fd 1 still an outside end.
w=$T/w2
launch "$w"
wait_for 20 "the second connection on six.sock" has_line "$j/events" '^CONN six 2$' || fail "no second connection"
# Its hello read: --ext-unix-sk refuses a connection with data unread.
wait_for 20 "the reader's hello" has_line "$w/got" '^GOT hello 1$' || fail "the target did not read fd 6"
img=$T/img2
ck_ok dump --pid "$pid" --images "$img" --ext-unix-sk
wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "the target survived its dump"
ck_ok show --images "$img"
grep -q "^  outside end socket:\[[0-9]*\]: socket end of process $pid's fd 1 " "$CK_OUT" ||
	fail "ckpt show lists no outside end for fd 1 with --ext-unix-sk"
! grep -q "^  outside end .* fd 6 " "$CK_OUT" || fail "fd 6 is an outside end with --ext-unix-sk"
rm -f "$T/restore.rc" "$T/n2" "$T/f2"
"$PYTHON" -I -S "$py" restore-pipe "$T" 7 "$CKPT" restore --images "$img" --detach </dev/null &
restorer=$!
track_pid $restorer
wait_for 30 "the restore to return" test -s "$T/restore.rc" || fail "the restore did not return"
cat "$T/restore.err" >&2
[[ $(cat "$T/restore.rc") == "restore exit 0" ]] ||
	fail "the restore with --ext-unix-sk failed: $(head -c 300 "$T/restore.err")"
track_pid "$pid"
wait_for 20 "the third connection on six.sock" has_line "$j/events" '^CONN six 3$' || fail "fd 6 was not connected again"
wait_for 20 "the hello on the new connection" more_lines_than "$w/got" '^GOT hello 1$' 1 ||
	fail "the target did not read the hello of its new connection"
n6=$(grep -c '^F ' "$j/j6.log")
wait_for 20 "records on the new connection" more_lines_than "$j/j6.log" '^F ' $((n6 + 20)) || fail "no counter on the new connection"
wait_for 20 "the counter on the new stdout" n_beyond "$T/n2" 20 || fail "the counter did not go on on the new stdout"
[[ $(grep -c '^CONN stream' "$j/events") == 2 ]] || fail "stdout was connected again: $(cat "$j/events")"
! grep -q BADHDR "$j/j1.log" || fail "the journal got a connection without a header"
checked "$w"
kill_restored "$pid"
wait "$restorer"
