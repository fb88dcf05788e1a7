#!/bin/bash
# 280-userns-rootless.sh - a rootless container: an ordinary user (made
# for the test) runs `unshare --user --map-root-user --uts --ipc` around
# target 280-userns, which is root inside, with its own host name and a
# System V shm segment in its own ipc namespace. Root
# dumps and restores it: the restored process is root inside again with
# every capability there (its self-check sets its host name and its uids
# again), sees the same maps, setgroups, host name and segment (owned by
# its root, attached, its words intact), and the owner of
# its user namespace is the user again; the host sees it as the user, not
# root, with the same maps and groups (one of them not mapped inside).
# `ckpt show` lists the namespace.
# e2e-timeout: 90
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/attack.sh
. "$E2E_DIR/attack.sh"
# shellcheck source=test/e2e/userns.sh
. "$E2E_DIR/userns.sh"
e2e_init
userns_init

w=$ATK_HOME/w
name=ck280-$$
# A supplementary group its namespace does not map (65534 inside): the
# restore gives it back from outside.
USERNS_EXTRA_GID=100
userns_start "$w" "$name"
pid=$USERNS_PID
userns_assert_host "$pid"
self_check "$pid" "$w"
[[ $(check_value uid) == 0 && $(check_value owner) == 0 && $(check_value host) == "$name" ]] ||
	fail "before the dump: $CHECK_LINE"

dump_and_reap "$pid" "$T/img"
ck_ok show --images "$T/img"
grep -q "uids: 0-0 -> $ATK_UID" "$CK_OUT" || fail "ckpt show does not list the user namespace's map"
restore_detached "$T/img" "$pid"
userns_assert_host "$pid"
n=$(wc -l <"$w/seq")
wait_seq_beyond "$w/seq" $((n + 20))
self_check "$pid" "$w"
[[ $(check_value uid) == 0 && $(check_value owner) == 0 && $(check_value host) == "$name" ]] ||
	fail "after the restore: $CHECK_LINE"
seq_verify "$w/seq"
kill_restored "$pid"
log "PASS: the rootless container came back, root inside, the user outside"
