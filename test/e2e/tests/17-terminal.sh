#!/bin/bash
# 17-terminal.sh - a target whose stdout and stderr are a terminal (run
# under `script`, which gives it a pty): dump (kills it), then restore
# from under another `script`. The restored process must be writing to the
# new terminal: its answer to the self-check arrives through that pty.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v script >/dev/null || skip "no script(1)"
w=$T/w
img=$T/images
mkdir -p "$w"
# stty -onlcr: plain "\n" line ends in the output, as the harness expects.
spawn "$w" script -qfec "stty -onlcr; exec $E2E_TARGETS/01-basic $w" /dev/null
wrapper=$TARGET_PID
wait_for 10 "the target under script" pgrep -P "$wrapper" -x 01-basic >/dev/null ||
	fail "no target under script"
pid=$(pgrep -P "$wrapper" -x 01-basic)
track_pid "$pid"
wait_ready "$pid" "$w"
tty0=$(readlink "/proc/$pid/fd/1")
[[ $tty0 == /dev/pts/* ]] || fail "target stdout is $tty0, not a pty"
self_check "$pid" "$w"
ck_ok dump --pid "$pid" --images "$img"
reap "$wrapper"
wait_gone "$pid"
# The restore stays attached (no --detach): it lives as long as the target.
spawn "$w" script -qfec "stty -onlcr; exec $CKPT restore --images $img" /dev/null
track_pid "$TARGET_PID"
# Restored once ckpt has let it go: its own name back and no tracer (its
# fds are rebuilt before; while they are, fd 1 may be closed for a
# moment; before ckpt seizes it, it is a copy of ckpt).
let_go() {
	local comm
	{ read -r comm <"/proc/$1/comm"; } 2>/dev/null || return 1
	[[ $comm == 01-basic ]] || return 1
	status_fields "/proc/$1/status"
	[[ $ST_TRACER == 0 ]]
}
wait_for 10 "PID $pid to be restored" let_go "$pid" || fail "PID $pid not restored"
track_pid "$pid"
tty1=$(readlink "/proc/$pid/fd/1")
# The old pty is gone with its script (the new one may get its number):
# the self-check answer can only reach $w/out through the new script.
[[ $tty1 == /dev/pts/* ]] || fail "restored stdout is $tty1, want the new pty"
self_check "$pid" "$w"
kill_restored "$pid"
assert_no_strays
