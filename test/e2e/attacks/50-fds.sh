# shellcheck shell=bash
# 50-fds.sh - what root sets back on open files from a user's image set
# (sourced by tests/45-attacks.sh):
#  - socket options: the user edits those of a socket of their own
#    process (88-sockopts: a UDP socket with IP_TOS, a unix socket with
#    SO_KEEPALIVE) into one only a privileged process may set, or into
#    one ckpt never saves;
#  - owners: the user points a file entry at a root-owned file they may
#    read and gives it their own uid and mode 0666, as ckpt gives files it
#    makes anew (memfds, deleted files);
#  - leases: the user points a file entry at a root-owned file they may
#    read and gives it a read lease, which only the file's owner or
#    CAP_LEASE may take (a lease holds root's writers back for
#    lease-break-time): the process takes it itself, with its own
#    credentials, never ckpt for it.
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"

# atk_sockopt NAME LEVEL OPTNAME VALUE CHECK: the IP_TOS entry of the
# user's set becomes option LEVEL/OPTNAME with VALUE (hex bytes); root's
# restore must refuse it cleanly, or the restored process must not see
# CHECK (a check_value key) changed from what it was.
atk_sockopt() {
	local name=$1 level=$2 opt=$3 value=$4 key=$5 w img pid i k before
	w=$ATK_HOME/$name img=$ATK_HOME/$name.img
	atk_spawn "$w" 88-sockopts
	pid=$TARGET_PID
	self_check "$pid" "$w"
	before=$(check_value "$key")
	atk_dump "$pid" "$img"
	chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
	i=$("$IMGEDIT" "$img" files.img | sed -n 's/^files\[\([0-9]*\)\]\.inet_sk\.family=.*/\1/p')
	k=$("$IMGEDIT" "$img" files.img |
		sed -n "s/^files\[$i\]\.inet_sk\.opts\[\([0-9]*\)\]\.name=1\$/\1/p")
	[[ -n $i && -n $k ]] || fail "no IP_TOS option in the images"
	atk_imgedit "$img" files.img "files[$i].inet_sk.opts[$k].level=$level" \
		"files[$i].inet_sk.opts[$k].name=$opt" "files[$i].inet_sk.opts[$k].value=$value"
	ck restore --images "$img" --detach
	if ((CK_RC == 0)); then
		track_pid "$pid"
		self_check "$pid" "$w"
		if [[ $(check_value "$key") != "$before" ]]; then
			log "the user's socket came back with $key $(check_value "$key") (was $before)"
			exit 1
		fi
	fi
	atk_restore_ended "$pid" "restore of a set asking for socket option $level/$opt"
}

# The same with the SO_KEEPALIVE of the unix socket (sk-common.c).
atk_sockopt_unix() {
	local w=$ATK_HOME/unix img=$ATK_HOME/unix.img pid i k
	atk_spawn "$w" 88-sockopts
	pid=$TARGET_PID
	self_check "$pid" "$w"
	atk_dump "$pid" "$img"
	chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
	read -r i k < <("$IMGEDIT" "$img" files.img |
		sed -n 's/^files\[\([0-9]*\)\]\.sock\.opts\[\([0-9]*\)\]\.name=9$/\1 \2/p')
	[[ -n $i && -n $k ]] || fail "no SO_KEEPALIVE in the images"
	atk_imgedit "$img" files.img "files[$i].sock.opts[$k].name=36" \
		"files[$i].sock.opts[$k].value=hex:10000000"
	ck restore --images "$img" --detach
	if ((CK_RC == 0)); then
		track_pid "$pid"
		self_check "$pid" "$w"
		if [[ $(check_value umark) != 0 ]]; then
			log "the user's unix socket came back with SO_MARK $(check_value umark)"
			exit 1
		fi
	fi
	atk_restore_ended "$pid" "restore of a unix socket asking for SO_MARK"
}

