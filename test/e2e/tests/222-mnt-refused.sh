#!/bin/bash
# 222-mnt-refused.sh - what a mount namespace dump or restore refuses, with
# one line each, the target left running as it was (dump) or nothing left
# and the images untouched (restore):
#  - a filesystem ckpt does not make (ramfs) that is not named external:
#    the line names its type, its mount point and --external;
#  - --external mnt[PATH]:KEY for a path that is no mount point;
#  - in a container of its own root (pivot_root into a tmpfs), a directory
#    of the host bound in without --external at dump;
#  - an external mount restored without its --external mnt[KEY]:HOSTPATH,
#    or with a KEY the images do not have;
#  - a terminal of a devpts instance of the container's own held open
#    (its ptys are not made again there);
#  - a unix socket bound to a path on the container's tmpfs (it would be
#    bound again on the host);
#  - a removed file of the container's tmpfs held open (it would be made
#    again on the host).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/mnt.sh
. "$(dirname "$0")/../mnt.sh"
e2e_init

command -v unshare >/dev/null || skip "no unshare(1)"
md=$T/m
mkdir -p "$T/w1" "$T/w2" "$T/w3" "$T/w4" "$T/w5" "$T/w6" "$md" "$T/r" "$T/host" "$T/imgs"
echo "host-$$" >"$T/host/content"
host0=$(mnt_host)

# dump_refused WHAT IMG NAMES [-E] PATTERN: the dump of $pid into IMG
# (WHAT) is refused with a line that PATTERN finds (else: the refusal
# does not name NAMES), and leaves nothing.
dump_refused() {
	local what=$1 img=$2 names=$3
	shift 3
	ck_fails "$what" dump --pid "$pid" --images "$img"
	grep -q "$@" "$CK_ERR" || fail "the refusal does not name $names: $(ck_err_line)"
	assert_dump_left_nothing "$T/imgs"
}

# still_fine_then_kill W N: $pid (in W) runs on as it was, with N
# refusals so far; then it is killed.
still_fine_then_kill() {
	assert_still_fine "$pid" "$1" "$2"
	kill -9 "$pid"
	reap "$pid"
}

# 1. ramfs, not external.
# shellcheck disable=SC2016
mnt_spawn "$T/w1" \
	'mount -t ramfs ck222 "$1" && shift && exec "$@"' sh "$md" "$E2E_TARGETS/220-mnt" "$T/w1" "$md"
pid=$TARGET_PID
dump_refused "dump with a ramfs" "$T/imgs/img1" "the ramfs" \
	"cannot dump: mount '$md' (ramfs) .*--external mnt\[MOUNTPOINT\]:KEY"
assert_still_fine "$pid" "$T/w1" 0

# 2. --external for no mount point.
ck_fails "dump with a stray --external" dump --pid "$pid" --images "$T/imgs/img1" \
	--external "mnt[$T/none]:k" --external "mnt[$md]:ram"
grep -q "external mnt\[$T/none\]: no such mount point" "$CK_ERR" ||
	fail "the refusal does not name the stray --external: $(ck_err_line)"
still_fine_then_kill "$T/w1" 1

# 3. Its own root, a host directory bound in, no --external.
# shellcheck disable=SC2016
setup='set -e
r=$1
mount -t tmpfs -o size=2m ck222-root "$r"
mkdir "$r/old" "$r/w" "$r/data"
mount --bind "$2" "$r/data"
exec "$3" "$r" /w'
mnt_spawn "$T/w2" "$setup" sh "$T/r" "$T/host" \
	"$E2E_TARGETS/222-pivot-static"
pid=$TARGET_PID
ln -s "/proc/$pid/root/w/seq" "$T/w2/seq" # its sequence, inside its root
dump_refused "dump of a host directory bound into a container" "$T/imgs/img2" "/data" \
	"cannot dump: mount '/data' (ext4) comes from outside the container: name it with --external mnt\[MOUNTPOINT\]:KEY"
still_fine_then_kill "$T/w2" 0

