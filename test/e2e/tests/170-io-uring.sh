#!/bin/bash
# 170-io-uring.sh - an io_uring left idle (liburing: target 170): dumped
# and restored, the ring is at the same addresses with the same indices
# (not 0, not a multiple of its size), its unreaped CQE and its prepared
# but unsubmitted SQE are there, /proc/PID/fdinfo of the ring reads the
# same (indices, masks, registered files with an empty slot, registered
# buffers at the same addresses); then the program submits that SQE, a
# fixed read of a registered file into a fixed buffer and a NOP, and
# reaps them with the right user_data and results, the indices going on
# from where they were. A restore failed (fault site) at the step that
# maps the rings leaves nothing. A ring of a user's process counts what
# its buffers pin against the user's RLIMIT_MEMLOCK after the restore.
# A hostile entry (sizes, a mapping offset, a file slot) is refused at
# restore. A ring with a read of an empty pipe in flight, a
# ring of a single issuer and one with an eventfd registered are refused
# at dump, the process left running untouched.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/anon.sh
. "$(dirname "$0")/../anon.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

w=$T/w
start_target "$w" 170-io-uring idle
pid=$TARGET_PID
ring=$(sed -n 's/^RING fd=\([0-9]*\) .*/\1/p' "$w/out")
[[ -n $ring ]] || fail "no RING line: $(head -c 300 "$w/out")"
self_check "$pid" "$w"
[[ $(check_value used) == 0 ]] || fail "before the dump: $CHECK_LINE"
sq_head=$(check_value sq_head)
((sq_head > 8 && sq_head % 8 != 0)) || fail "the ring's indices are too plain: $CHECK_LINE"
before=$(fdinfo_view "$pid" "$ring") || fail "cannot read fdinfo of $pid"
grep -q "^UserBufs:" <<<"$before" || fail "no UserBufs in fdinfo: $before"
maps_before=$(grep 'io_uring' "/proc/$pid/maps")

img=$T/img
dump_tree "$pid" "$img"
ck_ok show --images "$img"
grep -qE "^ +$ring io_uring .* ring 8/16 sq $sq_head-$((sq_head)) cq $((sq_head - 1))-$sq_head, 3 files, 2 buffers" "$CK_OUT" ||
	fail "ckpt show: no io_uring at fd $ring: $(grep io_uring "$CK_OUT")"

# Hostile entries: sizes that are not powers of two, a mapping of no region.
id=$("$IMGEDIT" "$img" "fdinfo-$pid.img" | sed -n "s/^fds\[\([0-9]*\)\]\.fd=$ring\$/\1/p")
file=$("$IMGEDIT" "$img" "fdinfo-$pid.img" "fds[$id].file_id" | sed "s/.*=//")
for edit in io_uring.sq_entries=3 io_uring.maps[0].pgoff=4096 io_uring.files[0]=-7; do
	bad=$T/bad-${edit%%=*}
	mkdir -p "$bad"
	cp -a "$img/." "$bad/"
	"$IMGEDIT" "$bad" files.img "files[$file].$edit" || fail "imgedit $edit failed"
	expect_restore_fail "$bad" "$pid" "with $edit"
	grep -qF "io_uring" "$CK_ERR" || fail "$edit refused with: $(ck_err_line)"
done

# The step that maps the rings and registers files and buffers, failed:
# nothing is left.
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
d0=$(image_digest "$img")
ck_cmd env CKPT_FAULT=restore_io_uring_late "$FCKPT" restore --images "$img" --detach
[[ -e /proc/$pid ]] && track_pid "$pid"
ck_assert_failed "restore with a fault at restore_io_uring_late"
wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "$pid exists after the failed restore"
[[ $(image_digest "$img") == "$d0" ]] || fail "the failed restore changed the images"
assert_no_strays

restore_tree "$img" "$pid"
after=$(fdinfo_view "$pid" "$ring") || fail "cannot read fdinfo of the restored $pid"
[[ $before == "$after" ]] || fail "fdinfo of the ring changed: $(diff <(echo "$before") <(echo "$after") | head -n 20 | tr '\n' ' ')"
maps_after=$(grep 'io_uring' "/proc/$pid/maps")
[[ $(cut -d' ' -f1-3 <<<"$maps_before") == $(cut -d' ' -f1-3 <<<"$maps_after") ]] ||
	fail "the ring's mappings moved: '$maps_before' then '$maps_after'"
self_check "$pid" "$w"
[[ $(check_value used) == 0 && $(check_value sq_head) == "$sq_head" ]] || fail "after the restore: $CHECK_LINE"
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w"
[[ $(check_value used) == 1 ]] || fail "using the ring after the restore: $CHECK_LINE"
kill_tree "${TREE_PIDS[@]}"

# A ring of a user without CAP_IPC_LOCK: what its buffers pin is still
# counted against its RLIMIT_MEMLOCK after the restore (a ring made by
# ckpt as root would count nothing).
w3=$T/w3
mkdir -m 0777 "$w3"
chmod o+x "$T"
spawn "$w3" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all -- \
	"$E2E_TARGETS/170-io-uring" "$w3" memlock
wait_ready "$TARGET_PID" "$w3"
pid3=$TARGET_PID
self_check "$pid3" "$w3"
[[ $(check_value memlock) == pending ]] || fail "before the dump: $CHECK_LINE"
dump_tree "$pid3" "$T/img3"
restore_tree "$T/img3" "$pid3"
[[ $(stat -c %u "/proc/$pid3") == 65534 ]] || fail "the restored $pid3 is not uid 65534"
send_usr1 "$pid3" "$w3" 1
self_check "$pid3" "$w3"
[[ $(check_value memlock) == ok ]] || fail "after the restore: $CHECK_LINE"
kill_tree "${TREE_PIDS[@]}"

# A request in flight: refused at dump, the process goes on.
w2=$T/w2
start_target "$w2" 170-io-uring inflight
pid2=$TARGET_PID
self_check "$pid2" "$w2"
mkdir "$T/d2"
ck_fails "dump of a ring with a request in flight" dump --pid "$pid2" --images "$T/d2/img"
grep -qF "is an io_uring with requests in flight" "$CK_ERR" || fail "refused with: $(ck_err_line)"
assert_dump_left_nothing "$T/d2"
assert_still_fine "$pid2" "$w2" 0
kill -9 "$pid2"
reap "$pid2"

# A single issuer's ring, a ring with an eventfd: refused, the process goes on.
for mode in single eventfd; do
	wm=$T/w-$mode
	start_target "$wm" 170-io-uring "$mode"
	pm=$TARGET_PID
	mkdir "$T/d-$mode"
	ck_fails "dump of a ring ($mode)" dump --pid "$pm" --images "$T/d-$mode/img"
	want="of a single issuer (IORING_SETUP_SINGLE_ISSUER)"
	[[ $mode == eventfd ]] && want="with an eventfd registered"
	grep -qF "is an io_uring $want (not supported)" "$CK_ERR" || fail "$mode refused with: $(ck_err_line)"
	assert_dump_left_nothing "$T/d-$mode"
	assert_still_fine "$pm" "$wm" 0
	kill -9 "$pm"
	reap "$pm"
done
