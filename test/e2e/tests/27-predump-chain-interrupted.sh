#!/bin/bash
# 27-predump-chain-interrupted.sh - a pre-dump on p1 of a busy 256 MiB
# process (67-busy) stopped at a random point of its copy, by SIGKILL,
# SIGTERM or SIGINT in turn: its tracking was armed again, so no dump may
# continue the chain from p1 any more (a dump --parent p1 would store a
# few pages and restore stale memory); the chain is continued by a pre-dump
# that stores every page, then a dump on it, which restores with the
# memory the process recorded, and the process writes on.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/robust.sh
. "$(dirname "$0")/../robust.sh"
e2e_init

w=$T/w
start_target "$w" 67-busy 256
pid=$TARGET_PID
self_check "$pid" "$w"

for sig in KILL TERM INT; do
	# A pre-dump on p1 copies only what was written since: small, it may
	# end before the signal; then a new chain, and again.
	for ((try = 0; ; try++)); do
		((try < 10)) || fail "every pre-dump ended before SIG$sig"
		# A new chain: a pre-dump that stores every page.
		p1=$T/p1$sig$try
		ck_ok pre-dump --pid "$pid" --images "$p1"
		bg_ck pre-dump --pid "$pid" --images "$T/p2$sig$try" --parent "$p1"
		at=$((RANDOM % 1024 * 1024))
		wait_for 60 "the pre-dump to write $at bytes" bg_reached "$T" "p2$sig$try" "$at" ||
			fail "the pre-dump made no progress"
		kill -"$sig" "$BG_PID" 2>/dev/null
		bg_wait
		[[ -e $T/p2$sig$try ]] || break
		log "the pre-dump was complete before SIG$sig: again"
	done
	busy_fine "$pid" "$w"
	ck_fails "a dump on p1 after an interrupted pre-dump on it" \
		dump --pid "$pid" --images "$T/bad$sig" --parent "$p1" --leave-running
	ck_fails "a pre-dump on p1 after an interrupted pre-dump on it" \
		pre-dump --pid "$pid" --images "$T/bad2$sig" --parent "$p1"
done

ck_ok pre-dump --pid "$pid" --images "$T/p3"
ck_ok pre-dump --pid "$pid" --images "$T/p4" --parent "$T/p3"
self_check "$pid" "$w"
before=$(check_value writes)
ck_ok dump --pid "$pid" --images "$T/d" --parent "$T/p4"
reap "$pid"
wait_gone "$pid"
restore_detached "$T/d" "$pid"
busy_fine "$pid" "$w"
(($(check_value writes) > before)) || fail "writes=$(check_value writes) after the restore, $before before the dump"
kill_restored "$pid"
