#!/bin/bash
# 312-lazy-chain.sh - restore --lazy of an incremental chain (65-dirty, 64
# MiB): pre-dump, pre-dump --parent, dump --parent, each after the target
# rewrote a tenth of its pages, zeroed some and dropped one. Held by the
# fault build (no background copy), the page daemon reads the pages of
# every level it needs (it holds the page images of the first and the last
# image set open) and the target's own check of every page passes; the
# normal binary then restores the chain lazily to the end. A chain whose
# first level is compressed (no page at a known offset) is restored with
# its memory in place, as without --lazy, and passes too.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/lazy.sh
. "$E2E_DIR/lazy.sh"
e2e_init

lazy_fault_build

# daemon_files PID: the page images the daemon PID holds open.
daemon_files() {
	local fd
	for fd in /proc/"$1"/fd/*; do readlink "$fd"; done | grep 'pages-.*\.img$' | sort
}

chain() { # WORKDIR PREFIX [first pre-dump's options]
	local w=$1 c=$2
	shift 2
	start_target "$w" 65-dirty 64
	pid=$TARGET_PID
	ck_ok pre-dump --pid "$pid" --images "$c.1" "$@"
	send_usr1 "$pid" "$w" 1
	ck_ok pre-dump --pid "$pid" --images "$c.2" --parent "$c.1"
	send_usr1 "$pid" "$w" 2
	ck_ok dump --pid "$pid" --images "$c.3" --parent "$c.2"
	reap "$pid"
	wait_gone "$pid"
}

w=$T/w
chain "$w" "$T/c"
ck_cmd env CKPT_FAULT=lazy_background "$FCKPT" restore --images "$T/c.3" --detach --lazy
((CK_RC == 0)) || fail "restore --lazy of the chain failed (exit $CK_RC): $(ck_err_line)"
track_pid "$pid"
daemon=$(lazy_daemon "$T/c.3") || fail "no page daemon serves the chain"
track_pid "$daemon"
daemon_files "$daemon" >"$T/files"
grep -q "^$T/c.1/" "$T/files" || fail "the daemon reads nothing from the first pre-dump: $(cat "$T/files")"
self_check "$pid" "$w" 120
[[ $(check_value epochs) == 2 ]] || fail "epochs=$(check_value epochs) after the restore"
kill_restored "$pid"
wait_for 10 "the daemon to leave with its process" no_daemon "$T/c.3" || fail "the daemon stays"

restore_detached "$T/c.3" "$pid" --lazy
wait_for 60 "the daemon to finish" no_daemon "$T/c.3" || fail "the daemon does not finish"
self_check "$pid" "$w" 120
kill_restored "$pid"

# The first level compressed: in place at restore.
w=$T/w2
chain "$w" "$T/z" --compress
restore_detached "$T/z.3" "$pid" --lazy
no_daemon "$T/z.3" || fail "a page daemon serves compressed images"
self_check "$pid" "$w" 120
[[ $(check_value epochs) == 2 ]] || fail "epochs=$(check_value epochs) after the restore"
kill_restored "$pid"
assert_no_strays
