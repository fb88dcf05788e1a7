#!/bin/bash
# 323-machine-other-host.sh - a restore on another machine: the same
# library at the same path is another inode there, and is accepted when
# its size, mtime and build-id are the dumped ones; on this machine (this
# boot) the inode is still compared.
# The target (321-ifunc) maps a private copy of an ELF file from a
# directory of its own, and is dumped. Each restore below runs in a mount
# namespace of its own where that directory is a new tmpfs holding a copy
# of the file ("another filesystem at the same path"); "another machine"
# is that namespace with another /etc/machine-id and boot id bound over
# the real ones. The target also holds a data file of that directory open.
#   - this machine, the copy with the same mtime: refused (inode changed);
#   - another machine, a copy with another mtime: refused by name;
#   - another machine, the library right but the data file held open with
#     another mtime: refused by name;
#   - another machine, the copy with the same size, mtime and build-id:
#     restored; -v says the machine differs; the target maps the copy on
#     the tmpfs and sees the same bytes, its rounds all right.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w lib=$T/lib/libx.so
mkdir -p "$T/lib"
cp "$E2E_TARGETS/321-ifunc" "$lib" || fail "cannot copy the library"
cp -p "$lib" "$T/ref"
printf 'data %s\n' "$RANDOM" >"$T/lib/data"
cp -p "$T/lib/data" "$T/data.ref"
start_target "$w" 321-ifunc "$lib" "$T/lib/data"
pid=$TARGET_PID
self_check "$pid" "$w"
crc0=$(check_value crc)
dev0=$(stat -c %d:%i "$lib")
dump_and_reap "$pid" "$T/img"

printf '%s\n' 0123456789abcdef0123456789abcdef >"$T/machine-id"
printf '%s\n' 01234567-89ab-cdef-0123-456789abcdef >"$T/boot_id"
# other.sh OTHER_MACHINE(0|1) KEEP_MTIME(0|1|2) ARGS...: in a new mount
# namespace, the library's directory a tmpfs with a copy of the library
# and of the data file (their mtimes kept: 1 both, 0 the data file's
# only, 2 the library's only),
# then ckpt ARGS.
cat >"$T/other.sh" <<'EOF'
set -euo pipefail
T=$1 other=$2 keep=$3
shift 3
mount -t tmpfs -o size=16m "ckpt-e2e-323" "$T/lib"
if ((keep)); then cp -p "$T/ref" "$T/lib/libx.so"; else cp "$T/ref" "$T/lib/libx.so"; fi
cp -p "$T/data.ref" "$T/lib/data"
((keep != 2)) || touch -m -d '2001-02-03 04:05:06' "$T/lib/data"
if ((other)); then
	[[ ! -e /etc/machine-id ]] || mount --bind "$T/machine-id" /etc/machine-id
	mount --bind "$T/boot_id" /proc/sys/kernel/random/boot_id
fi
exec "$@"
EOF

in_other() { # OTHER KEEP_MTIME CKPT_ARGS...
	local other=$1 keep=$2
	shift 2
	ck_cmd unshare --mount --propagation private bash "$T/other.sh" "$T" "$other" "$keep" "$CKPT" "$@"
}

refused_there() { # OTHER KEEP_MTIME WHY_REGEX WHAT
	local d0
	d0=$(image_digest "$T/img")
	in_other "$1" "$2" restore --images "$T/img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	ck_assert_failed "restore $4"
	grep -qE -- "$3" "$CK_ERR" || fail "restore $4: the refusal does not say '$3': $(ck_err_line)"
	wait_for 10 "PID $pid to be free" is_gone "$pid" ||
		fail "restore $4: PID $pid exists after the failed restore: $(describe_pid "$pid")"
	[[ $(image_digest "$T/img") == "$d0" ]] || fail "restore $4: the failed restore changed the images"
	assert_no_strays
}

refused_there 0 1 "^ckpt: cannot restore: (mapped )?file '$T/lib/(libx\.so|data)' is not the file that was dumped \(inode changed\)$" \
	"on this machine, the file another inode"
refused_there 1 0 "^ckpt: cannot restore: $lib is not the file the process had \(modified since the dump: mtime differs\)$" \
	"on another machine, the file with another mtime"
refused_there 1 2 "^ckpt: cannot restore: $T/lib/data is not the file the process had \(modified since the dump: mtime differs\)$" \
	"on another machine, the file held open with another mtime"

wait_gone "$pid"
in_other 1 1 restore --images "$T/img" --detach -v
((CK_RC == 0)) || fail "the restore on another machine failed (exit $CK_RC): $(grep -v '^ckpt: \[' "$CK_ERR" | head -n 3)"
track_pid "$pid"
if [[ -s /etc/machine-id ]]; then
	grep -q 'dumped on machine [0-9a-f]*, restoring on 0123456789abcdef0123456789abcdef' "$CK_ERR" ||
		fail "-v does not say that the machine differs"
fi
self_check "$pid" "$w"
[[ $(check_value crc) == "$crc0" ]] || fail "the target maps other bytes: crc $(check_value crc), was $crc0"
[[ $(stat -f -L -c %T "/proc/$pid/fd/20") == tmpfs ]] || fail "the data file held at fd 20 is not the copy on the tmpfs"
# The file it maps is the copy, on the tmpfs of its mount namespace.
range=$(grep -m1 " $lib\$" "/proc/$pid/maps" | cut -d' ' -f1)
[[ -n $range ]] || fail "the restored target does not map $lib"
dev1=$(stat -L -c %d:%i "/proc/$pid/map_files/$range")
[[ $dev1 != "$dev0" ]] || fail "the restored target maps the original inode $dev0, not the copy"
[[ $(stat -f -L -c %T "/proc/$pid/map_files/$range") == tmpfs ]] || fail "the mapped copy is not on the tmpfs"
kill_restored "$pid"
