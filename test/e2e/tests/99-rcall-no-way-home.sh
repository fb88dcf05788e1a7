#!/bin/bash
# 99-rcall-no-way-home.sh - a process with no `syscall; ret` and no
# rt_sigreturn restorer in its code (built here without the C library:
# a loop of raw syscalls) has no way home from a remote call
# (src/infect-frame.c). A dump of it still works, its calls under
# PTRACE_O_EXITKILL as before (ckpt -v says so), and the process runs on,
# untraced; ckpt killed inside one of its remote calls
# (CKPT_FAULT=rcall-kill@N) kills it rather than let it run with the
# call's registers (README: Known gaps).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
command -v "${CC:-cc}" >/dev/null || skip "no C compiler"

# One byte to stdout, then a 2 ms nanosleep, forever; "R" first.
cat >"$T/bare.c" <<'EOF'
static long sys3(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

void _start(void)
{
	static const long ts[2] = { 0, 2000000 };

	sys3(1, 1, (long)"R", 1);
	for (;;) {
		sys3(1, 1, (long)".", 1);
		sys3(35, (long)ts, 0, 0);
	}
}
EOF
"${CC:-cc}" -O1 -static -nostdlib -fno-stack-protector -o "$T/bare" "$T/bare.c" ||
	fail "cannot build the bare target"

w=$T/w
mkdir -p "$w"
spawn "$w" "$T/bare"
pid=$TARGET_PID
out_grows() { # BYTES
	(($(stat -c %s "$w/out") > $1))
}
wait_for 10 "the bare target to write" out_grows 1 || fail "the bare target does not run"

# A dump: every call under EXITKILL, the process untouched after it.
ck_ok dump -v --pid "$pid" --images "$T/d1" --leave-running
grep -q "its remote calls keep PTRACE_O_EXITKILL" "$CK_ERR" ||
	fail "ckpt found a way home in a process that has none"
assert_not_traced "$pid"
n=$(stat -c %s "$w/out")
wait_for 10 "the bare target to go on" out_grows "$n" || fail "the bare target stopped after the dump"

# Killed inside its 2nd remote call: the process dies with ckpt.
ck_cmd env CKPT_FAULT="rcall-kill@2" "$FCKPT" dump --pid "$pid" --images "$T/d2" --leave-running
((CK_RC == 137)) || fail "ckpt was not killed in its 2nd remote call (exit $CK_RC)"
wait_for 10 "the bare target to die with ckpt" is_dead "$pid" ||
	fail "the bare target outlived ckpt killed in a remote call"
reap "$pid"
rm -rf "$T/d1" "$T/d2" "$T"/.d2.ckpt-*
assert_no_strays
