#!/bin/bash
# 54-zombies-sessions.sh - a tree with two zombies (exit 7, killed by
# SIGVTALRM), a process in its own session with two children (one in its own
# group there), a process group leader with a member, and two processes whose
# group (and, for one, session) leader has exited, adopted by the root (a
# child subreaper): dump (kills the tree), restore. Every PID, PPID, PGID,
# SID comes back as it was (from /proc); the zombies are still zombies of
# the root; the restored root is in the caller's session (its session leader
# was not dumped); the self-check passes, then the root reaps the zombies
# and finds their exit statuses.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
img=$T/images
start_target "$w" 54-zombies
root=$TARGET_PID
declare -A P
read -ra kvs < <(sed -n 's/^TREE //p' "$w/out")
for kv in "${kvs[@]}"; do P[${kv%%=*}]=${kv#*=}; done
((${#P[@]} == 11)) || fail "no TREE line with 11 pids: $(grep -m1 '^TREE' "$w/out")"
for k in z1 z2 s s1 s2 g g1 m1 m2; do track_pid "${P[$k]}"; done

# line_of PID SNAPSHOT: PID's line of a tree_snapshot.
line_of() { grep -m1 "^$1 " <<<"$2" || echo "$1 missing"; }

# The shape, from /proc: "pid ppid pgid sid state".
expect_shape() { # SNAPSHOT
	local r=$root want k
	for k in "z1 $r rootpg rootsid Z" "z2 $r rootpg rootsid Z" \
		"s $r ${P[s]} ${P[s]} live" "s1 ${P[s]} ${P[s]} ${P[s]} live" \
		"s2 ${P[s]} ${P[s2]} ${P[s]} live" "g $r ${P[g]} rootsid live" \
		"g1 ${P[g]} ${P[g]} rootsid live" "m1 $r ${P[i1]} rootsid live" \
		"m2 $r ${P[i2]} ${P[i2]} live"; do
		want="${P[${k%% *}]} ${k#* }"
		[[ $(line_of "${want%% *}" "$1") == "$want" ]] ||
			fail "${k%% *}: '$(line_of "${want%% *}" "$1")', want '$want'"
	done
	[[ -e /proc/${P[i1]} || -e /proc/${P[i2]} ]] && fail "i1 ${P[i1]} or i2 ${P[i2]} exists"
	(($(wc -l <<<"$1") == 10)) || fail "the tree has $(wc -l <<<"$1") processes, want 10"
}

send_usr1 "$root" "$w" 1
self_check "$root" "$w"
[[ $(check_value zombies) == 2 ]] || fail "zombies=$(check_value zombies) before the dump, want 2"
ids0=$(tree_snapshot "$root")
log "tree before the dump:"$'\n'"$ids0"
expect_shape "$ids0"
names0=$(thread_snapshot "$root")

dump_tree "$root" "$img"
restore_tree "$img" "$root"
ids1=$(tree_snapshot "$root")
assert_same "process ids (pid ppid pgid sid state)" "$ids0" "$ids1"
expect_shape "$ids1"
assert_same "threads (pid tid name)" "$names0" "$(thread_snapshot "$root")"
# The root's session leader (this test's shell) was not dumped: the root
# must have joined the session of the shell that ran ckpt restore.
assert_in_caller_session "$root"
assert_tree_not_traced "${TREE_PIDS[@]}"
send_usr1 "$root" "$w" 2
self_check "$root" "$w"
[[ $(check_value zombies) == 2 ]] || fail "zombies=$(check_value zombies) after the restore, want 2"

# Now the root reaps its zombies and checks their statuses.
touch "$w/reap"
self_check "$root" "$w"
[[ $(check_value reaped) == 2 ]] || fail "reaped=$(check_value reaped), want 2"
wait_tree_gone "${P[z1]}" "${P[z2]}"
self_check "$root" "$w"
kill_tree "${TREE_PIDS[@]}"
assert_no_strays
