#!/bin/bash
# 153-membarrier.sh - membarrier(2) registrations come back (153-
# membarrier, a process of two threads): registered for the private
# expedited barriers (and the sync-core ones where the kernel has them),
# only for the first, or for none: after the restore each barrier it had
# registered for works and each other one still fails with EPERM. Then a
# registration no kernel makes (imgedit, checksums fixed): refused, nothing
# left, the images untouched.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

for mode in all plain none; do
	w=$T/$mode
	img=$T/images-$mode
	start_target "$w" 153-membarrier "$mode"
	pid=$TARGET_PID
	self_check "$pid" "$w"
	before="$(check_value private) $(check_value sync_core)"
	dump_and_reap "$pid" "$img"
	restore_detached "$img" "$pid"
	self_check "$pid" "$w"
	assert_same "$mode: barriers that work (private sync_core)" "$before" \
		"$(check_value private) $(check_value sync_core)"
	kill_restored "$pid"
	wait_gone "$pid"
	[[ $mode == all ]] && all_pid=$pid
done

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
cp -a -- "$T/images-all" "$T/bad"
"$IMGEDIT" "$T/bad" "core-$all_pid.img" "membarrier=2147483648" || fail "imgedit failed"
expect_restore_fail "$T/bad" "$all_pid" "with an unknown membarrier registration"
grep -q "membarrier" "$CK_ERR" || fail "not refused for its membarrier field: $(ck_err_line)"
assert_no_strays
