#!/bin/bash
# 331-migrate-live.sh - `ckpt-migrate --live` of a job that keeps writing
# its memory (target 330-migrate: 128 MiB, 5% of its pages rewritten per
# second, two children): pre-dump rounds streamed to b while it runs
# (ckpt receive keeps the chain there), then the final incremental dump
# and the restore on b. On b the job's own check of every page (each page
# holds its number and its generation, the generations in its memory too)
# passes, it goes on writing, its PIDs and seq file go on; it is gone from
# a; the chain on b and the meta data on a are removed; the frozen time
# and the bytes sent are printed (not judged: see make bench). The chain
# is kept on b in --images-on-dest /tmp/chain-of-331, removed after.
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/machines.sh
. "$E2E_DIR/machines.sh"
e2e_init
machines_up

migrate_job mib=128 pct=5 kids=2
wr0=$(check_value writes)
((wr0 > 0)) || fail "the job wrote no page yet"

migrate_ok --pid "$inner" --to "root@${MACH_ADDR[b]}" --live -v --images-on-dest /tmp/chain-of-331
rounds=$(grep -c '^ckpt-migrate: pre-dump [0-9]*: ' "$CK_ERR") || true
((rounds >= 2)) || fail "$rounds pre-dump rounds, want at least 2 (the second one smaller)"
grep -q "^bytes sent: $MIG_BYTES ($rounds pre-dump rounds" "$CK_OUT" ||
	fail "the bytes line does not count $rounds rounds: $(grep '^bytes' "$CK_OUT")"
((MIG_BYTES >= 128 * 1024 * 1024)) || fail "bytes sent $MIG_BYTES, less than the job's 128 MiB"
((MIG_NEW == inner)) || fail "the job runs on b as $MIG_NEW, it was $inner"

for k in $inner ${kidlist//,/ }; do gone_from a "$k"; done
job_on b "$inner"
seq_verify "$w/seq"
n0=$SEQ_N
self_check "$JOB_PID" "$w"
wr1=$(check_value writes)
((wr1 > wr0)) || fail "writes=$wr1 on b, $wr0 before the migration"
[[ $(check_value usr1) == 1 ]] || fail "usr1=$(check_value usr1) on b, want 1"
send_usr1 "$JOB_PID" "$w" 2
wait_seq_beyond "$w/seq" $((n0 + 50))
# It goes on writing, and every page still holds what it should.
self_check "$JOB_PID" "$w"
(($(check_value writes) > wr1)) || fail "the job on b stopped writing (writes=$(check_value writes))"

assert_tmp_empty a
assert_tmp_empty b
log "live migration: $rounds rounds, frozen $MIG_FROZEN_MS ms, $MIG_BYTES bytes"
