#!/bin/bash
# 345-slurm-user-job.sh - a Slurm batch job of an ordinary user (made for
# the test, removed at its end), checkpointed by root (`ckpt-suspend
# --slurm`, which runs `ckpt-run --checkpoint` for each job) and requeued,
# continues from its checkpoint: root's `ckpt-run --checkpoint` writes the
# images into the root-only tree (ROOT/JOBID/private/images, ROOT mode
# 0711), and the job's ckpt-run, running as the user, has them restored by
# `sudo -n ckpt-run-helper --root ROOT` (a sudoers rule of the test's, in
# a private file of /etc/sudoers.d removed at the end). The restored
# program runs as the user, below the batch step (slurmstepd -> ckpt-run
# -> sudo -> helper -> ckpt restore -> the program); checkpointed again
# there (the program below root's ckpt restore), not requeued, and
# restored in place by the helper again, the job ends with output identical to a reference job's, line
# for line.
#
# Before that, checkpoints refused with the job running on untouched and
# nothing written: into a root the user may write, through a job
# directory the user replaced by a symbolic link, and of a job whose
# program runs with a group that is not the user's (set-group-ID: its
# restore with the user's rights would be refused).
#
# Then the attacks, each refused with nothing restored (the program's PID
# not running, the image set still root's), while the real job is held:
# - the user calls the helper outside any job, with SLURM_JOB_ID forged
#   to name the checkpointed job;
# - the same from below a process of the user's renamed to look like the
#   job's `slurmstepd: [JOBID.batch]`;
# - root's job (a copy of the checkpoint planted in its directory) whose
#   batch script drops to the user and calls the helper: scontrol says the
#   job is root's, not the caller's;
# - a job of the user's whose directory in the tree is a symbolic link to
#   a directory of the user's, holding the images edited to claim uid 0;
#   and the same through a root of the user's own (a ROOT it may write);
#   and a stale checkpoint of root's job of the same id in a root of
#   root's (job ids come again when Slurm's state is lost);
# - a job of the user's whose directory holds (as if root had written
#   them) the images edited to claim uid 0: handed to the user for the
#   restore, ckpt restore refuses them (its trust rules).
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
# shellcheck source=test/e2e/slurm.sh
. "$(dirname "$0")/../slurm.sh"
# shellcheck source=test/e2e/attack.sh
. "$(dirname "$0")/../attack.sh"
# shellcheck source=test/e2e/suspend.sh
. "$E2E_DIR/suspend.sh"
e2e_init

ckpt_run_scripts
command -v sudo >/dev/null || skip "sudo is not installed"
[[ -d /etc/sudoers.d ]] || skip "no /etc/sudoers.d"
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
helper=$SCRIPTS/ckpt-run-helper

attack_init
slurm_start
chmod 0755 "$T"
root=$T/ckpt
mkdir -m 0711 "$root"
uroot=$ATK_HOME/root
# A root of root's with a stale checkpoint of root's under the id of a
# job of the user's (job ids come again when Slurm's state is lost).
root3=$T/ckpt3
mkdir -m 0711 "$root3"
cp "$job_bin" "$ATK_HOME/bin/hash-job"
bin=$ATK_HOME/bin/hash-job

# The sudoers rule README's Slurm section documents, for this test's user and
# roots (the second a root the user may write: a misconfiguration).
sudoers=/etc/sudoers.d/ckpt-e2e-345-$$
sudoers_cleanup() { rm -f -- "$sudoers"; }
CLEANUP_HOOKS+=(sudoers_cleanup)
printf '%s ALL=(root) NOPASSWD: %s --root %s --slurm-conf %s, %s --root %s --slurm-conf %s, %s --root %s --slurm-conf %s\n' \
	"$ATK_USER" "$helper" "$root" "$SLURM_CONF" "$helper" "$uroot" "$SLURM_CONF" "$helper" "$root3" "$SLURM_CONF" >"$T/sudoers"
visudo -cqf "$T/sudoers" || fail "the test's sudoers rule does not parse: $(cat "$T/sudoers")"
install -m 0440 "$T/sudoers" "$sudoers"

