#!/bin/bash
# 140-pipe-outside.sh - a program in the middle of a shell pipeline,
# `cat FEED | 140-pipe-outside 5>(cat >F1) | cat >N1`, dumped alone: its
# stdin, stdout and fd 5 are pipes to processes outside the tree.
# - `ckpt show` lists the three outside ends with their IDs;
# - the restore refuses, with one line naming the process, fd 5 and
#   --inherit-fd, when no fd is given for fd 5; it refuses an --inherit-fd
#   that is not a pipe, or that names no outside end of the set;
# - restored as `cat FEED2 | ckpt restore --inherit-fd fd[7]:ID 7>(cat >F2)
#   | cat >N2`: the target's counter goes on on the new stdout and fd 5
#   exactly from where it was (the first line of N2 and F2 follows the last
#   of N1 and F1), lines fed into the new stdin reach it, and its own check
#   (stdin still O_NONBLOCK, pipes of the right direction) passes;
# - hostile outside ends (fd number, pid, kind of file) are refused.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/outside.sh
. "$(dirname "$0")/../outside.sh"
e2e_init

bin=$E2E_TARGETS/140-pipe-outside
[[ -x $bin ]] || fail "target $bin not built"
w=$T/w
mkdir "$w"
mkfifo "$w/feed1" "$w/feed2"
# Held open read-write here, so that the feeders never see EOF.
exec {feed1}<>"$w/feed1" {feed2}<>"$w/feed2"

# The pipeline, in a subshell with no fd but 0-2 (and the fifos' feeders
# open them themselves).
(
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		((fd > 2)) && exec {fd}>&-
	done
	# fd 5's reader a child of this subshell, not of the target; its
	# write end the target's alone.
	exec 5> >(
		echo "$BASHPID" >"$w/f1.pid"
		exec cat >"$w/f1"
	)
	{
		exec 5>&-
		echo "$BASHPID" >"$w/feeder1.pid"
		exec cat "$w/feed1"
	} | "$bin" "$w" | {
		exec 5>&-
		echo "$BASHPID" >"$w/n1.pid"
		exec cat >"$w/n1"
	} &
	exec 5>&-
	wait
) </dev/null 2>>"$w/err" &
sub1=$!
track_pid $sub1
wait_for 20 "READY" has_line "$w/state" '^READY pid=' || fail "the target never said READY"
pid=$(sed -n 's/^READY pid=//p' "$w/state")
track_pid "$pid"
log "target $pid"

wait_for 20 "the counter on stdout" n_beyond "$w/n1" 50 || fail "no counter on stdout"
wait_for 20 "the counter on fd 5" n_beyond "$w/f1" 50 || fail "no counter on fd 5"
echo "hello one" >&"$feed1"
wait_for 20 "the first line read" has_line "$w/got" '^GOT hello one$' || fail "the target did not read its stdin"

img=$T/img
ck_ok dump --pid "$pid" --images "$img"
wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "the target survived its dump"
# The readers see EOF after the last lines written before the dump; the
# feeder would wait for a line to write.
wait_gone "$(cat "$w/n1.pid")"
wait_gone "$(cat "$w/f1.pid")"
kill "$(cat "$w/feeder1.pid")"
wait "$sub1"

ck_ok show --images "$img"
id5=$(sed -n "s/^  outside end \(pipe:\[[0-9]*\]\): write end of process $pid's fd 5 .*/\1/p" "$CK_OUT")
[[ -n $id5 ]] || fail "ckpt show lists no outside end for fd 5: $(grep outside "$CK_OUT")"
for fd in 0 1; do
	grep -q "^  outside end pipe:\[[0-9]*\]: .* end of process $pid's fd $fd " "$CK_OUT" ||
		fail "ckpt show lists no outside end for fd $fd"
done
log "fd 5 was $id5"

# Without a pipe for fd 5: refused, nothing left, images untouched.
expect_restore_fail "$img" "$pid" "without --inherit-fd for fd 5"
grep -qF "process $pid has at fd 5 a pipe to a process outside the tree: give it with --inherit-fd fd[N]:$id5" "$CK_ERR" ||
	fail "refused with '$(cat "$CK_ERR")'"
ck restore --images "$img" --detach --inherit-fd "fd[0]:$id5"
ck_assert_failed "an --inherit-fd that is no pipe (/dev/null)"
grep -q "is not a pipe or FIFO" "$CK_ERR" || fail "refused with '$(cat "$CK_ERR")'"
ck restore --images "$img" --detach --inherit-fd "fd[1]:pipe:[1]"
ck_assert_failed "an --inherit-fd for no outside end"
grep -qF "has no outside end pipe:[1]" "$CK_ERR" || fail "refused with '$(cat "$CK_ERR")'"
ck restore --images "$img" --detach --inherit-fd "fd[77]:$id5"
ck_assert_failed "an --inherit-fd of an fd ckpt does not have"
assert_no_strays

# Hostile outside ends: refused before anything is made.
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
hostile() { # EDIT...
	local bad
	bad=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$img/." "$bad/"
	"$IMGEDIT" "$bad" files.img "$@" || fail "imgedit $* failed"
	expect_restore_fail "$bad" "$pid" "with $*"
	grep -qF "images are inconsistent (outside end)" "$CK_ERR" || fail "restore with $*: $(ck_err_line)"
}
hostile "files[1].outside_fd=4294967295"
hostile "files[1].outside_pid=4294967295"
hostile "files[1].mode=0100644"
hostile "files[2].kind=25"

# The restore in a new pipeline; it returns at once (--detach).
last1=$(last_n "$w/n1") last5=$(last_n "$w/f1")
log "stdout stopped at $last1, fd 5 at $last5"
(
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		((fd > 2)) && exec {fd}>&-
	done
	# shellcheck disable=SC2002 # stdin a pipe, not the FIFO itself
	cat "$w/feed2" | {
		timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" restore --images "$img" --detach \
			--inherit-fd "fd[7]:$id5" 7> >(exec cat >"$w/f2") 2>"$T/restore.err"
		echo "restore exit $?" >"$T/restore.rc"
	} | cat >"$w/n2"
) </dev/null &
track_pid $!
restore_returned "$pid"

goes_on "$w/n2" "$w/f2" "$last1" "$last5" 5
echo "hello two" >&"$feed2"
wait_for 20 "the line fed after the restore" has_line "$w/got" '^GOT hello two$' ||
	fail "the restored target does not read its new stdin"

checked "$w"
kill_restored "$pid"
