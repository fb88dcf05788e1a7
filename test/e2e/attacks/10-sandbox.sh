# shellcheck shell=bash
# 10-sandbox.sh - sandboxes must not come off across a dump and restore
# (issue 9, item 1). Sourced by tests/45-attacks.sh; each attack checks
# the restored process's own view of itself (40-sandbox's self-check
# compares every thread's view with what it set up at start) and /proc.
#
#   caps-nnp  a root process that dropped every capability and set
#             no_new_privs must not come back with capabilities or
#             without no_new_privs
#   seccomp   a process whose seccomp filter denies mkdir (3 threads,
#             TSYNC) must not come back able to mkdir
#   groups    a process of the attacker's uid with no supplementary groups
#             must not come back with the groups of the root that restores
#             it (0 and 42 here)
# shellcheck source=test/e2e/attack.sh

# sandbox_roundtrip NAME MODE [RESTORE_WRAPPER...]: root runs 40-sandbox in
# MODE, dumps and restores it (restore run under the wrapper, if any).
# Sets SBX_PID and SBX_W; the self-check after the restore is in
# SBX_CHECK ("" if there was no restored process to ask).
sandbox_roundtrip() {
	local name=$1 mode=$2 img
	shift 2
	SBX_W=$T/sbx-$name SBX_CHECK=
	img=$T/sbx-$name.img
	start_target "$SBX_W" 40-sandbox "$mode"
	SBX_PID=$TARGET_PID
	self_check "$SBX_PID" "$SBX_W"
	dump_and_reap "$SBX_PID" "$img"
	wait_gone "$SBX_PID"
	ck_cmd "$@" "$CKPT" restore --images "$img" --detach
	[[ -e /proc/$SBX_PID ]] || return 0
	track_pid "$SBX_PID"
	sbx_ask
}

# sbx_ask: the restored process's self-check, whatever it says.
sbx_ask() {
	local n
	n=$(count_lines "$SBX_W/out" '^CHECK ')
	kill -USR2 "$SBX_PID" 2>/dev/null || return 0
	wait_for 20 "CHECK line from $SBX_PID" more_lines_than "$SBX_W/out" '^CHECK ' "$n" || return 0
	SBX_CHECK=$(grep -E '^CHECK ' "$SBX_W/out" | tail -n 1)
	log "restored $SBX_PID: $SBX_CHECK"
}

# sbx_value KEY: KEY=... of SBX_CHECK.
sbx_value() {
	local w
	for w in $SBX_CHECK; do
		[[ $w == "$1="* ]] && printf '%s\n' "${w#*=}"
	done
}

atk_caps_nnp() {
	sandbox_roundtrip caps-nnp caps-nnp
	if [[ -n $SBX_CHECK ]]; then
		[[ $(sbx_value eff) == 0 && $(sbx_value prm) == 0 && $(sbx_value bnd) == 0 ]] || {
			log "the restored process has capabilities: $SBX_CHECK"
			return 1
		}
		[[ $(sbx_value nnp) == 1 ]] || {
			log "the restored process lost no_new_privs: $SBX_CHECK"
			return 1
		}
		[[ $SBX_CHECK == "CHECK OK"* ]] || {
			log "the restored process is not what it was: $SBX_CHECK"
			return 1
		}
	fi
	kill_restored "$SBX_PID"
}

atk_seccomp() {
	sandbox_roundtrip seccomp seccomp
	if [[ -n $SBX_CHECK ]]; then
		[[ $(sbx_value mkdir) == 1 ]] || {
			log "mkdir is no longer denied (errno $(sbx_value mkdir)): $SBX_CHECK"
			return 1
		}
		[[ $SBX_CHECK == "CHECK OK"* ]] || {
			log "the restored process is not what it was: $SBX_CHECK"
			return 1
		}
	fi
	kill_restored "$SBX_PID"
}

atk_groups() {
	local w=$ATK_HOME/sbx-groups img=$T/sbx-groups.img pid groups dumper=$CKPT
	mkdir -m 0755 "$w"
	chown "$ATK_UID:$ATK_GID" "$w"
	# as_user, with no supplementary group at all
	spawn "$w" setpriv --reuid="$ATK_UID" --regid="$ATK_GID" --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "$(atk_bin 40-sandbox)" "$w" any
	pid=$TARGET_PID
	wait_ready "$pid" "$w"
	SBX_PID=$pid SBX_W=$w SBX_CHECK=
	sbx_ask
	[[ $(sbx_value groups) == 0 ]] || fail "the user's process has groups before the dump: $SBX_CHECK"
	ck_cmd "$CKPT" dump --pid "$pid" --images "$img"
	if ((CK_RC != 0)) && grep -q "cannot read rlimit" "$CK_ERR"; then
		# An older ckpt cannot dump another uid's process where root
		# lacks CAP_SYS_RESOURCE: the images come from this tree's ckpt,
		# the restore (which is attacked) is $CKPT's.
		dumper=$E2E_DIR/../../ckpt
		ck_cmd "$dumper" dump --pid "$pid" --images "$img"
	fi
	((CK_RC == 0)) || fail "dump of the user's process failed: $(ck_err_line)"
	reap "$pid"
	wait_gone "$pid"
	ck_cmd setpriv --groups=0,42 -- "$CKPT" restore --images "$img" --detach
	[[ -e /proc/$pid ]] || return 0
	track_pid "$pid"
	groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$pid/status")
	sbx_ask
	if [[ -n ${groups// /} ]]; then
		log "the restored process of uid $ATK_UID has groups [${groups# }] (getgroups: $(sbx_value groups))"
		return 1
	fi
	[[ $(sbx_value groups) == 0 ]] || {
		log "the restored process sees $(sbx_value groups) groups"
		return 1
	}
	kill_restored "$pid"
}

attack caps-nnp atk_caps_nnp
attack seccomp atk_seccomp
attack groups atk_groups
