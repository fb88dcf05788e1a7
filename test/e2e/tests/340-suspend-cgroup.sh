#!/bin/bash
# 340-suspend-cgroup.sh - node maintenance: ckpt-suspend of every job of a
# cgroup2 cgroup, ckpt-resume of them. Three jobs in a cgroup of the test:
# two 01-basic targets and one 62-pidfd (a pidfd of a process outside its
# tree, which ckpt refuses). ckpt-suspend, run under a pseudo-terminal,
# prints one progress line per job and a summary naming the job it could
# not dump (exit 1); the two others are killed, the refused one runs on
# untouched. A ckpt-resume while another holds the directory's lock is
# refused with one line. ckpt-resume, not on a terminal, prints only the
# summary, restores both jobs into the cgroup (each checks itself, counts
# on, its sequence goes on), removes their image sets with --remove and,
# run again, restores nothing (already resumed). A second suspend into
# the same directory and its resume take the same jobs again.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/cgroup.sh
. "$(dirname "$0")/../cgroup.sh"
# shellcheck source=test/e2e/suspend.sh
. "$E2E_DIR/suspend.sh"
e2e_init

suspend_scripts
command -v script >/dev/null || skip "no script(1) (bsdutils)"

cg_v2
cg=$CG2/$CG_NAME
cg_mkdir "$cg"
pids=() ws=()
for t in 01-basic 01-basic 62-pidfd; do
	w=$T/w${#pids[@]}
	if [[ $t == 01-basic ]]; then
		start_target "$w" "$t" 4
	else
		start_target "$w" "$t"
	fi
	echo "$TARGET_PID" >"$cg/cgroup.procs" || fail "cannot move $TARGET_PID into $cg"
	send_usr1 "$TARGET_PID" "$w" 1
	self_check "$TARGET_PID" "$w"
	pids+=("$TARGET_PID") ws+=("$w")
done
bad=${pids[2]}
img=$T/suspend

# On a terminal: a line per job, then the summary; exit 1 (one failed).
run_script "$T/sus.out" script -q -e -c "$(printf '%q ' "$SCRIPTS/ckpt-suspend" --images "$img" --cgroup "$cg")" /dev/null
tr -d '\r' <"$T/sus.out" >"$T/sus.txt"
((RUN_RC == 1)) || fail "ckpt-suspend exited $RUN_RC with a job it could not dump, want 1"
for p in "${pids[@]:0:2}"; do
	grep -qE "^ +dumped +$p-01-basic +pid $p " "$T/sus.txt" || fail "no progress line for job $p on the terminal"
done
grep -qE "^ +FAILED +$bad-62-pidfd +pid $bad .*fd 9 is a pidfd" "$T/sus.txt" ||
	fail "no progress line for the job that failed"
grep -qE "^ckpt-suspend: cgroup $cg: 2 jobs dumped, 1 failed, [0-9.]+ [KMG]?i?B in [0-9.]+ s into $img\$" "$T/sus.txt" ||
	fail "no summary saying 2 jobs dumped, 1 failed"
grep -qE "^ckpt-suspend: failed: job $bad-62-pidfd \(pid $bad, .*62-pidfd .*\) was not dumped and runs on: ckpt: cannot dump $bad: fd 9 is a pidfd" "$T/sus.txt" ||
	fail "the summary does not name the job that failed and why"

# The dumped jobs are gone, the refused one runs on as it was.
for p in "${pids[@]:0:2}"; do
	reap "$p"
	((REAP_STATUS == 137)) || fail "job $p ended with status $REAP_STATUS after the suspend, want 137 (SIGKILL)"
	wait_gone "$p"
done
assert_still_fine "$bad" "${ws[2]}" 1
grep -qx "0::/$CG_NAME" "/proc/$bad/cgroup" || fail "the job not dumped left its cgroup"

# The manifest: a line per job dumped, with its pid, image set, uid, cgroup.
mf=$img/manifest
(($(grep -vc '^#' "$mf") == 2)) || fail "the manifest has $(grep -vc '^#' "$mf") jobs, want 2"
for p in "${pids[@]:0:2}"; do
	awk -F'\t' -v p="$p" -v cg="cgroup2:/$CG_NAME" '$1 == p && $3 == p "-01-basic" && $4 == 0 && $5 == cg { f = 1 } END { exit !f }' "$mf" ||
		fail "no manifest line for job $p: $(grep "^$p" "$mf")"
	[[ -f $img/$p-01-basic/inventory.img ]] || fail "no image set for job $p"
done

# A directory in use (its lock held) is refused with one line.
exec {lk}>>"$img/lock"
flock -n "$lk" || fail "cannot take the lock of $img"
run_script "$T/busy.out" "$SCRIPTS/ckpt-resume" --images "$img"
exec {lk}>&-
((RUN_RC == 1)) || fail "ckpt-resume of a locked directory exited $RUN_RC, want 1"
[[ $(wc -l <"$T/busy.out.err") == 1 ]] || fail "ckpt-resume of a locked directory wrote more than one line"
grep -q "^ckpt-resume: cannot resume: '$img' is in use" "$T/busy.out.err" ||
	fail "ckpt-resume of a locked directory: $(head -n 2 "$T/busy.out.err")"
[[ -s $T/busy.out ]] && fail "ckpt-resume of a locked directory printed: $(head -n 1 "$T/busy.out")"

# Not on a terminal: the summary only.
run_script "$T/res.out" "$SCRIPTS/ckpt-resume" --images "$img" --remove
((RUN_RC == 0)) || fail "ckpt-resume exited $RUN_RC"
grep -qE "^ckpt-resume: 2 jobs resumed, 0 failed, 0 already resumed, [0-9.]+ [KMG]?i?B in [0-9.]+ s from $img\$" "$T/res.out" ||
	fail "no summary of 2 jobs resumed"
(($(wc -l <"$T/res.out") == 1)) || fail "ckpt-resume not on a terminal printed more than its summary"
[[ -s $T/res.out.err ]] && fail "ckpt-resume wrote on stderr: $(head -n 1 "$T/res.out.err")"

for i in 0 1; do
	p=${pids[i]}
	[[ -e /proc/$p ]] || fail "job $p was not restored"
	track_pid "$p"
	grep -qx "0::/$CG_NAME" "/proc/$p/cgroup" || fail "job $p restored in $(grep '^0::' "/proc/$p/cgroup"), want /$CG_NAME"
	[[ $(proc_stat_field "$p" 6) == "$(proc_stat_field $$ 6)" ]] && fail "job $p restored into the caller's session, want one of its own"
	assert_not_traced "$p"
	send_usr1 "$p" "${ws[i]}" 2
	self_check "$p" "${ws[i]}"
	n=$(wc -l <"${ws[i]}/seq")
	wait_seq_beyond "${ws[i]}/seq" $((n + 30))
	[[ -e $img/$p-01-basic ]] && fail "--remove left the image set of job $p"
done

# Run again: nothing left to do, nothing restored twice.
run_script "$T/again.out" "$SCRIPTS/ckpt-resume" --images "$img"
((RUN_RC == 0)) || fail "ckpt-resume run again exited $RUN_RC"
grep -qE "^ckpt-resume: 0 jobs resumed, 0 failed, 2 already resumed" "$T/again.out" ||
	fail "ckpt-resume run again: $(head -n 1 "$T/again.out")"
for i in 0 1; do self_check "${pids[i]}" "${ws[i]}"; done

# The next maintenance into the same directory: the same jobs (same PIDs
# and names) get image sets of new names, which the resume does not take
# for the ones it restored already.
kill -9 "$bad"
reap "$bad"
run_script "$T/sus2.out" "$SCRIPTS/ckpt-suspend" --images "$img" --cgroup "$cg"
((RUN_RC == 0)) || fail "the second ckpt-suspend exited $RUN_RC"
grep -qE "^ckpt-suspend: cgroup $cg: 2 jobs dumped, 0 failed, " "$T/sus2.out" || fail "the second suspend did not dump 2 jobs"
for p in "${pids[@]:0:2}"; do
	wait_for 10 "job $p to be gone" is_gone "$p" || fail "job $p runs on after the second suspend"
	[[ -f $img/$p-01-basic.2/inventory.img ]] || fail "no image set $p-01-basic.2"
done
run_script "$T/res3.out" "$SCRIPTS/ckpt-resume" --images "$img"
((RUN_RC == 0)) || fail "the second resume exited $RUN_RC"
grep -qE "^ckpt-resume: 2 jobs resumed, 0 failed, 2 already resumed, " "$T/res3.out" ||
	fail "the second resume: $(head -n 1 "$T/res3.out")"
for i in 0 1; do
	[[ -e /proc/${pids[i]} ]] || fail "job ${pids[i]} was not restored the second time"
	track_pid "${pids[i]}"
	self_check "${pids[i]}" "${ws[i]}"
done

kill_tree "${pids[@]:0:2}"
assert_no_strays
