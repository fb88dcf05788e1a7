#!/bin/bash
# 161-memcached.sh - memcached as Debian packages it: started by root with
# -u memcache (it drops to its packaged user itself), four worker threads
# (-t 4) and libevent, on loopback at a free port (not the system
# service). The test sets keys (one of 200 KiB, one with flags) over a
# connection it keeps open. Dump (kills), restore: the same connection gets
# every key back with its flags, memcached runs as memcache with its
# threads, a new connection sees the keys and can set more, and stats show
# the same curr_items and the same total_connections plus the new one.
# Skipped only if memcached is not installed.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
e2e_init
export LC_ALL=C # the protocol counts bytes

command -v memcached >/dev/null || skip "memcached is not installed"
id memcache >/dev/null 2>&1 || skip "no memcache user (the Debian package makes it)"
mcuid=$(id -u memcache)
w=$T/w
mkdir -p "$w"
port=$(free_port)
spawn "$w" memcached -u memcache -t 4 -l 127.0.0.1 -p "$port" -U 0 -m 64 -c 64
pid=$TARGET_PID
wait_for 20 "memcached to listen on port $port" listening "$port" ||
	fail "memcached does not listen: $(tail -n 3 "$w/err")"
as_memcache() {
	local u
	u=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	[[ $u == "$mcuid $mcuid $mcuid $mcuid" ]] || fail "memcached runs as $u, want memcache ($mcuid)"
}
as_memcache

mc_stat() { # FD NAME
	local l v=''
	printf 'stats\r\n' >&"$1"
	while l=$(mc_line "$1") && [[ $l != END ]]; do
		[[ $l == "STAT $2 "* ]] && v=${l##* }
	done
	printf '%s\n' "$v"
}

c=''
tcp_open c 127.0.0.1 "$port"
big=$(head -c 150000 /dev/urandom | base64 -w 0)
mc_set "$c" greeting 0 hello
mc_set "$c" flagged 4242 "with flags"
mc_set "$c" big 7 "$big"
for i in $(seq 1 50); do mc_set "$c" "k$i" "$i" "v$i-$RANDOM"; done
declare -A want
for i in $(seq 1 50); do want[k$i]=$(mc_get "$c" "k$i"); done
items0=$(mc_stat "$c" curr_items)
conns0=$(mc_stat "$c" total_connections)
((items0 == 53)) || fail "curr_items is $items0 before the dump, want 53"
threads0=$(thread_snapshot "$pid")

dump_tree "$pid" "$T/images"
(($(established_to "$port") == 1)) || fail "the client connection did not survive the kill"
restore_tree "$T/images" "$pid"
as_memcache
assert_same "threads (pid tid name)" "$threads0" "$(thread_snapshot "$pid")"

[[ $(mc_get "$c" greeting) == "0 hello" ]] || fail "get greeting after the restore"
[[ $(mc_get "$c" flagged) == "4242 with flags" ]] || fail "get flagged after the restore: $(mc_get "$c" flagged)"
[[ $(mc_get "$c" big) == "7 $big" ]] || fail "get big after the restore: not the same 200 KiB"
for i in $(seq 1 50); do
	[[ $(mc_get "$c" "k$i") == "${want[k$i]}" ]] || fail "k$i after the restore"
done
[[ $(mc_stat "$c" curr_items) == "$items0" ]] || fail "curr_items $(mc_stat "$c" curr_items), want $items0"
[[ $(mc_stat "$c" total_connections) == "$conns0" ]] ||
	fail "total_connections $(mc_stat "$c" total_connections), want $conns0 (a reconnection?)"
c2=''
tcp_open c2 127.0.0.1 "$port"
[[ $(mc_get "$c2" flagged) == "4242 with flags" ]] || fail "a new connection does not see the keys"
mc_set "$c2" after 1 restore
[[ $(mc_get "$c" after) == "1 restore" ]] || fail "the kept connection does not see a new key"
[[ $(mc_stat "$c2" curr_items) == $((items0 + 1)) ]] || fail "curr_items after a new set"
[[ $(mc_stat "$c2" total_connections) == $((conns0 + 1)) ]] || fail "total_connections after a new connection"
kill_tree "${TREE_PIDS[@]}"
fd_close "$c"
fd_close "$c2"
assert_no_strays
