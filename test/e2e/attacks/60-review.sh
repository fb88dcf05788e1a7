# shellcheck shell=bash
# 60-review.sh - what a review of root's dump and restore found a local user
# could still do (sourced by tests/45-attacks.sh).
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"

# has_ctl FILE: does FILE hold a control character other than a newline
# or a tab (an escape sequence for the terminal it is shown on)?
has_ctl() { LC_ALL=C grep -q -P '[\x00-\x08\x0b-\x1f\x7f]' "$1"; }

# user_spawn WORKDIR COMMAND...: COMMAND run by the user, from WORKDIR
# (made by the user, with out and err the user's); sets TARGET_PID.
user_spawn() {
	local w=$1
	shift
	{ as_user mkdir -p "$w" && as_user touch "$w/out" "$w/err"; } || fail "cannot make $w"
	spawn "$w" setpriv --reuid="$ATK_UID" --regid="$ATK_GID" --init-groups \
		--inh-caps=-all --bounding-set=-all -- "$@"
}

# atk_spawn_bin WORKDIR BIN: like atk_spawn, with a program of the user's
# own at BIN (a copy of 41-trust).
atk_spawn_bin() {
	as_user cp "$(atk_bin 41-trust)" "$2" || fail "cannot copy the target to '$2'"
	user_spawn "$1" "$2" "$1"
	wait_ready "$TARGET_PID" "$1"
}

# blocked PID: is PID, or a child of it, waiting on something the user
# holds: opening a FIFO that has no other end (wait_for_partner), or
# connecting to a listener whose backlog is full (unix_wait_for_peer)?
# BLOCKED_ON says which.
blocked() {
	local p
	for p in "$1" $(pgrep -P "$1"); do
		BLOCKED_ON=$(cat "/proc/$p/wchan" 2>/dev/null)
		[[ $BLOCKED_ON == wait_for_partner || $BLOCKED_ON == unix_wait_for_peer ]] && return 0
	done
	return 1
}

ended_or_blocked() { is_dead "$1" || blocked "$1"; }

# ck_bg ARGS...: ckpt ARGS in the background, until it ends (CK_RC, CK_ERR
# as ck sets them) or blocks on what the user holds (then killed, HUNG=1,
# CK_RC=124).
ck_bg() {
	local pid
	CK_OUT=${TMPDIRS[0]}/ck.out CK_ERR=${TMPDIRS[0]}/ck.err HUNG=0
	log "+ $CKPT $* (in the background)"
	"$CKPT" "$@" </dev/null >"$CK_OUT" 2>"$CK_ERR" &
	pid=$!
	track_pid "$pid"
	wait_for "$CKPT_TIMEOUT" "ckpt to end or to block" ended_or_blocked "$pid" ||
		fail "ckpt $1 neither ended nor blocked on what the user holds"
	if ! is_dead "$pid"; then
		HUNG=1
		log "  ckpt waits in $BLOCKED_ON"
		kill -9 "$pid" $(pgrep -P "$pid") 2>/dev/null
	fi
	wait "$pid"
	CK_RC=$?
	((HUNG)) && CK_RC=124
	log "  exit $CK_RC"
	sed 's/^/  stderr: /' "$CK_ERR" >&2
}

# The user names a file of their set's inventory with a terminal escape
# sequence (here one that clears the screen and sets the window title);
# root's restore reports the missing file on root's terminal.
atk_escape_stderr() {
	local w=$ATK_HOME/esc img=$ATK_HOME/esc.img pid
	atk_set "$w" "$img"
	pid=$ATK_PID
	atk_imgedit "$img" inventory.img "files[0].name=$(printf '\033[2J\033]0;owned\007x')"
	ck restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	if has_ctl "$CK_ERR"; then
		log "root's restore printed the user's escape sequence raw: $(od -c "$CK_ERR" | head -2 | tr -s ' ')"
		exit 1
	fi
	ck_assert_failed "restore of a set with an escape sequence in a file name"
	grep -q 'x1b' "$CK_ERR" || fail "the message does not show the escaped name: $(ck_err_line)"
}

