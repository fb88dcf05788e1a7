#!/bin/bash
# 284-userns-tree.sh - a rootless container of several processes and a
# thread: an ordinary user runs
#     unshare --user --map-root-user --fork --pid --uts --ipc 200-ns ...
# (200-ns: pid 1 of the pid namespace, two children, one thread). Root
# dumps it by unshare; before the restore other processes take the old
# host pids of the two children and of the thread. A process inside a user
# namespace may give its children and threads their pids inside only: the
# restore must give them those (the target's self-check: its pid 1, its
# children 2 and 3, its thread's tid, all as it had them) whatever the
# host gives outside, and unshare, which knows its child by its host pid,
# must find it again (the same host pid), even when another process forks
# first and takes it (made again). Nothing gains privilege: every
# process is the user's again, in a user namespace that is not the host's.
# e2e-timeout: 120
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/attack.sh
. "$E2E_DIR/attack.sh"
# shellcheck source=test/e2e/userns.sh
. "$E2E_DIR/userns.sh"
e2e_init
userns_init

w=$ATK_HOME/tree
img=$T/images
name=ck284-$$
mkdir -m 0755 "$w"
chown "$ATK_UID:$ATK_GID" "$w"
spawn "$w" setpriv --reuid="$ATK_UID" --regid="$ATK_GID" --init-groups \
	--inh-caps=-all --bounding-set=-all -- \
	unshare --user --map-root-user --fork --pid --uts --ipc -- \
	"$E2E_TARGETS/200-ns" "$w" hostname "$name" children 2 threads 1
uns=$TARGET_PID
wait_for 20 "the target to start" has_line "$w/out" '^(READY|FATAL)' || fail "the target never said READY"
has_line "$w/out" '^FATAL' && fail "target set-up failed: $(grep -m1 '^FATAL' "$w/out")"
pid=$(sed -n 's/^HOST pid=\([0-9]*\) .*/\1/p' "$w/out")
[[ -n $pid ]] || fail "no HOST line from the target"
track_pid "$pid"
self_check "$pid" "$w"
[[ $(check_value pid) == 1 && $(check_value kids) == 2,3 ]] ||
	fail "inside: pid=$(check_value pid) kids=$(check_value kids), want 1 and 2,3"
tids0=$(check_value tids)

# Per process (and thread): its comm and its pids inside (NSpid but the
# host's), its ids, its user namespace (the host's or not); then the host
# pids of the children and the thread, which the restore may change.
inside_view() {
	local p t
	for p in $(tree_pids "$uns"); do
		for t in /proc/"$p"/task/*; do
			printf '%s inner=%s %s userns-host=%s\n' "$(cat "$t/comm")" \
				"$(sed -n 's/^NSpid:\s*[0-9]*//p' "$t/status" | tr -s '\t ' ' ')" \
				"$(grep -E '^(Uid|Gid|CapEff):' "$t/status" | tr -s '\t ' ' ' | paste -s -d ' ')" \
				"$([[ $(readlink "/proc/$p/ns/user") == "$(readlink /proc/self/ns/user)" ]] && echo yes || echo no)"
		done
	done | sort
}
host_ids() {
	local t
	for t in /proc/"$pid"/task/*; do [[ ${t##*/} != "$pid" ]] && printf '%s\n' "${t##*/}"; done
	for t in $(tree_pids "$pid"); do [[ $t != "$pid" ]] && printf '%s\n' "$t"; done
}
view0=$(inside_view)
log "inside view:"$'\n'"$view0"
grep -q 'userns-host=yes' <<<"$view0" && fail "a process of the container is in the host's user namespace"
n=$(grep -c "Uid: $ATK_UID $ATK_UID $ATK_UID $ATK_UID" <<<"$view0")
((n == 5)) || fail "$n of the 5 tasks (unshare, the target, its thread, its 2 children) run as the user"
mapfile -t old < <(host_ids)
((${#old[@]} == 3)) || fail "want the thread and 2 children of $pid, found: ${old[*]}"

dump_tree "$uns" "$img"

# The old host pids of the thread and the children taken by others.
TAKERS=()
take_pid() {
	local want=$1 i
	for ((i = 0; i < 50; i++)); do
		[[ -e /proc/$want ]] && return 1
		echo $((want - 1)) >/proc/sys/kernel/ns_last_pid
		sleep 600 >/dev/null 2>&1 &
		track_pid "$!"
		if (($! == want)); then
			TAKERS+=("$!")
			return 0
		fi
		kill -9 "$!" 2>/dev/null
		wait "$!" 2>/dev/null
	done
	return 1
}
for p in "${old[@]}"; do
	take_pid "$p" || fail "cannot take pid $p"
done
log "old host pids taken: ${TAKERS[*]}"

# Another process forks first and takes the pid the restore wants for
# unshare's child (the fault build: ckpt's ns_last_pid one too far): its
# creator makes it again, the restore goes on.
FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
CKPT=$FCKPT CKPT_FAULT=restore_last_pid@1 restore_tree "$img" "$uns"
self_check "$pid" "$w"
[[ $(check_value pid) == 1 && $(check_value kids) == 2,3 && $(check_value tids) == "$tids0" &&
	$(check_value hostname) == "$name" ]] ||
	fail "after the restore: pid=$(check_value pid) kids=$(check_value kids) tids=$(check_value tids) hostname=$(check_value hostname), want 1, 2,3, $tids0, $name"
assert_same "the container's tasks, inside" "$view0" "$(inside_view)"
mapfile -t new < <(host_ids)
for p in "${new[@]}"; do
	for o in "${old[@]}"; do
		((p != o)) || fail "a restored task has host pid $p, which another process holds"
	done
done
log "host pids: ${old[*]} -> ${new[*]}"
kill_tree "${TREE_PIDS[@]}"
for p in "${TAKERS[@]}"; do kill -9 "$p" 2>/dev/null; done
wait "${TAKERS[@]}" 2>/dev/null
assert_no_strays
