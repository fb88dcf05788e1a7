#!/bin/bash
# 282-userns-refused.sh - what ckpt does not restore in a user namespace is
# refused at dump with one line, the container untouched: a user namespace
# nested in another, and one whose uts namespace was
# made before it (by root: it belongs to the host's user namespace, and a
# restore would make it inside). Each container runs on afterwards, not
# traced, its self-check passing.
# e2e-timeout: 90
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/attack.sh
. "$E2E_DIR/attack.sh"
# shellcheck source=test/e2e/userns.sh
. "$E2E_DIR/userns.sh"
e2e_init
userns_init

# refused W PID ROOT WHY: the dump of ROOT fails naming WHY; the target
# PID (in W) is fine afterwards.
refused() {
	local w=$1 pid=$2 root=$3 why=$4
	mkdir "$T/d$pid"
	ck_fails "dump of $root" dump --pid "$root" --images "$T/d$pid/images"
	grep -q -- "$why" "$CK_ERR" || fail "the error does not say '$why': $(ck_err_line)"
	[[ $(wc -l <"$CK_ERR") == 1 ]] || fail "more than one line on stderr"
	assert_dump_left_nothing "$T/d$pid"
	assert_not_traced "$root"
	assert_still_fine "$pid" "$w" 0
}

# Nested: the target made its user namespace inside the user's one.
w=$ATK_HOME/nested
mkdir -m 0755 "$w"
chown "$ATK_UID:$ATK_GID" "$w"
spawn "$w" setpriv --reuid="$ATK_UID" --regid="$ATK_GID" --init-groups \
	--inh-caps=-all --bounding-set=-all -- \
	unshare --user --map-root-user -- \
	unshare --user --map-root-user --uts --ipc -- "$USERNS_BIN" "$w" "ck282n-$$"
wait_ready "$TARGET_PID" "$w"
refused "$w" "$TARGET_PID" "$TARGET_PID" "nested in another"
# A uts namespace made by root before the user made its user namespace:
# it belongs to the host's, and would come back belonging to the user's.
w=$ATK_HOME/before
mkdir -m 0755 "$w"
chown "$ATK_UID:$ATK_GID" "$w"
spawn "$w" unshare --uts -- setpriv --reuid="$ATK_UID" --regid="$ATK_GID" --init-groups \
	--inh-caps=-all --bounding-set=-all -- \
	unshare --user --map-root-user --ipc -- "$USERNS_BIN" "$w" -
wait_ready "$TARGET_PID" "$w"
refused "$w" "$TARGET_PID" "$TARGET_PID" "its uts namespace belongs to another user namespace"
log "PASS: all three refused at dump, the containers run on"