steps=80
q() { printf '%q' "$1"; }
mkjob() {
	as_user tee "$ATK_HOME/$1.sh" >/dev/null
	chmod 0755 "$ATK_HOME/$1.sh"
}
mkjob job <<EOS
#!/bin/bash
exec $(q "$SCRIPTS/ckpt-run") --root $(q "$root") -- $(q "$bin") $steps 100
EOS
mkjob ref <<EOS
#!/bin/bash
exec $(q "$bin") $steps 100
EOS
# The probes: the user's own jobs that call the helper themselves.
mkjob probe <<EOS
#!/bin/bash
sudo -n $(q "$helper") --root $(q "$root") --slurm-conf $(q "$SLURM_CONF") 2>$(q "$ATK_HOME/link.err"); echo \$? >$(q "$ATK_HOME/link.rc")
sudo -n $(q "$helper") --root $(q "$uroot") --slurm-conf $(q "$SLURM_CONF") 2>$(q "$ATK_HOME/uroot.err"); echo \$? >$(q "$ATK_HOME/uroot.rc")
sudo -n $(q "$helper") --root $(q "$root3") --slurm-conf $(q "$SLURM_CONF") 2>$(q "$ATK_HOME/stale.err"); echo \$? >$(q "$ATK_HOME/stale.rc")
EOS
mkjob edited <<EOS
#!/bin/bash
sudo -n $(q "$helper") --root $(q "$root") --slurm-conf $(q "$SLURM_CONF") 2>$(q "$ATK_HOME/edited.err"); echo \$? >$(q "$ATK_HOME/edited.rc")
EOS
# Root's job, whose batch script becomes a process of the user's.
cat >"$T/rootjob.sh" <<EOS
#!/bin/bash
exec setpriv --reuid=$ATK_UID --regid=$ATK_GID --init-groups -- bash -c 'sudo -n $(q "$helper") --root $(q "$root") --slurm-conf $(q "$SLURM_CONF") 2>$(q "$ATK_HOME/rootjob.err"); echo \$? >$(q "$ATK_HOME/rootjob.rc")'
EOS
chmod 0755 "$T/rootjob.sh"

# submit NAME [SBATCH ARGS...]: a job of the user's; its id.
submit() {
	local n=$1
	shift
	as_user env CKPT_RUN_WAIT=10 sbatch --parsable --requeue --open-mode=append -J "$n" -o "$ATK_HOME/$n.out" \
		-e "$ATK_HOME/$n.err" --chdir "$ATK_HOME" "$@" "$ATK_HOME/$n.sh" || fail "sbatch $n failed"
}
# A program of the user's that runs set-group-ID to a group of the test's.
grp=ckg$$
groupadd "$grp" || fail "groupadd $grp failed"
grp_cleanup() { groupdel "$grp" 2>/dev/null || true; }
CLEANUP_HOOKS+=(grp_cleanup)
cp "$job_bin" "$ATK_HOME/bin/sgid-job"
chgrp "$grp" "$ATK_HOME/bin/sgid-job"
chmod 2755 "$ATK_HOME/bin/sgid-job"
mkjob sgid <<EOS
#!/bin/bash
exec $(q "$SCRIPTS/ckpt-run") --root $(q "$root") -- $(q "$ATK_HOME/bin/sgid-job") 100000 100
EOS
ref=$(submit ref)
job=$(submit job)
sgid=$(submit sgid)
log "jobs of $ATK_USER: reference $ref, checkpointed $job"

lines_of() { [[ -f $1 ]] && (($(wc -l <"$1") >= $2)); }
wait_for 60 "job $job to print 10 lines" lines_of "$ATK_HOME/job.out" 10 ||
	fail "job $job did not get going: state $(job_state "$job"), $(tail -n 2 "$ATK_HOME/job.err" 2>/dev/null)"
[[ $(job_state "$job") == RUNNING ]] || fail "job $job is $(job_state "$job"), want RUNNING"

# runs_on JOBID OUT: the job runs and its output grows.
runs_on() {
	local n
	n=$(wc -l <"$2")
	[[ $(job_state "$1") == RUNNING ]] || fail "job $1 is $(job_state "$1") after a refused checkpoint"
	wait_for 30 "job $1 to print on" lines_of "$2" $((n + 1)) || fail "job $1 stopped printing after a refused checkpoint"
}
# ck_refused WHAT REGEX: the last ck_cmd failed with one line matching.
ck_refused() {
	((CK_RC == 1)) || fail "$1: exited $CK_RC, want 1"
	grep -qE "$2" "$CK_ERR" || fail "$1: said: $(head -n 1 "$CK_ERR")"
	(($(wc -l <"$CK_ERR") == 1)) || fail "$1: more than one line on stderr"
}
as_user mkdir "$uroot" "$ATK_HOME/trap"
ck_cmd "$SCRIPTS/ckpt-run" --checkpoint "$job" --root "$uroot"
ck_refused "a checkpoint into a root the user may write" \
	"^ckpt-run: cannot checkpoint job $job: '$uroot' is not root's \\(uid $ATK_UID\\)"
