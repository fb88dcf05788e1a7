#!/bin/bash
# 81-unix-ext-sk.sh - a process (82-unix-client) connected to a server
# outside its tree (81-unix-peer, started here): a stream connection to
# its listener and a datagram socket connected to its syslog-like socket.
# Dump with --ext-unix-sk (kills the client; the server sees its
# connection end), restore: the client is connected again to both
# addresses: its pings are answered on a new connection of the server's
# (conn=2), its datagrams reach the server. Restored again once the server
# is gone, it fails cleanly, saying what it could not reach.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

srv=$T/srv
w=$T/w
img=$T/images
start_target "$srv" 81-unix-peer
server=$TARGET_PID
start_target "$w" 82-unix-client --server "$srv"
pid=$TARGET_PID
self_check "$pid" "$w"
[[ $(check_value conn) == 1 ]] || fail "client on connection $(check_value conn) of the server, want 1"

server_says() { # KEY VALUE: the server's self-check reports KEY=VALUE
	self_check "$server" "$srv" 2>/dev/null && [[ $(check_value "$1") == "$2" ]]
}

ck_ok dump --pid "$pid" --images "$img" --ext-unix-sk
reap "$pid"
((REAP_STATUS == 137)) || fail "after the dump $pid ended with status $REAP_STATUS, want 137 (SIGKILL)"
wait_for 10 "the server to see the client's connection end" server_says open 0 ||
	fail "the server still has the dumped client's connection open"

restore_detached "$img" "$pid"
self_check "$pid" "$w"
[[ $(check_value round) == 2 ]] || fail "round $(check_value round) after the restore, want 2"
[[ $(check_value conn) == 2 ]] || fail "client on connection $(check_value conn) of the server after the restore, want 2 (a new one)"
self_check "$server" "$srv"
[[ $CHECK_LINE == *" conns=2 open=1 dgrams=2 last=log_2 peers=0,0" ]] ||
	fail "server: '$CHECK_LINE', want conns=2 open=1 dgrams=2 last=log_2 peers=0,0"
self_check "$pid" "$w"
[[ $(check_value conn) == 2 ]] || fail "client on connection $(check_value conn), want 2"
kill_restored "$pid"

# Nothing to connect to any more: the restore says so and leaves nothing.
kill -9 "$server"
reap "$server"
expect_restore_fail "$img" "$pid" "with the server gone"
grep -q "again to '$srv/server.sock' outside the tree" "$CK_ERR" ||
	fail "the failed restore does not name the address: $(cat "$CK_ERR")"
