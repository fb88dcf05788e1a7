#!/bin/bash
# migrate.sh CKPT - the migration bench (make bench): a job of
# $BENCH_MIGRATE_MIB MiB (default 2048) that rewrites 1% of its memory per
# second (target 330-migrate) moved from machine a to machine b
# (test/e2e/machines.sh: namespaces with their own sshd, on this machine)
# three ways, each on a fresh job:
#
#   migrate --live     pre-dump rounds while it runs, a short final freeze
#   migrate            one stream, frozen for all of it
#   dump, copy, restore  ckpt dump to a's /tmp, `tar | ssh b tar -x` of
#                      the directory, ckpt restore on b (what a user does
#                      by hand today)
#
# For each: the time the job is frozen (for ckpt-migrate what it prints,
# from the start of the final dump to the job running on b; for the copy,
# from the start of the dump to the end of the restore: what the job
# sees), the bytes sent, the wall time of the whole move, and whether the
# job on b checked every page of its memory. Reports speed; fails (exit
# 1) only when a move fails or the job on b finds its memory wrong.
# BENCH_MIGRATE_MIB=N sets the size; BENCH_MIGRATE_PCT the write rate;
# BENCH_MIGRATE_ONLY=TEXT runs the rows whose name holds TEXT;
# BENCH_MIGRATE_ARGS="ARGS" adds ARGS to both ckpt-migrate rows (e.g.
# --remote-ckpt WRAPPER, a script on a path both machines see, /dev/shm,
# that runs ckpt under strace: where the frozen time goes).
set -euo pipefail

cd "$(dirname "$0")/../.."
export CKPT=${1:-$PWD/ckpt}
CKPT=$(realpath "$CKPT")
MIB=${BENCH_MIGRATE_MIB:-2048}
PCT=${BENCH_MIGRATE_PCT:-1}

# The e2e harness gives the machines, the clean-up and the waits.
# shellcheck source=test/e2e/lib.sh
. test/e2e/lib.sh
# shellcheck source=test/e2e/machines.sh
. test/e2e/machines.sh
TEST_NAME=bench-migrate
CKPT_TIMEOUT=${BENCH_MIGRATE_TIMEOUT:-600}
e2e_init
set +e # the harness's helpers fail themselves, with one line; its clean-up must run whole
machines_up
[[ -x $E2E_TARGETS/330-migrate ]] || fail "no $E2E_TARGETS/330-migrate (make e2e E2E_ONLY=nothing)"
new_tmp SH /dev/shm
MACH_READY_TIMEOUT=300

ROWS=()

ms_since() { echo $((($(now_us) - $1) / 1000)); }

# job_start: a fresh job on a, its memory written; sets pid, inner, w.
N=0
job_start() {
	N=$((N + 1))
	w=$SH/job$N
	mach_start a "$w" 330-migrate mib="$MIB" pct="$PCT"
	pid=$JOB_PID inner=$JOB_INNER
}

# job_verify: the job runs on b and its own check of every page passes.
job_verify() {
	job_on b "$inner"
	self_check "$JOB_PID" "$w" 120
	kill -9 "$JOB_PID"
	gone_from b "$inner"
}

row() { ROWS+=("$(printf '%-22s %10s %14s %10s  %s' "$@")"); }

# ckpt-migrate, live or not.
bench_migrate() {
	local name=$1 t0
	shift
	job_start
	t0=$(now_us)
	migrate_ok --pid "$inner" --to "root@${MACH_ADDR[b]}" "$@"
	local wall
	wall=$(ms_since "$t0")
	job_verify
	local rounds
	rounds=$(sed -n 's/^bytes sent: [0-9]* (\([0-9]*\) pre-dump rounds.*/\1/p' "$CK_OUT")
	row "$name" "$MIG_FROZEN_MS" "$MIG_BYTES" "$wall" "${rounds:-no} pre-dump rounds"
}

# dump to a's /tmp, copy the directory over ssh, restore on b.
bench_copy() {
	local t0 t1 img=/tmp/bench-img bytes
	job_start
	t0=$(now_us)
	mach_run a "$CKPT" dump --pid "$inner" --images "$img" || fail "dump failed"
	bytes=$(mach_run a du -sb "$img" | cut -f1)
	# shellcheck disable=SC2086 # MACH_SSH_OPTS is a list of words
	mach_run a sh -c "tar -C /tmp -cf - bench-img | ssh $MACH_SSH_OPTS root@${MACH_ADDR[b]} 'tar -C /tmp -xf -'" ||
		fail "copy failed"
	mach_ssh b "$CKPT restore --images $img --detach" || fail "restore on b failed"
	t1=$(ms_since "$t0")
	job_verify
	mach_run a rm -rf "$img"
	mach_ssh b "rm -rf $img"
	row "dump, copy, restore" "$t1" "$bytes" "$t1" "tar over ssh, images on each /tmp (tmpfs here)"
}

only() { [[ -z ${BENCH_MIGRATE_ONLY:-} || $1 == *"$BENCH_MIGRATE_ONLY"* ]]; }
read -ra EXTRA <<<"${BENCH_MIGRATE_ARGS:-}"
if only "migrate --live"; then bench_migrate "migrate --live" --live "${EXTRA[@]}"; fi
if only "migrate (one stream)"; then bench_migrate "migrate (one stream)" "${EXTRA[@]}"; fi
if only "dump, copy, restore"; then bench_copy; fi

printf '\nMigration from machine a to machine b (netns + sshd on this machine), a job of %s MiB writing %s%% of it per second\n\n' "$MIB" "$PCT"
printf '%-22s %10s %14s %10s  %s\n' "how" "frozen ms" "bytes sent" "wall ms" "notes"
printf '%s\n' "${ROWS[@]}"
