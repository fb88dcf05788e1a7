# shellcheck shell=bash
# cgroup.sh - helpers for the cgroup tests (260-263), sourced after
# lib.sh. Every cgroup a test makes (cg_mkdir) is removed at the end, even
# on failure, once the processes in it are killed; a cgroup2 hierarchy the
# test had to mount is unmounted.

CG_MADE=()   # cgroups made, in order (removed deepest first)
CG_MOUNTED=''
# The name of this run's cgroups: other tests run beside this one.
# shellcheck disable=SC2034 # CG_NAME, ROOT, THR: for the tests
CG_NAME=ckpt-e2e-$TEST_NAME-$$

# The tasks in cgroup DIR and below, one a line (cgroup.procs cannot be
# read in a cgroup2 threaded cgroup: cgroup.threads; v1: tasks).
cg_procs() {
	find "$1" \( -name cgroup.threads -o -name tasks \) -exec cat {} + 2>/dev/null
}

cg_empty() { [[ -z $(cg_procs "$1") ]]; }

cg_cleanup() {
	local i d p
	kill_tracked
	for ((i = ${#CG_MADE[@]} - 1; i >= 0; i--)); do
		d=${CG_MADE[i]}
		[[ -d $d ]] || continue
		# A restored tree is not ours: kill what is left in it.
		for p in $(cg_procs "$d"); do kill -9 "$p" 2>/dev/null; done
		wait_for 10 "$d to be empty" cg_empty "$d" || true
		[[ -f $d/cgroup.freeze ]] && echo 0 >"$d/cgroup.freeze" 2>/dev/null
		[[ -f $d/freezer.state ]] && echo THAWED >"$d/freezer.state" 2>/dev/null
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
		[[ -d $d ]] && log "cannot remove cgroup $d"
	done
	for d in $CG_MOUNTED; do
		umount "${d%%:*}" 2>/dev/null
		# A v1 hierarchy whose last cgroup was still dying at the umount
		# stays bound (every process shows it): mounted and unmounted
		# again until the kernel lets it go.
		[[ $d == *:* ]] && wait_for 10 "the ${d#*:} hierarchy to go" cg_v1_gone "${d#*:}" "${d%%:*}"
		rmdir "${d%%:*}"
	done
	return 0
}
CLEANUP_HOOKS+=(cg_cleanup)

# cg_mkdir DIR: make cgroup DIR, removed at the end.
cg_mkdir() {
	CG_MADE+=("$1")
	mkdir "$1" || fail "cannot make cgroup $1"
}

# cg_v1 CONTROLLER: where that v1 hierarchy is mounted, or nothing.
cg_v1() {
	awk -v c="$1" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $2; exit } }' /proc/self/mounts
}

# cg_v2: CG2 set to a cgroup2 mount (mounted under $T if there is none).
cg_v2() {
	CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	if [[ -z $CG2 ]]; then
		CG2=$T/cgroup2
		mkdir -p "$CG2"
		mount -t cgroup2 none "$CG2" || skip "cannot mount a cgroup2 hierarchy"
		CG_MOUNTED+=" $CG2"
	fi
	[[ -f $CG2/cgroup.procs ]] || fail "no cgroup.procs in $CG2"
}

# cg_mount_v1 CONTROLLER DIR: a v1 hierarchy of CONTROLLER mounted on DIR
# (unmounted at the end); false if the kernel will not.
cg_mount_v1() {
	mkdir -p "$2"
	mount -t cgroup -o "$1" none "$2" 2>/dev/null || return 1
	CG_MOUNTED+=" $2:$1"
}

# cg_v1_gone CONTROLLER DIR: no hierarchy holds CONTROLLER (/proc/cgroups);
# else DIR gets it mounted and unmounted once more.
cg_v1_gone() {
	awk -v c="$1" '$1 == c && $2 != 0 { bound = 1 } END { exit bound }' /proc/cgroups && return 0
	mount -t cgroup -o "$1" none "$2" 2>/dev/null && umount "$2"
	return 1
}

# cg_tree_start [ARGS]: target 260-cgroup in W=$T/w; ROOT A B THR from
# its TREE line.
# shellcheck disable=SC2120 # ARGS are optional
cg_tree_start() {
	w=$T/w
	start_target "$w" 260-cgroup "$@"
	local line
	line=$(grep -m1 '^TREE ' "$w/out") || fail "no TREE line"
	[[ $line =~ ^TREE\ root=([0-9]+)\ a=([0-9]+)\ b=([0-9]+)\ thread=([0-9]+)$ ]] ||
		fail "bad TREE line: $line"
	# shellcheck disable=SC2034
	ROOT=${BASH_REMATCH[1]} A=${BASH_REMATCH[2]} B=${BASH_REMATCH[3]} THR=${BASH_REMATCH[4]}
	track_pids "$A" "$B"
}

# cg_join DIR PID...: move each whole process into cgroup DIR.
cg_join() {
	local d=$1 p
	shift
	for p in "$@"; do
		echo "$p" >"$d/cgroup.procs" || fail "cannot move $p into $d"
	done
}

# cg_want N LINE...: what process N (0 root, 1 cg-a, 2 cg-b, 1t the thread
# of cg-a) must find in its /proc/thread-self/cgroup ("pids:/x", "0::/x").
cg_want() {
	local n=$1
	shift
	printf '%s\n' "$@" >"$w/want-$n"
}

# cg_value FILE WANT: the control file holds WANT.
cg_value() {
	local v
	v=$(cat "$1" 2>/dev/null) || fail "cannot read $1"
	[[ $v == "$2" ]] || fail "$1 is '$v', want '$2'"
}
