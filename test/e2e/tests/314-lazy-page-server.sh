#!/bin/bash
# 314-lazy-page-server.sh - post-copy: restore --lazy --page-server CMD
# from an image set without its page images (as a migration leaves it on
# the destination); CMD is `ckpt serve-pages --images SRC` over a pipe,
# SRC the full image set. 310-lazy, 64 MiB, two threads:
#  1. held (fault build, no background copy): the process runs with none of
#     its pages in, they come from the server on first touch, right;
#  2. the normal binary: every page comes over, the daemon and the server
#     end, the process runs on with every page resident and right;
#  3. without --page-server the same set is refused cleanly;
#  4. the server serves only what the image set stores: a request for an
#     address it has no page of, or for too many pages, gets an error;
#  5. the server killed while pages are missing: the process is killed, it
#     never reads a wrong page.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/lazy.sh
. "$E2E_DIR/lazy.sh"
e2e_init

lazy_fault_build
need_python

w=$T/w
start_target "$w" 310-lazy 64 2
pid=$TARGET_PID
pages=$((64 * 256))
dump_and_reap "$pid" "$T/src"
cp -a "$T/src" "$T/dst"
rm "$T/dst"/pages-*.img

# 1. Held: pages on first touch only, from the server.
wait_gone "$pid"
ck_cmd env CKPT_FAULT=lazy_background "$FCKPT" restore --images "$T/dst" --detach --lazy \
	--page-server "$FCKPT serve-pages --images $T/src"
((CK_RC == 0)) || fail "restore --lazy --page-server failed (exit $CK_RC): $(ck_err_line)"
track_pid "$pid"
server=$(server_of "$T/src") || fail "no page server runs"
track_pid "$server"
self_check "$pid" "$w" 120
[[ $(check_value resident) == 0 ]] || fail "$(check_value resident) pages were in before the process touched them"
kill_restored "$pid"
wait_for 10 "the page server to end" no_server "$T/src" || fail "the page server stays"

# 2. Everything over.
restore_detached "$T/dst" "$pid" --lazy --page-server "$CKPT serve-pages --images $T/src"
wait_for 60 "the page server to end (every page over)" no_server "$T/src" ||
	fail "the page server does not end"
[[ -e /proc/$pid ]] || fail "the process died while its pages came over"
self_check "$pid" "$w" 120
[[ $(check_value resident) == "$pages" ]] || fail "$(check_value resident) of $pages pages resident"
kill_restored "$pid"

# 3. No page images, no server.
expect_restore_fail "$T/dst" "$pid" "without its page images"

# 4. Only what the image set stores.
addr=$("$PWD/build/tools/imgedit" "$T/src" "pagemap-$pid.img" | sed -n 's/^runs\[0\]\.vaddr=//p')
"$PYTHON" - "$CKPT" "$T/src" "$pid" "$addr" <<'PY' || fail "serve-pages answered what it must not"
import struct, subprocess, sys
ckpt, src, pid, addr = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 0)
p = subprocess.Popen([ckpt, "serve-pages", "--images", src], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def ask(a, n, who=pid):
    p.stdin.write(struct.pack("<IiQII", 0x51504b43, who, a, n, 0)); p.stdin.flush()
    magic, status, ra, rn, crc = struct.unpack("<IiQII", p.stdout.read(24))
    assert magic == 0x41504b43 and ra == a and rn == n, (magic, ra, rn)
    if status == 0:
        p.stdout.read(n * 4096)
    return status
assert ask(addr, 1) == 0, "a stored page was refused"
assert ask(0x1000, 1) == -2, "a page the set does not store was served"
assert ask(addr, 100000) == -22, "an unbounded request was served"
assert ask(addr + 1, 1) == -22, "an unaligned request was served"
assert ask(addr, 1, who=1) == -2, "a page of another process was served"
p.stdin.close()
assert p.wait() == 0
PY

# 5. The server killed with pages missing.
wait_gone "$pid"
ck_cmd env CKPT_FAULT=lazy_background "$FCKPT" restore --images "$T/dst" --detach --lazy \
	--page-server "$FCKPT serve-pages --images $T/src"
((CK_RC == 0)) || fail "restore --lazy --page-server failed (exit $CK_RC): $(ck_err_line)"
track_pid "$pid"
server=$(server_of "$T/src") || fail "no page server runs"
n=$(count_lines "$w/out" '^CHECK ')
kill -9 "$server"
kill -USR2 "$pid"
wait_for 20 "the process to be killed" is_dead "$pid" ||
	fail "the process runs on without its page server: $(describe_pid "$pid")"
more_lines_than "$w/out" '^CHECK ' "$n" && fail "the process answered: $(grep '^CHECK ' "$w/out" | tail -n 1)"
assert_no_strays
