# shellcheck shell=bash
# ctr.sh - helpers for the container tests (290-299), sourced after lib.sh.
#
# Each test starts a real container the way its users do (unshare,
# systemd-nspawn, an ordinary user's unshare, podman) around the server of
# targets/290-ctr-server-static.c, talks to it over TCP from this shell
# (the client, outside the container), records what the container looks
# like from outside (ctr_outside_view) and from the server's own view (its
# CHECK line), dumps the container by its root process, checks that it is
# gone, restores it and checks both views again, and that the connection
# this shell held across the dump goes on. test/e2e/CONTAINERS.md says what
# each container needs on this machine.
#
# Everything global a test makes (bridge, veth, cgroups, users, podman
# storage) is named after CTR_RUN, unique per run, and removed by the
# clean-up hooks (CLEANUP_HOOKS, run first at exit, also on failure).

CTR_SERVER=$E2E_TARGETS/290-ctr-server-static
CTR_RUN=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')

# ctr_need CMD PACKAGE: CMD must be installed (.ci/run installs PACKAGE).
ctr_need() {
	command -v "$1" >/dev/null ||
		fail "$1 is not installed (Debian package $2, installed by .ci/run)"
}

# ctr_on_exit FUNCTION: run FUNCTION at clean-up, before the processes of
# the test are killed (CLEANUP_HOOKS of lib.sh).
ctr_on_exit() {
	CLEANUP_HOOKS+=("$1")
}

# ---- talking to the server ------------------------------------------------

# ctr_connect VAR ADDR PORT: a TCP connection of this shell to the server,
# its fd in VAR.
ctr_connect() {
	local new_fd
	exec {new_fd}<>"/dev/tcp/$2/$3" || fail "cannot connect to the container at $2 port $3"
	printf -v "$1" '%s' "$new_fd"
}

# ctr_req FD LINE: one request on FD, its one-line answer in CTR_REPLY (10 s
# at most).
ctr_req() {
	printf '%s\n' "$2" >&"$1" || fail "cannot send '$2' to the container"
	IFS= read -r -t 10 CTR_REPLY <&"$1" || fail "no answer to '$2' from the container"
	CTR_REPLY=${CTR_REPLY%$'\r'}
	log "  $2 -> $CTR_REPLY"
}

# ctr_value KEY LINE: the value of KEY=... in LINE.
ctr_value() {
	local w
	for w in $2; do
		[[ $w == "$1="* ]] && {
			printf '%s\n' "${w#*=}"
			return 0
		}
	done
	fail "no $1= in '$2'"
}

# ctr_session_start PORT TEST NOTE FIELD WANT: a connection to the server
# held in CTR_CONN, one PING and a PUT, and the server's own view checked:
# host name ctrTEST, its note NOTE and FIELD (pid, ppid) WANT; the view and
# the request count kept in CTR_VIEW0 and CTR_N0.
ctr_session_start() {
	ctr_connect CTR_CONN "$CTR_NET.2" "$1"
	ctr_pong "$CTR_CONN" 1
	ctr_req "$CTR_CONN" "PUT put-$2-$CTR_RUN"
	ctr_check "$CTR_CONN"
	[[ $(ctr_value host "$CTR_REPLY") == "ctr$2" && $(ctr_value note "$CTR_REPLY") == "$3" &&
		$(ctr_value "$4" "$CTR_REPLY") == "$5" ]] ||
		fail "the server's view is not the container's: $CTR_REPLY"
	CTR_VIEW0=$CTR_VIEW CTR_N0=$CTR_N
}

# ctr_session_after PORT: after the restore, the connection held goes on,
# the server's own view as it was, and a new connection is served.
ctr_session_after() {
	local conn2
	ctr_pong "$CTR_CONN" $((CTR_N0 + 1))
	ctr_check "$CTR_CONN"
	assert_same "the server's own view" "$CTR_VIEW0" "$CTR_VIEW"
	ctr_connect conn2 "$CTR_NET.2" "$1"
	ctr_pong "$conn2" $((CTR_N0 + 3))
	ctr_close "$conn2"
}

