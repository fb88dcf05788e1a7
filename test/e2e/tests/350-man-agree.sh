#!/bin/bash
# 350-man-agree.sh - the man pages, `ckpt --help` and the parser agree:
#  - every page made from doc/*.txt (build/man) renders with man-db
#    (`MANWIDTH=80 man --warnings -l`) without a warning;
#  - for each command of options.c, the options the parser takes (asked of
#    ckpt itself: `ckpt COMMAND --OPT x y` is refused as "does not apply"
#    or "unknown" when it does not take it) are exactly those its part of
#    ckpt(8) lists (the tags of its option list) and exactly those of
#    `ckpt COMMAND --help`; the options every command takes are the man
#    page's OPTIONS and `ckpt --help`'s; every command is in the man page
#    and every command of the man page in the parser. What the man page
#    documents for a lane not merged yet is listed in doc/pending-options:
#    documented, not parsed (and the test fails once it is parsed);
#  - a script of scripts/ with a page of its own: the options of its page,
#    of its --help and of its parser (its case labels, `-h | --help)`
#    included) are the same; a script whose usage() is print_help prints
#    exactly its page's text (doc/mkman.py text doc/NAME.1.txt).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

MAN_DIR=${E2E_MAN:-$PWD/build/man}
command -v man >/dev/null || skip "no man (man-db)"
[[ -s $MAN_DIR/ckpt.8 ]] || fail "no $MAN_DIR/ckpt.8 (make man)"

