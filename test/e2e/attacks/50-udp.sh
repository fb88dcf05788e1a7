# shellcheck shell=bash
# 50-udp.sh - datagrams from anywhere (sourced by tests/45-attacks.sh):
# root sends the datagrams of a UDP queue again at restore, each from its
# sender's address, through a raw socket. The user edits the sender of a
# datagram waiting in a socket of their own process (121-udp-queue) into
# 8.8.8.8:53, and hopes root's restore makes their process receive a
# datagram that looks like a DNS server's answer (and that root sends
# packets with any source the user names). A set that is not root's gets
# no datagram from another's address.
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"

atk_udp_spoof() {
	local w=$ATK_HOME/udp img=$ATK_HOME/udp.img pid i n
	atk_spawn "$w" 121-udp-queue
	pid=$TARGET_PID
	self_check "$pid" "$w"
	atk_dump "$pid" "$img"
	chown -R "$ATK_UID:$ATK_GID" "$img" || fail "cannot chown $img"
	# An IPv4 socket with a queue (r0 or r3).
	for i in $("$IMGEDIT" "$img" files.img | sed -n 's/^files\[\([0-9]*\)\]\.inet_sk\.queue\[0\]\.src_addr=.*/\1/p'); do
		[[ $("$IMGEDIT" "$img" files.img "files[$i].inet_sk.family") == *=2 ]] && break
		i=''
	done
	[[ -n $i ]] || fail "no IPv4 UDP socket with a queue in the images"
	atk_imgedit "$img" files.img "files[$i].inet_sk.queue[0].src_addr=hex:08080808" \
		"files[$i].inet_sk.queue[0].src_port=53"
	ck restore --images "$img" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	if ((CK_RC == 0)); then
		# The target's own look at its queues (not self_check: a queue
		# left empty fails it, and that is the attack stopped).
		n=$(count_lines "$w/out" '^CHECK ')
		kill -USR2 "$pid" || fail "cannot signal $pid"
		wait_for 20 "a CHECK line" more_lines_than "$w/out" '^CHECK ' "$n" || fail "no CHECK line"
		if grep '^CHECK ' "$w/out" | tail -n 1 | grep -q 'from 8\.8\.8\.8:53'; then
			log "the user's process got a datagram from 8.8.8.8:53"
			exit 1
		fi
		return 0
	fi
	ck_assert_failed "restore of a UDP queue with a datagram from 8.8.8.8"
	wait_for 10 "PID $pid to be free" is_gone "$pid" || fail "PID $pid left after the failed restore"
}

attack udp-spoof atk_udp_spoof
