#!/bin/bash
# 48-trust-sets.sh - the trust model at work on honest image sets: a set an
# ordinary user owns restores that user's process exactly (uids, gids, no
# capabilities, the same open file); root's own set restores it too. What
# each refuses, with one line: a file or a working directory replaced
# since the dump (unless the set comes from another boot), capabilities in
# a user's set, a symlink on a file's path even in root's set, a set
# writable by group, a set with files of two users, a path with a control
# character (shown escaped), a user's set built on root's; and a dump into
# a symlink.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/attack.sh
. "$E2E_DIR/attack.sh"
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"
e2e_init
attack_init

# ck_assert_failed, and the one line says WHAT (a regex).
refused_with() { # PID WHAT REGEX
	ck_assert_failed "$2"
	grep -q -E -- "$3" "$CK_ERR" || fail "$2: refused for another reason: $(ck_err_line)"
	wait_gone "$1"
}

# The restored process sees the user's own rights and its own file.
assert_users_process() { # PID WORKDIR INO
	local uid gid capeff
	self_check "$1" "$2"
	uid=$(check_value uid) gid=$(check_value gid) capeff=$(check_value capeff)
	[[ $uid == "$ATK_UID/$ATK_UID/$ATK_UID/$ATK_UID" ]] || fail "restored uids $uid"
	[[ $gid == "$ATK_GID/$ATK_GID/$ATK_GID/$ATK_GID" ]] || fail "restored gids $gid"
	[[ $capeff == 0000000000000000 && $(check_value capprm) == 0000000000000000 ]] ||
		fail "restored capabilities $capeff"
	[[ $(check_value data_ino) == "$3" ]] || fail "data inode $(check_value data_ino), want $3"
}

# 1. The user's own set restores the user's process, twice over.
w=$ATK_HOME/own img=$ATK_HOME/own.img
atk_set "$w" "$img"
pid=$ATK_PID ino=$(check_value data_ino)
restore_detached "$img" "$pid"
assert_users_process "$pid" "$w" "$ino"
kill_restored "$pid"

# 2. The same set, made root's in a root-only directory, is trusted.
rootdir=
new_tmp rootdir
{ cp -a "$img" "$rootdir/img" && chown -R 0:0 "$rootdir/img"; } || fail "cannot copy $img"
restore_detached "$rootdir/img" "$pid"
assert_users_process "$pid" "$w" "$ino"
kill_restored "$pid"

# 3. A symlink on a file's path is refused even in root's set.
{ mv "$w/data" "$w/data.real" && ln -s "$w/data.real" "$w/data"; } || fail "cannot swap $w/data"
wait_gone "$pid"
ck restore --images "$rootdir/img" --detach
refused_with "$pid" "root's set, a symlink on a path" "'$w/data': a symlink is on its path"
{ rm "$w/data" && mv "$w/data.real" "$w/data"; } || fail "cannot put $w/data back"

# 4. A file replaced since the dump (a new inode, the same contents).
{ as_user cp -p "$w/data" "$w/data.new" && as_user mv "$w/data.new" "$w/data"; } || fail "cannot replace data"
ck restore --images "$img" --detach
refused_with "$pid" "a replaced file" "'$w/data' is not the file that was dumped \(inode changed\)"
# ... unless the set comes from another boot: then the type, size and
# mtime (the copy above kept its mtime: cp -p).
atk_imgedit "$img" inventory.img boot_id=00000000-0000-0000-0000-000000000000
restore_detached "$img" "$pid"
[[ $(stat -L -c %i "/proc/$pid/fd/20") == "$(stat -c %i "$w/data")" ]] ||
	fail "the process from another boot does not have the new $w/data at fd 20"
kill_restored "$pid"

# ... and so is a working directory replaced by another (its files moved).
w=$ATK_HOME/cwd img=$ATK_HOME/cwd.img
atk_set "$w" "$img"
pid=$ATK_PID
{ as_user mv "$w" "$w.old" && as_user mkdir "$w" && as_user find "$w.old" -mindepth 1 -maxdepth 1 -exec mv -t "$w" {} +; } ||
	fail "cannot replace $w"
ck restore --images "$img" --detach
refused_with "$pid" "a replaced cwd" "working directory '$w' is not the file that was dumped \(inode changed\)"

# ... and so are capabilities, for a process of the user's own uid.
atk_imgedit "$img" "core-$pid.img" creds.cap_prm=0x1 creds.cap_eff=0x1
ck restore --images "$img" --detach
refused_with "$pid" "a user's set claiming capabilities" "process $pid claims capabilities: permitted 0x1,"

# 5. Writable by group, or files of two users: no single owner to trust.
w=$ATK_HOME/modes img=$ATK_HOME/modes.img
atk_set "$w" "$img"
pid=$ATK_PID
chmod g+w "$img/pstree.img"
ck restore --images "$img" --detach
refused_with "$pid" "a set writable by group" "image '$img/pstree.img' is writable by group or other"
chmod g-w "$img/pstree.img" && chown 65534 "$img/pstree.img"
ck restore --images "$img" --detach
refused_with "$pid" "a set of two users" "has files of two users \(uid $ATK_UID and uid 65534\)"
chown "$ATK_UID" "$img/pstree.img"

# 6. A path with a control character: refused at load, shown escaped.
i=$(file_index "$img" "$w/data")
atk_imgedit "$img" files.img "files[$i].path=$w/da"$'\n'"ta"
ck restore --images "$img" --detach
refused_with "$pid" "a path with a newline" "'$w/da\\\\x0ata' in the images has a control character"

# 7. A user's set names a set of root's as its parent (readable by all):
# refused, its pages must not reach the user's process.
atk_imgedit "$img" files.img "files[$i].path=$w/data"
{ cp -a "$rootdir/img" "$ATK_HOME/rootset" && chmod -R go+rX "$ATK_HOME/rootset"; } ||
	fail "cannot copy root's set"
atk_imgedit "$img" inventory.img "parent_path=$ATK_HOME/rootset" \
	"$("$IMGEDIT" "$ATK_HOME/rootset" inventory.img | grep "^id=" | sed "s/^id=/parent_id=/")"
ck restore --images "$img" --detach
refused_with "$pid" "a user's set on root's" "its parent '$img \(parent 1\)' by uid 0"

# 8. A dump does not follow a symlink at the images path either (an empty
# directory of the user's behind it): refused, the target runs on.
w=$ATK_HOME/dumpto
atk_spawn "$w" 41-trust
pid=$TARGET_PID
{ as_user mkdir "$ATK_HOME/empty" && as_user ln -s "$ATK_HOME/empty" "$ATK_HOME/link"; } ||
	fail "cannot plant $ATK_HOME/link"
ck_fails "dump to a symlink" dump --pid "$pid" --images "$ATK_HOME/link"
grep -q "exists and is not a directory (symlinks are refused)" "$CK_ERR" ||
	fail "dump to a symlink refused for another reason: $(ck_err_line)"
[[ -z $(ls -A "$ATK_HOME/empty") ]] || fail "the dump wrote through $ATK_HOME/link"
assert_not_traced "$pid"
self_check "$pid" "$w"
kill -9 "$pid"
reap "$pid"
assert_no_strays
