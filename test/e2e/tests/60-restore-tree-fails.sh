#!/bin/bash
# 60-restore-tree-fails.sh - a tree (53-fork-ring: five processes, pipes,
# shared memory) whose images are damaged for one process other than the
# root, so that the restore fails once the whole tree has been created:
# the corrupted page image of a grandchild, then its missing core image.
# Each failure must be one clear line, leave none of the five PIDs behind
# and no stray process, and not touch the images; the intact images then
# restore and pass the self-check.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 53-fork-ring
root=$TARGET_PID
IFS=, read -ra RING < <(sed -n 's/^RING pids=//p' "$w/out")
((${#RING[@]} == 5)) || fail "no RING line with five pids"
track_pids "${RING[@]}"
self_check "$root" "$w"
dump_tree "$root" "$img"
grandchild=${RING[2]}
[[ $(one_file "$img" "pages-$grandchild.img") ]] || fail "no page image of $grandchild"

# restore_fails DIR WHAT: the restore of DIR fails cleanly (see above).
restore_fails() {
	local d0 p
	d0=$(image_digest "$1")
	ck restore --images "$1" --detach
	for p in "${RING[@]}"; do [[ -e /proc/$p ]] && track_pid "$p"; done
	ck_assert_failed "restore $2"
	wait_tree_gone "${RING[@]}"
	[[ $(image_digest "$1") == "$d0" ]] || fail "restore $2: the failed restore changed the images"
	assert_no_strays
}

bad=$T/bad-pages
cp -a "$img" "$bad"
f=$bad/pages-$grandchild.img
flip_byte "$f" $(($(stat -c %s "$f") - 100))
restore_fails "$bad" "with the pages of $grandchild corrupted"
grep -q "pages-$grandchild.img" "$CK_ERR" || fail "the error does not name the image: $(ck_err_line)"

bad=$T/bad-core
cp -a "$img" "$bad"
rm -- "$bad/core-$grandchild.img"
restore_fails "$bad" "without the core image of $grandchild"

restore_tree "$img" "$root"
self_check "$root" "$w"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
