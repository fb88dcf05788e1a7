#!/bin/bash
# 53-fork-ring.sh - a tree of five processes (root -> a -> b, root -> c -> d)
# passing a token round a ring of pipes, with a shared anonymous mapping,
# private copy-on-write pages, one records file description shared by all
# (fork and dup) and 40000 bytes waiting in a pipe: dump (kills the tree),
# restore; every PID, PPID, PGID, SID and name comes back, the target's
# self-check passes (each process checks its ids and pages, the token and
# the hop counts agree, the pipe still holds exactly its data), and the
# records file holds tokens 1, 2, 3, ... with no overwrite or hole.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

# records_verify FILE: record k is token k, written by process (k-1) % 5,
# whose PID is RING[that index]; a last record still being written is
# ignored. Sets REC_N.
records_verify() {
	local snap bad
	snap=$T/records.snap
	cp -- "$1" "$snap" || fail "cannot read $1"
	if [[ -s $snap && -n $(tail -c 1 "$snap") ]]; then
		sed -i '$d' "$snap"
	fi
	(($(stat -c %s "$snap") % 32 == 0)) || fail "records file: size $(stat -c %s "$snap") is not a multiple of 32"
	bad=$(LC_ALL=C awk -v pids="${RING[*]}" '
		BEGIN { split(pids, pid, " ") }
		length($0) != 31 || $1 + 0 != NR || $2 != (NR - 1) % 5 || $3 + 0 != pid[$2 + 1] {
			printf "record %d is \"%s\"", NR, substr($0, 1, 40); exit
		}' "$snap")
	[[ -z $bad ]] || fail "records file broken: $bad"
	REC_N=$(($(stat -c %s "$snap") / 32))
}

records_beyond() { (($(stat -c %s "$1") / 32 > $2)); }

w=$T/w
img=$T/images
start_target "$w" 53-fork-ring
root=$TARGET_PID
IFS=, read -ra RING < <(sed -n 's/^RING pids=//p' "$w/out")
((${#RING[@]} == 5)) || fail "no RING line with five pids: $(grep -m1 RING "$w/out")"
track_pids "${RING[@]}"
[[ ${RING[0]} == "$root" ]] || fail "RING line starts with ${RING[0]}, not the root $root"
for i in 1 2 3 4; do
	want=$root
	((i == 2)) && want=${RING[1]}
	((i == 4)) && want=${RING[3]}
	[[ $(proc_stat_field "${RING[i]}" 4) == "$want" ]] ||
		fail "ring process $i (${RING[i]}) has parent $(proc_stat_field "${RING[i]}" 4), want $want"
done
send_usr1 "$root" "$w" 1
self_check "$root" "$w"
token0=$(check_value token)
stash0=$(check_value stash_left)
ids0=$(tree_snapshot "$root")
names0=$(thread_snapshot "$root")
log "tree before the dump:"$'\n'"$ids0"
(($(wc -l <<<"$ids0") == 5)) || fail "the tree has $(wc -l <<<"$ids0") processes, want 5"

dump_tree "$root" "$img"
records_verify "$w/records"
r0=$REC_N
log "records at the dump: 1..$r0"
((r0 >= token0)) || fail "$r0 records at the dump, but the token was already $token0"

restore_tree "$img" "$root"
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$root")"
assert_same "threads (pid tid name)" "$names0" "$(thread_snapshot "$root")"
assert_in_caller_session "$root"
assert_tree_not_traced "${TREE_PIDS[@]}"
send_usr1 "$root" "$w" 2
self_check "$root" "$w"
(($(check_value token) > r0)) || fail "token $(check_value token) after the restore, $r0 hops were made before the dump"
[[ $(check_value stash_left) == $((stash0 - 500)) ]] ||
	fail "stash pipe: $(check_value stash_left) bytes left after a check, want $((stash0 - 500))"
wait_for 10 "the token to go round" records_beyond "$w/records" $((r0 + 200)) ||
	fail "the token does not go round any more: $(($(stat -c %s "$w/records") / 32)) records"
self_check "$root" "$w"
[[ $(check_value usr1) == 2 ]] || fail "usr1 count $(check_value usr1), want 2"
kill_tree "${TREE_PIDS[@]}"
records_verify "$w/records"
log "records after the restore: 1..$REC_N"
assert_no_strays
