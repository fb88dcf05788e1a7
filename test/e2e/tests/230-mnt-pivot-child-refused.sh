#!/bin/bash
# 230-mnt-pivot-child-refused.sh - the container of `unshare --mount --pid
# --fork`, whose child (not unshare, which owns the mount namespace)
# pivot_roots into a tmpfs: the pivot moves unshare's root too, and
# unshare's own program, libraries and working directory are on the
# host's root, left outside the namespace's new root. A restore would look
# for them under that root: the dump refuses it up front, with one line
# naming unshare and its file, exit 1; nothing is left where the images
# were to go, and the container runs on untouched (not traced nor
# stopped, its sequence going on without a gap, its self-check fine).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
w=$T/w
d=$T/d
r=$T/r
mkdir -p "$w" "$d" "$r"
# shellcheck disable=SC2016
setup='set -e
r=$1
mount -t tmpfs -o size=16m ck230 "$r"
mkdir "$r/old" "$r/w"
cp "$2" "$r/t"
exec "$r/t" "$r" /w'
spawn "$w" unshare --mount --pid --fork --propagation private sh -c "$setup" sh "$r" \
	"$E2E_TARGETS/222-pivot-static"
root=$TARGET_PID
# The target is the init of its pid namespace: READY pid=1.
wait_for 20 "READY from the target" has_line "$w/out" '^(READY|FATAL)' || fail "no READY"
has_line "$w/out" '^READY pid=1$' || fail "the target is not pid 1: $(head -c 200 "$w/out")"
pid=$(cat "/proc/$root/task/$root/children")
pid=${pid%% *}
[[ -n $pid ]] || fail "unshare has no child"
[[ $(readlink "/proc/$pid/exe") == /t ]] || fail "the program is $(readlink "/proc/$pid/exe"), not /t of its root"
[[ $(readlink "/proc/$root/ns/mnt") == "$(readlink "/proc/$pid/ns/mnt")" ]] ||
	fail "unshare and its child are not in one mount namespace"
ln -s "/proc/$pid/root/w/seq" "$w/seq" # its sequence, inside its root
self_check "$pid" "$w"
mapfile -t TREE_PIDS < <(tree_pids "$root")
track_pids "${TREE_PIDS[@]}"
ck_fails "a dump of unshare whose child pivoted" dump --pid "$root" --images "$d/images"
grep -q "^ckpt: cannot dump: process $root ('unshare') holds .* on a mount outside the root of its mount namespace, which a pivot_root changed: .*(not supported)\$" "$CK_ERR" ||
	fail "not the refusal wanted: $(ck_err_line)"
assert_dump_left_nothing "$d"
assert_not_traced "$root"
[[ $(proc_state "$root") == S ]] || fail "unshare is in state $(proc_state "$root") after the failed dump"
assert_still_fine "$pid" "$w" 0
[[ $(readlink "/proc/$pid/exe") == /t ]] || fail "after the failed dump the program is $(readlink "/proc/$pid/exe")"
kill_tree "$root" "$pid"
[[ -z $(ls -A "$r") ]] || fail "the container's root shows on the host in $r"
assert_no_strays
