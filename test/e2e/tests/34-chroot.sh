#!/bin/bash
# 34-chroot.sh - a chrooted process (34-chroot-static, run from inside its
# root): with its cwd inside the root, and with its cwd outside it (a
# directory opened before the chroot). Dump (kills), restore: the
# target's self-check finds "/" is its chroot and its cwd the same
# directory, with the same getcwd(); the sequence goes on. Then a process
# whose root directory was removed is refused at dump with one line and
# runs on (a removed cwd is restored: test 112).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

roundtrip() { # MODE SEQ-DIR-UNDER-WORKDIR
	local w=$T/$1 pid
	mkdir -p "$w/root/in" "$w/root/bin"
	cp "$E2E_TARGETS/34-chroot-static" "$w/root/bin/" || fail "cannot copy the target"
	mkdir -p "$w"
	spawn "$w" "$w/root/bin/34-chroot-static" "$w" "$1"
	pid=$TARGET_PID
	wait_ready "$pid" "$w"
	self_check "$pid" "$w"
	log "$1: root $(readlink "/proc/$pid/root"), cwd $(readlink "/proc/$pid/cwd")"
	wait_seq_beyond "$w/$2seq" 10
	dump_and_reap "$pid" "$T/images-$1"
	seq_verify "$w/$2seq"
	restore_detached "$T/images-$1" "$pid"
	[[ $(readlink "/proc/$pid/root") == "$w/root" ]] ||
		fail "$1: the root is '$(readlink "/proc/$pid/root")', want '$w/root'"
	self_check "$pid" "$w"
	wait_seq_beyond "$w/$2seq" $((SEQ_N + 20))
	kill_restored "$pid"
}

roundtrip inside root/in/
roundtrip outside ""
assert_no_strays

# A root directory that was removed cannot be entered again: refused.
w=$T/gone
mkdir -p "$w/r"
spawn "$w" "$PYTHON" -c '
import os, sys, time
w = sys.argv[1]
os.chroot(w + "/r")
os.chdir("/")
print("READY pid=%d" % os.getpid(), flush=True)
time.sleep(1000)
' "$w"
pid=$TARGET_PID
wait_ready "$pid" "$w"
rmdir "$w/r" || fail "cannot remove the root directory of $pid"
ck_fails "dump of a process whose root was removed" dump --pid "$pid" --images "$T/img-gone"
grep -q "root directory '$w/r' was removed" "$CK_ERR" || fail "the refusal does not say why: $(ck_err_line)"
[[ ! -e $T/img-gone ]] || fail "the refused dump left $T/img-gone"
assert_not_traced "$pid"
[[ $(proc_state "$pid") == S ]] || fail "the refused process is not running: $(describe_pid "$pid")"
