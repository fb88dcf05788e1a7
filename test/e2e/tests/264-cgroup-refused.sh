#!/bin/bash
# 264-cgroup-refused.sh - a dump refuses, with one line naming the tree's
# root and the controller, a tree that owns a cgroup of a controller ckpt
# does not save: net_cls, mounted by the test as a v1 hierarchy of its
# own (its classid would be lost). The tree runs on untouched: not
# traced, its sequence goes on, SIGUSR1 and its self-check answered, and
# nothing of an image set is left. A tree in that hierarchy's root cgroup
# (not its own) is dumped and restored.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/cgroup.sh
. "$(dirname "$0")/../cgroup.sh"
e2e_init

NC=$T/net_cls
# (Refused when net_cls is mounted already with other controllers.)
cg_mount_v1 net_cls "$NC" || skip "cannot mount a v1 net_cls hierarchy of its own"
N=$CG_NAME

# In the root cgroup of that hierarchy: not its own, nothing to refuse.
cg_tree_start
self_check "$ROOT" "$w"
dump_tree "$ROOT" "$T/img0"
restore_tree "$T/img0" "$ROOT"
self_check "$ROOT" "$w"
kill_tree "${TREE_PIDS[@]}"

cg_mkdir "$NC/$N"
echo 0x100001 >"$NC/$N/net_cls.classid"
rm -f "$w/out" "$w/seq"
cg_tree_start
cg_join "$NC/$N" "$ROOT" "$A" "$B"
self_check "$ROOT" "$w"
mkdir "$T/dumps"
ck dump --pid "$ROOT" --images "$T/dumps/img"
ck_assert_failed "dump of a tree owning a net_cls cgroup"
grep -qE "^ckpt: cannot dump $ROOT: cgroup '/$N' has controller 'net_cls', which ckpt does not save$" "$CK_ERR" ||
	fail "the refusal does not name the root and net_cls: $(ck_err_line)"
assert_dump_left_nothing "$T/dumps"
for p in "$ROOT" "$A" "$B"; do assert_not_traced "$p"; done
assert_still_fine "$ROOT" "$w" 0
assert_no_strays "$ROOT" "$A" "$B"
