#!/bin/bash
# 300-stream-roundtrip.sh - `ckpt dump --images - | ckpt restore --images -`:
# a tree of five processes (53-fork-ring: a ring of pipes with data in
# flight, shared anonymous memory, copy-on-write pages, one records file
# description shared by all, its offset going on) moved through a pipe with
# nothing written to disk: the tree comes back with its ids, passes its own
# check (pages, token, pipe contents), the records file goes on with no
# overwrite or hole (the shared offset), and no stage is left in /dev/shm.
# A terminal on stdout is refused, the tree untouched.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/stream.sh
. "$E2E_DIR/stream.sh"
e2e_init

records_ok() { # FILE: record k is token k (a last partial record ignored); sets REC_N
	local snap=$T/records.snap bad
	cp -- "$1" "$snap" || fail "cannot read $1"
	[[ -s $snap && -n $(tail -c 1 "$snap") ]] && sed -i '$d' "$snap"
	bad=$(LC_ALL=C awk '$1 + 0 != NR { printf "record %d is \"%s\"", NR, substr($0, 1, 40); exit }' "$snap")
	[[ -z $bad ]] || fail "records file broken: $bad"
	REC_N=$(wc -l <"$snap")
}
records_beyond() { (($(wc -l <"$1") > $2)); }

w=$T/w
start_target "$w" 53-fork-ring
root=$TARGET_PID
IFS=, read -ra RING < <(sed -n 's/^RING pids=//p' "$w/out")
((${#RING[@]} == 5)) || fail "no RING line with five pids"
track_pids "${RING[@]}"
send_usr1 "$root" "$w" 1
stream_stages_mark

# A stream is never written to a terminal (script gives ckpt a pty).
if command -v script >/dev/null; then
	(cd "$T" && timeout 20 script -qec "$CKPT dump --pid $root --images -" /dev/null) >"$T/tty.out" 2>&1
	grep -q 'ckpt: cannot dump .*terminal' "$T/tty.out" || fail "a terminal on stdout was not refused: $(head -c 300 "$T/tty.out")"
fi
self_check "$root" "$w"
stash0=$(check_value stash_left)
ids0=$(tree_snapshot "$root")

mapfile -t TREE_PIDS < <(tree_pids "$root")
stream_pipe_bg "$root" "dump --pid $root" "restore --detach"
((DUMP_RC == 0)) || fail "dump failed (exit $DUMP_RC): $(head -c 300 "$T/dump.err")"
((REST_RC == 0)) || fail "restore failed (exit $REST_RC): $(head -c 300 "$T/rest.err")"
track_pids "${TREE_PIDS[@]}"
assert_no_stage_left
for p in "${TREE_PIDS[@]}"; do [[ -e /proc/$p ]] || fail "PID $p of the tree is not back"; done
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$root")"
send_usr1 "$root" "$w" 2
self_check "$root" "$w"
[[ $(check_value stash_left) == $((stash0 - 500)) ]] ||
	fail "stash pipe: $(check_value stash_left) bytes left, want $((stash0 - 500))"
records_ok "$w/records"
r0=$REC_N
wait_for 10 "the token to go round" records_beyond "$w/records" $((r0 + 200)) ||
	fail "the token does not go round any more"
records_ok "$w/records"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
