#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mkman.py - man pages and --help text from one source (doc/*.txt).

    doc/mkman.py man  SOURCE OUT VERSION   roff man page (SOURCE: doc/NAME.S.txt)
    doc/mkman.py help SOURCE OUT           C header with the --help texts
    doc/mkman.py text SOURCE [COMMAND]     the --help text, printed (scripts, tests):
                                           a page without @command (a script's)
                                           gives its usage, DESCRIPTION's first
                                           paragraph, OPTIONS and ENVIRONMENT

The markup (doc/README.md has it with an example):

    # a comment                    left out everywhere
    @name ckpt                     the program
    @section 8                     its manual section
    @summary one line              for NAME: "ckpt - one line"
    @heading NAME OF SECTION       a section (.SH)
    @command dump                  a command's own part: "ckpt dump" (.SS);
                                   `ckpt dump --help` prints it
    @usage ckpt dump --pid PID ... a usage line of the command (several in a row:
                                   one usage, continued); in a @heading, a line
                                   of the program's general usage
    @option --pid PID, --tree PID  an option (.TP): the paragraphs below it,
                                   up to the next @option, @command or
                                   @heading, describe it
    @common                        the options of this section apply to every
                                   command; each command's --help names them

Text is paragraphs separated by blank lines; a line indented by four
spaces or more is shown as it is (an example). `word` is bold in the man
page, plain in --help. --help shows, for a command, its usage, its first
paragraph and the first paragraph of each option; the man page shows all.
"""

import re
import sys
import textwrap


class Part:
    def __init__(self, kind, title):
        self.kind = kind  # "heading" or "command"
        self.title = title
        self.usage = []
        self.body = []  # paragraphs: ("p", text) or ("pre", lines)
        self.options = []  # (tag, paragraphs)
        self.common = False


class Doc:
    def __init__(self):
        self.name = self.section = self.summary = None
        self.parts = []


def fail(src, n, what):
    sys.exit("mkman: %s:%d: %s" % (src, n, what))


def parse(src):
    doc = Doc()
    part = None
    paras = None  # the list paragraphs go to
    cur = []  # lines of the paragraph being read
    pre = False

    def flush():
        nonlocal cur, pre
        if cur and paras is not None:
            if pre:
                paras.append(("pre", cur))
            else:
                paras.append(("p", " ".join(s.strip() for s in cur)))
        cur, pre = [], False

    with open(src, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        if line.startswith("@"):
            flush()
            word, _, rest = line.partition(" ")
            rest = rest.strip()
            if word in ("@name", "@section", "@summary"):
                setattr(doc, word[1:], rest)
            elif word in ("@heading", "@command"):
                if not rest:
                    fail(src, n, word + " needs a title")
                part = Part(word[1:], rest)
                doc.parts.append(part)
                paras = part.body
            elif word == "@usage":
                if part is None:
                    fail(src, n, "@usage outside a section")
                part.usage.append(line[len("@usage "):].rstrip())
            elif word == "@option":
                if part is None or not rest:
                    fail(src, n, "@option needs a section and a tag")
                part.options.append((rest, []))
                paras = part.options[-1][1]
            elif word == "@common":
                if part is None:
                    fail(src, n, "@common outside a section")
                part.common = True
            else:
                fail(src, n, "unknown directive " + word)
            continue
        if not line.strip():
            flush()
            continue
        if paras is None:
            fail(src, n, "text before any @heading or @command")
        is_pre = line.startswith("    ")
        if cur and is_pre != pre:
            flush()
        pre = is_pre
        cur.append(line[4:] if is_pre else line)
    flush()
    if not (doc.name and doc.section and doc.summary):
        sys.exit("mkman: %s: @name, @section and @summary are needed" % src)
    return doc


# ---- roff -------------------------------------------------------------------

TOKEN = re.compile(r"`([^`]*)`|(--?[a-zA-Z][a-zA-Z0-9-]*)|([A-Z][A-Z0-9_]*[A-Z0-9])|(.)", re.S)


def esc(s):
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return s


def line_start(s):
    # A line starting with . or ' is a request: make it text.
    return "\\&" + s if s[:1] in (".", "'") else s


def roff_text(s):
    """Running text: `code` bold, the rest plain."""
    out = []
    for m in TOKEN.finditer(s):
        if m.group(1) is not None:
            out.append("\\fB" + esc(m.group(1)) + "\\fR")
        else:
            out.append(esc(m.group(0)))
    return line_start("".join(out))


def roff_tag(s):
    """A usage line or an option's tag: options bold, metavariables italic."""
    out = []
    for m in TOKEN.finditer(s):
        if m.group(1) is not None:
            out.append("\\fB" + esc(m.group(1)) + "\\fR")
        elif m.group(2) is not None:
            out.append("\\fB" + esc(m.group(2)) + "\\fR")
        elif m.group(3) is not None:
            out.append("\\fI" + esc(m.group(3)) + "\\fR")
        else:
            out.append(esc(m.group(4)))
    return line_start("".join(out))


def roff_paras(paras, out):
    first = True
    for kind, val in paras:
        if not first:
            out.append(".IP")
        first = False
        if kind == "p":
            out.append(roff_text(val))
        else:
            out.append(".nf")
            out.extend(line_start(esc(x)) if x else "" for x in val)
            out.append(".fi")


def roff_body(paras, out):
    for kind, val in paras:
        if kind == "p":
            out.append(".PP")
            out.append(roff_text(val))
        else:
            out.append(".PP")
            out.append(".RS 4")
            out.append(".nf")
            out.extend(line_start(esc(x)) if x else "" for x in val)
            out.append(".fi")
            out.append(".RE")


def roff_usage(lines, out):
    out.append(".PP")
    out.append(".nf")
    out.extend(roff_tag(x) for x in lines)
    out.append(".fi")


def man(doc, version):
    up = doc.name.upper()
    out = [
        '.\\" Generated by doc/mkman.py from doc/%s.%s.txt: edit that file.' % (doc.name, doc.section),
        '.TH "%s" "%s" "" "%s %s" "%s"' % (up, doc.section, doc.name, version,
                                          "System Administration" if doc.section == "8"
                                          else "User Commands"),
        ".SH NAME",
        "%s \\- %s" % (esc(doc.name), esc(doc.summary)),
        ".nh",  # no hyphenation: options and words are copied as they are
        ".ad l",
    ]
    for p in doc.parts:
        if p.kind == "heading":
            out.append('.SH "%s"' % p.title.upper())
        else:
            out.append('.SS "%s %s"' % (esc(doc.name), esc(p.title)))
        if p.usage:
            roff_usage(p.usage, out)
        roff_body(p.body, out)
        for tag, paras in p.options:
            out.append(".TP")
            out.append(roff_tag(tag))
            roff_paras(paras, out)
    return "\n".join(out) + "\n"


# ---- help text --------------------------------------------------------------


def plain(s):
    return s.replace("`", "")


def wrap(text, indent):
    return textwrap.fill(plain(text), width=78, initial_indent=" " * indent,
                         subsequent_indent=" " * indent, break_on_hyphens=False,
                         break_long_words=False)


def first_para(paras):
    for kind, val in paras:
        if kind == "p":
            return val
    return None


def usage_lines(lines):
    out = []
    for i, u in enumerate(lines):
        out.append(("usage: " if i == 0 else "       ") + u)
    return out


def common_tags(doc):
    return [tag for p in doc.parts if p.common for tag, _ in p.options]


def help_command(doc, p):
    out = usage_lines(p.usage)
    para = first_para(p.body)
    if para:
        out.append(wrap(para, 2))
    if p.options:
        out.append("Options:")
    for tag, paras in p.options:
        out.append("  " + tag)
        para = first_para(paras)
        if para:
            out.append(wrap(para, 6))
    tags = common_tags(doc)
    if tags:
        out.append("  Also: " + "; ".join(tags) + ".")
    return "\n".join(out) + "\n"


def help_general(doc):
    lines = []
    for p in doc.parts:
        if p.kind == "heading" and p.usage:
            lines.extend(p.usage)
    out = usage_lines(lines)
    for p in doc.parts:
        if p.common:
            out.append("Options of every command:")
            for tag, paras in p.options:
                out.append("  " + tag)
                para = first_para(paras)
                if para:
                    out.append(wrap(para, 6))
    cmds = [p for p in doc.parts if p.kind == "command"]
    if cmds:
        out.append("'%s COMMAND --help' tells more of a command; man %s %s tells all." %
                   (doc.name, doc.section, doc.name))
    return "\n".join(out) + "\n"


def help_page(doc):
    """--help of a program without commands (a script): its usage lines,
    the first paragraph of DESCRIPTION, then each option of OPTIONS and
    each variable of ENVIRONMENT with its first paragraph."""
    lines = []
    for p in doc.parts:
        lines.extend(p.usage)
    out = usage_lines(lines)
    for p in doc.parts:
        if p.title == "DESCRIPTION":
            para = first_para(p.body)
            if para:
                out.append(wrap(para, 2))
    for title, label in (("OPTIONS", "Options:"), ("ENVIRONMENT", "Environment:")):
        for p in doc.parts:
            if p.title != title or not p.options:
                continue
            out.append(label)
            for tag, paras in p.options:
                out.append("  " + tag)
                para = first_para(paras)
                if para:
                    out.append(wrap(para, 6))
    out.append("'man %s %s' tells all." % (doc.section, doc.name))
    return "\n".join(out) + "\n"


def c_string(s):
    out = []
    for line in s.splitlines(True):
        line = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        out.append('\t"%s"' % line)
    return "\n".join(out)


def header(doc):
    out = ["/* Generated by doc/mkman.py from doc/%s.%s.txt: edit that file. */" %
           (doc.name, doc.section),
           "static const char usage_general[] =", c_string(help_general(doc)) + ";",
           "static const struct {", "\tconst char *command, *text;",
           "} usage_commands[] = {"]
    for p in doc.parts:
        if p.kind == "command":
            out.append('\t{ "%s",' % p.title)
            out.append(c_string(help_command(doc, p)) + " },")
    out.append("};")
    return "\n".join(out) + "\n"


def text(doc, command):
    if not command:
        if not any(p.kind == "command" for p in doc.parts):
            return help_page(doc)
        return help_general(doc)
    for p in doc.parts:
        if p.kind == "command" and p.title == command:
            return help_command(doc, p)
    sys.exit("mkman: %s has no command %s" % (doc.name, command))


def write(path, data):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(data)
    import os
    os.replace(path + ".tmp", path)


def main(argv):
    if len(argv) >= 3 and argv[1] == "man" and len(argv) == 5:
        write(argv[3], man(parse(argv[2]), argv[4]))
    elif len(argv) == 4 and argv[1] == "help":
        write(argv[3], header(parse(argv[2])))
    elif len(argv) in (3, 4) and argv[1] == "text":
        sys.stdout.write(text(parse(argv[2]), argv[3] if len(argv) == 4 else None))
    else:
        sys.exit(__doc__.split("\n\n")[1])


if __name__ == "__main__":
    main(sys.argv)
