#!/bin/bash
# 65-incremental-chain.sh - a chain of incremental dumps: a pre-dump, nine
# pre-dumps each on the one before, a final dump on the tenth (it kills the
# target). Between two, the target (65-dirty) rewrites a known tenth of its
# pages, zeroes some, drops one (MADV_DONTNEED), maps a new region. Each
# increment stores far less than the first; the final dump ends the
# tracking (its keeper is gone); the restore from the last image set reads
# the unchanged pages through the chain, and the target checks every page.
# Bad input: a restore with a parent missing, a restore of a pre-dump, and
# a dump on a parent that is not the last dump fail with one clear line,
# touching nothing.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
start_target "$w" 65-dirty 32
pid=$TARGET_PID
self_check "$pid" "$w"

keeper_up() { grep -q " /run/ckpt/ckpt-track-$1-" /proc/net/unix; }
keeper_gone() { ! keeper_up "$1"; }
pages_size() { stat -c %s "$1/pages-$pid.img"; }

ck_ok pre-dump --pid "$pid" --images "$T/d1"
keeper_up "$pid" || fail "no page tracker after the pre-dump"
base=$(pages_size "$T/d1")
for k in 2 3 4 5 6 7 8 9 10; do
	send_usr1 "$pid" "$w" $((k - 1))
	ck_ok pre-dump --pid "$pid" --images "$T/d$k" --parent "$T/d$((k - 1))"
	size=$(pages_size "$T/d$k")
	log "pre-dump $k: $size bytes of pages (the first: $base)"
	((size * 4 < base)) || fail "pre-dump $k stored $size bytes of pages, not much less than $base"
done
send_usr1 "$pid" "$w" 10
self_check "$pid" "$w"
[[ $(check_value epochs) == 10 ]] || fail "epochs=$(check_value epochs) before the dump"
ck_ok dump --pid "$pid" --images "$T/d11" --parent "$T/d10"
reap "$pid"
wait_gone "$pid"
wait_for 10 "the page tracker to stop" keeper_gone "$pid" || fail "the page tracker outlived the final dump"

# Broken chains must fail cleanly before anything is created.
# (Away from d11's siblings: a parent is also found among them by its id.)
mkdir "$T/away"
mv "$T/d5" "$T/away/d5"
expect_restore_fail "$T/d11" "$pid" "with a parent missing"
grep -q "d5" "$CK_ERR" || fail "the error does not name the missing parent: $(ck_err_line)"
mv "$T/away/d5" "$T/d5"
expect_restore_fail "$T/d3" "$pid" "of a pre-dump"

restore_detached "$T/d11" "$pid"
self_check "$pid" "$w"
[[ $(check_value epochs) == 10 ]] || fail "epochs=$(check_value epochs) after the restore"
send_usr1 "$pid" "$w" 11
self_check "$pid" "$w"

# A new chain on the restored process; a dump on a parent that is not its
# last dump is refused and leaves the process running.
ck_ok pre-dump --pid "$pid" --images "$T/e1"
ck_ok pre-dump --pid "$pid" --images "$T/e2" --parent "$T/e1"
mkdir "$T/f"
ck_fails "dump on a parent that is not the last" dump --pid "$pid" --images "$T/f/x" --parent "$T/e1"
assert_dump_left_nothing "$T/f"
assert_not_traced "$pid"
self_check "$pid" "$w"
kill_restored "$pid"
wait_for 10 "the page tracker to go with its process" keeper_gone "$pid" ||
	fail "the page tracker outlived its process"
assert_no_strays