# A unix socket's send buffer of 1 GiB: set forced, past wmem_max.
atk_unix_sndbuf() {
	local w=$ATK_HOME/usnd img=$ATK_HOME/usnd.img pid i before
	atk_spawn "$w" 88-sockopts
	pid=$TARGET_PID
	self_check "$pid" "$w"
	before=$(check_value usndbuf)
	atk_dump "$pid" "$img"
	chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
	i=$("$IMGEDIT" "$img" files.img | sed -n 's/^files\[\([0-9]*\)\]\.sock\.opts\[[0-9]*\]\.name=9$/\1/p')
	[[ -n $i ]] || fail "no unix socket with SO_KEEPALIVE in the images"
	atk_imgedit "$img" files.img "files[$i].unix_sk.sndbuf=2147483646"
	ck restore --images "$img" --detach
	if ((CK_RC == 0)); then
		track_pid "$pid"
		self_check "$pid" "$w"
		if (($(check_value usndbuf) > before * 4)); then
			log "the user's unix socket came back with SO_SNDBUF $(check_value usndbuf)"
			exit 1
		fi
	fi
	atk_restore_ended "$pid" "restore of a unix socket asking for 2 GiB of buffer"
}

# SO_MARK 16: routing and firewall marks are CAP_NET_ADMIN's.
atk_sockopt_mark() { atk_sockopt mark 1 36 hex:10000000 mark; }
# SO_SNDBUFFORCE 1 MiB: not an option ckpt saves; forced past wmem_max.
atk_sockopt_force() { atk_sockopt force 1 32 hex:00001000 sndbuf; }

# root_file: a file of root's, 0644, in a directory of its own (sets the
# caller's f, dev and ino).
root_file() {
	local dir
	new_tmp dir
	chmod 0755 "$dir"
	f=$dir/rootfile
	printf 'root\n' >"$f" || fail "cannot write $f"
	chmod 0644 "$f"
	read -r dev ino < <(stat -c '%d %i' "$f")
}

# The owner and mode of a file reopened by path are never set.
atk_owner_reopened() {
	local w=$ATK_HOME/owner img=$ATK_HOME/owner.img pid i f dev ino
	root_file
	atk_set "$w" "$img"
	pid=$ATK_PID
	i=$(file_index "$img" "$w/data")
	atk_imgedit "$img" files.img "files[$i].path=$f" "files[$i].dev=$dev" \
		"files[$i].ino=$ino" "files[$i].size=0" "files[$i].offset=0" "files[$i].flags=0" \
		"files[$i].uid=$ATK_UID" "files[$i].gid=$ATK_GID" "files[$i].mode=0100666"
	ck restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	if [[ $(stat -c '%u %a' "$f") != "0 644" ]]; then
		log "root's file $f is now $(stat -c '%U %a' "$f")"
		exit 1
	fi
	atk_restore_ended "$pid" "restore of a set giving a reopened file an owner"
}

# A lease on a file of root's: the kernel refuses it to the user's process.
atk_lease_root_file() {
	local w=$ATK_HOME/lease img=$ATK_HOME/lease.img pid i f dev ino
	root_file
	atk_set "$w" "$img"
	pid=$ATK_PID
	i=$(file_index "$img" "$w/data")
	atk_imgedit "$img" files.img "files[$i].path=$f" "files[$i].dev=$dev" \
		"files[$i].ino=$ino" "files[$i].size=0" "files[$i].offset=0" "files[$i].flags=0" \
		"files[$i].lease=0"
	ck restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	if grep -qE "LEASE +[A-Z]+ +READ +[0-9]+ [0-9a-f]+:[0-9a-f]+:$ino " /proc/locks; then
		log "the user's process holds a lease on root's file $f: $(grep LEASE /proc/locks)"
		exit 1
	fi
	atk_restore_ended "$pid" "restore of a set leasing root's file"
}

attack owner-reopened atk_owner_reopened
attack lease-root-file atk_lease_root_file
attack sockopt-mark atk_sockopt_mark
attack sockopt-force atk_sockopt_force
attack sockopt-unix-mark atk_sockopt_unix
attack unix-sndbuf atk_unix_sndbuf
