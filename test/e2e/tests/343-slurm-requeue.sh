#!/bin/bash
# 343-slurm-requeue.sh - node maintenance with Slurm: a batch job
# checkpointed and requeued continues from its checkpoint when it runs
# again. A cluster of one node of the test's own (slurm.sh: munged,
# slurmctld, slurmd on loopback) runs two jobs of 343-hash-job (a running
# hash of its memory printed step by step): a reference whose batch script
# runs it directly, and a job whose batch script runs it through ckpt-run.
# The maintenance as README's Slurm section tells it: the node is drained,
# `ckpt-suspend --slurm` checkpoints (ckpt dump, which kills) and requeues
# the job run by ckpt-run, and names the reference, which it cannot
# checkpoint and leaves running (exit 1); the requeued job waits while the
# node is drained; the node is resumed; Slurm runs the job again, its
# ckpt-run restores the program, and the job ends with output identical
# to the reference's, line for line: nothing printed twice, nothing lost,
# the same hash. The job's checkpoint directory is removed when it ends
# well.
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
# shellcheck source=test/e2e/slurm.sh
. "$(dirname "$0")/../slurm.sh"
# shellcheck source=test/e2e/suspend.sh
. "$E2E_DIR/suspend.sh"
e2e_init

ckpt_run_scripts
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
cat >"$T/ref.sh" <<EOS
#!/bin/bash
exec $(printf '%q' "$job_bin") $steps 100
EOS
chmod 0755 "$T/job.sh" "$T/ref.sh"

# submit NAME: the job's id; its output appended to (never truncated on a
# requeue) $T/NAME.out, its stderr in $T/NAME.err.
submit() {
	sbatch --parsable --requeue --open-mode=append -J "$1" -o "$T/$1.out" -e "$T/$1.err" \
		--chdir "$T" "$T/$1.sh" || fail "sbatch failed"
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

wait_for 30 "the reference job $ref to print a line" lines_of "$T/ref.out" 1 ||
	fail "the reference job $ref did not get going: state $(job_state "$ref")"

# The maintenance: drain, suspend (checkpoint and requeue), resume.
scontrol update nodename="$SL_NODE" state=drain reason=ckpt-e2e || fail "cannot drain $SL_NODE"
ck_cmd "$SCRIPTS/ckpt-suspend" --slurm --images "$root" --node "$SL_NODE"
((CK_RC == 1)) || fail "ckpt-suspend --slurm exited $CK_RC with a job it could not checkpoint, want 1"
grep -qE "^ckpt-suspend: node $SL_NODE: 1 jobs checkpointed and requeued, 1 failed, " "$CK_OUT" ||
	fail "ckpt-suspend --slurm said: $(head -n 1 "$CK_OUT")"
grep -q "^ckpt-suspend: failed: cannot checkpoint job $ref: .*not run by ckpt-run" "$CK_OUT" ||
	fail "the summary does not name the job left running: $(tail -n 1 "$CK_OUT")"
[[ -d $root/$job/images ]] || fail "no checkpoint of job $job in $root/$job"
n_at=$(wc -l <"$T/job.out")
log "checkpointed after $n_at lines"
((n_at < steps)) || fail "the job ended before its checkpoint"
[[ $(job_state "$ref") == RUNNING ]] || fail "the reference job is $(job_state "$ref") after the suspend, want RUNNING"

done_state() { [[ $(job_state "$1") == COMPLETED ]]; }
wait_for 60 "the reference job $ref to complete" done_state "$ref" ||
	fail "the reference job $ref is $(job_state "$ref")"
# Drained: the requeued job waits (its output has not moved).
[[ $(job_state "$job") == PENDING ]] || fail "job $job is $(job_state "$job") on a drained node, want PENDING"
(($(wc -l <"$T/job.out") == n_at)) || fail "job $job printed more while the node was drained"
scontrol update nodename="$SL_NODE" state=resume || fail "cannot resume $SL_NODE"

wait_for 90 "job $job to complete after its requeue" done_state "$job" ||
	fail "job $job is $(job_state "$job") after its requeue: $(tail -n 3 "$T/job.err" 2>/dev/null | tr '\n' ' ')"
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
true
