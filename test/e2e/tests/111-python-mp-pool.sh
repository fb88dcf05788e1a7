#!/bin/bash
# 111-python-mp-pool.sh - python3 multiprocessing.Pool(4) mid-computation
# (py/mp_pool.py): its locks and semaphores are sem_open()ed and unlinked
# at once, so the main process and every worker map deleted files of
# /dev/shm. Once a few results are in, dump the whole tree (workers in the
# middle of their chains of hashes or waiting in a shared semaphore, tasks
# queued in the pool's pipes), restore, and say go (SIGUSR1: the main
# process posts the semaphore the workers wait in): the pool finishes
# with the same worker processes, its results are exactly the ones this
# test computes in one process, the multiprocessing.Value counted every
# task under its lock and the multiprocessing.Queue carried every result.
# Before this change the dump was refused (a mapping of a deleted file).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

need_python
w=$T/w
img=$T/images
expect=$("$PYTHON" -I -S "$E2E_DIR/py/mp_pool.py" --expect) || fail "cannot compute the expected result"
start_python "$w" mp_pool.py
pid=$TARGET_PID
workers=$(sed -n 's/^WORKERS //p' "$w/out")
[[ $workers =~ ^[0-9]+(,[0-9]+){3}$ ]] || fail "no WORKERS line: $(head -c 300 "$w/out")"
IFS=, read -r -a wpids <<<"$workers"
track_pids "${wpids[@]}"
wait_for 60 "a first result" has_line "$w/out" '^DONE ' || fail "no result from the pool"
grep -q -E '^(RESULT|GO)' "$w/out" && fail "the pool went on without the gate"
n=$(grep -c '^DONE ' "$w/out")
grep -q ' /dev/shm/sem\..* (deleted)$' "/proc/${wpids[0]}/maps" ||
	fail "worker ${wpids[0]} maps no deleted semaphore of /dev/shm"
# Every deleted file a process maps, by the name /proc shows.
deleted_maps() { grep -o ' /dev/shm/.* (deleted)$' "/proc/$1/maps" | sort; }
maps0=$(deleted_maps "$pid")

dump_tree "$pid" "$img"
log "dumped with $n of 32 results in"
restore_tree "$img" "$pid"
for p in "${wpids[@]}"; do
	[[ -e /proc/$p ]] || fail "worker $p was not restored"
	grep -q ' /dev/shm/sem\..* (deleted)$' "/proc/$p/maps" ||
		fail "worker $p maps no deleted semaphore after the restore"
done
[[ $(deleted_maps "$pid") == "$maps0" ]] ||
	fail "after the restore python maps '$(deleted_maps "$pid" | tr '\n' ' ')', before '$(tr '\n' ' ' <<<"$maps0")'"
kill -USR1 "$pid" || fail "cannot signal $pid"
wait_for 60 "the pool to finish" has_line "$w/out" '^(RESULT|FATAL)' ||
	fail "the pool did not finish after the restore: $(tail -n 2 "$w/out")"
result=$(grep -m1 -E '^(RESULT|FATAL)' "$w/out")
log "$result"
[[ $result == "${expect} workers=$workers" ]] ||
	fail "got '$result', want '$expect workers=$workers'"
wait_for 20 "python to exit" is_dead "$pid" || fail "python did not exit after its result"
kill_tree "$pid" "${wpids[@]}"
assert_no_strays
