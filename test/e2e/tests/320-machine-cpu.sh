#!/bin/bash
# 320-machine-cpu.sh - the images record the CPU features the process may
# use, and a CPU that lacks one is refused by name before anything is made.
# The target (321-ifunc: glibc's CPU-selected memcpy, strlen... checked
# every round) is dumped; `ckpt show` lists the CPU flags of this machine
# and the XSAVE features of its threads. Then, as if the images came from
# a machine with more: a CPUID flag this CPU lacks (the first of a list
# that /proc/cpuinfo does not show), two at once (both named), an XSAVE
# state component (xtiledata, AMX) this CPU does not enable, and an xstate
# area larger than this CPU's (in the inventory, and a thread's own in its
# core image): each restore is refused with one line that
# names the feature, no process is left and the images are untouched. The
# pristine images still restore, and the target's rounds are all right.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
w=$T/w
start_target "$w" 321-ifunc
pid=$TARGET_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$T/img"

ck_ok show --images "$T/img"
flags=$(sed -n 's/^  cpu flags: //p' "$CK_OUT")
[[ -n $flags ]] || fail "ckpt show prints no cpu flags: $(head -c 300 "$CK_OUT")"
read -r -a here < <(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2)
for f in sse2 avx avx2 avx512f; do
	if [[ " ${here[*]} " == *" $f "* && " $flags " != *" $f "* ]]; then
		fail "this CPU has $f but ckpt show does not list it: $flags"
	fi
done
grep -qE '^  xsave features 0x[0-9a-f]+, xstate [0-9]+ bytes$' "$CK_OUT" ||
	fail "ckpt show prints no xsave features"

field() { # PATH: its value in inventory.img
	local v
	v=$("$IMGEDIT" "$T/img" inventory.img "$1") || fail "imgedit $1 failed"
	printf '%s\n' "${v#*=}"
}

# Flags this CPU lacks: NAME FIELD BIT, in cpuinfo's names.
candidates=(
	"avx512_fp16 machine.cpuid_7_edx 23"
	"amx_tile machine.cpuid_7_edx 24"
	"xop machine.cpuid_ext1_ecx 11"
	"fma4 machine.cpuid_ext1_ecx 16"
	"tbm machine.cpuid_ext1_ecx 21"
	"serialize machine.cpuid_7_edx 14"
	"avx512f machine.cpuid_7_ebx 16"
	"avx512_vp2intersect machine.cpuid_7_edx 8"
	"avx2 machine.cpuid_7_ebx 5"
	"sha_ni machine.cpuid_7_ebx 29"
)
lacks=()
for c in "${candidates[@]}"; do
	read -r name _ _ <<<"$c"
	[[ " ${here[*]} " == *" $name "* ]] || lacks+=("$c")
done
((${#lacks[@]} >= 2)) || skip "this CPU has all of: ${candidates[*]}"

refused() { # WHY_REGEX EDIT...
	local why=$1 bad
	shift
	bad=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$T/img/." "$bad/"
	"$IMGEDIT" "$bad" inventory.img "$@" || fail "imgedit $* failed"
	log "==== $*"
	expect_restore_fail "$bad" "$pid" "with $*"
	grep -qE -- "$why" "$CK_ERR" || fail "restore with $*: the refusal does not say '$why': $(ck_err_line)"
	rm -rf "$bad"
}

with_bit() { # FIELD BIT: FIELD=its value with BIT set
	printf '%s=%d\n' "$1" $(($(field "$1") | (1 << $2)))
}

read -r n1 f1 b1 <<<"${lacks[0]}"
read -r n2 f2 b2 <<<"${lacks[1]}"
refused "^ckpt: cannot restore: this CPU lacks $n1, which the process may use$" "$(with_bit "$f1" "$b1")"
e1=$(with_bit "$f1" "$b1")
if [[ $f1 == "$f2" ]]; then
	e2="$f1=$(($(field "$f1") | (1 << b1) | (1 << b2)))"
	refused "this CPU lacks .*$n1.*which the process may use" "$e2"
	refused "this CPU lacks .*$n2.*which the process may use" "$e2"
else
	refused "this CPU lacks .*$n1, .*$n2|this CPU lacks .*$n2, .*$n1" "$e1" "$(with_bit "$f2" "$b2")"
fi

xf=$(field machine.xfeatures)
((xf != 0)) || fail "the images record no XSAVE features"
if ((!(xf & (1 << 18)))); then
	refused "this CPU lacks the XSAVE state .*xtiledata.*, which the process may use" \
		"machine.xfeatures=$((xf | (1 << 17) | (1 << 18)))"
fi
xs=$(field machine.xstate_size)
((xs >= 576)) || fail "the images record an xstate of $xs bytes"
refused "xstate area \($((xs + 4096)) bytes\) is larger than this CPU's \($xs bytes\)" \
	"machine.xstate_size=$((xs + 4096))"

# One thread's own xstate larger than this CPU's area (core-PID.img).
core=$(basename "$(one_file "$T/img" 'core-*.img')")
bad=$(mktemp -d "$T/bad.XXXXXX")
cp -a "$T/img/." "$bad/"
"$IMGEDIT" "$bad" "$core" "threads[0].xstate=hex:$(head -c $((xs + 64)) /dev/zero | od -An -v -tx1 | tr -d ' \n')" ||
	fail "imgedit of $core failed"
log "==== $core: threads[0].xstate of $((xs + 64)) bytes"
expect_restore_fail "$bad" "$pid" "with a thread's xstate of $((xs + 64)) bytes"
grep -qE -- "^ckpt: cannot restore $pid: its thread $pid's xstate area \($((xs + 64)) bytes\) is larger than this CPU's \($xs bytes\)$" "$CK_ERR" ||
	fail "a thread's larger xstate: the refusal does not say so: $(ck_err_line)"
rm -rf "$bad"

control_restore "$T/img" "$pid" "$w"
