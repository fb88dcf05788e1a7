#!/bin/bash
# 04-restore-exit-status.sh - restore without --detach: ckpt waits for the
# restored process and exits with its status. The target exits 42 on SIGTERM.
# Also checks --pidfile.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
make_image "$w" "$T/images" 8
pid=$IMG_PID
log "+ ckpt restore --images $T/images --pidfile $T/pidfile (background)"
"$CKPT" restore --images "$T/images" --pidfile "$T/pidfile" </dev/null >"$T/r.out" 2>"$T/r.err" &
ckpt_pid=$!
track_pid "$ckpt_pid"

pidfile_or_dead() { [[ $(cat "$T/pidfile" 2>/dev/null) == "$pid" ]] || is_dead "$ckpt_pid"; }
wait_for 30 "the pidfile" pidfile_or_dead || fail "no pidfile $T/pidfile with $pid in it (has '$(cat "$T/pidfile" 2>/dev/null)')"
if is_dead "$ckpt_pid"; then
	wait "$ckpt_pid"
	fail "ckpt restore ended (exit $?) before the process did: $(head -c 300 "$T/r.err")"
fi
track_pid "$pid"
self_check "$pid" "$w"
kill -TERM "$pid"
wait_for 20 "ckpt restore to exit" is_dead "$ckpt_pid" ||
	fail "ckpt restore still running after the restored process got SIGTERM ($(describe_pid "$pid"))"
wait "$ckpt_pid"
rc=$?
sed 's/^/  restore stderr: /' "$T/r.err" >&2
has_line "$w/out" '^EXIT 42$' || fail "the restored target did not exit by itself"
((rc == 42)) || fail "ckpt restore exited $rc, want 42 (the restored process's status): $(head -c 300 "$T/r.err")"
assert_no_strays
