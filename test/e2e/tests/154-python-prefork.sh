#!/bin/bash
# 154-python-prefork.sh - a python3 pre-fork server (py/prefork.py: a
# parent that loaded 64 MiB of data and a dict, three workers it forked
# after, serving over pipes) keeps its memory shared across a restore:
# the sum of Pss over the four processes (/proc/PID/smaps_rollup) does
# not grow by more than a tenth (a copy per process would make it about
# four times larger), and every worker still answers with the digest of
# the data the parent loaded.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

need_python
w=$T/w
img=$T/images

tree_pss() {
	local p sum=0
	for p in "$@"; do
		sum=$((sum + $(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup")))
	done
	printf '%s\n' "$sum"
}

start_python "$w" prefork.py
pid=$TARGET_PID
IFS=, read -ra WORKERS < <(sed -n 's/^WORKERS pids=//p' "$w/out" | tail -n 1)
((${#WORKERS[@]} == 3)) || fail "no WORKERS line with three pids"
track_pids "${WORKERS[@]}"
self_check "$pid" "$w" 60
pss0=$(tree_pss "$pid" "${WORKERS[@]}")
dump_tree "$pid" "$img"
restore_tree "$img" "$pid"
self_check "$pid" "$w" 60
[[ $(check_value workers) == 3 ]] || fail "workers=$(check_value workers)"
pss1=$(tree_pss "$pid" "${WORKERS[@]}")
log "Pss of the four processes: $pss0 kB before the dump, $pss1 kB after the restore"
((pss1 <= pss0 + pss0 / 10)) ||
	fail "the server's memory grew across the restore: Pss $pss0 kB before, $pss1 kB after"
kill_tree "$pid" "${WORKERS[@]}"
assert_no_strays
