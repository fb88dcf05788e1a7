#!/bin/bash
# 322-machine-file-changed.sh - a mapped ELF file is recorded with its size,
# mtime and GNU build-id, and a restore refuses a different file by name.
# The target (321-ifunc) maps a private copy of an ELF executable
# (readable, executable, as the loader maps a library). After the dump:
# the copy's mtime changed (same bytes), then the copy "rebuilt" (one byte
# of its build-id changed in place, size and mtime put back as they were):
# each restore is refused with one line naming the file and why, no
# process left, the images untouched. The file put back as it was (same
# inode, same mtime) restores, and the target sees the same bytes mapped.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init
need_python

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
w=$T/w lib=$T/lib/libx.so
mkdir -p "$T/lib"
cp "$E2E_TARGETS/321-ifunc" "$lib" || fail "cannot copy the library"
cp -p "$lib" "$T/ref"
start_target "$w" 321-ifunc "$lib"
pid=$TARGET_PID
self_check "$pid" "$w"
crc0=$(check_value crc)
dump_and_reap "$pid" "$T/img"

# The build-id the images hold for it.
mm=$(basename "$(one_file "$T/img" 'mm-*.img')")
id=$("$IMGEDIT" "$T/img" "$mm" | awk -F'=' -v p="$lib" '
	$1 ~ /\.path$/ && $2 == p { k = $1; sub(/\.path$/, "", k); want[k] = 1 }
	$1 ~ /\.file_build_id$/ { k = $1; sub(/\.file_build_id$/, "", k); if (k in want) { print $2; exit } }')
id=${id#hex:}
[[ ${#id} -ge 16 ]] || fail "the images hold no build-id for $lib: '$id'"
log "build-id of $lib in the images: $id"

refused() { # WHY_REGEX WHAT
	expect_restore_fail "$T/img" "$pid" "$2"
	grep -qE -- "$1" "$CK_ERR" || fail "restore $2: the refusal does not say '$1': $(ck_err_line)"
}

# 1. The same bytes, another mtime.
touch -m -d '2001-02-03 04:05:06' "$lib"
refused "^ckpt: cannot restore: $lib is not the file the process had \(modified since the dump: mtime differs\)$" \
	"with the file's mtime changed"
touch -m -r "$T/ref" "$lib"

# 2. Rebuilt: one byte of the build-id differs, size and mtime as before.
"$PYTHON" - "$lib" "$id" <<'EOF' || fail "cannot change the build-id of $lib"
import sys
path, hexid = sys.argv[1], bytes.fromhex(sys.argv[2])
with open(path, "r+b") as f:
    data = f.read()
    at = data.find(hexid)
    if at < 0:
        sys.exit("build-id not found in the file")
    f.seek(at + len(hexid) - 1)
    f.write(bytes([data[at + len(hexid) - 1] ^ 0xff]))
EOF
touch -m -r "$T/ref" "$lib"
[[ $(stat -c %s.%Y "$lib") == $(stat -c %s.%Y "$T/ref") ]] || fail "size or mtime of $lib not put back"
refused "^ckpt: cannot restore: $lib is not the file the process had \(build-id differs: [0-9a-f]+, was $id\)$" \
	"with the file rebuilt (its build-id changed)"

# The file as it was, in the same inode.
cp -p "$T/ref" "$lib"
restore_detached "$T/img" "$pid"
self_check "$pid" "$w"
[[ $(check_value crc) == "$crc0" ]] || fail "the target maps other bytes: crc $(check_value crc), was $crc0"
kill_restored "$pid"
