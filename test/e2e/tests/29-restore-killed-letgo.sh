#!/bin/bash
# 29-restore-killed-letgo.sh - a restore of a tree of 200 processes
# (58-many-procs) whose ckpt is SIGKILLed while it lets the tree go (as
# soon as the root is no longer traced, the others still being detached):
# every process of the tree runs, or none remains; never the root running
# and its children dead. Several trials; those where the kill landed in the
# let-go (none remains) are counted, and at least one must.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/robust.sh
. "$(dirname "$0")/../robust.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 58-many-procs 200
root=$TARGET_PID
self_check "$root" "$w"
dump_tree "$root" "$img"
pids=("${TREE_PIDS[@]}")

# The root exists and has no tracer any more.
root_let_go() {
	local k v rest text
	# whole, not line by line: see status_fields() in lib.sh
	{ text=$(<"/proc/$root/status"); } 2>/dev/null || return 1
	while read -r k v rest; do
		[[ $k == TracerPid: ]] && { [[ $v == 0 ]]; return; }
	done <<<"$text"
	return 1
}

alive() { [[ -e /proc/$1 ]] && ! is_dead "$1"; }

# Every process runs free, or every one is gone.
settled() {
	local p n=0
	for p in "${pids[@]}"; do
		alive "$p" && n=$((n + 1))
	done
	((n == 0)) && all_gone "${pids[@]}" && return 0
	((n == ${#pids[@]})) || return 1
	for p in "${pids[@]}"; do
		status_fields "/proc/$p/status"
		[[ $ST_TRACER == 0 ]] || return 1
	done
}

trials=5 hits=0
for ((i = 0; i < trials; i++)); do
	wait_tree_gone "${pids[@]}"
	bg_ck restore --images "$img" --detach
	track_pids "${pids[@]}"
	# No sleep: the kill must land as close as can be to the first detach.
	until root_let_go; do
		kill -0 "$BG_PID" 2>/dev/null || break
	done
	kill -9 "$BG_PID" 2>/dev/null
	bg_wait
	if ! wait_for 30 "the tree to run or be gone" settled; then
		n=0
		for p in "${pids[@]}"; do alive "$p" && n=$((n + 1)); done
		fail "trial $i: $n of ${#pids[@]} processes run after ckpt was killed in the let-go"
	fi
	if all_gone "${pids[@]}"; then
		hits=$((hits + 1))
		log "trial $i: killed during the let-go, no process remains"
	else
		log "trial $i: killed after the let-go, the whole tree runs"
		self_check "$root" "$w"
		[[ $(check_value procs) == 200 ]] || fail "procs=$(check_value procs), want 200"
		kill_tree "${pids[@]}"
	fi
done
echo "restore killed in the let-go: $trials trials, $hits in the let-go"
((hits > 0)) || fail "no kill landed in the let-go (nothing was tested)"