ln -s "$ATK_HOME/trap" "$root/$job"
ck_cmd "$SCRIPTS/ckpt-run" --checkpoint "$job" --root "$root"
ck_refused "a checkpoint through a symbolic link" \
	"^ckpt-run: cannot checkpoint job $job: '$root/$job' is not a directory \\(a symbolic link"
rm -f -- "$root/$job"
[[ -z $(find "$uroot" "$ATK_HOME/trap" -mindepth 1 -print -quit) ]] ||
	fail "a refused checkpoint wrote into the user's directories: $(find "$uroot" "$ATK_HOME/trap" -mindepth 1 | head -n 3)"
runs_on "$job" "$ATK_HOME/job.out"
wait_for 60 "job $sgid to print a line" lines_of "$ATK_HOME/sgid.out" 1 ||
	fail "job $sgid did not get going: $(job_state "$sgid"), $(tail -n 2 "$ATK_HOME/sgid.err" 2>/dev/null)"
ck_cmd "$SCRIPTS/ckpt-run" --checkpoint "$sgid" --root "$root"
ck_refused "a checkpoint of a set-group-ID program" \
	"^ckpt-run: cannot checkpoint job $sgid: process [0-9]+ of it has group $(getent group "$grp" | cut -d: -f3), not one of uid $ATK_UID's"
runs_on "$sgid" "$ATK_HOME/sgid.out"
[[ ! -e $root/$sgid ]] || fail "a refused checkpoint made $root/$sgid"
scancel "$sgid" || fail "cannot cancel job $sgid"
gone_job() { [[ $(job_state "$1") != RUNNING && $(job_state "$1") != COMPLETING ]]; }
wait_for 30 "job $sgid to end" gone_job "$sgid" || fail "job $sgid is $(job_state "$sgid") after scancel"

# The maintenance as documented: drain, `ckpt-suspend --slurm` (root)
# checkpoints and requeues the job run by ckpt-run and names the
# reference, which it cannot checkpoint; the job is held while the
# attacks are tried.
scontrol update nodename="$SL_NODE" state=drain reason=ckpt-e2e || fail "cannot drain $SL_NODE"
ck_cmd "$SCRIPTS/ckpt-suspend" --slurm --images "$root" --node "$SL_NODE"
((CK_RC == 1)) || fail "ckpt-suspend --slurm exited $CK_RC with a job it could not checkpoint, want 1: $(head -n 1 "$CK_ERR")"
grep -qE "^ckpt-suspend: node $SL_NODE: 1 jobs checkpointed and requeued, 1 failed, " "$CK_OUT" ||
	fail "ckpt-suspend --slurm said: $(head -n 1 "$CK_OUT")"
grep -q "^ckpt-suspend: failed: cannot checkpoint job $ref: not run by ckpt-run" "$CK_OUT" ||
	fail "the summary does not name the reference job, left running: $(tail -n 1 "$CK_OUT")"
[[ $(job_state "$ref") == RUNNING ]] || fail "the reference job is $(job_state "$ref") after the suspend, want RUNNING"
img=$root/$job/private/images
[[ -d $img && $(stat -c '%u %a' "$img") == "0 700" && $(stat -c '%u %a' "$root/$job/private") == "0 700" ]] ||
	fail "the checkpoint is not in root's private tree: $(ls -ld "$root/$job/private" "$img" 2>&1 | tr '\n' ' ')"
pid=$(cat "$root/$job/pid")
[[ $pid =~ ^[0-9]+$ ]] || fail "no pid in $root/$job/pid"
is_gone "$pid" || fail "the program $pid still runs after its checkpoint"
n_at=$(wc -l <"$ATK_HOME/job.out")
((n_at < steps)) || fail "the job ended before its checkpoint"
log "job $job (program $pid) checkpointed after $n_at lines"
scontrol hold "$job" || fail "cannot hold job $job"

# nothing_restored WHAT: the program is not running and its set is root's.
nothing_restored() {
	is_gone "$pid" || fail "$1: the program $pid runs again"
	[[ -z $(find "$img" \! -uid 0 -print -quit) ]] || fail "$1: the image set is no longer root's"
}
# refused WHAT RC ERRFILE REGEX
refused() {
	(($2 == 1)) || fail "$1: the helper exited $2, want 1: $(head -n 1 "$3" 2>/dev/null)"
	grep -qE "$4" "$3" || fail "$1: the helper said: $(head -n 1 "$3" 2>/dev/null)"
	(($(wc -l <"$3") == 1)) || fail "$1: more than one line on stderr: $(tr '\n' ' ' <"$3")"
	nothing_restored "$1"
	log "refused ($1): $(head -n 1 "$3")"
}

