#!/bin/bash
# 72-anon-refused.sh - what ckpt cannot restore faithfully among the files
# on anonymous inodes is refused at the dump, cleanly (exit 1, one
# "ckpt: cannot dump PID: fd N ..." line saying why, nothing left behind),
# and the target goes on untouched (72-anon-refused, one run per case):
#  - an epoll item whose fd was closed after EPOLL_CTL_ADD while a
#    process outside the tree keeps its file open (test 142: one whose
#    file the tree still has is restored);
#  - an inotify watching a file that was deleted while someone (here the
#    test) keeps it open: no path leads to it.
# (An inotify with O_ASYNC is restored since, with its owner: test 78.)
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

# refused CASE REGEX: start the target in CASE, the dump must fail with a
# line matching REGEX (PID stands for the target's pid).
refused() {
	local kind=$1 want=$2 w=$T/$1 pid hold holder
	start_target "$w" 72-anon-refused "$kind"
	pid=$TARGET_PID
	holder=$(sed -n 's/^HOLDER pid=//p' "$w/out")
	[[ -n $holder ]] && track_pid "$holder"
	self_check "$pid" "$w"
	if [[ $kind == inotify-gone ]]; then
		exec {hold}<"$w/gone"
		rm -- "$w/gone"
	fi
	mkdir "$T/d-$kind"
	ck_fails "dump of $kind" dump --pid "$pid" --images "$T/d-$kind/images"
	log "refused with: $(cat "$CK_ERR")"
	want=${want//PID/$pid}
	grep -qE -- "^ckpt: cannot dump $want" "$CK_ERR" ||
		fail "$kind: the error does not say why: $(ck_err_line) (want 'cannot dump $want')"
	assert_dump_left_nothing "$T/d-$kind"
	assert_still_fine "$pid" "$w" 0
	[[ -n ${hold:-} ]] && exec {hold}<&-
	kill -9 "$pid"
	reap "$pid"
	if [[ -n $holder ]]; then
		kill -9 "$holder"
		wait_gone "$holder"
	fi
}

refused epoll-stale 'PID: fd 11 is an epoll watching a file closed at fd 10 that no process of the tree has open$'
refused inotify-gone 'PID: fd 10 is an inotify watching inode [0-9]+ \(device [0-9]+:[0-9]+\), which no path leads to'
assert_no_strays
