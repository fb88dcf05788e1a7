#!/bin/bash
# 335-migrate-interrupted.sh - `ckpt-migrate --live` interrupted (SIGINT,
# as ^C; then SIGTERM) once its first pre-dump round has reached b: it
# says so in one line and exits 1, the job on a runs on as it was (not
# traced, its seq file with no gap, its own check of every page and of its
# child), and neither machine keeps anything of the migration (b's chain,
# a's meta data, an ssh connection).
# e2e-timeout: 150
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/machines.sh
. "$E2E_DIR/machines.sh"
e2e_init
machines_up

migrate_job mib=64 pct=5 kids=1

round_on_b() { mach_run b sh -c 'ls -d /tmp/ckpt-migrate.*/meta/1' >/dev/null 2>&1; }
no_ssh_on_a() { ! mach_run a pgrep -x ssh >/dev/null; }

usr1=1
for sig in INT TERM; do
	# The script is the child of nsenter (which enters a's pid namespace).
	(
		# A background job of a script has SIGINT ignored: give it back.
		exec env --default-signal=INT nsenter --target "${MACH_PID[a]}" --net --mount --pid --wd="$PWD" -- \
			env CKPT="$CKPT" "$MIGRATE" --ssh-opts "$MACH_SSH_OPTS" --pid "$inner" \
			--to "root@${MACH_ADDR[b]}" --live --rounds 99
	) </dev/null >"$T/mig.out" 2>"$T/mig.err" &
	mig=$!
	track_pid "$mig"
	wait_for 60 "a pre-dump round on b" round_on_b || fail "no pre-dump reached b: $(head -c 300 "$T/mig.err")"
	first_child_of "$mig" || fail "ckpt-migrate is gone: $(head -c 300 "$T/mig.err")"
	log "SIG$sig to ckpt-migrate (PID $FIRST_CHILD)"
	kill -"$sig" "$FIRST_CHILD"
	wait_for 60 "ckpt-migrate to end" is_dead "$mig" || fail "ckpt-migrate did not end on SIG$sig"
	wait "$mig"
	rc=$?
	sed 's/^/  stderr: /' "$T/mig.err" >&2
	((rc == 1)) || fail "ckpt-migrate ended with $rc on SIG$sig, want 1"
	[[ $(wc -l <"$T/mig.err") == 1 ]] || fail "ckpt-migrate said $(wc -l <"$T/mig.err") lines, want one"
	grep -q '^ckpt-migrate: cannot migrate .*: interrupted; the job runs on here, unchanged$' "$T/mig.err" ||
		fail "ckpt-migrate said: $(head -c 300 "$T/mig.err")"
	[[ $(in_mach_of "$pid") == a ]] || fail "the job left machine a"
	assert_still_fine "$pid" "$w" "$usr1"
	usr1=$((usr1 + 1))
	gone_from b "$inner"
	assert_tmp_empty b
	assert_tmp_empty a
	wait_for 10 "no ssh left on a" no_ssh_on_a || fail "an ssh of ckpt-migrate is left on a"
done
