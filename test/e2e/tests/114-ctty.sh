#!/bin/bash
# 114-ctty.sh - a session leader whose controlling terminal is a pty of
# the tree but who holds no fd on its slave (87-ctty): dump (kills),
# restore: the target's own view is as before: /dev/tty opens, the
# terminal belongs to its session (TIOCGSID) and its foreground group is
# the leader's (tcgetpgrp). Then the same with the master held by a child
# in a process group of its own, the terminal's foreground group (a shell
# with a job in the foreground; the leader holds no fd of the pty at all):
# the foreground group is the child's again. Before, both dumps were
# refused ("is open in none of its fds"), and before that the leader came
# back without a controlling terminal.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 87-ctty
pid=$TARGET_PID
self_check "$pid" "$w"
(($(proc_stat_field "$pid" 7) != 0)) || fail "the target has no controlling terminal"
dump_and_reap "$pid" "$img"
restore_detached "$img" "$pid"
self_check "$pid" "$w"
[[ $(check_value sid) == "$pid" && $(check_value fg) == "$pid" ]] ||
	fail "after the restore the terminal is of session $(check_value sid), foreground $(check_value fg)"
(($(proc_stat_field "$pid" 7) != 0)) || fail "the restored target has no controlling terminal"
kill_restored "$pid"

a=$T/a
start_target "$a" 87-ctty away
pid=$TARGET_PID
child=$(sed -n 's/^CHILD pid=\([0-9]*\)$/\1/p' "$a/out")
[[ -n $child ]] || fail "no CHILD line from the target"
track_pid "$child"
self_check "$pid" "$a"
[[ $(check_value fg) == "$child" ]] || fail "the foreground group is $(check_value fg), want $child"
tty0=$(proc_stat_field "$pid" 7)
dump_tree "$pid" "$T/a-images"
restore_tree "$T/a-images" "$pid"
self_check "$pid" "$a"
[[ $(check_value sid) == "$pid" && $(check_value fg) == "$child" ]] ||
	fail "after the restore the terminal is of session $(check_value sid), foreground $(check_value fg)"
(($(proc_stat_field "$child" 7) != 0)) || fail "the restored child has no controlling terminal"
[[ $(proc_stat_field "$child" 8) == "$child" ]] || fail "the child's group is not the foreground: $(proc_stat_field "$child" 8)"
log "terminal before $tty0, after $(proc_stat_field "$pid" 7)"
kill_tree "$pid" "$child"
assert_no_strays
