#!/bin/bash
# The migration demo of the Quick start: build ckpt, make two "machines"
# on this one (network, mount and pid namespaces with their own /tmp, each
# running its own sshd, as the tests do: test/e2e/machines.sh), start a
# python3 job that counts on machine a, move it to machine b with
# `ckpt-migrate --live` over ssh, and show it counting on in b with the
# same PID. Everything it made is removed at the end, also on failure.
#
# Run as root on Debian 12, from the repository root: scripts/demo-migrate.sh
set -euo pipefail

cd "$(dirname "$0")/.."

DEPS=(build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev libcap-dev
	libelf-dev liblz4-dev libzstd-dev check python3 iproute2 util-linux
	openssh-server openssh-client iputils-arping procps)

step() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run me as root (ckpt needs ptrace and clone3 set_tid; the machines need namespaces)"

step "Dependencies"
missing=()
for p in "${DEPS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	# The package's own sshd service is not needed (and may not start in
	# a container): the demo starts its own two.
	apt-get install -y "${missing[@]}"
else
	echo "all installed"
fi

step "Build ckpt"
make
./ckpt --version

# The machines, the waits and the clean-up of the end-to-end tests.
export CKPT=$PWD/ckpt
# shellcheck source=test/e2e/lib.sh
. test/e2e/lib.sh
# shellcheck source=test/e2e/machines.sh
. test/e2e/machines.sh
TEST_NAME=demo-migrate
e2e_init 2>/dev/null
set +e # the harness's helpers say what failed themselves

step "Two machines on this one: a (${MACH_ADDR[a]}) and b (${MACH_ADDR[b]}), each with its own sshd"
machines_up 2>"$T/machines.log" || die "cannot make the machines: $(tail -n 1 "$T/machines.log")"
tail -n 1 "$T/machines.log"
new_tmp SHARED /dev/shm # storage both machines see, as NFS would be
LOG=$SHARED/job/out

step "On machine a: a python3 job that counts, one line every 0.2 s, into $LOG"
cat >"$SHARED/counter.py" <<'PY'
import os, time

n = 0
while True:
    print(f"count {n} pid {os.getpid()}", flush=True)
    n += 1
    time.sleep(0.2)
PY
mach_spawn a "$SHARED/job" /usr/bin/python3 "$SHARED/counter.py"
PID=$JOB_INNER
disown -a # no "Killed" from bash when the source is killed
more_than() { [ "$(wc -l <"$LOG")" -gt "$1" ]; }
wait_for 10 "the job to count" more_than 4 || die "the job printed nothing"
echo "machine a, PID $PID:"
mach_run a ps -o pid,cmd -p "$PID"
tail -n 2 "$LOG"

step "Move it: ckpt-migrate --pid $PID --to root@${MACH_ADDR[b]} --live (run on machine a)"
before=$(wc -l <"$LOG")
# shellcheck disable=SC2086 # MACH_SSH_OPTS is a list of words
mach_run a env CKPT="$CKPT" scripts/ckpt-migrate --pid "$PID" --to "root@${MACH_ADDR[b]}" \
	--live --ssh-opts "$MACH_SSH_OPTS" || die "the migration failed"

step "It counts on, on machine b, with the same PID"
wait_for 10 "the job to count on b" more_than $((before + 4)) || die "the job does not count on b"
job_on b "$PID"
echo "machine b, PID $PID:"
mach_run b ps -o pid,cmd -p "$PID"
echo "machine a has no PID $PID any more: $(mach_run a ps -o pid= -p "$PID" || echo gone)"
echo "the lines around the move:"
sed -n "$((before - 1)),$((before + 3))p" "$LOG"
awk '$1 != "count" || $2 != NR - 1 { bad = 1; print "demo: line " NR " is wrong: " $0 }
     END { exit bad }' "$LOG" || die "the counter did not go on"
echo "OK: $(wc -l <"$LOG") lines in a row, PID $PID on a, then on b"

step "Clean up"
echo "the job, both machines and their sshd are removed on exit"
