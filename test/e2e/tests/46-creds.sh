#!/bin/bash
# 46-creds.sh - credentials and security state come back exactly, per
# thread, as each thread of 40-sandbox sees them itself (capget, bounding
# and ambient sets, no_new_privs, securebits, uids, gids, groups, seccomp,
# whether mkdir is denied, parent-death signal, dumpable, loginuid) and as
# /proc/PID/task/TID/status shows them: a root process that dropped every
# capability and set no_new_privs; seccomp filters shared by 3 threads
# (TSYNC), also with a filter that kills on the calls a restore makes,
# and with a thread that has a filter of its own; uid 65534 with a partial
# capability set, an ambient capability, locked securebits and groups;
# a process with no supplementary groups. ckpt restores as a root whose
# own groups are 0 and 42: none of them may leak into a process.
# ckpt check says whether seccomp filters can be dumped. Then what cannot
# be exact is refused with one line: a dump by a ckpt
# that may not read seccomp filters (the target runs on untouched); a
# restore by a ckpt that lacks a capability the process had, or has
# no_new_privs, or cannot set the loginuid back (nothing is left behind).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

# The security lines of every thread's /proc status.
sec_snapshot() {
	local t
	for t in /proc/"$1"/task/*; do
		printf 'thread %s\n' "${t##*/}"
		grep -E '^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|Seccomp_filters):' "$t/status"
	done
	printf 'loginuid %s\n' "$(cat "/proc/$1/loginuid" 2>/dev/null)"
}

# ckpt restore --detach run with supplementary groups 0 and 42.
restore_as_grouped_root() { # IMAGES PID
	wait_gone "$2"
	ck_cmd setpriv --groups=0,42 -- "$CKPT" restore --images "$1" --detach
	((CK_RC == 0)) || fail "ckpt restore failed (exit $CK_RC): $(ck_err_line)"
	[[ -e /proc/$2 ]] || fail "ckpt restore returned but PID $2 does not exist"
	track_pid "$2"
}

# roundtrip NAME MODE [ARGS]: start 40-sandbox in MODE, self-check, dump,
# restore; the same /proc view and the self-check passes. Leaves the
# restored process running (PID) with its CHECK_LINE.
roundtrip() {
	local name=$1 w=$T/$1 img=$T/$1.img s0
	shift
	log "==== $name"
	start_target "$w" 40-sandbox "$@"
	PID=$TARGET_PID
	self_check "$PID" "$w"
	s0=$(sec_snapshot "$PID")
	dump_and_reap "$PID" "$img"
	ck_ok show --images "$img"
	SHOW=$T/$name.show
	cp "$CK_OUT" "$SHOW"
	grep -q "creds: uid" "$SHOW" || fail "$name: ckpt show prints no creds"
	restore_as_grouped_root "$img" "$PID"
	assert_same "$name: security state in /proc" "$s0" "$(sec_snapshot "$PID")"
	assert_not_traced "$PID"
	self_check "$PID" "$w"
	IMG=$img
}

want() { # KEY VALUE
	[[ $(check_value "$1") == "$2" ]] || fail "$1=$(check_value "$1"), want $2 ($CHECK_LINE)"
}

roundtrip caps-nnp caps-nnp
want prm 0
want eff 0
want bnd 0
want nnp 1
grep -q "nnp yes" "$SHOW" || fail "ckpt show does not say nnp yes"
kill_restored "$PID"
CAPS_IMG=$IMG CAPS_PID=$PID

roundtrip seccomp seccomp
want threads 3
want seccomp 2
want filters 1
want mkdir 1 # EPERM
grep -q "seccomp filter (1 filters)" "$SHOW" || fail "ckpt show does not show the filter"
kill_restored "$PID"
SECCOMP_IMG=$IMG SECCOMP_PID=$PID

# A filter that kills the process on munmap, capset, setresuid...: the
# restore makes those calls after the filters are in place.
roundtrip seccomp-hard seccomp-hard
want filters 2
want mkdir 1
kill_restored "$PID"

roundtrip seccomp-split seccomp-split
want filters 1
# thread 1's own filter (two filters) was checked by its self-check
grep -A1 -E "^  thread [0-9]+ creds:" "$SHOW" | grep -q "seccomp filter (2 filters)" ||
	fail "ckpt show does not show thread 1's own chain"
kill_restored "$PID"

# A thread in strict mode: only read, write, exit and sigreturn.
roundtrip seccomp-strict seccomp-strict
want strict yes
kill_restored "$PID"

