#!/bin/bash
# 82-unix-outside-refused.sh - a process (82-unix-client) connected to a
# server outside its tree (81-unix-peer): without --ext-unix-sk the dump
# is refused with one line naming the fd and the server's pid, exit 1,
# nothing left in the images' parent dir; the client runs on untouched
# (not traced nor stopped, its sequence going on, its pings still answered
# on its first connection) and the server saw no new connection.
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
[[ -n $fd ]] || fail "no SOCKETS line from the client"
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"

mkdir "$T/d"
ck_fails "dump of a process connected outside its tree" dump --pid "$pid" --images "$T/d/images"
want="ckpt: cannot dump $pid: fd $fd is a unix socket connected to process $server outside the tree"
[[ $(cat "$CK_ERR") == "$want" ]] || fail "refused with '$(cat "$CK_ERR")', want '$want'"
assert_dump_left_nothing "$T/d"
assert_still_fine "$pid" "$w" 1
[[ $(check_value conn) == 1 ]] || fail "client on connection $(check_value conn) of the server, want 1"
self_check "$server" "$srv"
[[ $(check_value conns) == 1 && $(check_value open) == 1 ]] ||
	fail "server: '$CHECK_LINE', want conns=1 open=1"
assert_no_strays "$pid" "$server"
