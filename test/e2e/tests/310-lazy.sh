#!/bin/bash
# 310-lazy.sh - restore --lazy: 256 MiB of patterned memory (310-lazy, four
# threads) dumped, then restored lazily.
#  1. The fault build without its background copy (CKPT_FAULT=lazy_background):
#     the process runs with almost none of its pages in (its own mincore),
#     a page daemon serves the image set, in a session of its own, not of the
#     tree; four threads and a child forked at once then read every page
#     right (faults served, the child's through the userfaultfd of the fork
#     event). The daemon ends with the process.
#  2. The same, but the process first drops (MADV_DONTNEED), unmaps and maps
#     again, and moves (mremap) ranges whose pages are not in yet: zeros
#     where it dropped or mapped anew, its pages where it moved them.
#  3. The normal binary: the daemon copies everything in the background and
#     exits by itself while the process runs on; then every page is resident
#     and right, and the process has the fds and mappings it had at the dump.
#  4. A lazy restore failed at each of its steps leaves no process and no
#     daemon.
# e2e-timeout: 240
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/lazy.sh
. "$E2E_DIR/lazy.sh"
e2e_init

lazy_fault_build

kill_daemons() {
	local d
	while d=$(lazy_daemon "$T/img"); do kill -9 "$d" 2>/dev/null || break; done
}
CLEANUP_HOOKS+=(kill_daemons)

MIB=256
w=$T/w
start_target "$w" 310-lazy "$MIB" 4
pid=$TARGET_PID
pages=$((MIB * 256))
dump_and_reap "$pid" "$T/img"

# What a plain restore gives: the lazy one must give the same.
view() { cat "/proc/$pid/maps"; ls "/proc/$pid/fd"; }
restore_detached "$T/img" "$pid"
view >"$T/view.plain"
kill_restored "$pid"

lazy_restore_held() {
	wait_gone "$pid"
	ck_cmd env CKPT_FAULT=lazy_background "$FCKPT" restore --images "$T/img" --detach --lazy
	((CK_RC == 0)) || fail "restore --lazy failed (exit $CK_RC): $(ck_err_line)"
	track_pid "$pid"
	daemon=$(lazy_daemon "$T/img") || fail "no page daemon serves $T/img after restore --lazy"
	track_pid "$daemon"
	log "page daemon: $(describe_pid "$daemon")"
	[[ $(proc_stat_field "$daemon" 6) != "$(proc_stat_field "$pid" 6)" ]] ||
		fail "the page daemon is in the session of the restored process"
	[[ $(proc_stat_field "$daemon" 4) != "$pid" ]] || fail "the page daemon is a child of the tree"
}

# 1. Faults only.
lazy_restore_held
self_check "$pid" "$w" 120
res=$(check_value resident)
log "resident before the check: $res of $pages pages"
((res < pages / 4)) || fail "$res of $pages pages were in before the process touched them"
[[ -e /proc/$daemon ]] || fail "the page daemon left while pages were missing"
kill_restored "$pid"
wait_for 10 "the page daemon to leave with its process" no_daemon "$T/img" ||
	fail "the page daemon stays after its process is gone: $(describe_pid "$daemon")"

# 2. Ranges not in yet dropped, replaced and moved.
lazy_restore_held
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w" 120
[[ $(check_value changed) == 1 ]] || fail "the target did not change its mappings"
kill_restored "$pid"
wait_for 10 "the page daemon to leave with its process" no_daemon "$T/img" ||
	fail "the page daemon stays after its process is gone"

# 3. The background copy. The process has the mappings and fds of a plain
# restore while its pages come in (none of the daemon's) and after.
restore_detached "$T/img" "$pid" --lazy
view >"$T/view.lazy"
diff "$T/view.plain" "$T/view.lazy" >&2 || fail "the lazy restore gives another view than a plain one"
grep -q "^TracerPid:[[:space:]]*0$" "/proc/$pid/status" || fail "the restored process is traced"
wait_for 60 "the page daemon to finish" no_daemon "$T/img" ||
	fail "the page daemon did not finish: $(describe_pid "$(lazy_daemon "$T/img")")"
[[ -e /proc/$pid ]] || fail "the process died while its pages came in"
view >"$T/view.lazy"
diff "$T/view.plain" "$T/view.lazy" >&2 || fail "once every page is in, the view is not a plain restore's"
self_check "$pid" "$w" 120
[[ $(check_value resident) == "$pages" ]] ||
	fail "$(check_value resident) of $pages pages resident once the daemon is done"
kill_restored "$pid"

# 4. Failures.
for site in lazy_daemon lazy_uffd lazy_register lazy_hand_over; do
	wait_gone "$pid"
	ck_cmd env CKPT_FAULT="$site" "$FCKPT" restore --images "$T/img" --detach --lazy
	[[ -e /proc/$pid ]] && track_pid "$pid"
	ck_assert_failed "restore --lazy with a fault at $site"
	wait_for 10 "PID $pid to be free after a fault at $site" is_gone "$pid" ||
		fail "a fault at $site left $(describe_pid "$pid")"
	wait_for 10 "no page daemon after a fault at $site" no_daemon "$T/img" ||
		fail "a fault at $site left the page daemon"
done
assert_no_strays
