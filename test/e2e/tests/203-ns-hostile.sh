#!/bin/bash
# 203-ns-hostile.sh - the namespaces' images are untrusted input. A
# container of every kind ckpt saves here (`unshare --fork --pid --uts
# --ipc --time --cgroup` around a target with a child, a System V segment
# and semaphore set, clocks and cgroups) is dumped; copies of the set with
# ns.img or a namespace's image edited (checksums fixed, by imgedit) into
# something no dump writes are refused at load with one line saying what,
# before anything is created: the images are not touched, no process is
# left, the pids are free. Then each step that makes a namespace fails in
# turn (the fault sites "n" of src/fault.h, with the fault build): the
# restore fails with one line, leaves nothing; a dump failed the same way
# leaves the tree running. The pristine set still restores.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"

w=$T/w
img=$T/images
key=$((203000 + $$ % 10000))
mkdir -p "$w"
start_container() {
	spawn "$w" unshare --fork --pid --uts --ipc --time --cgroup "$E2E_TARGETS/200-ns" "$w" \
		hostname ck203 children 1 sysv "$key" clocks cgroup
	uns=$TARGET_PID
	wait_for 20 "the target to start" more_lines_than "$w/out" '^(READY|FATAL)' "$1" ||
		fail "the target never said READY"
	has_line "$w/out" '^FATAL' && fail "target set-up failed: $(grep -m1 '^FATAL' "$w/out")"
	pid=$(sed -n 's/^HOST pid=\([0-9]*\) .*/\1/p' "$w/out" | tail -n 1)
	track_pid "$pid"
	self_check "$pid" "$w"
}
start_container 0
dump_tree "$uns" "$img"
pids=("${TREE_PIDS[@]}")

# The index in ns.img of the namespace of kind K (ns.h: pid 0, ipc 3, uts
# 4, cgroup 6, time 7) and its id.
ns_index() { "$IMGEDIT" "$img" ns.img | sed -n "s/^ns\[\([0-9]*\)\]\.kind=$1\$/\1/p"; }
ns_id() { "$IMGEDIT" "$img" ns.img "ns[$(ns_index "$1")].id" | sed 's/.*=//'; }
pidns=$(ns_index 0)
[[ -n $pidns && -n $(ns_index 3) && -n $(ns_index 4) && -n $(ns_index 6) && -n $(ns_index 7) ]] ||
	fail "ns.img does not list the five namespaces: $("$IMGEDIT" "$img" ns.img | grep kind | tr '\n' ' ')"
# The target is procs[1], its child procs[2] (pids 1 and 2 inside).

# hostile FILE WHY_REGEX EDIT...: a copy of the set with EDITs applied to
# FILE is refused, saying WHY_REGEX.
hostile() {
	local file=$1 why=$2 bad
	shift 2
	bad=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$img/." "$bad/"
	"$IMGEDIT" "$bad" "$file" "$@" || fail "imgedit $file $* failed"
	log "==== $file: $*"
	expect_restore_fail "$bad" "$uns" "with $file $*"
	grep -qE "$why" "$CK_ERR" || fail "restore with $file $*: the refusal does not say '$why': $(ck_err_line)"
	[[ $(wc -l <"$CK_ERR") == 1 ]] || fail "restore with $file $*: more than one line: $(ck_err_line)"
	rm -rf -- "$bad"
}

inc='images are inconsistent \(ns.img: '
hostile ns.img "${inc}namespace .*: kind 9" "ns[0].kind=9"
hostile ns.img "${inc}namespace .* listed twice" "ns[+]=@0"
hostile ns.img "${inc}namespace .*: owner 99999 not in the tree" "ns[0].owner=99999"
hostile ns.img "${inc}namespace .*: its owner ${pids[0]} is not in it" "ns[$pidns].owner=${pids[0]}"
hostile ns.img "${inc}process ${pids[1]}: in namespace .*, neither its parent's nor its own" \
	"ns[$pidns].owner=${pids[2]}"
