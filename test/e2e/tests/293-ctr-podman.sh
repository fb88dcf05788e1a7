#!/bin/bash
# 293-ctr-podman.sh - a podman container: an image made offline (`podman
# import` of a busybox-static rootfs built here, with the server of
# targets/290-ctr-server-static.c), `podman run -d` with its own hostname, a
# tmpfs on /srv, memory and pids limits, no network of podman's (--network
# none) but a veth the test moves in, into a bridge of the host; this shell
# connected over TCP. podman runs as test/e2e/CONTAINERS.md says it must
# here (runc, lower rlimits, cgroupfs) with all its storage under the
# test's temp dir. The container is checkpointed by its PID (conmon, its
# supervisor, stays outside), its rootfs and the host files podman binds in
# named as external mounts; restored with them and the veth's host end put
# back into the bridge; then it must look the same from outside (PIDs
# inside, hostname, files, shm, addresses, cgroups and their limits,
# seccomp and capabilities, its mount tree) and to the server itself, answer on the
# connection held across the dump with its counter going on, and accept a
# new one.
# e2e-timeout: 180
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/ctr.sh
. "$(dirname "$0")/../ctr.sh"
e2e_init

ctr_need podman podman
ctr_need runc runc
ctr_need conmon conmon
ctr_need nsenter util-linux
ctr_need ip iproute2
[[ -x $CTR_SERVER ]] || fail "target $CTR_SERVER not built"

img=$T/images
p=$T/podman
name=ctr293-$CTR_RUN
image=localhost/ctr293-$CTR_RUN:latest
note=note-293-$CTR_RUN
cg=ctr293-$CTR_RUN
port=8293
# Storage, state and events all under the test's temp dir: nothing left in
# /var/lib/containers or /run.
pm=(podman --root "$p/root" --runroot "$p/run" --tmpdir "$p/tmp" --storage-driver vfs
	--cgroup-manager cgroupfs --events-backend file --runtime runc)
mkdir -p "$p/tmp" "$T/ext"
# podman import writes its blob cache to /var/lib/containers/cache whatever
# --root says, and runc keeps its state under /run/runc: removed at the end
# if this test made them.
new_dirs=()
for d in /var/lib/containers /run/runc; do
	[[ -e $d ]] || new_dirs+=("$d")
done

podman_cleanup() {
	local m
	ctr_kill_now "${CTR_PIDS[@]}"
	timeout 30 "${pm[@]}" rm -f -t 0 "$name" >/dev/null 2>&1
	timeout 30 "${pm[@]}" rmi -f "$image" >/dev/null 2>&1
	# Whatever podman left mounted under its directories (the container's
	# /dev/shm), deepest first.
	awk -v p="$p/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	ctr_rmdir_cgroups "$cg"
	for m in "${new_dirs[@]}"; do
		[[ $m == /run/runc ]] && { rmdir "$m" 2>/dev/null; continue; }
		rm -rf -- "$m"
	done
	return 0
}
CTR_PIDS=()
ctr_on_exit podman_cleanup

ctr_rootfs "$T/rootfs"
cat >"$T/rootfs/bin/start" <<'EOF'
#!/bin/sh
printf '%s\n' "$1" >/srv/note.txt
exec /bin/ctr-server "$2" /srv
EOF
chmod 755 "$T/rootfs/bin/start"
tar -C "$T/rootfs" -cf "$T/rootfs.tar" . || fail "cannot make the rootfs tarball"
timeout 60 "${pm[@]}" import "$T/rootfs.tar" "$image" >"$T/import.log" 2>&1 ||
	fail "podman import failed: $(tail -n 2 "$T/import.log" | tr '\n' ' ')"

ctr_bridge
# The rlimits: root lacks CAP_SYS_RESOURCE here, podman's default (1048576)
# cannot be set, nor the current hard limit of nproc: lower ones can.
# /dev/shm: podman's own is a tmpfs it mounts on the host and binds in (its
# contents gone once the container stops): a tmpfs of the container's own.
timeout 60 "${pm[@]}" run -d --name "$name" --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
	--ipc private --tmpfs /dev/shm:rw,nosuid,nodev,size=65536k --network none --hostname ctr293 --tmpfs /srv --memory 64m --pids-limit 50 \
	--cgroup-parent "/$cg" "$image" /bin/start "$note" "$port" >"$T/run.log" 2>&1 ||
	fail "podman run failed: $(tail -n 2 "$T/run.log" | tr '\n' ' ')"
read -r server conmon < <("${pm[@]}" inspect -f '{{.State.Pid}} {{.State.ConmonPid}}' "$name")
[[ $server =~ ^[1-9][0-9]*$ && -e /proc/$server ]] || fail "podman gives no PID for the container: '$server'"
listening_inside() { [[ -n $(nsenter -t "$server" -n ss -Hltn "( sport = :$port )") ]]; }
wait_for 20 "the server to listen" listening_inside ||
	fail "the server does not listen: $("${pm[@]}" logs "$name" 2>&1 | head -n 3 | tr '\n' ' ')"
