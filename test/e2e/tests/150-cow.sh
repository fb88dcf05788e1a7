#!/bin/bash
# 150-cow.sh - memory shared copy-on-write between a parent and its
# children stays shared across a restore (150-cow: a root that filled
# 64 MiB, four workers and a grandchild that each wrote 16 pages of it).
#
# Memory use is measured as the kernel counts it, from
# /proc/PID/smaps_rollup of every process of the tree: the sum of Pss
# (each page divided among the processes that map it: what the tree
# costs) must not grow across the restore by more than a tenth (a page
# copied for each process would make it about six times larger). Rss
# counts a shared page once per process, so it cannot tell; it is logged.
# Every process checks every word of its memory (the large region, and a
# small one the root filled after the forks that the others must see as
# zeros); the page images hold the large region about once, not once a
# process. Before, a dump --leave-running and a pre-dump leave the
# running tree's memory shared (first round: incremental on that
# pre-dump). The restored tree is dumped (compressed, --free-memory) and
# restored a second time: the pages it shares are found again. Last,
# hostile page maps that take pages from a parent where none can give
# them are refused.
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

MIB=64
w=$T/w

# tree_mem FIELD PID...: the sum of FIELD (kB) over the processes.
tree_mem() {
	local field=$1 p sum=0 v
	shift
	for p in "$@"; do
		v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$p/smaps_rollup") ||
			fail "cannot read the memory of $p"
		[[ -n $v ]] || fail "no $field in /proc/$p/smaps_rollup"
		sum=$((sum + v))
	done
	printf '%s\n' "$sum"
}

# pages_bytes DIR: the size of the page images of a set.
pages_bytes() {
	local f sum=0
	for f in "$1"/pages-*.img; do
		sum=$((sum + $(stat -c %s "$f")))
	done
	printf '%s\n' "$sum"
}