# An ordinary user's filter, installed under no_new_privs.
roundtrip user-seccomp user-seccomp 65534 65534
want uid 65534
want nnp 1
want filters 1
want mkdir 1
kill_restored "$PID"

# Our remote calls bypass the filters only while we trace the process.
log "==== dump --leave-running of a process under seccomp"
w=$T/leave
start_target "$w" 40-sandbox seccomp-hard
pid=$TARGET_PID
ck_ok dump --pid "$pid" --images "$T/leave.img" --leave-running
assert_still_fine "$pid" "$w" 0
want filters 2
want mkdir 1
kill -9 "$pid"
reap "$pid"

roundtrip partial partial
want uid 65534
want prm 0x2401
want eff 0x400
want inh 0x2400
want amb 0x400
want secbits 0x13
want groups 2
kill_restored "$PID"

roundtrip no-groups user 65534 65534
want groups 0
want uid 65534
grep -q '^Groups:[[:space:]]*$' "/proc/$PID/status" || fail "restored groups: $(grep Groups: "/proc/$PID/status")"
kill_restored "$PID"

# ---- refused ----

# ckpt check tells whether seccomp filters can be dumped, and what is
# refused without it: here yes, and no for a ckpt under seccomp.
ck_ok check
grep -qE '^ptrace SECCOMP_GET_FILTER +ok ' "$CK_OUT" || fail "ckpt check: $(grep SECCOMP_GET "$CK_OUT")"
ck_cmd "$E2E_TARGETS/40-sandbox" exec-filtered "$CKPT" check
grep -qE '^ptrace SECCOMP_GET_FILTER +NO +.*without it, processes under seccomp filters are refused' "$CK_OUT" ||
	fail "ckpt check under seccomp: $(grep SECCOMP_GET "$CK_OUT")"

# A ckpt under seccomp may not read the filters: the dump is refused before
# anything is done to the process.
log "==== dump by a ckpt that cannot read seccomp filters"
w=$T/refuse-dump
start_target "$w" 40-sandbox seccomp
pid=$TARGET_PID
send_usr1 "$pid" "$w" 1
ck_cmd "$E2E_TARGETS/40-sandbox" exec-filtered "$CKPT" dump --pid "$pid" --images "$T/refused.img"
ck_assert_failed "dump of a seccomp process by a filtered ckpt"
grep -q "seccomp" "$CK_ERR" || fail "the refusal does not name seccomp: $(ck_err_line)"
[[ ! -e $T/refused.img ]] || fail "the refused dump left '$T/refused.img'"
assert_still_fine "$pid" "$w" 1
self_check "$pid" "$w"
want mkdir 1
kill -9 "$pid"
reap "$pid"

# restore_refused IMAGES PID WHY_REGEX WRAPPER...: IMAGES restored by
# ckpt run under WRAPPER fails with one line matching WHY_REGEX, leaves no
# process and does not touch the images.
restore_refused() {
	local img=$1 pid=$2 why=$3 d0
	shift 3
	d0=$(image_digest "$img")
	wait_gone "$pid"
	ck_cmd "$@" "$CKPT" restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	ck_assert_failed "restore by $*"
	grep -qE "$why" "$CK_ERR" || fail "the refusal does not say '$why': $(ck_err_line)"
	wait_for 10 "PID $pid to be free" is_gone "$pid" ||
		fail "PID $pid exists after the failed restore"
	[[ $(image_digest "$img") == "$d0" ]] || fail "the failed restore changed the images"
	assert_no_strays
}

# The restorer lacks CAP_NET_RAW, which the process had: it cannot come
# back as it was, so it does not come back (refused before anything is
# created).
log "==== restore by a ckpt without CAP_NET_RAW"
restore_refused "$SECCOMP_IMG" "$SECCOMP_PID" "capabilities 0x2000 that ckpt itself lacks" \
	setpriv --bounding-set=-net_raw --
# The restorer runs with no_new_privs, which every process it creates
# inherits and cannot shed: the check after the restore finds it.
log "==== restore by a ckpt with no_new_privs"
restore_refused "$SECCOMP_IMG" "$SECCOMP_PID" "thread [0-9]+ has NoNewPrivs 1, the image says 0" \
	setpriv --no-new-privs --
# The restorer has loginuid 777 and no CAP_AUDIT_CONTROL: the process,
# whose loginuid was unset, cannot have it back.
log "==== restore where the loginuid cannot be set back"
# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
restore_refused "$CAPS_IMG" "$CAPS_PID" "cannot set its loginuid to 4294967295" \
	sh -c 'echo 777 >/proc/self/loginuid && exec "$0" "$@"' \
	setpriv --bounding-set=-audit_control --
