# shellcheck shell=bash
# 50-input.sh - images are untrusted input (sourced by tests/45-attacks.sh).
#
# A program is dumped, the image set is edited with every checksum and the
# inventory fixed up (py/pbedit.py on the wire format, then fuzz-images
# --repack), as a hostile writer of the set would, and root restores it.
# Each edit puts a hostile value where ckpt used to take it unchecked. The
# sets are root's own, edited by root: ckpt cannot dump another user's
# process on machines where root lacks CAP_SYS_RESOURCE (DESIGN.md), and
# a set owned by the attacker is the trust model's business (it would be
# refused for its owner first); what these attacks show is that no value
# in an image reaches a syscall, an allocation or a loop unchecked,
# whoever wrote it. An attack is stopped when restore refuses the set,
# before creating anything, with one line naming the image ("images are
# inconsistent (IMAGE: ...)"), leaving no process and the images as they
# were. Anything else (a crash, a hang, an allocation without bound, the
# value reaching a later stage or a syscall) means it worked.

INP_REPACK=${INP_REPACK:-$PWD/build/fuzz/fuzz-images}

inp_tools() {
	[[ -x $INP_REPACK ]] || fail "no $INP_REPACK (make build/fuzz/fuzz-images)"
	[[ -n $PYTHON ]] || fail "no python3"
}

# inp_start NAME TARGET ARGS...: run TARGET (workdir $T/NAME); sets INP_PID.
inp_start() {
	local name=$1
	shift
	start_target "$T/$name" "$@"
	INP_PID=$TARGET_PID
}

# inp_py DIR FILE PYTHON: rewrite the payload of FILE: PYTHON changes `p`
# (the payload, bytes) with the wire-format helpers of py/pbedit.py; then
# it is packed again with a valid header, checksum and inventory size.
inp_py() {
	local dir=$1 file=$2 code=$3
	"$PYTHON" "$E2E_DIR/py/pbedit.py" "$dir/$file" "$code" >"$T/payload" ||
		fail "python edit of $file failed"
	"$INP_REPACK" --repack "$dir" "$file" <"$T/payload" ||
		fail "repack of $file failed"
}

# inp_q DIR FILE PYTHON: what PYTHON sets `out` to, from the payload `p`.
inp_q() {
	"$PYTHON" "$E2E_DIR/py/pbedit.py" "$1/$2" "$3" || fail "python query of $2 failed"
}

# inp_restore DIR PID [LIMIT...]: root restores DIR (under the command
# LIMIT..., e.g. prlimit); INP_D0 is the digest of DIR before.
inp_restore() {
	local dir=$1 pid=$2
	shift 2
	INP_D0=$(image_digest "$dir")
	wait_gone "$pid"
	ck_cmd "$@" "$CKPT" restore --images "$dir" --detach
	[[ -e /proc/$pid ]] && track_pid "$pid"
	return 0
}

# inp_assert_refused DIR PID IMAGE WHAT: the restore just run refused DIR
# as inconsistent, naming IMAGE, before creating anything.
inp_assert_refused() {
	local dir=$1 pid=$2 image=$3 what=$4
	((CK_RC == 124 || CK_RC == 137)) && fail "$what: restore hung (killed after ${CKPT_TIMEOUT}s)"
	((CK_RC >= 128)) && fail "$what: restore crashed (exit $CK_RC): $(ck_err_line)"
	((CK_RC == 0)) && fail "$what: restore accepted the set: PID $pid runs"
	grep -q "images are inconsistent ($image" "$CK_ERR" ||
		fail "$what: not refused as inconsistent, the value went on: $(ck_err_line)"
	ck_assert_failed "restore $what"
	wait_for 10 "PID $pid to be free" is_gone "$pid" ||
		fail "$what: PID $pid exists after the refusal: $(describe_pid "$pid")"
	[[ $(image_digest "$dir") == "$INP_D0" ]] || fail "$what: the refused restore changed the images"
}

inp_refused() { # DIR PID IMAGE WHAT [LIMIT...]
	local dir=$1 pid=$2 image=$3 what=$4
	shift 4
	inp_restore "$dir" "$pid" "$@"
	inp_assert_refused "$dir" "$pid" "$image" "$what"
}

# inp_set NAME TARGET ARGS...: TARGET dumped into $T/NAME-set; INP_PID
# its pid.
inp_set() {
	local name=$1
	shift
	inp_tools
	inp_start "$name" "$@"
	INP_SET=$T/$name-set
	dump_and_reap "$INP_PID" "$INP_SET"
}

# A page count that overflows when multiplied by the page size: 2^20 runs
# of 2^32-1 pages and one of 2^20 in the parent of an incremental dump add
# up to 2^52 pages more, 2^64 bytes, which wraps to the size of the pages
# image that is there. Restore must not build batches for 2^64 bytes (the
# address-space limit turns that into a crash rather than a machine out of
# memory).
atk_pages_overflow() {
	local c0 c1 pm extra
	inp_tools
	inp_start chain 01-basic 4
	c0=$T/chain0 c1=$T/chain1
	ck_ok pre-dump --pid "$INP_PID" --images "$c0"
	ck_ok dump --pid "$INP_PID" --images "$c1" --parent "$c0"
	reap "$INP_PID"
	pm=pagemap-$INP_PID.img
	inp_py "$c0" "$pm" '
run = lambda n: field(1, 2, field(1, 0, 0x7ffffffff000) + field(2, 0, n))
p += run(0xffffffff) * (1 << 20) + run(1 << 20)
p += field(2, 0, get(p, 2)[-1] + (1 << 52))'

	log "the parent's page map now has $(inp_q "$c0" "$pm" 'out = len(get(p, 1))') runs"
	inp_refused "$c1" "$INP_PID" pagemap "a page count of 2^52 + n" prlimit --as=$((3 << 30))
}