# Every page renders, and without a warning.
n=0
for page in "$MAN_DIR"/*.[18]; do
	MANWIDTH=80 man --warnings -l "$page" >"$T/page.txt" 2>"$T/page.err" ||
		fail "man -l $page failed: $(head -c 300 "$T/page.err")"
	[[ -s $T/page.err ]] && fail "man -l $page warns: $(head -c 300 "$T/page.err")"
	grep -q '^NAME' "$T/page.txt" || fail "man -l $page: no NAME section"
	n=$((n + 1))
done
log "$n pages render without a warning"
cp "$MAN_DIR/ckpt.8" "$T/ckpt.8"

# What the parser takes: its long options, its short ones, its commands,
# and for each command which options it does not refuse.
sed -n '/long_opts\[\] = {/,/{ 0 }/p' src/options.c |
	grep -oE '^\s*\{ "[a-z-]+"' | grep -oE '[a-z-]+' | sed 's/^/--/' >"$T/opts"
grep -oE 'getopt_long\([^"]*"[^"]*"' src/options.c | sed -E 's/.*"(.*)"/\1/' |
	tr -d ':' | grep -oE '[a-zA-Z]' | sed 's/^/-/' >>"$T/opts"
sed -n '/^} commands\[\] = {/,/^};/p' src/options.c |
	grep -oE '\{ "[a-z-]+", CMD_' | grep -oE '"[a-z-]+"' | tr -d '"' | sort -u >"$T/cmds"
(($(wc -l <"$T/opts") > 10)) || fail "found only $(wc -l <"$T/opts") options in src/options.c"
(($(wc -l <"$T/cmds") >= 5)) || fail "found only $(wc -l <"$T/cmds") commands in src/options.c"
log "parser: $(wc -l <"$T/cmds") commands, $(wc -l <"$T/opts") options"

mkdir "$T/cwd"
: >"$T/taken"
while read -r c; do
	while read -r o; do
		(cd "$T/cwd" && timeout 10 "$CKPT" "$c" "$o" x y </dev/null >/dev/null 2>"$T/err")
		grep -qE "does not apply to this command|unknown option" "$T/err" ||
			printf '%s %s\n' "$c" "$o" >>"$T/taken"
	done <"$T/opts"
	"$CKPT" "$c" --help >"$T/help-$c.txt" || fail "ckpt $c --help failed"
done <"$T/cmds"
"$CKPT" --help >"$T/help.txt" || fail "ckpt --help failed"

"$PYTHON" - "$T" doc/pending-options <<'EOF' || fail "the man page, --help and the parser differ (above)"
import re, sys, os

T, pending_file = sys.argv[1], sys.argv[2]
cmds = open(T + "/cmds").read().split()
taken = {}
for line in open(T + "/taken"):
    c, o = line.split()
    taken.setdefault(c, set()).add(o)
pending = set()
for line in open(pending_file):
    line = line.split("#")[0].strip()
    if line:
        pending.add(line)

OPT = re.compile(r"(?<![\w-])(--?[a-zA-Z][a-zA-Z0-9-]*)")

def help_opts(path):
    """Options named in the tags of a --help text: after "Options...:",
    lines indented by two spaces that start with a dash."""
    out, on = set(), False
    for l in open(path).read().split("\n"):
        if l.startswith("Options"):
            on = True
        elif on and re.match(r"^  -", l):
            out.update(OPT.findall(l))
    return out

def unroff(l):
    return re.sub(r"\\f[BIRP]|\\&", "", l).replace("\\-", "-").replace("\\e", "\\")

# ckpt(8) as installed (roff): a command's part is its .SS "ckpt NAME",
# its options the tags of its .TP paragraphs; OPTIONS, the common ones.
man_parts, cur, section, after_tp = {}, None, None, False
for l in open(T + "/ckpt.8").read().split("\n"):
    if l.startswith(".SH"):
        section, cur = l[3:].strip().strip('"'), None
        if section == "OPTIONS":
            cur = man_parts.setdefault("", set())
    elif l.startswith(".SS"):
        m = re.match(r'^\.SS "ckpt (\S+)"$', unroff(l))
        if m and section == "COMMANDS":
            cur = man_parts.setdefault(m.group(1), set())
    elif l.startswith(".TP"):
        after_tp = True
        continue
    elif after_tp and cur is not None:
        cur.update(OPT.findall(unroff(l)))
    after_tp = False

bad = []
every = set.intersection(*(taken.get(c, set()) for c in cmds))
man_common = man_parts.get("", set())
help_common = help_opts(T + "/help.txt")
if every != man_common:
    bad.append("options of every command: parser %s, ckpt(8) OPTIONS %s" %
               (sorted(every), sorted(man_common)))
if man_common != help_common:
    bad.append("options of every command: ckpt(8) OPTIONS %s, ckpt --help %s" %
               (sorted(man_common), sorted(help_common)))

for c in sorted(set(cmds) | (set(man_parts) - {""})):
    if c not in man_parts:
        bad.append("command %s: not in ckpt(8)" % c)
        continue
    if c not in cmds:
        if c not in pending:
            bad.append("command %s: in ckpt(8), not in the parser (nor in %s)" % (c, pending_file))
        continue
    if c in pending:
        bad.append("command %s: parsed now: take it out of %s" % (c, pending_file))
    parsed = taken.get(c, set()) - every
    man = man_parts[c] - man_common
    helped = help_opts("%s/help-%s.txt" % (T, c))
    for o in sorted(parsed - man):
        bad.append("%s %s: parsed, not in ckpt(8)" % (c, o))
    for o in sorted(man - parsed):
        if "%s %s" % (c, o) in pending:
            continue
        bad.append("%s %s: in ckpt(8), not parsed" % (c, o))
    for o in sorted(parsed & {o.split()[1] for o in pending if o.startswith(c + " ") and " " in o}):
        bad.append("%s %s: parsed now: take it out of %s" % (c, o, pending_file))
    if man != helped:
        bad.append("%s: ckpt(8) lists %s, ckpt %s --help %s" % (c, sorted(man), c, sorted(helped)))
    print("%s: %d options agree%s" % (c, len(man & parsed),
          "" if not man - parsed else " (%d pending)" % len(man - parsed)), file=sys.stderr)
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# The scripts with a page of their own: page, --help and parser agree.
for src in doc/*.1.txt; do
	name=$(basename "$src" .1.txt)
	script=scripts/$name
	if [[ ! -x $script ]]; then
		log "$name: no $script yet, its page is not compared"
		continue
	fi
	# The tags of the .TP paragraphs of its page's OPTIONS section.
	"$PYTHON" - "$MAN_DIR/$name.1" <<'EOF' | sort -u >"$T/$name.man"
import re, sys
section, after_tp = None, False
for l in open(sys.argv[1]).read().split("\n"):
    if l.startswith(".SH"):
        section = l[3:].strip().strip('"')
    elif after_tp and section == "OPTIONS":
        l = re.sub(r"\\f[BIRP]|\\&", "", l).replace("\\-", "-")
        for o in re.findall(r"(?<![\w-])(--?[a-zA-Z][a-zA-Z0-9-]*)", l):
            print(o)
    after_tp = l.startswith(".TP")
EOF
	timeout 10 "$script" --help </dev/null 2>&1 |
		grep -oE -- '(^|[^a-zA-Z0-9-])--?[a-zA-Z][a-zA-Z0-9-]*' |
		grep -oE -- '--?[a-zA-Z][a-zA-Z0-9-]*' | sort -u >"$T/$name.help"
	# Case labels: `--opt)`, `-h | --help)`, `-v|--verbose)`.
	grep -oE -- '^\s*--?[a-zA-Z][a-zA-Z0-9-]*(\s*\|\s*--?[a-zA-Z][a-zA-Z0-9-]*)*\)' "$script" |
		grep -oE -- '--?[a-zA-Z][a-zA-Z0-9-]*' | sort -u >"$T/$name.parsed"
	[[ -s $T/$name.man ]] || fail "$name: no option in its man page's OPTIONS"
	diff "$T/$name.man" "$T/$name.help" >&2 ||
		fail "$name: its man page (<) and its --help (>) name different options"
	diff "$T/$name.man" "$T/$name.parsed" >&2 ||
		fail "$name: its man page (<) and its parser's case labels (>) differ"
	# A script that prints its help from its page (print_help of
	# scripts/ckpt-jobs.sh) prints exactly the page's text.
	if grep -qE '^usage\(\) \{.*print_help' "$script"; then
		"$PYTHON" doc/mkman.py text "doc/$name.1.txt" >"$T/$name.want" ||
			fail "doc/mkman.py text doc/$name.1.txt failed"
		timeout 10 "$script" --help </dev/null >"$T/$name.got" 2>"$T/$name.err" ||
			fail "$name --help failed: $(head -c 300 "$T/$name.err")"
		diff "$T/$name.want" "$T/$name.got" >&2 ||
			fail "$name --help (>) is not its page's text (<)"
		[[ ! -s $T/$name.err ]] || fail "$name --help wrote on stderr: $(head -c 300 "$T/$name.err")"
		log "$name: --help is its page's text ($(wc -l <"$T/$name.got") lines)"
	else
		log "$name: prints a help of its own (its options compared only)"
	fi
	log "$name: $(wc -l <"$T/$name.man") options agree"
done
log "man pages, --help and the parser agree"
