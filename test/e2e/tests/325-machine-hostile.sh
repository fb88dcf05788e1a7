#!/bin/bash
# 325-machine-hostile.sh - the machine facts of the inventory and the
# build-ids of mapped files are hostile input like every other field: each
# edit below is refused at restore with one line ("images are
# inconsistent", or the refusal that fits), no process left and the images
# untouched. Inventory: an xstate size below the XSAVE header or above
# any CPU's, 65 XSAVE component offsets or one past any area, a vDSO of no size, of a size not in pages, of a gigabyte, a
# symbol at or past the vDSO's end, symbol names with "/", a control
# character, none, 65 characters, 300 symbols, a build-id of 65 bytes, a
# kernel version or machine id of 300 characters, another architecture.
# mm-PID.img: a mapped file's build-id of 65 bytes, or empty. The pristine
# images still restore.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
w=$T/w lib=$T/libx.so
cp "$E2E_TARGETS/321-ifunc" "$lib" || fail "cannot copy the library"
start_target "$w" 321-ifunc "$lib"
pid=$TARGET_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$T/img"
mm=$(basename "$(one_file "$T/img" 'mm-*.img')")
v=$("$IMGEDIT" "$T/img" "$mm" | awk -F'=' -v p="$lib" '
	$1 ~ /^vmas\[[0-9]+\]\.path$/ && $2 == p { sub(/\.path$/, "", $1); print $1; exit }')
[[ -n $v ]] || fail "no mapping of $lib in $mm"
size=$("$IMGEDIT" "$T/img" inventory.img machine.vdso.size) || fail "imgedit failed"
size=${size#*=}

refused() { # FILE WHY_REGEX EDIT...
	local file=$1 why=$2 bad
	shift 2
	bad=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$T/img/." "$bad/"
	"$IMGEDIT" "$bad" "$file" "$@" || fail "imgedit $* failed"
	log "==== $file: ${*:1:2}"
	expect_restore_fail "$bad" "$pid" "with ${*:1:2}"
	grep -qE -- "$why" "$CK_ERR" || fail "restore with ${*:1:2}: the refusal does not say '$why': $(ck_err_line)"
	rm -rf "$bad"
}
INV='^ckpt: cannot restore: images are inconsistent \(inventory: '
long=$(printf 'x%.0s' {1..300})
hex65=hex:$(printf '00%.0s' {1..65})
many=()
for _ in {1..300}; do many+=("machine.vdso.symbols[+]=@0"); done

refused inventory.img "${INV}xstate size\)$" machine.xstate_size=100
refused inventory.img "${INV}xstate size\)$" machine.xstate_size=99999
offs=()
for _ in {1..65}; do offs+=("machine.xstate_offsets[+]=0"); done
refused inventory.img "${INV}xstate offsets\)$" "${offs[@]}"
refused inventory.img "${INV}xstate offsets\)$" "machine.xstate_offsets[+]=99999"
refused inventory.img "${INV}vDSO size\)$" machine.vdso.size=0
refused inventory.img "${INV}vDSO size\)$" machine.vdso.size=$((size + 1))
refused inventory.img "${INV}vDSO size\)$" machine.vdso.size=$((1 << 30))
refused inventory.img "${INV}vDSO symbol\)$" "machine.vdso.symbols[0].offset=$size"
refused inventory.img "${INV}vDSO symbol\)$" "machine.vdso.symbols[0].offset=18446744073709551615"
refused inventory.img "${INV}vDSO symbol\)$" "machine.vdso.symbols[0].name=../etc"
refused inventory.img "${INV}vDSO symbol\)$" "machine.vdso.symbols[0].name=a$(printf '\001')b"
refused inventory.img "${INV}vDSO symbol\)$" "machine.vdso.symbols[0].name="
refused inventory.img "${INV}vDSO symbol\)$" "machine.vdso.symbols[0].name=$(printf 'a%.0s' {1..65})"
refused inventory.img "${INV}vDSO symbols\)$" "${many[@]}"
refused inventory.img "${INV}vDSO build-id\)$" "machine.vdso.build_id=$hex65"
refused inventory.img "${INV}a machine string too long\)$" "machine.kernel_version=$long"
refused inventory.img "${INV}a machine string too long\)$" "machine.machine_id=$long"
refused inventory.img "^ckpt: cannot restore: the images were made on aarch64, this machine is x86_64$" \
	machine.arch=aarch64
refused "$mm" "images are inconsistent .*build-id of 65 bytes" "$v.file_build_id=$hex65"
refused "$mm" "images are inconsistent .*build-id of 0 bytes" "$v.file_build_id="

control_restore "$T/img" "$pid" "$w"
