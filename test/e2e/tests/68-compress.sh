#!/bin/bash
# 68-compress.sh - dump --compress. python3 holding ~200 MB of objects
# (py/bigdata.py): a zstd dump is less than half the size of a plain one
# of the same process, and restores. A chain of incremental dumps mixing
# lz4, plain and zstd images (65-dirty) restores every page. Bad input: a
# byte flipped inside a compressed frame (the middle of the file, then the
# frame header at the start) fails the restore cleanly, and an unknown
# codec is refused before anything is touched. `ckpt show` says which
# images are pre-dumps, incremental or compressed.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

need_python
new_tmp shm /dev/shm
pages_size() { stat -c %s "$1"/pages-*.img; }

w=$T/w
start_python "$w" bigdata.py
pid=$TARGET_PID
# shellcheck disable=SC2154 # set by new_tmp
ck_ok dump --pid "$pid" --images "$shm/plain" --leave-running
self_check "$pid" "$w" 60
dump_and_reap_with() { # PID IMAGES ARGS...
	local p=$1 img=$2
	shift 2
	ck_ok dump --pid "$p" --images "$img" "$@"
	reap "$p"
	wait_gone "$p"
}
dump_and_reap_with "$pid" "$shm/zstd" --compress=zstd
plain=$(pages_size "$shm/plain") small=$(pages_size "$shm/zstd")
log "pages: $plain bytes plain, $small with zstd"
((small * 2 < plain)) || fail "the zstd dump holds $small bytes of pages, the plain one $plain"
restore_detached "$shm/zstd" "$pid"
self_check "$pid" "$w" 60
kill_restored "$pid"

w=$T/w2
start_target "$w" 65-dirty 16
pid=$TARGET_PID
ck_ok pre-dump --pid "$pid" --images "$T/c1" --compress
send_usr1 "$pid" "$w" 1
ck_ok pre-dump --pid "$pid" --images "$T/c2" --parent "$T/c1"
send_usr1 "$pid" "$w" 2
ck_ok dump --pid "$pid" --images "$T/c3" --parent "$T/c2" --compress=zstd
reap "$pid"
wait_gone "$pid"

# show tells a pre-dump, a compressed image and an incremental one.
ck_ok show --images "$T/c1"
grep -q "^pre-dump: memory only" "$CK_OUT" || fail "show does not say c1 is a pre-dump"
grep -q "pages stored (.*, lz4 to .* MiB)" "$CK_OUT" || fail "show does not say c1 is lz4: $(grep memory: "$CK_OUT")"
ck_ok show --images "$T/c3" --json
"$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
p = d["processes"][0]
assert d["parent"].endswith("/c2") and not d["predump"], d["parent"]
assert p["compression"] == "zstd" and p["pages_in_parent"] > 0, p
' <"$CK_OUT" || fail "show --json of c3 is not as expected"

# Corruption in the first link of the chain (lz4): inside a frame, and
# in the first frame's header.
name=$(basename "$(one_file "$T/c1" 'pages-*.img')")
size=$(stat -c %s "$T/c1/$name")
cp -a "$T/c1" "$T/c1.good"
for off in $((size / 2)) 33; do
	flip_byte "$T/c1/$name" "$off"
	expect_restore_fail "$T/c3" "$pid" "with byte $off of the compressed $T/c1/$name flipped"
	cp "$T/c1.good/$name" "$T/c1/$name"
done

restore_detached "$T/c3" "$pid"
self_check "$pid" "$w"
[[ $(check_value epochs) == 2 ]] || fail "epochs=$(check_value epochs) after the restore"
kill_restored "$pid"

mkdir "$T/x"
ck_fails "dump with an unknown codec" dump --pid 1 --images "$T/x/i" --compress=rar
grep -q "unknown compression 'rar'" "$CK_ERR" || fail "unclear error: $(ck_err_line)"
assert_dump_left_nothing "$T/x"
assert_no_strays
