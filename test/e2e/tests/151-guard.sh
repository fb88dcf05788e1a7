#!/bin/bash
# 151-guard.sh - guard pages (MADV_GUARD_INSTALL) come back (151-guard:
# three in private anonymous memory, one in a private file mapping):
# after the restore each still faults when the target reads it, its
# neighbours do not and hold what they held. The kernel shows them in
# PAGEMAP_SCAN (PAGE_IS_GUARD) and in /proc/PID/pagemap (bit 58, with the
# "swapped" bit 62): the restored process has them at the same places.
# The anonymous mapping was advised MADV_MERGEABLE (KSM): it still is.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images

# guard_pages PID: the addresses of its guard pages, from its pagemap.
guard_pages() {
	python3 - "$1" <<'PY'
import struct, sys
pid = sys.argv[1]
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pm:
    for line in maps:
        start, end = (int(x, 16) for x in line.split()[0].split("-"))
        if "[vsyscall]" in line:
            continue
        pm.seek(start // 4096 * 8)
        data = pm.read((end - start) // 4096 * 8)
        for i, (e,) in enumerate(struct.iter_unpack("Q", data)):
            if e >> 58 & 1:
                print(hex(start + i * 4096))
PY
}

# mergeable PID: the start addresses of its VMAs with VmFlags "mg".
mergeable() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { a = $1 } /^VmFlags:/ && / mg/ { print a }' "/proc/$1/smaps"
}

start_target "$w" 151-guard
pid=$TARGET_PID
self_check "$pid" "$w"
[[ $(check_value guards) == 4 ]] || fail "guards=$(check_value guards) before the dump, want 4"
g0=$(guard_pages "$pid")
m0=$(mergeable "$pid")
[[ -n $m0 ]] || fail "no mapping advised MADV_MERGEABLE in the target"
(($(wc -l <<<"$g0") == 4)) || fail "the pagemap shows guard pages '$g0', want 4"
dump_and_reap "$pid" "$img"
ck_ok show --images "$img"
grep -q ' (3 guard pages)$' "$CK_OUT" && grep -q ' (1 guard pages)$' "$CK_OUT" ||
	fail "show does not list the guard pages of the two mappings: $(grep -c 'guard pages)' "$CK_OUT") lines"
restore_detached "$img" "$pid"
self_check "$pid" "$w"
[[ $(check_value guards) == 4 ]] || fail "guards=$(check_value guards) after the restore, want 4"
assert_same "guard pages" "$g0" "$(guard_pages "$pid")"
assert_same "mappings advised MADV_MERGEABLE" "$m0" "$(mergeable "$pid")"
kill_restored "$pid"

# Hostile guard pages (imgedit, checksums fixed): one not page-aligned,
# one outside its mapping: refused, nothing left, the images untouched.
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
line=$("$IMGEDIT" "$img" "mm-$pid.img" | grep -E '^vmas\[[0-9]+\]\.guards\[0\]=' | head -n 1)
[[ -n $line ]] || fail "no guard pages in mm-$pid.img"
k=${line#vmas[}
k=${k%%]*}
g=${line#*=}
end=$("$IMGEDIT" "$img" "mm-$pid.img" "vmas[$k].end" | sed 's/^[^=]*=//')
for edit in "vmas[$k].guards[0]=$((g + 1))" "vmas[$k].guards[1]=$((end + 4096))"; do
	rm -rf -- "$T/bad"
	cp -a -- "$img" "$T/bad"
	"$IMGEDIT" "$T/bad" "mm-$pid.img" "$edit" || fail "imgedit $edit failed"
	expect_restore_fail "$T/bad" "$pid" "with $edit"
	grep -q "guard pages" "$CK_ERR" || fail "$edit: not refused for its guard pages: $(ck_err_line)"
done
assert_no_strays
