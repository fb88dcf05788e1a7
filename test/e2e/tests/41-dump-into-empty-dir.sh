#!/bin/bash
# 41-dump-into-empty-dir.sh - dump into a directory that exists and is empty
# works (only a non-empty one is refused): files 0600, and it restores.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 01-basic 4
pid=$TARGET_PID
mkdir "$T/images"
dump_and_reap "$pid" "$T/images"
bad=$(cd "$T/images" && find . -mindepth 1 -type f ! -perm 600 -printf '%P (%m) ')
[[ -z $bad ]] || fail "files not 0600: $bad"
control_restore "$T/images" "$pid" "$w"
assert_no_strays
