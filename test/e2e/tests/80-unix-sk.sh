#!/bin/bash
# 80-unix-sk.sh - a process and its child talking over unix sockets of
# every kind (80-unix-sk): socketpairs (stream, dgram, seqpacket, one shut
# down), a listener on a path with a connection accepted and one waiting,
# a seqpacket listener on an abstract name with one waiting, a datagram
# socket on a path receiving from a named and an unnamed sender, a stream
# socket whose peer was closed, an unbound one; data queued every way at
# the dump. Dump (kills both), restore; same PIDs and ids, and the
# target's self-check passes twice: every byte and datagram queued at the
# dump arrives once, in order, with its boundaries and sender address,
# the connections waiting at the dump are accepted by the right clients,
# the listeners take new connections, the options (buffer sizes,
# SO_PASSCRED, SO_PASSSEC, SO_RCVTIMEO, SO_PEEK_OFF, O_NONBLOCK), names,
# file mode and shutdown state are as they were. Then the socket files:
# listen.sock and dgram.sock are sockets again, with their mode.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 80-unix-sk
root=$TARGET_PID
child=$(sed -n 's/^TREE root=[0-9]* child=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $child ]] || fail "no TREE line from the target"
track_pid "$child"
self_check "$root" "$w"
[[ $(check_value round) == 1 ]] || fail "round $(check_value round) at the first check, want 1"
self_check "$root" "$w"
ids0=$(tree_snapshot "$root")
names0=$(thread_snapshot "$root")
mode0=$(stat -c '%F %a %u %g' "$w/listen.sock")

dump_tree "$root" "$img"
# The socket files stay behind, nobody bound to them any more.
[[ -S $w/listen.sock && -S $w/dgram.sock ]] || fail "the socket files are gone after the dump"

restore_tree "$img" "$root"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$root")"
assert_same "threads (pid tid name)" "$names0" "$(thread_snapshot "$root")"
assert_tree_not_traced "$root" "$child"
self_check "$root" "$w"
[[ $(check_value round) == 3 ]] || fail "round $(check_value round) after the restore, want 3"
# New connections made after the restore are accepted at this one.
self_check "$root" "$w"
[[ $(stat -c '%F %a %u %g' "$w/listen.sock") == "$mode0" ]] ||
	fail "listen.sock is '$(stat -c '%F %a %u %g' "$w/listen.sock")', was '$mode0'"
kill_tree "$root" "$child"
assert_no_strays
