#!/bin/bash
# 291-ctr-nspawn.sh - a systemd-nspawn container with its own init: a
# busybox-static rootfs built here (debootstrap would need the network),
# /sbin/init a shell script that mounts a tmpfs on /srv, writes a note
# there and starts the server of targets/290-ctr-server-static.c; the
# network a veth nspawn puts into a bridge of the host (--network-bridge),
# addressed by the test; this shell connected over TCP. nspawn runs as
# test/e2e/CONTAINERS.md says it must on a machine without systemd as PID 1
# (--register=no --keep-unit --pipe, in a cgroup of the test's own). The
# container is dumped by its init (nspawn, its supervisor, stays outside and
# exits when the init is gone), the rootfs and the host files nspawn binds
# in named as external mounts; restored with them given back and the veth's
# host end put back into the bridge; then it must look the same from outside
# (PIDs inside, hostname, files, shm, addresses, cgroups, seccomp and
# capabilities of every process) and to the server itself, answer on the
# connection held across the dump with its counter going on, and accept a
# new one.
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/ctr.sh
. "$(dirname "$0")/../ctr.sh"
e2e_init

ctr_need systemd-nspawn systemd-container
ctr_need nsenter util-linux
ctr_need ip iproute2
[[ -x $CTR_SERVER ]] || fail "target $CTR_SERVER not built"
[[ -d /sys/fs/cgroup/systemd || -f /sys/fs/cgroup/cgroup.procs ]] ||
	skip "no name=systemd or cgroup2 hierarchy for systemd-nspawn"

w=$T/w
img=$T/images
rootfs=$T/rootfs
port=8291
machine=c291-$CTR_RUN
note=note-291-$CTR_RUN
cg=ctr291-$CTR_RUN
nspawn=
mkdir -p "$w" "$T/incoming"

ctr_rootfs "$rootfs"
printf '%s\n' "$note" >"$rootfs/etc/ctr-note"
cat >"$rootfs/sbin/init" <<EOF
#!/bin/sh
mount -t tmpfs -o size=8m tmpfs /srv
exec </dev/null >/srv/init.log 2>&1
cat /etc/ctr-note >/srv/note.txt
/bin/ctr-server $port /srv &
while :; do wait; done
EOF
chmod 755 "$rootfs/sbin/init"

# nspawn with --keep-unit takes the cgroup it runs in and makes payload/ and
# supervisor/ there (and leaves them): one of the test's own, removed at exit
# once the container's processes (first or restored) are gone.
nspawn_cleanup() {
	ctr_kill_now ${nspawn:+"$nspawn"} "${CTR_PIDS[@]}"
	ctr_rmdir_cgroups "$cg"
	rm -rf -- "/run/systemd/nspawn/propagate/$machine"
}
CTR_PIDS=()
ctr_on_exit nspawn_cleanup
ctr_bridge
for h in systemd unified; do
	[[ -d /sys/fs/cgroup/$h ]] && { mkdir "/sys/fs/cgroup/$h/$cg" || fail "cannot make cgroup $h/$cg"; }
done
# shellcheck disable=SC2016 # expanded by the shell inside
spawn "$w" sh -c 'for h in systemd unified; do
		[ -d "/sys/fs/cgroup/$h/$0" ] && echo $$ >"/sys/fs/cgroup/$h/$0/cgroup.procs"
	done
	exec systemd-nspawn "$@"' "$cg" \
	-D "$rootfs" --register=no --keep-unit --pipe -M "$machine" --hostname ctr291 \
	--network-bridge="$CTR_BR" /sbin/init
nspawn=$TARGET_PID

# nspawn's child is nspawn itself (already pid 1 inside) until it runs init.
nspawn_init() {
	init=$(cat "/proc/$nspawn/task/$nspawn/children" 2>/dev/null) && init=${init% } &&
		[[ $init =~ ^[0-9]+$ && $(cat "/proc/$init/comm" 2>/dev/null) == init ]]
}
wait_for 20 "systemd-nspawn to start the init" nspawn_init ||
	fail "systemd-nspawn did not start the container: $(tr '\n' ' ' <"$w/err" | cut -c 1-300)"
server_ready() { has_line "/proc/$init/root/srv/init.log" '^(READY|FATAL)'; }
wait_for 20 "the server to be READY" server_ready ||
	fail "the server never said READY: $(head -c 300 "/proc/$init/root/srv/init.log" 2>/dev/null)"
