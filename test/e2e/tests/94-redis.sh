#!/bin/bash
# 94-redis.sh - a real program nobody here wrote: redis-server (no
# persistence, loopback, a free port) holding keys, with the test as a
# client connected over loopback the whole time. Dump (kills), restore:
# the same connection gets the keys back (GET, a 64 KiB value included),
# redis still knows it as the same client (CLIENT INFO: id, addresses, fd),
# it can SET and GET new keys, and a new connection works too.
# Skipped only if redis-server is not installed.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
e2e_init
export LC_ALL=C # RESP counts bytes

command -v redis-server >/dev/null || skip "redis-server is not installed"
w=$T/w
mkdir -p "$w" "$T/data"
port=$(free_port)
spawn "$w" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$T/data" --daemonize no
pid=$TARGET_PID
wait_for 20 "redis to listen on port $port" listening "$port" ||
	fail "redis-server does not listen: $(tail -n 3 "$w/out")"
r=''
tcp_open r 127.0.0.1 "$port"
[[ $(redis "$r" SET greeting hello) == +OK ]] || fail "SET failed"
big=$(head -c 49152 /dev/urandom | base64 -w 0)
[[ $(redis "$r" SET big "$big") == +OK ]] || fail "SET big failed"
[[ $(redis "$r" RPUSH list a b c) == :3 ]] || fail "RPUSH failed"
info0=$(client_info "$r")
log "client before the dump: $info0"

dump_tree "$pid" "$T/images"
(($(established_to "$port") == 1)) || fail "the client connection did not survive the kill"
restore_tree "$T/images" "$pid"

[[ $(redis "$r" GET greeting) == hello ]] || fail "GET greeting after the restore"
[[ $(redis "$r" GET big) == "$big" ]] || fail "GET big after the restore: not the same 64 KiB"
[[ $(redis "$r" LRANGE list 0 -1) == "*3" ]] || fail "LRANGE after the restore"
for v in a b c; do
	[[ $(resp_reply "$r") == "$v" ]] || fail "list item $v lost"
done
info1=$(client_info "$r")
[[ $info1 == "$info0" ]] || fail "redis sees another client: $info1, was $info0"
[[ $(redis "$r" SET after restore) == +OK ]] || fail "SET after the restore"
[[ $(redis "$r" GET after) == restore ]] || fail "GET of a new key"
[[ $(redis "$r" DBSIZE) == :4 ]] || fail "DBSIZE after the restore"
r2=''
tcp_open r2 127.0.0.1 "$port"
[[ $(redis "$r2" PING) == +PONG ]] || fail "a new connection does not get PONG"
[[ $(redis "$r2" GET after) == restore ]] || fail "a new connection does not see the new key"
kill_tree "${TREE_PIDS[@]}"
fd_close "$r"
fd_close "$r2"
assert_no_strays
