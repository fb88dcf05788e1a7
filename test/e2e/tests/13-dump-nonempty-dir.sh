#!/bin/bash
# 13-dump-nonempty-dir.sh - dump into a non-empty directory is refused; the
# directory keeps just what it had and the target runs on, unaffected.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 01-basic 4
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
mkdir "$T/images"
echo keep-me >"$T/images/keep"
ck_fails "dump into a non-empty dir" dump --pid "$pid" --images "$T/images"
assert_dump_left_nothing "$T/images" ./keep
[[ $(cat "$T/images/keep") == keep-me ]] || fail "the failed dump changed images/keep"
assert_still_fine "$pid" "$w" 1
assert_no_strays "$pid"
