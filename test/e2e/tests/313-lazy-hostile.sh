#!/bin/bash
# 313-lazy-hostile.sh - hostile images for restore --lazy (310-lazy, 32
# MiB). The page daemon runs as root for the process: it must never be
# led to write where the images say. A run of pages moved out of the VMAs,
# one made longer than its VMA, a page count that does not add up, a page
# image cut short: each is refused before anything is made (one line, no
# process, no daemon, the images untouched). A byte flipped in the page
# data (the checksum is wrong, nothing else): the restore starts the
# process, the daemon finds the mismatch as it checks the page images in
# the background, kills the process and leaves.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/lazy.sh
. "$E2E_DIR/lazy.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

w=$T/w
start_target "$w" 310-lazy 32 2
pid=$TARGET_PID
dump_and_reap "$pid" "$T/img"
pm=pagemap-$pid.img
# The run of the 32 MiB region: the longest.
run=$("$IMGEDIT" "$T/img" "$pm" | sed -n 's/^runs\[\([0-9]*\)\]\.nr_pages=\([0-9]*\)$/\2 \1/p' |
	sort -n | tail -n 1 | cut -d' ' -f2)
[[ -n $run ]] || fail "no run in $pm"
nr=$("$IMGEDIT" "$T/img" "$pm" nr_pages)
nr=${nr#*=}

refused() { # WHY_REGEX EDIT...
	local why=$1 bad d0
	shift
	bad=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$T/img/." "$bad/"
	"$@" "$bad" || fail "cannot edit: $*"
	d0=$(image_digest "$bad")
	log "==== $*"
	wait_gone "$pid"
	ck restore --images "$bad" --detach --lazy
	[[ -e /proc/$pid ]] && track_pid "$pid"
	ck_assert_failed "restore --lazy with $*"
	grep -qE "$why" "$CK_ERR" || fail "restore --lazy with $*: the refusal does not say '$why': $(ck_err_line)"
	wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "a refused lazy restore left $(describe_pid "$pid")"
	no_daemon "$bad" || fail "a refused lazy restore left its page daemon"
	[[ $(image_digest "$bad") == "$d0" ]] || fail "the refused restore changed the images"
}
edit_pm() { "$IMGEDIT" "$2" "$pm" "$1"; }
cut_pages() { truncate -s -4096 "$1/pages-$pid.img"; }

refused "run $run( |:)" edit_pm "runs[$run].vaddr=4096"
refused "run $run: not inside a vma|overlaps" edit_pm "runs[$run].nr_pages=4000000"
refused "pages stored" edit_pm "nr_pages=$((nr + 1))"
refused "pages-$pid.img" cut_pages
assert_no_strays

# A byte of the region's pages flipped: the checksum tells.
bad=$T/flipped
cp -a "$T/img" "$bad"
size=$(stat -c %s "$bad/pages-$pid.img")
flip_byte "$bad/pages-$pid.img" $((size / 2))
wait_gone "$pid"
ck_ok restore --images "$bad" --detach --lazy
track_pid "$pid"
wait_for 60 "the daemon to kill the process" is_dead "$pid" ||
	fail "the process runs on with a page image that does not match its checksum"
wait_for 10 "the daemon to leave" no_daemon "$bad" || fail "the page daemon stays"
assert_no_strays
