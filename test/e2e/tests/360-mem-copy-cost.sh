#!/bin/bash
# 360-mem-copy-cost.sh - what the copy of memory costs ckpt per process, in
# page faults of its own (a count that does not depend on the machine's
# load), and that every process's memory still comes back exactly.
#
# Two 360-mem-procs trees, of 1 process and of 17, each process holding
# 8 MiB it wrote, are dumped and restored; ckpt's minor page faults
# (getrusage of what python3 ran and waited for) for the big tree less
# the small one's, divided by 16, is what one more process costs ckpt. On
# a VM the first touch of fresh memory costs more than the copy through
# it: the buffers between ckpt's copier and its writer (dump) or reader
# (restore) are kept from one process to the next, in huge pages where the
# kernel gives them, and at restore the process populates every other batch
# of its pages itself, also when it has only a few MiB (ckpt's writes fault
# in the rest, counted as ckpt's). One more process of 8 MiB (2048 pages)
# costs the dump at most 512 faults (before: about 2000, two fresh buffers
# of its size), the restore at most 1024 + 256 (before: about 6000, every
# page faulted in by ckpt and two fresh buffers). No timing. Each restored
# process then reads its whole memory back.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

MIB=8
MORE=16
PAGES=$((MIB * 256))
MAX_DUMP=512
MAX_RESTORE=$((PAGES / 2 + 256))

# faulted FILE CMD...: run CMD under ck_cmd; its minor faults (and those of
# what it waited for) go to FILE.
faulted() {
	local file=$1
	shift
	# shellcheck disable=SC2016
	ck_cmd "$PYTHON" -I -S -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt)
sys.exit(rc)' "$file" "$@"
	((CK_RC == 0)) || fail "'$*' failed (exit $CK_RC): $(ck_err_line)"
	[[ $(<"$file") =~ ^[0-9]+$ ]] || fail "no fault count in $file"
}

# dump_restore NAME PROCS: start a tree, dump it (killed), restore it; its
# faults in $T/NAME.dump and $T/NAME.restore; the restored root in ROOT_NAME.
dump_restore() {
	local w=$T/$1 pid
	start_target "$w" 360-mem-procs "$2" "$MIB"
	pid=$TARGET_PID
	self_check "$pid" "$w"
	[[ $(check_value procs) == "$2" ]] || fail "procs=$(check_value procs), want $2"
	mapfile -t TREE_PIDS < <(tree_pids "$pid")
	track_pids "${TREE_PIDS[@]}"
	IDS=$(tree_snapshot "$pid")
	faulted "$T/$1.dump" "$CKPT" dump --pid "$pid" --images "$T/$1.img"
	reap "$pid"
	((REAP_STATUS == 137)) || fail "after the dump $pid ended with status $REAP_STATUS, want 137"
	wait_tree_gone "${TREE_PIDS[@]}"
	faulted "$T/$1.restore" "$CKPT" restore --images "$T/$1.img" --detach
	[[ -e /proc/$pid ]] || fail "ckpt restore --detach returned but PID $pid does not exist"
	mapfile -t TREE_PIDS < <(tree_pids "$pid")
	track_pids "${TREE_PIDS[@]}"
	assert_same "process ids (pid ppid pgid sid state)" "$IDS" "$(tree_snapshot "$pid")"
	self_check "$pid" "$w" 60
	log "$1: $(check_value procs) processes of $(check_value mib) MiB each checked their memory"
	log "$1: ckpt's faults: dump $(<"$T/$1.dump"), restore $(<"$T/$1.restore")"
	kill_tree "${TREE_PIDS[@]}"
}

dump_restore one 1
dump_restore many $((MORE + 1))

for step in dump restore; do
	a=$(<"$T/one.$step") b=$(<"$T/many.$step")
	per=$(((b - a) / MORE))
	max=$MAX_DUMP
	[[ $step == restore ]] && max=$MAX_RESTORE
	log "$step: $a faults for 1 process, $b for $((MORE + 1)): $per per process of $MIB MiB"
	((per <= max)) || fail "$step: $per page faults of ckpt per process of $MIB MiB, want at most $max"
done
assert_no_strays
