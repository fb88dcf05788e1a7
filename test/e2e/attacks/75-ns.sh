# shellcheck shell=bash
# 75-ns.sh - namespaces in a set the user owns (sourced by
# tests/45-attacks.sh): the user's process (41-trust) is dumped for it;
# the user adds an ns.img and a uts image to its set (bytes it could write
# itself; here taken from a set root made of its own UTS namespace, the
# pid edited to the user's), for root's restore to make its process a UTS
# namespace and set its host name: namespaces the user could only make
# inside a user namespace of its own. It must be refused, or the process
# restored in the host's UTS namespace.
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"

atk_ns_uts() {
	local w=$ATK_HOME/ns img=$ATK_HOME/ns.img rw=$ATK_HOME/nsroot rimg rpid id f
	# Root's own process in a UTS namespace of its own: its ns images.
	rimg=$(mktemp -d "$T/nsroot.XXXXXX")/images
	mkdir -p "$rw"
	spawn "$rw" unshare --uts "$E2E_TARGETS/200-ns" "$rw" hostname atk-ns
	rpid=$TARGET_PID
	wait_ready "$rpid" "$rw"
	dump_and_reap "$rpid" "$rimg"
	id=$("$IMGEDIT" "$rimg" ns.img "ns[0].id" | sed 's/.*=//')
	# The user's process and set.
	atk_set "$w" "$img"
	for f in ns.img "uts-$id.img"; do
		install -o "$ATK_UID" -g "$ATK_GID" -m 0600 "$rimg/$f" "$img/$f" || fail "cannot copy $f"
	done
	atk_imgedit "$img" ns.img "ns[0].owner=$ATK_PID" "procs[0].pid=$ATK_PID" "procs[0].nspid[0]=$ATK_PID"
	ck restore --images "$img" --detach
	if ((CK_RC == 0)) && [[ -e /proc/$ATK_PID ]] &&
		[[ $(readlink "/proc/$ATK_PID/ns/uts") != "$(readlink /proc/self/ns/uts)" ]]; then
		log "root's restore made the user's process a UTS namespace of its own"
		exit 1
	fi
	atk_restore_ended "$ATK_PID" "restore of a user's set with namespaces"
	grep -q "the image set is not root's: its uts namespace" "$CK_ERR" ||
		fail "not the refusal wanted: $(ck_err_line)"
}

attack ns-uts atk_ns_uts
