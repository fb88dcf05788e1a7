#!/bin/bash
# 342-suspend-user.sh - node maintenance by user: ckpt-suspend --user of a
# user running a packaged daemon (Debian's memcached, started by root with
# -u USER: it drops to the user itself, four threads) and a job of its own
# (01-basic), beside a job of root's that must be left alone. Not on a
# terminal, ckpt-suspend prints its summary only (2 jobs dumped, 0
# failed); root's job runs on untouched. ckpt-resume brings both back,
# each in a session of its own: memcached runs as the user again with its
# threads, the keys stored before (one of 100 KiB, one with flags) come
# back over the connection kept open across the suspend and over a new
# one; the user's 01-basic checks itself and counts on. ckpt-suspend
# --user root is refused with one line, nothing touched.
#
# The user is made for the test (a name of its own per run), not Debian's
# memcache: a memcached of the system, or of another test running beside
# this one, would be that user's job too, and ckpt-suspend --user takes
# every process of the user.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
# shellcheck source=test/e2e/suspend.sh
. "$E2E_DIR/suspend.sh"
e2e_init
export LC_ALL=C # the protocol counts bytes

suspend_scripts
command -v memcached >/dev/null || skip "memcached is not installed"
command -v useradd >/dev/null || skip "no useradd"

user=ckmc$$
user_cleanup() {
	pkill -KILL -U "$user" 2>/dev/null
	wait_for 10 "processes of $user to end" user_gone || true
	userdel "$user" 2>/dev/null
}
user_gone() { ! pgrep -U "$user" >/dev/null; }
CLEANUP_HOOKS+=(user_cleanup)
useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "$user" ||
	fail "useradd $user failed"
uid=$(id -u "$user") gid=$(id -g "$user")
log "user $user uid $uid"

ids_of() { awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"; }

# The daemon, as its package starts it (root, dropping to its user).
wm=$T/mc
mkdir -p "$wm"
port=$(free_port)
spawn "$wm" memcached -u "$user" -t 4 -l 127.0.0.1 -p "$port" -U 0 -m 64 -c 64
mc=$TARGET_PID
wait_for 20 "memcached to listen on port $port" listening "$port" ||
	fail "memcached does not listen: $(tail -n 3 "$wm/err")"
[[ $(ids_of "$mc") == "$uid $uid $uid $uid" ]] || fail "memcached runs as $(ids_of "$mc"), want $uid"

# A job of the user's own, and one of root's.
chmod 0755 "$T"
wu=$T/wu wr=$T/wr
mkdir -m 0755 "$wu" && chown "$uid:$gid" "$wu"
spawn "$wu" setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$E2E_TARGETS/01-basic" "$wu" 4
job=$TARGET_PID
wait_ready "$job" "$wu"
send_usr1 "$job" "$wu" 1
self_check "$job" "$wu"
start_target "$wr" 01-basic 4
rootjob=$TARGET_PID
send_usr1 "$rootjob" "$wr" 1

c=''
tcp_open c 127.0.0.1 "$port"
big=$(head -c 75000 /dev/urandom | base64 -w 0)
mc_set "$c" greeting 0 hello
mc_set "$c" flagged 4242 "with flags"
mc_set "$c" big 7 "$big"
threads0=$(thread_snapshot "$mc")

img=$T/suspend
# root is never a user to suspend: every daemon of the system is root's.
run_script "$T/root.out" "$SCRIPTS/ckpt-suspend" --images "$img" --user root {c}>&-
((RUN_RC == 1)) || fail "ckpt-suspend --user root exited $RUN_RC, want 1"
[[ $(wc -l <"$T/root.out.err") == 1 && ! -s $T/root.out ]] || fail "ckpt-suspend --user root: not one line on stderr"
grep -q "^ckpt-suspend: cannot suspend user 'root': it is root" "$T/root.out.err" || fail "ckpt-suspend --user root: $(head -n 1 "$T/root.out.err")"
[[ -e $img ]] && fail "ckpt-suspend --user root made $img"
assert_still_fine "$rootjob" "$wr" 1

run_script "$T/sus.out" "$SCRIPTS/ckpt-suspend" --images "$img" --user "$user" {c}>&-
((RUN_RC == 0)) || fail "ckpt-suspend --user exited $RUN_RC"
grep -qE "^ckpt-suspend: user $user \(uid $uid\): 2 jobs dumped, 0 failed, [0-9.]+ [KMG]?i?B in [0-9.]+ s into $img\$" "$T/sus.out" ||
	fail "no summary of 2 jobs dumped"
(($(wc -l <"$T/sus.out") == 1)) || fail "ckpt-suspend not on a terminal printed more than its summary"
for p in "$mc" "$job"; do
	reap "$p"
	((REAP_STATUS == 137)) || fail "job $p ended with status $REAP_STATUS after the suspend, want 137 (SIGKILL)"
done
wait_for 10 "the user's processes to be gone" user_gone || fail "processes of $user left after the suspend"
assert_still_fine "$rootjob" "$wr" 2
for p in "$mc" "$job"; do
	awk -F'\t' -v p="$p" -v u="$uid" '$1 == p && $4 == u { f = 1 } END { exit !f }' "$img/manifest" ||
		fail "no manifest line for job $p of uid $uid"
done
(($(established_to "$port") == 1)) || fail "the client connection did not survive the kill"
wait_gone "$mc"
wait_gone "$job"

run_script "$T/res.out" "$SCRIPTS/ckpt-resume" --images "$img" {c}>&-
((RUN_RC == 0)) || fail "ckpt-resume exited $RUN_RC"
grep -qE "^ckpt-resume: 2 jobs resumed, 0 failed, 0 already resumed, " "$T/res.out" || fail "no summary of 2 jobs resumed"
(($(wc -l <"$T/res.out") == 1)) || fail "ckpt-resume not on a terminal printed more than its summary"
for p in "$mc" "$job"; do
	[[ -e /proc/$p ]] || fail "job $p was not restored"
	track_pid "$p"
	[[ $(ids_of "$p") == "$uid $uid $uid $uid" ]] || fail "job $p restored as $(ids_of "$p"), want $uid"
	[[ $(proc_stat_field "$p" 6) == "$(proc_stat_field $$ 6)" ]] && fail "job $p restored into the caller's session"
	assert_not_traced "$p"
done
assert_same "memcached's threads (pid tid name)" "$threads0" "$(thread_snapshot "$mc")"
[[ $(mc_get "$c" greeting) == "0 hello" ]] || fail "get greeting after the resume (kept connection)"
[[ $(mc_get "$c" flagged) == "4242 with flags" ]] || fail "get flagged after the resume: $(mc_get "$c" flagged)"
[[ $(mc_get "$c" big) == "7 $big" ]] || fail "get big after the resume: not the same 100 KiB"
c2=''
tcp_open c2 127.0.0.1 "$port"
[[ $(mc_get "$c2" flagged) == "4242 with flags" ]] || fail "a new connection does not see the keys"
mc_set "$c2" after 1 resume
[[ $(mc_get "$c" after) == "1 resume" ]] || fail "the kept connection does not see a new key"
send_usr1 "$job" "$wu" 2
self_check "$job" "$wu"
fd_close "$c"
fd_close "$c2"
kill_tree "$mc" "$job" "$rootjob"
assert_no_strays
