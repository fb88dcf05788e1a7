#!/bin/bash
# 351-progress.sh - the progress line of a dump and a restore: with stderr
# on a terminal (a pty), a dump of a 300 MiB heap (01-basic) shows
# "ckpt: dump: SIZE, RATE/s" lines rewritten in place (\r), the last one
# with at least the heap's size, ended by a newline, at most about four
# updates a second; the restore shows "ckpt: restore: ..." the same way;
# both exit 0 and the target's own self-check (every word of its heap) and
# counters pass after the restore. A dump and a restore that fail after
# the memory went by (CKPT_FAULT) leave one line on the terminal, the
# failure's, the dump the target running, the restore nothing. Without a
# terminal the same commands
# print nothing at all on stderr. The line shows only after a second: the
# FAULT=1 build (build-fault/ckpt) takes CKPT_PROGRESS_AFTER_MS=0 so that
# a quick dump shows it too (a normal build never reads it).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init
need_python

FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
export CKPT_PROGRESS_AFTER_MS=0
HEAP_MIB=300

# The pty runner: ARGV OUT COMMAND...
cat >"$T/pty.py" <<'EOF'
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=sys.stdout,
                     stderr=slave, close_fds=True)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: every writer of the pty has closed it
        break
    if not chunk:
        break
    data += chunk
open(sys.argv[1], "wb").write(data)
sys.exit(p.wait())
EOF

# What a terminal shows of OUT: \r to the start of the line, ESC[K clears
# the rest of it, \n a new line.
cat >"$T/screen.py" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
lines, line, col, i = [], [], 0, 0
while i < len(data):
    c = data[i]
    if data.startswith("\x1b[K", i):
        del line[col:]
        i += 3
        continue
    if c == "\r":
        col = 0
    elif c == "\n":
        lines.append("".join(line))
        line, col = [], 0
    else:
        if col < len(line):
            line[col] = c
        else:
            line.append(c)
        col += 1
    i += 1
if line:
    lines.append("".join(line))
print("\n".join(lines))
EOF
screen() { "$PYTHON" -I -S "$T/screen.py" "$1"; }

# on_pty OUT ARGS...: run $FCKPT ARGS with stdin /dev/null, stdout to
# $T/pty.stdout and stderr on a new pty, whose output goes to OUT; PTY_RC
# is its exit status and PTY_MS the time it took.
on_pty() {
	local out=$1 t0
	shift
	log "+ (stderr on a pty) $FCKPT $*"
	t0=$(now_us)
	timeout -k 5 "$CKPT_TIMEOUT" "$PYTHON" -I -S "$T/pty.py" "$out" "$FCKPT" "$@" \
		</dev/null >"$T/pty.stdout"
	PTY_RC=$?
	PTY_MS=$((($(now_us) - t0) / 1000))
	[[ -f $out ]] || fail "the pty runner failed (exit $PTY_RC)"
	log "  exit $PTY_RC after $PTY_MS ms; the terminal got: $(od -An -c "$out" | tr -s ' ' | head -c 400)"
}

# check_line OUT WHAT: OUT holds "ckpt: WHAT: SIZE, RATE/s" updates, each
# after a \r, the last ended by a newline, its size at least the heap's.
check_line() {
	local out=$1 what=$2 updates last size unit
	tr '\r' '\n' <"$out" | grep -v '^$' | sed 's/\x1b\[K$//' >"$T/lines"
	grep -qE "^ckpt: $what: [0-9.]+ (B|KiB|MiB|GiB|TiB), [0-9.]+ (B|KiB|MiB|GiB|TiB)/s\$" "$T/lines" ||
		fail "$what: no progress line with a size and a rate: $(head -c 300 "$T/lines")"
	grep -vE "^ckpt: $what: [0-9.]+ (B|KiB|MiB|GiB|TiB)(, [0-9.]+ (B|KiB|MiB|GiB|TiB)/s)?\$" "$T/lines" >"$T/other" &&
		fail "$what: other output on the terminal: $(head -c 300 "$T/other")"
	[[ $(tail -c 2 "$out" | od -An -c | tr -d ' ') == '\r\n' ]] ||
		fail "$what: the line does not end with a newline"
	# On the terminal: one line, the last figures.
	screen "$out" >"$T/screen"
	(($(wc -l <"$T/screen") == 1)) || fail "$what: the terminal shows $(wc -l <"$T/screen") lines: $(head -c 300 "$T/screen")"
	updates=$(wc -l <"$T/lines")
	# Four a second at most, and a last one at the end (not a timing
	# assertion: a slower run only allows more).
	((updates <= PTY_MS * 4 / 1000 + 3)) ||
		fail "$what: $updates updates in $PTY_MS ms, more than four a second"
	last=$(tail -n 1 "$T/lines")
	read -r size unit <<<"$(sed -E "s/^ckpt: $what: ([0-9.]+) ([A-Za-z]+).*/\1 \2/" <<<"$last")"
	case $unit in
	MiB) ((${size%.*} >= HEAP_MIB)) || fail "$what: the last line says $size MiB, the heap is $HEAP_MIB MiB" ;;
	GiB) ;;
	*) fail "$what: the last line says $size $unit, the heap is $HEAP_MIB MiB" ;;
	esac
	log "$what: $updates updates, the last: $last"
}

