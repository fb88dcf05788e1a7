#!/bin/bash
# 25-restore-pid-in-use.sh - restore while the original process (dumped with
# --leave-running) still runs must fail clearly; the original is unaffected
# and the images unchanged.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 01-basic 4
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
ck_ok dump --pid "$pid" --images "$T/images" --leave-running
d0=$(image_digest "$T/images")
start0=$(proc_starttime "$pid")
ck restore --images "$T/images" --detach
ck_assert_failed "restore while PID $pid is in use"
[[ $(proc_starttime "$pid") == "$start0" ]] || fail "the original $pid is gone"
[[ $(image_digest "$T/images") == "$d0" ]] || fail "the failed restore changed the images"
assert_still_fine "$pid" "$w" 1
assert_no_strays "$pid"