# An fd number above fs.nr_open.
atk_fd_nr_open() {
	local big
	inp_set fds 01-basic 4
	big=$(($(cat /proc/sys/fs/nr_open) + 1))
	# fds += { fd: big, file_id: 0, cloexec: false }
	inp_py "$INP_SET" "fdinfo-$INP_PID.img" "p += field(1, 2, field(1, 0, $big) + field(2, 0, 0) + field(3, 0, 0))"
	inp_refused "$INP_SET" "$INP_PID" fdinfo "fd $big"
}

# A socket option ckpt does not know, and only root may set: SO_RCVBUFFORCE
# (SOL_SOCKET 33) on a UDP socket, a receive buffer of 1 GiB
# past net.core.rmem_max. Where it went through, the restored socket shows
# it (ss -m, as anyone can read it).
atk_sockopt() {
	local port rb max
	inp_set inet 90-inet 4
	# the port of the first UDP socket: files (1) . inet_sk (26) . type (2), src_port (6)
	port=$(inp_q "$INP_SET" files.img '
sks = [sk for f in get(p, 1) for sk in get(f, 26)]
out = [get(sk, 6)[0] for sk in sks if get(sk, 2) == [2]][0]')
	[[ -n $port ]] || fail "no UDP socket in the image"
	# files[i].inet_sk.opts += { SOL_SOCKET, SO_RCVBUFFORCE, 0x3fff0000 }
	inp_py "$INP_SET" files.img '
opt = field(13, 2, field(1, 0, 1) + field(2, 0, 33) + field(3, 2, (0x3fff0000).to_bytes(4, "little")))
def udp(sk):
    return get(sk, 2) == [2] and get(sk, 6) == ['"$port"']
p = rebuild(p, 1, lambda f: rebuild(f, 26, lambda sk: sk + opt if udp(sk) else sk))'
	inp_restore "$INP_SET" "$INP_PID"
	if ((CK_RC == 0)); then
		rb=$(ss -H -u -a -n -m "sport = :$port" | sed -n 's/.*rb\([0-9]*\).*/\1/p' | head -n 1)
		max=$(($(cat /proc/sys/net/core/rmem_max) * 2))
		fail "SO_RCVBUFFORCE reached setsockopt: the restored UDP socket on port $port has a receive buffer of ${rb:-?} bytes, rmem_max allows $max"
	fi
	inp_assert_refused "$INP_SET" "$INP_PID" files "SO_RCVBUFFORCE on a UDP socket"
}

# A supplementary group list of 100000 entries (NGROUPS_MAX is 65536).
atk_groups_unbounded() {
	local groups
	inp_set groups 01-basic 4
	inp_py "$INP_SET" "core-$INP_PID.img" '
groups = b"".join(field(9, 0, 1000 + k) for k in range(100000))
p = rebuild(p, 10, lambda creds: creds + groups)'

	log "groups in the image: $(inp_q "$INP_SET" "core-$INP_PID.img" 'out = len(get(get(p, 10)[0], 9))')"
	inp_refused "$INP_SET" "$INP_PID" core "100000 groups"
}

# VMAs out of order and overlapping: a copy of the first VMA at the end.
atk_vma_overlap() {
	inp_set vmas 01-basic 4
	# vmas (14) += a copy of the first
	inp_py "$INP_SET" "mm-$INP_PID.img" 'p += field(14, 2, get(p, 14)[0])'
	inp_refused "$INP_SET" "$INP_PID" mm "a VMA twice"
}

# A page run of the parent image set outside user space, wrapping past
# 2^64 (0xfffffffffffff000, 2 pages), with its pages and counts made to
# agree.
atk_parent_runs() {
	local c0 c1 pm n
	inp_tools
	inp_start prun 01-basic 4
	c0=$T/prun0 c1=$T/prun1
	ck_ok pre-dump --pid "$INP_PID" --images "$c0"
	ck_ok dump --pid "$INP_PID" --images "$c1" --parent "$c0"
	reap "$INP_PID"
	pm=pagemap-$INP_PID.img
	inp_py "$c0" "$pm" '
p += field(1, 2, field(1, 0, 0xfffffffffffff000) + field(2, 0, 2))
p += field(2, 0, get(p, 2)[-1] + 2)'
	inp_py "$c0" "pages-$INP_PID.img" 'p + bytes(8192)'
	inp_refused "$c1" "$INP_PID" pagemap "a parent run at 0xfffffffffffff000"
}

attack pages-overflow atk_pages_overflow
attack fd-nr-open atk_fd_nr_open
attack sockopt atk_sockopt
attack groups-unbounded atk_groups_unbounded
attack vma-overlap atk_vma_overlap
attack parent-runs atk_parent_runs
