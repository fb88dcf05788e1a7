# shellcheck shell=bash
# "A && B || fail" is meant (fail exits); the sh -c scripts expand in sh:
# shellcheck disable=SC2015,SC2016
# machines.sh - two "machines" on this one, for the migration tests
# (330-339) and the migration bench; sourced after lib.sh.
#
# A machine is a network, mount and pid namespace of its own, with its
# own /proc and its own /tmp (a tmpfs mounted there), whose pid 1 is its
# own sshd (Debian's openssh-server) with a config, host key and
# authorized key made for this run in a private directory. `mach_run X
# CMD` runs CMD in the machine's namespaces (nsenter), and `ssh` to the
# machine lands in them too (sshd's children). Shared with the host: the
# filesystem outside /tmp (the repository, ckpt, /dev/shm: think of it as
# shared storage), users, the clock.
#
# Why a pid namespace each: a migration keeps the tree frozen on the
# source until the destination has made all of it again (the handshake),
# so for a while the same PIDs exist on both machines, as they do between
# two real machines; in one pid namespace the restore would find its PIDs
# taken by the source. A job started on a machine is the leader of its own
# session there (setsid), as a job started by a login is. The tests name
# processes by their host PID (signals, /proc) and compare the PIDs the
# job sees (inside) across the move: `inner_pid`, `mach_host_pid`.
#
# The network: a fourth namespace "lan" holds a bridge (br0,
# 10.233.0.254/24) into which each machine has a veth (its eth0: a
# 10.233.0.1, b 10.233.0.2). Clients of a migrated server run in lan.
# Nothing touches the host's own network: the links are made inside the
# namespaces, which are removed at exit whatever happens; killing a
# machine's sshd (pid 1 there) ends every process of the machine.
#
#     machines_up            make lan, a and b; wait until both sshd answer
#     mach_run X CMD...      CMD in machine X (net, mount, pid namespaces)
#     lan_run CMD...         CMD in the lan namespace (net only)
#     mach_start X W NAME ARGS...  a target in machine X: JOB_PID (host),
#                            JOB_INNER (its PID there)
#     MACH_SSH_OPTS          ssh options that reach a machine as root with
#                            this run's key (and nothing else)
#     mach_ssh X CMD         ssh root@ADDR(X) CMD, from machine a
#     MACH_ADDR[X]           the machine's address; MACH_PID[X] its sshd

MACH_TAG=ckm$$
MACH_NET=10.233.0
declare -gA MACH_ADDR=([a]=$MACH_NET.1 [b]=$MACH_NET.2)
declare -gA MACH_PID=()
MACH_DIR=
MACH_SSH_OPTS=

mach_ns() { printf '%s-%s\n' "$MACH_TAG" "$1"; }

# Clean-up hook: sshd (with its sessions, as tracked processes) is killed
# by lib.sh; the namespaces go here. A process left in one (a migrated job
# the test did not track) is killed first, so that nothing of the run
# stays behind.
machines_down() {
	local x ns p
	for x in a b; do
		if [[ -n ${MACH_PID[$x]:-} ]]; then kill -9 "${MACH_PID[$x]}" 2>/dev/null || true; fi
	done
	for x in a b lan; do
		ns=$(mach_ns "$x")
		[[ -e /run/netns/$ns ]] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	return 0
}

# mach_run X CMD...: CMD in machine X's network, mount and pid
# namespaces, from the same working directory (the repository is there
# too). nsenter forks for the pid namespace and waits for CMD.
mach_run() {
	local x=$1
	shift
	nsenter --target "${MACH_PID[$x]}" --net --mount --pid --wd="$PWD" -- "$@"
}

# inner_pid PID: the PID that process PID (a host PID) has in its own pid
# namespace (the last of its NSpid).
inner_pid() {
	local k rest
	while read -r k rest; do
		[[ $k == NSpid: ]] && {
			printf '%s\n' "${rest##*[[:space:]]}"
			return 0
		}
	done <"/proc/$1/status"
	return 1
}

