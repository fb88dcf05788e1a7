# shellcheck shell=bash
# net.sh - helpers for the socket tests (90-99), sourced after lib.sh.
#
# The test shell itself is the client outside the tree: bash connects with
# /dev/tcp and /dev/udp, so the connection that must survive a dump and a
# restore is held by no process but the test's own, and nothing is left to
# clean up but fds. Nothing here sleeps: every wait is a bounded poll.

# loopback 4|6: the loopback address of that family.
loopback() {
	if [[ $1 == 6 ]]; then echo ::1; else echo 127.0.0.1; fi
}

# tcp_open VAR HOST PORT: connect this shell to HOST:PORT, the fd in VAR.
tcp_open() {
	local new_fd
	exec {new_fd}<>"/dev/tcp/$2/$3" || fail "cannot connect to $2 port $3"
	printf -v "$1" '%s' "$new_fd"
}

# udp_open VAR HOST PORT: a UDP socket of this shell connected to HOST:PORT.
udp_open() {
	local new_fd
	exec {new_fd}<>"/dev/udp/$2/$3" || fail "cannot open a UDP socket to $2 port $3"
	printf -v "$1" '%s' "$new_fd"
}

# fd_close FD: close an fd of this shell.
fd_close() {
	local fd=$1
	exec {fd}>&-
}

# read_datagram FD: one datagram (dd reads it whole, as bash would not), 5 s at most.
read_datagram() {
	timeout 5 dd bs=4096 count=1 status=none <&"$1"
}

# read_bytes FD N FILE: exactly N bytes from FD into FILE, 10 s at most.
read_bytes() {
	timeout 10 head -c "$2" <&"$1" >"$3"
	(($(stat -c %s "$3") == $2)) || fail "read $(stat -c %s "$3") bytes of $2 from the connection"
}

# established_to PORT: how many established TCP connections go to PORT
# (our client ends, once the server ends are gone).
established_to() {
	ss -Htn state established "( dport = :$1 )" | wc -l
}

# acked_from PORT: every established connection from PORT has nothing in
# its send queue (the peer acknowledged all of it).
acked_from() {
	[[ -z $(ss -Htn state established "( sport = :$1 )" | awk '$2 != 0') ]]
}

# listening PORT: something listens on TCP port PORT.
listening() {
	[[ -n $(ss -Hltn "( sport = :$1 )") ]]
}