# The user as a login would make it (sudo needs its bounding set).
user_login() { setpriv --reuid="$ATK_UID" --regid="$ATK_GID" --init-groups -- "$@"; }
# 1. Outside any job, SLURM_JOB_ID forged.
rc=0
user_login env SLURM_JOB_ID="$job" SLURM_JOBID="$job" sudo -n "$helper" --root "$root" --slurm-conf "$SLURM_CONF" 2>"$T/forged.err" || rc=$?
refused "forged SLURM_JOB_ID" "$rc" "$T/forged.err" "^ckpt-run-helper: cannot restore: the caller \\(uid $ATK_UID\\) is not in a Slurm batch job"
# 2. Below a process of the user's named as the job's slurmstepd.
rc=0
user_login bash -c "exec -a 'slurmstepd: [$job.batch]' bash -c 'sudo -n $(q "$helper") --root $(q "$root") --slurm-conf $(q "$SLURM_CONF"); exit \$?'" \
	2>"$T/fakestepd.err" || rc=$?
refused "a fake slurmstepd" "$rc" "$T/fakestepd.err" "^ckpt-run-helper: cannot restore: the caller \\(uid $ATK_UID\\) is not in a Slurm batch job"

# 3-5: jobs held while their directories are made, then run.
probe=$(submit probe --hold)
edited=$(submit edited --hold)
rootjob=$(sbatch --parsable --hold -J rootjob -o "$T/rootjob.out" -e "$T/rootjob.err" --chdir "$T" \
	"$T/rootjob.sh") || fail "sbatch rootjob failed"
log "probes: link $probe, edited $edited, root's $rootjob"
core=core-$pid.img
[[ -f $img/$core ]] || fail "no $core in the checkpoint"
# An edited copy: every uid of the program 0.
mkdir -m 0700 "$T/edited"
cp -a "$img/." "$T/edited/"
"$IMGEDIT" "$T/edited" "$core" creds.uid=0 creds.euid=0 creds.suid=0 creds.fsuid=0 ||
	fail "imgedit of the creds failed"
# (3) The probe's directory a symbolic link to one of the user's, and a
# ROOT of the user's: both hold the edited set, the user's.
as_user mkdir -p "$ATK_HOME/link/private" "$uroot/$probe/private"
cp -a "$T/edited" "$ATK_HOME/link/private/images"
cp -a "$T/edited" "$uroot/$probe/private/images"
chown -R "$ATK_UID:$ATK_GID" "$ATK_HOME/link" "$uroot"
ln -s "$ATK_HOME/link" "$root/$probe"
# (4) The edited set in the tree, root's, as if root had written it.
mkdir -m 0711 "$root/$edited"
mkdir -m 0700 "$root/$edited/private"
cp -a "$T/edited" "$root/$edited/private/images"
echo "$ATK_UID" >"$root/$edited/uid"
chown -R 0:0 "$root/$edited"
# (3') Root's stale checkpoint under the probe's id in root3.
mkdir -m 0711 "$root3/$probe"
mkdir -m 0700 "$root3/$probe/private"
cp -a "$img" "$root3/$probe/private/images"
echo 0 >"$root3/$probe/uid"
# (5) Root's job: the real checkpoint planted in its directory.
mkdir -m 0711 "$root/$rootjob"
mkdir -m 0700 "$root/$rootjob/private"
cp -a "$img" "$root/$rootjob/private/images"
echo 0 >"$root/$rootjob/uid"

scontrol update nodename="$SL_NODE" state=resume || fail "cannot resume $SL_NODE"
scontrol release "$probe" "$edited" "$rootjob" || fail "cannot release the probes"
ended() { local s; s=$(job_state "$1"); [[ $s == COMPLETED || $s == FAILED ]]; }
for j in "$probe" "$edited" "$rootjob"; do
	wait_for 60 "probe job $j to end" ended "$j" || fail "probe job $j is $(job_state "$j")"
done
rcof() { cat "$ATK_HOME/$1.rc" 2>/dev/null || echo none; }
refused "a job directory that is a symbolic link" "$(rcof link)" "$ATK_HOME/link.err" \
	"^ckpt-run-helper: cannot restore job $probe: '$root/$probe' is not a directory \\(a symbolic link"
refused "a root the user may write" "$(rcof uroot)" "$ATK_HOME/uroot.err" \
	"^ckpt-run-helper: cannot restore job $probe: '$uroot' is not root's \\(uid $ATK_UID\\)"
refused "a stale checkpoint of root's under the job's id" "$(rcof stale)" "$ATK_HOME/stale.err" \
	"^ckpt-run-helper: cannot restore job $probe: its checkpoint was written for uid 0's job, not the caller's \\(uid $ATK_UID\\)"
