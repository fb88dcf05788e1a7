#!/bin/bash
# run.sh - run ckpt's end-to-end tests: every test/e2e/tests/*.sh, in order.
#
#     test/e2e/run.sh                 (what `make e2e` runs, from the repo root)
#     E2E_ONLY=basic test/e2e/run.sh  only tests whose name matches a pattern
#                                     (substring or glob; several: space or comma)
#
# Prints one line per test: "ok NAME", "FAIL NAME: reason" or
# "skip NAME: reason", then "N passed, N failed, N skipped", and exits 1 if
# any test failed. Each test runs as the leader of its own session (setsid),
# so that every process it leaves behind can be found and killed, with a time
# limit of E2E_TIMEOUT seconds (default 120). Full logs of failed tests are
# kept in a directory under /tmp, named before the summary line; E2E_VERBOSE=1
# also prints them.
#
# Environment passed on to the tests: CKPT, E2E_TARGETS, PYTHON, E2E_KEEP,
# E2E_LOAD (N busy loops beside each test: a loaded machine).

set -u

cd "$(dirname "$0")/../.." || exit 1
export CKPT=${CKPT:-$PWD/ckpt}
export E2E_TARGETS=${E2E_TARGETS:-$PWD/build/targets}
test_timeout=${E2E_TIMEOUT:-120}
only=${E2E_ONLY:-}

# Inherited fds (pipes from a CI runner, say) must not reach the targets.
for fd in "/proc/$$/fd"/*; do
	fd=${fd##*/}
	((fd > 2 && fd != 255)) && exec {fd}>&-
done

logdir=$(mktemp -d /tmp/ckpt-e2e-logs.XXXXXX) || exit 1
passed=0 failed=0 skipped=0 kept_logs=0

now_us() { printf '%s\n' "${EPOCHREALTIME//[.,]/}"; }

# True while PID exists and is not a zombie.
running() {
	local line
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
	line=${line##*) }
	[[ ${line:0:1} != Z ]]
}

selected() { # NAME
	local p
	[[ -z $only ]] && return 0
	for p in ${only//,/ }; do
		# shellcheck disable=SC2053 # the pattern is meant to glob
		[[ $1 == *$p* || $1 == $p ]] && return 0
	done
	return 1
}

# Kill (SIGNAL) every process whose session is SID.
kill_session() { # SID SIGNAL
	local f line rest
	local -a fld
	for f in /proc/[0-9]*/stat; do
		{ read -r line <"$f"; } 2>/dev/null || continue
		rest=${line##*) }
		read -ra fld <<<"$rest"
		if [[ ${fld[3]} == "$1" ]]; then
			f=${f#/proc/}
			kill "-$2" "${f%/stat}" 2>/dev/null
		fi
	done
}

# Reason of a test's result: its last "FAIL: " or "SKIP: " line.
reason() { # LOG PREFIX RC
	local r
	r=$(grep -a "^$2: " "$1" | tail -n 1)
	r=${r#"$2": }
	if [[ -z $r ]]; then
		r="exit status $3; last log line: $(grep -av '^ *$' "$1" | tail -n 1)"
	fi
	printf '%s\n' "$r"
}

run_one() { # SCRIPT
	local t=$1 name log pid rc deadline timed_out=0 limit own
	name=$(basename "$t" .sh)
	log=$logdir/$name.log
	# A long test names its own limit: a line "# e2e-timeout: SECONDS".
	limit=$test_timeout
	own=$(sed -n 's/^# e2e-timeout: *\([0-9][0-9]*\)$/\1/p' "$t" | head -n 1)
	[[ -n $own ]] && ((own > limit)) && limit=$own
	deadline=$(($(now_us) + limit * 1000000))
	setsid -w bash "$t" </dev/null >"$log" 2>&1 &
	pid=$!
	while running "$pid"; do
		if (($(now_us) >= deadline)); then
			timed_out=1
			kill_session "$pid" TERM # the test's EXIT trap cleans up
			while running "$pid" && (($(now_us) < deadline + 10000000)); do
				sleep 0.05
			done
			kill_session "$pid" KILL
			break
		fi
		sleep 0.05
	done
	wait "$pid"
	rc=$?
	kill_session "$pid" KILL # whatever the test itself left behind
	if ((timed_out)); then
		rc=1
		echo "FAIL: timed out after ${limit}s" >>"$log"
	fi
	case $rc in
	0)
		echo "ok $name"
		passed=$((passed + 1))
		rm -f "$log"
		;;
	77)
		echo "skip $name: $(reason "$log" SKIP "$rc")"
		skipped=$((skipped + 1))
		rm -f "$log"
		;;
	*)
		echo "FAIL $name: $(reason "$log" FAIL "$rc")"
		failed=$((failed + 1))
		kept_logs=1
		if [[ ${E2E_VERBOSE:-0} == 1 ]]; then
			sed 's/^/    | /' "$log"
		fi
		;;
	esac
}

for t in test/e2e/tests/*.sh; do
	selected "$(basename "$t" .sh)" || continue
	run_one "$t"
done

if ((kept_logs)); then
	echo "logs of the failed tests: $logdir"
else
	rmdir "$logdir" 2>/dev/null
fi
if ((skipped)); then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
((failed == 0))