hostile ns.img "${inc}process ${pids[2]}: a namespace 12345 not listed" "procs[2].ns[0]=12345"
hostile ns.img "${inc}process ${pids[2]}: a namespace [0-9]+ not listed" "procs[2].ns[4]=$(ns_id 7)"
hostile ns.img "${inc}.*pid ${pids[1]}: pid 0 inside" "procs[1].nspid[1]=0"
hostile ns.img "${inc}.*pid ${pids[1]}: pid 4194304 inside" "procs[1].nspid[1]=4194304"
hostile ns.img "${inc}.*pid ${pids[2]}: pid 1 in its own namespace" "procs[2].nspid[1]=1"
hostile ns.img "${inc}.*pid ${pids[2]}: 3 levels" "procs[2].nspid[+]=7"
hostile ns.img "${inc}.*pid ${pids[2]}: 2 levels" "procs[2].nspid[0]=${pids[1]}"
hostile ns.img "${inc}.*processes, pstree has" "procs[-]=2"
hostile ns.img "${inc}.*pid_for_children" "procs[0].pid_for_children=777"
# ns[0] relabelled a mount namespace: its owner's mount namespace is not
# that one (the container shares ckpt's), so it is refused as such.
ns0() { "$IMGEDIT" "$img" ns.img "ns[0].$1" | sed 's/.*=//'; }
hostile ns.img "${inc}namespace $(ns0 id): its owner $(ns0 owner) is not in it\)" "ns[0].kind=1"
hostile "uts-$(ns_id 4).img" "uts-[0-9]+.img: names longer than 64 bytes" \
	"hostname=$(printf 'h%.0s' {1..65})"
hostile "ipcns-sysctl-$(ns_id 3).img" "ipcns-sysctl-[0-9]+.img: limit 0" \
	"sysctls[0].name=kernel/core_pattern"
hostile "ipcns-sysctl-$(ns_id 3).img" "ipcns-sysctl-[0-9]+.img: limit 0" "sysctls[0].value=|/bin/sh"
hostile "ipcns-sysctl-$(ns_id 3).img" "ipcns-sysctl-[0-9]+.img: limit 1" "sysctls[1].name=kernel/shmmax"
hostile "ipcns-$(ns_id 3).img" "ipcns-[0-9]+.img: shm .* removed" "shm[0].mode=01600"
hostile "time-$(ns_id 7).img" "time-[0-9]+.img: clocks" "monotonic_ns=0x7fffffffffffffff"
hostile "time-$(ns_id 7).img" "time-[0-9]+.img: clocks" "monotonic_ns=9" "boottime_ns=8"
hostile "cgroupns-$(ns_id 6).img" "cgroupns-[0-9]+.img: hierarchy 0" "roots[0].controllers=a b"
hostile "cgroupns-$(ns_id 6).img" "cgroup.*'/sys/../etc'" "roots[0].root=/sys/../etc"
hostile "cgroupns-$(ns_id 6).img" "cgroup '/ck203-none-$$', the root of cgroup namespace [0-9]+, does not exist" \
	"roots[0].root=/ck203-none-$$"

# Each step that makes a namespace, failed: nothing is left.
restore_faults_leave_nothing "$img" pids restore_ns_uts restore_ns_ipc restore_ns_time restore_ns_cgroup restore_ns_finish

# The pristine set restores; a dump of it failed at each step that saves
# a namespace leaves it running.
restore_tree "$img" "$uns"
self_check "$pid" "$w"
[[ $(check_value pid) == 1 && $(check_value hostname) == ck203 ]] ||
	fail "after the restore: pid=$(check_value pid) hostname=$(check_value hostname)"
mkdir -p "$T/d"
for site in dump_ns_open dump_write_ns dump_write_ns@3; do
	ck_cmd env CKPT_FAULT="$site" "$FCKPT" dump --pid "$uns" --images "$T/d/set"
	ck_assert_failed "dump with a fault at $site"
	assert_dump_left_nothing "$T/d"
	self_check "$pid" "$w"
done
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