has_line "/proc/$init/root/srv/init.log" '^READY pid=' ||
	fail "the server failed: $(head -n 3 "/proc/$init/root/srv/init.log")"
[[ $(ctr_inner_pid "$init") == 1 ]] || fail "the init $init is not pid 1 of its namespace"
inner=$(sed -n 's/^READY pid=//p' "/proc/$init/root/srv/init.log")
server=$(ctr_find_inner "$init" "$inner" ctr-server) || fail "no server under the init $init"
log "nspawn $nspawn, init $init, server $server ($inner inside)"
hostif=vb-$machine
ip link show "$hostif" >/dev/null || fail "no $hostif made by systemd-nspawn"
CTR_HOSTIF=$hostif
ctr_addr "$init" host0 host0

ctr_session_start "$port" 291 "$note" ppid 1
outside0=$(ctr_outside_view "$init" "$server" /srv)
log "outside view:"$'\n'"$outside0"
grep -q "^shm $((0x290290)) " <<<"$outside0" || fail "no shm segment with key 0x290290 in the container"
grep -q "^addr host0 $CTR_NET.2/24" <<<"$outside0" || fail "host0 has no address in the container"
grep -q "^cgroup 0::/$cg/payload\$" <<<"$outside0" || fail "the container is not in $cg/payload"
# What nspawn binds in from the host (os-release, localtime, its propagate
# directory, whatever this version adds): every mount of the host's root
# filesystem in the container but the rootfs itself, named external at
# dump (one key per mount point) and given back at restore from where it
# came; nspawn removes its propagate directory when it exits, the test
# gives an empty one instead.
hostdev=$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)
dump_ext=(--external "mnt[/]:rootfs")
restore_ext=(--external "mnt[rootfs]:$rootfs")
declare -A seen=()
k=0
while read -r _ _ dev root mp _; do
	[[ $dev == "$hostdev" && $mp != / && -z ${seen[$mp]:-} ]] || continue
	[[ $root == "$rootfs" || $root == "$rootfs"/* ]] && continue
	seen[$mp]=1
	k=$((k + 1))
	src=$root
	[[ $src == /run/systemd/nspawn/propagate/* ]] && src=$T/incoming
	dump_ext+=(--external "mnt[$mp]:host$k")
	restore_ext+=(--external "mnt[host$k]:$src")
done <"/proc/$init/mountinfo"
((k > 0)) || fail "no bind mount of a host file in the container (nspawn binds os-release at least)"
log "external mounts: ${dump_ext[*]}"

# The container's mounts from its own view (mount point, per-mount options,
# root), but for where its propagate directory comes from (the test's).
ctr_mounts() {
	awk '{ print $5, $6, $4 }' "/proc/$1/mountinfo" |
		sed "s#^\(/run/host/incoming .*\) \(/run/systemd/nspawn/propagate/$machine\|$T/incoming\)\$#\1 INCOMING#" | sort
}
mounts0=$(ctr_mounts "$init")
grep -q '^/proc/kmsg .*//deleted$' <<<"$mounts0" || fail "no bind of a removed file over /proc/kmsg"
ctr_dump "$init" "$img" "${dump_ext[@]}" --external "veth[host0]:$hostif"
# Without its init, nspawn ends (and with the net namespace, its veth).
wait_for 20 "systemd-nspawn to end" is_dead "$nspawn" || fail "systemd-nspawn outlived its container"
wait "$nspawn"
ctr_link_gone "$hostif"

ctr_restore "$img" "${restore_ext[@]}" --external "veth[host0]:$hostif@$CTR_BR"
[[ $(ctr_inner_pid "$CTR_ROOT") == 1 ]] || fail "the restored init $CTR_ROOT is not pid 1 of its namespace"
server=$(ctr_find_inner "$CTR_ROOT" "$inner" ctr-server) || fail "no server ($inner inside) in the restored container"
assert_same "the container seen from outside" "$outside0" "$(ctr_outside_view "$CTR_ROOT" "$server" /srv)"
assert_same "the container's mounts" "$mounts0" "$(ctr_mounts "$CTR_ROOT")"
ctr_session_after "$port"
ctr_kill_restored
ctr_close "$CTR_CONN"
assert_no_strays
