#!/bin/bash
# The Quick start demo: build ckpt, start a python3 job that counts, dump
# it (which kills it), restore it, and show that it counts on from where it
# was with the same PID.
#
# Run as root on Debian 12, from the repository root: scripts/demo.sh
# PYTHON=/path/to/python3 picks another interpreter (default: Debian's).
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-/usr/bin/python3}
DEPS=(build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev libcap-dev
	libelf-dev liblz4-dev libzstd-dev check python3
	procps) # procps: ps, for this demo

step() {
	printf '\n==> %s\n' "$*"
}

die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

# Poll until "$@" succeeds, for at most $TIMEOUT seconds (default 10).
wait_for() {
	local i
	for ((i = 0; i < ${TIMEOUT:-10} * 10; i++)); do
		if "$@"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

pid_free() {
	! kill -0 "$PID" 2>/dev/null && [ ! -e "/proc/$PID" ]
}

lines() {
	wc -l <"$LOG"
}

more_lines_than() {
	[ "$(lines)" -gt "$1" ]
}

[ "$(id -u)" -eq 0 ] || die "run me as root (ckpt needs ptrace and clone3 set_tid)"

PID=
WORK=
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -KILL "$PID" 2>/dev/null || true
	fi
	if [ -n "$WORK" ]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

step "Build dependencies"
missing=()
for p in "${DEPS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y "${missing[@]}"
else
	echo "all installed: ${DEPS[*]}"
fi

step "Build ckpt"
make
./ckpt --version

WORK=$(mktemp -d /tmp/ckpt-demo.XXXXXX)
LOG=$WORK/counter.log
IMAGES=$WORK/images

step "Start a python3 job that counts, one line every 0.2 s, into $LOG"
cat >"$WORK/counter.py" <<'PY'
import time

n = 0
squares = 0
while True:
    squares += n * n
    print(f"count {n} sum-of-squares {squares}", flush=True)
    n += 1
    time.sleep(0.2)
PY
: >"$LOG"
# A real interpreter, unmodified. Its stdout (and stderr) go to the log,
# opened for append; its stdin is /dev/null; any other fd this shell was
# given is closed first: it holds no terminal and no pipe.
(
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		if [ "$fd" -gt 2 ]; then
			eval "exec $fd>&-"
		fi
	done
	exec "$PYTHON" "$WORK/counter.py"
) </dev/null >>"$LOG" 2>&1 &
PID=$!
# Out of the job table, so that bash does not report its "Killed" later;
# bash still reaps it when it exits.
disown "$PID"
echo "started PID $PID"
wait_for more_lines_than 4 || die "the job printed nothing in 10 s"
ps -o pid,cmd -p "$PID"
tail -n 3 "$LOG"

step "Checkpoint it: ./ckpt dump --pid $PID --images $IMAGES"
./ckpt dump --pid "$PID" --images "$IMAGES"
# Wait until nothing holds its PID any more (it is restored with that PID).
wait_for pid_free || die "PID $PID is still taken"
before=$(lines)
echo "the job is gone (PID $PID is free); its last line:"
tail -n 1 "$LOG"

step "What the images hold: ./ckpt show --images $IMAGES"
./ckpt show --images "$IMAGES"

step "Restore it: ./ckpt restore --images $IMAGES --detach"
./ckpt restore --images "$IMAGES" --detach
TIMEOUT=10 wait_for more_lines_than $((before + 4)) ||
	die "the restored job printed nothing new in 10 s"
ps -o pid,cmd -p "$PID"

step "It counts on, with the same PID"
echo "last lines before the dump, then the first ones after the restore:"
sed -n "$((before - 1)),$((before + 3))p" "$LOG"
# Every line must be the next count: no restart from 0, no gap, no repeat.
awk '$1 != "count" || $2 != NR - 1 { bad = 1; print "demo: line " NR " is wrong: " $0 }
     END { exit bad }' "$LOG" || die "the counter did not continue"
echo "OK: counted $(lines) lines in a row, PID $PID before and after the checkpoint"

step "Clean up"
kill "$PID"
wait_for pid_free || die "PID $PID did not exit"
PID=
echo "killed the job and removed $WORK"
