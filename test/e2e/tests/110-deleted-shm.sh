#!/bin/bash
# 110-deleted-shm.sh - shared mappings of deleted files (110-deleted-shm):
# a parent and its child play ping-pong through a file of /dev/shm that
# is only mapped (twice, once at an offset) and unlinked, as sem_open()
# and sem_unlink() leave a POSIX semaphore, and through a deleted file on
# /tmp's filesystem that the parent also holds open. Dump the tree (kills
# it): each file is saved once (two objects, however many mappings and
# fds), and nothing is left in /dev/shm. Restore: both processes map the
# same inode again (map_files), /proc shows the old paths "(deleted)", the
# target's self-check finds the contents, mode and nlink 0, a word written
# through the mapping read through the fd and back, and the ping-pong goes
# on in both files (each side sees the other's writes). Before this change
# such a mapping was refused at dump.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
tag="$$-${T##*.}"
shm=/dev/shm/ckpt-t110-$tag.s
rm_shm() { rm -f -- "$shm"; }
CLEANUP_HOOKS+=(rm_shm)

start_target "$w" 110-deleted-shm "$tag"
pid=$TARGET_PID
child=$(sed -n 's/^CHILD pid=\([0-9]*\)$/\1/p' "$w/out")
[[ -n $child ]] || fail "no CHILD line from the target"
track_pid "$child"

# ROUNDS: both ping-pong counts have grown beyond S and F.
rounds_beyond() {
	self_check "$pid" "$w"
	(($(check_value s_rounds) > $1 && $(check_value f_rounds) > $2))
}

# The inodes that PID maps under its deleted paths, "PATH INO" sorted.
mapped_inodes() {
	local range path
	while read -r range _ _ _ _ path; do
		[[ $path == *" (deleted)" ]] || continue
		[[ $path == "$shm (deleted)" || $path == "$w/t110.f (deleted)" ]] || continue
		printf '%s %s\n' "$path" "$(stat -L -c %i "/proc/$1/map_files/$range")"
	done <<<"$(<"/proc/$1/maps")" | sort -u
}

wait_for 20 "ping-pong before the dump" rounds_beyond 10 10 ||
	fail "no ping-pong between $pid and $child: $CHECK_LINE"
[[ ! -e $shm ]] || fail "$shm still has its name"
m0=$(mapped_inodes "$pid")
(($(wc -l <<<"$m0") == 2)) || fail "the parent maps '$m0', want two deleted files"
[[ $(mapped_inodes "$child") == "$m0" ]] || fail "the child maps other files than its parent"

dump_tree "$pid" "$img"
[[ ! -e $shm ]] || fail "the dump left $shm"
n=$(find "$img" -name 'shmem-pages-*' | wc -l)
((n == 2)) || fail "$n objects of shared memory saved, want 2 (one per file)"
seq_verify "$w/seq"

# Hostile images: a path with '..' is refused before anything is made; a
# set-user-ID mode is not given (the file stands under its name a while).
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"
si=$("$IMGEDIT" "$img" shmem.img | sed -n "s|^objects\[\([0-9]*\)\]\.deleted_path=${shm//./\\.}\$|\1|p")
[[ -n $si ]] || fail "no object for $shm in shmem.img: $("$IMGEDIT" "$img" shmem.img | head -n 20)"
bad=$T/bad
cp -a "$img" "$bad"
"$IMGEDIT" "$bad" shmem.img "objects[$si].deleted_path=/dev/shm/../etc/ckpt-t110-$tag" ||
	fail "imgedit failed"
expect_restore_fail "$bad" "$pid" "with a deleted file at '/dev/shm/../etc/...'"
grep -q "has a '.' or '..' component" "$CK_ERR" || fail "the refusal does not say why: $(ck_err_line)"
[[ ! -e /etc/ckpt-t110-$tag ]] || fail "the refused restore made /etc/ckpt-t110-$tag"
rm -rf -- "$bad"
cp -a "$img" "$bad"
"$IMGEDIT" "$bad" shmem.img "objects[$si].mode=$((8#4755))" || fail "imgedit failed"
fdi=$("$IMGEDIT" "$img" files.img | sed -n "s|^files\\[\\([0-9]*\\)\\]\\.path=$w/t110\\.f (deleted)\$|\\1|p")
[[ -n $fdi ]] || fail "no entry for fd 20 in files.img"
"$IMGEDIT" "$bad" files.img "files[$fdi].mode=$((8#106604))" || fail "imgedit failed"
restore_tree "$bad" "$pid"
mode=$(while read -r range _ _ _ _ path; do
	[[ $path == "$shm (deleted)" ]] && stat -L -c %a "/proc/$pid/map_files/$range"
done <<<"$(<"/proc/$pid/maps")" | sort -u)
[[ $mode == 755 ]] || fail "an image asking for mode 4755 made the file mode '$mode', want 755"
mode=$(stat -L -c %a "/proc/$pid/fd/20")
[[ $mode == 604 ]] || fail "an image asking for mode 6604 made fd 20's file mode '$mode', want 604"
kill_tree "$pid" "$child"

restore_tree "$img" "$pid"
[[ ! -e $shm && ! -e $w/t110.f ]] || fail "the restore left a name to a deleted file"
m1=$(mapped_inodes "$pid")
(($(wc -l <<<"$m1") == 2)) || fail "after the restore the parent maps '$m1', want two deleted files"
[[ $(mapped_inodes "$child") == "$m1" ]] ||
	fail "after the restore the child maps '$(mapped_inodes "$child")', the parent '$m1'"
self_check "$pid" "$w"
s0=$(check_value s_rounds)
f0=$(check_value f_rounds)
wait_for 20 "ping-pong after the restore" rounds_beyond $((s0 + 20)) $((f0 + 20)) ||
	fail "the processes do not see each other's writes after the restore: $CHECK_LINE"
kill_tree "$pid" "$child"
assert_no_strays
