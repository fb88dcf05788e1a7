#!/bin/bash
# kill-random.sh - ckpt killed outright (SIGKILL) at a random point of a
# dump of a busy 256 MiB process (67-busy), TRIALS times (default 30) in
# each mode; one trial in four a moment after the freeze, while the
# process's state is read by remote calls, the others at a random amount
# of images written:
#  - dump --leave-running and pre-dump: the process always survives as it
#    was (memory as it recorded it, not traced, still writing);
#  - dump: the process survives as it was, or the image set is complete
#    under its final name, and restores with that memory.
# Prints "kill trials: N, survived: N" per mode; fails unless both are equal.
# Long (minutes): outside make test; tests/28-kill-random.sh runs a slice.
#     bash test/e2e/long/kill-random.sh [TRIALS]
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/robust.sh
. "$(dirname "$0")/../robust.sh"
e2e_init

trials=${1:-${TRIALS:-30}}
pid='' tw='' targets=0

# A new target when the last one is gone: pid, its workdir tw.
need_target() {
	[[ -n $pid ]] && [[ -e /proc/$pid ]] && ! is_dead "$pid" && return
	targets=$((targets + 1))
	tw=$T/w$targets
	start_target "$tw" 67-busy 256
	pid=$TARGET_PID
	self_check "$pid" "$tw"
}

# One trial: 0 when the rule held.
trial() { # MODE N
	local how=$1 n=$2 at k
	case $how in
	dump) bg_ck dump -v --pid "$pid" --images "$T/d$n" ;;
	leave-running) bg_ck dump -v --pid "$pid" --images "$T/d$n" --leave-running ;;
	pre-dump) bg_ck pre-dump -v --pid "$pid" --images "$T/d$n" ;;
	esac
	if ((RANDOM % 4 == 0)); then
		# A little after the freeze (not a wait for anything): remote
		# calls read the process's state then.
		wait_for 60 "ckpt to freeze the process" has_line "$BG_ERR" "froze [0-9]+ processes" ||
			is_dead "$BG_PID" || fail "ckpt never froze the process"
		for ((k = RANDOM % 2000; k > 0; k--)); do :; done
	else
		# Anywhere from the seize (the directory is made just before)
		# to the end of the copy and past it (the check, the rename,
		# the kill).
		at=$((RANDOM % 300 * 1024 * 1024))
		wait_for 60 "the dump to write $at bytes" bg_reached "$T" "d$n" "$at" ||
			fail "the dump made no progress"
	fi
	kill -9 "$BG_PID" 2>/dev/null
	bg_wait
	log "trial $n ($how): ckpt killed after $(tmp_bytes "$T" "d$n") bytes in its temporary directory, exit $BG_RC"
	if [[ -e /proc/$pid ]] && ! is_dead "$pid"; then
		busy_fine "$pid" "$tw"
		return 0
	fi
	[[ $how == dump ]] || return 1
	# The tree is gone: only for a complete set under its final name.
	reap "$pid"
	[[ -f $T/d$n/inventory.img ]] || return 1
	restore_detached "$T/d$n" "$pid"
	busy_fine "$pid" "$tw"
	return 0
}

for mode in leave-running pre-dump dump; do
	tried=0 survived=0
	for ((i = 0; i < trials; i++)); do
		need_target
		tried=$((tried + 1))
		if trial "$mode" "$mode$i"; then
			survived=$((survived + 1))
		else
			log "trial $i ($mode): the tree was lost"
		fi
	done
	echo "$mode: kill trials: $tried, survived: $survived"
	((tried == survived)) || fail "$mode: $((tried - survived)) of $tried trees lost"
done