[[ -z $(find "$root3/$probe/private/images" \! -uid 0 -print -quit) ]] || fail "the stale set is no longer root's"
refused "root's job" "$(rcof rootjob)" "$ATK_HOME/rootjob.err" \
	"^ckpt-run-helper: cannot restore job $rootjob: it is uid 0's, not the caller's \\(uid $ATK_UID\\)"
refused "images edited to claim uid 0" "$(rcof edited)" "$ATK_HOME/edited.err" \
	"^ckpt: cannot restore: image set '.*' is owned by uid $ATK_UID and may only restore processes of that user \\(process $pid claims uid 0\\)"
[[ -z $(find "$root/$edited/private/images" \! -uid 0 -print -quit) ]] ||
	fail "the edited set was not given back to root after its refused restore"

# The real job runs again: restored as the user, below its batch step.
scontrol release "$job" || fail "cannot release job $job"
wait_for 90 "job $job to print on after its restore" lines_of "$ATK_HOME/job.out" $((n_at + 1)) ||
	fail "job $job did not continue: $(job_state "$job"), $(tail -n 3 "$ATK_HOME/job.err" 2>/dev/null | tr '\n' ' ')"
if [[ -e /proc/$pid ]]; then
	uids=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")
	[[ $uids == "$ATK_UID $ATK_UID $ATK_UID $ATK_UID" ]] || fail "the restored program runs with uids $uids"
	caps=$(awk '$1 == "CapEff:" { print $2 }' "/proc/$pid/status")
	[[ $caps =~ ^0+$ ]] || fail "the restored program has capabilities $caps"
	chain='' p=$pid
	while ((p > 1)); do
		chain+=" $(tr "\0" " " <"/proc/$p/cmdline")|"
		p=$(awk '$1 == "PPid:" { print $2 }' "/proc/$p/status")
	done
	log "the restored program's ancestry:$chain"
	[[ $chain == *"ckpt-run-helper"* && $chain == *"slurmstepd: [$job.batch]"* ]] ||
		fail "the restored program is not below the helper and the job's batch step:$chain"
else
	fail "the restored program $pid ended before its ancestry was looked at"
fi

# A second checkpoint: the restored program (below root's ckpt restore)
# checkpointed again, not requeued this time (Slurm delays a second
# requeue's start by tens of seconds): its ckpt-run waits CKPT_RUN_WAIT
# for a requeue, then has it restored in place by the helper again.
ck_cmd "$SCRIPTS/ckpt-run" --checkpoint "$job" --root "$root" --no-requeue
((CK_RC == 0)) || fail "the second checkpoint of job $job exited $CK_RC: $(head -n 1 "$CK_ERR")"
n2=$(wc -l <"$ATK_HOME/job.out")
((n2 > n_at && n2 < steps)) || fail "the second checkpoint came after $n2 lines (the first after $n_at, of $steps)"
[[ -z $(find "$img" \! -uid 0 -print -quit) ]] || fail "the second checkpoint is not root's"
log "job $job checkpointed again after $n2 lines"

done_state() { [[ $(job_state "$1") == COMPLETED ]]; }
wait_for 60 "the reference job $ref to complete" done_state "$ref" || fail "the reference job $ref is $(job_state "$ref")"
wait_for 60 "job $job to complete after its requeue" done_state "$job" ||
	fail "job $job is $(job_state "$job") after its requeue: $(tail -n 3 "$ATK_HOME/job.err" 2>/dev/null | tr '\n' ' ')"
restarts=$(scontrol show job "$job" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
((restarts == 1)) || fail "job $job was started $((restarts + 1)) times, want 2 (one requeue)"
grep -q "no requeue came: restoring the job in place" "$ATK_HOME/job.err" ||
	fail "job $job was not restored in place after its second checkpoint: $(tail -n 2 "$ATK_HOME/job.err" | tr '\n' ' ')"
log "job $job err: $(tr '\n' ' ' <"$ATK_HOME/job.err")"
(($(wc -l <"$ATK_HOME/ref.out") == steps + 1)) ||
	fail "the reference printed $(wc -l <"$ATK_HOME/ref.out") lines, want $((steps + 1))"
if ! cmp -s "$ATK_HOME/ref.out" "$ATK_HOME/job.out"; then
	diff "$ATK_HOME/ref.out" "$ATK_HOME/job.out" | head -n 6 >&2
	fail "the requeued job's output differs from the reference's"
fi
[[ -e $root/$job ]] && fail "the checkpoint of job $job is left after it ended well"
true
