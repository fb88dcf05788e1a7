#!/bin/bash
# 79-fd-refused.sh - fds whose state ckpt does not restore are refused at
# the dump with one line naming the process, the fd and what it is, and
# the target runs on with fd 10 as it was (79-fd-refused, one run per
# case, its own check of the fd before and after): a lease on a deleted
# file, dnotify, a
# SIGIO owner outside the tree, a BPF map, a perf event, userfaultfd,
# io_uring, fanotify, /dev/kvm and a VM of it, memfd_secret, a hugetlb
# memfd, a namespace file, a pidfd of a process outside the tree. A case the kernel does not offer here is logged and
# skipped. Before, the lease was refused in other words ("a lease or
# mandatory lock"), dnotify and the outside owner were dumped and lost,
# memfd_secret was dumped as a deleted file, the hugetlb memfd came back
# on tmpfs. CASES="dnotify perf" runs
# only those.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

tried=0
# refused CASE REGEX: the dump of the target in CASE must fail with a line
# matching "ckpt: cannot dump PID: REGEX" (PID, PPID stand for the
# target's pid and the test's own).
refused() {
	local kind=$1 want=$2 w=$T/$1 pid
	[[ -n ${CASES:-} && " $CASES " != *" $kind "* ]] && return
	start_target "$w" 79-fd-refused "$kind"
	pid=$TARGET_PID
	if has_line "$w/out" '^UNSUPPORTED'; then
		log "skipped case $kind: $(grep -m1 '^UNSUPPORTED' "$w/out")"
		kill -9 "$pid"
		reap "$pid"
		return
	fi
	self_check "$pid" "$w"
	mkdir "$T/d-$kind"
	ck_fails "dump of $kind" dump --pid "$pid" --images "$T/d-$kind/images"
	want=${want//PPID/$$}
	want=${want//PID/$pid}
	grep -qE -- "^ckpt: cannot dump $want" "$CK_ERR" ||
		fail "$kind: the error does not say why: $(ck_err_line) (want 'cannot dump $want')"
	assert_dump_left_nothing "$T/d-$kind"
	assert_still_fine "$pid" "$w" 0
	kill -9 "$pid"
	reap "$pid"
	tried=$((tried + 1))
}

refused lease "PID: fd 10 '[^']*/leased \(deleted\)' holds a read lease \(F_SETLEASE\): leases are restored on regular files only$"
refused dnotify "PID: fd 10, the directory '[^']*/watched', has a SIGIO owner \(PID\), as dnotify \(F_NOTIFY\) sets: dnotify is not restored$"
refused owner-outside "PID: fd 10 \(pipe\) sends its SIGIO to process PPID, which is not in the tree$"
refused bpf-map "PID: fd 10 is a bpf-map 'anon_inode:bpf-map' \(not supported yet\)$"
refused perf "PID: fd 10 is a \[perf_event\] "
refused userfaultfd "PID: fd 10 is a \[userfaultfd\] "
refused io_uring-sqpoll "PID: fd 10 is an io_uring with a polling thread \(IORING_SETUP_SQPOLL, not supported\)$"
refused fanotify "PID: fd 10 is a \[fanotify\] "
refused kvm "PID: fd 10 is a character device '/dev/kvm' "
refused kvm-vm "PID: fd 10 is a kvm-vm "
refused memfd-secret "PID: fd 10 is a memfd_secret area '/secretmem \(deleted\)' \(not supported yet\)$"
refused memfd-huge "PID: fd 10 is a hugetlb memfd '/memfd:huge \(deleted\)' \(not supported yet\)$"
refused nsfs "PID: fd 10 is a file 'uts:\[[0-9]+\]' "
refused pidfd "PID: fd 10 is a pidfd of process PPID, which is not in the tree$"
log "refused cases tried: $tried"
[[ -n ${CASES:-} ]] || ((tried >= 3)) || fail "only $tried cases could be set up"
assert_no_strays
