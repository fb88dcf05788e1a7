#!/bin/bash
# 69-thp.sh - transparent huge pages kept (69-thp): a region advised
# MADV_HUGEPAGE and one collapsed without the advice both come back in huge
# pages, with their data, and the second still without the advice. Skipped
# when this machine gives the target no huge pages to begin with.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

thp=/sys/kernel/mm/transparent_hugepage/enabled
if [[ ! -r $thp ]] || grep -q '\[never\]' "$thp"; then
	skip "transparent huge pages are off"
fi
w=$T/w
start_target "$w" 69-thp
pid=$TARGET_PID
self_check "$pid" "$w"
(($(check_value thp_a) > 0 && $(check_value thp_b) > 0)) ||
	skip "no huge pages for the target (thp_a=$(check_value thp_a) thp_b=$(check_value thp_b))"
[[ $(check_value hg_b) == 0 ]] || fail "region B is advised MADV_HUGEPAGE before the dump"
dump_and_reap "$pid" "$T/images"
restore_detached "$T/images" "$pid"
self_check "$pid" "$w"
(($(check_value thp_a) > 0)) || fail "the advised region came back without huge pages"
(($(check_value thp_b) > 0)) || fail "the collapsed region came back without huge pages"
[[ $(check_value hg_a) == 1 && $(check_value hg_b) == 0 ]] ||
	fail "the advice changed: hg_a=$(check_value hg_a) hg_b=$(check_value hg_b)"
kill_restored "$pid"
assert_no_strays
