#!/bin/bash
# 75-inotify.sh - inotify watches (75-inotify) on a directory, a file, a
# symlink itself (IN_DONT_FOLLOW) and, one-shot, the work dir, with gaps in
# their wds (2, 5-9 removed), and another inotify on tmpfs with a dup. Dump
# (kills), restore; every watch comes back with its wd and mask on the same
# inode (fdinfo), no stray event shows up, and the self-check reads exactly
# the events of what the test does after the restore: a file created in the
# watched dir, the watched file appended to, the symlink touched, a file
# moved into the work dir (then the one-shot watch is gone), a file created
# on tmpfs, each under its old wd.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/anon.sh
. "$(dirname "$0")/../anon.sh"
e2e_init

w=$T/w
img=$T/images
new_tmp shm /dev/shm
# shellcheck disable=SC2154 # set by new_tmp
start_target "$w" 75-inotify "$shm"
pid=$TARGET_PID
self_check "$pid" "$w"
[[ $(check_value i) == - && $(check_value j) == - ]] || fail "events before anything happened: $CHECK_LINE"
view0=$(fdinfo_view "$pid" 10 11 12)
log "inotifies before the dump:"$'\n'"$view0"
(($(grep -c "^inotify wd:" <<<"$view0") == 6)) || fail "want 4 watches in I, 1 in J (seen twice: its dup)"

dump_tree "$pid" "$img"
restore_tree "$img" "$pid"
assert_same "the target's inotifies" "$view0" "$(fdinfo_view "$pid" 10 11 12)"
assert_not_traced "$pid"
touch "$w/watched/new"
echo appended >>"$w/watched/file"
touch -h "$w/link"
mv "$w/watched/new" "$w/moved"
touch "$shm/x"
self_check "$pid" "$w"
want_i=1:CREATE:new,3:MODIFY,3:CLOSE_WRITE,4:ATTRIB,10:MOVED_TO:moved,10:IGNORED
[[ $(check_value i) == "$want_i" ]] || fail "the first inotify read $(check_value i), want $want_i"
[[ $(check_value j) == 1:CREATE:x ]] || fail "the second inotify read $(check_value j), want 1:CREATE:x"
self_check "$pid" "$w"
[[ $(check_value i) == - && $(check_value j) == - ]] || fail "events read twice: $CHECK_LINE"
kill_restored "$pid"
assert_no_strays
