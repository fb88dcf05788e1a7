# shellcheck shell=bash
# suspend.sh - helpers of the node maintenance tests (340-345), sourced
# after lib.sh: ckpt-suspend, ckpt-resume and ckpt-run run as a user would.

# suspend_scripts: SCRIPTS is the directory of ckpt-suspend and ckpt-resume
# (CKPT_SCRIPTS, else the tree's scripts/); CKPT is exported for them.
suspend_scripts() {
	SCRIPTS=${CKPT_SCRIPTS:-$PWD/scripts}
	[[ -x $SCRIPTS/ckpt-suspend && -x $SCRIPTS/ckpt-resume ]] ||
		fail "no ckpt-suspend or ckpt-resume in $SCRIPTS"
	export CKPT
}

# run_script OUT COMMAND...: run a script with stdin from /dev/null, its
# stdout into OUT and its stderr into OUT.err; RUN_RC its exit status.
run_script() {
	local out=$1
	shift
	log "+ $*"
	RUN_RC=0
	timeout -k 5 60 "$@" </dev/null >"$out" 2>"$out.err" || RUN_RC=$?
	sed 's/^/  | /' "$out" "$out.err" >&2
	log "  exit $RUN_RC"
}

# ckpt_run_scripts: SCRIPTS is the directory of ckpt-run (as above), job_bin
# the hash job the ckpt-run tests run (343-hash-job); CKPT is exported.
ckpt_run_scripts() {
	SCRIPTS=${CKPT_SCRIPTS:-$PWD/scripts}
	[[ -x $SCRIPTS/ckpt-run ]] || fail "no ckpt-run in $SCRIPTS"
	job_bin=$E2E_TARGETS/343-hash-job
	[[ -x $job_bin ]] || fail "target $job_bin not built"
	export CKPT
}
