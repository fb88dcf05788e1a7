#!/bin/bash
# 152-aio.sh - a Linux AIO context (io_setup) comes back (152-aio): after
# the restore the ring is at the context's address with head and tail
# where the target left them (five reads and one check done), and a new
# read submitted through the same context id completes with its cookie
# and the file's bytes. A ring holding a completion not yet reaped is
# refused at dump, and that target runs on untouched.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images

start_target "$w" 152-aio
pid=$TARGET_PID
self_check "$pid" "$w"
[[ $(check_value reads) == 6 ]] || fail "reads=$(check_value reads), want 6"
head0=$(check_value head)
dump_and_reap "$pid" "$img"
restore_detached "$img" "$pid"
self_check "$pid" "$w"
[[ $(check_value reads) == 7 ]] || fail "reads=$(check_value reads) after the restore, want 7"
(($(check_value head) == head0 + 1)) || fail "head=$(check_value head) after the restore, want $((head0 + 1))"
self_check "$pid" "$w"
[[ $(check_value reads) == 8 ]] || fail "reads=$(check_value reads), want 8"
kill_restored "$pid"

# A completion left in the ring: refused, the target runs on.
w2=$T/w2
start_target "$w2" 152-aio unreaped
pid2=$TARGET_PID
ck_fails "dump of a ring with a completion not reaped" dump --pid "$pid2" --images "$T/img2"
grep -q "not yet reaped" "$CK_ERR" || fail "the refusal does not say why: $(ck_err_line)"
[[ ! -e $T/img2 ]] || fail "the refused dump left $T/img2"
assert_not_traced "$pid2"
kill -9 "$pid2"
assert_no_strays
