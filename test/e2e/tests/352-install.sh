#!/bin/bash
# 352-install.sh - `make install` into a DESTDIR: ckpt in PREFIX/sbin (the
# same binary as ./ckpt, and it runs), each scripts/ckpt-* in PREFIX/bin
# with its page in man1 when it has one, ckpt.8 in man8, nothing else;
# every page installed renders with `man -l` without a warning and `man
# -M` finds ckpt(8) there; PREFIX=/usr/local by default; `make uninstall`
# removes every file it put there.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

command -v man >/dev/null || skip "no man (man-db)"
command -v make >/dev/null || skip "no make"

# make_in DESTDIR ARGS...: make quietly from the top of the tree.
make_in() {
	local d=$1
	shift
	make -s --no-print-directory DESTDIR="$d" "$@" >"$T/make.out" 2>&1 ||
		fail "make DESTDIR=$d $*: $(tail -n 3 "$T/make.out" | tr '\n' ' ')"
}

D=$T/root
make_in "$D" PREFIX=/usr install

# What should be there, and only that.
{
	echo "usr/sbin/ckpt"
	echo "usr/share/man/man8/ckpt.8"
	for s in scripts/ckpt-*; do
		[[ -f $s ]] || continue
		n=${s##*/}
		# (root's helpers go to sbin)
		[[ $n == *-helper ]] && { echo "usr/sbin/$n"; continue; }
		echo "usr/bin/$n"
		[[ -f doc/$n.1.txt ]] && echo "usr/share/man/man1/$n.1"
	done
	if [[ -x criu-lite/criu ]]; then
		echo "usr/bin/criu-lite"
		echo "usr/share/man/man8/criu-lite.8"
	fi
} | sort >"$T/want"
(cd "$D" && find . -type f -o -type l) | sed 's|^\./||' | sort >"$T/got"
diff "$T/want" "$T/got" >&2 || fail "make install put other files (>) than expected (<)"
log "installed: $(tr '\n' ' ' <"$T/got")"

cmp -s "$D/usr/sbin/ckpt" ckpt || fail "the installed ckpt is not ./ckpt"
[[ -x $D/usr/sbin/ckpt ]] || fail "the installed ckpt is not executable"
"$D/usr/sbin/ckpt" --version >"$T/version" || fail "the installed ckpt does not run"
grep -q '^ckpt [0-9]' "$T/version" || fail "installed ckpt --version: $(cat "$T/version")"
for s in scripts/ckpt-*; do
	[[ -f $s ]] || continue
	b=bin
	[[ $s == *-helper ]] && b=sbin
	[[ -x $D/usr/$b/${s##*/} ]] || fail "${s##*/} is not installed executable"
	cmp -s "$s" "$D/usr/$b/${s##*/}" || fail "the installed ${s##*/} is not $s"
done

# Every page renders, without a warning; man finds ckpt(8) in the tree.
while read -r f; do
	[[ $f == usr/share/man/* ]] || continue
	mode=$(stat -c %a "$D/$f")
	[[ $mode == 644 ]] || fail "$f has mode $mode, want 644"
	MANWIDTH=80 man --warnings -l "$D/$f" >"$T/page" 2>"$T/page.err" ||
		fail "man -l $f failed: $(head -c 300 "$T/page.err")"
	[[ -s $T/page.err ]] && fail "man -l $f warns: $(head -c 300 "$T/page.err")"
	grep -q '^NAME' "$T/page" || fail "man -l $f: no NAME"
	log "$f renders ($(wc -l <"$T/page") lines)"
done <"$T/got"
found=$(man -M "$D/usr/share/man" -w 8 ckpt 2>/dev/null) || fail "man -M does not find ckpt(8) in $D"
[[ $found == "$D/usr/share/man/man8/ckpt.8"* ]] || fail "man -M found ckpt(8) at $found"
MANWIDTH=80 man -M "$D/usr/share/man" 8 ckpt 2>/dev/null | grep -q -- '--leave-running' ||
	fail "man 8 ckpt does not show --leave-running"

# Uninstall leaves no file.
make_in "$D" PREFIX=/usr uninstall
left=$(cd "$D" && find . -type f -o -type l)
[[ -z $left ]] || fail "make uninstall left: $left"

# The default prefix.
D2=$T/root2
make_in "$D2" install
[[ -x $D2/usr/local/sbin/ckpt && -f $D2/usr/local/share/man/man8/ckpt.8 ]] ||
	fail "PREFIX is not /usr/local by default: $(cd "$D2" && find . -type f | head -n 3)"
make_in "$D2" uninstall
[[ -z $(cd "$D2" && find . -type f) ]] || fail "make uninstall left files under /usr/local"
log "make install and uninstall: as expected"
