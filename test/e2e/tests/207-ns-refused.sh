#!/bin/bash
# 207-ns-refused.sh - namespaces a dump cannot take are refused with one
# line naming the process and the namespace, before the tree is touched:
# no image set is left, every process runs on, not traced, not stopped.
#  - a process of a kind `ckpt check` says is not saved (if any is left);
#  - a process that made a pid namespace for children it has none of
#    (`unshare --pid` without --fork: its pid_for_children);
#  - a tree whose root is in a namespace its parent made (a process inside
#    a container, without the container's own processes);
# (a process that entered one with setns: test 64). `ckpt check` lists
# every kind, saved or refused.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
mkdir -p "$T/d"
ck check
for k in pid mnt net ipc uts user cgroup time; do
	grep -qE "^  $k +namespace: (saved and restored|refused)" "$CK_OUT" ||
		fail "ckpt check says nothing of $k namespaces: $(grep namespace "$CK_OUT" | tr '\n' ' ')"
done
for k in pid ipc uts cgroup time; do
	grep -qE "^  $k +namespace: saved and restored" "$CK_OUT" ||
		fail "ckpt check: $(grep -E "^  $k " "$CK_OUT")"
done

# refused NAME WHY_REGEX PID...: a dump of the first PID fails saying
# WHY_REGEX; all PIDs run on untouched.
refused() {
	local what=$1 why=$2 p
	shift 2
	ck_fails "dump of $what" dump --pid "$1" --images "$T/d/images"
	grep -qE "$why" "$CK_ERR" || fail "dump of $what: the error does not say '$why': $(ck_err_line)"
	[[ $(wc -l <"$CK_ERR") == 1 ]] || fail "dump of $what: more than one line: $(ck_err_line)"
	assert_dump_left_nothing "$T/d"
	for p in "$@"; do
		is_dead "$p" && fail "dump of $what: process $p died"
		assert_not_traced "$p"
	done
}

# A kind ckpt does not save (the first that check lists as refused).
kind=$(sed -n 's/^  \([a-z]*\) *namespace: refused (ckpt does not save it)$/\1/p' "$CK_OUT" | head -n 1)
declare -A flag=([mnt]=--mount [net]=--net [user]=--user)
if [[ -n $kind && -n ${flag[$kind]:-} ]]; then
	w=$T/w1
	mkdir -p "$w"
	spawn "$w" unshare "${flag[$kind]}" sleep 1000
	p=$TARGET_PID
	in_own() { [[ $(readlink "/proc/$p/ns/$kind") != "$(readlink "/proc/self/ns/$kind")" ]]; }
	wait_for 10 "sleep to run in its $kind namespace" in_own || fail "no process in a new $kind namespace"
	refused "a process in a $kind namespace" "process $p \('sleep'\) is in a $kind namespace of its own \(not supported\)" "$p"
	kill -9 "$p"
else
	log "every kind is saved: no kind to refuse"
fi

# unshare --pid without --fork: sleep runs in ckpt's pid namespace, its
# children would be in one nobody is in.
w=$T/w2
mkdir -p "$w"
spawn "$w" unshare --pid sleep 1000
p=$TARGET_PID
made() { [[ $(readlink "/proc/$p/exe") == */sleep && $(readlink "/proc/$p/ns/pid_for_children") != "$(readlink "/proc/$p/ns/pid")" ]]; }
wait_for 10 "sleep to run with a pid namespace for its children" made || fail "no pid namespace made for children"
refused "a pid namespace made for no child" \
	"process $p \('sleep'\) made a pid namespace for its children none of them is the init of" "$p"
kill -9 "$p"

# The processes of a container but not the process that made it.
w=$T/w3
mkdir -p "$w"
spawn "$w" unshare --uts sh -c 'sleep 1000 & wait'
sh=$TARGET_PID
child=
forked() {
	local k=()
	{ read -ra k <"/proc/$sh/task/$sh/children"; } 2>/dev/null
	child=${k[0]:-}
	[[ -n $child && $(readlink "/proc/$child/exe") == */sleep ]]
}
wait_for 10 "sh to fork sleep" forked || fail "sh did not fork sleep"
track_pid "$child"
refused "a process in its parent's namespace" \
	"process $child \('sleep'\) is in a uts namespace its parent made: dump the process that made it" \
	"$child" "$sh"
assert_no_strays "$sh" "$child"
