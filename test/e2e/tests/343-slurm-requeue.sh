#!/bin/bash
# 343-slurm-requeue.sh - a Slurm batch job checkpointed for maintenance and
# requeued continues from its checkpoint when it runs again. A cluster of
# one node of the test's own (slurm.sh: munged, slurmctld, slurmd on
# loopback) runs two jobs of the same batch script, which starts
# 343-hash-job (a running hash of its memory printed step by step) through
# ckpt-run: a reference left alone, and one that `ckpt-run --checkpoint
# JOBID` dumps (killing it) and requeues mid-way. Slurm runs the requeued
# job again; its ckpt-run restores the program, which ends with output
# identical to the reference's, line for line: nothing printed twice,
# nothing lost, the same hash. The job's checkpoint directory is removed
# when it ends well.
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
# shellcheck source=test/e2e/slurm.sh
. "$(dirname "$0")/../slurm.sh"
e2e_init

SCRIPTS=${CKPT_SCRIPTS:-$PWD/scripts}
[[ -x $SCRIPTS/ckpt-run ]] || fail "no ckpt-run in $SCRIPTS"
job_bin=$E2E_TARGETS/343-hash-job
[[ -x $job_bin ]] || fail "target $job_bin not built"
export CKPT
slurm_start

# Slurm runs the batch script as root from $T: readable by the daemons.
chmod 0755 "$T"
root=$T/ckpt
mkdir -m 0700 "$root"
steps=60
cat >"$T/job.sh" <<EOS
#!/bin/bash
exec $(printf '%q' "$SCRIPTS/ckpt-run") --root $(printf '%q' "$root") -- $(printf '%q' "$job_bin") $steps 100
EOS
chmod 0755 "$T/job.sh"

# submit NAME: the job's id; its output appended to (never truncated on a
# requeue) $T/NAME.out, its stderr in $T/NAME.err.
submit() {
	sbatch --parsable --requeue --open-mode=append -J "$1" -o "$T/$1.out" -e "$T/$1.err" \
		--chdir "$T" "$T/job.sh" || fail "sbatch failed"
}
ref=$(submit ref)
job=$(submit job)
log "jobs: reference $ref, checkpointed $job"

lines_of() { [[ -f $1 ]] && (($(wc -l <"$1") >= $2)); }
wait_for 60 "job $job to print 10 lines" lines_of "$T/job.out" 10 ||
	fail "job $job did not get going: state $(job_state "$job"), $(tail -n 2 "$T/job.err" 2>/dev/null)"
pid=$(cat "$root/$job/pid")
log "job $job runs its program as $pid"
[[ $(job_state "$job") == RUNNING ]] || fail "job $job is $(job_state "$job"), want RUNNING"

ck_cmd "$SCRIPTS/ckpt-run" --checkpoint "$job" --root "$root"
((CK_RC == 0)) || fail "ckpt-run --checkpoint failed: $(ck_err_line)"
grep -q "job $job checkpointed .* and requeued" "$CK_OUT" || fail "ckpt-run --checkpoint said: $(head -n 1 "$CK_OUT")"
[[ -d $root/$job/images ]] || fail "no checkpoint of job $job in $root/$job"
n_at=$(wc -l <"$T/job.out")
log "checkpointed after $n_at lines"
((n_at < steps)) || fail "the job ended before its checkpoint"

done_state() { [[ $(job_state "$1") == COMPLETED ]]; }
wait_for 120 "job $job to complete after its requeue" done_state "$job" ||
	fail "job $job is $(job_state "$job") after its requeue: $(tail -n 3 "$T/job.err" 2>/dev/null | tr '\n' ' ')"
wait_for 60 "the reference job $ref to complete" done_state "$ref" ||
	fail "the reference job $ref is $(job_state "$ref")"
restarts=$(scontrol show job "$job" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
((restarts == 1)) || fail "job $job was started $((restarts + 1)) times, want 2 (one requeue)"
log "job $job err: $(tr '\n' ' ' <"$T/job.err")"

# The output of the job that stopped is the reference's, line for line.
(($(wc -l <"$T/ref.out") == steps + 1)) || fail "the reference printed $(wc -l <"$T/ref.out") lines, want $((steps + 1))"
if ! cmp -s "$T/ref.out" "$T/job.out"; then
	diff "$T/ref.out" "$T/job.out" | head -n 6 >&2
	fail "the requeued job's output differs from the reference's"
fi
grep -q "^DONE " "$T/job.out" || fail "no DONE line"
[[ -e $root/$job ]] && fail "the checkpoint of job $job is left after it ended well"
[[ -e $root/$ref ]] && fail "the directory of the reference job $ref is left"
true
