#!/bin/bash
# 78-sigio.sh - signal-driven I/O across a restore (78-sigio): a pipe, a
# unix socket and an inotify with O_ASYNC, an owner (the process; the
# thread) and a signal of their own (F_SETSIG), a pipe with an owner only. Dump (kills),
# restore: the target reads its flags, owners and signals back, and a byte
# written into each still brings its signal with the right fd in si_fd.
# Before, the owners and signals were lost (and O_ASYNC pointed at ckpt's
# fd numbers); O_ASYNC on an inotify was refused. Images edited (imgedit) into an owner of no known type or
# a signal no kernel has are refused, nothing created.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 78-sigio
pid=$TARGET_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$img"

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
owned=$("$IMGEDIT" "$img" files.img | sed -n 's/^files\[\([0-9]*\)\]\.fown\.signum=36$/\1/p')
[[ -n $owned ]] || fail "no file with signal 36 (SIGRTMIN+2) in files.img"
for edit in "files[$owned].fown.type=3" "files[$owned].fown.signum=65"; do
	bad=$(mktemp -d "$T/bad.XXXXXX")
	cp -a "$img/." "$bad/"
	"$IMGEDIT" "$bad" files.img "$edit" || fail "imgedit $edit failed"
	expect_restore_fail "$bad" "$pid" "with $edit"
	grep -q "images are inconsistent (owner of 'pipe:" "$CK_ERR" ||
		fail "restore with $edit: the refusal does not name the owner: $(ck_err_line)"
done

restore_detached "$img" "$pid"
self_check "$pid" "$w"
self_check "$pid" "$w"
kill_restored "$pid"
assert_no_strays
