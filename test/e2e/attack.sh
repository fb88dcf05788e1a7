# shellcheck shell=bash
# attack.sh - helpers for the security tests (test/e2e/attacks/*.sh, run
# by tests/45-attacks.sh): an ordinary user made for the test, and a
# ledger of attacks tried and stopped.
#
# attack_init creates the user (useradd, a name of its own per run) and a
# home directory it owns (ATK_HOME, mode 0755, under /tmp); both go at exit
# with every process of that uid, even when the test fails. Then:
#
#   as_user CMD...        run CMD as the user (its uid, gid, own group only,
#                         no capabilities)
#   atk_bin NAME          copy build/targets/NAME where the user can run it
#                         (ATK_HOME/bin) and print the path
#   attack NAME FUNC      run FUNC in a subshell: exit 0 means the attack was
#                         stopped, anything else that it worked (its last
#                         line on stderr says how); logs the outcome
#   attack_summary        prints "attacks: N tried, M stopped" and fails
#                         unless M == N
#
# An attack function checks the outcome the way the attacker would see it
# (the restored process's own view, a file's contents, who owns what), not
# only ckpt's exit status: "ckpt failed" is not enough when the harm is
# done before the failure.
# shellcheck source=test/e2e/lib.sh

ATK_USER= ATK_UID= ATK_GID= ATK_HOME=
ATK_TRIED=0 ATK_STOPPED=0
ATK_WORKED=()

attack_cleanup() {
	[[ -n $ATK_USER ]] || return 0
	pkill -KILL -U "$ATK_UID" 2>/dev/null
	wait_for 10 "processes of $ATK_USER to end" no_user_procs || true
	userdel "$ATK_USER" 2>/dev/null
	ATK_USER=
}

no_user_procs() { ! pgrep -U "$ATK_UID" >/dev/null; }

attack_init() {
	command -v useradd >/dev/null || skip "no useradd"
	command -v setpriv >/dev/null || skip "no setpriv"
	ATK_USER=ckatk$$
	CLEANUP_HOOKS+=(attack_cleanup)
	useradd --no-create-home --user-group --shell /bin/sh "$ATK_USER" ||
		fail "useradd $ATK_USER failed"
	ATK_UID=$(id -u "$ATK_USER") ATK_GID=$(id -g "$ATK_USER")
	new_tmp ATK_HOME
	chmod 0755 "$ATK_HOME"
	chown "$ATK_UID:$ATK_GID" "$ATK_HOME"
	mkdir -m 0755 "$ATK_HOME/bin"
	log "attacker: $ATK_USER uid $ATK_UID gid $ATK_GID home $ATK_HOME"
}

as_user() {
	setpriv --reuid="$ATK_UID" --regid="$ATK_GID" --init-groups \
		--inh-caps=-all --bounding-set=-all -- "$@"
}

atk_bin() {
	local src=$E2E_TARGETS/$1 dst=$ATK_HOME/bin/$1
	[[ -x $src ]] || fail "target $src not built"
	[[ -e $dst ]] || install -m 0755 "$src" "$dst" || fail "cannot copy $src"
	printf '%s\n' "$dst"
}

# The processes an attack tracks and the directories it makes are known
# only in its subshell: its exit cleans them (keeping its status).
attack_subshell_cleanup() {
	local rc=$? i
	TRACKED=("${TRACKED[@]:ATK_NR_TRACKED}")
	kill_tracked
	for ((i = ATK_NR_TMPDIRS; i < ${#TMPDIRS[@]}; i++)); do
		[[ ${E2E_KEEP:-0} == 1 ]] || rm -rf -- "${TMPDIRS[i]}"
	done
	exit "$rc"
}

attack() { # NAME FUNC
	local name=$1 rc ATK_NR_TMPDIRS=${#TMPDIRS[@]} ATK_NR_TRACKED=${#TRACKED[@]}
	log "==== attack $name"
	(
		set -u
		trap attack_subshell_cleanup EXIT
		"$2"
	)
	rc=$?
	ATK_TRIED=$((ATK_TRIED + 1))
	if ((rc == 0)); then
		ATK_STOPPED=$((ATK_STOPPED + 1))
		log "attack $name: stopped"
	else
		ATK_WORKED+=("$name")
		log "attack $name: WORKED"
	fi
	# Whatever the attack left running as the user goes before the next.
	pkill -KILL -U "$ATK_UID" 2>/dev/null
	wait_for 10 "processes of $ATK_USER to end" no_user_procs || true
}

attack_summary() {
	printf 'attacks: %d tried, %d stopped\n' "$ATK_TRIED" "$ATK_STOPPED"
	log "attacks: $ATK_TRIED tried, $ATK_STOPPED stopped"
	((ATK_TRIED > 0)) || fail "no attack was tried"
	((ATK_STOPPED == ATK_TRIED)) || fail "attacks that worked: ${ATK_WORKED[*]}"
}
