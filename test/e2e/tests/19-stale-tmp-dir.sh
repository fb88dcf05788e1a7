#!/bin/bash
# 19-stale-tmp-dir.sh - ckpt killed outright (SIGKILL) during a dump
# --leave-running of a busy process: the process runs on as it was, not
# traced (no PTRACE_O_EXITKILL), and the temporary directory the killed
# ckpt leaves is removed by the next dump into the same parent, which
# leaves alone the directory of a ckpt that still runs.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/robust.sh
. "$(dirname "$0")/../robust.sh"
e2e_init

w=$T/w
start_target "$w" 67-busy 256
pid=$TARGET_PID
self_check "$pid" "$w"

bg_ck dump --pid "$pid" --images "$T/d" --leave-running
at=$(random_bytes 256)
wait_for 60 "the dump to write $at bytes" bg_reached "$T" d "$at" || fail "the dump made no progress"
kill -0 "$BG_PID" 2>/dev/null || fail "the dump ended before it could be killed"
kill -9 "$BG_PID"
bg_wait
((BG_RC == 137)) || fail "ckpt exit $BG_RC after SIGKILL"
busy_fine "$pid" "$w"
stale=$(tmp_dir_of "$T" d) || fail "the killed dump left no temporary directory (nothing to test)"
log "left by the killed ckpt: $stale"

# One of a ckpt that runs: this shell, as a ckpt would name it.
live=$T/.d.ckpt-$$-$(proc_starttime $$)-0123abcd
mkdir -m 0700 "$live"

ck_ok dump --pid "$pid" --images "$T/d" --leave-running
[[ -e $stale ]] && fail "the next dump did not remove '$stale'"
[[ -d $live ]] || fail "the next dump removed '$live', the directory of a live ckpt"
[[ -f $T/d/inventory.img ]] || fail "the new dump is not there"
busy_fine "$pid" "$w"
