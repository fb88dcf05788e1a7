#!/bin/bash
# 92-inet-leave-running.sh - the 90-inet target with the test as its client
# (the server's send queue full, a message waiting in its receive queue):
# a dump while a connection waits to be accepted is refused (one line naming
# the listening socket's fd), leaves nothing behind, and that connection is
# then accepted as if nothing happened; a dump with --leave-running leaves
# every socket as it was (the queues, SO_REUSEADDR that repair mode clears,
# the connection inside the tree): the client then gets the whole stream
# and the next message, and the server reads the message.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
e2e_init

w=$T/w
host=$(loopback 4)
c='' c3=''
inet_start "$w" 4
pid=$INET_PID tcp=$INET_TCP c=$INET_FD
queues_snapshot "$pid" "$w" "$tcp"
inq0=$Q_INQ outq0=$Q_OUTQ recvq0=$Q_RECVQ

touch "$w/hold"
tcp_open c3 "$host" "$tcp"
mkdir "$T/d"
ck_fails "dump with a connection not accepted yet" dump --pid "$pid" --images "$T/d/images"
grep -q "fd 3 is a listening TCP socket with 1 connection not accepted yet" "$CK_ERR" ||
	fail "the error does not name the listening socket: $(ck_err_line)"
assert_dump_left_nothing "$T/d"
assert_not_traced "$pid"
rm "$w/hold"
read -r -t 10 -u "$c3" line || fail "the waiting connection is never accepted after the failed dump"
[[ $line == HELLO2 ]] || fail "the waiting connection got '$line', want HELLO2"

ck_ok dump --pid "$pid" --images "$T/images" --leave-running
assert_not_traced "$pid"
queues_kept "$pid" "$w" "$inq0" "$outq0" "$tcp" "$recvq0"
stream_completes "$pid" "$w" "$c" "$tcp"
self_check "$pid" "$w"
[[ $(check_value phase) == 2 ]] || fail "phase $(check_value phase), want 2"
kill_tree "$pid"
fd_close "$c"
fd_close "$c3"
assert_no_strays
