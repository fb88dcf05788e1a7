#!/bin/bash
# 324-machine-vdso.sh - the images record the vDSO's identity (its size,
# build-id, checksum and the offsets of its exported functions), and a
# restore on a kernel whose vDSO has its functions elsewhere is refused
# with one line (the process holds pointers into the old one: glibc keeps
# __vdso_clock_gettime's address). A different kernel is simulated by
# editing the recorded identity: a function at another offset, one
# missing, one more, another size: each refused by name, no process left,
# the images untouched. A vDSO whose functions are where they were is the
# same vDSO even if its bytes differ (another checksum, another build-id):
# restored, -v says so (and that the kernel differs, release and version
# edited too: told, not refused), and the target's clock_gettime and
# gettimeofday (through the vDSO) still answer right.
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

inv=$("$IMGEDIT" "$T/img" inventory.img) || fail "imgedit failed"
k=$(sed -n 's/^machine\.vdso\.symbols\[\([0-9]*\)\]\.name=__vdso_clock_gettime$/\1/p' <<<"$inv")
[[ -n $k ]] || fail "no __vdso_clock_gettime among the recorded vDSO symbols"
off=$(sed -n "s/^machine\.vdso\.symbols\[$k\]\.offset=//p" <<<"$inv")
size=$(sed -n 's/^machine\.vdso\.size=//p' <<<"$inv")
n=$(grep -c '^machine\.vdso\.symbols\[[0-9]*\]\.name=' <<<"$inv")
[[ -n $off && -n $size ]] || fail "no offset or size recorded for the vDSO"
log "vDSO: $size bytes, $n functions, __vdso_clock_gettime at $off"

edited() { # EDIT...: a copy of the images with the edits, in BAD
	BAD=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$T/img/." "$BAD/"
	"$IMGEDIT" "$BAD" inventory.img "$@" || fail "imgedit $* failed"
	log "==== $*"
}
refused() { # WHY_REGEX EDIT...
	local why=$1
	shift
	edited "$@"
	expect_restore_fail "$BAD" "$pid" "with $*"
	grep -qE -- "$why" "$CK_ERR" || fail "restore with $*: the refusal does not say '$why': $(ck_err_line)"
	rm -rf "$BAD"
}
DIFF='^ckpt: cannot restore: the vDSO of this kernel differs from the dumped one'
TAIL='; restore on the kernel of the dump$'

refused "$DIFF \(__vdso_clock_gettime at $(printf '%#x' "$off"), was $(printf '%#x' $((off + 16)))\)$TAIL" \
	"machine.vdso.symbols[$k].offset=$((off + 16))"
refused "$DIFF \($n functions, was $((n - 1))\)$TAIL" "machine.vdso.symbols[-]=$k"
refused "$DIFF \(it has no __vdso_elsewhere\)$TAIL" \
	"machine.vdso.symbols[+]=@$k" "machine.vdso.symbols[$n].name=__vdso_elsewhere"
refused "$DIFF \($size bytes, was $((size + 4096))\)$TAIL" "machine.vdso.size=$((size + 4096))"

# Other bytes, the functions where they were: the same vDSO.
# Another kernel release and version besides: told with -v, not refused.
edited machine.vdso.crc=12345 machine.vdso.build_id=hex:00112233445566778899aabbccddeeff00112233 \
	kernel=5.10.0-ckpt-e2e "machine.kernel_version=#1 SMP ckpt-e2e"
wait_gone "$pid"
ck_ok restore --images "$BAD" --detach -v
track_pid "$pid"
grep -q "the vDSO's bytes differ from the dumped one's, its functions do not move" "$CK_ERR" ||
	fail "-v does not say that the vDSO's bytes differ"
grep -qF "dumped on kernel 5.10.0-ckpt-e2e (#1 SMP ckpt-e2e), restoring on $(uname -r) ($(uname -v))" "$CK_ERR" ||
	fail "-v does not say that the kernel differs"
self_check "$pid" "$w"
# Its self-check compared clock_gettime and gettimeofday (the vDSO's)
# with the clock_gettime system call. The loop goes on.
seq0=$(wc -l <"$w/seq")
wait_seq_beyond "$w/seq" $((seq0 + 20))
kill_restored "$pid"
