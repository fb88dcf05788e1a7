# shellcheck shell=bash
# sysv.sh - helpers for the System V IPC tests (101, 103, 104), sourced
# after lib.sh.

# sysv_key BASE: a key unique to this run (other tests run beside this
# one), BASE (0x10000000, 0x20000000...) telling the tests apart.
sysv_key() {
	echo "$(( (($$ & 0xffff) << 12) | (RANDOM & 0xfff) | $1 ))"
}

# ids_match DIR REGEX: the target's IDS line (in DIR/out), in IDS_LINE,
# matches REGEX, its groups in BASH_REMATCH; else the test fails.
ids_match() {
	IDS_LINE=$(grep -E '^IDS ' "$1/out") || fail "no IDS line"
	[[ $IDS_LINE =~ $2 ]] || fail "bad IDS line: $IDS_LINE"
}

# sysv_start NAME KEY RMFLAG REGEX: target NAME started on KEY in W=$T/w,
# its pid in pid, its IDS line matched by REGEX (ids_match); the objects
# of KEY removed at the end (ipcrm RMFLAG KEY).
SYSV_RM=()
sysv_rm() {
	((${#SYSV_RM[@]} == 0)) || ipcrm "${SYSV_RM[@]}" 2>/dev/null
	return 0
}
sysv_start() {
	SYSV_RM=("$3" "$2")
	CLEANUP_HOOKS+=(sysv_rm)
	w=$T/w
	start_target "$w" "$1" "$2"
	# shellcheck disable=SC2034 # pid: for the test
	pid=$TARGET_PID
	ids_match "$w" "$4"
}

# fault_restore IMAGES PID SITE: the FAULT=1 build fails the restore at
# SITE: one line, no process left, the images untouched.
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
fault_restore() {
	local d0
	[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
	d0=$(image_digest "$1")
	wait_gone "$2"
	ck_cmd env CKPT_FAULT="$3" "$FCKPT" restore --images "$1" --detach
	[[ -e /proc/$2 ]] && track_pid "$2"
	ck_assert_failed "restore with a fault at $3"
	wait_for 10 "PID $2 to be free" is_gone "$2" || fail "a process is left after a fault at $3"
	[[ $(image_digest "$1") == "$d0" ]] || fail "the restore failed at $3 changed the images"
	assert_no_strays
}
