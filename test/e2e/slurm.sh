# shellcheck shell=bash
# slurm.sh - a Slurm cluster of one node on loopback for a test (343),
# sourced after lib.sh and net.sh: its own munged (a key and socket of its
# own in a private directory, run as the munge user), its own slurmctld
# and slurmd (slurm.conf in that directory, SlurmUser as packaged, ports
# free for this run, state and spool there, proctrack/linuxproc and
# task/none: no cgroup plugin; cred_expire=5, the wait before a requeued
# job may start again, 120 s by default; two jobs a core, so that a test's
# jobs run side by side on a machine of one CPU). Nothing system-wide is used or changed;
# everything started is stopped and the directory removed at the end,
# even when the test fails.
#
#   slurm_start          start munged, slurmctld, slurmd; SLURM_CONF set
#                        (SL_CPUS=N: the node's CPUs, default nproc's)
#   slurm_wait_idle      the node is up (idle)
#   job_state JOBID      the job's state (PENDING, RUNNING, COMPLETED...)

SL_DIR='' SL_PIDS=() SL_PART=''

slurm_cleanup() {
	local p
	[[ -n $SL_DIR ]] || return 0
	# Jobs first (their processes are our slurmd's slurmstepd's, not
	# the test's children), then the daemons.
	if [[ -n ${SL_PART:-} ]] && timeout 10 scancel --full -s KILL -p "$SL_PART" >/dev/null 2>&1; then
		wait_for 20 "the test's jobs to end" sl_no_jobs || true
	fi
	for p in "${SL_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${SL_PIDS[@]}"; do
		wait_for 10 "slurm daemon $p to stop" is_gone "$p" || kill -9 "$p" 2>/dev/null
	done
	[[ ${E2E_KEEP:-0} == 1 ]] || rm -rf -- "$SL_DIR"
	SL_DIR=''
}

# sl_daemon NAME COMMAND...: start a daemon in the foreground of its own
# (tracked, stopped at clean-up).
sl_daemon() {
	local name=$1
	shift
	"$@" </dev/null >>"$SL_DIR/$name.out" 2>&1 &
	SL_PIDS+=($!)
	track_pid $!
}

slurm_start() {
	local node conf
	for c in munged slurmctld slurmd sbatch scontrol squeue scancel; do
		command -v "$c" >/dev/null || skip "$c is not installed (slurm-wlm, munge)"
	done
	id slurm >/dev/null 2>&1 || skip "no slurm user (the Debian package makes it)"
	id munge >/dev/null 2>&1 || skip "no munge user (the Debian package makes it)"
	CLEANUP_HOOKS+=(slurm_cleanup)
	SL_DIR=$(mktemp -d /tmp/ckpt-e2e-slurm.XXXXXX) || fail "mktemp failed"
	chmod 0755 "$SL_DIR"
	mkdir -m 0700 "$SL_DIR/munge" "$SL_DIR/state" "$SL_DIR/spool"
	head -c 1024 /dev/urandom >"$SL_DIR/munge/key"
	chmod 0400 "$SL_DIR/munge/key"
	# The socket where every user may reach it, the key private.
	mkdir -m 0755 "$SL_DIR/run"
	chown -R munge:munge "$SL_DIR/munge" "$SL_DIR/run"
	chown slurm:slurm "$SL_DIR/state"
	touch "$SL_DIR/slurmctld.log" && chown slurm:slurm "$SL_DIR/slurmctld.log"
	# munged checks that no one else may write on the way to its key
	# and socket: /tmp is world-writable (sticky), hence --force.
	sl_daemon munged setpriv --reuid=munge --regid=munge --clear-groups -- \
		munged --foreground --force --socket="$SL_DIR/run/sock" \
		--key-file="$SL_DIR/munge/key" --pid-file="$SL_DIR/munge/pid" \
		--seed-file="$SL_DIR/munge/seed" --log-file="$SL_DIR/munge/log"
	wait_for 20 "munged's socket" test -S "$SL_DIR/run/sock" ||
		fail "munged did not start: $(tail -n 3 "$SL_DIR/munged.out" "$SL_DIR/munge/log" 2>/dev/null)"
	node=ckptn$$
	SL_NODE=$node SL_PART=ckpt$$
	SL_CTLD_PORT=$(free_port) SL_SLURMD_PORT=$(free_port)
	[[ $SL_CTLD_PORT != "$SL_SLURMD_PORT" ]] || SL_SLURMD_PORT=$(free_port)
	conf=$SL_DIR/slurm.conf
	cat >"$conf" <<EOF
ClusterName=ckpt$$
SlurmctldHost=$(hostname -s)(127.0.0.1)
MailProg=/bin/true
SlurmUser=slurm
SlurmctldPort=$SL_CTLD_PORT
SlurmdPort=$SL_SLURMD_PORT
AuthType=auth/munge
AuthInfo=socket=$SL_DIR/run/sock,cred_expire=5
CredType=cred/munge
StateSaveLocation=$SL_DIR/state
SlurmdSpoolDir=$SL_DIR/spool
SlurmctldPidFile=$SL_DIR/slurmctld.pid
SlurmdPidFile=$SL_DIR/slurmd.pid
SlurmctldLogFile=$SL_DIR/slurmctld.log
SlurmdLogFile=$SL_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobRequeue=1
PlugStackConfig=$SL_DIR/plugstack.conf
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$(hostname -s) CPUs=${SL_CPUS:-$(nproc)} State=UNKNOWN
PartitionName=$SL_PART Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:2
EOF
	: >"$SL_DIR/plugstack.conf"
	export SLURM_CONF=$conf
	sl_daemon slurmctld slurmctld -D -i -f "$conf"
	sl_daemon slurmd slurmd -D -f "$conf" -N "$node"
	wait_for 40 "the node to be idle" slurm_idle ||
		fail "slurm did not come up: $(tail -n 3 "$SL_DIR/slurmctld.log" "$SL_DIR/slurmd.log" 2>/dev/null | tr '\n' ' ')"
	log "slurm: node $node, slurmctld port $SL_CTLD_PORT, slurmd port $SL_SLURMD_PORT, in $SL_DIR"
}

sl_no_jobs() {
	[[ -z $(timeout 10 squeue -h -p "$SL_PART" -t RUNNING,COMPLETING,SUSPENDED 2>/dev/null) ]]
}

slurm_idle() {
	[[ $(sinfo -h -n "$SL_NODE" -o %T 2>/dev/null) == idle ]]
}

job_state() {
	scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1
}
