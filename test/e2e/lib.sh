# shellcheck shell=bash
# Some helpers take optional arguments that the library itself never passes:
# shellcheck disable=SC2119,SC2120

# lib.sh - helpers sourced by every end-to-end test (test/e2e/tests/*.sh).
#
# A test is a bash script run from the repository root, normally by run.sh
# (which makes it the leader of a new session), or by hand:
#     bash test/e2e/tests/01-basic.sh
# It exits 0 (ok), 77 (skip: last line "SKIP: reason") or anything else
# (fail: last line "FAIL: reason"); everything it logs goes to stderr.
#
# Environment: CKPT (the ckpt binary, default ./ckpt), E2E_TARGETS (the
# compiled targets, default build/targets), PYTHON (default /usr/bin/python3,
# else python3 from PATH), E2E_KEEP=1 keeps the temp dirs.
#
# Targets talk through lines in WORKDIR/out (see targets/target.h): READY,
# USR1 N, CHECK OK|FAIL ..., EXIT N. Every wait here is a bounded poll for a
# condition (wait_for), never a bare sleep.
#
# Clean-up (trap on EXIT): every PID passed to track_pid is killed with
# SIGKILL if it is still the same process, with all its descendants, and
# when this shell leads its own session every other process left in that
# session is killed as well; then the temp dirs are removed.

set -u

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CKPT=${CKPT:-$PWD/ckpt}
E2E_TARGETS=${E2E_TARGETS:-$PWD/build/targets}
CKPT_TIMEOUT=${CKPT_TIMEOUT:-30}
TEST_NAME=$(basename "$0" .sh)

if [[ -z ${PYTHON:-} ]]; then
	if [[ -x /usr/bin/python3 ]]; then
		PYTHON=/usr/bin/python3
	else
		PYTHON=$(command -v python3 || true)
	fi
fi

TRACKED=()  # "pid:starttime" of every process this test may have to kill
TMPDIRS=()  # removed at exit
CLEANUP_HOOKS=() # commands run first at exit (attack.sh: the test user)
CK_RC=0     # exit status of the last ckpt command (ck)
CHECK_LINE= # last CHECK line (self_check)
SEQ_N=0     # lines in the seq file (seq_verify)
LOAD_PIDS=' ' # the busy loops of E2E_LOAD, not the test's processes

# ---- reporting ------------------------------------------------------------

log() { printf '%s\n' "$*" >&2; }
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}
skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

# ---- processes ------------------------------------------------------------

