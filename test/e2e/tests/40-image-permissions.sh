#!/bin/bash
# 40-image-permissions.sh - the images directory is mode 0700 and every file
# in it 0600 (they hold the process's memory), even with umask 000.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

check_modes() { # DIR
	local bad
	[[ $(stat -c %a "$1") == 700 ]] || fail "images dir $1 has mode $(stat -c %a "$1"), want 700"
	bad=$(cd "$1" && find . -mindepth 1 \( -type f ! -perm 600 -o -type d ! -perm 700 \
		-o ! -type f ! -type d \) -printf '%P (%y %m) ')
	[[ -z $bad ]] || fail "wrong modes in $1: $bad(want files 600)"
	[[ -n $(find "$1" -type f) ]] || fail "no files in $1"
}

w=$T/w
start_target "$w" 01-basic 4
pid=$TARGET_PID
umask 000
dump_and_reap "$pid" "$T/images"
umask 022
check_modes "$T/images"
assert_no_strays