start_target "$w" 150-cow "$MIB"
root=$TARGET_PID
line=$(grep -E '^TREE ' "$w/out" | tail -n 1)
[[ -n $line ]] || fail "no TREE line from the target"
read -ra PIDS < <(printf '%s\n' "${line#TREE }" | tr ' ' '\n' | sed 's/^.*=//' | tr '\n' ' ')
((${#PIDS[@]} == 6)) || fail "TREE line '$line': want six pids"
track_pids "${PIDS[@]}"
self_check "$root" "$w"
ids0=$(tree_snapshot "$root")

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

# iget DIR FILE PATH: one value of an image.
iget() { "$IMGEDIT" "$@" | sed 's/^[^=]*=//'; }

# Hostile page maps (imgedit, checksums fixed): pages "from the parent
# process" where there is none to give them are refused at restore, with
# one line, nothing left behind, the images untouched.
hostile() { # IMAGES
	local bad=$T/bad child=${PIDS[2]} total n run vaddr k
	# The root's pages said to come from a parent: the root has none
	# in the tree.
	rm -rf -- "$bad"
	cp -a -- "$1" "$bad"
	total=$(iget "$bad" "pagemap-$root.img" nr_pages)
	# Its longest run: in the large region.
	read -r run n < <("$IMGEDIT" "$bad" "pagemap-$root.img" |
		awk -F'[][=]' '/^runs\[[0-9]+\]\.nr_pages=/ { print $2, $4 }' | sort -k2,2n | tail -n 1)
	"$IMGEDIT" "$bad" "pagemap-$root.img" "runs[$run].where=2" "nr_pages=$((total - n))" ||
		fail "imgedit failed"
	expect_restore_fail "$bad" "$root" "with the root's pages from a parent"
	grep -q "from a parent process that does not create it" "$CK_ERR" ||
		fail "not refused for its pages from a parent: $(ck_err_line)"
	# A worker's pages from the root, where the root's memory is not the
	# same VMA (made to grow down).
	rm -rf -- "$bad"
	cp -a -- "$1" "$bad"
	run=$("$IMGEDIT" "$bad" "pagemap-$child.img" | awk -F'[][]' '/\.where=2$/ { print $2 }' | head -n 1)
	[[ -n $run ]] || fail "no page of worker $child from its parent in the images"
	vaddr=$(iget "$bad" "pagemap-$child.img" "runs[$run].vaddr")
	k=$("$IMGEDIT" "$bad" "mm-$root.img" | awk -F'[][=]' -v a="$vaddr" '
		/^vmas\[[0-9]+\]\.start=/ { s[$2] = $4 }
		/^vmas\[[0-9]+\]\.end=/ { if (s[$2] <= a && a < $4) print $2 }')
	[[ -n $k ]] || fail "no VMA of the root at $vaddr"
	"$IMGEDIT" "$bad" "mm-$root.img" \
		"vmas[$k].vmflags=$(($(iget "$bad" "mm-$root.img" "vmas[$k].vmflags") | 1))" ||
		fail "imgedit failed"
	expect_restore_fail "$bad" "$root" "with a worker's pages from a VMA its parent has not"
	grep -q "where the parent has no such memory" "$CK_ERR" ||
		fail "not refused for its pages from a parent: $(ck_err_line)"
	rm -rf -- "$bad"
}

round() { # N DUMP-OPTIONS...
	local img=$T/images$1 pss0 rss0 pss1 rss1 bytes n=$1
	shift
	pss0=$(tree_mem Pss "${PIDS[@]}")
	rss0=$(tree_mem Rss "${PIDS[@]}")
	log "round $n before the dump: Pss $pss0 kB, Rss $rss0 kB in ${#PIDS[@]} processes"
	((pss0 > MIB * 1024)) || fail "the tree holds Pss $pss0 kB, less than the $MIB MiB it filled"
	if ((n == 1)); then
		# On the pre-dump below (incremental): still our child.
		mapfile -t TREE_PIDS < <(tree_pids "$root")
		ck_ok dump --pid "$root" --images "$img" "$@"
		reap "$root"
		wait_tree_gone "${TREE_PIDS[@]}"
	else
		# Restored: not our child.
		ck_ok dump --pid "$root" --images "$img" "$@"
		wait_tree_gone "${PIDS[@]}"
	fi
	bytes=$(pages_bytes "$img")
	log "round $n: page images of $bytes bytes"
	restore_tree "$img" "$root"
	assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$(tree_snapshot "$root")"
	self_check "$root" "$w"
	[[ $(check_value pages) == $((MIB * 256)) ]] || fail "pages=$(check_value pages)"
	pss1=$(tree_mem Pss "${PIDS[@]}")
	rss1=$(tree_mem Rss "${PIDS[@]}")
	log "round $n after the restore: Pss $pss1 kB, Rss $rss1 kB"
	((pss1 <= pss0 + pss0 / 10)) ||
		fail "round $n: the tree's memory grew across the restore: Pss $pss0 kB before, $pss1 kB after (Rss $rss0, $rss1 kB)"
	((bytes < MIB * 1024 * 1024 * 3 / 2)) ||
		fail "the page images hold $bytes bytes for $MIB MiB shared by six processes"
	printf 'round %s: Pss %s -> %s kB, Rss %s -> %s kB, page images %s bytes\n' \
		"$n" "$pss0" "$pss1" "$rss0" "$rss1" "$bytes" >&2
}

# The tree runs on after a dump --leave-running and a pre-dump: reading
# its pages must not break their sharing (the kernel unshares a page it
# pins for process_vm_readv).
live() { # WHAT DUMP-ARGS...
	local pss0 pss1 what=$1
	shift
	pss0=$(tree_mem Pss "${PIDS[@]}")
	ck_ok "$@"
	self_check "$root" "$w"
	pss1=$(tree_mem Pss "${PIDS[@]}")
	log "$what: Pss $pss0 kB before, $pss1 kB after"
	((pss1 <= pss0 + pss0 / 10)) ||
		fail "the running tree's memory grew with a $what: Pss $pss0 kB before, $pss1 kB after"
}
live "dump --leave-running" dump --leave-running --pid "$root" --images "$T/running"
live "pre-dump" pre-dump --pid "$root" --images "$T/pre"

# Incremental on the pre-dump: pages not written since are in its images.
round 1 --parent "$T/pre"
# Compressed images, memory freed as it is stored: the pages still shared
# are scanned before any is freed.
round 2 --compress --free-memory
kill_tree "${PIDS[@]}"
hostile "$T/images2"
assert_no_strays