# ctr_pong FD WANT: PING on FD must answer "PONG n=WANT": the server's
# request counter, which goes on across the restore.
ctr_pong() {
	ctr_req "$1" PING
	[[ $CTR_REPLY == "PONG n=$2" ]] || fail "the server answered '$CTR_REPLY' to PING, want 'PONG n=$2'"
}

# ctr_check FD: the server's own view (CHECK) must be OK; CTR_VIEW is it
# without the request count n=, CTR_N that count.
ctr_check() {
	ctr_req "$1" CHECK
	[[ $CTR_REPLY == "CHECK OK "* ]] || fail "the server's self-check: ${CTR_REPLY#CHECK }"
	# shellcheck disable=SC2034 # for the tests
	CTR_N=$(ctr_value n "$CTR_REPLY")
	# shellcheck disable=SC2034 # for the tests
	CTR_VIEW=$(sed -E 's/ n=[0-9]+//' <<<"$CTR_REPLY")
}

# ctr_close FD: close an fd of this shell.
ctr_close() {
	local fd=$1
	exec {fd}>&-
}

# ---- the view from outside ------------------------------------------------

# ctr_inner_pid PID: PID as its own (innermost) pid namespace sees it.
ctr_inner_pid() {
	awk '$1 == "NSpid:" { print $NF }' "/proc/$1/status" 2>/dev/null
}

# ctr_pid_levels PID: how many pid namespaces PID is seen in.
ctr_pid_levels() {
	awk '$1 == "NSpid:" { print NF - 1 }' "/proc/$1/status" 2>/dev/null
}

# ctr_find_inner ROOT INNER COMM: the host PID of the process of ROOT's
# tree whose innermost PID is INNER and whose comm is COMM.
ctr_find_inner() {
	local p c
	for p in $(tree_pids "$1"); do
		[[ $(ctr_inner_pid "$p") == "$2" ]] || continue
		{ read -r c <"/proc/$p/comm"; } 2>/dev/null || continue
		[[ $c == "$3" ]] && {
			printf '%s\n' "$p"
			return 0
		}
	done
	return 1
}

# ctr_outside_view ROOT SERVER STATEDIR: what the container looks like from
# the host, less what a restore may change (PIDs outside, namespace inode
# numbers): per process its comm, its PID inside, its pid namespace depth,
# its ids and capabilities, its uid/gid maps; which namespaces it shares
# with the host; the server's hostname, the files of its tmpfs, its System
# V shm segments (key id perms size nattch), its addresses and routes, its
# cgroups.
ctr_outside_view() {
	local root=$1 s=$2 dir=$3 p ns
	for p in $(tree_pids "$root"); do
		printf 'proc %s inner=%s levels=%s' "$(cat "/proc/$p/comm")" "$(ctr_inner_pid "$p")" \
			"$(ctr_pid_levels "$p")"
		awk '$1 ~ /^(Uid|Gid|CapEff|CapBnd|Seccomp|NoNewPrivs):$/ { printf " %s%s", $1, $2 }' \
			"/proc/$p/status"
		printf ' uidmap=[%s] gidmap=[%s] host-ns:' "$(xargs <"/proc/$p/uid_map")" \
			"$(xargs <"/proc/$p/gid_map")"
		for ns in pid mnt uts ipc net cgroup user time; do
			[[ $(readlink "/proc/$p/ns/$ns") == "$(readlink "/proc/self/ns/$ns")" ]] &&
				printf ' %s' "$ns"
		done
		printf '\n'
	done | sort
	printf 'hostname %s\n' "$(nsenter -t "$s" -u hostname)"
	for p in note.txt server.txt; do
		printf 'file %s [%s]\n' "$p" "$(cat "/proc/$s/root$dir/$p")"
	done
	# /proc/sysvipc is the reader's ipc namespace: read it from inside.
	nsenter -t "$s" -i cat /proc/sysvipc/shm | awk 'NR > 1 { print "shm", $1, $2, $3, $4, $7 }'
	if [[ $(readlink "/proc/$s/ns/net") != "$(readlink /proc/self/ns/net)" ]]; then
		nsenter -t "$s" -n ip -4 -o addr show | awk '{ print "addr", $2, $4 }'
		nsenter -t "$s" -n ip -4 route show | sed 's/^/route /'
		nsenter -t "$s" -n ip -o link show | awk '{ print "link", $2, $3 }' | sed 's/@[^:]*:/:/'
	fi
	sed 's/^/cgroup /' "/proc/$s/cgroup"
	if [[ $(readlink "/proc/$s/ns/cgroup") != "$(readlink /proc/self/ns/cgroup)" ]]; then
		nsenter -t "$s" -C cat "/proc/$s/cgroup" | sed 's/^/cgroup-inside /'
	fi
}

