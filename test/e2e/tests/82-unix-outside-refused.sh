#!/bin/bash
# 82-unix-outside-refused.sh - a process (82-unix-client) connected to a
# server outside its tree (81-unix-peer): without --ext-unix-sk its two
# sockets (stream and datagram) are outside ends, like pipes to the
# outside (144-unix-outside restores them): `ckpt show` lists them, and
# the restore is refused with one line naming the process, the fd and
# --inherit-fd, exit 1, no process left, the images untouched; the server
# saw the connection end and no new one.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

srv=$T/srv
w=$T/w
start_target "$srv" 81-unix-peer
server=$TARGET_PID
start_target "$w" 82-unix-client --server "$srv"
pid=$TARGET_PID
fd=$(sed -n 's/^SOCKETS stream=\([0-9]*\) .*/\1/p' "$w/out")
dfd=$(sed -n 's/^SOCKETS stream=[0-9]* dgram=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $fd && -n $dfd ]] || fail "no SOCKETS line from the client"
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"

img=$T/img
dump_and_reap "$pid" "$img"
ck_ok show --images "$img"
for f in "$fd" "$dfd"; do
	grep -q "^  outside end socket:\[[0-9]*\]: socket end of process $pid's fd $f (restore: needs --inherit-fd" "$CK_OUT" ||
		fail "ckpt show lists no outside end for fd $f: $(grep outside "$CK_OUT")"
done
id=$(sed -n "s/^  outside end \(socket:\[[0-9]*\]\): socket end of process $pid's fd $fd .*/\1/p" "$CK_OUT")
d0=$(image_digest "$img")
ck restore --images "$img" --detach
ck_assert_failed "restore of a client connected outside its tree, without --inherit-fd"
[[ -e /proc/$pid ]] && fail "PID $pid exists after the failed restore: $(describe_pid "$pid")"
[[ $(image_digest "$img") == "$d0" ]] || fail "the failed restore changed the images"
want="ckpt: cannot restore: process $pid has at fd $fd a socket to a process outside the tree: give it with --inherit-fd fd[N]:$id"
[[ $(cat "$CK_ERR") == "$want" ]] || fail "refused with '$(cat "$CK_ERR")', want '$want'"
server_closed() { self_check "$server" "$srv" && [[ $(check_value open) == 0 ]]; }
wait_for 10 "the server to see the connection end" server_closed || fail "server: '$CHECK_LINE', want open=0"
[[ $(check_value conns) == 1 ]] || fail "server: '$CHECK_LINE', want conns=1"
assert_no_strays "$server"