# The user runs a program of theirs under a name holding an escape
# sequence (its comm and exe path are the user's to choose); root dumps
# it and looks at the set with ckpt show.
atk_escape_show() {
	local w=$ATK_HOME/escshow bin img dir pid
	bin=$ATK_HOME/$(printf '\033[2Jx')
	atk_spawn_bin "$w" "$bin"
	pid=$TARGET_PID
	new_tmp dir
	img=$dir/img
	# --leave-running: a default dump reads its images back and refuses
	# such a name, which a restore would refuse; show must still be safe.
	ck_ok dump --pid "$pid" --images "$img" --leave-running
	ck show --images "$img"
	((CK_RC == 0)) || fail "ckpt show failed: $(ck_err_line)"
	if has_ctl "$CK_OUT"; then
		log "root's ckpt show printed the process name raw: $(grep -a "^process" "$CK_OUT" | od -c | head -1 | tr -s ' ')"
		exit 1
	fi
	grep -q "^process $pid '\\\\x1b\\[2Jx'" "$CK_OUT" ||
		fail "ckpt show does not show the escaped name: $(grep -a '^process' "$CK_OUT")"
}

# After the dump the user replaces their program with a FIFO: root's
# restore opens it (to check it, to map it) and waits there for a writer,
# for as long as the user likes.
atk_fifo_exe() {
	local w=$ATK_HOME/fifo bin=$ATK_HOME/fifo-prog img=$ATK_HOME/fifo.img pid
	atk_spawn_bin "$w" "$bin"
	pid=$TARGET_PID
	atk_dump "$pid" "$img"
	chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
	{ as_user rm -f "$bin" && as_user mkfifo -m 0755 "$bin"; } || fail "cannot plant the FIFO"
	ck_bg restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	if ((HUNG)); then
		log "root's restore hung opening the user's FIFO at $bin"
		exit 1
	fi
	ck_assert_failed "restore of a set whose program is now a FIFO"
}

# While root's restore drops the capabilities of a many-threaded process
# of the user one thread after the other, the user opens /proc/PID/mem for
# writing: the fd writes the memory every thread shares, the code the
# threads still holding capabilities run next included.
atk_mem_window() {
	local w=$ATK_HOME/memw dir img pid stop=$ATK_HOME/memw.stop report=$ATK_HOME/memw.report
	local -a got
	user_spawn "$w" "$(atk_bin 57-many-threads)" "$w" 64
	wait_ready "$TARGET_PID" "$w"
	pid=$TARGET_PID
	new_tmp dir
	img=$dir/img
	atk_dump "$pid" "$img"
	as_user "$PYTHON" -I -S "$E2E_DIR/py/mem_window.py" "$pid" "$stop" "$report" &
	track_pid $!
	ck restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	as_user touch "$stop" || fail "cannot make $stop"
	wait_for 20 "the report of mem_window.py" test -s "$report" || fail "no report from mem_window.py"
	read -r -a got <"$report"
	log "  mem_window.py: ${got[*]}"
	if [[ ${got[0]} == opened ]] && ((got[2] > 0)); then
		log "the user opened /proc/$pid/mem for writing while ${got[2]} of its ${got[1]} threads held capabilities"
		exit 1
	fi
	((CK_RC == 0)) || fail "restore failed: $(ck_err_line)"
	kill_restored "$pid"
}

# fd_list PID: "N LINK" for every fd of PID, by number.
fd_list() {
	local f
	for f in /proc/"$1"/fd/*; do
		printf '%s %s\n' "${f##*/}" "$(readlink "$f")"
	done | sort -n
}

# restored_fds PID WORKDIR WANT WHAT: after a restore, PID holds exactly
# the fds of WANT (fd_list before the dump), by its own view too.
restored_fds() {
	local pid=$1 w=$2 want=$3 what=$4 have
	((CK_RC == 0)) || fail "restore of $what failed: $(ck_err_line)"
	track_pid "$pid"
	have=$(fd_list "$pid")
	if [[ $have != "$want" ]]; then
		log "the user's process $pid, restored from $what, holds fds it did not have:"
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$have") | sed 's/^/    /' >&2
		exit 1
	fi
	self_check "$pid" "$w"
	log "  $pid holds fds $(check_value fds), as before the dump"
}

