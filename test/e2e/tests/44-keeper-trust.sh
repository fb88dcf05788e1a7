#!/bin/bash
# 44-keeper-trust.sh - ckpt talks only to a keeper it can trust, and a
# keeper that misbehaves costs a clean failure, never a hung or frozen
# tree. The keeper of a tracked tree listens in /run/ckpt (root's, 0700);
# a fake one (py/keeper_squat.py) is put at its path by root, as only root
# can, each time as something ckpt must refuse:
#   - a socket that listens as another uid (nobody);
#   - root that dropped every capability (a sandboxed daemon can still
#     create files in a root-owned directory);
#   - real root that never answers: the dump waits its time limit, then
#     fails with one line (nothing happens with the tree frozen);
#   - real root that sends an fd that is not a userfaultfd;
#   - a file that is not a socket at the keeper's path (a new keeper cannot
#     bind: the pre-dump fails); the socket of a keeper that is gone is
#     replaced.
# Then /run/ckpt with group permissions, and /run/ckpt a symlink: refused,
# nothing made through the link. After all of it a pre-dump with the real
# keeper works, and the target has run on, never stopped nor traced.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init
need_python
command -v setpriv >/dev/null || skip "no setpriv"

KDIR=/run/ckpt
w=$T/w
start_target "$w" 01-basic 8
pid=$TARGET_PID
name=ckpt-track-$pid-$(proc_starttime "$pid")
sock=$KDIR/$name
elsewhere=$T/elsewhere
SYMLINKED=

# Whatever this test did to /run/ckpt is undone, even on failure.
undo_kdir() {
	[[ -n $SYMLINKED && -L $KDIR ]] && rm -f "$KDIR"
	[[ -d $KDIR && ! -L $KDIR ]] && chmod 0700 "$KDIR"
	[[ -S $sock ]] && rm -f "$sock"
	return 0
}
CLEANUP_HOOKS+=(undo_kdir)

if [[ ! -e $KDIR ]]; then
	mkdir -m 0700 "$KDIR" || fail "cannot make $KDIR"
fi
[[ -d $KDIR && ! -L $KDIR ]] || fail "$KDIR is not a directory"

# fake LOG MODE [PREFIX...] -- ARGS...: a fake keeper at $sock, run under
# PREFIX (e.g. setpriv); waits until it listens. Sets FAKE_PID.
fake() {
	local flog=$1 fmode=$2
	local -a pre=()
	shift 2
	while [[ $1 != -- ]]; do
		pre+=("$1")
		shift
	done
	shift
	spawn "$T" "${pre[@]}" "$PYTHON" -I -S "$E2E_DIR/py/keeper_squat.py" "$flog" "$fmode" "$@" "$sock"
	FAKE_PID=$TARGET_PID
	wait_for 10 "the fake keeper to listen" has_line "$flog" '^READY$' ||
		fail "the fake keeper did not start: $(tail -n 3 "$T/err")"
	has_line "$flog" "^BOUND $sock\$" || fail "the fake keeper could not bind $sock: $(cat "$flog")"
}

end_fake() {
	kill -9 "$FAKE_PID" 2>/dev/null
	reap "$FAKE_PID"
	rm -f "$sock"
}

told_nothing() { # LOG
	! has_line "$1" '^(MSG|FD)' || fail "the fake keeper was told something: $(grep -E '^(MSG|FD)' "$1" | tr '\n' ' ')"
}

fine() {
	local n
	assert_not_traced "$pid"
	n=$(wc -l <"$w/seq")
	wait_seq_beyond "$w/seq" $((n + 20))
	self_check "$pid" "$w"
}

expect_refused() { # WHAT MESSAGE-REGEX ARGS...
	local what=$1 re=$2 d=$T/img.$RANDOM
	shift 2
	ck_fails "$what" "$@" --pid "$pid" --images "$d"
	grep -qE -- "$re" "$CK_ERR" || fail "$what: the error does not say why: $(ck_err_line)"
	[[ ! -e $d ]] || fail "$what: the failed dump left '$d'"
	fine
}

log "== a keeper that listens as nobody"
fake "$T/f1.log" serve -- --uid "$(id -u nobody)"
expect_refused "pre-dump with a keeper not root" "not root with ckpt's privileges" pre-dump
expect_refused "dump with a keeper not root" "not root with ckpt's privileges" dump --leave-running
told_nothing "$T/f1.log"
end_fake

