#!/bin/bash
# 95-http-server.sh - a real program nobody here wrote: python3 -m
# http.server on a dual-stack socket ([::], so IPv4 clients come as
# ::ffff:127.0.0.1), serving a 133 KiB file. Before the dump a request gets
# the file, and the test opens a connection over IPv4 without a request on
# it: a handler thread of the server waits on it. Dump (kills), restore:
# the request sent then on that old connection gets 200 and the file (the
# server logs it as from ::ffff:127.0.0.1), and new requests over IPv4 and
# IPv6 get it too.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
e2e_init
need_python

w=$T/w www=$T/www
mkdir -p "$w" "$www"
head -c 100000 /dev/urandom | base64 >"$www/page.txt"
spawn "$w" "$PYTHON" -u -m http.server --bind :: --directory "$www" 0
pid=$TARGET_PID
wait_for 20 "http.server to listen" has_line "$w/out" '^Serving HTTP on .* port [0-9]+' ||
	fail "http.server does not listen: $(tail -n 3 "$w/err")"
port=$(sed -n 's/^Serving HTTP on .* port \([0-9]*\) .*/\1/p' "$w/out")
http_get 127.0.0.1 "$port" /page.txt "$T/before"
http_ok "$T/before" "$www/page.txt"
wait_for 10 "the handler thread to end" has_threads "$pid" 1 ||
	fail "http.server has $(nr_threads "$pid") threads after a request, want 1"
h=''
tcp_open h 127.0.0.1 "$port"
wait_for 10 "a handler thread for the new connection" has_threads "$pid" 2 ||
	fail "http.server did not take the connection: $(nr_threads "$pid") threads"
threads0=$(thread_snapshot "$pid")

dump_tree "$pid" "$T/images"
(($(established_to "$port") == 1)) || fail "the client connection did not survive the kill"
restore_tree "$T/images" "$pid"
assert_same "threads (pid tid name)" "$threads0" "$(thread_snapshot "$pid")"

http_ask "$h" /page.txt "$T/old"
http_ok "$T/old" "$www/page.txt"
fd_close "$h"
(($(grep -c '^::ffff:127.0.0.1 .*"GET /page.txt HTTP/1.0" 200' "$w/err") == 2)) ||
	fail "the server did not log both requests from ::ffff:127.0.0.1: $(tail -n 2 "$w/err")"
http_get 127.0.0.1 "$port" /page.txt "$T/after4"
http_ok "$T/after4" "$www/page.txt"
http_get ::1 "$port" /page.txt "$T/after6"
http_ok "$T/after6" "$www/page.txt"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
