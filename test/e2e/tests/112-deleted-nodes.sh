#!/bin/bash
# 112-deleted-nodes.sh - nodes removed from their paths (112-deleted-nodes):
# a FIFO with bytes in it, a directory held by an fd and an O_PATH fd, a
# device node of /dev/null's numbers, and a removed cwd. Dump (kills),
# restore: the target's own view is as before (fstat: type, mode, nlink
# 0; the FIFO's bytes read back; the two fds one directory; /proc shows
# "PATH (deleted)" for each, getcwd() fails with ENOENT), ckpt left no
# name behind in the directory, and its fds and cwd still are what they
# were after a second self-check. Before this change the dump was refused
# (a cwd that was removed; a removed directory or device as an fd).
# Then a process whose executable was removed: refused at dump, with a line
# that says so, and it runs on.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 112-deleted-nodes
pid=$TARGET_PID
self_check "$pid" "$w"
[[ $(check_value fifo) == 24 ]] || fail "the FIFO holds $(check_value fifo) bytes before the dump"
[[ $(readlink "/proc/$pid/cwd") == "$w/cwd (deleted)" ]] ||
	fail "the cwd is $(readlink "/proc/$pid/cwd") before the dump"
names0=$(ls -A "$w" | grep -v -x -e out -e err -e seq)
[[ -z $names0 ]] || fail "the target left '$names0' in $w"
dump_and_reap "$pid" "$img"
seq_verify "$w/seq"
n=$SEQ_N
restore_detached "$img" "$pid"
self_check "$pid" "$w"
[[ $(check_value fifo) == 24 ]] || fail "the FIFO holds $(check_value fifo) bytes after the restore"
[[ $(readlink "/proc/$pid/cwd") == "$w/cwd (deleted)" ]] ||
	fail "the cwd is $(readlink "/proc/$pid/cwd") after the restore"
names=$(ls -A "$w" | grep -v -x -e out -e err -e seq)
[[ -z $names ]] || fail "the restore left '$names' in $w"
wait_seq_beyond "$w/seq" $((n + 20))
self_check "$pid" "$w"
kill_restored "$pid"

# A process whose executable was removed is refused at dump with a clear
# line (its mappings would be saved, but the exe link is set from a path),
# and runs on.
x=$T/x
mkdir -p "$x"
cp "$E2E_TARGETS/01-basic" "$x/exe" || fail "cannot copy 01-basic"
spawn "$x" "$x/exe" "$x"
xpid=$TARGET_PID
wait_ready "$xpid" "$x"
rm -f -- "$x/exe"
ck_fails "dump of a process whose executable was removed" dump --pid "$xpid" --images "$T/x-images"
grep -q "its executable '$x/exe (deleted)' was removed" "$CK_ERR" ||
	fail "the refusal does not say why: $(ck_err_line)"
assert_still_fine "$xpid" "$x" 0
kill -9 "$xpid"
reap "$xpid"
assert_no_strays
