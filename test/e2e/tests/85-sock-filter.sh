#!/bin/bash
# 85-sock-filter.sh - socket filters and buffer locks across a restore
# (85-sock-filter): a unix datagram socket with a locked classic filter,
# a UDP socket with a filter and SO_BUF_LOCK, a unix stream socket with
# SO_BUF_LOCK. Dump (kills), restore: the target reads its filters and
# locks back and sees the filters still drop what they dropped. Before,
# all of it was lost. Then an eBPF filter, which cannot be read back: the
# dump is refused with one line and the target runs on with it. Images
# edited (imgedit) into a lock no kernel has are refused, nothing created.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 85-sock-filter
pid=$TARGET_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$img"
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
locked=$("$IMGEDIT" "$img" files.img | sed -n 's/^files\[\([0-9]*\)\]\.sock\.buf_lock=3$/\1/p')
[[ -n $locked ]] || fail "no socket with SO_BUF_LOCK 3 in files.img"
bad=$T/bad
cp -a "$img" "$bad"
"$IMGEDIT" "$bad" files.img "files[$locked].sock.buf_lock=9" || fail "imgedit failed"
expect_restore_fail "$bad" "$pid" "with SO_BUF_LOCK 9"
grep -q "images are inconsistent (socket " "$CK_ERR" || fail "the refusal does not name the socket: $(ck_err_line)"
restore_detached "$img" "$pid"
self_check "$pid" "$w"
self_check "$pid" "$w"
kill_restored "$pid"

w=$T/ebpf
start_target "$w" 85-sock-filter ebpf
pid=$TARGET_PID
mkdir "$T/d"
ck_fails "dump of a socket with an eBPF filter" dump --pid "$pid" --images "$T/d/images"
grep -qE "^ckpt: cannot dump $pid: fd 10 \(unix socket\) has an eBPF socket filter \(SO_ATTACH_BPF\), which is not restored$" "$CK_ERR" ||
	fail "the error does not name the eBPF filter: $(ck_err_line)"
assert_dump_left_nothing "$T/d"
assert_still_fine "$pid" "$w" 0
kill -9 "$pid"
reap "$pid"
assert_no_strays
