#!/bin/bash
# 344-ckpt-run.sh - ckpt-run without Slurm around it (what a batch script
# gets): a program started through ckpt-run (343-hash-job) is checkpointed
# with `ckpt-run --checkpoint JOBID --no-requeue`; ckpt-run sees it killed
# by the checkpoint, not ended: with no requeue coming it restores it in
# place after CKPT_RUN_WAIT seconds, and the program ends with output
# identical to a run that never stopped; ckpt-run exits 0 and removes the
# job's directory. A --checkpoint whose PID file names a process that is
# not the job's (no SLURM_JOB_ID of the job in its environment) is refused
# with one line and the process runs on; ckpt-run's exit status is its
# program's.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/suspend.sh
. "$E2E_DIR/suspend.sh"
e2e_init

ckpt_run_scripts

steps=40
jid=$((90000 + $$ % 9000))
"$job_bin" "$steps" 20 >"$T/ref.out" || fail "the reference run failed"

w=$T/w dir=$T/job
mkdir -p "$w"
spawn "$w" env SLURM_JOB_ID="$jid" CKPT_RUN_WAIT=2 "$SCRIPTS/ckpt-run" --images "$dir" -- "$job_bin" "$steps" 50
run=$TARGET_PID
lines_of() { [[ -f $1 ]] && (($(wc -l <"$1") >= $2)); }
wait_for 20 "the job to print 5 lines" lines_of "$w/out" 5 || fail "the job did not get going: $(head -n 2 "$w/err")"
pid=$(cat "$dir/pid")
track_pid "$pid"
[[ $(proc_stat_field "$pid" 4) == "$run" ]] || fail "the program $pid is not ckpt-run's child"

ck_cmd "$SCRIPTS/ckpt-run" --checkpoint "$jid" --images "$dir" --no-requeue
((CK_RC == 0)) || fail "ckpt-run --checkpoint failed: $(ck_err_line)"
grep -q "^ckpt-run: job $jid checkpointed (" "$CK_OUT" || fail "ckpt-run --checkpoint said: $(head -n 1 "$CK_OUT")"
n_at=$(wc -l <"$w/out")
((n_at < steps)) || fail "the job ended before its checkpoint"
log "checkpointed after $n_at lines"

wait_for 60 "ckpt-run to end" is_dead "$run" || fail "ckpt-run did not end: $(tail -n 2 "$w/err")"
wait "$run"
rc=$?
log "ckpt-run: $(tr '\n' ' ' <"$w/err")"
((rc == 0)) || fail "ckpt-run exited $rc, want 0"
grep -q "no requeue came: restoring the job in place" "$w/err" || fail "ckpt-run did not restore in place"
if ! cmp -s "$T/ref.out" "$w/out"; then
	diff "$T/ref.out" "$w/out" | head -n 6 >&2
	fail "the output differs from a run that never stopped"
fi
[[ -e $dir ]] && fail "ckpt-run left the job's directory after it ended well"

# A PID file that names another process: refused, the process untouched.
mkdir -m 0700 "$T/stale"
spawn "$w" sleep 1000
other=$TARGET_PID
echo "$other" >"$T/stale/pid"
ck_cmd "$SCRIPTS/ckpt-run" --checkpoint "$jid" --images "$T/stale" --no-requeue
ck_assert_failed_script() {
	((CK_RC == 1)) || fail "$1: exit $CK_RC, want 1"
	(($(wc -l <"$CK_ERR") == 1)) || fail "$1: not one line on stderr"
}
ck_assert_failed_script "a checkpoint of a process that is not the job's"
grep -q "^ckpt-run: cannot checkpoint job $jid: process $other is not its program" "$CK_ERR" ||
	fail "the refusal does not say why: $(ck_err_line)"
[[ ! -e $T/stale/images && ! -e $T/stale/images.new ]] || fail "the refused checkpoint wrote images"
is_dead "$other" && fail "the process named by the stale PID file died"
assert_not_traced "$other"
kill -9 "$other"

# Its exit status is its program's.
ck_cmd env SLURM_JOB_ID="$jid" "$SCRIPTS/ckpt-run" --images "$T/st" -- sh -c 'exit 3'
((CK_RC == 3)) || fail "ckpt-run of a program exiting 3 exited $CK_RC"
assert_no_strays "$other"
