#!/bin/bash
# 321-machine-ifunc.sh - a process runs the code glibc selected by the
# CPU's flags at its startup (memcpy, memmove, memset, memcmp, memchr,
# strlen, strchr, strcmp: the AVX-512, AVX2 or SSE variants), on and on
# after a restore. The target (321-ifunc) checks each call's result against
# a plain C loop every round. Dumped, killed and restored: its self-check
# says its rounds went on after the restore with no wrong result (and no
# SIGILL). The images say what they were made on: `ckpt show` names the
# kernel and machine, the CPU flags glibc selects by (those of
# /proc/cpuinfo among sse2 ssse3 sse4_1 sse4_2 avx avx2 bmi2 erms avx512f
# avx512bw avx512vl), the XSAVE features and the vDSO's functions (and
# the same in `--json`); a
# restore on this same machine says nothing of a different kernel or
# machine under -v.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 321-ifunc
pid=$TARGET_PID
self_check "$pid" "$w"
r0=$(check_value rounds)
dump_and_reap "$pid" "$T/img"

ck_ok show --images "$T/img"
mid='.*'
[[ -s /etc/machine-id ]] && mid=$(cat /etc/machine-id)
grep -qE "^machine: x86_64, kernel $(uname -r | sed 's/[.+]/\\&/g') .*, machine id $mid$" "$CK_OUT" ||
	fail "ckpt show does not name this kernel and machine: $(grep -m1 '^machine' "$CK_OUT")"
flags=" $(sed -n 's/^  cpu flags: //p' "$CK_OUT") "
read -r -a here < <(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2)
n=0
for f in sse2 ssse3 sse4_1 sse4_2 avx avx2 bmi2 erms avx512f avx512bw avx512vl; do
	[[ " ${here[*]} " == *" $f "* ]] || continue
	[[ $flags == *" $f "* ]] || fail "this CPU has $f, ckpt show does not list it:$flags"
	n=$((n + 1))
done
((n > 0)) || fail "this CPU has none of the flags looked for"
grep -qE '^    __vdso_clock_gettime at 0x[0-9a-f]+$' "$CK_OUT" ||
	fail "ckpt show lists no __vdso_clock_gettime in the vDSO"
ck_ok show --images "$T/img" --json
read -r -a flagv <<<"$flags"
"$PYTHON" - "$CK_OUT" "${flagv[@]}" <<'EOF' || fail "ckpt show --json: the machine is not right"
import json, sys
m = json.load(open(sys.argv[1]))["machine"]
assert set(m["cpu_flags"]) == set(sys.argv[2:]), set(m["cpu_flags"]) ^ set(sys.argv[2:])
assert m["arch"] == "x86_64" and m["xstate_size"] >= 576 and m["xfeatures"] & 3 == 3, m
assert "__vdso_clock_gettime" in m["vdso"]["symbols"], m["vdso"]
EOF

wait_gone "$pid"
ck_ok restore --images "$T/img" --detach -v
track_pid "$pid"
grep -qE 'dumped on (kernel|machine)' "$CK_ERR" && fail "a restore on the same machine says it differs: $(grep -m1 'dumped on' "$CK_ERR")"
# Rounds go on after the restore: wait for 50 more, then check them.
more_rounds() {
	self_check "$pid" "$w" >/dev/null 2>&1
	(($(check_value rounds) > r0 + 50))
}
wait_for 30 "50 more rounds of $pid" more_rounds || fail "the restored target ran no 50 more rounds"
self_check "$pid" "$w"
kill_restored "$pid"
