#!/bin/bash
# 26-restore-vanished-file.sh - a regular file the target had open (its seq
# file) is removed between dump and restore: restore must fail cleanly and
# leave no process with that PID; the images are unchanged.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
make_image "$w" "$T/images"
pid=$IMG_PID
rm -- "$w/seq"
expect_restore_fail "$T/images" "$pid" "with $w/seq gone"
[[ -e $w/seq ]] && fail "the failed restore created $w/seq again"
assert_no_strays