# A process of the user's, with fds at high numbers and holes between
# them, restored by root from root's set and from a set the user owns,
# while ckpt itself holds a root-only file at a hole and above them
# (inherited from root's shell): the process must get exactly its own
# fds, none of ckpt's (the images directory, the log pipe, files opened
# before the processes were forked).
atk_fds_exact() {
	local w=$ATK_HOME/fds dir img pid secret want
	root_secret secret
	user_spawn "$w" "$(atk_bin 49-fds)" "$w" 9 1000
	wait_ready "$TARGET_PID" "$w"
	pid=$TARGET_PID
	self_check "$pid" "$w"
	want=$(fd_list "$pid")
	new_tmp dir
	img=$dir/img
	atk_dump "$pid" "$img"
	{ ck restore --images "$img" --detach; } 5<"$secret" 1001<"$secret"
	restored_fds "$pid" "$w" "$want" "root's set"
	kill_restored "$pid"
	wait_gone "$pid"
	chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
	{ ck restore --images "$img" --detach; } 5<"$secret" 1001<"$secret"
	restored_fds "$pid" "$w" "$want" "the user's set"
	kill_restored "$pid"
}

# pts_of PID: the terminals (/dev/pts/N) PID holds, one a line.
pts_of() {
	local f l
	for f in /proc/"$1"/fd/*; do
		l=$(readlink "$f") && [[ $l == /dev/pts/* ]] && printf '%s\n' "$l"
	done | sort -u
}

# The user runs a job on a terminal of theirs; root dumps it, and later
# restores it from root's own terminal (as `criu --shell-job` would): the
# user's process is given root's terminal, which its user cannot open, in
# root's session (with dev.tty.legacy_tiocsti, TIOCSTI types commands into
# root's shell; without, it still reads what root types).
atk_caller_tty() {
	local w=$ATK_HOME/tty bin dir img wrapper pid tty owner
	command -v script >/dev/null || fail "no script(1)"
	bin=$(atk_bin 01-basic)
	user_spawn "$w" script -qfec "stty -onlcr; exec $bin $w" /dev/null
	wrapper=$TARGET_PID
	wait_for 10 "the target under script" pgrep -P "$wrapper" -x 01-basic >/dev/null ||
		fail "no target under script"
	pid=$(pgrep -P "$wrapper" -x 01-basic)
	track_pid "$pid"
	wait_ready "$pid" "$w"
	tty=$(pts_of "$pid")
	[[ $tty == /dev/pts/* && $(stat -c %u "$tty") == "$ATK_UID" ]] ||
		fail "the user's job is not on a terminal of the user's: '$tty'"
	new_tmp dir
	img=$dir/img
	CKPT=$CKPT_DUMP ck_ok dump --pid "$pid" --images "$img"
	reap "$wrapper"
	wait_gone "$pid"
	# Root's terminal: a pty of root's own script, running the restore.
	spawn "$dir" script -qfec "exec $CKPT restore --images $img" /dev/null
	track_pid "$TARGET_PID"
	wait_for 10 "the restore to end or PID $pid to run" restore_done_or_up "$TARGET_PID" "$pid" ||
		fail "the restore neither ended nor restored $pid"
	if [[ -e /proc/$pid ]]; then
		track_pid "$pid"
		for tty in $(pts_of "$pid"); do
			owner=$(stat -c %u "$tty")
			if ((owner != ATK_UID)); then
				log "the user's process $pid holds $tty, a terminal of uid $owner (mode $(stat -c %a "$tty"))"
				exit 1
			fi
		done
		fail "restored $pid holds no terminal of another user, and no terminal of its own either"
	fi
	reap "$TARGET_PID"
	grep -aq 'ckpt: cannot restore' "$dir/out" || fail "the restore failed without saying why: $(head -c 300 "$dir/out")"
	log "  $(grep -a 'ckpt: ' "$dir/out" | head -1 | tr -d '\r')"
}

restore_done_or_up() { is_dead "$1" || [[ -e /proc/$2 ]]; }

# The same without a terminal among the job's fds: a process whose session
# leader is not in the tree is restored into the caller's session, where
# its controlling terminal is root's, for it to open as /dev/tty.
atk_caller_ctty() {
	local w=$ATK_HOME/ctty dir img pid ctty
	command -v script >/dev/null || fail "no script(1)"
	atk_spawn "$w" 41-trust
	pid=$TARGET_PID
	new_tmp dir
	img=$dir/img
	atk_dump "$pid" "$img"
	spawn "$dir" script -qfec "exec $CKPT restore --images $img" /dev/null
	track_pid "$TARGET_PID"
	wait_for 10 "the restore to end or PID $pid to run" restore_done_or_up "$TARGET_PID" "$pid" ||
		fail "the restore neither ended nor restored $pid"
	if [[ -e /proc/$pid ]]; then
		track_pid "$pid"
		ctty=$(proc_stat_field "$pid" 7)
		if ((ctty != 0)); then
			log "the user's process $pid has root's terminal (device $ctty) as its controlling terminal, /dev/tty"
			exit 1
		fi
		self_check "$pid" "$w"
		kill_restored "$pid"
		return 0
	fi
	reap "$TARGET_PID"
	grep -aq 'ckpt: cannot restore' "$dir/out" || fail "the restore failed without saying why: $(head -c 300 "$dir/out")"
	log "  $(grep -a 'ckpt: ' "$dir/out" | head -1 | tr -d '\r')"
}

# The user raises the realtime-priority limit of their set (RLIMIT_RTPRIO,
# soft and hard) above what root's restore has: a kernel that lets root
# raise hard limits (CAP_SYS_RESOURCE) would give it. Where root lacks
# CAP_SYS_RESOURCE (some containers) the kernel refuses it anyway.
atk_rlimit_raise() {
	local w=$ATK_HOME/rl img=$ATK_HOME/rl.img pid i hard have
	atk_set "$w" "$img"
	pid=$ATK_PID
	i=$("$IMGEDIT" "$img" "core-$pid.img" | sed -n 's/^rlimits\[\([0-9]*\)\]\.resource=14$/\1/p')
	[[ -n $i ]] || fail "no RLIMIT_RTPRIO in core-$pid.img"
	hard=$(ulimit -Hr)
	[[ $hard == unlimited ]] && fail "ckpt's own RLIMIT_RTPRIO is unlimited: nothing to raise"
	atk_imgedit "$img" "core-$pid.img" "rlimits[$i].cur=99" "rlimits[$i].max=99"
	ck restore --images "$img" --detach
	if ((CK_RC == 0)); then
		track_pid "$pid"
		have=$(awk '/^Max realtime priority/ { print $5 }' "/proc/$pid/limits")
		if [[ $have == unlimited ]] || ((have > hard)); then
			log "the user's process $pid came back with RLIMIT_RTPRIO $have (root's restore has $hard)"
			exit 1
		fi
		log "  $pid has RLIMIT_RTPRIO $have (root's restore has $hard)"
		kill_restored "$pid"
		return 0
	fi
	ck_assert_failed "restore of a set raising RLIMIT_RTPRIO"
}

# A root server outside the tree (81-unix-peer) and a client of the
# user's (82-unix-client) connected to it. Root dumps the client with its
# connection (--ext-unix-sk) and restores it: the connection is made
# again, and the server must see the user on it (SO_PEERCRED), not root.
atk_unix_peercred() {
	local srv w=$ATK_HOME/upc dir img pid server peers
	new_tmp srv
	chmod 0755 "$srv" || fail "cannot chmod $srv"
	start_target "$srv" 81-unix-peer
	server=$TARGET_PID
	chmod 0666 "$srv/server.sock" "$srv/log.sock" || fail "cannot open the server to the user"
	user_spawn "$w" "$(atk_bin 82-unix-client)" "$w" --server "$srv"
	wait_ready "$TARGET_PID" "$w"
	pid=$TARGET_PID
	self_check "$pid" "$w"
	new_tmp dir
	img=$dir/img
	CKPT=$CKPT_DUMP ck_ok dump --pid "$pid" --images "$img" --ext-unix-sk
	reap "$pid"
	wait_gone "$pid"
	ck restore --images "$img" --detach
	((CK_RC == 0)) || fail "restore failed: $(ck_err_line)"
	track_pid "$pid"
	self_check "$pid" "$w"
	self_check "$server" "$srv"
	peers=$(check_value peers)
	if [[ ,$peers, == *,0,* ]]; then
		log "the root server sees the user's restored client as uid 0 (peers: $peers)"
		exit 1
	fi
	[[ $peers == "$ATK_UID,$ATK_UID" ]] || fail "the server saw peers $peers, want $ATK_UID twice"
	kill_restored "$pid"
}

# The same client connected to a server of the user's: after the dump the
# user fills the backlog of the server's listener and takes no more
# connections; root's restore connects the client to it again.
atk_unix_connect_hang() {
	local w=$ATK_HOME/uch srv=$ATK_HOME/uch-srv report=$ATK_HOME/uch.report dir img pid server
	as_user mkdir -p "$srv" || fail "cannot make $srv"
	as_user "$PYTHON" -I -S "$E2E_DIR/py/unix_full.py" "$srv" "$report" &
	track_pid $!
	wait_for 10 "the user's server" grep -q listening "$report" || fail "no server"
	read -r _ server <"$report"
	track_pid "$server"
	user_spawn "$w" "$(atk_bin 82-unix-client)" "$w" --server "$srv"
	wait_ready "$TARGET_PID" "$w"
	pid=$TARGET_PID
	new_tmp dir
	img=$dir/img
	CKPT=$CKPT_DUMP ck_ok dump --pid "$pid" --images "$img" --ext-unix-sk
	reap "$pid"
	wait_gone "$pid"
	kill -USR1 "$server"
	wait_for 10 "the backlog to fill" grep -q full "$report" || fail "the backlog did not fill"
	log "  server: $(cat "$report")"
	ck_bg restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	if ((HUNG)); then
		log "root's restore hung connecting to the user's full listener"
		exit 1
	fi
	ck_assert_failed "restore of a client of a listener that takes no connection"
}

# free_priv_port: a TCP port below 1024 nobody listens on or uses.
free_priv_port() {
	local p hex
	for ((p = 1023; p > 900; p--)); do
		printf -v hex ':%04X ' "$p"
		grep -q "$hex" /proc/net/tcp /proc/net/tcp6 || {
			printf '%s\n' "$p"
			return 0
		}
	done
	return 1
}

# tcp_on PID PORT STATE: does PID hold a TCP socket on local PORT in
# STATE (/proc/net/tcp: 0A listening, 01 established)?
tcp_on() {
	local hex inode
	printf -v hex '%04X' "$2"
	while read -r inode; do
		fd_on "$1" "socket:[$inode]" && return 0
	done < <(awk -v p=":$hex" -v st="$3" '$2 ~ p"$" && $4 == st { print $10 }' /proc/net/tcp)
	return 1
}

listens_on() { tcp_on "$1" "$2" 0A; }

# user_listener WORKDIR: a python process of the user's listening on a TCP
# port of loopback; sets TARGET_PID and LPORT.
user_listener() {
	local w=$1
	user_spawn "$w" "$PYTHON" -I -S -c '
import os, signal, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    signal.pause()
' "$w/port"
	wait_for 10 "the user's listener" test -s "$w/port" || fail "no listener"
	LPORT=$(cat "$w/port")
	listens_on "$TARGET_PID" "$LPORT" || fail "$TARGET_PID does not listen on $LPORT"
}

# sock_uid PORT STATE: the uid /proc/net/tcp gives the socket on PORT.
sock_uid() {
	local hex
	printf -v hex '%04X' "$1"
	awk -v p=":$hex" -v st="$2" '$2 ~ p"$" && $4 == st { print $8; exit }' /proc/net/tcp
}

# The user's process listens on a TCP port of its own; in their set, the
# user moves the listener to a port below 1024, which only root may bind.
atk_inet_privport() {
	local w=$ATK_HOME/priv img=$ATK_HOME/priv.img pid port i lport
	user_listener "$w"
	pid=$TARGET_PID lport=$LPORT
	port=$(free_priv_port) || fail "no free port below 1024"
	atk_dump "$pid" "$img"
	chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
	i=$("$IMGEDIT" "$img" files.img | sed -n "s/^files\[\([0-9]*\)\]\.inet_sk\.src_port=$lport\$/\1/p")
	[[ -n $i ]] || fail "no socket on port $lport in files.img"
	atk_imgedit "$img" files.img "files[$i].inet_sk.src_port=$port"
	ck restore --images "$img" --detach
	if ((CK_RC == 0)); then
		track_pid "$pid"
		if listens_on "$pid" "$port"; then
			log "the user's process $pid listens on port $port"
			exit 1
		fi
		fail "restored $pid does not listen on $port"
	fi
	ck_assert_failed "restore of a user's set binding port $port"
}

# The user's process holds a TCP connection with itself; in their set the
# user moves its client end to a port below 1024 (what rsh-style servers
# take as a sign of root): root's restore rebuilds it in repair mode,
# which believes whatever addresses, ports and sequence numbers it is told.
atk_inet_tcp_forge() {
	local w=$ATK_HOME/forge img=$ATK_HOME/forge.img pid port a b lport aport
	user_spawn "$w" "$PYTHON" -I -S -c '
import os, signal, socket, sys
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(5)
a = socket.create_connection(l.getsockname())
b, _ = l.accept()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d\n" % (l.getsockname()[1], a.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    signal.pause()
' "$w/ports"
	pid=$TARGET_PID
	wait_for 10 "the user's connection" test -s "$w/ports" || fail "no connection"
	read -r lport aport <"$w/ports"
	tcp_on "$pid" "$aport" 01 || fail "$pid has no connection from port $aport"
	port=$(free_priv_port) || fail "no free port below 1024"
	atk_dump "$pid" "$img"
	chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
	a=$("$IMGEDIT" "$img" files.img | sed -n "s/^files\[\([0-9]*\)\]\.inet_sk\.src_port=$aport\$/\1/p")
	b=$("$IMGEDIT" "$img" files.img | sed -n "s/^files\[\([0-9]*\)\]\.inet_sk\.dst_port=$aport\$/\1/p")
	[[ -n $a && -n $b ]] || fail "no connection from port $aport in files.img"
	atk_imgedit "$img" files.img "files[$a].inet_sk.src_port=$port" "files[$b].inet_sk.dst_port=$port"
	ck restore --images "$img" --detach
	if ((CK_RC == 0)); then
		track_pid "$pid"
		if tcp_on "$pid" "$port" 01; then
			log "the user's process $pid holds a TCP connection from port $port to port $lport"
			exit 1
		fi
		fail "restored $pid has no connection from port $port"
	fi
	ck_assert_failed "restore of a user's set with a TCP connection"
}

# Root dumps and restores a listener of the user's (root's own set): the
# socket must stay the user's, for netfilter's owner match ("-m owner
# --uid-owner 0" lets root's traffic through) and for /proc/net.
atk_inet_sock_uid() {
	local w=$ATK_HOME/skuid dir img pid lport uid
	user_listener "$w"
	pid=$TARGET_PID lport=$LPORT
	uid=$(sock_uid "$lport" 0A)
	((uid == ATK_UID)) || fail "the user's socket is uid $uid's before the dump"
	new_tmp dir
	img=$dir/img
	atk_dump "$pid" "$img"
	ck restore --images "$img" --detach
	((CK_RC == 0)) || fail "restore failed: $(ck_err_line)"
	track_pid "$pid"
	listens_on "$pid" "$lport" || fail "restored $pid does not listen on $lport"
	uid=$(sock_uid "$lport" 0A)
	if ((uid != ATK_UID)); then
		log "the user's restored listener on port $lport is uid $uid's"
		exit 1
	fi
	kill_restored "$pid"
}

# The user's process holds a setuid program of the user's open and the
# user deletes it; root dumps the process (root's own set) and restores
# it. The deleted file is made again under its old name for a moment, by
# root (the process's thousands of other files, opened meanwhile, make the moment
# longer): a watcher of the user's (inotify) renames it away as it
# appears (the directory is the user's), so that it outlives the restore.
atk_ghost_setuid() {
	local w=$ATK_HOME/ghost dir img pid prog=$ATK_HOME/ghost/prog
	local stop=$ATK_HOME/ghost/stop report=$ATK_HOME/ghost.report st
	user_spawn "$w" "$PYTHON" -I -S -c '
import os, signal, sys
prog = sys.argv[1]
with open(prog, "wb") as f:
    f.write(b"#!/bin/sh\nid\n")
os.chmod(prog, 0o4755)
fd = os.open(prog, os.O_RDONLY)
os.unlink(prog)
# Many files to open after the deleted one is made: time for the watcher.
with open(prog + ".many", "w") as f:
    f.write("x")
import resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2048), hard))
many = [os.open(prog + ".many", os.O_RDONLY) for _ in range(min(hard, 2048) - 100)]
with open(prog + ".ready", "w") as f:
    f.write("%d\n" % fd)
while True:
    signal.pause()
' "$prog"
	pid=$TARGET_PID
	wait_for 10 "the user's deleted program" test -s "$prog.ready" || fail "no deleted program"
	[[ ! -e $prog ]] || fail "$prog is still there"
	new_tmp dir
	img=$dir/img
	atk_dump "$pid" "$img"
	as_user "$PYTHON" -I -S -c '
import ctypes, os, struct, sys
prog, stop, report = sys.argv[1:4]
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(0)
if fd < 0 or libc.inotify_add_watch(fd, os.path.dirname(prog).encode(), 0x100) < 0:
    sys.exit("cannot watch")
with open(report + ".tmp", "w") as f:
    f.write("watching\n")
os.rename(report + ".tmp", report)
done = False
while not done:
    buf = os.read(fd, 65536)
    off = 0
    while off + 16 <= len(buf):
        _, _, _, n = struct.unpack_from("iIII", buf, off)
        name = buf[off + 16:off + 16 + n].rstrip(b"\0").decode()
        off += 16 + n
        if name == os.path.basename(prog):
            try:
                os.rename(prog, prog + ".kept")
                done = True
            except OSError:
                pass
        elif name == os.path.basename(stop):
            done = True
with open(report + ".tmp", "w") as f:
    f.write("done\n")
os.rename(report + ".tmp", report)
' "$prog" "$stop" "$report" &
	track_pid $!
	wait_for 10 "the watcher" grep -q watching "$report" || fail "no watcher"
	ck restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	as_user touch "$stop" || fail "cannot make $stop"
	wait_for 20 "the watcher to end" grep -q "done" "$report" || fail "the watcher did not end"
	if [[ -e $prog.kept ]]; then
		st=$(stat -c '%u %a' "$prog.kept")
		log "  the user kept the file root's restore made: owner and mode $st"
		if [[ $st == "0 "[2467]??? ]]; then
			log "root's restore made a setuid or setgid program of root's, $prog.kept"
			exit 1
		fi
		[[ $(cat "$prog.kept") == "$(printf '#!/bin/sh\nid')" ]] ||
			fail "the deleted file came back as '$(od -c "$prog.kept" | head -2)'"
	fi
	((CK_RC == 0)) || ck_assert_failed "restore of a process holding a deleted file"
}

attack escape-stderr atk_escape_stderr
attack escape-show atk_escape_show
attack fifo-exe atk_fifo_exe
attack mem-window atk_mem_window
attack fds-exact atk_fds_exact
attack caller-tty atk_caller_tty
attack caller-ctty atk_caller_ctty
attack rlimit-raise atk_rlimit_raise
attack unix-peercred atk_unix_peercred
attack unix-connect-hang atk_unix_connect_hang
attack inet-privport atk_inet_privport
attack inet-tcp-forge atk_inet_tcp_forge
attack inet-sock-uid atk_inet_sock_uid
attack ghost-setuid atk_ghost_setuid
