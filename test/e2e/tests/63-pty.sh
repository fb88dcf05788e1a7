#!/bin/bash
# 63-pty.sh - a process that owns a pseudo-terminal (63-pty: it holds the
# master, its child runs on the slave as its controlling terminal, with its
# own termios and the window size the master set): dump (kills both),
# restore; the child is again the session leader owning the terminal and its
# foreground group, with the same termios and window size, and they still
# talk through it (the root's self-check asks the child through the pty).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 63-pty
pid=$TARGET_PID
self_check "$pid" "$w"
child=$(check_value child)
track_pid "$child"
ids0=$(tree_snapshot "$pid")
[[ $(readlink "/proc/$child/fd/0") == /dev/pts/* ]] || fail "the child's stdin is not a pty"
tty_nr0=$(proc_stat_field "$child" 7)
((tty_nr0 != 0)) || fail "the child has no controlling terminal"
dump_tree "$pid" "$img"
restore_tree "$img" "$pid"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$pid")"
[[ $(readlink "/proc/$child/fd/0") == /dev/pts/* ]] || fail "the restored child's stdin is $(readlink "/proc/$child/fd/0")"
(($(proc_stat_field "$child" 7) != 0)) || fail "the restored child has no controlling terminal"
[[ $(proc_stat_field "$child" 8) == "$child" ]] || fail "the child's terminal has foreground group $(proc_stat_field "$child" 8), want $child"
self_check "$pid" "$w"
self_check "$pid" "$w"
kill_tree "$pid" "$child"
assert_no_strays
