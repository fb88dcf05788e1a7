#!/bin/bash
# 38-state-images.sh - the per-task state of this part in images is
# untrusted input: POSIX timers, scheduling state, oom_score_adj,
# THP-disable and the prctl flags (speculation, TSC, MCE, MDWE) edited (build/tools/imgedit, checksums fixed) into what no
# dump writes are refused at load with one line saying what, before
# anything is created; the images are not touched and no process is
# left. The pristine set still restores. The set is of 32-posix-timers
# (two threads, six timers).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

w=$T/w
img=$T/images
start_target "$w" 32-posix-timers
pid=$TARGET_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$img"
core=core-$pid.img
"$IMGEDIT" "$img" "$core" | grep -E '^(posix_timers|threads\[[0-9]\]\.(sched|nice|ioprio|tid)|oom|thp)' >&2

hostile() { # WHY_REGEX EDIT...
	local why=$1 bad
	shift
	bad=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$img/." "$bad/"
	"$IMGEDIT" "$bad" "$core" "$@" || fail "imgedit $* failed"
	log "==== $*"
	expect_restore_fail "$bad" "$pid" "with $*"
	grep -qE "$why" "$CK_ERR" || fail "restore with $*: the refusal does not say '$why': $(ck_err_line)"
}

hostile "POSIX timer [0-9]+ in the image: its clock is unknown" "posix_timers[0].clock=42"
hostile "POSIX timer [0-9]+ in the image: it counts the CPU time of another process" \
	"posix_timers[0].clock=-4094"
hostile "POSIX timer [0-9]+ in the image: its id is there twice" \
	"posix_timers[1].id=$("$IMGEDIT" "$img" "$core" | sed -n 's/^posix_timers\[0\]\.id=//p')"
hostile "POSIX timer [0-9]+ in the image: its id is out of range" "posix_timers[0].id=2147483648"
hostile "POSIX timer [0-9]+ in the image: its signal is out of range" \
	"posix_timers[5].notify=0" "posix_timers[5].signo=65"
hostile "POSIX timer [0-9]+ in the image: its notification is unknown" "posix_timers[0].notify=7"
hostile "POSIX timer [0-9]+ in the image: it signals a thread outside the process" \
	"posix_timers[4].notify=4" "posix_timers[4].tid=1"
hostile "POSIX timer [0-9]+ in the image: its time is out of range" \
	"posix_timers[2].value_ns=0xffffffffffffffff"
hostile "POSIX timer [0-9]+ in the image: an alarm clock needs CAP_WAKE_ALARM" \
	"posix_timers[0].clock=9" "creds.cap_eff=0"
hostile "has an unknown scheduling policy" "threads[0].sched_policy=6"
hostile "has a real-time priority out of range" "threads[0].sched_policy=1" "threads[0].sched_priority=100"
hostile "has a nice value out of range" "threads[1].nice=-21"
hostile "has an unknown I/O priority" "threads[0].ioprio=0x8000"
hostile "has a CPU mask of a bad size" "threads[0].cpu_affinity=hex:ff"
hostile "oom_score_adj -1001 in the image" "oom_score_adj=-1001"
hostile "THP-disable value 0x4 in the image" "thp_disable=4"
hostile "an unknown speculation control in the image" "threads[0].spec_ctrl[0]=0x6"
hostile "an unknown TSC mode in the image" "threads[1].tsc=7"
hostile "an unknown machine-check kill policy in the image" "threads[0].mce_kill=9"
hostile "unknown MDWE flags in the image" "mdwe=4"

control_restore "$img" "$pid" "$w"
assert_no_strays
