#!/bin/bash
# 330-migrate-plain.sh - scripts/ckpt-migrate moves a job of three
# processes (target 330-migrate, 64 MiB, two children) from machine a to
# machine b over ssh, as one stream with the handshake (machines.sh): on b
# it has the same PIDs as on a (its own view: root and children check
# their PID, PPID, PGID, SID), the same memory (every page, each child's
# copy), its SIGUSR1 count, and its seq file goes on at the offset it was
# at; nothing of it is left on a; no image was written to either
# machine's /tmp, nor to the shared /dev/shm; ckpt-migrate printed the
# frozen time and the bytes sent (at least the job's memory).
# e2e-timeout: 150
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/machines.sh
. "$E2E_DIR/machines.sh"
e2e_init
machines_up

migrate_job mib=64 kids=2
[[ $kidlist =~ ^[0-9]+,[0-9]+$ ]] || fail "no KIDS line: $(head -c 200 "$w/out")"
send_usr1 "$pid" "$w" 2
self_check "$pid" "$w"
[[ $(check_value kids) == 2 ]] || fail "the job has $(check_value kids) children, want 2"
assert_tmp_empty a
assert_tmp_empty b
shm0=$(cd "$SH" && find . -mindepth 1 -maxdepth 1 | LC_ALL=C sort)

migrate_ok --pid "$inner" --to "root@${MACH_ADDR[b]}"
((MIG_NEW == inner)) || fail "the job runs on b as $MIG_NEW, it was $inner"
((MIG_BYTES >= 64 * 1024 * 1024)) || fail "bytes sent $MIG_BYTES, less than the job's 64 MiB"

# The source is gone, the whole tree; the job runs on b.
for k in $inner ${kidlist//,/ }; do gone_from a "$k"; done
job_on b "$inner"
for k in ${kidlist//,/ }; do
	kp=$(mach_host_pid b "$k") || fail "child $k is not on b"
	track_pid "$kp"
	[[ $(proc_stat_field "$kp" 4) == "$JOB_PID" ]] || fail "child $k on b is not the job's child"
done
seq_verify "$w/seq"
n0=$SEQ_N
self_check "$JOB_PID" "$w"
[[ $(check_value pid) == "$inner" && $(check_value usr1) == 2 ]] ||
	fail "the job on b sees pid=$(check_value pid) usr1=$(check_value usr1), want $inner and 2"
send_usr1 "$JOB_PID" "$w" 3
wait_seq_beyond "$w/seq" $((n0 + 50))

# Nothing written on the way: both /tmp empty, /dev/shm as it was.
assert_tmp_empty a
assert_tmp_empty b
[[ $(cd "$SH" && find . -mindepth 1 -maxdepth 1 | LC_ALL=C sort) == "$shm0" ]] ||
	fail "something was left in $SH"
log "migrated: frozen $MIG_FROZEN_MS ms, $MIG_BYTES bytes"
