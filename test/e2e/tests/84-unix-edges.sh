#!/bin/bash
# 84-unix-edges.sh - unix sockets in the states that are easy to get wrong
# (py/unix_edges.py): a listener on a relative path, connections accepted
# from a listener closed since, one from a listener whose socket file was
# removed, clients bound to names of their own or autobound (SO_PASSCRED),
# a seqpacket socket shut down with records in it, datagram sockets whose
# peer is closed or that left their socketpair. Dump, restore; the
# self-check passes twice (data exactly once each way, names as they were,
# a new connection by the relative name, the waiting records and datagram
# still there, EPIPE and ENOTCONN where they were), gone.sock is not made
# again and rel.sock is.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

need_python
w=$T/w
start_python "$w" unix_edges.py
pid=$TARGET_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$T/images"
restore_detached "$T/images" "$pid"
self_check "$pid" "$w"
[[ $(check_value round) == 2 ]] || fail "round $(check_value round) after the restore, want 2"
self_check "$pid" "$w"
[[ ! -e $w/gone.sock ]] || fail "the restore made gone.sock again"
[[ -S $w/rel.sock ]] || fail "rel.sock is not a socket after the restore"
kill_restored "$pid"
assert_no_strays