# free_port: a TCP port nobody uses on loopback now.
free_port() {
	"$PYTHON" -I -S -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stream_verify FILE: FILE holds "DATA 00000000" .. "DATA K" one a line,
# then "NEXT": the stream the 90-inet target sends its client, whole.
stream_verify() {
	local bad
	bad=$(LC_ALL=C awk '
		$0 == "NEXT" { next_at = NR; next }
		next_at || $0 != sprintf("DATA %08d", NR - 1) { printf "line %d is \"%s\"", NR, substr($0, 1, 40); exit }
		END { if (!next_at) print "no NEXT line" }' "$1")
	[[ -z $bad ]] || fail "the stream from the server is broken: $bad"
}

# inet_start W FAM: the 90-inet target in W (IPv4 or 6), with this shell as
# the client of its TCP server; sets INET_PID, INET_TCP and INET_UDP (its
# ports) and INET_FD (the client's end). The server has filled its send
# queue and holds the client's 18-byte message unread.
inet_start() {
	local w=$1
	start_target "$w" 90-inet "$2"
	INET_PID=$TARGET_PID
	read -r INET_TCP INET_UDP < <(sed -n 's/^PORTS tcp=\([0-9]*\) udp=\([0-9]*\) .*/\1 \2/p' "$w/out")
	[[ -n $INET_TCP && -n $INET_UDP ]] || fail "no PORTS line from the target"
	INET_FD=''
	tcp_open INET_FD "$(loopback "$2")" "$INET_TCP"
	wait_for 10 "the server to fill its send queue" has_line "$w/out" '^FILLED' ||
		fail "the server never filled its send queue: $(tail -n 2 "$w/out")"
	printf 'HELLO-FROM-CLIENT\n' >&"$INET_FD"
	wait_for 10 "the message to wait in the server" has_line "$w/out" '^INQ 18$' ||
		fail "the client's message is not waiting in the server: $(grep INQ "$w/out" | tail -n 1)"
}

# client_recvq PORT: the bytes waiting unread in our client end of the
# connection to PORT.
client_recvq() {
	ss -Htn state established "( dport = :$1 )" | awk '{ n += $1 } END { print n + 0 }'
}

# queues_look PID W PORT: one look at both ends of the connection to
# PORT: the server's queues (its self-check) and the client's receive
# queue, taken before and after that self-check. True when the two agree.
queues_look() {
	local before
	before=$(client_recvq "$3")
	self_check "$1" "$2"
	Q_INQ=$(check_value s_inq) Q_OUTQ=$(check_value s_outq)
	Q_RECVQ=$(client_recvq "$3")
	[[ $before == "$Q_RECVQ" ]]
}

# queues_snapshot PID W PORT: Q_INQ and Q_OUTQ of the server (its
# connection's receive and send queues) and Q_RECVQ of the client, as at
# one instant. The client's window may open at any time (a window probe
# the server sends, the first one when a dump takes its socket out of
# repair mode): bytes then move from the server's send queue to the
# client's receive queue, and a move between the two looks would be
# counted on both sides. The client never reads, so bytes only go that
# way: a look whose client queue did not change around the server's
# self-check saw none move.
queues_snapshot() {
	wait_for 20 "both ends of the connection to hold still" queues_look "$@" ||
		fail "the queues of the connection to port $3 never held still for a look"
}

# queues_kept PID W INQ OUTQ PORT RECVQ: in the server's own view (a
# self-check), its connection holds INQ bytes to read, as before, and the
# bytes it had to send are all still on their way: in its send queue, or
# in the client's receive queue (RECVQ before; the client's window may open
# and take some while the server is away, more so on a loaded machine).
queues_kept() {
	queues_snapshot "$1" "$2" "$5"
	[[ $Q_INQ == "$3" ]] && ((Q_OUTQ + Q_RECVQ == $4 + $6)) ||
		fail "the server holds $Q_INQ and $Q_OUTQ bytes and the client $Q_RECVQ, $3, $4 and $6 before the dump"
}

# stream_completes PID W FD TCP: phase 2 of 90-inet (SIGUSR1): the client
# on FD gets the whole stream, not a byte lost or repeated, and its
# acknowledgements reach the server on port TCP (sequence numbers agree).
stream_completes() {
	local total
	send_usr1 "$1" "$2" 1
	wait_for 10 "phase 2" has_line "$2/out" '^TOTAL' || fail "no TOTAL line from the target"
	total=$(sed -n 's/^TOTAL bytes=//p' "$2/out")
	read_bytes "$3" "$total" "$T/stream"
	stream_verify "$T/stream"
	log "the client got all $total bytes"
	wait_for 10 "the client to acknowledge the stream" acked_from "$4" ||
		fail "the server's bytes are never acknowledged: $(ss -Htn "( sport = :$4 )")"
}

# inet_roundtrip 4|6: the 90-inet target on the loopback of that family
# (see targets/90-inet.c). The test shell is the client of its listening
# socket: it lets the server fill its send queue, leaves a message unread
# in the server's receive queue, and asks the UDP socket; dump (kills),
# restore. The client connection, never closed, is still established after
# the kill; the target's own view (addresses, peers, options, both queues,
# the pair inside it) is the same after the restore; then the client gets
# the whole stream without a byte lost or repeated and the next message,
# the server read the queued message, a new connection is accepted, and the
# UDP socket still answers on its address.
inet_roundtrip() {
	local fam=$1 w=$T/w img=$T/images host pid tcp udp c c2 u line inq0 outq0 recvq0
	host=$(loopback "$fam")
	inet_start "$w" "$fam"
	pid=$INET_PID tcp=$INET_TCP udp=$INET_UDP c=$INET_FD
	udp_open u "$host" "$udp"
	printf 'ping1' >&"$u"
	[[ $(read_datagram "$u") == "ECHO ping1" ]] || fail "no UDP echo before the dump"
	queues_snapshot "$pid" "$w" "$tcp"
	inq0=$Q_INQ outq0=$Q_OUTQ recvq0=$Q_RECVQ
	((inq0 == 18 && outq0 > 0)) || fail "before the dump the server holds $inq0 and $outq0 bytes"

	dump_tree "$pid" "$img"
	(($(established_to "$tcp") == 1)) ||
		fail "the client connection did not survive the kill: $(ss -Htan "( dport = :$tcp )")"
	restore_tree "$img" "$pid"
	queues_kept "$pid" "$w" "$inq0" "$outq0" "$tcp" "$recvq0"
	stream_completes "$pid" "$w" "$c" "$tcp"
	tcp_open c2 "$host" "$tcp"
	read -r -t 10 -u "$c2" line || fail "no greeting on a new connection after the restore"
	[[ $line == HELLO2 ]] || fail "a new connection got '$line', want HELLO2"
	printf 'ping2' >&"$u"
	[[ $(read_datagram "$u") == "ECHO ping2" ]] || fail "no UDP echo after the restore"
	self_check "$pid" "$w"
	[[ $(check_value phase) == 2 ]] || fail "phase $(check_value phase), want 2"
	kill_tree "${TREE_PIDS[@]}"
	fd_close "$c"
	fd_close "$c2"
	fd_close "$u"
	assert_no_strays
}

# resp_send FD ARG...: one redis command, as RESP (an array of bulk strings).
resp_send() {
	local fd=$1 a out
	shift
	out="*$#"$'\r\n'
	for a in "$@"; do
		out+="\$${#a}"$'\r\n'"$a"$'\r\n'
	done
	printf '%s' "$out" >&"$fd"
}

# resp_reply FD: the next redis reply on FD, as text: "+OK", ":1", "-ERR ...",
# the string of a bulk reply, "(nil)"; 10 s at most.
resp_reply() {
	local fd=$1 line data
	read -r -t 10 -u "$fd" line || return 1
	line=${line%$'\r'}
	if [[ ${line:0:1} != '$' ]]; then
		printf '%s\n' "$line"
	elif ((${line:1} < 0)); then
		printf '(nil)\n'
	else
		read -r -t 10 -N "$((${line:1} + 2))" -u "$fd" data || return 1
		printf '%s\n' "${data%$'\r\n'}"
	fi
}

# redis FD ARG...: send a command, print its reply.
redis() {
	local fd=$1
	shift
	resp_send "$fd" "$@"
	resp_reply "$fd" || fail "no reply from redis to '$*'"
}

# client_info FD: what redis knows of this connection (CLIENT INFO) that
# must not change: its id, both addresses, its fd in the server.
client_info() {
	redis "$1" CLIENT INFO | tr ' ' '\n' | grep -E '^(id|addr|laddr|fd)=' | tr '\n' ' '
}

# http_get HOST PORT PATH FILE: one HTTP/1.0 request on a new connection of
# this shell; the whole response (the server closes) into FILE.
http_get() {
	local conn
	tcp_open conn "$1" "$2"
	http_ask "$conn" "$3" "$4"
	fd_close "$conn"
}

# http_ask FD PATH FILE: one HTTP/1.0 request on connection FD; the whole
# response into FILE, 10 s at most.
http_ask() {
	printf 'GET %s HTTP/1.0\r\nHost: test\r\n\r\n' "$2" >&"$1"
	timeout 10 cat <&"$1" >"$3"
}

# http_ok FILE WANT: response FILE says 200 and its body is file WANT.
http_ok() {
	local status
	status=$(head -n 1 "$1" | tr -d '\r')
	[[ $status == "HTTP/1.0 200 OK" ]] || fail "the server answered '$status', want 200"
	sed '1,/^\r$/d' "$1" | cmp -s - "$2" || fail "the body is not $2 ($(stat -c %s "$1") bytes of response)"
}

# nr_threads PID: how many threads PID has.
nr_threads() {
	local -a t=("/proc/$1/task"/*)
	printf '%s\n' "${#t[@]}"
}

has_threads() { (($(nr_threads "$1") == $2)); }

# A memcached client on an fd connected to it (161, 342): mc_line FD reads a
# line of its reply (without the CR), mc_set FD KEY FLAGS VALUE stores,
# mc_get FD KEY prints "FLAGS VALUE" or "(nil)".
mc_line() {
	local l
	read -r -t 10 -u "$1" l || fail "no reply from memcached"
	printf '%s\n' "${l%$'\r'}"
}
mc_set() { # FD KEY FLAGS VALUE
	printf 'set %s %s 0 %s\r\n%s\r\n' "$2" "$3" "${#4}" "$4" >&"$1"
	[[ $(mc_line "$1") == STORED ]] || fail "set $2 failed"
}
mc_get() { # FD KEY
	local l data
	printf 'get %s\r\n' "$2" >&"$1"
	l=$(mc_line "$1")
	if [[ $l == END ]]; then
		echo '(nil)'
		return
	fi
	[[ $l == "VALUE $2 "* ]] || fail "get $2: $l"
	read -r -t 10 -N "$(($(cut -d' ' -f4 <<<"$l") + 2))" -u "$1" data || fail "get $2: short value"
	[[ $(mc_line "$1") == END ]] || fail "get $2: no END"
	printf '%s %s\n' "$(cut -d' ' -f3 <<<"$l")" "${data%$'\r\n'}"
}