w=$T/w
img=$T/img
start_target "$w" 01-basic "$HEAP_MIB"
pid=$TARGET_PID
self_check "$pid" "$w" 60
id0=$(proc_identity "$pid")

# fail_on_pty WHAT SITE ARGS...: a command failed at SITE (after the
# memory is moved) on a pty: exit 1, and the terminal shows one line, the
# failure's, where the progress line was.
fail_on_pty() {
	local what=$1 site=$2
	shift 2
	CKPT_FAULT=$site on_pty "$T/fail.tty" "$@"
	((PTY_RC == 1)) || fail "$what failed at $site: exit $PTY_RC, want 1"
	tr '\r' '\n' <"$T/fail.tty" | grep -qE "^ckpt: $what: " ||
		fail "$what failed at $site: no progress line before the failure"
	screen "$T/fail.tty" >"$T/screen"
	(($(wc -l <"$T/screen") == 1)) && grep -q '^ckpt: cannot ' "$T/screen" ||
		fail "$what failed at $site: the terminal shows: $(head -c 300 "$T/screen")"
	log "$what failed at $site; the terminal shows: $(cat "$T/screen")"
}

# On a terminal: a dump that fails once its memory is written leaves the
# target running, and one line on the terminal.
fail_on_pty dump dump_sync dump --pid "$pid" --images "$img"
[[ -e $img ]] && fail "the failed dump left $img"
send_usr1 "$pid" "$w" 1
self_check "$pid" "$w" 60
[[ $(check_value usr1) == 1 ]] || fail "usr1 count $(check_value usr1) after the failed dump, want 1"
on_pty "$T/dump.tty" dump --pid "$pid" --images "$img"
((PTY_RC == 0)) || fail "dump on a pty failed (exit $PTY_RC): $(tr '\r' '\n' <"$T/dump.tty" | tail -n 2)"
check_line "$T/dump.tty" dump
reap "$pid"
wait_gone "$pid"
fail_on_pty restore restore_files_last restore --images "$img" --detach
wait_gone "$pid"
on_pty "$T/restore.tty" restore --images "$img" --detach
((PTY_RC == 0)) || fail "restore on a pty failed (exit $PTY_RC): $(tr '\r' '\n' <"$T/restore.tty" | tail -n 2)"
[[ -e /proc/$pid ]] || fail "restore returned but $pid does not exist"
track_pid "$pid"
check_line "$T/restore.tty" restore
[[ $(proc_identity "$pid") == "$id0" ]] || fail "restored process differs: $(proc_identity "$pid"), was $id0"
send_usr1 "$pid" "$w" 2
self_check "$pid" "$w" 60
[[ $(check_value usr1) == 2 ]] || fail "usr1 count $(check_value usr1) after the restore, want 2"

# Without a terminal: nothing on stderr, whatever the delay.
rm -rf "$img"
ck_cmd "$FCKPT" dump --pid "$pid" --images "$img"
((CK_RC == 0)) || fail "dump failed (exit $CK_RC): $(ck_err_line)"
[[ -s $CK_ERR ]] && fail "dump without a terminal wrote on stderr: $(ck_err_line)"
kill_restored "$pid"
wait_gone "$pid"
ck_cmd "$FCKPT" restore --images "$img" --detach
((CK_RC == 0)) || fail "restore failed (exit $CK_RC): $(ck_err_line)"
[[ -s $CK_ERR ]] && fail "restore without a terminal wrote on stderr: $(ck_err_line)"
track_pid "$pid"
send_usr1 "$pid" "$w" 3
self_check "$pid" "$w" 60
[[ $(check_value usr1) == 3 ]] || fail "usr1 count $(check_value usr1) after the second restore, want 3"
kill_restored "$pid"
log "the progress line shows on a terminal, and only there"
