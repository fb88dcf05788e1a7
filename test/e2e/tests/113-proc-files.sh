#!/bin/bash
# 113-proc-files.sh - files of /proc/PID/ (113-proc-files): a process
# holding /proc/self/status, maps (each read one line), mem (read-write),
# fd/ (a directory), fdinfo/12, its child's /proc/CHILD/stat, and, for
# comparison, /proc/meminfo, /proc/1/status (outside the tree) and a
# file of /sys. Dump (kills), restore: each fd is on /proc/PID/... of
# the same process again (the same pids), at its offset, and the target's own reads go on from
# the next line; the child's stat names the child and its parent; mem
# writes and reads the process's own memory. Before this change the
# restore failed ("cannot open file '/proc/PID/status'": ckpt opened the
# files before the processes existed).
# Then: images edited to a path out of /proc/PID (..) or through a magic
# link (root/) are refused, nothing left; a /proc file of a process
# outside the tree that has exited since the dump is refused at restore
# with one line; a /proc file shared by a process and its child is
# refused at dump, and so are one in an epoll and one its process may not
# open again (non-dumpable); the tree runs on.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

w=$T/w
img=$T/images
start_target "$w" 113-proc-files
pid=$TARGET_PID
self_check "$pid" "$w"
child=$(check_value child)
track_pid "$child"
[[ $(check_value status) == Umask ]] || log "the line after Name: in status is $(check_value status)"
dump_tree "$pid" "$img"
seq_verify "$w/seq"
n=$SEQ_N
restore_tree "$img" "$pid"
self_check "$pid" "$w"
[[ $(check_value child) == "$child" ]] || fail "child=$(check_value child), want $child"
[[ $(readlink "/proc/$pid/fd/10") == "/proc/$pid/status" ]] ||
	fail "fd 10 is $(readlink "/proc/$pid/fd/10") after the restore"
wait_seq_beyond "$w/seq" $((n + 20))
self_check "$pid" "$w"
kill_tree "$pid" "$child"

# Hostile images: the path of status edited out of /proc/PID, or through
# its root link (opened by the process itself, never through a magic link).
idx=$("$IMGEDIT" "$img" files.img | sed -n "s|^files\[\([0-9]*\)\]\.path=/proc/$pid/status\$|\1|p")
[[ -n $idx ]] || fail "no /proc/$pid/status in files.img"
bad=$T/bad
cp -a "$img" "$bad"
"$IMGEDIT" "$bad" files.img "files[$idx].path=/proc/$pid/../self/status" || fail "imgedit failed"
expect_restore_fail "$bad" "$pid" "with a path out of /proc/$pid"
grep -q "images are inconsistent (/proc file)" "$CK_ERR" || fail "the refusal does not say why: $(ck_err_line)"
rm -rf "$bad"
cp -a "$img" "$bad"
"$IMGEDIT" "$bad" files.img "files[$idx].path=/proc/$pid/root/etc/passwd" || fail "imgedit failed"
expect_restore_fail "$bad" "$pid" "with a path through /proc/$pid/root"
grep -q "cannot open '/proc/$pid/root/etc/passwd' again at fd 10" "$CK_ERR" ||
	fail "the refusal does not say why: $(ck_err_line)"
wait_for 10 "the child's PID to be free" is_gone "$child" || fail "$child is left"

# A process outside the tree, gone at restore: refused, nothing made.
sleep 600 &
spid=$!
track_pid "$spid"
o=$T/o
start_target "$o" 113-proc-files outside "$spid"
opid=$TARGET_PID
self_check "$opid" "$o"
dump_and_reap "$opid" "$T/o-images"
kill -9 "$spid"
reap "$spid"
expect_restore_fail "$T/o-images" "$opid" "of a /proc file of a process that exited"
grep -q "'/proc/$spid/status' is a /proc file of process $spid, outside the tree, which has exited since the dump" "$CK_ERR" ||
	fail "the refusal does not say why: $(ck_err_line)"

# A description shared by two processes: refused at dump, the tree runs on.
s=$T/s
start_target "$s" 113-proc-files shared
spid=$TARGET_PID
self_check "$spid" "$s"
mapfile -t kids < <(tree_pids "$spid")
track_pids "${kids[@]}"
ck_fails "dump of a /proc file shared with a child" dump --pid "$spid" --images "$T/s-images"
grep -q "the /proc file '/proc/$spid/status', is shared with process" "$CK_ERR" ||
	fail "the refusal does not say why: $(ck_err_line)"
assert_still_fine "$spid" "$s" 0
kill -9 "${kids[@]}"
reap "$spid"

# One watched by an epoll: refused at dump (the epoll would watch what
# stood in its place while the tree was rebuilt), the target runs on.
e=$T/e
start_target "$e" 113-proc-files epoll
epid=$TARGET_PID
self_check "$epid" "$e"
ck_fails "dump of a /proc file in an epoll" dump --pid "$epid" --images "$T/e-images"
grep -q "fd 10, the /proc file '/proc/$epid/mounts', is watched by the epoll at fd 11 of $epid" "$CK_ERR" ||
	fail "the refusal does not say why: $(ck_err_line)"
assert_still_fine "$epid" "$e" 0
kill -9 "$epid"
reap "$epid"

# One its process could not open again (it opened its environ, then
# became non-dumpable, which makes its /proc files root's): refused at
# dump, the target runs on.
if (($(id -u) == 0)); then
	nd=$T/nd
	mkdir -p "$nd"
	chmod 0777 "$nd"
	start_target "$nd" 113-proc-files nondump
	npid=$TARGET_PID
	self_check "$npid" "$nd"
	ck_fails "dump of a /proc file its process may not open now" dump --pid "$npid" --images "$T/nd-images"
	grep -q "fd 10, the /proc file '/proc/$npid/environ', is not one it may open now" "$CK_ERR" ||
		fail "the refusal does not say why: $(ck_err_line)"
	assert_still_fine "$npid" "$nd" 0
	kill -9 "$npid"
	reap "$npid"
fi
assert_no_strays