[[ $(ctr_inner_pid "$server") == 1 ]] || fail "the server $server is not pid 1 of the container"
log "conmon $conmon, server $server (pid 1 inside)"
ctr_veth "$server" eth0

ctr_session_start "$port" 293 "$note" pid 1

# The limits podman set, read where the container's cgroups are.
limits() {
	local mem pids
	mem=$(awk -F: '$2 == "memory" { print $3 }' "/proc/$1/cgroup")
	pids=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$1/cgroup")
	if [[ -n $mem ]]; then
		printf 'memory %s limit %s\n' "$mem" "$(cat "/sys/fs/cgroup/memory$mem/memory.limit_in_bytes")"
		printf 'pids %s max %s\n' "$pids" "$(cat "/sys/fs/cgroup/pids$pids/pids.max")"
	else
		mem=$(awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup")
		printf 'memory %s max %s\n' "$mem" "$(cat "/sys/fs/cgroup$mem/memory.max")"
		printf 'pids %s max %s\n' "$mem" "$(cat "/sys/fs/cgroup$mem/pids.max")"
	fi
}
# The container's mount tree as it sees it: mount point, per-mount flags,
# type, source and superblock options, and what of its filesystem each
# one shows (not for what lies on the host's root filesystem: the rootfs
# and podman's files, bound again from where the restore is told); sorted,
# as mountinfo lists mounts by id, which a restore hands out anew.
hostdev=$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)
mounts() {
	awk -v h="$hostdev" '{
		for (i = 7; $i != "-"; i++) ;
		print "mount", $5, ($3 == h ? "(host)" : $4), $6, $(i + 1), $(i + 2), $(i + 3)
	}' "/proc/$1/mountinfo" | sort
}
outside0=$(ctr_outside_view "$server" "$server" /srv)$'\n'$(limits "$server")$'\n'$(mounts "$server")
log "outside view:"$'\n'"$outside0"
grep -q "^shm $((0x290290)) " <<<"$outside0" || fail "no shm segment with key 0x290290 in the container"
grep -q "^addr eth0 $CTR_NET.2/24" <<<"$outside0" || fail "eth0 has no address in the container"
grep -Eq "^memory /$cg/.* (limit|max) 67108864\$" <<<"$outside0" || fail "no 64 MiB memory limit on the container"
grep -Eq "^pids /$cg/.* max 50\$" <<<"$outside0" || fail "no pids limit of 50 on the container"

# What podman binds in from the host: its rootfs, and files of its own
# (/etc/hostname, /etc/hosts, /run/.containerenv here: every mount of the
# host's root filesystem but the rootfs), copied before the dump as a user
# moving the container takes them along: podman may remove its own once
# the container has stopped.
rootfs=$(awk '$5 == "/" { print $4; exit }' "/proc/$server/mountinfo")
[[ -d $rootfs/bin ]] || fail "the container's rootfs '$rootfs' is not a directory of this machine"
dump_ext=(--external "mnt[/]:rootfs")
restore_ext=(--external "mnt[rootfs]:$rootfs")
k=0
while read -r _ _ dev root mp _; do
	[[ $dev == "$hostdev" && $mp != / ]] || continue
	[[ $root == "$rootfs" || $root == "$rootfs"/* ]] && continue
	[[ -f $root ]] || fail "$mp of the container is bound from '$root', not a file of this machine"
	k=$((k + 1))
	cp -p "$root" "$T/ext/$k" || fail "cannot copy $root"
	dump_ext+=(--external "mnt[$mp]:host$k")
	restore_ext+=(--external "mnt[host$k]:$T/ext/$k")
done <"/proc/$server/mountinfo"
((k > 0)) || fail "no bind mount of a host file in the container (podman binds /etc/hostname at least)"
log "external mounts: ${dump_ext[*]}"

ctr_dump "$server" "$img" "${dump_ext[@]}" --external "veth[eth0]:$CTR_HOSTIF"
ctr_link_gone "$CTR_HOSTIF"
# podman tidies up a container it sees stop (conmon runs `podman
# container cleanup`, and runc delete removes its cgroups): a restore
# racing that has its cgroups removed under it. A user restores once
# podman is done: conmon gone, and the cleanup run (it does nothing the
# second time).
wait_for 30 "conmon $conmon to exit" is_gone "$conmon" || fail "conmon $conmon runs on after the dump"
timeout 60 "${pm[@]}" container cleanup "$name" >/dev/null 2>&1

ctr_restore "$img" "${restore_ext[@]}" --external "veth[eth0]:$CTR_HOSTIF@$CTR_BR"
[[ $(ctr_inner_pid "$CTR_ROOT") == 1 ]] || fail "the restored root $CTR_ROOT is not pid 1 of its namespace"
server=$CTR_ROOT
assert_same "the container seen from outside" "$outside0" \
	"$(ctr_outside_view "$server" "$server" /srv)"$'\n'"$(limits "$server")"$'\n'"$(mounts "$server")"
ctr_session_after "$port"
ctr_kill_restored
ctr_close "$CTR_CONN"
