# shellcheck shell=bash
# pthreads_roundtrip takes an optional argument:
# shellcheck disable=SC2119,SC2120
# roundtrip.sh - the whole flows of the basic tests (01, 02) and of the
# pthreads tests (50, 51), sourced after lib.sh.

# basic_roundtrip TARGET: the whole life of test 1 (and 2) on TARGET
# (01-basic or its static build): SIGUSR1 x3, self-check, dump (kills),
# restore --detach, SIGUSR1 x3 more, self-check (count 6, TLS not back),
# the seq file goes on 1..M with no gap or repeat.
basic_roundtrip() {
	local w=$T/w shm img pid tls1 tls2 m0 id0 id1 k
	new_tmp shm /dev/shm
	img=$shm/images
	start_target "$w" "$1"
	pid=$TARGET_PID
	for k in 1 2 3; do send_usr1 "$pid" "$w" "$k"; done
	self_check "$pid" "$w"
	tls1=$(check_value tls)
	[[ $(check_value usr1) == 3 ]] || fail "usr1 count $(check_value usr1) before the dump, want 3"
	id0=$(proc_identity "$pid")
	dump_and_reap "$pid" "$img"
	seq_verify "$w/seq"
	m0=$SEQ_N
	log "sequence at the dump: 1..$m0"
	((m0 > 0)) || fail "empty sequence file before the dump"
	restore_detached "$img" "$pid"
	id1=$(proc_identity "$pid")
	[[ $id1 == "$id0" ]] || fail "restored process differs: $id1, was $id0"
	for k in 4 5 6; do send_usr1 "$pid" "$w" "$k"; done
	self_check "$pid" "$w"
	[[ $(check_value usr1) == 6 ]] || fail "usr1 count $(check_value usr1) after the restore, want 6"
	tls2=$(check_value tls)
	((tls2 >= tls1)) || fail "TLS counter went back: $tls2 after the restore, $tls1 before"
	wait_seq_beyond "$w/seq" $((m0 + 50))
	log "sequence after the restore: 1..$SEQ_N"
	kill_restored "$pid"
	seq_verify "$w/seq"
	assert_no_strays
}

# pthreads_roundtrip [fds]: 50-pthreads (with its "fds" mode if given):
# self-check, dump (kills), restore; the same threads (TIDs, names) and ids
# come back, nothing is left traced, and the self-check passes twice more
# (every thread progresses, the waitee is released and joined each time, the
# shared counter equals the sum of the TLS counters and went on).
pthreads_roundtrip() {
	local w=$T/w img=$T/images pid th0 ids0 total0
	start_target "$w" 50-pthreads "$@"
	pid=$TARGET_PID
	send_usr1 "$pid" "$w" 1
	self_check "$pid" "$w"
	total0=$(check_value total)
	[[ $(check_value joins) == 1 ]] || fail "joins=$(check_value joins) after one check, want 1"
	th0=$(thread_snapshot "$pid")
	ids0=$(tree_snapshot "$pid")
	log "threads: $(printf '%s\n' "$th0" | wc -l)"
	dump_tree "$pid" "$img"
	restore_tree "$img" "$pid"
	assert_same "threads (pid tid name)" "$th0" "$(thread_snapshot "$pid")"
	assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$pid")"
	assert_in_caller_session "$pid"
	assert_not_traced "$pid"
	send_usr1 "$pid" "$w" 2
	self_check "$pid" "$w"
	(($(check_value total) > total0)) || fail "shared counter $(check_value total), was $total0 before the dump"
	[[ $(check_value joins) == 2 ]] || fail "joins=$(check_value joins) after the restore, want 2"
	self_check "$pid" "$w"
	[[ $(check_value joins) == 3 ]] || fail "joins=$(check_value joins), want 3"
	kill_tree "$pid"
	assert_no_strays
}
