#!/bin/bash
# 36-shared-mem.sh - memory reached more than one way (36-shared-mem): a
# memfd mapped shared twice and written through each mapping and its fd,
# shared anonymous memory written through its mapping and through an fd
# of it, a private mapping of a memfd whose file changes under the pages
# it did not copy, a memfd mapped both shared and private, adjacent
# private anonymous mappings with holes and protections, pieces of one file
# mapped privately side by side (contiguous offsets and not) next to
# anonymous memory, memory grown by mremap and split and merged by
# mprotect. Dump (kills), restore: every byte reads as written, through
# every way in, and the two ways in to M and S are still one object (the
# target checks each write through one in the other every iteration).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 36-shared-mem
pid=$TARGET_PID
self_check "$pid" "$w"
dump_and_reap "$pid" "$T/images"
seq_verify "$w/seq"
n=$SEQ_N
restore_detached "$T/images" "$pid"
self_check "$pid" "$w"
wait_seq_beyond "$w/seq" $((n + 30))
self_check "$pid" "$w"
kill_restored "$pid"
assert_no_strays
