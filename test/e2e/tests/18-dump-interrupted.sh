#!/bin/bash
# 18-dump-interrupted.sh - SIGINT, SIGTERM, SIGHUP and SIGPIPE sent to ckpt
# at a random point of a dump of a busy 256 MiB process (67-busy) abort the
# dump cleanly: exit 1 with exactly "ckpt: cannot dump: interrupted", no
# temporary directory left, and the target runs on as it was (its memory as
# it recorded it, not traced, still writing). Each signal once: SIGINT and
# SIGPIPE in a default dump, SIGTERM with --leave-running, SIGHUP in a
# pre-dump. Then the target itself killed during a dump --free-memory: one
# line, nothing left. And a message quoting a name from an image (a parent path holding a
# newline and a terminal escape) stays one line, the controls escaped.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/robust.sh
. "$(dirname "$0")/../robust.sh"
e2e_init

w=$T/w
start_target "$w" 67-busy 256
pid=$TARGET_PID
self_check "$pid" "$w"

# Each signal once, the modes in turn (the whole matrix takes minutes).
n=0
modes=(dump leave pre-dump dump)
for sig in INT TERM HUP PIPE; do
	how=${modes[n]}
	n=$((n + 1))
	case $how in
	dump) bg_ck dump --pid "$pid" --images "$T/d$n" ;;
	leave) bg_ck dump --pid "$pid" --images "$T/d$n" --leave-running ;;
	pre-dump) bg_ck pre-dump --pid "$pid" --images "$T/d$n" ;;
	esac
	at=$(random_bytes 256)
	wait_for 60 "the dump to write $at bytes" bg_reached "$T" "d$n" "$at" ||
		fail "the dump made no progress"
	kill -0 "$BG_PID" 2>/dev/null || fail "$how ended before SIG$sig could be sent"
	log "SIG$sig to ckpt $how after $(tmp_bytes "$T" "d$n") bytes"
	kill -"$sig" "$BG_PID"
	bg_wait
	((BG_RC == 1)) || fail "$how, SIG$sig: exit $BG_RC, want 1"
	[[ $(cat "$BG_ERR") == "ckpt: cannot dump: interrupted" ]] ||
		fail "$how, SIG$sig: stderr is '$(head -c 300 "$BG_ERR")'"
	[[ -e $T/d$n ]] && fail "$how, SIG$sig: the images directory exists"
	tmp_dir_of "$T" "d$n" >/dev/null && fail "$how, SIG$sig: the temporary directory is left"
	busy_fine "$pid" "$w"
done
kill -9 "$pid"

# The target itself killed during a dump that frees its memory as it is
# stored: the dump fails with one line (nothing to give the memory back to).
w2=$T/w2
start_target "$w2" 67-busy 256
pid=$TARGET_PID
bg_ck dump --pid "$pid" --images "$T/dk" --free-memory
at=$((64 << 20)) # past the first batches, which are not freed
wait_for 60 "the dump to write $at bytes" bg_reached "$T" dk "$at" || fail "the dump made no progress"
kill -0 "$BG_PID" 2>/dev/null || fail "the dump ended before the target could be killed"
kill -9 "$pid"
bg_wait
((BG_RC == 1)) || fail "target killed during the dump: exit $BG_RC, want 1"
(($(wc -l <"$BG_ERR") == 1)) || fail "target killed during the dump: $(wc -l <"$BG_ERR") lines on stderr"
[[ -e $T/dk ]] && fail "target killed during the dump: the images directory exists"
if tmp_dir_of "$T" dk >/dev/null; then
	fail "target killed during the dump: the temporary directory is left"
fi

# A parent path with a newline and an escape sequence in an image: the
# restore's one line shows them escaped.
start_target "$T/w3" 67-busy 8
pid=$TARGET_PID
ck_ok dump --pid "$pid" --images "$T/e" --leave-running
"${IMGEDIT:-$PWD/build/tools/imgedit}" "$T/e" inventory.img \
	parent_path=$'/nonexistent/p\n\033[31mfake' parent_id=0123 ||
	fail "imgedit failed"
ck_fails "a restore on a parent path with control characters" restore --images "$T/e"
grep -q $'\033' "$CK_ERR" && fail "the message holds a raw escape character"
grep -qF '\x0a' "$CK_ERR" || fail "the newline is not shown escaped: $(ck_err_line)"
