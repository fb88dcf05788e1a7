#!/bin/bash
# 326-machine-xstate-smaller.sh - a thread dumped on a CPU with fewer XSAVE
# features (a smaller area: x87, SSE and AVX, 832 bytes, as on a machine
# without AVX-512) restores on this one, whose kernel takes only an area of
# its own size: the area is given padded, the components past it in their
# init state. The dump of another machine is made from this one's: the
# target (03-nanosleep) is dumped inside its one nanosleep call (where its
# vector registers are dead: the ABI has the caller save them), then its
# thread's area is cut to 832 bytes with XSTATE_BV and the features word
# cut to match, and the inventory says the same (features, size, where
# AVX sits). The restored sleep ends normally (DONE OK) and the process
# exits. A dump that had AVX elsewhere in the area than this CPU keeps it
# is refused by name, nothing left.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init
need_python

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
in_sleep() {
	local nr rest
	read -r nr rest <"/proc/$1/syscall" 2>/dev/null || return 1
	[[ $nr == 35 || $nr == 230 ]]
}

w=$T/w
start_target "$w" 03-nanosleep 8
pid=$TARGET_PID
wait_for 5 "$pid to sleep in nanosleep" in_sleep "$pid" || fail "target never got into nanosleep"
dump_and_reap "$pid" "$T/img"
has_line "$w/out" '^DONE' && fail "the sleep ended before the dump: $(grep '^DONE' "$w/out")"

core=$(basename "$(one_file "$T/img" 'core-*.img')")
v=$("$IMGEDIT" "$T/img" "$core" 'threads[0].xstate') || fail "imgedit failed"
v=${v#*=hex:}
xs=$((${#v} / 2))
grep -m1 '^flags' /proc/cpuinfo | grep -qw avx || skip "this CPU has no AVX"
# Where AVX sits in a standard-format area: 576 on every CPU so far.
avx=$("$IMGEDIT" "$T/img" inventory.img 'machine.xstate_offsets[2]' 2>/dev/null) || avx=576
avx=${avx#*=}
((avx == 576)) || skip "this CPU keeps AVX at $avx"
((xs > 832)) || skip "this CPU's XSAVE area is no larger than AVX's ($xs bytes)"
log "this CPU's XSAVE area: $xs bytes; the other machine's: x87, SSE, AVX, 832 bytes"
small=$("$PYTHON" - "$v" <<'EOF'
import struct, sys
x = bytearray.fromhex(sys.argv[1])[:832]
magic = struct.unpack_from("<I", x, 464)[0]
struct.pack_into("<Q", x, 464 + (8 if magic == 0x46505853 else 0), 7)  # features word
bv = struct.unpack_from("<Q", x, 512)[0]
struct.pack_into("<QQ", x, 512, bv & 7, 0)  # XSTATE_BV, XCOMP_BV
print("hex:" + x.hex())
EOF
) || fail "cannot cut the xstate"

edited() { # DIR: a copy of the images as another machine made them
	cp -a "$T/img/." "$1/"
	"$IMGEDIT" "$1" "$core" "threads[0].xstate=$small" || fail "imgedit of $core failed"
	"$IMGEDIT" "$1" inventory.img machine.xfeatures=7 machine.xstate_size=832 \
		'machine.xstate_offsets=[]' 'machine.xstate_offsets[+]=0' 'machine.xstate_offsets[+]=0' \
		"machine.xstate_offsets[+]=$2" || fail "imgedit of the inventory failed"
}

bad=$T/bad
mkdir "$bad"
edited "$bad" 640
expect_restore_fail "$bad" "$pid" "with AVX at 640"
grep -qE '^ckpt: cannot restore: this CPU keeps the XSAVE state avx at offset 576, the dump.s at 640$' "$CK_ERR" ||
	fail "AVX elsewhere: the refusal does not say so: $(ck_err_line)"

other=$T/other
mkdir "$other"
edited "$other" 576
restore_detached "$other" "$pid"
wait_for 30 "DONE from $pid" has_line "$w/out" '^DONE' || fail "the restored sleep never ended"
line=$(grep -m1 '^DONE' "$w/out")
log "$pid: $line"
[[ $line == "DONE OK"* ]] || fail "nanosleep after the restore: ${line#DONE }"
wait_for 10 "$pid to exit" is_dead "$pid" || fail "$pid did not exit after DONE"
assert_no_strays
