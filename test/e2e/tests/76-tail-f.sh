#!/bin/bash
# 76-tail-f.sh - a real program nobody here wrote: `tail -f FILE`
# (coreutils), which waits for FILE to grow with an inotify watch and
# poll(), its output going to a file. Dump (kills), restore; its fds
# (the file with its offset, the inotify and its watch) come back, and the
# lines appended to FILE after the restore appear in its output: the whole
# output is then exactly FILE, nothing lost, nothing twice.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/anon.sh
. "$(dirname "$0")/../anon.sh"
e2e_init

tail_bin=$(command -v tail) || skip "no tail"

# "FD LINK" for every fd of PID $1.
fd_links() {
	local f
	for f in /proc/"$1"/fd/*; do printf '%s %s\n' "${f##*/}" "$(readlink "$f")"; done | sort -n
}

# The output of tail is exactly lines 1..N of the file.
printed() { [[ $(cat "$w/out") == "$(printf 'line %d\n' $(seq "$1"))" ]]; }

w=$T/w
img=$T/images
mkdir -p "$w"
printf 'line %d\n' 1 2 3 >"$w/log"
spawn "$w" "$tail_bin" -f "$w/log"
pid=$TARGET_PID
wait_for 10 "tail to print the file" printed 3 || fail "tail printed: $(head -c 200 "$w/out")"
echo "line 4" >>"$w/log"
wait_for 10 "tail to print line 4" printed 4 || fail "tail printed: $(head -c 200 "$w/out")"
inotify_fd=$(fds_of "$pid" anon_inode:inotify)
[[ -n $inotify_fd ]] || fail "tail has no inotify: $(ls -l "/proc/$pid/fd")"
view0=$(fdinfo_view "$pid" "$inotify_fd")
log "tail's inotify:"$'\n'"$view0"
grep -q '^inotify wd:' <<<"$view0" || fail "tail's inotify watches nothing"
files0=$(fd_links "$pid")

dump_tree "$pid" "$img"
restore_tree "$img" "$pid"
assert_same "tail's fds" "$files0" "$(fd_links "$pid")"
assert_same "tail's inotify" "$view0" "$(fdinfo_view "$pid" "$inotify_fd")"
assert_not_traced "$pid"
echo "line 5" >>"$w/log"
wait_for 10 "tail to print line 5, appended after the restore" printed 5 ||
	fail "tail printed, after the restore: $(tail -n 3 "$w/out" | tr '\n' ' ')"
echo "line 6" >>"$w/log"
wait_for 10 "tail to print line 6" printed 6 ||
	fail "tail printed, after the restore: $(tail -n 3 "$w/out" | tr '\n' ' ')"
kill_restored "$pid"
assert_no_strays
