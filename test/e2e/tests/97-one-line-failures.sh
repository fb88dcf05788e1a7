#!/bin/bash
# 97-one-line-failures.sh - a failure is exactly one line on stderr, with
# the control characters of the names in it escaped (\xNN), whether the
# name comes from the command line or from the images:
#  - restore from a directory whose name holds a newline and an escape
#    sequence, and which does not exist;
#  - dump into such a directory under a parent that does not exist;
#  - a target whose work directory (its cwd and the file it writes) has a
#    newline and an ESC in its name: a restore refuses such a path from
#    images, so the dump, which reads its images back before the kill,
#    refuses it too: one line, the name escaped, the target running on
#    untouched, nothing left in the images' parent. The dump into a missing
#    directory leaves it running as well.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

nasty=$'a\nckpt: fake line\e[31m'

# The last ckpt command failed with one line (ck_assert_failed), in which
# no control character is left and the name is shown escaped.
assert_escaped() { # WHAT
	ck_assert_failed "$1"
	LC_ALL=C grep -q $'[\x01-\x1f\x7f]' "$CK_ERR" && fail "$1: a control character on stderr: $(od -c "$CK_ERR" | head -n 3)"
	grep -qF 'a\x0ackpt: fake line\x1b[31m' "$CK_ERR" || fail "$1: the name is not shown escaped: $(ck_err_line)"
	return 0
}

ck restore --images "$T/$nasty" --detach
assert_escaped "restore from a missing directory with a newline in its name"

w=$T/$nasty
img=$T/images
start_target "$w" 01-basic
pid=$TARGET_PID
self_check "$pid" "$w"
ck dump --pid "$pid" --images "$T/${nasty}-missing/set"
assert_escaped "dump under a missing parent, a newline in the name"
assert_still_fine "$pid" "$w" 0
ck dump --pid "$pid" --images "$img"
assert_escaped "dump of a process whose paths have a newline"
grep -q "^ckpt: cannot dump $pid: its images would not restore: " "$CK_ERR" ||
	fail "the refusal does not say the images would not restore: $(ck_err_line)"
[[ ! -e $img ]] || fail "the refused dump left '$img'"
[[ -z $(compgen -G "$T/.images.ckpt-*") ]] || fail "the refused dump left its temporary directory"
assert_still_fine "$pid" "$w" 1
kill -9 "$pid"
reap "$pid"
assert_no_strays
