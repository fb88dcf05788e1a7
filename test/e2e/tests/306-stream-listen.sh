#!/bin/bash
# 306-stream-listen.sh - `ckpt receive --images DIR --listen PATH` takes a
# stream from a unix socket connection, from root or its own uid only
# (SO_PEERCRED). The socket is its owner's only; made world-writable here on
# purpose, a connection from uid nobody sending a valid stream is turned
# away (one line), nothing is stored, and the receive goes on waiting; a
# connection from root then stores the set, which restores (the target's
# own check), and the socket is gone. A TCP address is refused with one
# line.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/stream.sh
. "$E2E_DIR/stream.sh"
e2e_init
need_python
command -v setpriv >/dev/null || skip "no setpriv"

w=$T/w
start_target "$w" 01-basic 4
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
new_tmp pub
chmod 755 "$pub"
timeout -k 5 "$CKPT_TIMEOUT" "$CKPT" dump --pid "$pid" --leave-running --images - </dev/null >"$pub/stream" 2>"$T/dump.err" ||
	fail "dump --leave-running --images - failed: $(head -c 300 "$T/dump.err")"
chmod 644 "$pub/stream"

ck_fails "receive on a TCP address" receive --images "$T/tcp" --listen 127.0.0.1:1
[[ -e $T/tcp ]] && fail "the refused receive made its directory"

sock=$pub/sock
timeout -k 5 60 "$CKPT" receive --images "$T/set" --listen "$sock" </dev/null >"$T/recv.out" 2>"$T/recv.err" &
rpid=$!
track_pid "$rpid"
wait_for 10 "the socket" test -S "$sock" || fail "no socket at $sock: $(cat "$T/recv.err")"
[[ $(stat -c %a "$sock") == 700 ]] || fail "the socket is mode $(stat -c %a "$sock"), want 700 (its owner only)"
chmod 666 "$sock"

send() { # [setpriv ARGS...]: send the stream to the socket
	"$@" "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
try:
    s.sendall(open(sys.argv[2], "rb").read())
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
except OSError:
    pass
' "$sock" "$pub/stream"
}
send setpriv --reuid=65534 --regid=65534 --clear-groups || fail "uid nobody could not connect"
wait_for 10 "the receive to turn nobody away" has_line "$T/recv.err" "turned away" ||
	fail "the connection of uid nobody was not turned away: $(cat "$T/recv.err")"
grep -q "uid 65534" "$T/recv.err" || fail "the refusal does not name the uid: $(cat "$T/recv.err")"
kill -0 "$rpid" 2>/dev/null || fail "the receive ended after turning a peer away"
[[ -e $T/set ]] && fail "the stream of uid nobody was stored"

send || fail "root could not connect"
wait "$rpid"
rc=$?
((rc == 0)) || fail "the receive exited $rc: $(cat "$T/recv.err")"
[[ -e $sock ]] && fail "the socket is left behind"
[[ -e $T/set/inventory.img ]] || fail "no image set stored"

kill -9 "$pid"
reap "$pid"
wait_gone "$pid"
restore_detached "$T/set" "$pid"
self_check "$pid" "$w"
kill_restored "$pid"
assert_no_strays
