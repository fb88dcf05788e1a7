#!/bin/bash
# 120-tcp-states.sh - TCP connections while they close (120-tcp-states):
# FIN_WAIT1 (our FIN sent, or waiting behind bytes), FIN_WAIT2, CLOSE_WAIT,
# LAST_ACK, CLOSING, a pair of both inside the tree, one done (CLOSE) with
# its fd open, and a connect in flight (SYN_SENT); IPv4 then IPv6. A dump
# with --leave-running first leaves them all as they were. The peer ends are in a process outside the
# dumped tree. After the restore, both ends are in the states they were in
# (their own view and `ss -tan`), with the same bytes to read; then, used to
# their end, each side gets every byte and the other's FIN exactly where it
# was, writes go where the state lets them and fail with EPIPE where not,
# and each connection reaches the state its FINs take it to. Images where a
# CLOSE_WAIT connection claims a FIN of its own waiting, or FIN_WAIT2 bytes
# not acknowledged, are refused at restore.
# e2e-timeout: 200
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init
IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
[[ -x $IMGEDIT ]] || fail "no $IMGEDIT (make build/tools/imgedit)"

# ss_state MPORT PPORT: the state ss shows for main's end.
ss_state() {
	ss -Htan "( sport = :$1 and dport = :$2 )" | awk '{ print $1; exit }'
}

# conns_as_before W: every connection of main, and its peer's end, in the
# state it was in before the dump (ss).
conns_as_before() {
	local name mport pport mstate pstate got
	while read -r _ name mport pport mstate pstate; do
		got=$(ss_state "$mport" "$pport")
		[[ $got == "$mstate" ]] || {
			log "$name: main's end is '$got', want $mstate"
			return 1
		}
		[[ $pstate == LISTEN ]] && continue
		got=$(ss_state "$pport" "$mport")
		[[ $got == "$pstate" ]] || {
			log "$name: the peer's end is '$got', want $pstate"
			return 1
		}
	done < <(grep '^CONN ' "$1/out")
}

# hostile_copy IMAGES PID NAME STATE EDIT: a copy of IMAGES where EDIT is
# made to the first socket in STATE (a number); its restore must fail cleanly.
hostile_copy() {
	local bad=$T/bad-$3 i d0
	cp -a "$1" "$bad"
	i=$("$IMGEDIT" "$bad" files.img | sed -n "s/^files\[\([0-9]*\)\]\.inet_sk\.state=$4\$/\1/p" | head -n 1)
	[[ -n $i ]] || fail "no socket in state $4 in the images"
	"$IMGEDIT" "$bad" files.img "files[$i].inet_sk.$5" || fail "imgedit failed"
	d0=$(image_digest "$bad")
	# expect_restore_fail, but the peer runs on in our session.
	ck restore --images "$bad" --detach
	[[ -e /proc/$2 ]] && track_pid "$2"
	ck_assert_failed "restore of a connection with $3"
	wait_for 10 "PID $2 to be free" is_gone "$2" || fail "PID $2 exists after the failed restore"
	[[ $(image_digest "$bad") == "$d0" ]] || fail "the failed restore changed the images"
	rm -rf -- "$bad"
}

states_roundtrip() { # 4|6
	local w=$T/w$1 img=$T/images$1 peer main n
	start_target "$w" 120-tcp-states "$1"
	peer=$TARGET_PID
	wait_for 10 "MAIN line" has_line "$w/out" '^MAIN pid=' || fail "no MAIN line from the target"
	main=$(sed -n 's/^MAIN pid=//p' "$w/out")
	track_pid "$main"
	wait_ready "$main" "$w/main"
	n=$(count_lines "$w/out" '^CONN ')
	((n == 7)) || fail "the target lists $n connections, want 7"
	conns_as_before "$w" || fail "the connections are not in the states they were made for"
	self_check "$peer" "$w"
	self_check "$main" "$w/main"

	# A dump that leaves main running leaves every connection as it was.
	ck_ok dump --leave-running --pid "$main" --images "$img-lr"
	self_check "$main" "$w/main"
	self_check "$peer" "$w"
	conns_as_before "$w" || fail "after dump --leave-running the connections are not in their states"

	ck_ok dump --pid "$main" --images "$img"
	wait_for 10 "main to be gone" is_gone "$main" || fail "main survived the dump: $(describe_pid "$main")"
	hostile_copy "$img" "$main" unsent-fin 8 "tcp.fin_unsent=1"
	hostile_copy "$img" "$main" unacked-fin2 5 "tcp.send_queue=xyz"
	restore_detached "$img" "$main"
	self_check "$main" "$w/main"
	self_check "$peer" "$w"
	wait_for 10 "the states of before (ss)" conns_as_before "$w" ||
		fail "after the restore the connections are not in their states: $(ss -Htan | grep -E 'FIN|WAIT|LAST|CLOSING' | head -n 12 | tr '\n' ';')"

	touch "$w/final"
	self_check "$peer" "$w" 90
	[[ $(check_value final) == 1 ]] || fail "the peer did not use its connections"
	touch "$w/main/final"
	self_check "$main" "$w/main" 60
	[[ $(check_value final) == 1 ]] || fail "main did not use its connections"
	touch "$w/final2"
	self_check "$peer" "$w" 30
	[[ $(check_value final2) == 1 ]] || fail "the peer did not read main's last bytes"
	kill_restored "$main"
	kill "$peer"
	reap "$peer"
}

states_roundtrip 4
states_roundtrip 6
assert_no_strays
