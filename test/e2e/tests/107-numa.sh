#!/bin/bash
# 107-numa.sh - each thread's NUMA memory policy (set_mempolicy) is saved
# and restored: eight threads of 107-numa each with a mode of its own on
# node 0 (default, preferred, bind with static nodes, interleave with
# relative nodes, local, preferred-many, weighted interleave, bind with
# NUMA balancing) and the main thread preferred with relative nodes; six
# slices of one mapping with a policy each by mbind. Dump (kills),
# restore: every thread's get_mempolicy gives its mode, flags and nodes
# as set, and each slice's (MPOL_F_ADDR) too, its bytes as written. Then hostile or foreign images are refused at restore
# with one line, nothing left and the images untouched: an unknown mode,
# unknown flags, both static and relative nodes, a node mask too long,
# and a node this machine lacks (the images may come from a bigger one).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
[[ -e /sys/devices/system/node/node0 ]] || fail "no NUMA node 0 (a kernel without CONFIG_NUMA?)"

w=$T/w
start_target "$w" 107-numa
pid=$TARGET_PID
self_check "$pid" "$w"
[[ $(check_value threads) == 9 ]] || fail "threads=$(check_value threads), want 9"
[[ $(check_value slices) == 6 ]] || fail "slices=$(check_value slices), want 6"
dump_and_reap "$pid" "$T/img"
restore_detached "$T/img" "$pid"
self_check "$pid" "$w"
[[ $(check_value threads) == 9 ]] || fail "threads=$(check_value threads) after the restore"
n=$(wc -l <"$w/seq")
wait_seq_beyond "$w/seq" $((n + 5))
kill_restored "$pid"
assert_no_strays

# The thread of the image with the policy "bind, static nodes".
th=$("$IMGEDIT" "$T/img" "core-$pid.img" | sed -n 's/^threads\[\([0-9]*\)\]\.mempolicy=32770$/\1/p' | head -n 1)
[[ -n $th ]] || fail "no thread with mempolicy 0x8002 (bind, static nodes) in core-$pid.img"

refused() { # WHY_REGEX [FILE] EDIT...
	local why=$1 file=core-$pid.img bad
	shift
	[[ $1 == *.img ]] && file=$1 && shift
	bad=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$T/img/." "$bad/"
	"$IMGEDIT" "$bad" "$file" "$@" || fail "imgedit $* failed"
	log "==== $*"
	expect_restore_fail "$bad" "$pid" "with $*"
	grep -qE "$why" "$CK_ERR" || fail "restore with $*: the refusal does not say '$why': $(ck_err_line)"
}
refused "unknown memory policy mode" "threads[$th].mempolicy=7"
refused "unknown memory policy mode" "threads[$th].mempolicy=0x1002"
refused "both static and relative" "threads[$th].mempolicy=0xc002"
refused "node mask of a bad size" "threads[$th].mempolicy_nodes=hex:$(printf '00%.0s' {1..136})"
refused "default memory policy with nodes" "threads[$th].mempolicy=0"
# Node 1023 (the last MAX_NUMNODES allows): absent here.
[[ -e /sys/devices/system/node/node1023 ]] && fail "this machine has node 1023"
refused "memory policy of thread [0-9]+: it did not hold" \
	"threads[$th].mempolicy=2" "threads[$th].mempolicy_nodes=hex:$(printf '00%.0s' {1..127})80"

# The slice with "interleave, relative nodes" (0x4003) in the mm image.
vma=$("$IMGEDIT" "$T/img" "mm-$pid.img" | sed -n 's/^vmas\[\([0-9]*\)\]\.mempolicy=16387$/\1/p' | head -n 1)
[[ -n $vma ]] || fail "no mapping with mempolicy 0x4003 (interleave, relative nodes) in mm-$pid.img"
refused "vma [0-9]+: an unknown memory policy mode" "mm-$pid.img" "vmas[$vma].mempolicy=9"
refused "vma [0-9]+: a memory policy node mask of a bad size" "mm-$pid.img" \
	"vmas[$vma].mempolicy_nodes=hex:0100"
refused "memory policy of the mapping at [0-9a-f]+: it did not hold" "mm-$pid.img" \
	"vmas[$vma].mempolicy=2" "vmas[$vma].mempolicy_nodes=hex:$(printf '00%.0s' {1..127})80"