# Field N (1-based, as in proc(5)) of /proc/PID/stat, safe with any comm.
proc_stat_field() {
	local line rest
	local -a f
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
	rest=${line##*) }
	read -ra f <<<"$rest"
	printf '%s\n' "${f[$(($2 - 3))]}"
}

proc_state() { proc_stat_field "$1" 3; }
proc_starttime() { proc_stat_field "$1" 22; }

# True when PID does not exist any more or is a zombie.
is_dead() {
	local st
	st=$(proc_state "$1") || return 0
	[[ $st == Z || $st == X ]]
}

is_gone() { [[ ! -e /proc/$1 ]]; }

# Remember PID (with its start time) so that clean-up can kill it.
track_pid() {
	local st
	st=$(proc_starttime "$1") || return 0
	TRACKED+=("$1:$st")
}

# Kill PID with SIGKILL if it is still the process that was tracked, and
# every descendant it has then (some may have left our session: setsid).
kill_tracked() {
	local entry pid st
	local -a doomed=()
	for entry in "${TRACKED[@]}"; do
		pid=${entry%%:*} st=${entry#*:}
		[[ $(proc_starttime "$pid" 2>/dev/null) == "$st" ]] || continue
		mapfile -t -O "${#doomed[@]}" doomed < <(tree_pids "$pid")
	done
	for pid in "${doomed[@]}"; do kill -9 "$pid" 2>/dev/null; done
	return 0
}

# Our session id, and whether this shell leads it (then everything in it is ours).
own_session() { [[ $(proc_stat_field $$ 6) == "$$" ]]; }

# SESSION_PIDS=(every process of our session but this shell and the load).
session_members() {
	local f p line rest
	local -a fld
	SESSION_PIDS=()
	for f in /proc/[0-9]*/stat; do
		{ read -r line <"$f"; } 2>/dev/null || continue
		rest=${line##*) }
		read -ra fld <<<"$rest"
		[[ ${fld[3]} == "$$" ]] || continue
		p=${f#/proc/}
		p=${p%/stat}
		# This shell, a subshell of it running this, and the load.
		[[ $p == "$$" || $p == "$BASHPID" || $LOAD_PIDS == *" $p "* ]] && continue
		SESSION_PIDS+=("$p")
	done
}

describe_pid() {
	local cmd
	cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)
	printf 'pid %s state %s ppid %s cmd [%s]' "$1" "$(proc_state "$1")" \
		"$(proc_stat_field "$1" 4)" "$cmd"
}

# restore_faults_leave_nothing IMG PIDS SITE...: a restore of IMG by the
# fault build (FCKPT) failed at each SITE in turn: it fails, every PID of
# the array named PIDS is free again, the images are untouched and nothing
# is left behind.
restore_faults_leave_nothing() {
	local img=$1 site d0 p
	local -n pids_=$2
	shift 2
	for site; do
		d0=$(image_digest "$img")
		# shellcheck disable=SC2153 # FCKPT: set by the tests that call it
		ck_cmd env CKPT_FAULT="$site" "$FCKPT" restore --images "$img" --detach
		ck_assert_failed "restore with a fault at $site"
		for p in "${pids_[@]}"; do
			wait_for 10 "PID $p to be free after a fault at $site" is_gone "$p" ||
				fail "a fault at $site left $(describe_pid "$p")"
		done
		[[ $(image_digest "$img") == "$d0" ]] || fail "the restore failed at $site changed the images"
		assert_no_strays
	done
}

# Fail if our session holds a process other than the PIDs given (checked
# only when this shell leads its session, as under run.sh). Others are given
# up to 5 s to exit and be reaped.
assert_no_strays() {
	local p a end
	local -a stray
	own_session || return 0
	end=$(($(now_us) + 5000000))
	while :; do
		stray=()
		session_members
		for p in "${SESSION_PIDS[@]}"; do
			for a in "$@"; do [[ $p == "$a" ]] && continue 2; done
			stray+=("$p")
		done
		((${#stray[@]} == 0)) && return 0
		# A process may be on its way out (the harness's own short-lived
		# children are in the session too): only one that stays is a stray.
		(($(now_us) > end)) && break
		sleep 0.02
	done
	for p in "${stray[@]}"; do log "stray: $(describe_pid "$p")"; done
	fail "stray process left: $(describe_pid "$p")"
}

cleanup() {
	local rc=$? p
	trap - EXIT
	for p in "${CLEANUP_HOOKS[@]}"; do "$p"; done
	kill_tracked
	if own_session; then
		session_members
		for p in "${SESSION_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	fi
	if [[ ${E2E_KEEP:-0} == 1 ]]; then
		log "kept: ${TMPDIRS[*]}"
	else
		for p in "${TMPDIRS[@]}"; do rm -rf -- "$p"; done
	fi
	exit "$rc"
}

# ---- waiting --------------------------------------------------------------

now_us() { printf '%s\n' "${EPOCHREALTIME//[.,]/}"; }

# wait_for TIMEOUT_S DESCRIPTION COMMAND...: poll COMMAND every 20 ms until
# it succeeds; log and return 1 after TIMEOUT_S seconds.
wait_for() {
	local timeout=$1 desc=$2 end
	shift 2
	end=$(($(now_us) + timeout * 1000000))
	until "$@"; do
		if (($(now_us) > end)); then
			log "timed out after ${timeout}s waiting for $desc"
			return 1
		fi
		sleep 0.02
	done
}

# Wait (bounded) until /proc/PID has disappeared: the PID is free again.
wait_gone() {
	wait_for "${2:-10}" "PID $1 to be free" is_gone "$1" ||
		fail "PID $1 still exists: $(describe_pid "$1")"
}

# reap PID: PID is our child that is expected to die (e.g. killed by a dump);
# wait for it, then set REAP_STATUS to its wait status.
reap() {
	wait_for "${2:-10}" "PID $1 to exit" is_dead "$1" ||
		fail "PID $1 did not exit: $(describe_pid "$1")"
	wait "$1"
	REAP_STATUS=$?
}

# ---- files ----------------------------------------------------------------

count_lines() { # FILE REGEX
	local n
	n=$(grep -c -E -- "$2" "$1" 2>/dev/null) || true
	printf '%s\n' "${n:-0}"
}

has_line() { grep -q -E -- "$2" "$1" 2>/dev/null; }

more_lines_than() { (($(count_lines "$1" "$2") > $3)); }

# ---- temp dirs --------------------------------------------------------------

# new_tmp VAR [BASE]: make a fresh temp dir under BASE (default /tmp).
new_tmp() {
	local d
	d=$(mktemp -d "${2:-/tmp}/ckpt-e2e-$TEST_NAME.XXXXXX") || fail "mktemp failed"
	TMPDIRS+=("$d")
	printf -v "$1" '%s' "$d"
}

# ---- targets ---------------------------------------------------------------

# Run a command with every fd above 2 closed (the harness may have inherited
# pipes; targets must hold none), stdin from /dev/null, stdout and stderr
# appended to WORKDIR/out and WORKDIR/err. Sets TARGET_PID.
spawn() { # WORKDIR COMMAND...
	local w=$1
	shift
	(
		for fd in /proc/"$BASHPID"/fd/*; do
			fd=${fd##*/}
			((fd > 2)) && exec {fd}>&-
		done
		exec "$@"
	) </dev/null >>"$w/out" 2>>"$w/err" &
	TARGET_PID=$!
	track_pid "$TARGET_PID"
}

ready_or_dead() { has_line "$2" '^(READY|FATAL)' || is_dead "$1"; }

# Wait for "READY pid=N" in WORKDIR/out; fail early on FATAL or death.
wait_ready() { # PID WORKDIR
	local pid=$1 out=$2/out
	wait_for 20 "READY from $pid" ready_or_dead "$pid" "$out" || fail "target $pid never said READY"
	if has_line "$out" '^FATAL'; then
		fail "target set-up failed: $(grep -m1 '^FATAL' "$out")"
	fi
	has_line "$out" "^READY pid=$pid\$" ||
		fail "target $pid died before READY: $(head -c 300 "$2/err" 2>/dev/null)"
}

# start_target WORKDIR NAME ARGS...: build/targets/NAME WORKDIR ARGS..., wait READY.
start_target() {
	local w=$1 bin=$E2E_TARGETS/$2
	shift 2
	[[ -x $bin ]] || fail "target $bin not built (make $bin)"
	mkdir -p "$w"
	spawn "$w" "$bin" "$w" "$@"
	wait_ready "$TARGET_PID" "$w"
}

# start_python WORKDIR SCRIPT ARGS...: python3 test/e2e/py/SCRIPT WORKDIR ARGS...
start_python() {
	local w=$1 script=$E2E_DIR/py/$2
	shift 2
	mkdir -p "$w"
	spawn "$w" "$PYTHON" -I -S "$script" "$w" "$@"
	wait_ready "$TARGET_PID" "$w"
}

need_python() {
	[[ -n $PYTHON && -x $PYTHON ]] || skip "no python3"
}

# self_check PID WORKDIR: SIGUSR2, wait for a new CHECK line; fail unless OK.
# Leaves the line in CHECK_LINE.
self_check() {
	local pid=$1 out=$2/out n
	n=$(count_lines "$out" '^CHECK ')
	kill -USR2 "$pid" 2>/dev/null || fail "cannot signal $pid: $(describe_pid "$pid")"
	wait_for "${3:-20}" "CHECK line from $pid" more_lines_than "$out" '^CHECK ' "$n" ||
		fail "no answer to the self-check from $pid ($(describe_pid "$pid"))"
	CHECK_LINE=$(grep -E '^CHECK ' "$out" | tail -n 1)
	log "$pid: $CHECK_LINE"
	[[ $CHECK_LINE == "CHECK OK"* ]] || fail "self-check of $pid: ${CHECK_LINE#CHECK }"
}

# check_value KEY: the value of KEY=... in CHECK_LINE.
check_value() {
	local w
	for w in $CHECK_LINE; do
		[[ $w == "$1="* ]] && {
			printf '%s\n' "${w#*=}"
			return 0
		}
	done
	fail "no $1= in '$CHECK_LINE'"
}

# send_usr1 PID WORKDIR EXPECTED: one SIGUSR1, wait for its acknowledgement,
# which must read "USR1 EXPECTED".
send_usr1() {
	local pid=$1 out=$2/out want=$3 n last
	n=$(count_lines "$out" '^USR1 ')
	kill -USR1 "$pid" || fail "cannot signal $pid"
	wait_for 10 "USR1 ack from $pid" more_lines_than "$out" '^USR1 ' "$n" ||
		fail "SIGUSR1 not acknowledged by $pid"
	last=$(grep -E '^USR1 ' "$out" | tail -n 1)
	[[ $last == "USR1 $want" ]] || fail "after a SIGUSR1 $pid says '$last', want 'USR1 $want'"
}

# ---- the sequence file ------------------------------------------------------

# seq_verify FILE: the file must hold 1, 2, ..., N, one a line (a last line
# still being written is ignored). Sets SEQ_N.
seq_verify() {
	local f=$1 snap bad
	snap=$(mktemp "${TMPDIRS[0]}/seq.XXXXXX")
	cp -- "$f" "$snap" || fail "cannot read $f"
	if [[ -s $snap && -n $(tail -c 1 "$snap") ]]; then
		sed -i '$d' "$snap"
	fi
	bad=$(LC_ALL=C awk '$0 != NR { printf "line %d is \"%s\" (want %d)", NR, substr($0, 1, 40), NR; exit }' "$snap")
	[[ -z $bad ]] || fail "sequence in $f broken: $bad"
	SEQ_N=$(wc -l <"$snap")
	rm -f -- "$snap"
}

seq_beyond() { # FILE N
	local n
	n=$(wc -l <"$1" 2>/dev/null) || return 1
	((n > $2))
}

# wait_seq_beyond FILE N: wait until FILE has more than N lines, then verify it.
wait_seq_beyond() {
	wait_for 10 "sequence in $1 to pass $2" seq_beyond "$1" "$2" ||
		fail "sequence in $1 stuck at $(wc -l <"$1") lines (want > $2)"
	seq_verify "$1"
}

# ---- ckpt -----------------------------------------------------------------

# ck_cmd COMMAND...: run a command (bounded by CKPT_TIMEOUT), log its
# output, set CK_RC; its stdout and stderr stay in $CK_OUT and $CK_ERR.
ck_cmd() {
	local t0
	CK_OUT=${TMPDIRS[0]}/ck.out CK_ERR=${TMPDIRS[0]}/ck.err
	log "+ $*"
	t0=$(now_us)
	timeout -k 5 "$CKPT_TIMEOUT" "$@" </dev/null >"$CK_OUT" 2>"$CK_ERR"
	CK_RC=$?
	log "  exit $CK_RC after $((($(now_us) - t0) / 1000)) ms"
	sed 's/^/  stderr: /' "$CK_ERR" >&2
	return 0
}

# ck ARGS...: run ckpt ARGS.
ck() { ck_cmd "$CKPT" "$@"; }

ck_err_line() { head -n 3 "$CK_ERR" | tr '\n' ' ' | cut -c 1-300; }

# ck_ok ARGS...: ckpt must succeed.
ck_ok() {
	ck "$@"
	((CK_RC == 124 || CK_RC == 137)) && fail "ckpt $1 timed out after ${CKPT_TIMEOUT}s"
	((CK_RC == 0)) || fail "ckpt $1 failed (exit $CK_RC): $(ck_err_line)"
}

# ck_assert_failed DESCRIPTION: the last ckpt command must have exited 1
# with exactly one line on stderr, starting "ckpt: ", and no crash.
ck_assert_failed() {
	local what=$1 n
	((CK_RC == 124)) && fail "$what: ckpt timed out after ${CKPT_TIMEOUT}s"
	((CK_RC >= 128)) && fail "$what: ckpt crashed (exit $CK_RC): $(ck_err_line)"
	((CK_RC == 0)) && fail "$what: ckpt succeeded, it should have failed"
	((CK_RC == 1)) || fail "$what: exit $CK_RC, want 1: $(ck_err_line)"
	n=$(wc -l <"$CK_ERR")
	[[ -s $CK_ERR && -n $(tail -c 1 "$CK_ERR") ]] && n=$((n + 1)) # unterminated last line
	((n == 1)) || fail "$what: $n lines on stderr, want exactly one: $(ck_err_line)"
	[[ $(head -c 6 "$CK_ERR") == "ckpt: " ]] ||
		fail "$what: stderr does not start with 'ckpt: ': $(ck_err_line)"
	log "  (failed as expected)"
}

# ck_fails DESCRIPTION ARGS...: ckpt ARGS must fail cleanly (ck_assert_failed).
ck_fails() {
	local what=$1
	shift
	ck "$@"
	ck_assert_failed "$what"
}

# dump_and_reap PID IMAGES: ckpt dump (which kills PID, our child), reap it,
# make sure the PID is free again.
dump_and_reap() {
	ck_ok dump --pid "$1" --images "$2"
	reap "$1"
	((REAP_STATUS == 137)) || fail "after the dump $1 ended with status $REAP_STATUS, want 137 (SIGKILL)"
	wait_gone "$1"
}

# restore_detached IMAGES PID [ARGS...]: ckpt restore --detach; PID must exist
# as soon as ckpt returns.
restore_detached() {
	local img=$1 pid=$2
	shift 2
	wait_gone "$pid"
	ck_ok restore --images "$img" --detach "$@"
	[[ -e /proc/$pid ]] || fail "ckpt restore --detach returned but PID $pid does not exist"
	is_dead "$pid" && fail "restored PID $pid is dead: $(describe_pid "$pid")"
	track_pid "$pid"
}

# kill_restored PID: SIGKILL a process that is not our child; wait until it
# is dead (it may stay a zombie of init for a while).
kill_restored() {
	kill -9 "$1" 2>/dev/null
	wait_for 10 "PID $1 to die" is_dead "$1" || fail "PID $1 survived SIGKILL"
}

# status_fields FILE: set ST_STATE and ST_TRACER from a /proc status file.
status_fields() {
	local k v rest text
	ST_STATE='' ST_TRACER=''
	# The whole file in one go: `read` from a file seeks back after each
	# line, and /proc makes the text anew at each read, so a line that
	# changed length meanwhile ("R (running)" after "S (sleeping)")
	# shifts the next ones, and TracerPid: may never be seen whole.
	{ text=$(<"$1"); } 2>/dev/null || return 0
	while read -r k v rest; do
		case $k in
		State:) ST_STATE=$v ;;
		TracerPid:) ST_TRACER=$v ;;
		esac
	done <<<"$text"
}

# assert_not_traced PID: every thread of PID runs free (no tracer, not stopped).
assert_not_traced() {
	local t
	for t in /proc/"$1"/task/*; do
		status_fields "$t/status"
		[[ -z $ST_TRACER || $ST_TRACER == 0 ]] || fail "thread ${t##*/} of $1 is still traced by $ST_TRACER"
		[[ $ST_STATE != t && $ST_STATE != T ]] || fail "thread ${t##*/} of $1 is stopped (state $ST_STATE)"
	done
}

# image_digest DIR: names, modes, sizes and SHA-256 of everything in DIR.
image_digest() {
	(cd "$1" && find . -printf '%p %m %s %y\n' | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}

# flip_byte FILE OFFSET: invert every bit of one byte in place.
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	[[ -n $b ]] || fail "cannot read byte $2 of $1"
	printf '%b' "\\x$(printf %02x $((b ^ 0xff)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none || fail "cannot write $1"
}

# one_file DIR GLOB: the single file of DIR matching GLOB.
one_file() {
	local -a m
	mapfile -t m < <(compgen -G "$1/$2")
	((${#m[@]} == 1)) || fail "want exactly one $2 in $1, found ${#m[@]}: $(cd "$1" && find . -mindepth 1 -printf '%P ')"
	printf '%s\n' "${m[0]}"
}

# ---- flows shared by several tests -------------------------------------------

# What must survive a dump and restore unchanged: cmdline, comm, exe.
proc_identity() {
	printf 'cmdline=[%s] comm=[%s] exe=[%s]\n' "$(tr '\0' ' ' <"/proc/$1/cmdline")" \
		"$(cat "/proc/$1/comm")" "$(readlink "/proc/$1/exe")"
}

# make_image WORKDIR IMAGES [HEAP_MIB=4]: start 01-basic, self-check, dump it
# (killed) into IMAGES. Sets IMG_PID.
make_image() {
	start_target "$1" 01-basic "${3:-4}"
	IMG_PID=$TARGET_PID
	self_check "$IMG_PID" "$1"
	dump_and_reap "$IMG_PID" "$2"
}

# expect_restore_fail IMAGES PID DESCRIPTION [attached]: restore (with
# --detach, or without it when "attached" is given) must fail cleanly, leave
# no process with PID and no stray process, and not touch IMAGES.
expect_restore_fail() {
	local img=$1 pid=$2 what=$3 d0
	local -a mode=(--detach)
	[[ ${4:-} == attached ]] && mode=()
	d0=$(image_digest "$img")
	wait_gone "$pid"
	ck restore --images "$img" "${mode[@]}"
	[[ -e /proc/$pid ]] && track_pid "$pid"
	ck_assert_failed "restore $what"
	wait_for 10 "PID $pid to be free" is_gone "$pid" ||
		fail "restore $what: PID $pid exists after the failed restore: $(describe_pid "$pid")"
	[[ $(image_digest "$img") == "$d0" ]] || fail "restore $what: the failed restore changed the images"
	assert_no_strays
}

# control_restore IMAGES PID WORKDIR: the pristine images still restore, and
# the restored target passes its self-check.
control_restore() {
	restore_detached "$1" "$2"
	self_check "$2" "$3"
	kill_restored "$2"
}

# A dump into PARENT/NAME failed: PARENT holds nothing but the entries given
# (no image set, no temp dir left behind).
assert_dump_left_nothing() { # PARENT ENTRY...
	local -a have
	mapfile -t have < <(cd "$1" && find . -mindepth 1 | LC_ALL=C sort)
	shift
	[[ "${have[*]}" == "$*" ]] ||
		fail "the failed dump left '${have[*]}' (want '${*}')"
}

# A dump of PID failed: PID still runs free and is unaffected: same process,
# not traced nor stopped, the sequence goes on with no gap, self-check OK,
# and SIGUSR1 counting (now USR1 was acknowledged) goes on.
assert_still_fine() { # PID WORKDIR USR1_SO_FAR
	local pid=$1 w=$2 n
	[[ -e /proc/$pid ]] || fail "target $pid is gone after the failed dump"
	is_dead "$pid" && fail "target $pid died after the failed dump: $(describe_pid "$pid")"
	assert_not_traced "$pid"
	n=$(wc -l <"$w/seq")
	wait_seq_beyond "$w/seq" $((n + 30))
	send_usr1 "$pid" "$w" $(($3 + 1))
	self_check "$pid" "$w"
	[[ $(check_value usr1) == $(($3 + 1)) ]] || fail "usr1 count is $(check_value usr1), want $(($3 + 1))"
}

# ---- process trees ------------------------------------------------------------

# track_pids PID...: track_pid for each.
track_pids() {
	local p
	for p in "$@"; do track_pid "$p"; done
}

# tree_pids ROOT: ROOT and every descendant (the children of every thread,
# from /proc/PID/task/*/children), one a line, sorted by number.
tree_pids() {
	local p f
	local -a todo=("$1") all=() kids
	while ((${#todo[@]})); do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		all+=("$p")
		for f in /proc/"$p"/task/*/children; do
			kids=()
			{ read -ra kids <"$f"; } 2>/dev/null
			todo+=("${kids[@]}")
		done
	done
	printf '%s\n' "${all[@]}" | sort -n
}

# tree_snapshot ROOT: one line "pid ppid pgid sid state" per process of the
# tree (tree_pids), sorted by PID. What a restore legitimately changes is
# replaced by a label: the root's ppid by "-" (the restored root is
# reparented); a pgid or sid equal to the root's, when the root does not
# lead that group or session (it was inherited from the harness and is the
# caller's after a restore), by "rootpg" or "rootsid"; the state by "live"
# (R, S, D...), "Z" or "stopped" (t, T). Every other value stays a number.
tree_snapshot() {
	local root=$1 p line rest st ppid pgid sid rpgid rsid
	local -a fld
	rpgid=$(proc_stat_field "$root" 5) || fail "tree root $root is gone"
	rsid=$(proc_stat_field "$root" 6)
	for p in $(tree_pids "$root"); do
		if ! { read -r line <"/proc/$p/stat"; } 2>/dev/null; then
			printf '%s gone\n' "$p"
			continue
		fi
		rest=${line##*) }
		read -ra fld <<<"$rest"
		st=${fld[0]} ppid=${fld[1]} pgid=${fld[2]} sid=${fld[3]}
		[[ $p == "$root" ]] && ppid=-
		[[ $rpgid != "$root" && $pgid == "$rpgid" ]] && pgid=rootpg
		[[ $rsid != "$root" && $sid == "$rsid" ]] && sid=rootsid
		case $st in
		Z) ;;
		t | T) st=stopped ;;
		*) st=live ;;
		esac
		printf '%s %s %s %s %s\n' "$p" "$ppid" "$pgid" "$sid" "$st"
	done
}

# thread_snapshot ROOT: "pid tid comm" for every thread of every process of
# the tree, sorted.
thread_snapshot() {
	local p t comm
	for p in $(tree_pids "$1"); do
		for t in /proc/"$p"/task/*; do
			{ read -r comm <"$t/comm"; } 2>/dev/null || comm=gone
			printf '%s %s %s\n' "$p" "${t##*/}" "$comm"
		done
	done | sort -n -k1,1 -k2,2
}

# assert_same WHAT BEFORE AFTER: two snapshots must be equal (logs a diff).
assert_same() {
	local d
	[[ $2 == "$3" ]] && return 0
	d=$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3"))
	log "$1 before the dump / after the restore:"
	printf '%s\n' "$d" | sed 's/^/  /' >&2
	fail "$1 differ after the restore: $(printf '%s\n' "$d" | grep -E '^[<>]' | head -n 4 | tr '\n' ' ')"
}

# assert_in_caller_session PID: PID is in this shell's session (the restored
# root of a tree whose session leader was not dumped must join the caller's).
assert_in_caller_session() {
	local sid own
	sid=$(proc_stat_field "$1" 6) || fail "$1 is gone"
	own=$(proc_stat_field $$ 6)
	[[ $sid == "$own" ]] || fail "$1 is in session $sid, want the caller's session $own"
}

# assert_traced_by PID TRACER: every thread of PID is traced by TRACER (a
# process of the target's own) and is not stopped.
assert_traced_by() {
	local t
	for t in /proc/"$1"/task/*; do
		status_fields "$t/status"
		[[ $ST_TRACER == "$2" ]] || fail "thread ${t##*/} of $1 is traced by '$ST_TRACER', want $2"
		[[ $ST_STATE != t && $ST_STATE != T ]] || fail "thread ${t##*/} of $1 is stopped (state $ST_STATE)"
	done
}

# assert_tree_not_traced PID...: assert_not_traced for each.
assert_tree_not_traced() {
	local p
	for p in "$@"; do assert_not_traced "$p"; done
}

all_gone() {
	local p
	for p in "$@"; do [[ -e /proc/$p ]] && return 1; done
	return 0
}

session_empty() {
	session_members
	((${#SESSION_PIDS[@]} == 0))
}

# wait_tree_gone PID...: wait (bounded) until every PID given is free again.
# The processes of a killed tree are reparented to PID 1, which may take a
# second or more to reap them.
wait_tree_gone() {
	local p
	wait_for "${TREE_GONE_TIMEOUT:-30}" "the $# PIDs of the tree to be free" all_gone "$@" && return 0
	for p in "$@"; do [[ -e /proc/$p ]] && fail "PID $p still exists: $(describe_pid "$p")"; done
}

# dump_tree ROOT IMAGES: ckpt dump of the tree rooted at ROOT (our child),
# which kills all of it; reap ROOT (SIGKILL), wait until every PID of the
# tree is free, and, when this shell leads its session, until nothing is
# left in the session (a process forked just before the dump is gone too).
# Sets TREE_PIDS (the tree just before the dump).
dump_tree() {
	local p
	mapfile -t TREE_PIDS < <(tree_pids "$1")
	track_pids "${TREE_PIDS[@]}"
	log "dumping a tree of ${#TREE_PIDS[@]} processes"
	ck_ok dump --pid "$1" --images "$2"
	reap "$1"
	((REAP_STATUS == 137)) || fail "after the dump $1 ended with status $REAP_STATUS, want 137 (SIGKILL)"
	wait_tree_gone "${TREE_PIDS[@]}"
	if own_session; then
		wait_for "${TREE_GONE_TIMEOUT:-30}" "the session to be empty" session_empty ||
			fail "processes left after the dump: $(for p in "${SESSION_PIDS[@]}"; do describe_pid "$p"; echo; done | head -n 3)"
	fi
}

# restore_tree IMAGES ROOT: restore_detached, then track every process of
# the restored tree. Sets TREE_PIDS (the restored tree).
restore_tree() {
	restore_detached "$1" "$2"
	mapfile -t TREE_PIDS < <(tree_pids "$2")
	track_pids "${TREE_PIDS[@]}"
	log "restored a tree of ${#TREE_PIDS[@]} processes"
}

# kill_tree PID...: SIGKILL every PID given (a restored tree: none is our
# child), then wait until all of them are free again.
kill_tree() {
	local p
	for p in "$@"; do kill -9 "$p" 2>/dev/null; done
	wait_tree_gone "$@"
}

# ---- set-up -----------------------------------------------------------------

# E2E_LOAD=N: N busy loops run beside the test (each for at most
# E2E_TIMEOUT seconds, killed at clean-up with the rest of the session), to
# show that a test holds on a loaded machine.
start_load() {
	local i
	for ((i = 0; i < ${E2E_LOAD:-0}; i++)); do
		bash -c 'while ((SECONDS < $1)); do :; done' load "${E2E_TIMEOUT:-120}" &
		track_pid $!
		LOAD_PIDS+=" $! "
	done
	((${E2E_LOAD:-0} == 0)) || log "running beside $E2E_LOAD busy loops"
}

e2e_init() {
	trap cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	[[ $(id -u) == 0 ]] || skip "needs root"
	[[ -x $CKPT ]] || fail "no ckpt binary at $CKPT (make ckpt)"
	new_tmp T
	log "test $TEST_NAME, temp dir $T, ckpt $CKPT"
	start_load
}