# mach_host_pid X PID: the host PID of the process that is PID in machine
# X (fails if there is none).
mach_host_pid() {
	local x=$1 want=$2 ns f p k rest
	ns=$(stat -L -c %i "/proc/${MACH_PID[$x]}/ns/pid") || return 1
	for f in /proc/[0-9]*/ns/pid; do
		[[ $(stat -L -c %i "$f" 2>/dev/null) == "$ns" ]] || continue
		p=${f#/proc/}
		p=${p%%/*}
		while read -r k rest; do
			[[ $k == NSpid: && ${rest##*[[:space:]]} == "$want" ]] && {
				printf '%s\n' "$p"
				return 0
			}
		done <"/proc/$p/status" 2>/dev/null
	done
	return 1
}

lan_run() { nsenter --net="/run/netns/$(mach_ns lan)" -- "$@"; }

# mach_ssh X CMD: CMD run by root's shell on machine X, reached from a.
mach_ssh() {
	local x=$1
	shift
	# shellcheck disable=SC2086 # MACH_SSH_OPTS is a list of words
	mach_run a ssh $MACH_SSH_OPTS "root@${MACH_ADDR[$x]}" "$@"
}

# mach_tmp_listing X: what machine X's own /tmp holds (one path a line).
mach_tmp_listing() {
	if [[ -n $MACH_SHARED_TMP ]]; then
		mach_run "$1" find /tmp -mindepth 1 -path "$MACH_SHARED_TMP" -prune -o -printf '%p\n' |
			grep -Fxv -e "${MACH_SHARED_TMP%/*}" || true
	else
		mach_run "$1" find /tmp -mindepth 1 -printf '%p\n'
	fi
}

mach_sshd_up() { mach_ssh "$1" true 2>/dev/null; }

# machine_new X: the namespaces, the veth into lan's bridge, the sshd.
machine_new() {
	local x=$1 ns conf d
	ns=$(mach_ns "$x")
	d=$MACH_DIR/$x
	mkdir -p "$d"
	ip netns add "$ns" || fail "cannot make network namespace $ns"
	ip -n "$(mach_ns lan)" link add "v$x" type veth peer name eth0 netns "$ns" ||
		fail "cannot make the veth of machine $x"
	ip -n "$(mach_ns lan)" link set "v$x" master br0 up &&
		ip -n "$ns" link set lo up &&
		ip -n "$ns" addr add "${MACH_ADDR[$x]}/24" dev eth0 &&
		ip -n "$ns" link set eth0 up ||
		fail "cannot set up the network of machine $x"
	ssh-keygen -q -t ed25519 -N '' -C "ckpt-e2e-$x" -f "$d/host_key" ||
		fail "cannot make the host key of machine $x"
	printf '%s %s\n' "${MACH_ADDR[$x]}" "$(cut -d' ' -f1,2 "$d/host_key.pub")" \
		>>"$MACH_DIR/known_hosts"
	conf=$d/sshd_config
	cat >"$conf" <<-EOF
		ListenAddress ${MACH_ADDR[$x]}:22
		HostKey $d/host_key
		PidFile none
		AuthorizedKeysFile $MACH_DIR/authorized_keys
		PermitRootLogin prohibit-password
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes yes
		PrintMotd no
		X11Forwarding no
		AllowTcpForwarding no
		MaxStartups 50:30:100
		LogLevel ERROR
	EOF
	# sshd, pid 1 of the machine's pid namespace, holds its namespaces:
	# the mount namespace private, with its own /proc and a tmpfs on /tmp.
	# A source tree under /tmp (a clone there, as CI may make) would be
	# hidden by that tmpfs: it is bound back at its path (through an fd
	# opened before the tmpfs covers it; --no-canonicalize, or mount(8)
	# resolves /proc/self/fd/9 to the path, now the empty directory), as
	# shared storage.
	spawn "$d" nsenter --net="/run/netns/$ns" -- unshare --mount --pid --fork --mount-proc \
		--propagation private -- \
		sh -c 'if [ -n "$3" ]; then exec 9<"$3" || exit 1; fi &&
			mount -t tmpfs -o mode=1777,size=8g "ckpt-e2e-tmp-$1" /tmp &&
			if [ -n "$3" ]; then mkdir -p "$3" &&
				mount --no-canonicalize --bind /proc/self/fd/9 "$3" &&
				exec 9<&-; fi &&
			exec /usr/sbin/sshd -D -e -f "$2"' sh "$x" "$conf" "$MACH_SHARED_TMP"
	wait_for 10 "the pid 1 of machine $x" first_child_of "$TARGET_PID" ||
		fail "machine $x did not start: $(tail -n 3 "$d/err")"
	MACH_PID[$x]=$FIRST_CHILD
	track_pid "$FIRST_CHILD"
}

# The top directory under /tmp that holds this source tree, if it is
# there: bound into each machine's own /tmp (see machine_start).
MACH_SHARED_TMP=
mach_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
if [[ $mach_src == /tmp/?* ]]; then
	mach_src=${mach_src#/tmp/}
	MACH_SHARED_TMP=/tmp/${mach_src%%/*}
fi
unset mach_src

# first_child_of PID: sets FIRST_CHILD to a child of PID, if it has one.
first_child_of() {
	local -a kids=()
	{ read -ra kids <"/proc/$1/task/$1/children"; } 2>/dev/null
	((${#kids[@]})) || return 1
	FIRST_CHILD=${kids[0]}
}

# machines_up: machines a and b on the lan, both sshd answering.
machines_up() {
	local x
	[[ -x /usr/sbin/sshd ]] || skip "no sshd (apt-get install openssh-server)"
	command -v ssh >/dev/null && command -v nsenter >/dev/null && command -v ip >/dev/null ||
		skip "no ssh, nsenter or ip"
	# Not under /dev/shm: StrictModes refuses keys below a world-writable
	# directory.
	new_tmp MACH_DIR /run
	chmod 700 "$MACH_DIR"
	CLEANUP_HOOKS+=(machines_down)
	# sshd's privilege separation directory (made by the package's service
	# on a booted system; the same for every run, left in place).
	mkdir -p /run/sshd || fail "cannot make /run/sshd"
	ip netns add "$(mach_ns lan)" || fail "cannot make network namespace $(mach_ns lan)"
	ip -n "$(mach_ns lan)" link set lo up &&
		ip -n "$(mach_ns lan)" link add br0 type bridge &&
		ip -n "$(mach_ns lan)" addr add "$MACH_NET.254/24" dev br0 &&
		ip -n "$(mach_ns lan)" link set br0 up ||
		fail "cannot make the lan's bridge"
	ssh-keygen -q -t ed25519 -N '' -C ckpt-e2e-client -f "$MACH_DIR/id" ||
		fail "cannot make the client key"
	cp "$MACH_DIR/id.pub" "$MACH_DIR/authorized_keys"
	: >"$MACH_DIR/known_hosts"
	for x in a b; do machine_new "$x"; done
	MACH_SSH_OPTS="-F /dev/null -i $MACH_DIR/id -o IdentitiesOnly=yes -o BatchMode=yes"
	MACH_SSH_OPTS+=" -o UserKnownHostsFile=$MACH_DIR/known_hosts -o GlobalKnownHostsFile=/dev/null"
	MACH_SSH_OPTS+=" -o StrictHostKeyChecking=yes -o ConnectTimeout=10 -o LogLevel=ERROR"
	for x in a b; do
		wait_for 20 "sshd of machine $x" mach_sshd_up "$x" ||
			fail "sshd of machine $x does not answer: $(tail -n 3 "$MACH_DIR/$x/err")"
	done
	# Jobs start on a: its PIDs from 5000 on, where b's own processes
	# (sshd's sessions, ckpt) do not go during a test. Between two real
	# machines a PID may well be taken on the other side: the restore then
	# fails, clearly, and the job runs on (a test says so).
	mach_run a sh -c 'echo 5000 >/proc/sys/kernel/ns_last_pid' ||
		fail "cannot set the PIDs of machine a"
	log "machines up: a ${MACH_ADDR[a]} (sshd ${MACH_PID[a]}), b ${MACH_ADDR[b]} (sshd ${MACH_PID[b]}), lan $MACH_NET.254"
}

# mach_spawn X W CMD...: CMD in machine X, the leader of a session of its
# own there, its output appended to W/out and W/err (lib.sh's spawn). Sets
# JOB_PID (its host PID) and JOB_INNER (its PID in the machine).
mach_spawn() {
	local x=$1 w=$2
	shift 2
	mkdir -p "$w"
	spawn "$w" nsenter --target "${MACH_PID[$x]}" --net --mount --pid --wd="$PWD" -- setsid "$@"
	wait_for 10 "the job in machine $x" first_child_of "$TARGET_PID" ||
		fail "the job did not start in machine $x: $(head -c 300 "$w/err")"
	JOB_PID=$FIRST_CHILD
	track_pid "$JOB_PID"
	JOB_INNER=$(inner_pid "$JOB_PID") || fail "job $JOB_PID died at once: $(head -c 300 "$w/err")"
}

job_ready() { has_line "$2/out" '^(READY|FATAL)' || is_dead "$1"; }

# mach_start X WORKDIR NAME ARGS...: build/targets/NAME WORKDIR ARGS... in
# machine X, the leader of a session of its own there; wait for READY.
# Sets JOB_PID (its host PID) and JOB_INNER (its PID in the machine).
mach_start() {
	local x=$1 w=$2 bin=$E2E_TARGETS/$3
	shift 3
	[[ -x $bin ]] || fail "target $bin not built"
	mach_spawn "$x" "$w" "$bin" "$w" "$@"
	wait_for "${MACH_READY_TIMEOUT:-20}" "READY from $JOB_PID" job_ready "$JOB_PID" "$w" || fail "job $JOB_PID never said READY"
	has_line "$w/out" '^FATAL' && fail "job set-up failed: $(grep -m1 '^FATAL' "$w/out")"
	JOB_INNER=$(inner_pid "$JOB_PID") || fail "job $JOB_PID died before READY: $(head -c 300 "$w/err")"
	has_line "$w/out" "^READY pid=$JOB_INNER\$" || fail "job $JOB_PID: no READY pid=$JOB_INNER"
	log "job in machine $x: PID $JOB_INNER there, $JOB_PID here"
}

# migrate_job ARGS...: the migration tests' job, build/targets/330-migrate
# ARGS... started in machine a with its work dir w=$SH/w (SH a new dir in
# /dev/shm, shared by both machines), asked once to work (SIGUSR1) and
# checked. Sets SH, w, pid (its host PID), inner (its PID in a) and
# kidlist (its children's PIDs there, comma separated, from its KIDS line).
migrate_job() {
	new_tmp SH /dev/shm
	w=$SH/w
	mach_start a "$w" 330-migrate "$@"
	pid=$JOB_PID inner=$JOB_INNER
	# shellcheck disable=SC2034 # used by the tests
	kidlist=$(sed -n 's/^KIDS pids=//p' "$w/out")
	send_usr1 "$pid" "$w" 1
	self_check "$pid" "$w"
}

# in_mach_of PID: which machine (a or b) process PID (a host PID) is on,
# by its pid namespace, or "host".
in_mach_of() {
	local ino x
	ino=$(stat -L -c %i "/proc/$1/ns/pid") || return 1
	for x in a b; do
		[[ $(stat -L -c %i "/proc/${MACH_PID[$x]}/ns/pid") == "$ino" ]] && {
			echo "$x"
			return 0
		}
	done
	echo host
}

# migrate ARGS...: scripts/ckpt-migrate ARGS run on machine a with this
# run's ssh options and ckpt (bounded like a ckpt command; its output in
# CK_OUT and CK_ERR, its status in CK_RC).
MIGRATE=${MIGRATE:-$PWD/scripts/ckpt-migrate}
migrate() {
	ck_cmd nsenter --target "${MACH_PID[a]}" --net --mount --pid --wd="$PWD" -- \
		env CKPT="$CKPT" "$MIGRATE" --ssh-opts "$MACH_SSH_OPTS" "$@"
}

# ---- checks shared by the migration tests -------------------------------------

# migrate_ok ARGS...: migrate must succeed and print its figures; sets
# MIG_FROZEN_MS, MIG_BYTES, MIG_NEW (the PID on the destination, inside).
migrate_ok() {
	migrate "$@"
	((CK_RC == 0)) || fail "ckpt-migrate failed (exit $CK_RC): $(ck_err_line)"
	sed 's/^/  stdout: /' "$CK_OUT" >&2
	MIG_FROZEN_MS=$(sed -n 's/^frozen time: \([0-9][0-9]*\) ms$/\1/p' "$CK_OUT")
	MIG_BYTES=$(sed -n 's/^bytes sent: \([0-9][0-9]*\).*/\1/p' "$CK_OUT")
	MIG_NEW=$(sed -n 's/^migrated .* running there as \([0-9][0-9]*\)$/\1/p' "$CK_OUT")
	[[ -n $MIG_FROZEN_MS && -n $MIG_BYTES && -n $MIG_NEW ]] ||
		fail "ckpt-migrate did not print the frozen time, the bytes sent and the new PID: $(tr '\n' '|' <"$CK_OUT")"
}

# migrate_fails ARGS...: migrate must fail with one line saying the job
# runs on at the source.
migrate_fails() {
	local n
	migrate "$@"
	((CK_RC == 1)) || fail "ckpt-migrate: exit $CK_RC, want 1: $(ck_err_line)"
	n=$(wc -l <"$CK_ERR")
	((n == 1)) || fail "ckpt-migrate failed with $n lines on stderr, want one: $(ck_err_line)"
	grep -q '^ckpt-migrate: cannot migrate .*; the job runs on here, unchanged$' "$CK_ERR" ||
		fail "ckpt-migrate's failure does not say the job runs on: $(ck_err_line)"
	log "  (failed as expected)"
}

# job_on X INNER: INNER runs on machine X (and on no other); sets
# JOB_PID (its host PID) and tracks it.
job_on() {
	local x=$1 inner=$2 other=a
	[[ $x == a ]] && other=b
	JOB_PID=$(mach_host_pid "$x" "$inner") || fail "no PID $inner on machine $x"
	track_pid "$JOB_PID"
	is_dead "$JOB_PID" && fail "PID $inner on machine $x is dead: $(describe_pid "$JOB_PID")"
	assert_not_traced "$JOB_PID"
	if mach_host_pid "$other" "$inner" >/dev/null; then
		fail "PID $inner is on machine $other too: $(describe_pid "$(mach_host_pid "$other" "$inner")")"
	fi
	return 0
}

# gone_from X INNER: no process INNER on machine X (a zombie is reaped
# by the machine's sshd, its pid 1, at once).
no_pid_on() { ! mach_host_pid "$1" "$2" >/dev/null; }
gone_from() {
	wait_for 10 "PID $2 to be gone from machine $1" no_pid_on "$1" "$2" ||
		fail "PID $2 is still on machine $1"
}

# assert_tmp_empty X: machine X's /tmp holds nothing (no image, no chain,
# no temp file of ckpt-migrate's).
assert_tmp_empty() {
	local l
	l=$(mach_tmp_listing "$1") || fail "cannot list /tmp of machine $1"
	[[ -z $l ]] || fail "machine $1's /tmp holds: $(printf '%s\n' "$l" | head -n 5 | tr '\n' ' ')"
}