log "== a keeper that is root without capabilities"
fake "$T/f2.log" serve setpriv --inh-caps=-all --bounding-set=-all --
grep -q '^CapEff:[[:space:]]*0*$' "/proc/$FAKE_PID/status" ||
	fail "the fake keeper has capabilities: $(grep CapEff "/proc/$FAKE_PID/status")"
expect_refused "pre-dump with a keeper without capabilities" "not root with ckpt's privileges" pre-dump
told_nothing "$T/f2.log"
end_fake

log "== a root keeper that answers once, then never again"
# The dump's last word to the keeper (stop) comes once the tree runs again:
# unanswered, it costs time, not the dump.
fake "$T/f3.log" hang --
ck_ok dump --leave-running --pid "$pid" --images "$T/img.hang"
has_line "$T/f3.log" '^MSG cmd=3' || fail "the dump did not ask the keeper to stop: $(tr '\n' ' ' <"$T/f3.log")"
fine
expect_refused "dump with a keeper that hangs" "page tracker: no answer in time" dump --leave-running
end_fake
fake "$T/f3b.log" hang --
expect_refused "pre-dump with a keeper that hangs" "cannot track its pages: no answer in time" pre-dump
end_fake

log "== a root keeper that sends something else than a userfaultfd"
fake "$T/f4.log" bogus --
expect_refused "dump with a keeper sending /dev/null" "not a userfaultfd" dump --leave-running
end_fake

log "== something else than a keeper's socket at its path"
: >"$sock"
expect_refused "pre-dump with a file at the keeper's path" "its socket in '$KDIR' is taken" pre-dump
[[ -f $sock ]] || fail "the pre-dump removed the file at $sock"
rm -f "$sock"

log "== the socket of a keeper that is gone"
"$PYTHON" -I -S -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(sys.argv[1])' "$sock" ||
	fail "cannot bind $sock"
[[ -S $sock ]] || fail "no socket left at $sock"
ck_ok pre-dump --pid "$pid" --images "$T/stale"
grep -q " $sock\$" /proc/net/unix || fail "no keeper listens at $sock"
ck_ok dump --leave-running --pid "$pid" --images "$T/stale2" --parent "$T/stale"
keeper_gone() { ! grep -q " $sock\$" /proc/net/unix; }
wait_for 10 "the keeper to stop at the end of the chain" keeper_gone || fail "the keeper did not stop"
[[ ! -e $sock ]] || fail "the keeper left its socket $sock behind"
fine

log "== /run/ckpt open to its group"
chmod 0750 "$KDIR"
expect_refused "pre-dump with $KDIR mode 0750" "'$KDIR' is not a directory of root's" pre-dump
chmod 0700 "$KDIR"

log "== /run/ckpt a symlink"
if rmdir "$KDIR" 2>/dev/null; then
	mkdir -m 0700 "$elsewhere"
	ln -s "$elsewhere" "$KDIR" && SYMLINKED=1
	expect_refused "pre-dump with $KDIR a symlink" "'$KDIR' is not a directory of root's" pre-dump
	[[ -z $(ls -A "$elsewhere") ]] || fail "ckpt made something through the symlink: $(ls -A "$elsewhere")"
	rm -f "$KDIR"
	SYMLINKED=
else
	log "$KDIR holds keepers of other processes: not replaced by a symlink"
fi

log "== the real keeper"
ck_ok pre-dump --pid "$pid" --images "$T/good"
[[ $(stat -c '%u %a' "$KDIR") == "0 700" ]] || fail "$KDIR is $(stat -c '%U %a' "$KDIR"), want root 700"
grep -q " $sock\$" /proc/net/unix || fail "no keeper listens at $sock"
# Root without capabilities can enter /run/ckpt: the keeper does not answer it.
setpriv --inh-caps=-all --bounding-set=-all -- "$PYTHON" -I -S "$E2E_DIR/py/keeper_squat.py" \
	"$T/get.log" get "$sock" </dev/null >/dev/null 2>>"$T/err"
log "root without capabilities asking the keeper: $(tr '\n' ' ' <"$T/get.log")"
has_line "$T/get.log" '^DONE$' || fail "the request of root without capabilities did not end"
! has_line "$T/get.log" "^REPLY $sock [1-9]" || fail "the keeper answered root without capabilities"
! has_line "$T/get.log" '^FD' || fail "the keeper gave root without capabilities its fds"
ck_ok dump --leave-running --pid "$pid" --images "$T/good2" --parent "$T/good"
fine
kill -9 "$pid"
reap "$pid"
wait_for 10 "the keeper to end with its tree" keeper_gone || fail "the keeper outlived its tree"
[[ ! -e $sock ]] || fail "the keeper left its socket $sock behind"
assert_no_strays
