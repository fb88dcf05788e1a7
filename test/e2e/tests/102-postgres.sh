#!/bin/bash
# 102-postgres.sh - PostgreSQL 15 as Debian packages it: a cluster made by
# initdb in a temp dir, its postmaster run as postgres (its System V
# segment, shared anonymous memory, /dev/shm segments, unnamed POSIX
# semaphores, pipes, epoll, TCP on 127.0.0.1), a client (psql, outside the
# tree) in the middle of a transaction on its connection. Dump the
# postmaster's tree (kills), restore: the same connection goes on (more
# rows, COMMIT, the count and the sum as written), and a new connection
# sees them. The cluster is stopped and removed even on failure.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

bin=/usr/lib/postgresql/15/bin
[[ -x $bin/postgres && -x /usr/bin/psql ]] || skip "postgresql-15 is not installed"
id postgres >/dev/null 2>&1 || skip "no postgres user"

d=$(mktemp -d /tmp/ckpt-e2e-pg.XXXXXX)
TMPDIRS+=("$d")
chown postgres: "$d"
# A port nobody listens on (other tests run beside this one).
port=$((20000 + ($$ % 20000)))
while [[ -n $(ss -Htln "sport = :$port") ]]; do port=$((port + 1)); done
pg_pid=
stop_pg() {
	[[ -n $pg_pid ]] && kill -9 "$pg_pid" 2>/dev/null
	[[ -n ${client:-} ]] && kill -9 "$client" 2>/dev/null
	# Its segment outlives it.
	[[ -n ${seg:-} ]] && ipcrm -m "$seg" 2>/dev/null
	return 0
}
CLEANUP_HOOKS+=(stop_pg)

runuser -u postgres -- "$bin/initdb" -D "$d/data" -A trust -U postgres >"$d/initdb.log" 2>&1 ||
	fail "initdb failed: $(tail -n 3 "$d/initdb.log")"
spawn "$d" setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/postgres" -D "$d/data" \
	-p "$port" -k "$d" -c listen_addresses=127.0.0.1
pg_pid=$TARGET_PID
pg_ready() { [[ -e $d/data/postmaster.pid ]] && runuser -u postgres -- psql -h 127.0.0.1 -p "$port" -X -A -t -c 'select 1' postgres >/dev/null 2>&1; }
wait_for 60 "postgres to accept connections" pg_ready || fail "postgres did not start: $(tail -n 3 "$d/err")"
seg=$(awk -v p="$pg_pid" 'NR > 1 && $5 == p { print $2 }' /proc/sysvipc/shm | head -n 1)
log "postmaster $pg_pid, System V segment ${seg:-none}"

# The client, outside the tree: statements through a FIFO, answers in a file.
mkfifo "$d/in"
psql -h 127.0.0.1 -p "$port" -U postgres -X -q -A -t postgres <"$d/in" >"$d/out" 2>&1 &
client=$!
track_pid "$client"
exec {sql}>"$d/in"
ask() { # SQL MARK: run SQL, then wait for the line MARK
	printf '%s\nselect %s;\n' "$1" "'$2'" >&"$sql"
	wait_for 30 "psql to answer $2" has_line "$d/out" "^$2\$" || fail "no answer to '$1': $(tail -n 3 "$d/out")"
}
ask "create table t (n int); begin; insert into t select generate_series(1, 100);" m1
grep -qi error "$d/out" && fail "psql: $(grep -i error "$d/out")"

# dump_tree would wait for the session to be empty: psql stays in it.
mapfile -t TREE_PIDS < <(tree_pids "$pg_pid")
track_pids "${TREE_PIDS[@]}"
log "dumping a tree of ${#TREE_PIDS[@]} processes"
ck_ok dump --pid "$pg_pid" --images "$T/images"
reap "$pg_pid"
wait_tree_gone "${TREE_PIDS[@]}"
restore_tree "$T/images" "$pg_pid"
ask "insert into t select generate_series(101, 150); commit; select count(*), sum(n) from t;" m2
grep -qx '150|11325' "$d/out" || fail "after the restore the transaction reads $(tail -n 2 "$d/out")"
grep -qi error "$d/out" && fail "psql: $(grep -i error "$d/out")"
n=$(psql -h 127.0.0.1 -p "$port" -U postgres -X -A -t -c 'select count(*) from t' postgres 2>&1)
[[ $n == 150 ]] || fail "a new connection reads '$n'"
exec {sql}>&-
wait_for 10 "psql to end" is_dead "$client" || fail "psql did not end"
runuser -u postgres -- "$bin/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null 2>&1 || fail "pg_ctl stop failed"
wait_tree_gone "${TREE_PIDS[@]}"
[[ -n $seg ]] && ipcrm -m "$seg" 2>/dev/null
pg_pid=
assert_no_strays
