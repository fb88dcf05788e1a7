#!/bin/bash
# 152-aio.sh - a Linux AIO context (io_setup) comes back (152-aio): after
# the restore the ring is at the context's address with head and tail
# where the target left them (five reads and one check done), and a new
# read submitted through the same context id completes with its cookie
# and the file's bytes. Hostile ring fields are refused. A ring holding a completion not yet reaped is
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

# Hostile ring fields (imgedit, checksums fixed): a count of events that
# is not the ring's size, a head beyond them: refused, nothing left.
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
line=$("$IMGEDIT" "$img" "mm-$pid.img" | grep -E '^vmas\[[0-9]+\]\.aio_nr=' | head -n 1)
[[ -n $line ]] || fail "no AIO ring in mm-$pid.img"
k=${line#vmas[}
k=${k%%]*}
nr=${line#*=}
for edit in "vmas[$k].aio_nr=$((nr * 2 + 1))" "vmas[$k].aio_head=$nr"; do
	rm -rf -- "$T/bad"
	cp -a -- "$img" "$T/bad"
	"$IMGEDIT" "$T/bad" "mm-$pid.img" "$edit" || fail "imgedit $edit failed"
	expect_restore_fail "$T/bad" "$pid" "with $edit"
	grep -q "AIO ring" "$CK_ERR" || fail "$edit: not refused for its AIO ring: $(ck_err_line)"
done

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
