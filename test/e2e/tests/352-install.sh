#!/bin/bash
# 352-install.sh - `make install` into a DESTDIR: ckpt in PREFIX/sbin (the
# same binary as ./ckpt, and it runs), each scripts/ckpt-* in PREFIX/bin
# with its page in man1 when it has one, what the scripts source
# (scripts/ckpt-*.sh) and their --help texts in PREFIX/lib/ckpt, ckpt.8 in
# man8, nothing else; every page installed renders with `man -l` without a
# warning and `man -M` finds ckpt(8) there; the installed scripts run from
# there, PATH pointing there: --help prints the text of their page, and
# ckpt-resume finds ckpt-jobs.sh and the installed ckpt; PREFIX=/usr/local
# by default; `make uninstall` removes every file it put there.
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
		if [[ $n == *.sh ]]; then
			echo "usr/lib/ckpt/$n"
			continue
		fi
		echo "usr/bin/$n"
		[[ -f doc/$n.1.txt ]] && echo "usr/share/man/man1/$n.1" && echo "usr/lib/ckpt/$n.help"
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
	if [[ $s == *.sh ]]; then
		# Sourced, not run.
		[[ $(stat -c %a "$D/usr/lib/ckpt/${s##*/}") == 644 ]] || fail "usr/lib/ckpt/${s##*/} is not mode 644"
		cmp -s "$s" "$D/usr/lib/ckpt/${s##*/}" || fail "the installed ${s##*/} is not $s"
		continue
	fi
	b=bin
	[[ $s == *-helper ]] && b=sbin
	[[ -x $D/usr/$b/${s##*/} ]] || fail "${s##*/} is not installed executable"
	cmp -s "$s" "$D/usr/$b/${s##*/}" || fail "the installed ${s##*/} is not $s"
done

# The installed scripts run from DESTDIR, found on PATH, with nothing of
# the source tree (another directory, no $CKPT): --help is the text of
# their page, read from usr/lib/ckpt.
mkdir "$T/cwd"
IPATH=$D/usr/bin:$D/usr/sbin:/usr/bin:/bin
nh=0
for s in scripts/ckpt-*; do
	n=${s##*/}
	[[ $n != *.sh && -f doc/$n.1.txt ]] || continue
	"$PYTHON" doc/mkman.py text "doc/$n.1.txt" >"$T/$n.want" || fail "doc/mkman.py text doc/$n.1.txt failed"
	cmp -s "$T/$n.want" "$D/usr/lib/ckpt/$n.help" || fail "usr/lib/ckpt/$n.help is not its page's text"
	grep -qE '^usage\(\) \{.*print_help' "$s" || { log "$n: prints a help of its own"; continue; }
	(cd "$T/cwd" && env -u CKPT PATH="$IPATH" "$n" --help) >"$T/$n.got" 2>"$T/$n.err" ||
		fail "the installed $n --help failed: $(head -c 300 "$T/$n.err")"
	diff "$T/$n.want" "$T/$n.got" >&2 || fail "the installed $n --help (>) is not its page's text (<)"
	[[ ! -s $T/$n.err ]] || fail "the installed $n --help wrote on stderr: $(head -c 300 "$T/$n.err")"
	# Read from there, not made again: a line added there shows.
	echo "mark $n $$" >>"$D/usr/lib/ckpt/$n.help"
	(cd "$T/cwd" && env -u CKPT PATH="$IPATH" "$n" --help) | tail -n 1 | grep -qx "mark $n $$" ||
		fail "the installed $n --help is not read from usr/lib/ckpt/$n.help"
	nh=$((nh + 1))
done
[[ ! -f scripts/ckpt-suspend ]] || ((nh >= 1)) || fail "no installed script printed its page's text"
log "$nh installed scripts print their page's text as --help"
if [[ -f scripts/ckpt-resume ]]; then
	# ckpt-resume sources ckpt-jobs.sh from usr/lib/ckpt (its one-line
	# failure is that file's), and runs the installed ckpt from PATH:
	# an image set that is no image set fails with ckpt's own line.
	(cd "$T/cwd" && env -u CKPT PATH="$IPATH" ckpt-resume --images "$T/none") >"$T/out" 2>"$T/err" &&
		fail "the installed ckpt-resume of a missing DIR succeeded"
	[[ $(cat "$T/err") == "ckpt-resume: cannot resume: '$T/none' is not a directory" ]] ||
		fail "the installed ckpt-resume of a missing DIR: $(head -c 300 "$T/err")"
	mkdir -m 0700 "$T/sets" "$T/sets/1-job"
	header=$(sed -n "s/^MANIFEST_HEADER='\(.*\)'\$/\1/p" scripts/ckpt-jobs.sh)
	[[ -n $header ]] || fail "no MANIFEST_HEADER in scripts/ckpt-jobs.sh"
	printf '%s\n1\tjob\t1-job\t0\t-\n' "$header" >"$T/sets/manifest"
	(cd "$T/cwd" && env -u CKPT PATH="$IPATH" ckpt-resume --images "$T/sets") >"$T/out" 2>"$T/err" &&
		fail "the installed ckpt-resume of an empty image set succeeded"
	grep -q "^ckpt-resume: failed: job 1-job (pid 1, job) was not restored, its images are kept: ckpt: cannot " "$T/out" ||
		fail "the installed ckpt-resume did not run the installed ckpt: $(head -c 400 "$T/out") $(head -c 200 "$T/err")"
	log "the installed ckpt-resume runs with usr/lib/ckpt/ckpt-jobs.sh and usr/sbin/ckpt"
fi

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
[[ ! -e $D/usr/lib/ckpt ]] || fail "make uninstall left the directory usr/lib/ckpt"

# The default prefix.
D2=$T/root2
make_in "$D2" install
if [[ -f scripts/ckpt-jobs.sh && ! -f $D2/usr/local/lib/ckpt/ckpt-jobs.sh ]]; then
	fail "ckpt-jobs.sh is not in /usr/local/lib/ckpt by default"
fi
[[ -x $D2/usr/local/sbin/ckpt && -f $D2/usr/local/share/man/man8/ckpt.8 ]] ||
	fail "PREFIX is not /usr/local by default: $(cd "$D2" && find . -type f | head -n 3)"
make_in "$D2" uninstall
[[ -z $(cd "$D2" && find . -type f) ]] || fail "make uninstall left files under /usr/local"
log "make install and uninstall: as expected"
