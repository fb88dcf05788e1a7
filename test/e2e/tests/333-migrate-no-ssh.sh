#!/bin/bash
# 333-migrate-no-ssh.sh - ckpt-migrate cannot log in to b (a key b does
# not know; then a host that does not answer): it fails with one line
# before anything is frozen, and the job on a runs on as it was: not
# traced, its seq file going on with no gap, its self-check (memory,
# children) passing with its counts unchanged; nothing reached b. Then
# (-live) the same with --live.
# e2e-timeout: 120
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/machines.sh
. "$E2E_DIR/machines.sh"
e2e_init
machines_up

migrate_job mib=16 pct=5 kids=1

ssh-keygen -q -t ed25519 -N '' -f "$SH/stranger" || fail "cannot make a key"
bad_opts=${MACH_SSH_OPTS//$MACH_DIR\/id /$SH/stranger }
[[ $bad_opts != "$MACH_SSH_OPTS" ]] || fail "cannot swap the key in the ssh options"

usr1=1
for mode in plain live; do
	extra=()
	[[ $mode == live ]] && extra=(--live)
	# migrate passes MACH_SSH_OPTS first; the later --ssh-opts wins.
	migrate_fails --pid "$inner" --to "root@${MACH_ADDR[b]}" --ssh-opts "$bad_opts" "${extra[@]}"
	grep -q 'cannot reach root@' "$CK_ERR" || fail "the failure does not say b could not be reached: $(ck_err_line)"
	assert_still_fine "$pid" "$w" "$usr1"
	usr1=$((usr1 + 1))
	[[ $(in_mach_of "$pid") == a ]] || fail "the job left machine a"
	assert_tmp_empty b
	assert_tmp_empty a

	# A host nobody answers for (no sshd on b's lan address .3).
	migrate_fails --pid "$inner" --to "root@$MACH_NET.3" "${extra[@]}"
	assert_still_fine "$pid" "$w" "$usr1"
	usr1=$((usr1 + 1))
	assert_tmp_empty a
done
