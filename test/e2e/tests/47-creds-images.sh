#!/bin/bash
# 47-creds-images.sh - credentials in images are untrusted input: a set
# whose creds were edited (checksums fixed, by build/tools/imgedit) into
# something no kernel shows is refused at load with one line saying what,
# before anything is created (a filter program the kernel rejects, when it
# is installed); the images are not touched and no process is left. The pristine set still restores. The set is of 40-sandbox
# seccomp-split (3 threads, one with creds of its own).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

w=$T/w
img=$T/images
start_target "$w" 40-sandbox seccomp-split
pid=$TARGET_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$img"
core=core-$pid.img
# The thread with creds of its own.
own=$("$IMGEDIT" "$img" "$core" | sed -n 's/^threads\[\([0-9]*\)\]\.creds\.uid=.*/\1/p' | head -n 1)
[[ -n $own ]] || fail "no thread with creds of its own in the images"

# hostile WHY_REGEX EDIT...: a copy of the set with EDITs applied to the
# core image is refused, saying WHY_REGEX.
hostile() {
	local why=$1 bad
	shift
	bad=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$img/." "$bad/"
	"$IMGEDIT" "$bad" "$core" "$@" || fail "imgedit $* failed"
	log "==== $*"
	expect_restore_fail "$bad" "$pid" "with $*"
	grep -qE "$why" "$CK_ERR" || fail "restore with $*: the refusal does not say '$why': $(ck_err_line)"
}

hostile "effective capabilities not in the permitted set" creds.cap_prm=0 creds.cap_eff=1
hostile "ambient capabilities not permitted and inheritable" creds.cap_amb=1
hostile "capabilities this kernel does not have" creds.cap_bnd=0xffffffffffffffff
hostile "unknown securebits" creds.secbits=0x10000
hostile "bad seccomp state" creds.seccomp_mode=3
hostile "bad seccomp state" creds.seccomp_mode=1
hostile "bad seccomp state" "threads[$own].creds.seccomp_chain[+]=7"
hostile "bad seccomp state" "seccomp_filters[0].insns=hex:0600000000"
hostile "bad seccomp state" "seccomp_filters[0].flags=1"
# Well formed, but not a program the kernel takes: refused when installed
# (the process was created by then, and is gone again).
hostile "cannot install seccomp filter 1 of 1: Invalid argument" \
	"seccomp_filters[0].insns=hex:ffff000000000000"
hostile "bad parent-death signal" "threads[0].pdeath_sig=65"
hostile "thread [0-9]+ has effective capabilities not in the permitted set" \
	"threads[$own].creds.cap_prm=0" "threads[$own].creds.cap_eff=0x400"

control_restore "$img" "$pid" "$w"
assert_no_strays
