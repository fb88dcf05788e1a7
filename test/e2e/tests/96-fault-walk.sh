#!/bin/bash
# 96-fault-walk.sh - every fault site of a dump, a pre-dump and a restore,
# one at a time (src/fault.h: the FAULT=1 build of ckpt, CKPT_FAULT=SITE).
#
# The tree is 53-fork-ring (five processes, pipes with data, shared and
# copy-on-write memory, one file description shared by all). For each site
# that `CKPT_FAULT=list` gives, the command that reaches it runs with that
# step failing, and must fail cleanly (exit 1, exactly one line):
#  - a dump (default and --leave-running) or a pre-dump: the tree runs on
#    as it was: the same processes with the same ids, no thread traced or
#    stopped, the same fds, the token goes on round the ring, every
#    process's self-check (ids, its private pages, the shared hop counts,
#    the pipe's data) passes, and nothing is left where the images were to
#    go (no temporary directory);
#  - a restore (of a set dumped once, with the normal binary): no process
#    of the tree is left, nothing else in the session either, no pidfile,
#    and the images are byte for byte what they were (image_digest).
# Steps done once per process are also failed on a later process (SITE@N):
# the seize of the last process, the let-go of the third and of the last
# one (letting the tree go is all or nothing), a later remote call. At the end the images still
# restore with the normal binary and the restored tree checks itself.
# Prints "fault sites: N tried, N survived"; fails unless both are equal.
# e2e-timeout: 900
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
mapfile -t SITES < <(CKPT_FAULT=list "$FCKPT")
((${#SITES[@]} >= 60)) || fail "CKPT_FAULT=list gives ${#SITES[@]} sites: ${SITES[*]:0:5}"
# The normal binary has none: a variable set by whoever runs ckpt as root
# cannot make it fail (its dump and restore below run with one set).
[[ $(CKPT_FAULT=list "$CKPT" --version) == "ckpt "* ]] || fail "the normal ckpt lists fault sites"

# Extra trials on a later process of the tree (the ring has five).
EXTRA=("dump dump_seize@5" "dump dump_files@3" "pre-dump dump_mm@4" "restore restore_regs@5"
	"restore restore_creds_last@4" "restore restore_let_go@3" "restore restore_let_go@5"
	"dump remote_call@10" "dump remote_call@40" "pre-dump remote_call@3"
	"restore remote_call@10" "restore remote_call@40")

dumps=$T/dumps
img=$T/images
mkdir -p "$dumps"

# The view of the tree a failed dump must not change.
fd_view() {
	local p fd
	for p in "$@"; do
		for fd in /proc/"$p"/fd/*; do
			printf '%s %s %s\n' "$p" "${fd##*/}" "$(readlink "$fd")"
		done
	done
}

records() { printf '%s\n' $(($(stat -c %s "$w/records") / 32)); }
records_beyond() { (($(stat -c %s "$w/records") / 32 > $1)); }

starts=0
start_ring() {
	starts=$((starts + 1))
	w=$T/w$starts
	start_target "$w" 53-fork-ring
	ROOT=$TARGET_PID
	IFS=, read -ra RING < <(sed -n 's/^RING pids=//p' "$w/out" | tail -n 1)
	((${#RING[@]} == 5)) || fail "no RING line with five pids"
	track_pids "${RING[@]}"
	self_check "$ROOT" "$w"
	IDS0=$(tree_snapshot "$ROOT")
	FDS0=$(fd_view "${RING[@]}")
}

# One dump or pre-dump with a fault; run in a subshell: fail ends the trial.
dump_trial() { # COMMAND SITE
	local n
	local -a cmd=("$1")
	[[ $1 == dump-lr ]] && cmd=(dump --leave-running)
	ck_cmd env CKPT_FAULT="$2" "$FCKPT" "${cmd[@]}" --pid "$ROOT" --images "$dumps/set"
	ck_assert_failed "$1 with a fault at $2"
	assert_dump_left_nothing "$dumps"
	assert_same "process ids (pid ppid pgid sid state)" "$IDS0" "$(tree_snapshot "$ROOT")"
	assert_tree_not_traced "${RING[@]}"
	assert_same "fds" "$FDS0" "$(fd_view "${RING[@]}")"
	n=$(records)
	wait_for 10 "the token to go round" records_beyond $((n + 20)) ||
		fail "the token stopped after a $1 failed at $2: $(records) records"
	self_check "$ROOT" "$w"
}

restore_trial() { # SITE
	local p
	rm -f -- "$T/pidfile"
	ck_cmd env CKPT_FAULT="$1" "$FCKPT" restore --images "$img" --detach --pidfile "$T/pidfile"
	for p in "${RING[@]}"; do [[ -e /proc/$p ]] && track_pid "$p"; done
	ck_assert_failed "restore with a fault at $1"
	TREE_GONE_TIMEOUT=10 wait_tree_gone "${RING[@]}"
	[[ -e $T/pidfile ]] && fail "the failed restore left a pidfile: $(cat "$T/pidfile")"
	[[ $(image_digest "$img") == "$DIGEST" ]] || fail "the restore failed at $1 changed the images"
	assert_no_strays
}

tried=0 survived=0
broken=()
trial() { # COMMAND SITE
	local -a left
	tried=$((tried + 1))
	log "---- $1 with CKPT_FAULT=$2"
	if [[ $1 == restore ]] && (restore_trial "$2"); then
		survived=$((survived + 1))
		return
	fi
	if [[ $1 != restore ]] && (dump_trial "$1" "$2"); then
		survived=$((survived + 1))
		return
	fi
	broken+=("$1:$2")
	# What one trial left must not fail the next ones.
	rm -rf -- "$dumps" "$T/pidfile"
	mkdir -p "$dumps"
	# Go on with a sound tree: a dump that broke it leaves it for dead; a
	# restore must leave nothing in the way of the next.
	if [[ $1 == restore ]]; then
		session_members
		for p in "${SESSION_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
		(TREE_GONE_TIMEOUT=10 wait_tree_gone "${RING[@]}")
	else
		mapfile -t left < <(tree_pids "$ROOT")
		kill_tree "${left[@]}"
		wait_tree_gone "${RING[@]}"
		start_ring
	fi
}

start_ring
for s in "${SITES[@]}" "${EXTRA[@]}"; do
	[[ $s == restore\ * ]] && continue
	trial "${s%% *}" "${s#* }"
	# The same steps of a dump that is to leave the tree running.
	[[ $s == dump\ * ]] && trial dump-lr "${s#* }"
done

# One sound image set for the restores, dumped by the normal binary.
CKPT_FAULT=dump_seize dump_tree "$ROOT" "$img"
DIGEST=$(image_digest "$img")
for s in "${SITES[@]}" "${EXTRA[@]}"; do
	[[ $s == restore\ * ]] || continue
	trial restore "${s#* }"
done

log "fault sites: $tried tried, $survived survived"
printf 'fault sites: %s tried, %s survived\n' "$tried" "$survived"
((tried == survived)) || fail "fault sites: $tried tried, $survived survived; broken: ${broken[*]}"

# The images the failed restores read still restore, and the tree is whole.
n=$(records)
CKPT_FAULT=restore_let_go restore_tree "$img" "$ROOT"
assert_same "process ids (pid ppid pgid sid state)" "$IDS0" "$(tree_snapshot "$ROOT")"
assert_tree_not_traced "${TREE_PIDS[@]}"
wait_for 10 "the token to go round" records_beyond $((n + 20)) || fail "the restored ring is stuck"
self_check "$ROOT" "$w"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
