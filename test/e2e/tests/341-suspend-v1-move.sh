#!/bin/bash
# 341-suspend-v1-move.sh - node maintenance in a v1 hierarchy, resumed "on
# another node": two jobs in a cgroup of the pids hierarchy (05-child, a
# process and its child, both in the cgroup: one job of two processes; and
# 01-basic). ckpt-suspend --cgroup --leave-running -j 2 dumps both at once
# and leaves them running (they check themselves and count on). Then the
# node "goes down" (the jobs are killed, the cgroup removed, as on a node
# that never had it). ckpt-resume --job restores one job only (on a
# terminal: its progress line), ckpt-resume the rest; with --cgroup-root both come back into the cgroup given in the
# pids hierarchy, since theirs is missing, as they were at the suspend
# (the signal counted after it is not); 05-child finds its child again.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/cgroup.sh
. "$(dirname "$0")/../cgroup.sh"
# shellcheck source=test/e2e/suspend.sh
. "$E2E_DIR/suspend.sh"
e2e_init

suspend_scripts
command -v script >/dev/null || skip "no script(1) (bsdutils)"

PIDS=$(cg_v1 pids)
[[ -n $PIDS ]] || skip "no v1 pids hierarchy"
cg=$PIDS/$CG_NAME
moved=/$CG_NAME-moved
cg_mkdir "$cg"
CG_MADE+=("$PIDS$moved")
in_pids() { grep -qE "^[0-9]+:pids:$2\$" "/proc/$1/cgroup"; }

wa=$T/a wb=$T/b
start_target "$wa" 05-child
a=$TARGET_PID
child=$(sed -n 's/^CHILD pid=\([0-9]*\)$/\1/p' "$wa/out")
[[ -n $child ]] || fail "no CHILD line from 05-child"
track_pid "$child"
start_target "$wb" 01-basic 4
b=$TARGET_PID
for p in "$a" "$child" "$b"; do
	echo "$p" >"$cg/cgroup.procs" || fail "cannot move $p into $cg"
done
send_usr1 "$a" "$wa" 1
self_check "$a" "$wa"
send_usr1 "$b" "$wb" 1
self_check "$b" "$wb"
ids0=$(tree_snapshot "$a")

img=$T/suspend
run_script "$T/sus.out" "$SCRIPTS/ckpt-suspend" --images "$img" --cgroup "$cg" --leave-running -j 2
((RUN_RC == 0)) || fail "ckpt-suspend exited $RUN_RC"
grep -qE "^ckpt-suspend: cgroup $cg: 2 jobs dumped, 0 failed, " "$T/sus.out" || fail "no summary of 2 jobs dumped"
(($(grep -vc '^#' "$img/manifest") == 2)) || fail "the manifest does not hold 2 jobs"
awk -F'\t' -v p="$a" -v cg="pids:/$CG_NAME" '$1 == p && $5 == cg { f = 1 } END { exit !f }' "$img/manifest" ||
	fail "the manifest does not give job $a its cgroup pids:/$CG_NAME"
# --leave-running: both run on.
assert_tree_not_traced "$a" "$child" "$b"
send_usr1 "$a" "$wa" 2
self_check "$a" "$wa"
send_usr1 "$b" "$wb" 2
self_check "$b" "$wb"

# The node goes down: the jobs end, the cgroup with them.
for p in "$a" "$b"; do
	kill -9 "$p"
	reap "$p"
done
wait_tree_gone "$a" "$child" "$b"
rmdir "$cg" || fail "cannot remove $cg"

# On a terminal: a progress line for the job, and the summary.
run_script "$T/res1.tty" script -q -e -c "$(printf '%q ' "$SCRIPTS/ckpt-resume" --images "$img" --job "$b" --cgroup-root "$moved")" /dev/null
tr -d '\r' <"$T/res1.tty" >"$T/res1.out"
((RUN_RC == 0)) || fail "ckpt-resume --job $b exited $RUN_RC"
grep -qE "^ +resumed +$b-01-basic +pid $b " "$T/res1.out" || fail "no progress line for job $b on the terminal"
grep -qE "^ckpt-resume: 1 jobs resumed, 0 failed, 0 already resumed, " "$T/res1.out" || fail "ckpt-resume --job did not resume one job"
[[ -e /proc/$a ]] && fail "ckpt-resume --job $b restored job $a too"
[[ -e /proc/$b ]] || fail "job $b was not restored"
track_pid "$b"
run_script "$T/res2.out" "$SCRIPTS/ckpt-resume" --images "$img" --cgroup-root "$moved"
((RUN_RC == 0)) || fail "ckpt-resume exited $RUN_RC"
grep -qE "^ckpt-resume: 1 jobs resumed, 0 failed, 1 already resumed, " "$T/res2.out" || fail "ckpt-resume did not resume the other job"
[[ -e /proc/$a ]] || fail "job $a was not restored"
track_pids "$a" "$child"

for p in "$a" "$child" "$b"; do
	in_pids "$p" "$moved" || fail "$p restored in $(grep ':pids:' "/proc/$p/cgroup"), want pids:$moved"
done
assert_tree_not_traced "$a" "$child" "$b"
ids1=$(tree_snapshot "$a")
assert_same "process ids (pid ppid pgid sid state) but the session" "$(cut -d' ' -f1-3,5 <<<"$ids0")" "$(cut -d' ' -f1-3,5 <<<"$ids1")"
# Back as they were at the suspend: one SIGUSR1 counted, not two.
send_usr1 "$a" "$wa" 2
self_check "$a" "$wa"
[[ $(check_value child) == "$child" ]] || fail "child=$(check_value child) after the resume, want $child"
send_usr1 "$b" "$wb" 2
self_check "$b" "$wb"
kill_tree "$a" "$child" "$b"
assert_no_strays
