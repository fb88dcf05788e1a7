#!/bin/bash
# 334-migrate-restore-fails.sh - the restore on b fails (the job maps a
# file of a's own /tmp, which b does not have): ckpt-migrate fails with
# one line naming the restore's reason, the job on a was frozen and now
# runs on exactly as it was (not traced, its seq file with no gap, every
# page of its memory and its children checked by itself, its SIGUSR1
# count), nothing of it runs on b and b's /tmp holds nothing (the chain
# --live sent is removed); a's /tmp holds only the job's file. Plain, then
# --live. Then the dump refuses the tree (strace holds it): the dump's own
# reason is given, and the job runs on.
# e2e-timeout: 150
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/machines.sh
. "$E2E_DIR/machines.sh"
e2e_init
machines_up

mach_run a sh -c 'printf "only on a\n" >/tmp/mapped-on-a' || fail "cannot write a's /tmp"
migrate_job mib=32 pct=5 kids=1 map=/tmp/mapped-on-a

usr1=1
for mode in plain live; do
	extra=()
	[[ $mode == live ]] && extra=(--live)
	migrate_fails --pid "$inner" --to "root@${MACH_ADDR[b]}" "${extra[@]}"
	grep -q 'the restore on root@' "$CK_ERR" || fail "the failure does not name the restore: $(ck_err_line)"
	grep -q 'mapped-on-a' "$CK_ERR" || fail "the failure does not name the missing file: $(ck_err_line)"
	[[ $(in_mach_of "$pid") == a ]] || fail "the job left machine a"
	assert_still_fine "$pid" "$w" "$usr1"
	usr1=$((usr1 + 1))
	gone_from b "$inner"
	gone_from b "$kidlist"
	assert_tmp_empty b
	[[ $(mach_tmp_listing a) == /tmp/mapped-on-a ]] ||
		fail "a's /tmp holds $(mach_tmp_listing a | tr '\n' ' ')"
done

if command -v strace >/dev/null; then
	strace -f -o /dev/null -p "$pid" 2>/dev/null &
	tracer=$!
	track_pid "$tracer"
	traced() { grep -q 'TracerPid:[[:space:]]*[1-9]' "/proc/$pid/status"; }
	wait_for 10 "strace to hold the job" traced || fail "strace did not attach"
	migrate_fails --pid "$inner" --to "root@${MACH_ADDR[b]}"
	grep -q 'cannot migrate [0-9]* to root@[0-9.]*: cannot dump: cannot seize process' "$CK_ERR" ||
		fail "the failure does not give the dump's reason: $(ck_err_line)"
	kill "$tracer"
	wait "$tracer"
	assert_still_fine "$pid" "$w" "$usr1"
	gone_from b "$inner"
	assert_tmp_empty b
fi
