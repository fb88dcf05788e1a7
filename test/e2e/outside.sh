# shellcheck shell=bash
# outside.sh - helpers for the tests of fds whose other end a process
# outside the tree holds (140, 144), sourced after lib.sh. Their targets
# write a counter, "N n" on stdout and "F n" on a second fd, and answer
# their self-check in W/state (test/e2e/targets/outside.h).

# The last number written to FILE.
last_n() { tail -n 1 "$1" | sed -n 's/^[NF] //p'; }
# FILE's last number is beyond N.
n_beyond() { local n; n=$(last_n "$1"); [[ -n $n ]] && ((n > $2)); }

# A self-check of $pid (the test's target, its workdir W) that passes.
checked() { # W
	local n line
	n=$(count_lines "$1/state" '^CHECK ')
	# shellcheck disable=SC2154 # pid: set by the test
	kill -USR2 "$pid"
	wait_for 20 "the self-check" more_lines_than "$1/state" '^CHECK ' "$n" || fail "no answer to the self-check"
	line=$(grep '^CHECK ' "$1/state" | tail -n 1)
	log "$line"
	[[ $line == "CHECK OK"* ]] || fail "self-check: $line"
}

# The restore in the background, which writes "restore exit RC" in
# $T/restore.rc and its stderr in $T/restore.err, returned 0 with process
# PID there, now tracked.
restore_returned() { # PID
	wait_for 30 "the restore to return" test -s "$T/restore.rc" || fail "the restore did not return"
	cat "$T/restore.err" >&2
	[[ $(cat "$T/restore.rc") == "restore exit 0" ]] ||
		fail "the restore failed: $(cat "$T/restore.rc"): $(head -c 300 "$T/restore.err")"
	[[ -e /proc/$1 ]] || fail "no process $1 after the restore"
	track_pid "$1"
}

# The counter goes on after the restore exactly from where it was: in N2
# (the new stdout) from LAST1 + 1, in F2 (the new fd FD) from LASTF + 1.
goes_on() { # N2 F2 LAST1 LASTF FD
	local first1 firstf
	wait_for 20 "the counter on the new stdout" n_beyond "$1" $(($3 + 20)) || fail "the counter did not go on on the new stdout"
	wait_for 20 "the counter on the new fd $5" n_beyond "$2" $(($4 + 20)) || fail "the counter did not go on on the new fd $5"
	first1=$(head -n 1 "$1") firstf=$(head -n 1 "$2")
	[[ $first1 == "N $(($3 + 1))" ]] || fail "the new stdout starts with '$first1', want 'N $(($3 + 1))'"
	[[ $firstf == "F $(($4 + 1))" ]] || fail "the new fd $5 starts with '$firstf', want 'F $(($4 + 1))'"
	# No gap nor repeat after that either.
	awk '$2 != NR + '"$3"' { print "line " NR ": " $0; exit 1 }' "$1" || fail "the new stdout has a gap"
}
