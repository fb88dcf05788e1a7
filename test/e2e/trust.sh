# shellcheck shell=bash
# trust.sh - helpers for the tests of the trust model (attacks/30-images.sh,
# attacks/40-paths.sh, tests/48-trust-sets.sh), on top of attack.sh: a
# process of the test user, image sets of it, and what a restored process
# was given.
#
#   atk_spawn WORKDIR TARGET [ARGS...]
#                              TARGET run by the user in WORKDIR (made by
#                              the user); waits READY; sets TARGET_PID
#   atk_set WORKDIR IMAGES     the user's 41-trust process, dumped by root
#                              into IMAGES, which is then handed to the user
#                              (chown -R) as if the user had made it; sets
#                              ATK_PID
#   atk_dump PID IMAGES        dump_and_reap with CKPT_DUMP
#   atk_imgedit ARGS...        build/tools/imgedit run as the user
#   file_index IMAGES REGEX    index in files.img of the one file whose path
#                              matches REGEX
#   root_secret VAR [SIZE]     a root-only file (0600 in a 0700 directory)
#                              of SIZE bytes (default 64 KiB); its path
#   fd_on PID PATH             true if PID holds an fd on PATH
#   opened_during FILE CMD...  run CMD (through ck_cmd); OPENED is the
#                              number of opens and reads of FILE meanwhile
# shellcheck source=test/e2e/attack.sh
# ATK_UID, ATK_GID, ATK_HOME: attack.sh's.
# shellcheck disable=SC2153

IMGEDIT=${IMGEDIT:-$PWD/build/tools/imgedit}
# What is attacked is the restore: sets are made by the ckpt of this tree
# even when CKPT is another (an old ckpt cannot dump another user's
# process where root lacks CAP_SYS_RESOURCE, as in some containers).
CKPT_DUMP=${CKPT_DUMP:-$PWD/ckpt}

atk_spawn() {
	local w=$1 bin
	bin=$(atk_bin "$2")
	as_user mkdir -p "$w" || fail "cannot make $w as $ATK_USER"
	# The target's stdout and stderr are files of the user's, as they
	# would be: a restore limited to the user reopens them as the user.
	as_user touch "$w/out" "$w/err" || fail "cannot make $w/out as $ATK_USER"
	spawn "$w" setpriv --reuid="$ATK_UID" --regid="$ATK_GID" --init-groups \
		--inh-caps=-all --bounding-set=-all -- "$bin" "$w" "${@:3}"
	wait_ready "$TARGET_PID" "$w"
}

atk_dump() {
	# shellcheck disable=SC2034 # ck, under dump_and_reap, runs $CKPT
	local CKPT=$CKPT_DUMP
	dump_and_reap "$@"
}

atk_set() {
	atk_spawn "$1" 41-trust
	ATK_PID=$TARGET_PID
	self_check "$ATK_PID" "$1"
	atk_dump "$ATK_PID" "$2"
	chown -R "$ATK_UID:$ATK_GID" "$2" || fail "cannot chown $2"
}

# atk_restore_ended PID WHAT: after `ck restore` of an edited set, once
# the harm was looked for: restored without it (the edit ignored), or
# refused as a failed restore is (one line, nothing left of PID).
atk_restore_ended() {
	[[ -e /proc/$1 ]] && track_pid "$1"
	((CK_RC == 0)) && return 0
	ck_assert_failed "$2"
	wait_for 10 "PID $1 to be free" is_gone "$1" || fail "PID $1 left after the failed restore"
}

atk_imgedit() {
	local dst=$ATK_HOME/bin/imgedit
	[[ -x $IMGEDIT ]] || fail "$IMGEDIT not built"
	[[ -e $dst ]] || install -m 0755 "$IMGEDIT" "$dst" || fail "cannot copy $IMGEDIT"
	log "+ (as $ATK_USER) imgedit $*"
	as_user "$dst" "$@" || fail "imgedit $* failed"
}

file_index() { # IMAGES REGEX
	local line
	line=$("$IMGEDIT" "$1" files.img | grep -E "^files\[[0-9]+\]\.path=$2\$")
	[[ $(wc -l <<<"$line") == 1 && -n $line ]] || fail "no single file matching '$2' in $1/files.img"
	line=${line#files[}
	printf '%s\n' "${line%%]*}"
}

root_secret() { # VAR [SIZE]
	local dir f
	new_tmp dir
	chmod 0700 "$dir"
	f=$dir/secret
	head -c "${2:-65536}" /dev/urandom >"$f" || fail "cannot write $f"
	chmod 0600 "$f"
	printf -v "$1" '%s' "$f"
}

fd_on() { # PID PATH
	local fd
	for fd in /proc/"$1"/fd/*; do
		[[ $(readlink "$fd" 2>/dev/null) == "$2" ]] && return 0
	done
	return 1
}

opened_during() { # FILE CMD...
	local file=$1 report=${TMPDIRS[0]}/opened
	shift
	rm -f -- "$report"
	ck_cmd "$PYTHON" -I -S "$E2E_DIR/py/opened_during.py" "$file" "$report" "$@"
	[[ -s $report ]] || fail "no report from opened_during.py"
	OPENED=$(awk '{ print $2 }' "$report")
	log "  $file: $OPENED opens or reads meanwhile"
}