# ctr_kill_now PID...: SIGKILL each PID given and every descendant, wait
# (bounded) until they are gone: for clean-up hooks that must remove what
# those processes hold (cgroups).
ctr_kill_now() {
	local p
	local -a all=()
	for p in "$@"; do
		[[ -e /proc/$p ]] && mapfile -t -O "${#all[@]}" all < <(tree_pids "$p")
	done
	((${#all[@]})) || return 0
	for p in "${all[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait_for 10 "the container's processes to be gone" all_gone "${all[@]}" || true
}

# ctr_rmdir_cgroups PATH: remove PATH and what is under it in every
# hierarchy under /sys/fs/cgroup (deepest first; only empty cgroups go).
ctr_rmdir_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/"$1"; do
		[[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	return 0
}

# ctr_free_port: a TCP port nothing listens on in this net namespace.
ctr_free_port() {
	local p i
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + RANDOM % 30000))
		[[ -z $(ss -Hltn "( sport = :$p )") ]] && break
	done
	printf '%s
' "$p"
}

# ---- network: a bridge on the host, a veth into the container -------------

# ctr_bridge: a bridge CTR_BR on the host with CTR_NET.1/24, in a 10.X.Y.0/24
# no address of this machine is in. Removed at exit.
ctr_bridge() {
	local i
	CTR_BR=cb$CTR_RUN
	for ((i = 0; i < 50; i++)); do
		CTR_NET=10.$((100 + RANDOM % 100)).$((RANDOM % 256))
		! ip -4 -o addr show | grep -qF " $CTR_NET." &&
			! ip -4 route show | grep -qF "$CTR_NET." && break
	done
	ctr_on_exit ctr_bridge_del
	ip link add "$CTR_BR" type bridge || fail "cannot make bridge $CTR_BR"
	ip addr add "$CTR_NET.1/24" dev "$CTR_BR" || fail "cannot address bridge $CTR_BR"
	ip link set "$CTR_BR" up || fail "cannot set $CTR_BR up"
	log "bridge $CTR_BR $CTR_NET.1/24"
}

ctr_bridge_del() {
	[[ -n ${CTR_HOSTIF:-} ]] && ip link del "$CTR_HOSTIF" 2>/dev/null
	ip link del "$CTR_BR" 2>/dev/null
	return 0
}

# ctr_veth PID IFNAME: a veth pair, its host end CTR_HOSTIF in the bridge,
# its other end moved into the net namespace of PID and named IFNAME there,
# CTR_NET.2/24, up, default route through the bridge.
ctr_veth() {
	local pid=$1 ifname=$2 peer=cp$CTR_RUN
	CTR_HOSTIF=ch$CTR_RUN
	ip link add "$CTR_HOSTIF" type veth peer name "$peer" || fail "cannot make a veth pair"
	ip link set "$peer" netns "$pid" || fail "cannot move $peer into the net namespace of $pid"
	ip link set "$CTR_HOSTIF" master "$CTR_BR" up || fail "cannot put $CTR_HOSTIF in $CTR_BR"
	ctr_addr "$pid" "$peer" "$ifname"
}

# ctr_link_gone IFNAME: wait (bounded) until IFNAME is gone from the host:
# a net namespace is torn down asynchronously after its last process, and
# its veth with it.
ctr_link_absent() { ! ip link show "$1" >/dev/null 2>&1; }
ctr_link_gone() {
	wait_for 20 "the veth end $1 to go with the container" ctr_link_absent "$1" ||
		fail "the veth end $1 outlived the container"
}

# ctr_addr PID LINK IFNAME: in the net namespace of PID, LINK renamed IFNAME
# with CTR_NET.2/24, up, lo up, a default route through CTR_NET.1.
ctr_addr() {
	nsenter -t "$1" -n sh -c "set -e
		if [ '$2' != '$3' ]; then ip link set '$2' name '$3'; fi
		ip addr add '$CTR_NET.2/24' dev '$3'
		ip link set '$3' up
		ip link set lo up
		ip route add default via '$CTR_NET.1'" || fail "cannot set up $3 in the net namespace of $1"
}

# ---- dump and restore -------------------------------------------------------

# ctr_dump ROOT IMAGES ARGS...: ckpt dump of the container's root process
# (the tree, with the --external ARGS a user gives); every process of the
# tree must be gone afterwards (the root reaped if it is this shell's
# child: killed by SIGKILL). Sets CTR_PIDS (the tree before the dump).
ctr_dump() {
	local root=$1 img=$2 ours=0
	shift 2
	mapfile -t CTR_PIDS < <(tree_pids "$root")
	track_pids "${CTR_PIDS[@]}"
	[[ $(proc_stat_field "$root" 4) == "$$" ]] && ours=1
	log "dumping the container: ${#CTR_PIDS[@]} processes (${CTR_PIDS[*]})"
	ck_ok dump --pid "$root" --images "$img" "$@"
	if ((ours)); then
		reap "$root"
		((REAP_STATUS == 137)) || fail "after the dump $root ended with status $REAP_STATUS, want 137 (SIGKILL)"
	fi
	wait_tree_gone "${CTR_PIDS[@]}"
}

# ctr_restore IMAGES ARGS...: ckpt restore --detach with the --external ARGS
# a user gives; the restored root's PID (outside) in CTR_ROOT, from
# --pidfile; every process of the restored tree tracked.
ctr_restore() {
	local img=$1 pidfile
	shift
	pidfile=$T/restored.pid
	rm -f -- "$pidfile"
	ck_ok restore --images "$img" --detach --pidfile "$pidfile" "$@"
	CTR_ROOT=$(cat "$pidfile" 2>/dev/null) || fail "no --pidfile written by the restore"
	[[ $CTR_ROOT =~ ^[0-9]+$ && -e /proc/$CTR_ROOT ]] ||
		fail "the restored root '$CTR_ROOT' (from --pidfile) does not exist"
	mapfile -t CTR_PIDS < <(tree_pids "$CTR_ROOT")
	track_pids "${CTR_PIDS[@]}"
	log "restored the container: root $CTR_ROOT, ${#CTR_PIDS[@]} processes (${CTR_PIDS[*]})"
}

# ctr_kill_restored: SIGKILL every process of the restored tree, wait until
# they are gone.
ctr_kill_restored() {
	kill_tree "${CTR_PIDS[@]}"
}

# ---- a rootfs -----------------------------------------------------------------

# ctr_rootfs DIR: a busybox-static rootfs in DIR (its applets as symlinks in
# /bin, an empty /usr and /etc/os-release, which systemd-nspawn wants to see)
# with the server as /bin/ctr-server. Built here: nothing is downloaded.
ctr_rootfs() {
	local r=$1 bb
	bb=$(command -v busybox) || fail "busybox is not installed (Debian package busybox-static)"
	# ldd fails on a static binary ("not a dynamic executable").
	! ldd "$bb" >/dev/null 2>&1 || fail "$bb is not statically linked (Debian package busybox-static)"
	mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,srv,run,root,usr/bin,usr/lib,var} ||
		fail "cannot make the rootfs in $r"
	cp "$bb" "$r/bin/busybox" || fail "cannot copy busybox into $r"
	chroot "$r" /bin/busybox --install -s /bin || fail "cannot install busybox in $r"
	cp "$CTR_SERVER" "$r/bin/ctr-server" || fail "cannot copy the server into $r"
	: >"$r/etc/os-release"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
	printf 'root:x:0:\n' >"$r/etc/group"
}
