#!/bin/bash
# 39-user-sched.sh - a set an ordinary user owns may not claim scheduling
# state above that user's reach: the user's own set (41-trust) edited by
# the user (imgedit, checksums fixed) to a negative nice, a real-time
# policy, the real-time I/O class, a negative oom_score_adj, KSM for the
# whole process or a root directory (chroot) is refused at load with one line, before anything is
# created, no process left and the images untouched. The same edits in a
# set made root's restore (root may), and the process sees them.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/attack.sh
. "$E2E_DIR/attack.sh"
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"
e2e_init
attack_init

w=$ATK_HOME/own img=$ATK_HOME/own.img
atk_set "$w" "$img"
pid=$ATK_PID
core=core-$pid.img

users_set() { # WHY_REGEX EDIT...: a copy of the user's set, edited by the user, is refused
	local why=$1 bad
	shift
	bad=$ATK_HOME/bad.$RANDOM
	cp -a "$img" "$bad" || fail "cannot copy $img"
	atk_imgedit "$bad" "$core" "$@"
	log "==== $*"
	expect_restore_fail "$bad" "$pid" "a user's set with $*"
	grep -qE "$why" "$CK_ERR" || fail "restore with $*: the refusal does not say '$why': $(ck_err_line)"
}

users_set "a negative nice value, which only root's image set may restore" "threads[0].nice=-5"
users_set "a real-time scheduling policy, which only root's image set may restore" \
	"threads[0].sched_policy=2" "threads[0].sched_priority=10"
users_set "the real-time I/O class, which only root's image set may restore" "threads[0].ioprio=0x2004"
users_set "a negative oom_score_adj \(-100\) only root's image set may restore" "oom_score_adj=-100"
users_set "KSM for the whole process .* only root's image set may restore" "memory_merge=1"
# A chroot: the user could fill the new root with what a set-user-ID
# program would then trust.
users_set "a root directory other than '/' .* only root's image set may restore" "root=$ATK_HOME"

# Root's own set may: the process comes back with nice -5.
rootdir=
new_tmp rootdir
{ cp -a "$img" "$rootdir/img" && chown -R 0:0 "$rootdir/img"; } || fail "cannot copy $img"
"$IMGEDIT" "$rootdir/img" "$core" "threads[0].nice=-5" || fail "imgedit failed"
restore_detached "$rootdir/img" "$pid"
nice=$(ps -o ni= -p "$pid" | tr -d ' ')
[[ $nice == -5 ]] || fail "root's set restored nice '$nice', want -5"
self_check "$pid" "$w"
kill_restored "$pid"
assert_no_strays