# 4. An external mount restored without --external, or with a wrong key.
# shellcheck disable=SC2016
mnt_spawn "$T/w3" \
	'mount -t tmpfs ck222-ext "$1" && mkdir "$1/data" && mount --bind "$2" "$1/data" && shift 2 && exec "$@"' \
	sh "$md" "$T/host" "$E2E_TARGETS/220-mnt" "$T/w3" "$md"
pid=$TARGET_PID
mapfile -t TREE_PIDS < <(tree_pids "$pid")
ck_ok dump --pid "$pid" --images "$T/img3" --external "mnt[$md/data]:data222"
reap "$pid"
wait_tree_gone "${TREE_PIDS[@]}"
expect_restore_fail "$T/img3" "$pid" "without --external"
grep -q "cannot restore: the mount at '$md/data' is external: give --external mnt\[data222\]:HOSTPATH" "$CK_ERR" ||
	fail "the refusal does not ask for mnt[data222]: $(ck_err_line)"
d0=$(image_digest "$T/img3")
ck_fails "restore with a wrong --external key" restore --images "$T/img3" --detach \
	--external "mnt[data222]:$T/host" --external "mnt[other]:$T/host"
grep -q "external mnt\[other\]: no such external mount in the images" "$CK_ERR" ||
	fail "the refusal does not name mnt[other]: $(ck_err_line)"
[[ -e /proc/$pid ]] && fail "$pid exists after a failed restore"
[[ $(image_digest "$T/img3") == "$d0" ]] || fail "the failed restore changed the images"
# The same images restore with it.
ck_ok restore --images "$T/img3" --detach --external "mnt[data222]:$T/host"
track_pid "$pid"
self_check "$pid" "$T/w3"
[[ $(check_value data) == "host-$$" ]] || fail "data=$(check_value data) after the restore"
kill_tree "$pid"

# 5. The ptmx of a devpts of its own held open.
# shellcheck disable=SC2016
mnt_spawn "$T/w4" \
	'mount -t tmpfs ck222-pts "$1" && mkdir "$1/pts" && mount -t devpts -o newinstance,ptmxmode=0666 ck222 "$1/pts" && exec 3<>"$1/pts/ptmx" && shift && exec "$@"' \
	sh "$md" "$E2E_TARGETS/220-mnt" "$T/w4" "$md"
pid=$TARGET_PID
# (the terminal's kind refuses it first, or the mount namespace does)
dump_refused "dump of a pty of the container's devpts" "$T/imgs/img5" "the devpts" \
	-E "cannot dump.*('$md/pts/ptmx'|the devpts at '$md/pts')"
still_fine_then_kill "$T/w4" 0
# 6. A unix socket bound on its tmpfs.
if command -v python3 >/dev/null; then
	# shellcheck disable=SC2016
	bind='import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
os.set_inheritable(s.fileno(), True)
os.execv(sys.argv[2], sys.argv[2:])'
	# shellcheck disable=SC2016
	mnt_spawn "$T/w5" \
		'mount -t tmpfs ck222-sock "$1" && shift && exec python3 -c "$@"' \
		sh "$md" "$bind" "$md/sock" "$E2E_TARGETS/220-mnt" "$T/w5" "$md"
	pid=$TARGET_PID
	dump_refused "dump of a unix socket bound on the container's tmpfs" "$T/imgs/img6" "the socket" \
		"cannot dump: process $pid has a unix socket bound to '$md/sock' on the mount at '$md'"
	[[ -e $md/sock ]] && fail "a socket file showed on the host"
	still_fine_then_kill "$T/w5" 0
fi
# 7. A removed file of its tmpfs held open.
# shellcheck disable=SC2016
mnt_spawn "$T/w6" \
	'mount -t tmpfs ck222-rm "$1" && echo gone >"$1/x" && exec 4<"$1/x" && rm "$1/x" && shift && exec "$@"' \
	sh "$md" "$E2E_TARGETS/220-mnt" "$T/w6" "$md"
pid=$TARGET_PID
dump_refused "dump of a removed file of the container's tmpfs" "$T/imgs/img7" "the removed file" \
	"cannot dump: process $pid holds the removed file '$md/x (deleted)' of its mount namespace"
[[ -e $md/x ]] && fail "a file showed on the host"
still_fine_then_kill "$T/w6" 0
mnt_host_unchanged "$host0"
assert_no_strays
