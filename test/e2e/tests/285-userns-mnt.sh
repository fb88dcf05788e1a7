#!/bin/bash
# 285-userns-mnt.sh - the mount namespace of a rootless container: an
# ordinary user runs
#     unshare --user --map-root-user --fork --pid --mount --mount-proc sh -c
#         'mount -t tmpfs ... W/m; echo ... >W/m/note; exec 200-ns W children 1'
# The namespace belongs to the user's user namespace; the host's mounts it
# inherited are locked together there. A restore must make it again
# inside that user namespace (its root may then change it as before: the
# target umounts nothing, but the tmpfs must be the container's own, with
# the user's file, and /proc its pid namespace's). Each step that makes it
# failed in turn (fault build): the restore fails with one line, leaves no
# process and the images untouched. Then the restore works: the target's
# pid, child and file are back, and nothing outside sees the tmpfs.
# e2e-timeout: 120
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/attack.sh
. "$E2E_DIR/attack.sh"
# shellcheck source=test/e2e/userns.sh
. "$E2E_DIR/userns.sh"
e2e_init
userns_init
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"

w=$ATK_HOME/mnt
img=$T/images
note=note-285-$$
mkdir -m 0755 "$w" "$w/m"
chown "$ATK_UID:$ATK_GID" "$w" "$w/m"
# shellcheck disable=SC2016 # expanded by the shell inside
spawn "$w" setpriv --reuid="$ATK_UID" --regid="$ATK_GID" --init-groups \
	--inh-caps=-all --bounding-set=-all -- \
	unshare --user --map-root-user --fork --pid --mount --mount-proc -- \
	sh -c 'set -e; mount -t tmpfs -o size=1m tmpfs "$1/m"; printf "%s\n" "$2" >"$1/m/note"
		exec "$0" "$1" children 1' "$E2E_TARGETS/200-ns" "$w" "$note"
uns=$TARGET_PID
wait_for 20 "the target to start" has_line "$w/out" '^(READY|FATAL)' ||
	fail "the target never said READY: $(head -c 300 "$w/err")"
has_line "$w/out" '^FATAL' && fail "target set-up failed: $(grep -m1 '^FATAL' "$w/out")"
# Its HOST line is from the container's /proc: found from outside.
pid=
for p in $(tree_pids "$uns"); do
	[[ $(sed -n 's/^NSpid:.*\s\([0-9]*\)$/\1/p' "/proc/$p/status") == 1 ]] && pid=$p
done
[[ -n $pid && $pid != 1 ]] || fail "no pid 1 of the container under $uns"
track_pid "$pid"
self_check "$pid" "$w"
[[ $(check_value pid) == 1 ]] || fail "inside: $CHECK_LINE"
kids0=$(check_value kids)
# What the container sees of its mounts: its tmpfs with the file, its proc.
mnt_view() {
	printf 'note=%s\n' "$(cat "/proc/$pid/root$w/m/note")"
	# mount point, type, and the options of the filesystem (after " - ").
	sed -n 's/^[0-9]* [0-9]* [0-9:]* [^ ]* \([^ ]*\) .* - \([^ ]*\) [^ ]* \(.*\)$/\1 \2 \3/p' \
		"/proc/$pid/mountinfo" | grep -E "^($w/m|/proc) " | sort
	printf 'owner=%s\n' "$(stat -c %u "/proc/$pid/root$w/m/note")"
	printf 'userns=%s\n' "$([[ $(readlink "/proc/$pid/ns/user") == "$(readlink /proc/self/ns/user)" ]] && echo host || echo own)"
}
view0=$(mnt_view)
log "mounts: $view0"
grep -q "^note=$note$" <<<"$view0" || fail "the container's tmpfs has no note: $view0"
[[ -e $w/m/note ]] && fail "the host sees the container's tmpfs"

dump_tree "$uns" "$img"
# shellcheck disable=SC2034 # read by restore_faults_leave_nothing
mapfile -t pids < <(printf '%s\n' "${TREE_PIDS[@]}")

# Each step that makes the namespace, failed: nothing is left.
restore_faults_leave_nothing "$img" pids restore_mnt_userns_fork restore_mnt_userns

restore_tree "$img" "$uns"
self_check "$pid" "$w"
[[ $(check_value pid) == 1 && $(check_value kids) == "$kids0" ]] || fail "after the restore: $CHECK_LINE"
assert_same "the container's mounts" "$view0" "$(mnt_view)"
[[ -e $w/m/note ]] && fail "the host sees the container's tmpfs after the restore"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
